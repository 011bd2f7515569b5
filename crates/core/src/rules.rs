//! `.sops.yaml`: finding it, and picking the creation rule for a file.

use crate::error::{Error, Result};
use crate::selector::{Selector, SELECTOR_KEYS};
use crate::tree::Value;
use regex::Regex;
use std::path::{Path, PathBuf};

/// A parsed `.sops.yaml`.
#[derive(Debug)]
pub struct Config {
    /// Where it was read from.
    pub path: PathBuf,
    /// `creation_rules`, in order.
    pub creation_rules: Vec<CreationRule>,
}

/// One creation rule.
#[derive(Debug, Default, Clone)]
pub struct CreationRule {
    /// `path_regex`; `None` matches every file.
    pub path_regex: Option<Regex>,
    /// Key groups; the flat `age:` form is one group.
    pub key_groups: Vec<RuleGroup>,
    /// The selector, if the rule sets one.
    pub selector: Option<Selector>,
    /// `mac_only_encrypted`.
    pub mac_only_encrypted: bool,
    /// `shamir_threshold`.
    pub shamir_threshold: Option<u32>,
}

/// The keys of one group in a rule.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RuleGroup {
    /// age recipients.
    pub age: Vec<String>,
    /// AWS KMS keys.
    pub kms: Vec<crate::keys::kms::KmsKey>,
    /// PGP fingerprints, spaces removed (validated when used).
    pub pgp: Vec<String>,
    /// Other backends, kept for later providers: (name, entry).
    pub other: Vec<(String, Value)>,
}

/// Walks up from `start` to find `.sops.yaml` (at most 100 levels, as sops).
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    for _ in 0..100 {
        let d = dir?;
        let p = d.join(".sops.yaml");
        if p.is_file() {
            return Some(p);
        }
        dir = d.parent();
    }
    None
}

