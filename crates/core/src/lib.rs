//! hush-core: SOPS-compatible encryption of YAML and JSON values that keeps
//! every byte of the file's formatting.
//!
//! A file is encrypted value by value with one random data key, in exactly
//! the format sops 3.x reads and writes: `ENC[AES256_GCM,…]` values whose
//! AAD is the key path, a SHA-512 MAC over the plaintext values, and a
//! `sops:` block holding the data key wrapped for each master key.
//!
//! Unlike sops, hush does not re-emit the document: it splices ciphertext in
//! place of each scalar's bytes and back, so comments, quoting, indentation,
//! anchors and key order survive, and `decrypt(encrypt(x)) == x`.
//!
//! ```
//! # fn main() -> Result<(), hush_core::Error> {
//! use hush_core::{keys::age, EncryptOptions, Format, Plaintext};
//! use std::sync::Arc;
//! let identity = ::age::x25519::Identity::generate();
//! let recipient: age::Recipient = identity.to_public().to_string().parse()?;
//! let plain = Plaintext::new("password: hunter2 # the root password\n".into(), Format::Yaml);
//! let enc = hush_core::block_on(hush_core::encrypt(&plain, &vec![vec![Arc::new(recipient)]], &EncryptOptions::default()))?;
//! assert!(enc.as_str().starts_with("password: ENC[AES256_GCM,"));
//!
//! let mut ids = age::Identities::default();
//! use ::age::secrecy::ExposeSecret;
//! ids.add_text(identity.to_string().expose_secret().as_bytes(), "example")?;
//! let back = hush_core::block_on(hush_core::decrypt(&enc, &[&ids], &Default::default()))?;
//! assert_eq!(back.expose(), plain.expose());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ambiguity;
pub mod crypto;
pub mod editing;
pub mod encrypted_secret;
pub(crate) mod engine;
pub mod error;
pub mod exec;
#[doc(hidden)]
pub mod fuzzing;
pub mod keys;
pub mod metadata;
pub mod path;
pub mod plan;
pub mod rules;
mod runtime;
pub mod selector;
#[cfg(test)]
mod splice_props;
pub mod stores;
pub mod time;
mod tree;

pub use ambiguity::ambiguous_paths;
pub use crypto::cipher::{Cipher, DataKey};
pub use engine::{
    audit, convert, decrypt, decrypt_cached, encrypt, metadata, Audit, AuditFinding, AuditKind,
    Ciphertext, DecryptOptions, EncryptOptions, Format, KeyGroups, Plaintext,
};
pub use error::{Error, Result};
pub use runtime::block_on;
pub use selector::Selector;
pub use tree::Value;
