//! Checking one file: read it safely, run every rule that applies, and
//! apply suppressions. The walk calls this from many threads.

use crate::config::CheckConfig;
use crate::finding::{FileError, Finding, Note, Suppression, SuppressionKind};
use crate::kustomize::{self, FileRef, RefKind};
use crate::rules::{Rule, RuleSet};
use crate::sops::{self, SopsConfigs};
use crate::yaml::{self, Node, Pos};
use crate::{keys, likely, secret, suppress, template};
use hush_core::keys::age::Identities;
use hush_core::rules::CreationRule;
use hush_core::{AuditKind, Ciphertext, DecryptOptions, Error as CoreError, Format};
use memchr::memmem;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Bytes looked at to decide that a file is binary, as git does.
const BINARY_PROBE: usize = 8000;

/// Files that can hold a Secret or that a creation rule covers are checked
/// whatever `--max-filesize` says, up to this size; a larger one fails the
/// check (exit 2) rather than pass unread.
pub(crate) const LARGEST_CHECKED: u64 = 256 << 20;

/// Line breaks go-yaml (and so kubectl, kustomize, Helm, sops) knows
/// beyond CR and LF: NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR.
const GO_YAML_BREAKS: [char; 3] = ['\u{85}', '\u{2028}', '\u{2029}'];

/// What a file's name and `.sops.yaml` say about it.
struct FileKind {
    name: String,
    yaml: bool,
    json: bool,
    env: bool,
    kust: bool,
    covering: Option<CreationRule>,
}

impl FileKind {
    /// Files that must be text: kubectl, kustomize and sops read them as such.
    fn textual(&self) -> bool {
        self.yaml || self.json || self.env || self.kust
    }

    /// Files read whole, whatever their size.
    fn deep(&self) -> bool {
        self.textual() || self.covering.is_some()
    }
}

/// A file's bytes as text.
enum Text<'b> {
    Utf8(&'b str),
    /// UTF-16 with a byte-order mark, which go-yaml reads too.
    Utf16(String),
    /// A text file with NUL bytes or invalid UTF-8, made readable, and why.
    Decoded(String, &'static str),
    /// Not text, and not a file that must be.
    Binary,
}

fn decode(bytes: &[u8], textual: bool) -> Text<'_> {
    let nul = memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some();
    if let (Ok(t), false) = (std::str::from_utf8(bytes), nul) {
        return Text::Utf8(t);
    }
    if !textual {
        return Text::Binary;
    }
    let utf16 = |be: bool| {
        let units = bytes[2..].chunks_exact(2).map(|c| {
            let pair = [c[0], c[1]];
            if be {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .ok()
    };
    let wide = match bytes {
        [0xFF, 0xFE, ..] if bytes.len().is_multiple_of(2) => utf16(false),
        [0xFE, 0xFF, ..] if bytes.len().is_multiple_of(2) => utf16(true),
        _ => None,
    };
    if let Some(t) = wide.filter(|t| !t.contains('\0')) {
        return Text::Utf16(t);
    }
    let why = if memchr::memchr(0, bytes).is_some() {
        "contains NUL bytes"
    } else {
        "is not valid UTF-8"
    };
    let text = String::from_utf8_lossy(bytes).replace('\0', " ");
    Text::Decoded(text, why)
}

/// A JSON text of two or more top-level objects or arrays, as one YAML
/// flow sequence of them (lines kept; columns shift by the commas added).
/// `None` for a single value or anything else.
fn json_stream(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    let mut ends = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        if in_str {
            match c {
                _ if esc => esc = false,
                b'\\' => esc = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' if depth > 0 => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    ends.push(i + 1);
                }
            }
            _ if depth == 0 && !c.is_ascii_whitespace() => return None,
            _ => {}
        }
    }
    if ends.len() < 2 || depth != 0 {
        return None;
    }
    let mut out = String::with_capacity(text.len() + ends.len() + 4);
    out.push('[');
    let mut from = 0;
    for &e in &ends[..ends.len() - 1] {
        out.push_str(&text[from..e]);
        out.push(',');
        from = e;
    }
    out.push_str(&text[from..]);
    out.push(']');
    Some(out)
}

/// Results gathered from all threads.
#[derive(Default)]
pub(crate) struct Collected {
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub errors: Vec<FileError>,
    pub refs: Vec<FileRef>,
    /// Every checked file: absolute path to the path shown to the user.
    pub seen: HashMap<PathBuf, PathBuf>,
    /// Files skipped as over `--max-filesize`, in case a kustomization
    /// reads them as manifests.
    pub skipped: HashMap<PathBuf, PathBuf>,
}

/// Shared state of one run.
pub(crate) struct Checker {
    pub rules: RuleSet,
    pub config: CheckConfig,
    pub sops: SopsConfigs,
    pub identities: Option<Identities>,
    pub max_filesize: u64,
    /// The working directory, read once.
    pub cwd: PathBuf,
    pub out: Mutex<Collected>,
}

/// What one file produced, merged under the lock once.
#[derive(Default)]
struct Local {
    findings: Vec<Finding>,
    notes: Vec<Note>,
    errors: Vec<FileError>,
    refs: Vec<FileRef>,
}

impl Local {
    fn note(&mut self, path: &Path, message: impl Into<String>) {
        self.notes.push(Note {
            path: path.to_path_buf(),
            message: message.into(),
        });
    }
}

/// The path as shown: without a leading `./`.
pub(crate) fn display(path: &Path) -> PathBuf {
    path.strip_prefix(".").unwrap_or(path).to_path_buf()
}

/// An absolute, lexically normalised path.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    kustomize::normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// `path` made absolute against `cwd`, without asking the OS for the
/// working directory once per file.
pub(crate) fn absolute_in(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        kustomize::normalize(path)
    } else {
        kustomize::normalize(&cwd.join(path))
    }
}

