//! The encryption plan: which master keys and options encrypt a file.
//!
//! One resolver for every command that encrypts (encrypt, edit of a new
//! file, seal, updatekeys): keys named on the command line make one key
//! group; otherwise the groups of the `.sops.yaml` creation rule that
//! matches the file. Options given as flags override the rule's.

use crate::keys::age::Recipient;
use crate::keys::kms::{parse_context, KmsKey};
use crate::keys::pgp::PgpKey;
use crate::keys::MasterKey;
use crate::rules::{Config, CreationRule};
use crate::{Cipher, EncryptOptions, Error, KeyGroups, Result, Selector};
use std::path::Path;
use std::sync::Arc;

/// Master keys named on the command line or in the environment
/// (`--age`, `--pgp`, `--kms` and the KMS key options).
#[derive(Clone, Debug, Default)]
pub struct KeyNames {
    /// age recipients (`age1…`, SSH, plugin).
    pub age: Vec<String>,
    /// PGP fingerprints.
    pub pgp: Vec<String>,
    /// AWS KMS ARNs, `ARN+ROLE_ARN` to assume a role.
    pub kms: Vec<String>,
    /// The AWS profile for the KMS keys.
    pub aws_profile: Option<String>,
    /// The KMS encryption context, as `key:value,key2:value2`.
    pub encryption_context: Option<String>,
}

impl KeyNames {
    /// The named keys as one group; `None` when none are named.
    pub fn group(&self) -> Result<Option<Vec<Arc<dyn MasterKey>>>> {
        if self.age.is_empty() && self.kms.is_empty() && self.pgp.is_empty() {
            return Ok(None);
        }
        let mut keys = age_recipients(&self.age)?;
        keys.extend(self.kms_keys()?);
        keys.extend(pgp_keys(&self.pgp)?);
        Ok(Some(keys))
    }

    fn kms_keys(&self) -> Result<Vec<Arc<dyn MasterKey>>> {
        let context = match &self.encryption_context {
            Some(c) => parse_context(c).map_err(key_spec)?,
            None => Vec::new(),
        };
        self.kms
            .iter()
            .filter(|k| !k.trim().is_empty())
            .map(|k| {
                let mut key: KmsKey = k.parse().map_err(key_spec)?;
                key.context = context.clone();
                key.aws_profile = self.aws_profile.clone();
                Ok(Arc::new(key) as Arc<dyn MasterKey>)
            })
            .collect()
    }
}

/// A key as written that hush cannot use: exit 1, as sops's failure to
/// encrypt.
fn key_spec(e: Error) -> Error {
    Error::KeySpec(e.to_string())
}

/// age recipients; blank entries are skipped.
pub fn age_recipients(list: &[String]) -> Result<Vec<Arc<dyn MasterKey>>> {
    list.iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .map(|r| {
            r.parse::<Recipient>()
                .map(|r| Arc::new(r) as Arc<dyn MasterKey>)
                // sops: "failed to parse input, unknown recipient type", exit 1.
                .map_err(|e| Error::KeySpec(e.to_string()))
        })
        .collect()
}

/// PGP keys by fingerprint; a short key ID is refused.
pub fn pgp_keys(list: &[String]) -> Result<Vec<Arc<dyn MasterKey>>> {
    list.iter()
        .filter(|f| !f.trim().is_empty())
        .map(|f| {
            f.parse::<PgpKey>()
                .map(|k| Arc::new(k) as Arc<dyn MasterKey>)
                .map_err(key_spec)
        })
        .collect()
}

/// The key groups of a creation rule; a backend hush lacks is refused.
pub fn rule_keys(rule: &CreationRule) -> Result<KeyGroups> {
    rule.key_groups
        .iter()
        .map(|g| {
            if let Some((kind, _)) = g.other.first() {
                return Err(Error::KeySpec(format!(
                    "{kind} keys in .sops.yaml are not supported by hush"
                )));
            }
            let mut keys = age_recipients(&g.age)?;
            keys.extend(
                g.kms
                    .iter()
                    .map(|k| Arc::new(k.clone()) as Arc<dyn MasterKey>),
            );
            keys.extend(pgp_keys(&g.pgp)?);
            Ok(keys)
        })
        .collect()
}

