//! `exec-env` and `exec-file`: run a command with a decrypted file's values
//! in its environment, or with the decrypted file behind a temporary path.
//!
//! Like sops, the command is one shell string run by `/bin/sh -c`; words
//! after it are appended shell-quoted. The exit status is the command's.

use crate::args::{ExecEnvArgs, ExecFileArgs, Source};
use crate::failure::{fail, read_code, Result};
use crate::io::{watchdog, watched_dir_path, write_private, WatchedDir};
use crate::runtime::runtime;
use hush_core::error::exit;
use hush_core::keys::ring::KeyRing;
use hush_core::{Ciphertext, DecryptOptions, Format, Plaintext};
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus};

impl Source {
    fn format(&self) -> Format {
        self.input_type
            .map(Format::from)
            .unwrap_or_else(|| Format::from_path(&self.file.display().to_string()))
    }

    /// Reads and decrypts the file with the keys sops would use.
    pub(crate) fn decrypt(&self, ring: &KeyRing) -> Result<Plaintext> {
        self.decrypt_keeping(ring).map(|(plain, _)| plain)
    }

    /// Like [`Source::decrypt`], also returning the encrypted file.
    pub(crate) fn decrypt_keeping(&self, ring: &KeyRing) -> Result<(Plaintext, Ciphertext)> {
        let name = self.file.display().to_string();
        let text = std::fs::read_to_string(&self.file)
            .map_err(|e| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {e}")))?;
        let opts = DecryptOptions {
            ignore_mac: false,
            decryption_order: self.order.decryption_order.clone(),
        };
        let enc = Ciphertext::new(text, self.format());
        // Like `hush decrypt` and sops: unreadable input on decrypt is exit 1.
        let plain = runtime()?
            .block_on(ring.decrypt(&enc, &opts))
            .map_err(|e| fail(read_code(&e), format!("{name}: {e}")))?;
        Ok((plain, enc))
    }
}

/// Runs a command with the first document's top-level values in its environment.
pub(crate) fn exec_env(a: ExecEnvArgs, ring: &KeyRing) -> Result<()> {
    let (plain, enc) = a.source.decrypt_keeping(ring)?;
    let vars =
        hush_core::exec::env_vars(&enc, &plain).map_err(|e| fail(e.exit_code(), e.to_string()))?;
    drop(plain);
    let mut cmd = shell(&command_line(&a.command));
    if a.pristine {
        cmd.env_clear();
    }
    cmd.envs(vars.iter().map(|v| (&v.name, v.value.as_str())));
    if a.same_process {
        let e = cmd.exec();
        return Err(fail(
            exit::ERROR_GENERIC,
            format!("cannot run /bin/sh: {e}"),
        ));
    }
    let status = run(&mut cmd)?;
    drop(vars);
    exit_like(status)
}

/// Runs a command with `{}` replaced by the path of the decrypted file,
/// which lives in a 0700 temporary directory removed afterwards, on
/// SIGTERM, and by a watchdog when hush is killed.
pub(crate) fn exec_file(a: ExecFileArgs, ring: &KeyRing) -> Result<()> {
    let plain = a.source.decrypt(ring)?;
    let plain = hush_core::exec::file(plain, a.output_type.map(Format::from))
        .map_err(|e| fail(e.exit_code(), format!("{}: {e}", a.source.file.display())))?;
    shield_terminal_signals();
    // The watchdog learns the name before the directory exists: after a
    // `kill -9` at any point it removes the plaintext.
    let dir_path = watched_dir_path("hush-exec-");
    watchdog(&dir_path);
    let dir = WatchedDir::create(&dir_path).map_err(|e| {
        fail(
            exit::ERROR_GENERIC,
            format!("cannot create a temporary directory: {e}"),
        )
    })?;
    remove_on_sigterm(dir.path())?;
    let path = dir.path().join(&a.filename);
    if a.no_fifo {
        write_private(&path, plain.expose_bytes())
            .map_err(|e| fail(exit::ERROR_GENERIC, format!("{}: {e}", path.display())))?;
        drop(plain);
    } else {
        serve_fifo(&path, plain)?;
    }
    let line = command_line(&a.command).replace("{}", &path.to_string_lossy());
    let status = run(&mut shell(&line));
    let removed = std::fs::remove_dir_all(dir.path());
    drop(dir);
    removed.map_err(|e| {
        fail(
            exit::ERROR_GENERIC,
            format!("cannot remove the temporary directory: {e}"),
        )
    })?;
    exit_like(status?)
}

/// Makes a 0600 FIFO at `path` and writes the plaintext into it once, from
/// a thread, when a reader opens it. A FIFO nobody opens leaves the thread
/// blocked until hush exits.
fn serve_fifo(path: &Path, plain: Plaintext) -> Result<()> {
    let made = Command::new("mkfifo")
        .args(["-m", "600", "--"])
        .arg(path)
        .status();
    match made {
        Ok(s) if s.success() => {}
        Ok(s) => return Err(fail(exit::ERROR_GENERIC, format!("mkfifo failed: {s}"))),
        Err(e) => {
            return Err(fail(
                exit::ERROR_GENERIC,
                format!("cannot run mkfifo ({e}); try --no-fifo"),
            ))
        }
    }
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path) {
            // A reader that stops early is not our problem.
            let _ = f.write_all(plain.expose_bytes());
        }
    });
    Ok(())
}

