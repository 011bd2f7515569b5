//! The bodies of the `cargo fuzz` targets in `fuzz/`, as plain functions so
//! the normal test suite runs them on the seed corpus (`fuzz/corpus`) and
//! the fuzz crate stays a thin wrapper. Each one panics only on a real bug:
//! a crash, or a broken round trip. Not part of the stable API.

use crate::crypto::cipher::{DataKey, EncValue};
use crate::crypto::mac::seal_mac;
use crate::engine::decrypt::decrypt_with_key;
use crate::engine::document::{Ciphertext, DecryptOptions, EncryptOptions};
use crate::engine::encrypt::{seal_body, sops_block};
use crate::engine::format::Format;
use crate::engine::parsed::parse;
use crate::engine::splice::apply;
use crate::metadata::{AgeEntry, KeyEntry, KeyGroup, Metadata, SOPS_FORMAT_VERSION};
use std::path::Path;
use zeroize::Zeroizing;

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// `ENC[…]` parser: no panic; what parses prints back to an equal value;
/// opening with a wrong key fails cleanly.
pub fn enc_value(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let Ok(v) = EncValue::parse(s) else { return };
    let again = EncValue::parse(&v.to_string()).expect("a printed value parses");
    assert_eq!(again, v, "print/parse round trip");
    let key = DataKey::from_slice(&[0x42; 32]).expect("32 bytes");
    let _ = v.open(&key, b"a:");
}

/// `sops:` metadata parser, from YAML and JSON files: no panic; what
/// parses writes back to a value that parses to the same metadata.
pub fn metadata(data: &[u8]) {
    let Some(s) = text(data) else { return };
    for format in [Format::Yaml, Format::Json] {
        let Ok(parsed) = parse(s, format) else {
            continue;
        };
        for doc in &parsed.docs {
            let Some((v, _)) = &doc.sops else { continue };
            let Ok(m) = Metadata::from_value(v) else {
                continue;
            };
            let written = m.to_value();
            let back = Metadata::from_value(&written).expect("written metadata parses");
            assert_eq!(back.to_value(), written, "metadata round trip");
        }
    }
}

/// The YAML splicer: encrypting then decrypting gives back every byte.
pub fn yaml_splice(data: &[u8]) {
    splice_round_trip(data, Format::Yaml);
}

/// The JSON path of the splicer: encrypting then decrypting gives back every byte.
pub fn json_splice(data: &[u8]) {
    splice_round_trip(data, Format::Json);
}

/// Encrypts with a fixed data key (no master key work, so the fuzzer spends
/// its time in the parsers), decrypts, and compares.
fn splice_round_trip(data: &[u8], format: Format) {
    let Some(src) = text(data) else { return };
    let Ok(parsed) = parse(src, format) else {
        return;
    };
    if parsed.docs.is_empty() || parsed.docs.iter().any(|d| d.sops.is_some()) {
        return;
    }
    let key = DataKey::from_slice(&[0x42; 32]).expect("32 bytes");
    let opts = EncryptOptions::default();
    // Refusals (an alias to an encrypted value, colliding AADs) are fine.
    let Ok((mut splices, mac)) = seal_body(&parsed, &key, &opts, None) else {
        return;
    };
    let lastmodified = "2024-01-01T00:00:00Z".to_string();
    let meta = Metadata {
        groups: vec![KeyGroup {
            keys: vec![KeyEntry::Age(AgeEntry {
                recipient: "age1fuzz".into(),
                enc: "-----BEGIN AGE ENCRYPTED FILE-----\nAA==\n-----END AGE ENCRYPTED FILE-----\n"
                    .into(),
            })],
        }],
        shamir_threshold: None,
        mac: seal_mac(&key, opts.cipher, &mac, &lastmodified).expect("seal"),
        lastmodified,
        version: SOPS_FORMAT_VERSION.into(),
        selector: opts.selector.clone(),
        mac_only_encrypted: false,
    };
    let value = meta.to_value();
    for doc in &parsed.docs {
        let block = sops_block(src, doc, &value, format);
        splices.push((doc.insert_at..doc.insert_at, Zeroizing::new(block)));
    }
    let enc = Ciphertext::new(apply(src, splices), format);
    let reparsed = parse(enc.as_str(), format)
        .unwrap_or_else(|e| panic!("the encrypted file does not parse: {e}\n{}", enc.as_str()));
    let first = reparsed.docs.first().and_then(|d| d.sops.as_ref());
    let (meta_value, _) = first.expect("the encrypted file has metadata");
    let meta = Metadata::from_value(meta_value).expect("metadata parses");
    let plain = decrypt_with_key(
        &enc,
        &reparsed,
        &meta,
        &key,
        &DecryptOptions::default(),
        None,
    )
    .unwrap_or_else(|e| panic!("decrypt failed: {e}\n{}", enc.as_str()));
    if plain.expose() != src {
        // A quoted scalar comes back in the renderer's spelling of its
        // escapes (`\u00e9` as `é`): the same value, other bytes.
        let back = parse(plain.expose(), format).expect("the decrypted file parses");
        assert_eq!(
            leaves(&back),
            leaves(&parsed),
            "round trip changed a value\n{}",
            enc.as_str()
        );
    }
}

/// Every leaf as (AAD, sops type, canonical bytes), in document order:
/// what sops sees, and hashes into the MAC.
fn leaves(parsed: &crate::engine::parsed::Parsed) -> Vec<(String, Option<&'static str>, Vec<u8>)> {
    let mut out = Vec::new();
    let sel = crate::Selector::default();
    for doc in &parsed.docs {
        crate::tree::walk(&doc.root, &parsed.anchors, &sel, &mut |v| {
            let path = crate::tree::aad(v.path);
            out.push(match v.leaf.resolved {
                None => (path, None, v.leaf.text.as_bytes().to_vec()),
                Some(r) => {
                    let (vtype, text) = crate::stores::scalar::sealed_text(r, &v.leaf.text);
                    let bytes = crate::stores::scalar::mac_bytes(vtype, &text).unwrap_or_default();
                    (path, Some(vtype.as_str()), bytes.to_vec())
                }
            });
            Ok(())
        })
        .expect("walk");
    }
    out
}

/// `.sops.yaml` parser: no panic, and a parsed config can match paths.
pub fn sops_config(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let Ok(cfg) = crate::rules::Config::parse(s, Path::new("/repo/.sops.yaml")) else {
        return;
    };
    for p in ["/repo/secret.yaml", "/repo/a/b.enc.json", "other/x.yaml"] {
        let _ = cfg.rule_for(Path::new(p));
    }
}
