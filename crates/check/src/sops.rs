//! Checks of sops-encrypted files and of files `.sops.yaml` says to
//! encrypt: structure without keys, recipients against the creation rule,
//! and (with keys) the MAC.

use crate::yaml::{Node, Pos};
use hush_core::keys::diff::{KeyDiff, KeyId};
use hush_core::metadata::Metadata;
use hush_core::rules::{Config, CreationRule};
use hush_core::{AuditKind, Format, Selector};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The `sops` key of the first document, when the file is encrypted.
pub(crate) fn sops_key(docs: &[Node<'_>]) -> Option<Pos> {
    let (k, v) = docs.first()?.entry("sops")?;
    matches!(v, Node::Map(..)).then_some(k.pos)
}

/// Whether `text` is a sops file: it parses as `format` with `sops`
/// metadata holding a MAC and `lastmodified`, and every value its own
/// selector selects is encrypted. A `sops:` line or a `sops_mac=` line
/// alone is not enough.
pub(crate) fn is_encrypted(text: &str, format: Format) -> bool {
    match hush_core::audit(text, format) {
        Ok(a) => {
            a.metadata.is_some() && a.findings.iter().all(|f| f.kind == AuditKind::NoMasterKeys)
        }
        Err(_) => false,
    }
}

/// Whether a parsed file holds something its creation rule would encrypt,
/// where leaving it plaintext matters: a non-empty value the rule's
/// selector selects, in a Secret (also a `kind: List` item) or in a
/// document that is not a Kubernetes object at all (plain config).
/// ConfigMaps, Deployments and the like are not secrets, whatever the
/// rule's `path_regex` says.
pub(crate) fn holds_values_to_encrypt(docs: &[Node<'_>], rule: &CreationRule) -> bool {
    let default = Selector::default();
    let sel = rule.selector.as_ref().unwrap_or(&default);
    docs.iter().any(|d| must_encrypt(d, sel))
}

fn must_encrypt(doc: &Node<'_>, sel: &Selector) -> bool {
    let kind = crate::secret::kind_of(doc);
    let k8s = kind.is_some() && doc.get("apiVersion").is_some();
    match kind {
        _ if crate::secret::is_secret(doc) => selected(doc, sel, &mut Vec::new()),
        Some(k) if k.ends_with("List") => match doc.get("items") {
            Some(Node::Seq(items, _)) => items.iter().any(|i| must_encrypt(i, sel)),
            _ => false,
        },
        _ if k8s => false,
        _ => selected(doc, sel, &mut Vec::new()),
    }
}

/// Whether a non-empty literal leaf under `node` is one `sel` encrypts.
/// Comment-based selectors cannot be judged without the comments: every
/// value counts.
fn selected<'n>(node: &'n Node<'_>, sel: &Selector, path: &mut Vec<&'n str>) -> bool {
    match node {
        Node::Map(items, _) => items.iter().any(|(k, v)| {
            path.push(&k.text);
            let hit = selected(v, sel, path);
            path.pop();
            hit
        }),
        Node::Seq(items, _) => items.iter().any(|v| selected(v, sel, path)),
        Node::Scalar(s) => {
            let empty = s.is_null() || s.text.is_empty() || s.text.contains(crate::template::MARK);
            let comments = matches!(
                sel,
                Selector::UnencryptedCommentRegex(_) | Selector::EncryptedCommentRegex(_)
            );
            !empty && (comments || sel.should_encrypt(path, &[], false))
        }
        Node::Alias(_) => false,
    }
}

/// When the file's recipients differ from the rule's: a message naming the
/// keys to add and to remove.
pub(crate) fn stale_recipients(meta: &Metadata, rule: &CreationRule) -> Option<String> {
    let diff = KeyDiff::new(meta, rule);
    let (have, want) = diff.group_counts();
    if want == 0 || diff.same_keys() {
        return None;
    }
    let list = |v: &[&KeyId]| {
        v.iter()
            .map(|k| format!("`{}`", short(&k.to_string())))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (added, removed) = (diff.added(), diff.removed());
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("not encrypted for {}", list(&added)));
    }
    if !removed.is_empty() {
        parts.push(format!("still encrypted for {}", list(&removed)));
    }
    if parts.is_empty() {
        parts.push(format!(
            "key groups differ ({have} in the file, {want} in the rule)"
        ));
    }
    Some(format!(
        "recipients differ from the .sops.yaml creation rule: {}",
        parts.join("; ")
    ))
}

