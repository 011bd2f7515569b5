//! Committed private key material: age secret keys and PEM/OpenSSH keys.
//!
//! Matching is strict on purpose: an age key must be a whole bech32 string
//! of the right length, and a PEM header must be followed by base64 lines,
//! so documentation that merely names the formats is not flagged.

use crate::source::Lines;
use memchr::memmem;

/// One key found in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyHit {
    /// Byte offset of the key's first character.
    pub at: usize,
    /// What kind of key, for the message.
    pub kind: &'static str,
}

const AGE_PREFIX: &[u8] = b"AGE-SECRET-KEY-1";
/// The bech32 data part of an age X25519 secret key: 32 bytes and a
/// 6-character checksum, 58 characters.
const AGE_DATA_LEN: usize = 58;
const BECH32_UPPER: &[u8] = b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
/// age plugin identities look like `AGE-PLUGIN-NAME-1…`.
const AGE_PLUGIN_PREFIX: &[u8] = b"AGE-PLUGIN-";

/// Finds every private key in `text`.
pub(crate) fn find(text: &[u8]) -> Vec<KeyHit> {
    let mut hits = Vec::new();
    for at in memmem::find_iter(text, AGE_PREFIX) {
        let data = &text[at + AGE_PREFIX.len()..];
        let n = data.iter().take_while(|b| BECH32_UPPER.contains(b)).count();
        if n == AGE_DATA_LEN && !data.get(n).is_some_and(u8::is_ascii_alphanumeric) {
            hits.push(KeyHit {
                at,
                kind: "an age secret key",
            });
        }
    }
    for at in memmem::find_iter(text, AGE_PLUGIN_PREFIX) {
        let rest = &text[at..];
        let n = rest
            .iter()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'-')
            .count();
        // AGE-PLUGIN-NAME-1 followed by a long bech32 payload.
        if n > 40 && rest[..n].windows(2).any(|w| w == b"-1") {
            hits.push(KeyHit {
                at,
                kind: "an age plugin identity",
            });
        }
    }
    for at in memmem::find_iter(text, b"-----BEGIN ") {
        let rest = &text[at + 11..];
        let Some(end) = memmem::find(&rest[..rest.len().min(64)], b"-----") else {
            continue;
        };
        let label = &rest[..end];
        let kind = match label {
            b"OPENSSH PRIVATE KEY" => "an OpenSSH private key",
            b"PGP PRIVATE KEY BLOCK" => "a PGP private key",
            l if l.ends_with(b"PRIVATE KEY") => "a PEM private key",
            _ => continue,
        };
        if has_body(&rest[end + 5..]) {
            hits.push(KeyHit { at, kind });
        }
    }
    hits.sort_by_key(|h| h.at);
    hits
}

/// Whether the text after a BEGIN line holds key data: base64 lines, maybe
/// after PEM headers (`Proc-Type:`) or, in YAML/JSON, after a quote or
/// indentation.
fn has_body(after: &[u8]) -> bool {
    let window = &after[..after.len().min(400)];
    let b64 = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    // Look for a run of 40 base64 characters, allowing `\n` escapes
    // (keys inside JSON strings).
    let mut run = 0;
    let mut i = 0;
    while i < window.len() {
        let b = window[i];
        if b64(&b) {
            run += 1;
            if run >= 40 {
                return true;
            }
        } else if b == b'\\' && window.get(i + 1) == Some(&b'n') {
            run = 0;
            i += 1;
        } else {
            run = 0;
        }
        i += 1;
    }
    false
}

/// Positions of the hits as (line, column, kind).
pub(crate) fn located(text: &[u8], hits: &[KeyHit]) -> Vec<(usize, usize, &'static str)> {
    if hits.is_empty() {
        return Vec::new();
    }
    let lines = Lines::new(text);
    hits.iter()
        .map(|h| {
            let (l, c) = lines.pos(h.at);
            (l, c, h.kind)
        })
        .collect()
}

/// Whether a file name is one age and sops users keep identities in.
pub(crate) fn is_identity_file_name(name: &str) -> bool {
    matches!(name, "keys.txt" | "age.key" | "key.txt" | "identity.txt")
        || name.ends_with(".agekey")
        || name.ends_with(".age-key")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built at run time so this source file holds no key-shaped literal.
    fn age_key() -> String {
        format!("AGE-SECRET-KEY-1{}QY", "QYQSZQGP".repeat(7))
    }

    #[test]
    fn finds_a_whole_age_key_but_not_a_placeholder() {
        let key = age_key();
        assert_eq!(key.len(), 16 + 58);
        let t = format!("# created: x\n# public key: age1x\n{key}\n");
        assert_eq!(find(t.as_bytes()).len(), 1);
        assert!(find(b"AGE-SECRET-KEY-1XXXX is the format").is_empty());
        assert!(find(format!("{key}QQ").as_bytes()).is_empty());
    }

    #[test]
    fn pem_needs_a_body() {
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
        let t = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
        assert_eq!(find(t.as_bytes())[0].kind, "a PEM private key");
        let j = format!("{{\"k\": \"-----BEGIN RSA PRIVATE KEY-----\\n{body}\\n\"}}");
        assert_eq!(find(j.as_bytes()).len(), 1);
        assert!(find(b"if line == \"-----BEGIN PRIVATE KEY-----\" {\n    return;\n}").is_empty());
        assert!(find(format!("-----BEGIN PUBLIC KEY-----\n{body}\n").as_bytes()).is_empty());
    }
}
