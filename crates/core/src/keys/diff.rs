//! The difference between a file's master keys and its creation rule's:
//! what `updatekeys` would add and remove, and what `hush check` reports as
//! stale recipients.
//!
//! Keys compare by kind and identity, not spelling: age recipients and ARNs
//! trimmed, PGP fingerprints without spaces or `0x` in upper case. Backends
//! whose rule and metadata spellings differ (Azure, Vault) compare by kind
//! only, so they never cause a false alarm.

use crate::metadata::{KeyEntry, Metadata};
use crate::rules::{CreationRule, RuleGroup};
use crate::Value;

/// One master key as compared.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyId {
    /// The metadata list: `age`, `kms`, `pgp`, `gcp_kms`, …
    pub kind: String,
    /// The recipient, ARN, fingerprint or resource; empty when the kind
    /// alone is compared.
    pub id: String,
}

impl KeyId {
    fn new(kind: &str, id: &str) -> KeyId {
        KeyId {
            kind: kind.to_string(),
            id: id.trim().to_string(),
        }
    }

    /// The key's own name: the recipient, ARN or fingerprint (the kind
    /// when that is all that is compared).
    pub fn name(&self) -> &str {
        if self.id.is_empty() {
            &self.kind
        } else {
            &self.id
        }
    }
}

impl std::fmt::Display for KeyId {
    /// `kind id`, as `hush check` names keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.id.is_empty() {
            f.write_str(&self.kind)
        } else {
            write!(f, "{} {}", self.kind, self.id)
        }
    }
}

/// Backend names in `.sops.yaml` and in metadata differ for two backends.
fn backend(kind: &str) -> &str {
    match kind {
        "azure_keyvault" => "azure_kv",
        "hc_vault_transit_uri" => "hc_vault",
        k => k,
    }
}

/// A PGP fingerprint as compared: gpg and sops accept it with spaces, in
/// either case and with a `0x` prefix.
fn pgp_id(fp: &str) -> KeyId {
    let fp: String = fp.chars().filter(|c| !c.is_whitespace()).collect();
    let fp = fp
        .strip_prefix("0x")
        .or_else(|| fp.strip_prefix("0X"))
        .unwrap_or(&fp);
    KeyId::new("pgp", &fp.to_ascii_uppercase())
}

/// A key of a backend hush has no provider for, from its entry.
fn other_id(kind: &str, v: &Value) -> KeyId {
    let kind = backend(kind);
    let field = |names: &[&str]| match v {
        Value::Scalar(s) => Some(s.clone()),
        _ => names
            .iter()
            .find_map(|n| v.get(n).and_then(Value::as_str).map(str::to_string)),
    };
    let id = match kind {
        "kms" => field(&["arn"]),
        "pgp" => return field(&["fp"]).map_or(KeyId::new("pgp", ""), |f| pgp_id(&f)),
        "gcp_kms" => field(&["resource_id"]),
        _ => None,
    };
    KeyId::new(kind, id.as_deref().unwrap_or(""))
}

/// The key of a metadata entry.
pub fn entry_id(e: &KeyEntry) -> KeyId {
    match e {
        KeyEntry::Age(a) => KeyId::new("age", &a.recipient),
        KeyEntry::Kms(k) => KeyId::new("kms", &k.arn),
        KeyEntry::Pgp(p) => pgp_id(&p.fp),
        KeyEntry::Other { kind, value } => other_id(kind, value),
    }
}

/// The keys of one creation-rule group, in rule order.
pub fn rule_group_ids(g: &RuleGroup) -> Vec<KeyId> {
    g.age
        .iter()
        .map(|a| KeyId::new("age", a))
        .chain(g.kms.iter().map(|k| KeyId::new("kms", &k.arn)))
        .chain(g.pgp.iter().map(|f| pgp_id(f)))
        .chain(g.other.iter().map(|(k, v)| other_id(k, v)))
        .collect()
}

/// A file's key groups against its rule's, each in its own order.
#[derive(Clone, Debug)]
pub struct KeyDiff {
    /// The file's groups.
    pub have: Vec<Vec<KeyId>>,
    /// The rule's groups.
    pub want: Vec<Vec<KeyId>>,
    /// The file's Shamir threshold and the one the rule gives it (none
    /// for a single group).
    pub threshold: (Option<u32>, Option<u32>),
}

