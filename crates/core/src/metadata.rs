//! The `sops:` block: reading every layout found in the wild (≤3.9 with
//! empty lists, 3.10–3.12 struct order, 3.13 sorted, `key_groups`) and
//! writing one layout (sorted keys) that sops 3.11 reads.

use crate::error::{Error, Result};
use crate::selector::{Selector, SELECTOR_KEYS};
use crate::tree::Value;

/// The format version hush writes: the sops release whose layout it emits.
pub const SOPS_FORMAT_VERSION: &str = "3.11.0";

/// An age recipient and the data key (or share) wrapped for it.
#[derive(Clone, Debug, PartialEq)]
pub struct AgeEntry {
    /// `age1…` or an SSH public key.
    pub recipient: String,
    /// One ASCII-armored age file.
    pub enc: String,
}

/// An AWS KMS key and the data key (or share) it encrypted.
#[derive(Clone, Debug, PartialEq)]
pub struct KmsEntry {
    /// The key ARN; the region comes from it.
    pub arn: String,
    /// A role to assume through STS first, if any.
    pub role: Option<String>,
    /// The encryption context, in metadata order.
    pub context: Vec<(String, String)>,
    /// When the entry was made (RFC 3339).
    pub created_at: String,
    /// Base64 of the KMS `CiphertextBlob`.
    pub enc: String,
    /// The AWS profile to load, `""` for the default chain.
    pub aws_profile: String,
}

/// A PGP key (by fingerprint) and the data key (or share) wrapped for it.
#[derive(Clone, Debug, PartialEq)]
pub struct PgpEntry {
    /// The fingerprint as written by whoever encrypted (sops strips spaces
    /// only; case and a trailing `!` are kept).
    pub fp: String,
    /// One ASCII-armored OpenPGP message, without a trailing line break.
    pub enc: String,
    /// When the entry was made (RFC 3339).
    pub created_at: String,
}

/// One wrapped copy of the data key.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyEntry {
    /// An age recipient.
    Age(AgeEntry),
    /// An AWS KMS key.
    Kms(KmsEntry),
    /// A PGP key, used through the `gpg` binary.
    Pgp(PgpEntry),
    /// A backend hush does not handle yet (gcp_kms, azure_kv, …), kept verbatim.
    Other {
        /// Its list name in the metadata (`kms`, `pgp`, …).
        kind: String,
        /// Its fields.
        value: Value,
    },
}

impl KeyEntry {
    /// A name for messages: the recipient, ARN or fingerprint.
    pub fn describe(&self) -> String {
        match self {
            KeyEntry::Age(a) => format!("age {}", a.recipient),
            KeyEntry::Kms(k) => match &k.role {
                Some(role) => format!("kms {} (role {role})", k.arn),
                None => format!("kms {}", k.arn),
            },
            KeyEntry::Pgp(p) => format!("pgp {}", p.fp),
            KeyEntry::Other { kind, value } => {
                let id = [
                    "arn",
                    "fp",
                    "resource_id",
                    "key_name",
                    "vaultUrl",
                    "vault_url",
                    "key_id",
                ]
                .iter()
                .find_map(|k| value.get(k).and_then(Value::as_str))
                .unwrap_or("?");
                format!("{kind} {id}")
            }
        }
    }

    /// The metadata list this entry belongs to (`age`, `kms`, …).
    pub fn kind(&self) -> &str {
        match self {
            KeyEntry::Age(_) => "age",
            KeyEntry::Kms(_) => "kms",
            KeyEntry::Pgp(_) => "pgp",
            KeyEntry::Other { kind, .. } => kind,
        }
    }
}

/// The master keys of one key group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyGroup {
    /// Entries in metadata order.
    pub keys: Vec<KeyEntry>,
}

/// Everything in a `sops:` block.
#[derive(Clone, Debug, Default)]
pub struct Metadata {
    /// Key groups; a file without `key_groups` has exactly one.
    pub groups: Vec<KeyGroup>,
    /// `shamir_threshold`, when set.
    pub shamir_threshold: Option<u32>,
    /// `lastmodified`, as stored.
    pub lastmodified: String,
    /// The sealed MAC.
    pub mac: String,
    /// `version`.
    pub version: String,
    /// The selection rule.
    pub selector: Selector,
    /// `mac_only_encrypted`.
    pub mac_only_encrypted: bool,
}