/// Keeps Ctrl-C, Ctrl-\ and a closing terminal (sent to the whole process
/// group) from killing hush before it removes the temporary directory; the
/// command still receives them.
fn shield_terminal_signals() {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(rt) = runtime() else {
        return;
    };
    let _guard = rt.enter();
    for kind in [
        SignalKind::interrupt(),
        SignalKind::quit(),
        SignalKind::hangup(),
    ] {
        // The handler stays installed for the life of the process.
        let _ = signal(kind);
    }
}

/// On SIGTERM (`timeout`, a cancelled CI job) removes the temporary
/// directory and exits 143, as the default action would have, minus the
/// plaintext left behind. The command gets its own SIGTERM from whoever
/// signals the group.
fn remove_on_sigterm(dir: &Path) -> Result<()> {
    use signal_hook::consts::SIGTERM;
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM]).map_err(|e| {
        fail(
            exit::ERROR_GENERIC,
            format!("cannot install signal handlers: {e}"),
        )
    })?;
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            let _ = std::fs::remove_dir_all(&dir);
            std::process::exit(128 + sig);
        }
    });
    Ok(())
}

/// `/bin/sh -c LINE`, as sops runs commands.
fn shell(line: &str) -> Command {
    let mut c = Command::new("/bin/sh");
    c.arg("-c").arg(line);
    c
}

/// The command string followed by the extra words, each shell-quoted.
fn command_line(parts: &[String]) -> String {
    let mut line = parts.first().cloned().unwrap_or_default();
    for w in &parts[1.min(parts.len())..] {
        line.push(' ');
        line.push_str(&shell_quote(w));
    }
    line
}

fn shell_quote(w: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !w.is_empty() && w.chars().all(safe) {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

fn run(cmd: &mut Command) -> Result<ExitStatus> {
    cmd.status()
        .map_err(|e| fail(exit::ERROR_GENERIC, format!("cannot run /bin/sh: {e}")))
}

/// Ends hush with the command's status: its exit code, or 128 + the
/// signal that ended it (as sops: 255).
fn exit_like(status: ExitStatus) -> Result<()> {
    if status.success() {
        return Ok(());
    }
    let by_signal = |s| if crate::sops::active() { 255 } else { 128 + s };
    let code = status
        .code()
        .or_else(|| status.signal().map(by_signal))
        .unwrap_or(1);
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_words_are_quoted() {
        let parts = ["echo".to_string(), "a b".into(), "it's".into(), "x".into()];
        assert_eq!(command_line(&parts), r"echo 'a b' 'it'\''s' x");
    }
}