/// Shortens long recipients for one-line messages.
fn short(s: &str) -> String {
    if s.chars().count() > 28 {
        let head: String = s.chars().take(20).collect();
        let tail: String = s
            .chars()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("{head}…{tail}")
    } else {
        s.to_string()
    }
}

/// `.sops.yaml` files by directory, each loaded once. sops itself finds
/// its config from the working directory; a repository check finds the
/// nearest one above each file, which is what sops does when run there.
#[derive(Default)]
pub(crate) struct SopsConfigs {
    by_dir: Mutex<HashMap<PathBuf, Option<Arc<Config>>>>,
    errors: Mutex<Vec<(PathBuf, String)>>,
}

impl SopsConfigs {
    /// The nearest config at or above `dir` (absolute).
    pub fn for_dir(&self, dir: &Path) -> Option<Arc<Config>> {
        if let Some(hit) = self.by_dir.lock().ok()?.get(dir) {
            return hit.clone();
        }
        let candidate = dir.join(".sops.yaml");
        let found = if candidate.is_file() {
            match Config::load(&candidate) {
                Ok(c) => Some(Arc::new(c)),
                Err(e) => {
                    if let Ok(mut errs) = self.errors.lock() {
                        errs.push((candidate, e.to_string()));
                    }
                    None
                }
            }
        } else {
            dir.parent().and_then(|p| self.for_dir(p))
        };
        if let Ok(mut m) = self.by_dir.lock() {
            m.insert(dir.to_path_buf(), found.clone());
        }
        found
    }

    /// Configs that failed to load.
    pub fn take_errors(&self) -> Vec<(PathBuf, String)> {
        self.errors
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }
}

/// The creation rule with an explicit `path_regex` that covers `abs`.
/// Catch-all rules (no `path_regex`) say which keys to use, not which
/// files must be encrypted, so they do not count here.
pub(crate) fn covering_rule<'c>(cfg: &'c Config, abs: &Path) -> Option<&'c CreationRule> {
    cfg.rule_for(abs).filter(|r| r.path_regex.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_core::metadata::{AgeEntry, KeyEntry, KeyGroup};
    use hush_core::rules::RuleGroup;

    fn meta(recipients: &[&str]) -> Metadata {
        Metadata {
            groups: vec![KeyGroup {
                keys: recipients
                    .iter()
                    .map(|r| {
                        KeyEntry::Age(AgeEntry {
                            recipient: r.to_string(),
                            enc: String::new(),
                        })
                    })
                    .collect(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn recipients_compare_as_sets_per_group() {
        let rule = CreationRule {
            key_groups: vec![RuleGroup {
                age: vec!["age1b".into(), "age1a".into()],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(stale_recipients(&meta(&["age1a", "age1b"]), &rule), None);
        let msg = stale_recipients(&meta(&["age1a", "age1c"]), &rule).unwrap();
        assert!(msg.contains("not encrypted for `age age1b`"), "{msg}");
        assert!(msg.contains("still encrypted for `age age1c`"), "{msg}");
        assert_eq!(
            stale_recipients(&meta(&["age1a"]), &CreationRule::default()),
            None
        );
    }

    #[test]
    fn pgp_fingerprints_compare_by_key_not_spelling() {
        const FP: &str = "6C3BB7CCACC9454507A212398503DFE85193F53A";
        let mut m = meta(&[]);
        m.groups[0]
            .keys
            .push(KeyEntry::Pgp(hush_core::metadata::PgpEntry {
                fp: FP.to_ascii_lowercase(),
                enc: String::new(),
                created_at: String::new(),
            }));
        let rule = |fp: &str| CreationRule {
            key_groups: vec![RuleGroup {
                pgp: vec![fp.to_string()],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(stale_recipients(&m, &rule(FP)), None);
        assert_eq!(stale_recipients(&m, &rule(&format!("0x{FP}"))), None);
        let other = "0000000000000000000000000000000000000001";
        let msg = stale_recipients(&m, &rule(other)).unwrap();
        assert!(
            msg.contains("not encrypted for `pgp 0000000000000000"),
            "{msg}"
        );
        assert!(
            msg.contains("still encrypted for `pgp 6C3BB7CCACC94545"),
            "{msg}"
        );
    }

    #[test]
    fn sops_key_is_found_in_the_first_document_only() {
        let docs = crate::yaml::parse("a: 1\nsops:\n  mac: x\n").unwrap();
        assert_eq!(sops_key(&docs).unwrap().line, 2);
        assert!(sops_key(&crate::yaml::parse("sops: 1\n").unwrap()).is_none());
    }
}
