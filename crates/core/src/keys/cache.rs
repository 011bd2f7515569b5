//! One unwrap per distinct data key across many files.
//!
//! Files that carry the same wrapped data key (copies of one file, or files
//! re-keyed together) share one entry, keyed by a digest of their key
//! groups: the first file unwraps it, the others wait for that result
//! instead of calling the key service again. At most `max_in_flight`
//! unwraps run at once, whatever the number of workers.

use crate::crypto::cipher::DataKey;
use crate::error::Result;
use crate::keys::{unwrap_data_key, Unwrapper};
use crate::metadata::Metadata;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OnceCell, Semaphore};

/// A data-key cache shared by the workers of one run. Keys are zeroed when
/// it is dropped.
pub struct DataKeyCache {
    slots: Mutex<HashMap<[u8; 32], Arc<OnceCell<DataKey>>>>,
    limit: Semaphore,
    unwraps: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for DataKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKeyCache({} unwraps, [REDACTED])", self.unwraps())
    }
}

impl DataKeyCache {
    /// A cache that runs at most `max_in_flight` unwraps at a time.
    pub fn new(max_in_flight: usize) -> Self {
        DataKeyCache {
            slots: Mutex::new(HashMap::new()),
            limit: Semaphore::new(max_in_flight.max(1)),
            unwraps: Default::default(),
        }
    }

    /// How many unwraps succeeded or failed so far (not cache hits).
    pub fn unwraps(&self) -> usize {
        self.unwraps.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The data key of a file: from the cache, or unwrapped once for every
    /// file with the same key groups. A failed unwrap is not cached.
    pub async fn data_key(
        &self,
        meta: &Metadata,
        unwrappers: &[&dyn Unwrapper],
        order: &[String],
    ) -> Result<DataKey> {
        let slot = self
            .slots
            .lock()
            .expect("cache lock")
            .entry(digest(meta))
            .or_default()
            .clone();
        let key = slot
            .get_or_try_init(|| async {
                let _permit = self.limit.acquire().await.expect("never closed");
                self.unwraps
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                unwrap_data_key(meta, unwrappers, order).await
            })
            .await?;
        DataKey::from_slice(key.expose())
    }
}

/// A digest of everything that decides the data key: the wrapped entries
/// of every group and the Shamir threshold (not the MAC or dates).
fn digest(meta: &Metadata) -> [u8; 32] {
    let keys_only = Metadata {
        lastmodified: String::new(),
        mac: String::new(),
        version: String::new(),
        selector: Default::default(),
        mac_only_encrypted: false,
        ..meta.clone()
    };
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for (k, v) in crate::stores::flat::flatten(&keys_only.to_value()) {
        for part in [k, v] {
            ctx.update(&(part.len() as u64).to_le_bytes());
            ctx.update(part.as_bytes());
        }
    }
    ctx.finish().as_ref().try_into().expect("32-byte digest")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::BoxFuture;
    use crate::metadata::{AgeEntry, KeyEntry, KeyGroup};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Unwraps any age entry to 32 bytes of its `enc`'s first byte, counting calls.
    struct Counting(AtomicUsize);

    impl Unwrapper for Counting {
        fn unwrap<'a>(
            &'a self,
            entry: &'a KeyEntry,
        ) -> BoxFuture<'a, Option<Result<secrecy::SecretSlice<u8>>>> {
            Box::pin(async move {
                let KeyEntry::Age(a) = entry else { return None };
                self.0.fetch_add(1, Ordering::SeqCst);
                Some(Ok(vec![a.enc.as_bytes()[0]; 32].into()))
            })
        }
    }

    fn meta(enc: &str, lastmodified: &str) -> Metadata {
        Metadata {
            groups: vec![KeyGroup {
                keys: vec![KeyEntry::Age(AgeEntry {
                    recipient: "age1x".into(),
                    enc: enc.into(),
                })],
            }],
            shamir_threshold: None,
            lastmodified: lastmodified.into(),
            mac: "m".into(),
            version: "3.11.0".into(),
            selector: Default::default(),
            mac_only_encrypted: false,
        }
    }

    #[test]
    fn files_sharing_a_wrapped_key_cost_one_unwrap() {
        let cache = DataKeyCache::new(4);
        let u = Counting(AtomicUsize::new(0));
        let order = vec!["age".to_string()];
        for lm in ["2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"] {
            let k = crate::block_on(cache.data_key(&meta("A", lm), &[&u], &order)).unwrap();
            assert_eq!(k.expose(), &[b'A'; 32]);
        }
        assert_eq!(u.0.load(Ordering::SeqCst), 1);
        let k = crate::block_on(cache.data_key(&meta("B", "x"), &[&u], &order)).unwrap();
        assert_eq!(k.expose(), &[b'B'; 32]);
        assert_eq!(u.0.load(Ordering::SeqCst), 2);
        assert_eq!(cache.unwraps(), 2);
    }
}
