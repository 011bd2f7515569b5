//! The `EncryptedSecret` contract: what `hush seal` writes, what
//! hush-controller accepts and what `hush check` recognises, in one place.
//!
//! An `EncryptedSecret` (`hush.dev/v1alpha1`) is a sops file whose
//! `spec.data` and `spec.stringData` values and `spec.scope` binding are
//! encrypted ([`ENCRYPTED_REGEX`]). Being encrypted, the binding is covered
//! by AES-GCM (path AAD) and by the MAC, so copying the file into another
//! namespace, or renaming it, cannot change it without the data key.
//!
//! The API server stores custom resources as JSON maps and returns them
//! with keys sorted, so hush verifies the MAC in that order: a sealed file
//! hashes only its encrypted values (`mac_only_encrypted`) and keeps them in
//! sorted key order ([`order_violation`]).
//!
//! - the resource: [`GROUP`], [`VERSION`], [`API_VERSION`], [`KIND`];
//! - sealing: [`SecretParts`] → [`document`] (canonical plaintext),
//!   [`encrypt_options`], [`check_key_groups`], [`size_warning`];
//! - reading: [`metadata_fault`], [`declared_str`], [`valid_secret_key`],
//!   [`Scope::permits`] / [`Scope::refusal`];
//! - checking files: [`is_encrypted_secret`], [`cluster_problem`],
//!   [`order_problem`].

use crate::tree::Value;
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;
use std::str::FromStr;
use zeroize::Zeroizing;

/// The API group of hush's resources.
pub const GROUP: &str = "hush.dev";
/// The version of the `EncryptedSecret` resource.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` of an `EncryptedSecret`.
pub const API_VERSION: &str = "hush.dev/v1alpha1";
/// `kind` of an `EncryptedSecret`.
pub const KIND: &str = "EncryptedSecret";
/// The `encrypted_regex` of every `EncryptedSecret`.
pub const ENCRYPTED_REGEX: &str = "^(data|stringData|scope)$";

/// How an `EncryptedSecret` is encrypted: only [`ENCRYPTED_REGEX`], and a
/// MAC over the encrypted values only, so it verifies on the API server's
/// sorted copy.
pub fn encrypt_options() -> crate::EncryptOptions {
    crate::EncryptOptions {
        selector: crate::Selector::from_key("encrypted_regex", ENCRYPTED_REGEX)
            .expect("valid regex"),
        mac_only_encrypted: true,
        ..crate::EncryptOptions::default()
    }
}

/// Why a file's sops metadata cannot be verified by hush-controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataFault {
    /// Another selector than `encrypted_regex: ENCRYPTED_REGEX`: the file's
    /// own (unauthenticated) choice must not widen what passes as plaintext.
    Selector,
    /// No `mac_only_encrypted: true`: the MAC cannot be checked on the API
    /// server's copy.
    MacNotOnlyEncrypted,
}

/// The first [`MetadataFault`] of an `EncryptedSecret`'s sops metadata.
pub fn metadata_fault(meta: &crate::metadata::Metadata) -> Option<MetadataFault> {
    if meta.selector.to_key() != ("encrypted_regex", ENCRYPTED_REGEX) {
        Some(MetadataFault::Selector)
    } else if !meta.mac_only_encrypted {
        Some(MetadataFault::MacNotOnlyEncrypted)
    } else {
        None
    }
}

/// Whether an `ENC[…]` value declares the type `str`, as every value of an
/// `EncryptedSecret` must.
pub fn declared_str(value: &str) -> bool {
    value.starts_with("ENC[") && value.ends_with(",type:str]")
}

/// Whether `key` may name a Secret's entry: `[-._a-zA-Z0-9]+`, at most 253
/// bytes, as the API server requires.
pub fn valid_secret_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
}

/// Where a sealed secret may be turned into a Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Only as this namespace and name (the default).
    Strict {
        /// Namespace.
        namespace: String,
        /// Object name.
        name: String,
    },
    /// Under any name in this namespace.
    Namespace {
        /// Namespace.
        namespace: String,
    },
    /// Anywhere in the cluster.
    Cluster,
}

