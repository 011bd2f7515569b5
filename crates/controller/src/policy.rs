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
    /// IAM roles the controller may assume for these KMS keys. A file's
    /// `role` must be listed here; without a policy no role is assumed.
    #[serde(default)]
    pub kms_roles: Vec<String>,
    /// Encryption-context pairs every KMS entry must carry, so a KMS key
    /// policy conditioned on them tells namespaces apart.
    #[serde(default)]
    pub kms_context: BTreeMap<String, String>,
}

impl Allowed {
    /// Whether `entry` is one of these keys.
    pub fn permits(&self, entry: &KeyEntry) -> bool {
        match entry {
            KeyEntry::Age(a) => self.age.iter().any(|r| r == &a.recipient),
            KeyEntry::Kms(k) => {
                let role_ok = k
                    .role
                    .as_ref()
                    .is_none_or(|r| self.kms_roles.iter().any(|l| l == r));
                let context_ok = self
                    .kms_context
                    .iter()
                    .all(|(name, value)| k.context.iter().any(|(n, v)| n == name && v == value));
                self.kms.iter().any(|arn| arn == &k.arn) && role_ok && context_ok
            }
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
    fn kms_roles_and_context_are_pinned_per_namespace() {
        let p = Policy::from_yaml(
            "namespaces:\n  a:\n    kms: [arn:aws:kms:eu-west-1:1:key/k]\n    kms_roles: [arn:aws:iam::1:role/a]\n    kms_context: {namespace: a}\n",
        )
        .unwrap();
        let entry = |role: Option<&str>, ctx: &[(&str, &str)]| {
            KeyEntry::Kms(KmsEntry {
                arn: "arn:aws:kms:eu-west-1:1:key/k".into(),
                role: role.map(Into::into),
                context: ctx
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                created_at: String::new(),
                enc: String::new(),
                aws_profile: String::new(),
            })
        };
        let a = [("namespace", "a")];
        assert!(p.permits("a", &entry(None, &a)));
        assert!(p.permits("a", &entry(Some("arn:aws:iam::1:role/a"), &a)));
        assert!(
            !p.permits("a", &entry(Some("arn:aws:iam::1:role/admin"), &a)),
            "a role the policy does not list is never assumed"
        );
        assert!(!p.permits("a", &entry(None, &[])), "pinned context missing");
        assert!(!p.permits("a", &entry(None, &[("namespace", "b")])));
        assert!(p.permits("a", &entry(None, &[("namespace", "a"), ("app", "x")])));
    }

    #[test]
    fn typos_are_errors() {
        let err = Policy::from_yaml("namespace:\n  a: {}\n").unwrap_err();
        assert!(err.to_string().contains("namespace"), "{err}");
    }
}