/// The backend list names sops knows, in the order it writes them.
const BACKENDS: [&str; 7] = [
    "age", "azure_kv", "gcp_kms", "hc_vault", "hckms", "kms", "pgp",
];

impl Metadata {
    /// Reads a `sops:` value as sops loads it, in its order: an empty
    /// block is no metadata, and `lastmodified` must be an RFC 3339 time
    /// (exit 1) before the keys are read.
    pub fn from_value(v: &Value) -> Result<Self> {
        if matches!(v, Value::Null) {
            return Err(Error::NotEncrypted);
        }
        if !matches!(v, Value::Map(_)) {
            return Err(Error::BadMetadata("it is not a map"));
        }
        let stamp = v.get("lastmodified").and_then(Value::as_str).unwrap_or("");
        if crate::time::rfc3339_aad(stamp).is_err() {
            return Err(Error::BadMetadata(
                "lastmodified is missing or not an RFC 3339 time",
            ));
        }
        Self::from_value_unchecked(v)
    }

    /// Reads a `sops:` value, whatever its `lastmodified` holds (for
    /// `hush check`, which reports a missing one as a finding).
    pub(crate) fn from_value_unchecked(v: &Value) -> Result<Self> {
        if !matches!(v, Value::Map(_)) {
            return Err(Error::corrupt("the sops metadata is not a map"));
        }
        let groups = match v.get("key_groups") {
            Some(kg) if !matches!(kg, Value::Null) => {
                let list = kg
                    .as_seq()
                    .ok_or_else(|| Error::corrupt("key_groups is not a list"))?;
                list.iter()
                    .map(group_from_value)
                    .collect::<Result<Vec<_>>>()?
            }
            _ => vec![group_from_value(v)?],
        };
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let mut selector = None;
        for key in SELECTOR_KEYS {
            if let Some(val) = text(key).filter(|s| !s.is_empty()) {
                if selector.is_some() {
                    return Err(Error::corrupt(
                        "more than one of the encrypted/unencrypted selectors is set",
                    ));
                }
                selector = Some(Selector::from_key(key, &val)?);
            }
        }
        let shamir_threshold = match text("shamir_threshold") {
            Some(t) => Some(
                t.parse()
                    .map_err(|_| Error::corrupt("shamir_threshold is not a number"))?,
            ),
            None => None,
        };
        Ok(Metadata {
            groups,
            shamir_threshold,
            lastmodified: text("lastmodified").unwrap_or_default(),
            mac: text("mac").unwrap_or_default(),
            version: checked_version(text("version").unwrap_or_default())?,
            selector: selector.unwrap_or_default(),
            mac_only_encrypted: text("mac_only_encrypted")
                .is_some_and(|s| s == "true" || s == "True"),
        })
    }

    /// The metadata as a value tree with sorted keys.
    pub fn to_value(&self) -> Value {
        let mut m: Vec<(String, Value)> = Vec::new();
        if self.groups.len() > 1 {
            let groups = self
                .groups
                .iter()
                .map(|g| Value::Map(group_lists(g)))
                .collect();
            m.push(("key_groups".into(), Value::Seq(groups)));
        } else if let Some(g) = self.groups.first() {
            m.extend(group_lists(g));
        }
        let s = |x: &str| Value::Scalar(x.to_string());
        m.push(("lastmodified".into(), s(&self.lastmodified)));
        m.push(("mac".into(), s(&self.mac)));
        if self.mac_only_encrypted {
            m.push(("mac_only_encrypted".into(), Value::Scalar("true".into())));
        }
        if let Some(t) = self.shamir_threshold {
            m.push(("shamir_threshold".into(), Value::Scalar(t.to_string())));
        }
        let (k, v) = self.selector.to_key();
        m.push((k.into(), s(v)));
        m.push(("version".into(), s(&self.version)));
        m.sort_by(|a, b| a.0.cmp(&b.0));
        Value::Map(m)
    }
}

fn group_lists(g: &KeyGroup) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for kind in BACKENDS {
        let items: Vec<Value> = g
            .keys
            .iter()
            .filter(|k| k.kind() == kind)
            .map(entry_value)
            .collect();
        if !items.is_empty() {
            out.push((kind.into(), Value::Seq(items)));
        }
    }
    // Unknown backends keep their own names.
    for k in &g.keys {
        if !BACKENDS.contains(&k.kind()) && !out.iter().any(|(n, _)| n == k.kind()) {
            let items = g
                .keys
                .iter()
                .filter(|x| x.kind() == k.kind())
                .map(entry_value)
                .collect();
            out.push((k.kind().into(), Value::Seq(items)));
        }
    }
    out
}

