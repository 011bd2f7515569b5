//! Which master keys each namespace may have the controller use.
//!
//! Without a policy every key the controller holds works everywhere. With
//! one, a tenant cannot make the controller decrypt another tenant's data
//! into their namespace, even with a valid file: keys outside the
//! namespace's list are never tried.

use hush_core::metadata::KeyEntry;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The keys one namespace may use.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Allowed {
    /// age recipients (`age1…`).
    #[serde(default)]
    pub age: Vec<String>,
    /// AWS KMS key ARNs.
    #[serde(default)]
    pub kms: Vec<String>,
}

impl Allowed {
    /// Whether `entry` is one of these keys.
    pub fn permits(&self, entry: &KeyEntry) -> bool {
        match entry {
            KeyEntry::Age(a) => self.age.iter().any(|r| r == &a.recipient),
            KeyEntry::Kms(k) => self.kms.iter().any(|arn| arn == &k.arn),
            // The controller runs no gpg (docs/controller.md).
            KeyEntry::Pgp(_) | KeyEntry::Other { .. } => false,
        }
    }
}

/// The per-namespace key policy (`--policy FILE`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// For namespaces not listed; with none, they may use no key.
    #[serde(default)]
    pub default: Option<Allowed>,
    /// Per namespace.
    #[serde(default)]
    pub namespaces: BTreeMap<String, Allowed>,
}

impl Policy {
    /// Reads a policy from YAML.
    pub fn from_yaml(text: &str) -> Result<Self, crate::Error> {
        serde_yaml_ng::from_str(text).map_err(|e| crate::Error::Config(format!("policy: {e}")))
    }

    /// Whether `entry` may be used for an object in `namespace`.
    pub fn permits(&self, namespace: &str, entry: &KeyEntry) -> bool {
        self.namespaces
            .get(namespace)
            .or(self.default.as_ref())
            .is_some_and(|a| a.permits(entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_core::metadata::{AgeEntry, KmsEntry};

    fn age(r: &str) -> KeyEntry {
        KeyEntry::Age(AgeEntry {
            recipient: r.into(),
            enc: String::new(),
        })
    }

    fn kms(arn: &str) -> KeyEntry {
        KeyEntry::Kms(KmsEntry {
            arn: arn.into(),
            role: None,
            context: vec![],
            created_at: String::new(),
            enc: String::new(),
            aws_profile: String::new(),
        })
    }

    #[test]
    fn namespaces_use_their_own_keys_and_default() {
        let p = Policy::from_yaml(
            "default:\n  age: [age1shared]\nnamespaces:\n  team-a:\n    age: [age1a]\n  team-b:\n    kms: [arn:aws:kms:eu-west-1:1:key/b]\n",
        )
        .unwrap();
        assert!(p.permits("team-a", &age("age1a")));
        assert!(
            !p.permits("team-a", &age("age1shared")),
            "a listed namespace does not inherit default"
        );
        assert!(!p.permits("team-b", &age("age1a")));
        assert!(p.permits("team-b", &kms("arn:aws:kms:eu-west-1:1:key/b")));
        assert!(!p.permits("team-a", &kms("arn:aws:kms:eu-west-1:1:key/b")));
        assert!(p.permits("other", &age("age1shared")));
        assert!(!p.permits("other", &age("age1a")));
    }

    #[test]
    fn no_default_means_unlisted_namespaces_get_nothing() {
        let p = Policy::from_yaml("namespaces:\n  a:\n    age: [age1a]\n").unwrap();
        assert!(!p.permits("b", &age("age1a")));
    }

    #[test]
    fn typos_are_errors() {
        let err = Policy::from_yaml("namespace:\n  a: {}\n").unwrap_err();
        assert!(err.to_string().contains("namespace"), "{err}");
    }
}
