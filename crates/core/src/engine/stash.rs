//! The cipher stash: unchanged values keep their IV on re-encryption.

use crate::crypto::cipher::ValueType;
use std::collections::HashMap;

/// IVs of the values a file held, keyed by a digest of (path, type, plaintext),
/// so re-encrypting an unchanged value gives byte-identical ciphertext
/// (sops's cipher stash). No plaintext is kept. Each IV is handed out once:
/// equal values at one path (list items) keep their distinct IVs instead of
/// all taking the last one, which would show they are equal.
#[derive(Default, Clone)]
pub(crate) struct Stash(HashMap<[u8; 32], std::collections::VecDeque<Vec<u8>>>);

impl Stash {
    fn id(aad: &str, vtype: ValueType, text: &str) -> [u8; 32] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA512_256);
        for part in [aad, vtype.as_str(), text] {
            ctx.update(&(part.len() as u64).to_le_bytes());
            ctx.update(part.as_bytes());
        }
        ctx.finish().as_ref().try_into().expect("32-byte digest")
    }

    pub(crate) fn record(&mut self, aad: &str, vtype: ValueType, text: &str, iv: &[u8]) {
        self.0
            .entry(Self::id(aad, vtype, text))
            .or_default()
            .push_back(iv.to_vec());
    }

    /// The next unused IV of this value, in document order.
    pub(crate) fn take(&mut self, aad: &str, vtype: ValueType, text: &str) -> Option<Vec<u8>> {
        self.0.get_mut(&Self::id(aad, vtype, text))?.pop_front()
    }
}