fn entry_value(e: &KeyEntry) -> Value {
    match e {
        KeyEntry::Age(a) => Value::Map(vec![
            ("recipient".into(), Value::Scalar(a.recipient.clone())),
            ("enc".into(), Value::Scalar(a.enc.clone())),
        ]),
        KeyEntry::Kms(k) => {
            let s = |x: &str| Value::Scalar(x.to_string());
            let mut m = vec![("arn".to_string(), s(&k.arn))];
            if let Some(role) = &k.role {
                m.push(("role".into(), s(role)));
            }
            if !k.context.is_empty() {
                let ctx = k.context.iter().map(|(a, b)| (a.clone(), s(b))).collect();
                m.push(("context".into(), Value::Map(ctx)));
            }
            m.push(("created_at".into(), s(&k.created_at)));
            m.push(("enc".into(), s(&k.enc)));
            m.push(("aws_profile".into(), s(&k.aws_profile)));
            Value::Map(m)
        }
        // sops's field order (stores.pgpkey), which is also sorted.
        KeyEntry::Pgp(p) => Value::Map(vec![
            ("created_at".into(), Value::Scalar(p.created_at.clone())),
            ("enc".into(), Value::Scalar(p.enc.clone())),
            ("fp".into(), Value::Scalar(p.fp.clone())),
        ]),
        KeyEntry::Other { value, .. } => value.clone(),
    }
}

fn kms_from_value(item: &Value) -> Result<KmsEntry> {
    let f = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
    let context = match item.get("context") {
        Some(Value::Map(m)) => m
            .iter()
            .map(|(k, v)| {
                let v = v
                    .as_str()
                    .ok_or_else(|| Error::corrupt("a kms context value is not a string"))?;
                Ok((k.clone(), v.to_string()))
            })
            .collect::<Result<_>>()?,
        _ => Vec::new(),
    };
    Ok(KmsEntry {
        arn: f("arn").ok_or_else(|| Error::corrupt("a kms entry has no arn"))?,
        role: f("role").filter(|r| !r.is_empty()),
        context,
        created_at: f("created_at").unwrap_or_default(),
        // No `enc` (a cut file): sops fails to unwrap it (128), as hush does.
        enc: f("enc").unwrap_or_default(),
        aws_profile: f("aws_profile").unwrap_or_default(),
    })
}

fn pgp_from_value(item: &Value) -> Result<PgpEntry> {
    let f = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
    Ok(PgpEntry {
        fp: f("fp").ok_or_else(|| Error::corrupt("a pgp entry has no fp"))?,
        enc: f("enc").unwrap_or_default(),
        created_at: f("created_at").unwrap_or_default(),
    })
}

fn group_from_value(v: &Value) -> Result<KeyGroup> {
    let Value::Map(m) = v else {
        return Err(Error::corrupt("a key group is not a map"));
    };
    let mut keys = Vec::new();
    for (name, list) in m {
        if !BACKENDS.contains(&name.as_str()) {
            continue;
        }
        let items = list
            .as_seq()
            .ok_or_else(|| Error::corrupt(format!("sops.{name} is not a list")))?;
        for item in items {
            keys.push(if name == "kms" {
                KeyEntry::Kms(kms_from_value(item)?)
            } else if name == "pgp" {
                KeyEntry::Pgp(pgp_from_value(item)?)
            } else if name == "age" {
                let f = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
                KeyEntry::Age(AgeEntry {
                    recipient: f("recipient")
                        .ok_or_else(|| Error::corrupt("an age entry has no recipient"))?,
                    enc: f("enc").unwrap_or_default(),
                })
            } else {
                KeyEntry::Other {
                    kind: name.clone(),
                    value: item.clone(),
                }
            });
        }
    }
    Ok(KeyGroup { keys })
}

/// Writes a value as a YAML block mapping entry `key:` at column 0, with
/// `unit` spaces per level. Ends with a line break.
pub(crate) fn yaml_entry(key: &str, v: &Value, unit: usize) -> String {
    let mut out = String::new();
    yaml_kv(&mut out, key, v, 0, 0, unit);
    out
}

