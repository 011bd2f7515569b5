//! Key providers: the one joint between a file's data key and the master
//! keys that wrap it.
//!
//! A provider implements [`MasterKey`] to wrap a data key into a `sops:`
//! entry and [`Unwrapper`] to try to get it back. Both are async so a
//! network provider (AWS KMS) can run on the caller's runtime; hush-core
//! never starts a runtime itself. age is the first provider.

pub mod age;

use crate::cipher::DataKey;
use crate::error::Result;
use crate::metadata::KeyEntry;
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future, so the traits stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that wraps a data key for the `sops:` block.
pub trait MasterKey: Send + Sync {
    /// A short name for messages, such as the recipient or ARN.
    fn describe(&self) -> String;
    /// Wraps `key` (a data key or a Shamir share) into a metadata entry.
    fn wrap<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Result<KeyEntry>>;
}

/// Something that may unwrap a stored entry.
pub trait Unwrapper: Send + Sync {
    /// `None` means "not mine" (another provider, or no matching key);
    /// `Some(Err)` means it was mine and failed.
    fn unwrap<'a>(
        &'a self,
        entry: &'a KeyEntry,
    ) -> BoxFuture<'a, Option<Result<secrecy::SecretSlice<u8>>>>;
}

/// Tries every entry of every group with every unwrapper and returns the
/// data key from the first that succeeds.
pub async fn unwrap_data_key(
    groups: &[crate::metadata::KeyGroup],
    unwrappers: &[&dyn Unwrapper],
) -> Result<DataKey> {
    use secrecy::ExposeSecret;
    let mut failures = Vec::new();
    let mut tried = Vec::new();
    for group in groups {
        for entry in &group.keys {
            tried.push(entry.describe());
            for u in unwrappers {
                match u.unwrap(entry).await {
                    Some(Ok(secret)) => return DataKey::from_slice(secret.expose_secret()),
                    Some(Err(e)) => failures.push(e.to_string()),
                    None => {}
                }
            }
        }
    }
    let mut msg = if tried.is_empty() {
        "the file lists no master keys".to_string()
    } else {
        format!(
            "no available key could unwrap it (file is encrypted to: {})",
            tried.join(", ")
        )
    };
    if !failures.is_empty() {
        msg.push_str(&format!("; errors: {}", failures.join("; ")));
    }
    Err(crate::error::Error::NoDataKey(msg))
}
