//! Where an `EncryptedSecret` may be decrypted, and the key order that keeps
//! its MAC verifiable after the Kubernetes API server has rewritten it.
//!
//! An `EncryptedSecret` is a sops file whose `spec.scope` is an encrypted
//! value such as `strict:prod/db`. Being encrypted, the binding is covered
//! by AES-GCM (path AAD) and by the MAC, so copying the file into another
//! namespace, or renaming it, cannot change it without the data key.
//!
//! The API server stores custom resources as JSON maps and returns them
//! with keys sorted, so hush verifies the MAC in that order: a sealed file
//! hashes only its encrypted values (`mac_only_encrypted`) and keeps them in
//! sorted key order ([`order_violation`]).

use crate::tree::Value;
use std::fmt;
use std::str::FromStr;

/// The `encrypted_regex` of every `EncryptedSecret`.
pub const ENCRYPTED_REGEX: &str = "^(data|stringData|scope)$";

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
    doc.get("kind").and_then(Value::as_str) == Some("EncryptedSecret")
        && doc
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|v| v.starts_with("hush.dev/"))
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
    if meta.selector.to_key() != ("encrypted_regex", ENCRYPTED_REGEX) {
        return Ok(Some(format!(
            "the EncryptedSecret must use `encrypted_regex: {ENCRYPTED_REGEX}`, or hush-controller refuses it"
        )));
    }
    if !meta.mac_only_encrypted {
        return Ok(Some(
            "the EncryptedSecret lacks `mac_only_encrypted: true`, so hush-controller cannot verify its MAC"
                .into(),
        ));
    }
    order_problem(text, format)
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
