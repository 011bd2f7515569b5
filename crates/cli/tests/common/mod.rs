//! Shared helpers for the black-box interop tests: run `hush` and the real
//! `sops` binary side by side on fresh age keys, and compare parsed outputs.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_yaml_ng::Value;
use tempfile::TempDir;

#[allow(unused_imports)] // each test file uses some of these
pub use hush_test_support::peers::{age_keygen, sops_bin};

/// Path of the hush binary under test; `HUSH_TEST_BIN` pins a copy (the
/// shared target dir's binary can be rebuilt from another checkout mid-run).
pub fn hush_bin() -> PathBuf {
    std::env::var_os("HUSH_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_hush")))
}

/// Result of running one of the tools.
#[derive(Debug, Clone)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn ok(&self) -> bool {
        self.code == 0
    }
}

/// An isolated working directory with a fresh age key.
pub struct Ctx {
    pub dir: TempDir,
    pub key_file: PathBuf,
    pub recipient: String,
}

impl Ctx {
    pub fn new() -> Ctx {
        let dir = tempfile::Builder::new()
            .prefix("hush-interop-")
            .tempdir()
            .unwrap();
        let key_file = dir.path().join("keys.txt");
        let recipient = age_keygen(&key_file);
        Ctx {
            dir,
            key_file,
            recipient,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        p
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    /// A second, unrelated age key in this context.
    pub fn other_key(&self, name: &str) -> (PathBuf, String) {
        let p = self.path(name);
        let r = age_keygen(&p);
        (p, r)
    }

    fn command(&self, bin: &Path, key_file: Option<&Path>) -> Command {
        let mut c = Command::new(bin);
        c.current_dir(self.dir.path());
        for v in [
            "SOPS_AGE_KEY",
            "SOPS_AGE_KEY_FILE",
            "SOPS_AGE_KEY_CMD",
            "SOPS_AGE_RECIPIENTS",
            "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
            "SOPS_CONFIG",
        ] {
            c.env_remove(v);
        }
        c.env("HOME", self.dir.path());
        c.env("XDG_CONFIG_HOME", self.dir.path().join(".config"));
        c.env("SOPS_DISABLE_VERSION_CHECK", "1");
        if let Some(k) = key_file {
            c.env("SOPS_AGE_KEY_FILE", k);
        }
        c
    }

    /// Run `bin args...` in the context dir with SOPS_AGE_KEY_FILE set to
    /// `key_file` (if any), extra env vars, and optional stdin.
    pub fn run_with<I, S>(
        &self,
        bin: &Path,
        args: I,
        key_file: Option<&Path>,
        env: &[(&str, &str)],
        stdin: Option<&str>,
    ) -> Out
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = self.command(bin, key_file);
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        c.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = c
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {}: {e}", bin.display()));
        if let Some(input) = stdin {
            let mut si = child.stdin.take().unwrap();
            si.write_all(input.as_bytes()).unwrap();
        }
        let o = child.wait_with_output().unwrap();
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    pub fn hush<S: AsRef<OsStr>>(&self, args: &[S]) -> Out {
        self.run_with(&hush_bin(), args, Some(&self.key_file), &[], None)
    }

    pub fn hush_stdin<S: AsRef<OsStr>>(&self, args: &[S], stdin: &str) -> Out {
        self.run_with(&hush_bin(), args, Some(&self.key_file), &[], Some(stdin))
    }

    pub fn sops<S: AsRef<OsStr>>(&self, args: &[S]) -> Out {
        self.run_with(&sops_bin(), args, Some(&self.key_file), &[], None)
    }

    // ---- convenience wrappers that assert success -------------------------

    /// `hush encrypt --age <recipient> [extra...] <file>`; returns stdout.
    pub fn hush_encrypt(&self, file: &str, extra: &[&str]) -> String {
        let mut args: Vec<&str> = vec!["encrypt", "--age", &self.recipient];
        args.extend_from_slice(extra);
        args.push(file);
        expect_ok("hush encrypt", &self.hush(&args))
    }

    /// `sops -e --age <recipient> [extra...] <file>`; returns stdout.
    pub fn sops_encrypt(&self, file: &str, extra: &[&str]) -> String {
        let mut args: Vec<&str> = vec!["--encrypt", "--age", &self.recipient];
        args.extend_from_slice(extra);
        args.push(file);
        expect_ok("sops --encrypt", &self.sops(&args))
    }

    pub fn hush_decrypt(&self, file: &str, extra: &[&str]) -> String {
        let mut args: Vec<&str> = vec!["decrypt"];
        args.extend_from_slice(extra);
        args.push(file);
        expect_ok("hush decrypt", &self.hush(&args))
    }

    pub fn sops_decrypt(&self, file: &str, extra: &[&str]) -> String {
        let mut args: Vec<&str> = vec!["--decrypt"];
        args.extend_from_slice(extra);
        args.push(file);
        expect_ok("sops --decrypt", &self.sops(&args))
    }
}

pub fn expect_ok(what: &str, out: &Out) -> String {
    assert!(
        out.ok(),
        "{what} failed with exit code {}\n--- stderr ---\n{}\n--- stdout ---\n{}",
        out.code,
        out.stderr,
        out.stdout
    );
    out.stdout.clone()
}

// ---- parsing & comparison --------------------------------------------------

/// Parse every document of a YAML stream.
pub fn yaml_docs(text: &str) -> Vec<Value> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for de in serde_yaml_ng::Deserializer::from_str(text) {
        let v = Value::deserialize(de).unwrap_or_else(|e| panic!("invalid YAML ({e}):\n{text}"));
        docs.push(v);
    }
    docs
}

/// Parse a single-document YAML stream.
pub fn yaml(text: &str) -> Value {
    let mut d = yaml_docs(text);
    assert_eq!(d.len(), 1, "expected exactly one YAML document in:\n{text}");
    d.remove(0)
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"))
}

/// Remove and return the top-level `sops` metadata key.
pub fn split_sops(mut v: Value) -> (Value, Option<Value>) {
    let meta = match &mut v {
        Value::Mapping(m) => m.remove("sops"),
        _ => None,
    };
    (v, meta)
}

pub fn split_sops_json(mut v: serde_json::Value) -> (serde_json::Value, Option<serde_json::Value>) {
    let meta = v.as_object_mut().and_then(|m| m.remove("sops"));
    (v, meta)
}

/// If `s` is a sops `ENC[...]` envelope, return its `type:` tag.
pub fn enc_type(s: &str) -> Option<String> {
    let inner = s.strip_prefix("ENC[")?.strip_suffix(']')?;
    let mut parts = inner.split(',');
    let cipher = parts.next()?;
    if cipher.is_empty() {
        return None;
    }
    let mut ty = None;
    let mut seen = (false, false, false);
    for p in parts {
        if p.starts_with("data:") {
            seen.0 = true;
        } else if p.starts_with("iv:") {
            seen.1 = true;
        } else if p.starts_with("tag:") {
            seen.2 = true;
        } else if let Some(t) = p.strip_prefix("type:") {
            ty = Some(t.to_string());
        }
    }
    if seen == (true, true, true) {
        Some(format!("{cipher}/{}", ty.unwrap_or_default()))
    } else {
        None
    }
}

/// Replace every encrypted scalar by `"<ENC CIPHER/type>"`, keeping plaintext
/// leaves as they are: two files with equal shapes encrypted the same leaves
/// with the same type tags and left the same plaintext.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::String(s) => match enc_type(s) {
            Some(t) => Value::String(format!("<ENC {t}>")),
            None => v.clone(),
        },
        Value::Sequence(items) => Value::Sequence(items.iter().map(shape).collect()),
        Value::Mapping(m) => {
            let mut out = serde_yaml_ng::Mapping::new();
            for (k, val) in m {
                out.insert(k.clone(), shape(val));
            }
            Value::Mapping(out)
        }
        Value::Tagged(t) => shape(&t.value),
        other => other.clone(),
    }
}

