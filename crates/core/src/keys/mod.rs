//! Key providers: the one joint between a file's data key and the master
//! keys that wrap it.
//!
//! A provider implements [`MasterKey`] to wrap a data key into a `sops:`
//! entry and [`Unwrapper`] to try to get it back. Both are async so a
//! network provider (AWS KMS) can run on the caller's runtime; hush-core
//! never starts a runtime itself. Providers: age, AWS KMS, PGP (via gpg).

pub mod age;
pub mod cache;
pub mod diff;
pub mod kms;
pub mod pgp;
pub mod ring;

use crate::crypto::cipher::DataKey;
use crate::error::Error;
use crate::error::Result;
use crate::metadata::{KeyEntry, KeyGroup, Metadata};
use secrecy::{ExposeSecret, SecretSlice};
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future, so the traits stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that wraps a data key for the `sops:` block.
pub trait MasterKey: Send + Sync {
    /// A short name for messages, such as the recipient or ARN.
    fn describe(&self) -> String;
    /// The metadata list its entries go to (`age`, `kms`, `pgp`).
    fn kind(&self) -> &'static str;
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

/// The key types sops tries first, in order (`--decryption-order`).
pub const DEFAULT_DECRYPTION_ORDER: [&str; 2] = ["age", "pgp"];

/// Recovers the data key: one key from a single group, or the threshold
/// number of Shamir shares from distinct groups. Keys are tried in
/// `order` (by type; others after, in file order), and each group stops at
/// its first success, so a file costs one unwrap per group it needs.
///
/// On failure the error has one line per key tried: the group, the key,
/// and why it failed. It never contains key material.
pub async fn unwrap_data_key(
    meta: &Metadata,
    unwrappers: &[&dyn Unwrapper],
    order: &[String],
) -> Result<DataKey> {
    let groups = &meta.groups;
    let need = match groups.len() {
        0 | 1 => 1,
        n => meta
            .shamir_threshold
            .map(|t| t as usize)
            .filter(|&t| t > 0)
            .unwrap_or(n),
    };
    let mut report = Vec::new();
    let mut shares = Vec::new();
    for (gi, group) in groups.iter().enumerate() {
        if shares.len() == need {
            break;
        }
        if let Some(share) =
            unwrap_group(gi, groups.len(), group, unwrappers, order, &mut report).await
        {
            shares.push(share);
        }
    }
    if shares.len() < need || shares.is_empty() {
        let mut msg = if groups.len() > 1 {
            format!("recovered {} of the {need} key groups needed", shares.len())
        } else {
            "no key could unwrap it".to_string()
        };
        if report.is_empty() {
            msg.push_str("; the file lists no master keys");
        }
        for line in report {
            msg.push_str("\n  ");
            msg.push_str(&line);
        }
        return Err(Error::NoDataKey(msg));
    }
    if groups.len() > 1 {
        let parts: Vec<&[u8]> = shares.iter().map(|s| s.expose_secret()).collect();
        DataKey::from_slice(&crate::crypto::shamir::combine(&parts)?)
    } else {
        DataKey::from_slice(shares[0].expose_secret())
    }
}

async fn unwrap_group(
    gi: usize,
    ngroups: usize,
    group: &KeyGroup,
    unwrappers: &[&dyn Unwrapper],
    order: &[String],
    report: &mut Vec<String>,
) -> Option<SecretSlice<u8>> {
    let rank = |e: &KeyEntry| {
        order
            .iter()
            .position(|k| k == e.kind())
            .unwrap_or(order.len())
    };
    let mut keys: Vec<&KeyEntry> = group.keys.iter().collect();
    keys.sort_by_key(|e| rank(e));
    let label = |e: &KeyEntry| {
        if ngroups > 1 {
            format!("group {}: {}", gi + 1, e.describe())
        } else {
            e.describe()
        }
    };
    for entry in keys {
        let mut tried = false;
        for u in unwrappers {
            match u.unwrap(entry).await {
                Some(Ok(secret)) => return Some(secret),
                Some(Err(e)) => {
                    report.push(format!("{}: {}", label(entry), reason(&e)));
                    tried = true;
                    break;
                }
                None => {}
            }
        }
        if !tried {
            report.push(format!(
                "{}: this key type is not supported by hush",
                label(entry)
            ));
        }
    }
    None
}

fn reason(e: &Error) -> String {
    match e.key_failure() {
        Some((_, reason)) => reason.to_string(),
        None => e.to_string(),
    }
}
