//! `hush edit`: decrypt into a private temp dir, run the editor, and write
//! back only what changed. The user's text is never lost: an invalid edit
//! can be re-opened, and a failed or abandoned edit is saved *encrypted*
//! beside the target (`FILE.hush-rescue`) for `hush edit --rescue FILE`.
//! The plaintext lives only in a 0700 temp dir, removed on every exit path,
//! on signals (which end the editor first), and by a watchdog after `kill -9`.

use crate::args::EditArgs;
use crate::failure::{bare, core, core_read, fail, Failure, Result};
use crate::io::{
    watchdog, watched_dir_path, write_atomic, write_no_follow, write_private, WatchedDir,
};
use crate::runtime::runtime;
use hush_core::editing::update::Opened;
use hush_core::error::exit;
use hush_core::keys::age::shell_words;
use hush_core::keys::ring::KeyRing;
use hush_core::plan::{Overrides, Plan};
use hush_core::{Ciphertext, DecryptOptions, EncryptOptions, Format, KeyGroups, Plaintext};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use tokio::runtime::Runtime;

/// sops's exit code when the editor fails or the edit is abandoned.
const EDITOR_FAILED: u8 = 201;

/// The editor's process id while it runs (0: none, `SPAWNING`: starting).
/// Ctrl-C then belongs to the editor; SIGTERM and SIGHUP are passed on.
static EDITOR_PID: AtomicI32 = AtomicI32::new(0);
const SPAWNING: i32 = -1;

/// Set once a signal ends hush: no editor may outlive it.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Where the edit is going: the open file, or the keys of a new one.
enum Target {
    Existing(Box<Opened>),
    New(KeyGroups, EncryptOptions),
}