impl Scope {
    /// Whether an object at `namespace`/`name` may use the ciphertext.
    pub fn permits(&self, namespace: &str, name: &str) -> bool {
        match self {
            Scope::Strict {
                namespace: n,
                name: m,
            } => n == namespace && m == name,
            Scope::Namespace { namespace: n } => n == namespace,
            Scope::Cluster => true,
        }
    }

    /// The namespace the scope names, if any.
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Scope::Strict { namespace, .. } | Scope::Namespace { namespace } => Some(namespace),
            Scope::Cluster => None,
        }
    }

    /// Why an object at `namespace`/`name` may not use the ciphertext, in
    /// one line that names the scope's kind, never its value.
    pub fn refusal(&self, namespace: &str, name: &str) -> Option<String> {
        if self.permits(namespace, name) {
            return None;
        }
        let other = match self {
            Scope::Strict { .. } => "namespace or name",
            _ => "namespace",
        };
        Some(format!(
            "sealed with `{}` scope for another {other}; re-seal it for {namespace}/{name}",
            self.kind()
        ))
    }

    /// The scope's kind: `strict`, `namespace` or `cluster`.
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Strict { .. } => "strict",
            Scope::Namespace { .. } => "namespace",
            Scope::Cluster => "cluster",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Strict { namespace, name } => write!(f, "strict:{namespace}/{name}"),
            Scope::Namespace { namespace } => write!(f, "namespace:{namespace}"),
            Scope::Cluster => f.write_str("cluster"),
        }
    }
}

/// Why a scope string was refused. It quotes only the scope kind, never
/// the value, which a caller may have read from an encrypted field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeError(pub &'static str);

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ScopeError {}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, ScopeError> {
        let (kind, rest) = s.split_once(':').unwrap_or((s, ""));
        let scope = match kind {
            "cluster" if s == "cluster" => Scope::Cluster,
            "namespace" => Scope::Namespace {
                namespace: dns_name(rest)?.to_string(),
            },
            "strict" => {
                let (ns, name) = rest
                    .split_once('/')
                    .ok_or(ScopeError("strict scope must be `strict:NAMESPACE/NAME`"))?;
                Scope::Strict {
                    namespace: dns_name(ns)?.to_string(),
                    name: dns_name(name)?.to_string(),
                }
            }
            _ => {
                return Err(ScopeError(
                    "scope must be strict:NS/NAME, namespace:NS or cluster",
                ))
            }
        };
        Ok(scope)
    }
}

/// A namespace or object name: DNS subdomain characters, at most 253.
fn dns_name(s: &str) -> Result<&str, ScopeError> {
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    ok.then_some(s).ok_or(ScopeError(
        "scope names a namespace or name that is not a valid Kubernetes name",
    ))
}

/// The first encrypted value out of canonical order, as `(path, previous)`.
///
/// `encrypted` is the tree of a sealed `EncryptedSecret` (decrypted or not);
/// the values whose key matches [`ENCRYPTED_REGEX`], and everything under
/// them, are the encrypted ones. They must come in the order a sorted-key
/// JSON walk visits them, or the MAC will not verify on the API server's copy.
pub fn order_violation(encrypted: &Value) -> Option<(String, String)> {
    let re = regex::Regex::new(ENCRYPTED_REGEX).expect("valid regex");
    let mut paths = Vec::new();
    collect(encrypted, &re, false, &mut Vec::new(), &mut paths);
    paths
        .windows(2)
        .find(|w| w[0] > w[1])
        .map(|w| (render(&w[1]), render(&w[0])))
}

/// Whether a document is an `EncryptedSecret` (`hush.dev/…`).
pub fn is_encrypted_secret(doc: &Value) -> bool {
    doc.get("kind").and_then(Value::as_str) == Some(KIND)
        && doc
            .get("apiVersion")
            .and_then(Value::as_str)
            .and_then(|v| v.strip_prefix(GROUP))
            .is_some_and(|v| v.starts_with('/'))
}

