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
mod binary;
pub mod cipher;
pub mod documents;
mod dotenv;
mod engine;
pub mod error;
pub mod exec;
mod flat;
#[doc(hidden)]
pub mod fuzzing;
mod ini;
mod json;
pub mod keys;
pub mod mac;
pub mod merge;
mod merge_flat;
pub mod metadata;
pub mod patch;
pub mod path;
pub mod plan;
pub mod rules;
mod scalar;
pub mod scope;
pub mod selector;
pub mod shamir;
#[cfg(test)]
mod splice_props;
pub mod time;
mod tree;
pub mod update;
mod yaml;
mod yaml_fast;
mod yaml_guard;

pub use ambiguity::ambiguous_paths;
pub use cipher::{Cipher, DataKey};
pub use engine::{
    audit, convert, decrypt, decrypt_cached, encrypt, metadata, Audit, AuditFinding, AuditKind,
    Ciphertext, DecryptOptions, EncryptOptions, Format, KeyGroups, Plaintext,
};
pub use error::{Error, Result};
pub use selector::Selector;
pub use tree::Value;

/// Runs a future that never waits on I/O (age-only work) to completion.
///
/// For callers without an async runtime; network providers need a real one.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}
