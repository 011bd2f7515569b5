//! sops's binary store (`BinaryStore` in `stores/json`): the whole file,
//! any bytes, is one string value `data` (AAD `data:`) in a JSON envelope
//! `{"data": "ENC[…]", "sops": {…}}` indented with tabs. The MAC is over
//! the raw bytes. No selector applies and none is written.

use crate::crypto::cipher::{Cipher, DataKey, EncValue, ValueType};
use crate::crypto::mac::{open_mac, MacHasher};
use crate::engine::document::{Ciphertext, DecryptOptions, Plaintext};
use crate::engine::format::Format;
use crate::engine::parsed::Parsed;
use crate::error::{Error, Result};
use crate::metadata::Metadata;
use crate::selector::SELECTOR_KEYS;
use crate::tree::{Node, Value};

/// The key that holds the content.
const DATA: &str = "data";
/// Its AAD.
const AAD: &[u8] = b"data:";

/// Encrypts the content with `key`: the `data` value (empty content stays
/// an empty string, as in sops) and the hex MAC.
pub(crate) fn seal_data(bytes: &[u8], key: &DataKey, cipher: Cipher) -> Result<(String, String)> {
    let mut mac = MacHasher::new(false);
    mac.update(bytes);
    let data = if bytes.is_empty() {
        String::new()
    } else {
        EncValue::seal(cipher, key, bytes, AAD, ValueType::Str, None)?.to_string()
    };
    Ok((data, mac.finish()))
}

/// The envelope exactly as sops writes it.
pub(crate) fn envelope(data: &str, meta: &Metadata) -> Ciphertext {
    let mut v = meta.to_value();
    if let Value::Map(m) = &mut v {
        m.retain(|(k, _)| !SELECTOR_KEYS.contains(&k.as_str()));
    }
    let text = format!(
        "{{\n\t\"{DATA}\": {},\n\t\"sops\": {}\n}}\n",
        super::scalar::json_string(data),
        crate::metadata::json_value(&v, 1, "\t")
    );
    Ciphertext::new(text, Format::Binary)
}

/// Decrypts the `data` value of a parsed envelope and checks the MAC.
pub(crate) fn open(
    parsed: &Parsed,
    meta: &Metadata,
    key: &DataKey,
    opts: &DecryptOptions,
) -> Result<Plaintext> {
    let items = match parsed.docs.first().map(|d| &d.root) {
        Some(Node::Map(items)) => items,
        _ => return Err(Error::NotEncrypted),
    };
    let leaf = items
        .iter()
        .find(|i| i.key.as_deref() == Some(DATA))
        .and_then(|i| match &i.node {
            Node::Leaf(l) => Some(l),
            _ => None,
        })
        .ok_or_else(|| Error::corrupt("the binary file has no `data` string"))?;
    let bytes = if leaf.text.is_empty() {
        zeroize::Zeroizing::new(Vec::new())
    } else {
        let ev =
            EncValue::parse(&leaf.text).map_err(|e| Error::corrupt(format!("at `data:`: {e}")))?;
        ev.open(key, AAD).ok_or_else(|| Error::ValueDecrypt {
            path: "data:".into(),
        })?
    };
    if !opts.ignore_mac {
        let mut mac = MacHasher::new(meta.mac_only_encrypted);
        mac.update(&bytes);
        if open_mac(key, &meta.mac, &meta.lastmodified)? != mac.finish() {
            return Err(Error::MacMismatch);
        }
    }
    Plaintext::from_bytes(bytes.to_vec(), Format::Binary)
}
