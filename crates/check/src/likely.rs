//! The opt-in `likely-secret` rule: a high-entropy string under a key whose
//! name says it holds a secret, in YAML that is not a Secret.
//!
//! Both signals are needed. The key alone flags `password: changeme` in
//! every example chart; the entropy alone flags every image digest.

use crate::yaml::{Node, Pos};
use hush_core::crypto::cipher::EncValue;

/// Key-name endings (lowercase, without `_`, `-`, `.`) that mean "secret".
const SECRET_KEYS: [&str; 14] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "secretkey",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "clientsecret",
    "credential",
    "credentials",
    "authkey",
    "connectionstring",
];

/// Shortest value considered.
const MIN_LEN: usize = 10;
/// Bits per character below which a value looks like a word, not a key.
const MIN_ENTROPY: f64 = 3.0;

/// Whether a key name sounds like it holds a secret (`dbPassword`,
/// `API_TOKEN`), but not like a reference to one (`secretName`).
pub(crate) fn secret_key(key: &str) -> bool {
    let norm: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_KEYS.iter().any(|k| norm.ends_with(k))
}

/// Shannon entropy in bits per character.
pub(crate) fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// Whether a value looks random enough to be a credential.
pub(crate) fn looks_random(v: &str) -> bool {
    if v.chars().count() < MIN_LEN
        || v.contains(char::is_whitespace)
        || v.starts_with("${")
        || v.contains("{{")
        || v.contains(crate::template::MARK)
        || EncValue::looks_encrypted(v)
        || (v.contains("://") && !v.contains('@'))
    {
        return false;
    }
    let classes = [
        v.chars().any(|c| c.is_ascii_lowercase()),
        v.chars().any(|c| c.is_ascii_uppercase()),
        v.chars().any(|c| c.is_ascii_digit()),
        v.chars()
            .any(|c| !c.is_ascii_alphanumeric() && !matches!(c, '-' | '_' | '.' | '/')),
    ];
    classes.iter().filter(|c| **c).count() >= 2 && entropy(v) >= MIN_ENTROPY
}

/// One likely secret: the key and where its value is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Likely {
    pub key: String,
    pub pos: Pos,
    pub entropy: f64,
}

/// Finds likely secrets in documents that are not Secrets.
pub(crate) fn find(docs: &[Node<'_>]) -> Vec<Likely> {
    let mut out = Vec::new();
    for doc in docs {
        visit(doc, &mut out);
    }
    out
}

fn visit(node: &Node<'_>, out: &mut Vec<Likely>) {
    match node {
        Node::Map(items, _) => {
            if node.get("kind").and_then(Node::as_str) == Some("Secret") {
                // Secrets, also inside `kind: List`, are plaintext-secret's concern.
                return;
            }
            for (k, v) in items {
                match v {
                    Node::Scalar(s)
                        if secret_key(&k.text) && s.is_string() && looks_random(&s.text) =>
                    {
                        out.push(Likely {
                            key: k.text.to_string(),
                            pos: s.pos,
                            entropy: entropy(&s.text),
                        });
                    }
                    _ => visit(v, out),
                }
            }
        }
        Node::Seq(items, _) => items.iter().for_each(|v| visit(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_a_secret_sounding_key_and_a_random_value() {
        assert!(secret_key("dbPassword") && secret_key("API_TOKEN") && secret_key("client-secret"));
        assert!(
            !secret_key("secretName") && !secret_key("tokenTtl") && !secret_key("passwordFile")
        );
        assert!(looks_random("kX9#mP2$vL8qR4"));
        assert!(!looks_random("changeme"));
        assert!(!looks_random("my-app-secret-name"));
        assert!(!looks_random("${DB_PASSWORD}"));
        assert!(!looks_random("https://vault.example/token"));
    }
}
