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
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus};
use zeroize::Zeroizing;

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

    /// Like [`Source::decrypt`], also returning the encrypted text.
    pub(crate) fn decrypt_keeping(&self, ring: &KeyRing) -> Result<(Plaintext, String)> {
        let name = self.file.display().to_string();
        let text = std::fs::read_to_string(&self.file)
            .map_err(|e| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {e}")))?;
        let opts = DecryptOptions {
            ignore_mac: false,
            decryption_order: self.order.decryption_order.clone(),
        };
        let enc = Ciphertext::new(text.clone(), self.format());
        // Like `hush decrypt` and sops: unreadable input on decrypt is exit 1.
        let plain = runtime()?
            .block_on(ring.decrypt(&enc, &opts))
            .map_err(|e| fail(read_code(&e), format!("{name}: {e}")))?;
        Ok((plain, text))
    }
}

/// Runs a command with the first document's top-level values in its environment.
pub(crate) fn exec_env(a: ExecEnvArgs, ring: &KeyRing) -> Result<()> {
    let (plain, enc) = a.source.decrypt_keeping(ring)?;
    let vars = env_vars(&plain, &enc).map_err(|m| fail(exit::ERROR_GENERIC, m))?;
    drop(plain);
    let mut cmd = shell(&command_line(&a.command));
    if a.pristine {
        cmd.env_clear();
    }
    cmd.envs(vars.iter().map(|(k, v)| (k, v.as_str())));
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
    let mut plain = a.source.decrypt(ring)?;
    if let Some(k) = a.output_type.filter(|k| Format::from(*k) != plain.format) {
        plain = hush_core::convert(&plain, k.into())
            .map_err(|e| fail(e.exit_code(), format!("{}: {e}", a.source.file.display())))?;
    }
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

/// Ends hush with the command's status: its exit code, or 128 + the signal.
fn exit_like(status: ExitStatus) -> Result<()> {
    if status.success() {
        return Ok(());
    }
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    std::process::exit(code)
}

/// The first document's top-level values as sops puts them in the
/// environment: strings as they are, booleans `true`/`false`, null as
/// `<nil>`, floats in Go's `%G` form with at least one decimal (`1.0`,
/// `1E+21`). Nested values are refused, naming only the key.
pub(crate) fn env_vars(
    plain: &Plaintext,
    enc: &str,
) -> std::result::Result<Vec<(String, Zeroizing<String>)>, String> {
    let json = hush_core::convert(plain, Format::Json).map_err(|e| e.to_string())?;
    let top: Ordered = serde_json::from_str(json.expose())
        .map_err(|_| "cannot use a file without a map at the top level in environment")?;
    let (yaml, tags) = match plain.format {
        Format::Yaml => (yaml_scalars(plain.expose()), enc_types(enc)),
        _ => (HashMap::new(), HashMap::new()),
    };
    let mut out = Vec::with_capacity(top.0.len());
    for (key, value) in &top.0 {
        if key.contains('=') {
            return Err(format!("cannot use keys with '=' in environment: {key}"));
        }
        let yaml = yaml.get(key);
        let text = env_text(plain.format, value, yaml, tags.get(key).map(String::as_str))
            .ok_or_else(|| {
                format!("cannot use complex value in environment; offending key {key}")
            })?;
        out.push((key.clone(), Zeroizing::new(text)));
    }
    Ok(out)
}

/// One value as sops's `ValToString` writes it; `None` for lists and maps.
/// The JSON rendering hides some YAML types; `yaml` is the value as a plain
/// YAML parser reads it (`1e3` is a float) and `tag` the `type:` of its
/// encrypted form (`float`, `time`), which is what sops goes by.
fn env_text(
    format: Format,
    value: &serde_json::Value,
    yaml: Option<&Scalar>,
    tag: Option<&str>,
) -> Option<String> {
    use serde_json::Value as J;
    let yaml_float = match (yaml, value) {
        (Some(Scalar::Float(f)), _) => Some(*f),
        (_, J::String(s)) if tag == Some("float") => special_float(s),
        _ => None,
    };
    Some(match (value, yaml_float) {
        (J::Array(_) | J::Object(_), _) => return None,
        (_, Some(f)) => go_float(f),
        (J::Number(n), _) if format == Format::Json || tag == Some("float") => {
            go_float(n.as_f64()?)
        }
        (J::Number(n), _) => n.to_string(),
        (J::String(s), _) if tag == Some("time") => drop_fraction(s),
        (J::String(s), _) => s.clone(),
        (J::Bool(b), _) => b.to_string(),
        (J::Null, _) => "<nil>".into(),
    })
}

/// Go's RFC 3339 has no fraction: `…T21:59:43.1-05:00` → `…T21:59:43-05:00`.
fn drop_fraction(s: &str) -> String {
    let b = s.as_bytes();
    let is_time = b.len() > 19 && b[10] == b'T' && b[13] == b':' && b[16] == b':';
    match s.get(19..) {
        Some(rest) if is_time && rest.starts_with('.') => {
            let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
            format!("{}{}", &s[..19], &rest[1 + digits..])
        }
        _ => s.to_string(),
    }
}

/// The `type:` tag of each encrypted top-level value of the first YAML
/// document (`ENC[AES256_GCM,…,type:float]` → `float`).
fn enc_types(enc: &str) -> HashMap<String, String> {
    yaml_scalars(enc)
        .into_iter()
        .filter_map(|(k, v)| {
            let Scalar::Str(v) = v else { return None };
            let inner = v.strip_prefix("ENC[")?.strip_suffix(']')?;
            let tag = inner.rsplit(',').find_map(|p| p.strip_prefix("type:"))?;
            Some((k, tag.to_string()))
        })
        .collect()
}

/// A JSON object's members in file order (sops names the first bad key).
struct Ordered(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = m.next_entry()? {
                    items.push(item);
                }
                Ok(Ordered(items))
            }
        }
        d.deserialize_map(V)
    }
}

