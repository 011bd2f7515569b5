//! The documents the engine takes and gives: [`Plaintext`] (zeroed on drop,
//! never written by the engine) and [`Ciphertext`] (safe to write), and the
//! options of encryption and decryption.

use super::format::Format;
use super::parsed::parse;
use crate::crypto::cipher::Cipher;
use crate::error::{Error, Result};
use crate::keys::MasterKey;
use crate::selector::Selector;
use crate::stores::scalar::Resolved;
use std::sync::Arc;
use zeroize::Zeroizing;

/// A plaintext file. Its bytes are zeroed when dropped. Every format but
/// [`Format::Binary`] holds UTF-8 text.
pub struct Plaintext {
    text: Zeroizing<Vec<u8>>,
    /// The format.
    pub format: Format,
    /// Values of a dotenv or INI file that its text alone would lose.
    exact: Vec<FlatValue>,
}

/// A dotenv or INI value as the file's tree holds it, where its line does
/// not say it all: a type other than string (sops's `set` stores a JSON
/// number as a float, written `5.0`), or a text that its line reads back
/// otherwise (a literal `\n` in dotenv, quotes around an INI value).
#[derive(Clone, PartialEq)]
pub(crate) struct FlatValue {
    /// The AAD path (`KEY:`, `section:key:`).
    pub path: String,
    pub t: Resolved,
    pub text: Zeroizing<String>,
    /// What the value's line reads as now; the value holds while it does.
    pub read: Zeroizing<String>,
}

impl Plaintext {
    /// Wraps plaintext text.
    pub fn new(text: String, format: Format) -> Self {
        Plaintext {
            text: Zeroizing::new(text.into_bytes()),
            format,
            exact: Vec::new(),
        }
    }

    /// This text with the value at `v.path` held exactly (flat formats); a
    /// string its line reads back as needs no entry.
    pub(crate) fn with_value(mut self, v: FlatValue) -> Self {
        self.exact.retain(|e| e.path != v.path);
        if v.t != Resolved::Str || v.text != v.read {
            self.exact.push(v);
        }
        self
    }

    /// The exact values of a flat file (see [`FlatValue`]).
    pub(crate) fn exact(&self) -> &[FlatValue] {
        &self.exact
    }

    /// Wraps plaintext bytes: any bytes for [`Format::Binary`], UTF-8 text
    /// for the other formats.
    pub fn from_bytes(bytes: Vec<u8>, format: Format) -> Result<Self> {
        let bytes = Zeroizing::new(bytes);
        if format != Format::Binary && std::str::from_utf8(&bytes).is_err() {
            return Err(Error::Syntax {
                format: format.name(),
                reason: "the file is not UTF-8 text".into(),
            });
        }
        Ok(Plaintext {
            text: bytes,
            format,
            exact: Vec::new(),
        })
    }

    /// The text. A binary file whose bytes are not UTF-8 has no text: this
    /// is then empty, and [`Plaintext::expose_bytes`] has its content.
    pub fn expose(&self) -> &str {
        std::str::from_utf8(&self.text).unwrap_or_default()
    }

    /// The raw bytes (what a decrypted file is written as).
    pub fn expose_bytes(&self) -> &[u8] {
        &self.text
    }
}

impl std::fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Plaintext({:?}, {} bytes, [REDACTED])",
            self.format,
            self.text.len()
        )
    }
}

/// An encrypted file: safe to write anywhere.
#[derive(Clone, Debug)]
pub struct Ciphertext {
    pub(super) text: String,
    /// The format.
    pub format: Format,
}

impl Ciphertext {
    /// Wraps encrypted text (not checked until decrypted).
    pub fn new(text: String, format: Format) -> Self {
        Ciphertext { text, format }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this text carries sops metadata (a top-level `sops` key).
    pub fn is_encrypted(text: &str, format: Format) -> Result<bool> {
        Ok(parse(text, format)?.docs.iter().any(|d| d.sops.is_some()))
    }
}

/// How to encrypt.
#[derive(Clone, Debug, Default)]
pub struct EncryptOptions {
    /// What gets encrypted.
    pub selector: Selector,
    /// Hash only encrypted values into the MAC.
    pub mac_only_encrypted: bool,
    /// The AEAD.
    pub cipher: Cipher,
    /// With several key groups: how many must join to rebuild the data key
    /// (default: all of them).
    pub shamir_threshold: Option<u32>,
}

/// How to decrypt.
#[derive(Clone, Debug)]
pub struct DecryptOptions {
    /// Skip MAC verification (`--ignore-mac`).
    pub ignore_mac: bool,
    /// Key types to try first, in order (`--decryption-order`).
    pub decryption_order: Vec<String>,
}

impl Default for DecryptOptions {
    fn default() -> Self {
        DecryptOptions {
            ignore_mac: false,
            decryption_order: crate::keys::DEFAULT_DECRYPTION_ORDER
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// Master keys by group: one inner list per key group.
pub type KeyGroups = Vec<Vec<Arc<dyn MasterKey>>>;