impl KeyDiff {
    /// Compares a file's metadata with a creation rule.
    pub fn new(meta: &Metadata, rule: &CreationRule) -> KeyDiff {
        let have = meta
            .groups
            .iter()
            .map(|g| g.keys.iter().map(entry_id).collect())
            .collect();
        let want: Vec<Vec<KeyId>> = rule.key_groups.iter().map(rule_group_ids).collect();
        let wanted = rule.shamir_threshold.filter(|_| want.len() > 1);
        KeyDiff {
            have,
            want,
            threshold: (meta.shamir_threshold, wanted),
        }
    }

    /// Whether the groups hold the same keys: each group a set, the groups
    /// a set, empty groups ignored.
    pub fn same_keys(&self) -> bool {
        canonical(&self.have) == canonical(&self.want)
    }

    /// Whether keys and threshold both match: nothing for `updatekeys` to do.
    pub fn is_empty(&self) -> bool {
        self.same_keys() && self.threshold.0 == self.threshold.1
    }

    /// Keys the rule names that the file lacks (sorted by group, then key).
    pub fn added(&self) -> Vec<&KeyId> {
        missing(&self.want, &self.have)
    }

    /// Keys the file has that the rule no longer names (sorted likewise).
    pub fn removed(&self) -> Vec<&KeyId> {
        missing(&self.have, &self.want)
    }

    /// The number of non-empty groups in the file and in the rule.
    pub fn group_counts(&self) -> (usize, usize) {
        (canonical(&self.have).len(), canonical(&self.want).len())
    }
}

fn canonical(groups: &[Vec<KeyId>]) -> Vec<Vec<&KeyId>> {
    let mut out: Vec<Vec<&KeyId>> = groups
        .iter()
        .filter(|g| !g.is_empty())
        .map(|g| {
            let mut g: Vec<&KeyId> = g.iter().collect();
            g.sort();
            g
        })
        .collect();
    out.sort();
    out
}

fn missing<'a>(from: &'a [Vec<KeyId>], other: &[Vec<KeyId>]) -> Vec<&'a KeyId> {
    let other: Vec<&KeyId> = other.iter().flatten().collect();
    canonical(from)
        .into_iter()
        .flatten()
        .filter(|k| !other.contains(k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{AgeEntry, KeyGroup, PgpEntry};

    fn meta(keys: Vec<KeyEntry>) -> Metadata {
        Metadata {
            groups: vec![KeyGroup { keys }],
            ..Default::default()
        }
    }

    fn age(r: &str) -> KeyEntry {
        KeyEntry::Age(AgeEntry {
            recipient: r.into(),
            enc: String::new(),
        })
    }

    fn rule(age: &[&str], pgp: &[&str]) -> CreationRule {
        CreationRule {
            key_groups: vec![RuleGroup {
                age: age.iter().map(|s| s.to_string()).collect(),
                pgp: pgp.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn groups_compare_as_sets_and_name_what_changes() {
        let m = meta(vec![age("age1a"), age("age1c")]);
        assert!(KeyDiff::new(
            &meta(vec![age("age1b"), age("age1a")]),
            &rule(&["age1a", "age1b"], &[])
        )
        .is_empty());
        let d = KeyDiff::new(&m, &rule(&["age1a", "age1b"], &[]));
        assert!(!d.same_keys());
        assert_eq!(
            d.added().iter().map(|k| k.to_string()).collect::<Vec<_>>(),
            ["age age1b"]
        );
        assert_eq!(
            d.removed().iter().map(|k| k.name()).collect::<Vec<_>>(),
            ["age1c"]
        );
    }

    #[test]
    fn pgp_fingerprints_compare_by_key_not_spelling() {
        const FP: &str = "6C3BB7CCACC9454507A212398503DFE85193F53A";
        let m = meta(vec![KeyEntry::Pgp(PgpEntry {
            fp: FP.to_ascii_lowercase(),
            enc: String::new(),
            created_at: String::new(),
        })]);
        assert!(KeyDiff::new(&m, &rule(&[], &[&format!("0x{FP}")])).same_keys());
        assert!(!KeyDiff::new(
            &m,
            &rule(&[], &["0000000000000000000000000000000000000001"])
        )
        .same_keys());
    }
}