fn cerr(path: &Path, reason: impl Into<String>) -> Error {
    Error::Config {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

impl Config {
    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| cerr(path, e.to_string()))?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` is used for messages and relative matching.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let f = crate::stores::yaml::parse(text).map_err(|e| cerr(path, e.to_string()))?;
        let root = match f.docs.first() {
            Some(d) => crate::tree::to_value(&d.root, &f.anchors),
            None => Value::Map(Vec::new()),
        };
        let rules = root
            .get("creation_rules")
            .and_then(Value::as_seq)
            .unwrap_or(&[]);
        let creation_rules = rules.iter().map(|r| rule(r, path)).collect::<Result<_>>()?;
        Ok(Config {
            path: path.to_path_buf(),
            creation_rules,
        })
    }

    /// The first rule whose `path_regex` matches `file` (relative to the
    /// config's directory when `file` is inside it).
    pub fn rule_for(&self, file: &Path) -> Option<&CreationRule> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let (file_abs, base_abs) = (abs(file), abs(base));
        let rel = file_abs
            .strip_prefix(&base_abs)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| file.to_path_buf());
        let rel = rel.to_string_lossy();
        self.creation_rules
            .iter()
            .find(|r| r.path_regex.as_ref().is_none_or(|re| re.is_match(&rel)))
    }
}

fn list_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Scalar(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

fn rule(v: &Value, path: &Path) -> Result<CreationRule> {
    let mut r = CreationRule::default();
    if let Some(re) = v.get("path_regex").and_then(Value::as_str) {
        r.path_regex =
            Some(Regex::new(re).map_err(|e| cerr(path, format!("path_regex `{re}`: {e}")))?);
    }
    let mut selectors = SELECTOR_KEYS
        .iter()
        .filter_map(|k| Some((*k, v.get(k)?.as_str()?)));
    if let Some((k, s)) = selectors.next() {
        if selectors.next().is_some() {
            return Err(cerr(
                path,
                "a creation rule may set only one of the encrypted/unencrypted selectors",
            ));
        }
        r.selector = Some(Selector::from_key(k, s)?);
    }
    r.mac_only_encrypted = v
        .get("mac_only_encrypted")
        .and_then(Value::as_str)
        .is_some_and(|s| s == "true");
    r.shamir_threshold = v
        .get("shamir_threshold")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok());
    let profile = v
        .get("aws_profile")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty());
    if let Some(groups) = v.get("key_groups").and_then(Value::as_seq) {
        for g in groups {
            r.key_groups.push(group(g, profile, path)?);
        }
    } else {
        let g = group(v, profile, path)?;
        if g != RuleGroup::default() {
            r.key_groups.push(g);
        }
    }
    Ok(r)
}

fn group(v: &Value, profile: Option<&str>, path: &Path) -> Result<RuleGroup> {
    let mut g = RuleGroup {
        age: list_of(v.get("age")),
        pgp: list_of(v.get("pgp"))
            .iter()
            .map(|f| f.replace(' ', ""))
            .collect(),
        ..Default::default()
    };
    let kms_err = |e: Error| cerr(path, e.to_string());
    match v.get("kms") {
        Some(Value::Seq(items)) => {
            for item in items {
                g.kms.push(match item {
                    Value::Map(_) => kms_entry(item).map_err(kms_err)?,
                    other => other
                        .as_str()
                        .unwrap_or_default()
                        .parse()
                        .map_err(kms_err)?,
                });
            }
        }
        Some(s @ Value::Scalar(_)) => {
            for arn in list_of(Some(s)) {
                g.kms.push(arn.parse().map_err(kms_err)?);
            }
        }
        _ => {}
    }
    for k in &mut g.kms {
        if k.aws_profile.is_none() {
            k.aws_profile = profile.map(str::to_string);
        }
    }
    for name in [
        "gcp_kms",
        "azure_keyvault",
        "hc_vault_transit_uri",
        "hc_vault",
        "hckms",
    ] {
        match v.get(name) {
            Some(Value::Seq(items)) => g
                .other
                .extend(items.iter().map(|i| (name.to_string(), i.clone()))),
            Some(s @ Value::Scalar(_)) => g.other.extend(
                list_of(Some(s))
                    .into_iter()
                    .map(|x| (name.to_string(), Value::Scalar(x))),
            ),
            _ => {}
        }
    }
    Ok(g)
}

/// A `{arn, role, context, aws_profile}` entry of a key group.
fn kms_entry(v: &Value) -> Result<crate::keys::kms::KmsKey> {
    let f = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut key: crate::keys::kms::KmsKey = f("arn").unwrap_or_default().parse()?;
    if let Some(role) = f("role") {
        key.role = Some(role);
    }
    if let Some(Value::Map(ctx)) = v.get("context") {
        key.context = ctx
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
    }
    key.aws_profile = f("aws_profile");
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_rule_wins_relative_to_the_config() {
        let cfg = Config::parse(
            "creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: age1a, age1b\n  - age:\n      - age1c\n",
            Path::new("/repo/.sops.yaml"),
        )
        .unwrap();
        let r = cfg.rule_for(Path::new("/repo/secrets/x.yaml")).unwrap();
        assert_eq!(r.key_groups[0].age, vec!["age1a", "age1b"]);
        assert!(matches!(r.selector, Some(Selector::EncryptedRegex(_))));
        let r = cfg.rule_for(Path::new("/repo/other.yaml")).unwrap();
        assert_eq!(r.key_groups[0].age, vec!["age1c"]);
    }

    #[test]
    fn kms_keys_parse_in_both_forms_with_profiles_and_contexts() {
        let cfg = Config::parse(
            "creation_rules:\n  - kms: arn:aws:kms:us-east-1:1:key/a+arn:aws:iam::1:role/r, arn:aws:kms:eu-west-1:1:key/b\n    aws_profile: dev\n  - key_groups:\n      - kms:\n          - arn: arn:aws:kms:us-east-1:1:key/c\n            context: {app: web}\n            aws_profile: prod\n        age: [age1x]\n      - age: [age1y]\n    shamir_threshold: 2\n",
            Path::new("/r/.sops.yaml"),
        )
        .unwrap();
        let g = &cfg.creation_rules[0].key_groups[0];
        assert_eq!(g.kms.len(), 2);
        assert_eq!(g.kms[0].role.as_deref(), Some("arn:aws:iam::1:role/r"));
        assert_eq!(g.kms[1].aws_profile.as_deref(), Some("dev"));
        let r = &cfg.creation_rules[1];
        assert_eq!(r.key_groups.len(), 2);
        assert_eq!(r.shamir_threshold, Some(2));
        assert_eq!(
            r.key_groups[0].kms[0].context,
            vec![("app".to_string(), "web".to_string())]
        );
        assert_eq!(r.key_groups[0].kms[0].aws_profile.as_deref(), Some("prod"));
        assert_eq!(r.key_groups[1].age, vec!["age1y"]);
    }

    #[test]
    fn pgp_fingerprints_parse_flat_and_in_key_groups() {
        let cfg = Config::parse(
            "creation_rules:\n  - path_regex: a\n    pgp: 'AAAA BBBB,CCCC'\n  - key_groups:\n      - pgp: [DDDD]\n        age: [age1x]\n",
            Path::new("/r/.sops.yaml"),
        )
        .unwrap();
        let g = &cfg.creation_rules[0].key_groups[0];
        assert_eq!(g.pgp, vec!["AAAABBBB", "CCCC"]);
        assert!(g.other.is_empty());
        assert_eq!(cfg.creation_rules[1].key_groups[0].pgp, vec!["DDDD"]);
    }
}