pub(crate) fn edit(a: EditArgs, ring: &KeyRing) -> Result<()> {
    let rt = runtime()?;
    let name = a.file.display().to_string();
    let format = Format::from_path(&name);
    let opts = DecryptOptions {
        ignore_mac: a.ignore_mac,
        decryption_order: a.order.decryption_order.clone(),
    };
    let target = if a.file.exists() {
        let text = std::fs::read_to_string(&a.file)
            .map_err(|e| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {e}")))?;
        let opened = rt
            .block_on(ring.open(&Ciphertext::new(text, format), &opts))
            .map_err(core_read(&name))?;
        Target::Existing(Box::new(opened))
    } else {
        new_file_keys(&a)?
    };
    let initial = match (&target, a.rescue) {
        (_, true) => read_rescue(rt, ring, &a.file, &opts)?,
        (Target::Existing(o), false) => {
            let plain = o.plaintext();
            if std::str::from_utf8(plain.expose_bytes()).is_err() {
                return Err(fail(
                    exit::ERROR_GENERIC,
                    format!("{name}: the decrypted content is not UTF-8 text; decrypt it with --output instead"),
                ));
            }
            plain.expose().to_string()
        }
        // sops opens its example document; hush's own edit starts empty.
        (Target::New(..), false) if a.sops => crate::sops::example(format).to_string(),
        (Target::New(..), false) => String::new(),
    };
    let initial = zeroize::Zeroizing::new(initial);
    // The watchdog learns the name before the directory exists.
    let dir_path = watched_dir_path("hush-edit-");
    watchdog(&dir_path);
    let dir = WatchedDir::create(&dir_path).map_err(|e| {
        fail(
            exit::ERROR_GENERIC,
            format!("cannot create a private temp dir: {e}"),
        )
    })?;
    let _cleanup = Cleanup::install(dir.path())?;
    let path = dir
        .path()
        .join(a.file.file_name().unwrap_or("file".as_ref()));
    write_private(&path, initial.as_bytes()).map_err(|e| {
        fail(
            exit::ERROR_GENERIC,
            format!("cannot write the temp file: {e}"),
        )
    })?;
    let text = edit_loop(rt, &a, &target, &path, format, &initial)?;
    let mut text = text;
    let edited = Plaintext::new(std::mem::take(&mut *text), format);
    let unchanged = match &target {
        Target::Existing(o) => o.is_unchanged(&edited),
        Target::New(..) => edited.expose() == initial.as_str(),
    };
    if unchanged && a.sops {
        return Err(fail(
            exit::FILE_HAS_NOT_BEEN_MODIFIED,
            "File has not changed, exiting.",
        ));
    }
    if unchanged {
        eprintln!("hush: {name}: file has not changed; nothing written");
    } else {
        let enc = seal(rt, &target, &edited).map_err(core(&name))?;
        write_atomic(&a.file, enc.as_str().as_bytes())
            .map_err(|e| fail(exit::COULD_NOT_WRITE_OUTPUT_FILE, format!("{name}: {e}")))?;
    }
    if a.rescue {
        let _ = std::fs::remove_file(rescue_path(&a.file));
    }
    Ok(())
}

/// Keys and options for a file that does not exist yet.
fn new_file_keys(a: &EditArgs) -> Result<Target> {
    let over = Overrides {
        keys: a.keys.names(),
        ..Default::default()
    };
    let config = crate::keys::load_config(a.config.as_deref())?;
    let plan = Plan::resolve(config.as_ref(), &a.file, &over).map_err(bare)?;
    if plan.groups.is_empty() {
        return Err(fail(
            exit::ERROR_GENERIC,
            format!(
                "{}: no keys for a new file: give --age/--kms or add a .sops.yaml creation rule",
                a.file.display()
            ),
        ));
    }
    Ok(Target::New(plan.groups, plan.options))
}

fn seal(rt: &Runtime, target: &Target, plain: &Plaintext) -> hush_core::Result<Ciphertext> {
    match target {
        Target::Existing(o) => o.reseal(plain),
        Target::New(groups, opts) => rt.block_on(hush_core::encrypt(plain, groups, opts)),
    }
}

/// Runs the editor until the text is valid, or saves it and gives up.
fn edit_loop(
    rt: &Runtime,
    a: &EditArgs,
    target: &Target,
    path: &Path,
    format: Format,
    initial: &str,
) -> Result<zeroize::Zeroizing<String>> {
    let name = a.file.display().to_string();
    loop {
        let status = run_editor(path);
        let text = std::fs::read_to_string(path)
            .map(zeroize::Zeroizing::new)
            .map_err(|e| {
                fail(
                    exit::ERROR_GENERIC,
                    format!("{name}: cannot read the edited file: {e}"),
                )
            })?;
        match status {
            Err(why) if text.as_str() == initial => {
                return Err(fail(
                    EDITOR_FAILED,
                    format!("{name}: {why}; nothing changed"),
                ))
            }
            Err(why) => return Err(give_up(rt, a, target, &text, &why)),
            // A new file left as it was given: nothing to write.
            Ok(()) if matches!(target, Target::New(..)) && text.as_str() == initial => {
                return Ok(text)
            }
            Ok(()) => {}
        }
        let problem = match hush_core::Ciphertext::is_encrypted(&text, format) {
            _ if text.trim().is_empty() => Some("the file is empty".to_string()),
            Ok(true) => Some("the file has a top-level `sops` key".to_string()),
            Ok(false) => hush_core::encrypted_secret::order_problem(&text, format)
                .unwrap_or_else(|e| Some(e.to_string())),
            Err(e) => Some(e.to_string()),
        };
        let Some(problem) = problem else {
            return Ok(text);
        };
        eprintln!("hush: {name}: {problem}");
        eprint!("Press Enter to return to the editor, or type q and Enter to give up: ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let read = std::io::stdin().read_line(&mut answer).unwrap_or(0);
        if read == 0 || answer.trim() == "q" {
            return Err(give_up(rt, a, target, &text, &problem));
        }
    }
}

fn run_editor(path: &Path) -> std::result::Result<(), String> {
    let editor = ["SOPS_EDITOR", "VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".into());
    let words = shell_words(&editor);
    let (prog, args) = words.split_first().ok_or("the editor command is empty")?;
    // SPAWNING before the STOPPING check: a signal thread then either
    // waits for the pid or this thread starts no editor.
    EDITOR_PID.store(SPAWNING, Ordering::SeqCst);
    let status = if STOPPING.load(Ordering::SeqCst) {
        Err(std::io::Error::other("hush is stopping"))
    } else {
        std::process::Command::new(prog)
            .args(args)
            .arg(path)
            .spawn()
            .and_then(|mut child| {
                EDITOR_PID.store(i32::try_from(child.id()).unwrap_or(0), Ordering::SeqCst);
                child.wait()
            })
    };
    EDITOR_PID.store(0, Ordering::SeqCst);
    // The signal thread is removing the temp dir and ending hush.
    while STOPPING.load(Ordering::SeqCst) {
        std::thread::park();
    }
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("the editor {prog} exited with {s}")),
        Err(e) => Err(format!("cannot run the editor {prog}: {e}")),
    }
}

fn rescue_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".hush-rescue");
    PathBuf::from(name)
}