pub fn shape_json(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::String(s) => match enc_type(s) {
            Some(t) => J::String(format!("<ENC {t}>")),
            None => v.clone(),
        },
        J::Array(a) => J::Array(a.iter().map(shape_json).collect()),
        J::Object(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), shape_json(v))).collect()),
        other => other.clone(),
    }
}

/// Equality that also checks mapping key order (Debug output is ordered).
pub fn assert_same_yaml(what: &str, left: &Value, right: &Value) {
    let l = format!("{left:#?}");
    let r = format!("{right:#?}");
    assert!(
        left == right && l == r,
        "{what}: values differ\n--- left ---\n{l}\n--- right ---\n{r}"
    );
}

pub fn assert_same_json(what: &str, left: &serde_json::Value, right: &serde_json::Value) {
    assert!(
        left == right,
        "{what}: values differ\n--- left ---\n{}\n--- right ---\n{}",
        serde_json::to_string_pretty(left).unwrap(),
        serde_json::to_string_pretty(right).unwrap()
    );
}

/// Metadata fields that must agree between hush and sops (selectors & flags).
pub const SELECTOR_FIELDS: &[&str] = &[
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
    "mac_only_encrypted",
];

pub fn selector_meta(meta: &Value) -> Vec<(String, Option<Value>)> {
    SELECTOR_FIELDS
        .iter()
        .map(|f| (f.to_string(), meta.get(*f).cloned()))
        .collect()
}

pub fn age_recipients(meta: &Value) -> Vec<String> {
    meta.get("age")
        .and_then(|a| a.as_sequence())
        .map(|s| {
            s.iter()
                .filter_map(|e| {
                    e.get("recipient")
                        .and_then(|r| r.as_str())
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Full-line comments of a YAML text, trimmed, in order; encrypted comments
/// are normalized to `#<ENC type>` so encrypted files can be compared.
///
/// sops stores a comment that sits above a sequence item as an extra
/// sequence item `- ENC[...,type:comment]`; such items count as comment
/// lines too, so both representations compare equal.
pub fn comment_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter_map(|l| {
            if let Some(body) = l.strip_prefix('#') {
                return Some(match enc_type(body) {
                    Some(t) => format!("#<ENC {t}>"),
                    None => l.to_string(),
                });
            }
            let item = l.strip_prefix("- ")?.trim();
            let item = item.trim_matches('"').trim_matches('\'');
            enc_type(item)
                .filter(|t| t.ends_with("/comment"))
                .map(|t| format!("#<ENC {t}>"))
        })
        .collect()
}

/// Every comment text in a YAML file, full-line or inline, trimmed, in order.
/// (Naive: a `#` preceded by whitespace outside of quotes starts a comment.)
pub fn all_comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut in_s = false;
        let mut in_d = false;
        let mut prev_ws = true;
        for (i, ch) in line.char_indices() {
            match ch {
                '\'' if !in_d => in_s = !in_s,
                '"' if !in_s => in_d = !in_d,
                '#' if !in_s && !in_d && prev_ws => {
                    out.push(line[i..].trim().to_string());
                    break;
                }
                _ => {}
            }
            prev_ws = ch == ' ' || ch == '\t';
        }
    }
    out
}