/// The `EncryptedSecret` documents of a file.
fn secret_docs(text: &str, format: crate::Format) -> crate::Result<Vec<Value>> {
    let parsed = crate::engine::parse(text, format)?;
    Ok(parsed
        .docs
        .iter()
        .map(|d| crate::tree::to_value(&d.root, &parsed.anchors))
        .filter(is_encrypted_secret)
        .collect())
}

/// [`order_violation`] for each `EncryptedSecret` document of a file.
pub fn order_violation_in(
    text: &str,
    format: crate::Format,
) -> crate::Result<Option<(String, String)>> {
    Ok(secret_docs(text, format)?.iter().find_map(order_violation))
}

/// [`order_violation_in`] as a one-line problem for users.
pub fn order_problem(text: &str, format: crate::Format) -> crate::Result<Option<String>> {
    Ok(order_violation_in(text, format)?.map(|(later, earlier)| {
        format!(
            "`{later}` must come before `{earlier}`: EncryptedSecret keys stay in sorted order so \
             hush-controller can verify the MAC"
        )
    }))
}

/// Why hush-controller could not verify an encrypted file's MAC, if the
/// file holds an `EncryptedSecret`: another selector, no
/// `mac_only_encrypted`, or keys out of order.
pub fn cluster_problem(
    text: &str,
    format: crate::Format,
    meta: &crate::metadata::Metadata,
) -> crate::Result<Option<String>> {
    if secret_docs(text, format)?.is_empty() {
        return Ok(None);
    }
    match metadata_fault(meta) {
        Some(MetadataFault::Selector) => Ok(Some(format!(
            "the EncryptedSecret must use `encrypted_regex: {ENCRYPTED_REGEX}`, or hush-controller refuses it"
        ))),
        Some(MetadataFault::MacNotOnlyEncrypted) => Ok(Some(
            "the EncryptedSecret lacks `mac_only_encrypted: true`, so hush-controller cannot verify its MAC"
                .into(),
        )),
        None => order_problem(text, format),
    }
}

