//! Checking an encrypted file's structure without any key.

use super::format::Format;
use super::parsed::parse;
use crate::crypto::cipher::EncValue;
use crate::error::Result;
use crate::metadata::Metadata;
use crate::stores::scalar::Resolved;
use crate::tree::{aad, walk};

/// What [`audit`] found wrong in an encrypted file, without any key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFinding {
    /// What is wrong.
    pub kind: AuditKind,
    /// The key path, as sops writes it for the AAD (`stringData:password:`).
    pub path: String,
    /// 1-based line of the value.
    pub line: usize,
    /// 1-based column (in characters) of the value.
    pub column: usize,
}

/// The kinds of [`AuditFinding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditKind {
    /// The file's own selector would encrypt this value, but it is plaintext.
    PlaintextValue,
    /// The value starts with `ENC[` but does not parse.
    MalformedValue,
    /// The `sops:` block has no MAC (or one that is not an `ENC[…]`
    /// value) or no `lastmodified`.
    MissingMac,
    /// The `sops:` block lists no master key.
    NoMasterKeys,
}

/// The result of [`audit`].
#[derive(Clone, Debug)]
pub struct Audit {
    /// The file's metadata; `None` for a file without a `sops` key.
    pub metadata: Option<Metadata>,
    /// Problems, in document order.
    pub findings: Vec<AuditFinding>,
}

/// Checks a file's structure without decrypting anything: whether it is
/// encrypted, and every value its own selector says should be encrypted but
/// is not (for example a key added by hand after encryption), or is broken.
pub fn audit(text: &str, format: Format) -> Result<Audit> {
    let parsed = parse(text, format)?;
    let Some((meta_value, range)) = parsed.docs.first().and_then(|d| d.sops.as_ref()) else {
        return Ok(Audit {
            metadata: None,
            findings: Vec::new(),
        });
    };
    let meta = Metadata::from_value_unchecked(meta_value)?;
    let at = |byte: usize| {
        let line_start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
        (
            text[..byte].matches('\n').count() + 1,
            text[line_start..byte].chars().count() + 1,
        )
    };
    let mut findings = Vec::new();
    let mut push = |kind, path: String, byte: usize| {
        let (line, column) = at(byte);
        findings.push(AuditFinding {
            kind,
            path,
            line,
            column,
        });
    };
    // A MAC that is not an `ENC[…]` value can never verify: as missing.
    let mac_ok = crate::crypto::cipher::EncValue::parse(&meta.mac).is_ok();
    if !mac_ok || meta.lastmodified.is_empty() {
        push(AuditKind::MissingMac, "sops:".into(), range.start);
    }
    // An entry without its wrapped key (`enc`, lost in a cut) opens nothing.
    let wrapped = |k: &crate::metadata::KeyEntry| match k {
        crate::metadata::KeyEntry::Age(a) => !a.enc.is_empty(),
        crate::metadata::KeyEntry::Kms(k) => !k.enc.is_empty(),
        crate::metadata::KeyEntry::Pgp(p) => !p.enc.is_empty(),
        crate::metadata::KeyEntry::Other { .. } => true,
    };
    if !meta.groups.iter().flat_map(|g| &g.keys).any(wrapped) {
        push(AuditKind::NoMasterKeys, "sops:".into(), range.start);
    }
    for doc in &parsed.docs {
        walk(&doc.root, &parsed.anchors, &meta.selector, &mut |v| {
            let leaf = v.leaf;
            if !v.encrypt || v.aliased || leaf.is_comment() || leaf.text.is_empty() {
                return Ok(());
            }
            let kind =
                if !EncValue::looks_encrypted(&leaf.text) || leaf.resolved != Some(Resolved::Str) {
                    AuditKind::PlaintextValue
                } else if EncValue::parse(&leaf.text).is_err() {
                    AuditKind::MalformedValue
                } else {
                    return Ok(());
                };
            push(kind, aad(v.path), leaf.span.start);
            Ok(())
        })?;
    }
    Ok(Audit {
        metadata: Some(meta),
        findings,
    })
}

#[cfg(test)]
mod audit_tests {
    use super::*;

    #[test]
    fn audit_flags_a_value_added_in_plaintext_after_encryption() {
        let text = "stringData:\n  a: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n  b: leaked\n  c: ENC[AES256_GCM,broken]\nmetadata:\n  name: x\nsops:\n  age:\n    - recipient: age1x\n      enc: e\n  encrypted_regex: ^(data|stringData)$\n  lastmodified: \"2024-01-01T00:00:00Z\"\n  mac: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n  version: 3.11.0\n";
        let a = audit(text, Format::Yaml).unwrap();
        assert!(a.metadata.is_some());
        let got: Vec<_> = a
            .findings
            .iter()
            .map(|f| (f.kind, f.path.as_str(), f.line, f.column))
            .collect();
        assert_eq!(
            got,
            vec![
                (AuditKind::PlaintextValue, "stringData:b:", 3, 6),
                (AuditKind::MalformedValue, "stringData:c:", 4, 6)
            ]
        );
        assert!(audit("a: 1\n", Format::Yaml).unwrap().metadata.is_none());
    }

    #[test]
    fn audit_flags_keys_that_lost_their_wrapped_data_key() {
        let sops = "sops:\n  age:\n    - recipient: age1x\n  lastmodified: \"2024-01-01T00:00:00Z\"\n  mac: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n  version: 3.11.0\n";
        let kinds = |text: &str| -> Vec<AuditKind> {
            let a = audit(text, Format::Yaml).unwrap();
            a.findings.iter().map(|f| f.kind).collect()
        };
        assert_eq!(
            kinds(&format!("a_unencrypted: 1\n{sops}")),
            [AuditKind::NoMasterKeys]
        );
        let both = sops.replace("age1x\n", "age1x\n    - recipient: age1y\n      enc: e\n");
        assert_eq!(kinds(&format!("a_unencrypted: 1\n{both}")), []);
    }
}