/// What the command line says, over the creation rule.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Keys that replace the rule's groups.
    pub keys: KeyNames,
    /// A selector that replaces the rule's.
    pub selector: Option<Selector>,
    /// `--mac-only-encrypted` (on if either the flag or the rule says so).
    pub mac_only_encrypted: bool,
    /// The value cipher.
    pub cipher: Cipher,
    /// `--shamir-secret-sharing-threshold`.
    pub shamir_threshold: Option<u32>,
}

/// How one file is encrypted.
pub struct Plan {
    /// The key groups; empty when neither flags nor a rule name any.
    pub groups: KeyGroups,
    /// Selector, MAC scope, cipher and threshold.
    pub options: EncryptOptions,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Plan({} key groups, {:?})",
            self.groups.len(),
            self.options
        )
    }
}

impl Plan {
    /// The plan for the file at `path`: the overrides, then the creation
    /// rule of `config` that matches `path`, then the defaults.
    pub fn resolve(config: Option<&Config>, path: &Path, over: &Overrides) -> Result<Plan> {
        let rule = config.and_then(|cfg| cfg.rule_for(path));
        Plan::with_rule(rule, over)
    }

    /// The plan from one creation rule (or none) and the overrides.
    pub fn with_rule(rule: Option<&CreationRule>, over: &Overrides) -> Result<Plan> {
        let groups = match (over.keys.group()?, rule) {
            (Some(keys), _) => vec![keys],
            (None, Some(r)) => rule_keys(r)?,
            (None, None) => Vec::new(),
        };
        let options = EncryptOptions {
            selector: match &over.selector {
                Some(s) => s.clone(),
                None => rule.and_then(|r| r.selector.clone()).unwrap_or_default(),
            },
            mac_only_encrypted: over.mac_only_encrypted
                || rule.is_some_and(|r| r.mac_only_encrypted),
            cipher: over.cipher,
            shamir_threshold: over
                .shamir_threshold
                .or(rule.and_then(|r| r.shamir_threshold)),
        };
        Ok(Plan { groups, options })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGE: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    fn config() -> Config {
        let text = format!(
            "creation_rules:\n  - path_regex: secret\n    encrypted_regex: ^data$\n    mac_only_encrypted: true\n    age: {AGE}\n"
        );
        Config::parse(&text, Path::new("/repo/.sops.yaml")).unwrap()
    }

    #[test]
    fn the_rule_decides_unless_a_flag_overrides() {
        let cfg = config();
        let plan = Plan::resolve(
            Some(&cfg),
            Path::new("/repo/secret.yaml"),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(plan.groups.len(), 1);
        assert_eq!(plan.groups[0][0].describe(), AGE);
        assert!(plan.options.mac_only_encrypted);
        assert!(format!("{:?}", plan.options.selector).contains("^data$"));
        let over = Overrides {
            selector: Some(Selector::from_key("encrypted_regex", "^x$").unwrap()),
            keys: KeyNames {
                pgp: vec!["0123456789ABCDEF0123456789ABCDEF01234567".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        let plan = Plan::resolve(Some(&cfg), Path::new("/repo/secret.yaml"), &over).unwrap();
        assert_eq!(plan.groups[0][0].kind(), "pgp");
        assert!(format!("{:?}", plan.options.selector).contains("^x$"));
        let none = Plan::resolve(
            Some(&cfg),
            Path::new("/repo/other.yaml"),
            &Overrides::default(),
        )
        .unwrap();
        assert!(none.groups.is_empty() && !none.options.mac_only_encrypted);
    }

    #[test]
    fn unusable_keys_exit_1() {
        let bad = KeyNames {
            kms: vec!["not-an-arn".into()],
            ..Default::default()
        };
        assert_eq!(bad.group().err().map(|e| e.exit_code()), Some(1));
        let short = pgp_keys(&["ABCD1234".into()]).err();
        assert_eq!(short.map(|e| e.exit_code()), Some(1));
    }
}