/// One `key: value`; a block scalar's lines are indented `unit` past
/// `block` (the key's column, or in a list item the dash's, as yaml.v3).
fn yaml_kv(out: &mut String, key: &str, v: &Value, col: usize, block: usize, unit: usize) {
    out.push_str(key);
    out.push(':');
    match v {
        Value::Map(m) if !m.is_empty() => {
            out.push('\n');
            yaml_map(out, m, col + unit, unit);
        }
        Value::Seq(s) if !s.is_empty() => {
            out.push('\n');
            for item in s {
                out.push_str(&" ".repeat(col + unit));
                out.push_str("- ");
                match item {
                    Value::Map(m) if !m.is_empty() => {
                        let (k0, v0) = &m[0];
                        let dash = col + unit;
                        // Block lines must be deeper than the keys (dash + 2).
                        let block = if unit > 2 { dash } else { dash + 2 };
                        yaml_kv(out, k0, v0, dash + 2, block, unit);
                        for (k, v) in &m[1..] {
                            out.push_str(&" ".repeat(dash + 2));
                            yaml_kv(out, k, v, dash + 2, block, unit);
                        }
                    }
                    other => {
                        out.push_str(&yaml_scalar(other, col + unit + 2, unit));
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push(' ');
            out.push_str(&yaml_scalar(other, block, unit));
            out.push('\n');
        }
    }
}

fn yaml_map(out: &mut String, m: &[(String, Value)], col: usize, unit: usize) {
    for (k, v) in m {
        out.push_str(&" ".repeat(col));
        yaml_kv(out, k, v, col, col, unit);
    }
}

fn yaml_scalar(v: &Value, col: usize, unit: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Map(_) => "{}".into(),
        Value::Seq(_) => "[]".into(),
        Value::Scalar(s)
            if s.contains('\n') && s.ends_with('\n') && !s[..s.len() - 1].contains("\n\n") =>
        {
            let pad = " ".repeat(col + unit);
            let mut out = String::from("|");
            for line in s[..s.len() - 1].split('\n') {
                out.push('\n');
                out.push_str(&pad);
                out.push_str(line);
            }
            out
        }
        // An armored block without a final line break (a PGP message), as
        // yaml.v3 writes it: `|-`, blank lines left empty.
        Value::Scalar(s) if literal_strip(s) => {
            let pad = " ".repeat(col + unit);
            let mut out = String::from("|-");
            for line in s.split('\n') {
                out.push('\n');
                if !line.is_empty() {
                    out.push_str(&pad);
                    out.push_str(line);
                }
            }
            out
        }
        Value::Scalar(s) => {
            let slot = crate::stores::scalar::YamlSlot::Plain {
                flow: false,
                indent: col + unit,
            };
            let r =
                crate::stores::scalar::yaml_render(crate::crypto::cipher::ValueType::Str, s, slot);
            // Booleans and numbers in metadata are written bare.
            if matches!(s.as_str(), "true" | "false") || s.parse::<u64>().is_ok() {
                s.clone()
            } else {
                r
            }
        }
    }
}

/// Whether `s` is several printable ASCII lines, without a final line
/// break, that a `|-` block keeps exactly.
fn literal_strip(s: &str) -> bool {
    s.contains('\n')
        && !s.ends_with('\n')
        && !s.starts_with([' ', '\n'])
        && s.bytes().all(|b| b == b'\n' || (b' '..=b'~').contains(&b))
        && s.split('\n').all(|l| !l.ends_with(' '))
}

/// Writes a value as JSON; `level` is the nesting depth of `v` itself.
pub(crate) fn json_value(v: &Value, level: usize, unit: &str) -> String {
    let pad = |n: usize| unit.repeat(n);
    match v {
        Value::Null => "null".into(),
        Value::Scalar(s) if s == "true" || s == "false" => s.clone(),
        Value::Scalar(s) if s.parse::<u64>().is_ok() && !s.starts_with('0') => s.clone(),
        Value::Scalar(s) => crate::stores::scalar::json_string(s),
        Value::Seq(items) if items.is_empty() => "[]".into(),
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::Seq(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|i| format!("{}{}", pad(level + 1), json_value(i, level + 1, unit)))
                .collect();
            format!("[\n{}\n{}]", inner.join(",\n"), pad(level))
        }
        Value::Map(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}{}: {}",
                        pad(level + 1),
                        crate::stores::scalar::json_string(k),
                        json_value(v, level + 1, unit)
                    )
                })
                .collect();
            format!("{{\n{}\n{}}}", inner.join(",\n"), pad(level))
        }
    }
}