/// A top-level YAML value, as far as exec-env cares.
enum Scalar {
    Float(f64),
    Str(String),
    Other,
}

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct V;
        type R<E> = std::result::Result<Scalar, E>;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_f64<E>(self, v: f64) -> R<E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> R<E> {
                Ok(Scalar::Str(v.to_string()))
            }
            fn visit_i64<E>(self, _: i64) -> R<E> {
                Ok(Scalar::Other)
            }
            fn visit_u64<E>(self, _: u64) -> R<E> {
                Ok(Scalar::Other)
            }
            fn visit_i128<E>(self, _: i128) -> R<E> {
                Ok(Scalar::Other)
            }
            fn visit_u128<E>(self, _: u128) -> R<E> {
                Ok(Scalar::Other)
            }
            fn visit_bool<E>(self, _: bool) -> R<E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E>(self) -> R<E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> R<A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> R<A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// Top-level values of the first YAML document as a plain YAML parser
/// reads them (`1e3` is a float, no timestamps); none if it cannot.
fn yaml_scalars(text: &str) -> HashMap<String, Scalar> {
    use serde::Deserialize;
    serde_yaml_ng::Deserializer::from_str(text)
        .next()
        .and_then(|d| HashMap::<String, Scalar>::deserialize(d).ok())
        .unwrap_or_default()
}

/// A YAML float spelled as text in the JSON rendering (`.inf`, `.nan`).
fn special_float(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        ".inf" | "+.inf" => Some(f64::INFINITY),
        "-.inf" => Some(f64::NEG_INFINITY),
        ".nan" => Some(f64::NAN),
        _ => None,
    }
}

/// Go's `strconv.FormatFloat(v, 'G', -1, 64)`, then `'f', 1` when that
/// looks like an integer: sops's `ValToString`.
pub(crate) fn go_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let g = go_g(v);
    if g.contains(['.', 'E']) {
        g
    } else {
        format!("{g}.0")
    }
}

/// `%G` with the shortest digits that round-trip.
fn go_g(v: f64) -> String {
    let sign = if v.is_sign_negative() { "-" } else { "" };
    if v == 0.0 {
        return format!("{sign}0");
    }
    let sci = format!("{:e}", v.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits = mant.replace('.', "");
    let (nd, dp) = (digits.len() as i32, exp + 1);
    let eprec = if 6 > nd && nd >= dp { nd } else { 6 };
    if exp < -4 || exp >= eprec {
        let m = match &digits[1..] {
            "" => digits.clone(),
            frac => format!("{}.{frac}", &digits[..1]),
        };
        let es = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}E{es}{:02}", exp.abs());
    }
    let body = if dp <= 0 {
        format!("0.{}{digits}", "0".repeat(-dp as usize))
    } else if dp >= nd {
        format!("{digits}{}", "0".repeat((dp - nd) as usize))
    } else {
        format!("{}.{}", &digits[..dp as usize], &digits[dp as usize..])
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_format_like_go() {
        for (v, want) in [
            (1000.0, "1000.0"),
            (1.5, "1.5"),
            (10.0, "10.0"),
            (1e21, "1E+21"),
            (1e-7, "1E-07"),
            (123456789.125, "1.23456789125E+08"),
            (-0.0, "-0.0"),
            (-0.5, "-0.5"),
            (0.0001, "0.0001"),
            (123456.0, "123456.0"),
            (1234567.0, "1.234567E+06"),
            (f64::INFINITY, "+Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(go_float(v), want, "{v}");
        }
    }

    #[test]
    fn values_format_like_sops() {
        let text = "a: 1e3\nb: 7\nc: 2024-01-02\nd: '2024-01-02'\ne: 2001-12-14t21:59:43.10-05:00\nf: ~\ng: .inf\n";
        let p = Plaintext::new(text.into(), Format::Yaml);
        let got: Vec<String> = env_vars(&p, "")
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str()))
            .collect();
        let want =
            "a=1000.0 b=7 c=2024-01-02 d=2024-01-02 e=2001-12-14t21:59:43.10-05:00 f=<nil> g=+Inf";
        assert_eq!(got.join(" "), want);
        let nested = Plaintext::new("a: 1\nz: {k: v}\nb: [1]\n".into(), Format::Yaml);
        assert_eq!(
            env_vars(&nested, "").unwrap_err(),
            "cannot use complex value in environment; offending key z"
        );
    }

    #[test]
    fn extra_words_are_quoted() {
        let parts = ["echo".to_string(), "a b".into(), "it's".into(), "x".into()];
        assert_eq!(command_line(&parts), r"echo 'a b' 'it'\''s' x");
    }
}