/// Saves the user's text encrypted (as `{"data": …}` JSON, to the same
/// keys) beside the target, and says how to continue.
fn give_up(rt: &Runtime, a: &EditArgs, target: &Target, text: &str, why: &str) -> Failure {
    let name = a.file.display();
    let rescue = rescue_path(&a.file);
    // `{"data": "<text>"}`; only the Plaintext copy outlives this function.
    let value = hush_core::Value::Map(vec![(
        "data".into(),
        hush_core::Value::Scalar(text.to_string()),
    )]);
    let doc = Plaintext::new(
        format!("{}\n", hush_core::path::value_to_json(&value)),
        Format::Json,
    );
    drop(value);
    let saved = match target {
        // Every value encrypted, whatever the file's own selector says.
        Target::Existing(o) => o.seal_everything(&doc),
        Target::New(groups, opts) => {
            let opts = EncryptOptions {
                selector: Default::default(),
                ..opts.clone()
            };
            rt.block_on(hush_core::encrypt(&doc, groups, &opts))
        }
    };
    // A fresh file renamed into place: a planted `FILE.hush-rescue`
    // symlink is replaced, never written through.
    let saved = saved.map_err(|e| e.to_string()).and_then(|enc| {
        write_no_follow(&rescue, enc.as_str().as_bytes()).map_err(|e| e.to_string())
    });
    match saved {
        Ok(at) if at == rescue => fail(
            EDITOR_FAILED,
            format!(
                "{name}: {why}; {name} is unchanged and your text is saved encrypted in {}: continue with `hush edit --rescue {name}`",
                rescue.display()
            ),
        ),
        Ok(at) => fail(
            EDITOR_FAILED,
            format!(
                "{name}: {why}; {name} is unchanged and your text is saved encrypted in {} ({} could not be replaced): rename it to {} and continue with `hush edit --rescue {name}`",
                at.display(),
                rescue.display(),
                rescue.display()
            ),
        ),
        Err(e) => fail(EDITOR_FAILED, format!("{name}: {why}; {name} is unchanged, and saving your text failed: {e}")),
    }
}

fn read_rescue(rt: &Runtime, ring: &KeyRing, file: &Path, opts: &DecryptOptions) -> Result<String> {
    let path = rescue_path(file);
    let name = path.display().to_string();
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(fail(
            exit::COULD_NOT_READ_INPUT_FILE,
            format!("{name}: is a symbolic link, not a rescue file hush wrote; remove it"),
        ));
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| fail(exit::NO_FILE_SPECIFIED, format!("{name}: {e}")))?;
    let plain = rt
        .block_on(ring.decrypt(&Ciphertext::new(text, Format::Json), opts))
        .map_err(core(&name))?;
    let steps = hush_core::path::parse(r#"["data"]"#).map_err(core(&name))?;
    hush_core::path::extract(&plain, &steps, Format::Json).map_err(core(&name))
}

/// Sends `sig` to the editor process.
fn signal_editor(pid: i32, sig: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, sig);
    }
}

/// Passes `sig` on to a running editor and waits for it to end (a few
/// seconds, then SIGKILL), so that nothing writes plaintext after hush.
fn stop_editor(sig: i32) {
    use rustix::process::Signal;
    STOPPING.store(true, Ordering::SeqCst);
    let first = Signal::from_named_raw(sig).unwrap_or(Signal::TERM);
    for (sig, tries) in [(first, 50), (Signal::KILL, 10)] {
        let pid = editor_pid_while(|p| p == SPAWNING, 50);
        if pid <= 0 {
            return;
        }
        signal_editor(pid, sig);
        if editor_pid_while(|p| p != 0, tries) == 0 {
            return;
        }
    }
}

/// The editor's pid once `busy` no longer holds for it, or after `tries`
/// tenths of a second.
fn editor_pid_while(busy: impl Fn(i32) -> bool, tries: u32) -> i32 {
    for _ in 0..tries {
        let pid = EDITOR_PID.load(Ordering::SeqCst);
        if !busy(pid) {
            return pid;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    EDITOR_PID.load(Ordering::SeqCst)
}

/// On SIGTERM and SIGHUP, and on SIGINT unless the editor is running
/// (Ctrl-C is the editor's then): ends the editor, removes the temp dir,
/// and exits 128+signal.
struct Cleanup(signal_hook::iterator::Handle);

impl Cleanup {
    fn install(dir: &Path) -> Result<Cleanup> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let mut signals =
            signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]).map_err(|e| {
                fail(
                    exit::ERROR_GENERIC,
                    format!("cannot install signal handlers: {e}"),
                )
            })?;
        let handle = signals.handle();
        let dir = dir.to_path_buf();
        std::thread::spawn(move || {
            for sig in signals.forever() {
                if sig == SIGINT && EDITOR_PID.load(Ordering::SeqCst) != 0 {
                    continue;
                }
                stop_editor(sig);
                let _ = std::fs::remove_dir_all(&dir);
                std::process::exit(128 + sig);
            }
        });
        Ok(Cleanup(handle))
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.0.close();
    }
}
