//! Checking one file: read it safely, run every rule that applies, and
//! apply suppressions. The walk calls this from many threads.

use crate::config::CheckConfig;
use crate::finding::{FileError, Finding, Note, Suppression, SuppressionKind};
use crate::kustomize::{self, FileRef, RefKind};
use crate::rules::{Rule, RuleSet};
use crate::sops::{self, SopsConfigs};
use crate::yaml::{self, Node, Pos};
use crate::{keys, likely, secret, suppress};
use hush_core::keys::age::Identities;
use hush_core::{AuditKind, Ciphertext, DecryptOptions, Error as CoreError, Format};
use memchr::memmem;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Bytes looked at to decide that a file is binary, as git does.
const BINARY_PROBE: usize = 8000;

/// Results gathered from all threads.
#[derive(Default)]
pub(crate) struct Collected {
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub errors: Vec<FileError>,
    pub refs: Vec<FileRef>,
    /// Every checked file: absolute path to the path shown to the user.
    pub seen: HashMap<PathBuf, PathBuf>,
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

impl Checker {
    pub fn error(&self, path: &Path, message: impl Into<String>) {
        if let Ok(mut out) = self.out.lock() {
            out.errors.push(FileError {
                path: display(path),
                message: message.into(),
            });
        }
    }

    /// Checks one file. `path` is as the user or the walk named it.
    pub fn check_file(&self, path: &Path) {
        let shown = display(path);
        let abs = absolute_in(&self.cwd, path);
        if self.config.excluded(&abs) {
            return;
        }
        let bytes = match read_capped(path, self.max_filesize) {
            Ok(b) => b,
            Err(e) => return self.error(path, e.to_string()),
        };
        let mut local = Local::default();
        self.check_bytes(&shown, &abs, &bytes, &mut local);
        if let Ok(mut out) = self.out.lock() {
            out.seen.insert(abs, shown);
            out.findings.append(&mut local.findings);
            out.notes.append(&mut local.notes);
            out.refs.append(&mut local.refs);
        }
    }

    fn check_bytes(&self, shown: &Path, abs: &Path, bytes: &[u8], local: &mut Local) {
        let name = abs.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        let is_json = name.ends_with(".json");
        let is_kust = kustomize::is_kustomization(name);
        let cfg = abs.parent().and_then(|d| self.sops.for_dir(d));
        let own_config = matches!(name, ".sops.yaml" | crate::config::FILE_NAME);
        let covering = cfg
            .as_deref()
            .filter(|_| !own_config)
            .and_then(|c| sops::covering_rule(c, abs));
        if bytes.len() as u64 > self.max_filesize {
            if is_yaml || is_json || covering.is_some() {
                local.note(
                    shown,
                    format!(
                        "skipped: larger than {} bytes (raise --max-filesize to check it)",
                        self.max_filesize
                    ),
                );
            }
            return;
        }
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
        let binary = memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some();
        let text = match std::str::from_utf8(bytes) {
            Ok(t) if !binary => t,
            _ => {
                // sops writes binary files as JSON, so a binary file a rule covers is plaintext.
                if !bytes.is_empty() {
                    unencrypted(&mut found);
                }
                return self.finish(shown, abs, None, found, local);
            }
        };
        let has = |needle: &str| memmem::find(bytes, needle.as_bytes()).is_some();
        let structured = is_yaml || is_json || is_kust;
        let needs_parse = structured
            && (has("Secret")
                || has("sops")
                || covering.is_some()
                || is_kust
                || self.rules.has(Rule::LikelySecret));
        let secrets_on = self.rules.has(Rule::PlaintextSecret);
        if !structured {
            if !text.trim().is_empty() && !kustomize::looks_encrypted(text) {
                unencrypted(&mut found);
            }
        } else if is_yaml && secret::is_template(text) && !kustomize::looks_encrypted(text) {
            if secrets_on && has("Secret") {
                local.note(
                    shown,
                    "Go template: checked line by line, not parsed as YAML",
                );
                for s in secret::find_lenient(text) {
                    found.push(pos_finding(
                        Rule::PlaintextSecret,
                        shown,
                        s.pos,
                        s.message(),
                    ));
                }
            }
            if !text.trim().is_empty() && !kustomize::looks_encrypted(text) {
                unencrypted(&mut found);
            }
        } else if needs_parse {
            let json_text;
            let src = if is_json {
                // Tabs are only whitespace in JSON; YAML flow rejects them as indentation.
                json_text = text.replace('\t', " ");
                &json_text
            } else {
                text
            };
            match yaml::parse(src) {
                Ok(docs) => {
                    let fmt = if is_json { Format::Json } else { Format::Yaml };
                    self.check_docs(shown, abs, text, fmt, &docs, &mut found, local);
                    if sops::sops_key(&docs).is_none() && !docs.iter().all(Node::is_empty) {
                        unencrypted(&mut found);
                    }
                    if is_kust && secrets_on {
                        let dir = abs.parent().unwrap_or(Path::new("/"));
                        let (lits, refs) = kustomize::generators(&docs, dir, shown);
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
                    let kind = if is_json { "JSON" } else { "YAML" };
                    local.note(
                        shown,
                        format!(
                            "not valid {kind} ({}:{}: {}); checked line by line",
                            e.pos.line, e.pos.col, e.message
                        ),
                    );
                    if secrets_on && !is_json {
                        for s in secret::find_lenient(text) {
                            found.push(pos_finding(
                                Rule::PlaintextSecret,
                                shown,
                                s.pos,
                                s.message(),
                            ));
                        }
                    }
                    if !kustomize::looks_encrypted(text) {
                        unencrypted(&mut found);
                    }
                }
            }
        }
        self.finish(shown, abs, Some(text), found, local);
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
        let Some(sops_pos) = sops::sops_key(docs) else {
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
        if self.rules.has(Rule::EncryptedSecretOrder) {
            if let Ok(Some(msg)) = hush_core::scope::cluster_problem(text, fmt, &meta) {
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
                Err(CoreError::NoDataKey(_)) | Err(CoreError::Key { .. }) => {
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
        mut found: Vec<Finding>,
        local: &mut Local,
    ) {
        if let Some(text) = text {
            let (allows, invalid) = suppress::parse(text);
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
            Ok(mut out) => (std::mem::take(&mut out.refs), out.seen.clone()),
            Err(_) => return,
        };
        let mut local = Local::default();
        for r in refs {
            let Some(shown) = seen.get(&r.target) else {
                continue;
            };
            let Ok(bytes) = read_capped(&r.target, self.max_filesize) else {
                continue;
            };
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue;
            };
            if kustomize::looks_encrypted(text) {
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
                RefKind::File => (!text.trim().is_empty()).then(|| {
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
                let (allows, _) = suppress::parse(text);
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
        }
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
