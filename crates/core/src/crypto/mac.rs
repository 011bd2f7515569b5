//! The sops MAC: SHA-512 over the plaintext leaves in document order,
//! upper-case hex, sealed with `lastmodified` as AAD.

use crate::crypto::cipher::{Cipher, DataKey, EncValue, ValueType};
use crate::error::{Error, Result};
use ring::digest::{Context, SHA512};

/// Accumulates the bytes sops hashes.
pub struct MacHasher(Context);

impl MacHasher {
    /// A new hasher; `mac_only_encrypted` seeds it with `sha256("sops")`.
    pub fn new(mac_only_encrypted: bool) -> Self {
        let mut ctx = Context::new(&SHA512);
        if mac_only_encrypted {
            ctx.update(ring::digest::digest(&ring::digest::SHA256, b"sops").as_ref());
        }
        MacHasher(ctx)
    }

    /// Feeds one leaf's `ToBytes` form.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest as 128 upper-case hex characters.
    pub fn finish(self) -> String {
        self.0
            .finish()
            .as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }
}

/// Seals the hex MAC with `lastmodified` (RFC 3339) as AAD.
pub fn seal_mac(key: &DataKey, cipher: Cipher, mac: &str, lastmodified: &str) -> Result<String> {
    Ok(EncValue::seal(
        cipher,
        key,
        mac.as_bytes(),
        lastmodified.as_bytes(),
        ValueType::Str,
        None,
    )?
    .to_string())
}

/// Opens the stored MAC; a failure means the MAC or `lastmodified` was changed.
pub fn open_mac(key: &DataKey, stored: &str, lastmodified: &str) -> Result<String> {
    if stored.is_empty() {
        return Err(Error::MacNotFound);
    }
    // sops: "Cannot decrypt MAC" (51) for a value that is not `ENC[…]`.
    let v = EncValue::parse(stored).map_err(|_| Error::MacMismatch)?;
    let aad = crate::time::rfc3339_aad(lastmodified)?;
    let plain = v.open(key, aad.as_bytes()).ok_or(Error::MacMismatch)?;
    String::from_utf8(plain.to_vec()).map_err(|_| Error::MacMismatch)
}