/// Reads at most `cap + 1` bytes. The first buffer fits a typical manifest,
/// so a small file costs one `read` and the one that reports the end.
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(16 * 1024);
    std::fs::File::open(path)?
        .take(cap.saturating_add(1))
        .read_to_end(&mut buf)?;
    Ok(buf)
}

fn pos_finding(rule: Rule, path: &Path, pos: Pos, message: String) -> Finding {
    Finding::new(rule, path.to_path_buf(), pos.line, pos.col, message)
}

/// A named file whose name says nothing (`s.txt`, no extension) is read as
/// a manifest when it looks like one (a top-level `kind:`): `kubectl apply
/// -f` reads it whatever its name.
fn sniff(file: &mut FileKind, bytes: &[u8]) {
    // Binary files (NUL bytes) are no manifests.
    if file.textual() || bytes.contains(&0) {
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let manifest = |key: &str| text.lines().any(|l| l.starts_with(key));
    if manifest("kind:") {
        file.yaml = true;
    } else if text.trim_start().starts_with('{') && text.contains("\"kind\"") {
        file.json = true;
    }
}

impl Checker {
    pub fn error(&self, path: &Path, message: impl Into<String>) {
        if let Ok(mut out) = self.out.lock() {
            out.errors.push(FileError {
                path: display(path),
                message: message.into(),
            });
        }
    }

    /// Checks one file. `path` is as the user or the walk named it; a file
    /// the user `named` is read as a manifest when it looks like one.
    pub fn check_file(&self, path: &Path, named: bool) {
        let shown = display(path);
        let abs = absolute_in(&self.cwd, path);
        if self.config.excluded(&abs) {
            return;
        }
        let mut file = self.kind_of(&abs);
        // A file that can hold a Secret or must be encrypted is read whole.
        let cap = if file.deep() {
            LARGEST_CHECKED
        } else {
            self.max_filesize
        };
        let bytes = match read_capped(path, cap) {
            Ok(b) => b,
            Err(e) => return self.error(path, e.to_string()),
        };
        if bytes.len() as u64 > cap {
            if file.deep() {
                self.error(
                    path,
                    format!("larger than {LARGEST_CHECKED} bytes: too large to check"),
                );
            } else if let Ok(mut out) = self.out.lock() {
                out.skipped.insert(abs, shown);
            }
            return;
        }
        if named {
            sniff(&mut file, &bytes);
        }
        let mut local = Local::default();
        self.check_bytes(&shown, &abs, &file, &bytes, &mut local);
        if let Ok(mut out) = self.out.lock() {
            out.seen.insert(abs, shown);
            out.findings.append(&mut local.findings);
            out.notes.append(&mut local.notes);
            out.refs.append(&mut local.refs);
            out.errors.append(&mut local.errors);
        }
    }

    /// What the name and `.sops.yaml` say about a file.
    fn kind_of(&self, abs: &Path) -> FileKind {
        let name = abs.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let cfg = abs.parent().and_then(|d| self.sops.for_dir(d));
        let own_config = matches!(name, ".sops.yaml" | crate::config::FILE_NAME);
        let lower = name.to_ascii_lowercase();
        FileKind {
            name: name.to_string(),
            // Helm includes `.tpl` helpers (`define`) into manifests;
            // Jinja and Go templates of manifests are YAML too.
            yaml: [".yaml", ".yml", ".tpl", ".j2", ".gotmpl", ".tmpl"]
                .iter()
                .any(|e| lower.ends_with(e)),
            json: lower.ends_with(".json"),
            env: lower.ends_with(".env"),
            kust: kustomize::is_kustomization(name),
            covering: cfg
                .as_deref()
                .filter(|_| !own_config)
                .and_then(|c| sops::covering_rule(c, abs).cloned()),
        }
    }

    fn check_bytes(
        &self,
        shown: &Path,
        abs: &Path,
        file: &FileKind,
        bytes: &[u8],
        local: &mut Local,
    ) {
        let name = file.name.as_str();
        let covering = file.covering.as_ref();
        let mut found = Vec::new();
        if self.rules.has(Rule::PrivateKey) {
            let hits = keys::find(bytes);
            for (line, col, kind) in keys::located(bytes, &hits) {
                let mut msg = format!("{kind} is committed");
                if keys::is_identity_file_name(name) {
                    msg.push_str(&format!(" (`{name}` is an age identity file)"));
                }
                found.push(Finding::new(
                    Rule::PrivateKey,
                    shown.to_path_buf(),
                    line,
                    col,
                    msg,
                ));
            }
        }
        let unencrypted = |found: &mut Vec<Finding>| {
            if let (Some(rule), true) = (covering, self.rules.has(Rule::UnencryptedFile)) {
                let re = rule.path_regex.as_ref().map_or("", |r| r.as_str());
                found.push(Finding::new(
                    Rule::UnencryptedFile,
                    shown.to_path_buf(),
                    1,
                    1,
                    format!("matches the .sops.yaml creation rule `path_regex: {re}` but is not encrypted"),
                ).with_fix(format!("Encrypt it: `hush encrypt -i {}` (or `sops -e -i {}`); rotate the values if they were pushed.", shown.display(), shown.display())));
            }
        };
        let decoded = match decode(bytes, file.textual()) {
            Text::Utf8(t) => Cow::Borrowed(t),
            Text::Decoded(t, why) => {
                // YAML, JSON and env files are text: one that is not gets
                // scanned as far as it reads, and the check does not pass.
                local.errors.push(FileError {
                    path: shown.to_path_buf(),
                    message: format!("{why}: checked as far as it can be read, fix the file"),
                });
                Cow::Owned(t)
            }
            Text::Utf16(t) => {
                local.note(shown, "UTF-16: checked after decoding");
                Cow::Owned(t)
            }
            Text::Binary => {
                // sops writes binary files as JSON, so a binary file a rule covers is plaintext.
                if !bytes.is_empty() {
                    unencrypted(&mut found);
                }
                return self.finish(shown, abs, None, false, found, local);
            }
        };
        // go-yaml breaks lines at NEL, U+2028 and U+2029 too: read them so.
        let decoded = match decoded {
            t if t.contains(GO_YAML_BREAKS) => Cow::Owned(t.replace(GO_YAML_BREAKS, "\n")),
            t => t,
        };
        let text: &str = &decoded;
        let has = |needle: &str| memmem::find(text.as_bytes(), needle.as_bytes()).is_some();
        let structured = file.yaml || file.json || file.kust;
        let fmt = if file.json {
            Format::Json
        } else {
            Format::Yaml
        };
        if !structured {
            let fmt = if file.env {
                Format::Dotenv
            } else {
                Format::from_path(name)
            };
            if covering.is_some() && !text.trim().is_empty() && !sops::is_encrypted(text, fmt) {
                unencrypted(&mut found);
            }
            return self.finish(shown, abs, Some(text), structured, found, local);
        }
        // Escapes in quoted scalars can spell `Secret` without writing it.
        // Templates can spell `Secret` by concatenation (`Sec{{ "ret" }}`).
        let needs_parse = has("Secret")
            || has("\\")
            || has("{{")
            || has("sops")
            || covering.is_some()
            || file.kust
            || self.rules.has(Rule::LikelySecret);
        if !needs_parse {
            return self.finish(shown, abs, Some(text), structured, found, local);
        }
        let secrets_on = self.rules.has(Rule::PlaintextSecret);
        let rendered =
            (file.yaml && template::is_template(text)).then(|| template::neutralise(text));
        let mut stream = false;
        let src: Cow<'_, str> = if let Some(r) = &rendered {
            Cow::Borrowed(r.text.as_str())
        } else if file.json {
            // Tabs are only whitespace in JSON; YAML flow rejects them as indentation.
            let t = text.replace('\t', " ");
            // kubectl reads a stream of JSON objects (`{…}{…}`): as a list.
            match json_stream(&t) {
                Some(list) => {
                    stream = true;
                    Cow::Owned(list)
                }
                None => Cow::Owned(t),
            }
        } else {
            Cow::Borrowed(text)
        };
        let before = found.len();
        match yaml::parse(&src) {
            Ok(docs) => {
                let docs = match docs.as_slice() {
                    [Node::Seq(items, _)] if stream => items.clone(),
                    _ => docs,
                };
                self.check_docs(shown, abs, text, fmt, &docs, &mut found, local);
                let plain = sops::sops_key(&docs).is_none();
                if plain && covering.is_some_and(|r| sops::holds_values_to_encrypt(&docs, r)) {
                    unencrypted(&mut found);
                }
                if secrets_on {
                    let dir = abs.parent().unwrap_or(Path::new("/"));
                    let (lits, refs) = if file.kust {
                        kustomize::generators(&docs, dir, shown)
                    } else {
                        kustomize::generator_docs(&docs, dir, shown)
                    };
                    for l in lits {
                        let s = if l.keys.len() == 1 { "" } else { "s" };
                        found.push(pos_finding(
                            Rule::PlaintextSecret,
                            shown,
                            l.pos,
                            format!(
                                "kustomize secretGenerator `{}` has plaintext literal{s} {}",
                                l.generator,
                                l.keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                            ),
                        ).with_fix("Move the values into a sops-encrypted env file or Secret (for example with KSOPS or Flux decryption) and rotate them."));
                    }
                    local.refs.extend(refs);
                }
            }
            Err(e) => {
                let kind = if file.json { "JSON" } else { "YAML" };
                local.note(
                    shown,
                    format!(
                        "not valid {kind} ({}:{}: {}); checked line by line",
                        rendered
                            .as_ref()
                            .map_or(e.pos.line, |r| r.source_line(e.pos.line)),
                        e.pos.col,
                        e.message
                    ),
                );
                let lenient = secret::find_lenient(&src);
                if secrets_on {
                    for s in &lenient {
                        found.push(pos_finding(
                            Rule::PlaintextSecret,
                            shown,
                            s.pos,
                            s.message(),
                        ));
                    }
                }
                // Unreadable, so only a Secret or a document without `kind` counts.
                let plain_config = !src.lines().any(|l| l.trim_start().starts_with("kind:"));
                if (!lenient.is_empty() || plain_config) && !sops::is_encrypted(text, fmt) {
                    unencrypted(&mut found);
                }
            }
        }
        // Rendering a template can add or remove lines: report source lines.
        if let Some(r) = &rendered {
            for f in &mut found[before..] {
                f.line = r.source_line(f.line);
            }
        }
        self.finish(shown, abs, Some(text), structured, found, local);
    }

    #[allow(clippy::too_many_arguments)]
    fn check_docs(
        &self,
        shown: &Path,
        abs: &Path,
        text: &str,
        fmt: Format,
        docs: &[Node<'_>],
        found: &mut Vec<Finding>,
        local: &mut Local,
    ) {
        let refused = |sealed: bool, found: &mut Vec<Finding>| {
            if self.rules.has(Rule::InvalidEncryptedSecret) {
                for r in crate::encrypted_secret::find(docs, sealed) {
                    found.push(pos_finding(
                        Rule::InvalidEncryptedSecret,
                        shown,
                        r.pos,
                        r.message,
                    ));
                }
            }
        };
        let Some(sops_pos) = sops::sops_key(docs) else {
            refused(false, found);
            if self.rules.has(Rule::PlaintextSecret) {
                for s in secret::find(docs, &[]) {
                    found.push(pos_finding(
                        Rule::PlaintextSecret,
                        shown,
                        s.pos,
                        s.message(),
                    ));
                }
            }
            if self.rules.has(Rule::LikelySecret) {
                for l in likely::find(docs) {
                    found.push(pos_finding(
                        Rule::LikelySecret,
                        shown,
                        l.pos,
                        format!(
                            "`{}` holds a high-entropy value ({:.1} bits per character) in plaintext",
                            l.key, l.entropy
                        ),
                    ));
                }
            }
            return;
        };
        let audit = match hush_core::audit(text, fmt) {
            Ok(a) => a,
            Err(e) => {
                if self.rules.has(Rule::BrokenEncryption) {
                    found.push(pos_finding(
                        Rule::BrokenEncryption,
                        shown,
                        sops_pos,
                        format!("the encrypted file cannot be read: {e}"),
                    ));
                }
                return;
            }
        };
        let Some(meta) = audit.metadata else { return };
        refused(true, found);
        if self.rules.has(Rule::EncryptedSecretOrder) {
            if let Ok(Some(msg)) = hush_core::encrypted_secret::cluster_problem(text, fmt, &meta) {
                found.push(pos_finding(
                    Rule::EncryptedSecretOrder,
                    shown,
                    sops_pos,
                    msg,
                ));
            }
        }
        let (sel_key, sel_val) = meta.selector.to_key();
        for f in &audit.findings {
            let at = Pos {
                line: f.line,
                col: f.column,
            };
            let (rule, msg) = match f.kind {
                AuditKind::PlaintextValue => (
                    Rule::PlaintextValue,
                    format!("`{}` is plaintext, but the file's selector (`{sel_key}: {sel_val}`) says to encrypt it", f.path),
                ),
                AuditKind::MalformedValue => (
                    Rule::BrokenEncryption,
                    format!("`{}` starts with `ENC[` but is not a valid encrypted value", f.path),
                ),
                AuditKind::MissingMac => (
                    Rule::BrokenEncryption,
                    "the sops metadata has no MAC or no lastmodified: the file was not written by sops, or was damaged".to_string(),
                ),
                AuditKind::NoMasterKeys => (
                    Rule::BrokenEncryption,
                    "the sops metadata lists no master key: nobody can decrypt this file".to_string(),
                ),
                _ => continue,
            };
            if self.rules.has(rule) {
                found.push(pos_finding(rule, shown, at, msg));
            }
        }
        if self.rules.has(Rule::PlaintextSecret) {
            let skip: Vec<usize> = audit.findings.iter().map(|f| f.line).collect();
            for s in secret::find(docs, &skip) {
                let msg = format!(
                    "{}, left unencrypted by the file's selector (`{sel_key}: {sel_val}`)",
                    s.message()
                );
                found.push(pos_finding(Rule::PlaintextSecret, shown, s.pos, msg));
            }
        }
        if self.rules.has(Rule::StaleRecipients) {
            let cfg = abs.parent().and_then(|d| self.sops.for_dir(d));
            if let Some(rule) = cfg.as_deref().and_then(|c| c.rule_for(abs)) {
                if let Some(msg) = sops::stale_recipients(&meta, rule) {
                    found.push(pos_finding(Rule::StaleRecipients, shown, sops_pos, msg).with_fix(
                        format!(
                            "Run `hush updatekeys {0}` (or `sops updatekeys {0}`); rotate the values if a recipient was removed.",
                            shown.display()
                        ),
                    ));
                }
            }
        }
        if let Some(ids) = &self.identities {
            let enc = Ciphertext::new(text.to_string(), fmt);
            let r =
                hush_core::block_on(hush_core::decrypt(&enc, &[ids], &DecryptOptions::default()));
            match r {
                Ok(_) => {}
                Err(CoreError::MacMismatch) if self.rules.has(Rule::MacMismatch) => {
                    found.push(pos_finding(
                        Rule::MacMismatch,
                        shown,
                        sops_pos,
                        "the MAC does not match the values: the file was changed without the key"
                            .into(),
                    ));
                }
                Err(
                    CoreError::NoDataKey(_)
                    | CoreError::Key { .. }
                    | CoreError::KeyTransient { .. },
                ) => {
                    local.note(shown, "not verified: no available key opens this file");
                }
                Err(CoreError::Unsupported(why)) => {
                    local.note(shown, format!("not verified: {why}"));
                }
                Err(CoreError::MacNotFound) => {}
                Err(e) if self.rules.has(Rule::BrokenEncryption) => {
                    found.push(pos_finding(
                        Rule::BrokenEncryption,
                        shown,
                        sops_pos,
                        format!("decryption failed: {e}"),
                    ));
                }
                Err(_) => {}
            }
        }
    }

    /// Applies inline and config suppressions, and reports broken ones.
    fn finish(
        &self,
        shown: &Path,
        abs: &Path,
        text: Option<&str>,
        structured: bool,
        mut found: Vec<Finding>,
        local: &mut Local,
    ) {
        if let Some(text) = text {
            // In YAML and JSON, a marker inside a value is not a comment.
            let scalars = match (structured, text.contains("hush:allow")) {
                (true, true) => yaml::scalar_spans(text).unwrap_or_default(),
                _ => Vec::new(),
            };
            let (allows, invalid) = suppress::parse(text, &scalars);
            for f in &mut found {
                if let Some(a) = suppress::covering(&allows, text, f.rule, f.line) {
                    f.suppressed = Some(Suppression {
                        kind: SuppressionKind::InSource,
                        reason: a.reason.clone(),
                    });
                }
            }
            for i in invalid {
                found.push(Finding::new(
                    Rule::InvalidSuppression,
                    shown.to_path_buf(),
                    i.line,
                    i.col,
                    i.message,
                ));
            }
        }
        for f in &mut found {
            if f.suppressed.is_some() {
                continue;
            }
            if let Some(a) = self.config.allowed(f.rule, abs) {
                f.suppressed = Some(Suppression {
                    kind: SuppressionKind::Config,
                    reason: a.reason.clone(),
                });
            }
        }
        local.findings.append(&mut found);
    }

    /// Checks the files kustomize generators read, where this run saw them.
    pub fn check_refs(&self) {
        let (refs, seen) = match self.out.lock() {
            Ok(mut out) => {
                let mut seen = out.seen.clone();
                seen.extend(out.skipped.drain());
                (std::mem::take(&mut out.refs), seen)
            }
            Err(_) => return,
        };
        let mut local = Local::default();
        let mut done = std::collections::HashSet::new();
        for r in refs {
            let Some(shown) = seen.get(&r.target) else {
                continue;
            };
            if r.kind == RefKind::Manifest {
                if done.insert(r.target.clone()) {
                    self.check_as_manifest(shown, &r.target, &mut local);
                }
                continue;
            }
            let Ok(bytes) = read_capped(&r.target, LARGEST_CHECKED) else {
                continue;
            };
            // sops writes text; bytes that are not UTF-8 are a plaintext file.
            let text = String::from_utf8_lossy(&bytes);
            let text: &str = &text;
            let name = r.target.to_string_lossy();
            let encrypted = std::str::from_utf8(&bytes).is_ok()
                && (sops::is_encrypted(text, Format::from_path(&name))
                    || (r.kind == RefKind::Env && sops::is_encrypted(text, Format::Dotenv)));
            if encrypted {
                continue;
            }
            let from = r.from.display();
            let finding = match r.kind {
                RefKind::Env => kustomize::first_env_value(text).map(|(line, key)| {
                    Finding::new(
                        Rule::PlaintextSecret,
                        shown.clone(),
                        line,
                        1,
                        format!("env file of kustomize secretGenerator `{}` ({from}) holds plaintext value `{key}`", r.generator),
                    )
                }),
                RefKind::Manifest => None,
                RefKind::File => (!bytes.is_empty()).then(|| {
                    Finding::new(
                        Rule::PlaintextSecret,
                        shown.clone(),
                        1,
                        1,
                        format!("read in plaintext by kustomize secretGenerator `{}` ({from})", r.generator),
                    )
                }),
            };
            if let Some(f) = finding {
                let f = f.with_fix("Encrypt the file with sops (`sops -e -i FILE`; kustomize needs KSOPS or Flux to decrypt it) and rotate the values.");
                // Only the suppression logic: invalid-suppression was reported when the file was checked.
                let mut found = vec![f];
                let (allows, _) = suppress::parse(text, &[]);
                if let Some(a) =
                    suppress::covering(&allows, text, Rule::PlaintextSecret, found[0].line)
                {
                    found[0].suppressed = Some(Suppression {
                        kind: SuppressionKind::InSource,
                        reason: a.reason.clone(),
                    });
                }
                if found[0].suppressed.is_none() {
                    if let Some(a) = self.config.allowed(Rule::PlaintextSecret, &r.target) {
                        found[0].suppressed = Some(Suppression {
                            kind: SuppressionKind::Config,
                            reason: a.reason.clone(),
                        });
                    }
                }
                local.findings.append(&mut found);
            }
        }
        if let Ok(mut out) = self.out.lock() {
            out.findings.append(&mut local.findings);
            out.notes.append(&mut local.notes);
            out.errors.append(&mut local.errors);
        }
    }

    /// Checks a file a kustomization reads as manifests, whose name did
    /// not make it YAML (`s.txt`, `s.YAML`): kustomize reads it as YAML.
    fn check_as_manifest(&self, shown: &Path, abs: &Path, local: &mut Local) {
        let mut file = self.kind_of(abs);
        if file.yaml || file.json || file.kust {
            return;
        }
        let bytes = match read_capped(abs, LARGEST_CHECKED) {
            Ok(b) if b.len() as u64 <= LARGEST_CHECKED => b,
            Ok(_) => {
                let msg = format!("larger than {LARGEST_CHECKED} bytes: too large to check");
                return self.error(shown, msg);
            }
            Err(e) => return self.error(shown, e.to_string()),
        };
        file.yaml = true;
        let mut mine = Local::default();
        self.check_bytes(shown, abs, &file, &bytes, &mut mine);
        // The first pass, as a plain file, reported these already.
        mine.findings.retain(|f| {
            !matches!(
                f.rule,
                Rule::PrivateKey | Rule::UnencryptedFile | Rule::InvalidSuppression
            )
        });
        local.findings.append(&mut mine.findings);
        local.notes.append(&mut mine.notes);
        local.errors.append(&mut mine.errors);
    }

    /// For files given by name: kustomizations beside them that were not
    /// given, read for their references only.
    pub fn load_sibling_kustomizations(&self, files: &[PathBuf]) {
        let mut dirs: Vec<PathBuf> = files
            .iter()
            .filter_map(|f| absolute_in(&self.cwd, f).parent().map(Path::to_path_buf))
            .collect();
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            for name in ["kustomization.yaml", "kustomization.yml", "Kustomization"] {
                let k = dir.join(name);
                let already = self
                    .out
                    .lock()
                    .map(|o| o.seen.contains_key(&k))
                    .unwrap_or(true);
                if already || !k.is_file() {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&k) else {
                    continue;
                };
                if let Ok(docs) = yaml::parse(&text) {
                    let (_, refs) = kustomize::generators(&docs, &dir, &k);
                    if let Ok(mut out) = self.out.lock() {
                        out.refs.extend(refs);
                    }
                }
            }
        }
    }
}