/// `version` as sops accepts it: a leading `v` dropped, then a strict
/// semantic version (blang/semver's `Parse`), refused with its words.
fn checked_version(version: String) -> Result<String> {
    let bad = |m: String| Err(Error::BadVersion(m));
    let v = version.strip_prefix('v').unwrap_or(&version);
    if v.is_empty() {
        return bad("Version string empty".into());
    }
    let parts: Vec<&str> = v.splitn(3, '.').collect();
    let [major, minor, rest] = parts[..] else {
        return bad("No Major.Minor.Patch elements found".into());
    };
    let (rest, build) = match rest.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (rest, None),
    };
    let (patch, pre) = match rest.split_once('-') {
        Some((p, pre)) => (p, Some(pre)),
        None => (rest, None),
    };
    for (name, n) in [("major", major), ("minor", minor), ("patch", patch)] {
        if !n.bytes().all(|b| b.is_ascii_digit()) {
            return bad(format!("Invalid character(s) found in {name} number {n:?}"));
        }
        if n.len() > 1 && n.starts_with('0') {
            let cap = format!("{}{}", name[..1].to_ascii_uppercase(), &name[1..]);
            return bad(format!(
                "{cap} number must not contain leading zeroes {n:?}"
            ));
        }
        if n.parse::<u64>().is_err() {
            return bad(format!("{name} number {n:?} is not a number"));
        }
    }
    for p in pre.into_iter().flat_map(|p| p.split('.')) {
        if p.is_empty() {
            return bad("Prerelease is empty".into());
        }
        if !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return bad(format!("Invalid character(s) found in prerelease {p:?}"));
        }
        if p.bytes().all(|b| b.is_ascii_digit()) && p.len() > 1 && p.starts_with('0') {
            return bad(format!(
                "Numeric PreRelease version must not contain leading zeroes {p:?}"
            ));
        }
    }
    for b in build.into_iter().flat_map(|b| b.split('.')) {
        if b.is_empty() {
            return bad("Build meta data is empty".into());
        }
        if !b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
            return bad(format!(
                "Invalid character(s) found in build meta data {b:?}"
            ));
        }
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta_yaml(src: &str) -> Metadata {
        let f = crate::stores::yaml::parse(src).unwrap();
        Metadata::from_value(&f.docs[0].sops.as_ref().unwrap().value).unwrap()
    }

    #[test]
    fn reads_the_old_layout_with_empty_lists() {
        let m = meta_yaml("a: x\nsops:\n    kms: []\n    gcp_kms: []\n    azure_kv: []\n    hc_vault: []\n    age:\n    -   recipient: age1abc\n        enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            abc\n            -----END AGE ENCRYPTED FILE-----\n    lastmodified: '2021-01-01T00:00:00Z'\n    mac: ENC[x]\n    pgp: []\n    encrypted_regex: ^(data|stringData)$\n    version: 3.7.1\n");
        assert_eq!(m.groups.len(), 1);
        assert_eq!(m.groups[0].keys.len(), 1);
        assert!(
            matches!(&m.groups[0].keys[0], KeyEntry::Age(a) if a.recipient == "age1abc" && a.enc.ends_with("-----\n"))
        );
        assert_eq!(
            m.selector.to_key(),
            ("encrypted_regex", "^(data|stringData)$")
        );
        assert_eq!(m.version, "3.7.1");
    }

    #[test]
    fn armor_blocks_in_list_items_indent_from_the_dash_as_yaml_v3() {
        let entry = KeyEntry::Pgp(PgpEntry {
            fp: "F".into(),
            enc: "-----BEGIN PGP MESSAGE-----\n\nabc\n-----END PGP MESSAGE-----".into(),
            created_at: "2024-01-01T00:00:00Z".into(),
        });
        let meta = Value::Map(vec![("pgp".into(), Value::Seq(vec![entry_value(&entry)]))]);
        assert_eq!(
            yaml_entry("sops", &meta, 4),
            "sops:\n    pgp:\n        - created_at: \"2024-01-01T00:00:00Z\"\n          enc: |-\n            -----BEGIN PGP MESSAGE-----\n\n            abc\n            -----END PGP MESSAGE-----\n          fp: F\n"
        );
        // With 2 spaces the lines must still be deeper than the keys.
        let two = yaml_entry("sops", &meta, 2);
        assert!(two.contains("      enc: |-\n        -----BEGIN"), "{two}");
        let f = crate::stores::yaml::parse(&format!("a: x\n{two}  version: 3.11.0\n")).unwrap();
        let back = Metadata::from_value_unchecked(&f.docs[0].sops.as_ref().unwrap().value);
        assert!(back.is_ok());
    }

    #[test]
    fn lastmodified_is_checked_first_as_sops_loads_a_file() {
        let read = |sops: &str| {
            let f = crate::stores::yaml::parse(&format!("a: x\nsops:{sops}")).unwrap();
            Metadata::from_value(&f.docs[0].sops.as_ref().unwrap().value)
        };
        let stamp = "\n  lastmodified: \"2024-01-01T00:00:00Z\"";
        let age = "\n  age:\n    - recipient: age1a";
        // sops 3.11: exit 1 for each ("parsing time", "sops metadata not found").
        for sops in [
            "\n  mac: ENC[x]\n  version: 3.11.0\n".to_string(),
            "\n  lastmodified: yesterday\n  version: 3.11.0\n".to_string(),
            format!("{age}\n  version: 3.11.0\n"),
        ] {
            let e = read(&sops).unwrap_err();
            assert!(e.to_string().contains("lastmodified"), "{sops}: {e}");
            assert_eq!(e.exit_code(), 1, "{sops}: {e}");
        }
        // An entry without `enc` is read: unwrapping it fails (128).
        let m = read(&format!("{age}{stamp}\n  version: 3.11.0\n")).unwrap();
        assert!(matches!(&m.groups[0].keys[0], KeyEntry::Age(a) if a.enc.is_empty()));
        assert!(matches!(read("\n"), Err(Error::NotEncrypted)));
        assert!(matches!(read(" 5\n"), Err(Error::BadMetadata(_))));
        assert!(matches!(read(" []\n"), Err(Error::BadMetadata(_))));
        assert!(read(&format!("{stamp}\n  version: 3.11.0\n")).is_ok());
    }

    #[test]
    fn reads_key_groups_and_keeps_unknown_backends() {
        let m = meta_yaml("a: x\nsops:\n  key_groups:\n    - age:\n        - recipient: age1a\n          enc: e1\n      pgp:\n        - fp: ABC\n          enc: e2\n    - age:\n        - recipient: age1b\n          enc: e3\n  shamir_threshold: 2\n  lastmodified: \"2024-01-01T00:00:00Z\"\n  mac: ENC[x]\n  version: 3.13.0\n");
        assert_eq!(m.groups.len(), 2);
        assert_eq!(m.groups[0].keys.len(), 2);
        assert_eq!(m.shamir_threshold, Some(2));
        assert_eq!(m.groups[0].keys[1].describe(), "pgp ABC");
        assert!(matches!(m.selector, Selector::UnencryptedSuffix(ref s) if s == "_unencrypted"));
        let back = Metadata::from_value(&m.to_value()).unwrap();
        assert_eq!(back.groups, m.groups);
    }

    #[test]
    fn versions_are_read_as_sops_reads_them() {
        // What sops 3.11 answers for each `version:` (exit 0 or 1).
        for ok in [
            "3.11.0",
            "1.0.0",
            "v3.7.1",
            "3.7.1-rc1",
            "3.7.1+meta",
            "3.7.1-a.b",
            "0.1.0",
        ] {
            assert!(checked_version(ok.into()).is_ok(), "{ok}");
        }
        for (bad, words) in [
            ("", "Version string empty"),
            ("garbage", "No Major.Minor.Patch elements found"),
            ("3.7", "No Major.Minor.Patch elements found"),
            ("3.x.1", "Invalid character(s) found in minor number \"x\""),
            (
                "3.7.1.5",
                "Invalid character(s) found in patch number \"1.5\"",
            ),
            (
                "V3.7.1",
                "Invalid character(s) found in major number \"V3\"",
            ),
            (
                " 3.7.1",
                "Invalid character(s) found in major number \" 3\"",
            ),
            (
                "03.7.1",
                "Major number must not contain leading zeroes \"03\"",
            ),
            (
                "3.07.1",
                "Minor number must not contain leading zeroes \"07\"",
            ),
            ("3.7.1-", "Prerelease is empty"),
            (
                "3.7.1-rc.01",
                "Numeric PreRelease version must not contain leading zeroes \"01\"",
            ),
        ] {
            let e = checked_version(bad.into()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("sops metadata version: {words}"),
                "{bad:?}"
            );
            assert_eq!(e.exit_code(), 1);
        }
    }
}