/// Why a Secret cannot be sealed: one line for users, naming keys, never
/// values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// The parts of a Kubernetes Secret an `EncryptedSecret` carries; the
/// values stay secret.
#[derive(Default)]
pub struct SecretParts {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, used when the scope names none.
    pub namespace: Option<String>,
    /// `type` (default `Opaque`).
    pub type_: Option<String>,
    /// `metadata.labels`, copied onto the Secret in plaintext.
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`, copied onto the Secret in plaintext.
    pub annotations: BTreeMap<String, String>,
    /// `data`: base64 values.
    pub data: BTreeMap<String, SecretString>,
    /// `stringData`: plain text values.
    pub string_data: BTreeMap<String, SecretString>,
}

/// The `EncryptedSecret` in plaintext, keys sorted (the canonical order),
/// every value a string, bound to `scope`; encrypt it with
/// [`encrypt_options`].
pub fn document(s: &SecretParts, scope: &Scope) -> Result<Zeroizing<String>, Refusal> {
    refuse_unsealable(s)?;
    // Sized up front so the plaintext is never left behind by a reallocation.
    let values: usize = s
        .data
        .values()
        .chain(s.string_data.values())
        .map(|v| v.expose_secret().len())
        .sum();
    let mut out = Zeroizing::new(String::with_capacity(4096 + 8 * values));
    let o = &mut *out;
    let _ = write!(o, "apiVersion: {API_VERSION}\nkind: {KIND}\nmetadata:\n");
    let _ = writeln!(o, "  name: {}", key(&s.name));
    if let Some(ns) = scope.namespace().or(s.namespace.as_deref()) {
        let _ = writeln!(o, "  namespace: {}", key(ns));
    }
    o.push_str("spec:\n");
    secret_map(o, "data", &s.data);
    let _ = writeln!(o, "  scope: {}", quote(&scope.to_string()).as_str());
    secret_map(o, "stringData", &s.string_data);
    o.push_str("  template:\n");
    let _ = writeln!(
        o,
        "    type: {}",
        quote(s.type_.as_deref().unwrap_or("Opaque")).as_str()
    );
    if !s.labels.is_empty() || !s.annotations.is_empty() {
        o.push_str("    metadata:\n");
        plain_map(o, "labels", &s.labels);
        plain_map(o, "annotations", &s.annotations);
    }
    Ok(out)
}

/// Refuses a plaintext key that the selector would encrypt, an empty value
/// (sops leaves it unencrypted and outside the MAC) and `data` that is not
/// base64.
fn refuse_unsealable(s: &SecretParts) -> Result<(), Refusal> {
    let re = regex::Regex::new(ENCRYPTED_REGEX).expect("valid regex");
    if let Some(k) = s
        .labels
        .keys()
        .chain(s.annotations.keys())
        .find(|k| re.is_match(k))
    {
        return Err(Refusal(format!(
            "label or annotation key `{k}` would be encrypted; rename it"
        )));
    }
    let mut all = s
        .data
        .iter()
        .map(|e| ("data", e))
        .chain(s.string_data.iter().map(|e| ("stringData", e)));
    if let Some((field, (k, _))) = all.find(|(_, (_, v))| v.expose_secret().is_empty()) {
        return Err(Refusal(format!(
            "{field}.{k} is empty: sops leaves empty values unencrypted and outside the MAC, so an EncryptedSecret cannot carry them"
        )));
    }
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    if let Some(k) = s
        .data
        .iter()
        .find(|(_, v)| b64.decode(v.expose_secret()).is_err())
        .map(|(k, _)| k)
    {
        return Err(Refusal(format!(
            "data.{k} is not valid base64 (use stringData for plain text)"
        )));
    }
    Ok(())
}

fn secret_map(o: &mut String, field: &str, map: &BTreeMap<String, SecretString>) {
    if map.is_empty() {
        return;
    }
    let _ = writeln!(o, "  {field}:");
    for (k, v) in map {
        let _ = writeln!(o, "    {}: {}", key(k), quote(v.expose_secret()).as_str());
    }
}

fn plain_map(o: &mut String, field: &str, map: &BTreeMap<String, String>) {
    if map.is_empty() {
        return;
    }
    let _ = writeln!(o, "      {field}:");
    for (k, v) in map {
        let _ = writeln!(o, "        {}: {}", key(k), quote(v).as_str());
    }
}

/// A double-quoted scalar (JSON string syntax), so every value is a string
/// whatever it looks like.
fn quote(v: &str) -> Zeroizing<String> {
    Zeroizing::new(crate::stores::scalar::json_string(v))
}

/// A mapping key: plain when that reads back as the same string.
fn key(k: &str) -> String {
    let plain = k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._/".contains(c))
        && !["true", "false", "null", "yes", "no", "on", "off", "y", "n"]
            .contains(&k.to_ascii_lowercase().as_str());
    if plain {
        k.to_string()
    } else {
        crate::stores::scalar::json_string(k)
    }
}

/// Refuses a key group hush-controller cannot use: one of PGP keys only
/// (the controller runs no gpg).
pub fn check_key_groups(groups: &crate::KeyGroups) -> Result<(), Refusal> {
    match groups
        .iter()
        .position(|g| !g.is_empty() && g.iter().all(|k| k.kind() == "pgp"))
    {
        Some(i) => Err(Refusal(format!(
            "key group {} has only PGP keys, which hush-controller cannot use; add an age or KMS key",
            i + 1
        ))),
        None => Ok(()),
    }
}

/// `kubectl apply` (client-side) copies the object into the
/// last-applied-configuration annotation, and annotations are capped at
/// 256 KiB in total.
const CLIENT_SIDE_APPLY_MAX: usize = 256 * 1024;
/// etcd's default request limit; the API server refuses larger objects.
const OBJECT_MAX: usize = 1536 * 1024;
/// Room for the object's other metadata (managedFields, labels, status).
const OBJECT_MARGIN: usize = 16 * 1024;

/// A warning when an `EncryptedSecret` of `len` bytes would not apply:
/// ciphertext is about 1.78 times the raw data (base64 twice).
pub fn size_warning(len: usize) -> Option<String> {
    let kib = len.div_ceil(1024);
    if len + OBJECT_MARGIN > OBJECT_MAX {
        Some(format!(
            "the EncryptedSecret is {kib} KiB; the API server refuses objects over about 1.5 MiB \
             (about 850 KiB of raw Secret data): split the Secret"
        ))
    } else if len + OBJECT_MARGIN > CLIENT_SIDE_APPLY_MAX {
        Some(format!(
            "the EncryptedSecret is {kib} KiB; client-side `kubectl apply` stores a copy in a \
             256 KiB annotation and will fail (about 135 KiB of raw Secret data): use \
             `kubectl apply --server-side` or `kubectl create`"
        ))
    } else {
        None
    }
}

/// A path step: map keys compare by bytes, list items by index.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Key(String),
    Index(usize),
}

fn collect(
    v: &Value,
    re: &regex::Regex,
    inside: bool,
    at: &mut Vec<Step>,
    out: &mut Vec<Vec<Step>>,
) {
    match v {
        Value::Map(items) => {
            for (k, child) in items {
                if at.is_empty() && k == "sops" {
                    continue;
                }
                at.push(Step::Key(k.clone()));
                collect(child, re, inside || re.is_match(k), at, out);
                at.pop();
            }
        }
        Value::Seq(items) => {
            for (i, child) in items.iter().enumerate() {
                at.push(Step::Index(i));
                collect(child, re, inside, at, out);
                at.pop();
            }
        }
        Value::Scalar(_) | Value::Null if inside => out.push(at.clone()),
        _ => {}
    }
}

fn render(path: &[Step]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|s| match s {
            Step::Key(k) => k.clone(),
            Step::Index(i) => i.to_string(),
        })
        .collect();
    parts.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(items: &[(&str, Value)]) -> Value {
        Value::Map(
            items
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
    fn s(x: &str) -> Value {
        Value::Scalar(x.into())
    }

    fn parts(data: &[(&str, &str)], string_data: &[(&str, &str)]) -> SecretParts {
        let secrets = |items: &[(&str, &str)]| {
            items
                .iter()
                .map(|(k, v)| (k.to_string(), SecretString::from(v.to_string())))
                .collect()
        };
        SecretParts {
            name: "db".into(),
            namespace: Some("prod".into()),
            data: secrets(data),
            string_data: secrets(string_data),
            ..SecretParts::default()
        }
    }

    #[test]
    fn document_is_sorted_and_typed_as_strings() {
        let s = parts(&[("b", "aGk=")], &[("z", "1"), ("a", "true")]);
        let scope: Scope = "strict:prod/db".parse().unwrap();
        let doc = document(&s, &scope).unwrap();
        let v = order_violation_in(&doc, crate::Format::Yaml).unwrap();
        assert_eq!(v, None, "{}", doc.as_str());
        assert!(doc.contains("    a: \"true\"\n"), "{}", doc.as_str());
        assert!(doc.starts_with("apiVersion: hush.dev/v1alpha1\nkind: EncryptedSecret\n"));
        assert!(doc.find("  data:").unwrap() < doc.find("  scope:").unwrap());
        assert!(doc.find("  scope:").unwrap() < doc.find("  stringData:").unwrap());
    }

    #[test]
    fn unsealable_secrets_are_refused() {
        let scope = Scope::Cluster;
        let bad64 = parts(&[("k", "not base64!")], &[]);
        assert!(document(&bad64, &scope).unwrap_err().0.contains("base64"));
        let mut label = parts(&[], &[]);
        label.labels.insert("data".into(), "x".into());
        assert!(document(&label, &scope).unwrap_err().0.contains("`data`"));
        let empty = parts(&[], &[("k", "")]);
        assert!(document(&empty, &scope)
            .unwrap_err()
            .0
            .contains("stringData.k is empty"));
    }

    #[test]
    fn sizes_past_the_apply_limits_warn() {
        assert_eq!(size_warning(10 * 1024), None);
        assert!(size_warning(250 * 1024).unwrap().contains("--server-side"));
        assert!(size_warning(1600 * 1024)
            .unwrap()
            .contains("split the Secret"));
    }

    #[test]
    fn odd_keys_are_quoted() {
        assert_eq!(key("password"), "password");
        assert_eq!(key("tls.crt"), "tls.crt");
        assert_eq!(key("yes"), "\"yes\"");
        assert_eq!(key("1st"), "\"1st\"");
    }

    #[test]
    fn refusal_names_the_scope_kind_only() {
        let strict: Scope = "strict:prod/db".parse().unwrap();
        assert_eq!(strict.refusal("prod", "db"), None);
        let msg = strict.refusal("dev", "db").unwrap();
        assert!(
            msg.contains("`strict` scope for another namespace or name"),
            "{msg}"
        );
        assert!(!msg.contains("prod"), "{msg}");
    }

    #[test]
    fn secret_keys_and_declared_types() {
        assert!(valid_secret_key("tls.crt") && !valid_secret_key("a/b") && !valid_secret_key(""));
        assert!(declared_str("ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]"));
        assert!(!declared_str("ENC[AES256_GCM,data:x,iv:y,tag:z,type:int]"));
    }

    #[test]
    fn scopes_round_trip_and_permit() {
        for text in ["strict:prod/db", "namespace:prod", "cluster"] {
            let scope: Scope = text.parse().unwrap();
            assert_eq!(scope.to_string(), text);
        }
        let strict: Scope = "strict:prod/db".parse().unwrap();
        assert!(strict.permits("prod", "db"));
        assert!(!strict.permits("prod", "db2"));
        assert!(!strict.permits("dev", "db"));
        let ns: Scope = "namespace:prod".parse().unwrap();
        assert!(ns.permits("prod", "anything"));
        assert!(!ns.permits("prod2", "anything"));
        assert!(Scope::Cluster.permits("x", "y"));
    }

    #[test]
    fn bad_scopes_are_refused_without_echo() {
        for bad in [
            "",
            "strict:prod",
            "strict:/db",
            "namespace:",
            "cluster:",
            "cluster:x",
            "global",
            "namespace:Prod",
            "strict:prod/db/x",
        ] {
            let err = bad.parse::<Scope>().unwrap_err().to_string();
            assert!(
                !err.contains("prod") && !err.contains("Prod") && !err.contains("global"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn canonical_order_is_sorted_encrypted_paths() {
        let ok = map(&[
            ("kind", s("EncryptedSecret")),
            (
                "spec",
                map(&[
                    ("data", map(&[("a", s("1")), ("b", s("2"))])),
                    ("scope", s("cluster")),
                    ("stringData", map(&[("Z", s("3")), ("z", s("4"))])),
                    ("template", map(&[("type", s("Opaque"))])),
                ]),
            ),
            ("sops", map(&[("z", s("x")), ("a", s("y"))])),
        ]);
        assert_eq!(order_violation(&ok), None);

        let unsorted_keys = map(&[(
            "spec",
            map(&[("data", map(&[("b", s("2")), ("a", s("1"))]))]),
        )]);
        assert_eq!(
            order_violation(&unsorted_keys),
            Some(("spec.data.a".into(), "spec.data.b".into()))
        );

        let scope_first = map(&[(
            "spec",
            map(&[("scope", s("cluster")), ("data", map(&[("a", s("1"))]))]),
        )]);
        assert!(order_violation(&scope_first).is_some());

        // Plaintext keys may be in any order.
        let plain_unsorted = map(&[(
            "spec",
            map(&[
                ("template", map(&[("z", s("1")), ("a", s("2"))])),
                ("data", map(&[("a", s("1"))])),
            ]),
        )]);
        assert_eq!(order_violation(&plain_unsorted), None);
    }
}
