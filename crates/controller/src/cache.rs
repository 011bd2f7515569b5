//! Unwrapped data keys, kept in memory so objects that share a wrapped data
//! key cost one KMS call, not one per object or per resync.

use crate::metrics::Metrics;
use hush_core::keys::{BoxFuture, Unwrapper};
use hush_core::metadata::KeyEntry;
use secrecy::SecretSlice;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

type Digest = [u8; 32];

/// A bounded, expiring map from a wrapped key's digest to the unwrapped key.
///
/// Concurrent requests for one entry wait for a single unwrap. Evicted keys
/// are zeroized when their last user drops them.
pub struct DataKeyCache {
    slots: Mutex<HashMap<Digest, Slot>>,
    ttl: Duration,
    capacity: usize,
}

#[derive(Clone)]
struct Slot {
    key: Arc<OnceCell<Zeroizing<Vec<u8>>>>,
    born: Instant,
}

impl DataKeyCache {
    /// A cache of at most `capacity` keys, each kept for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        DataKeyCache {
            slots: Mutex::new(HashMap::new()),
            ttl,
            capacity: capacity.max(1),
        }
    }

    /// How many keys are held (including ones still being unwrapped).
    pub fn len(&self) -> usize {
        self.slots.lock().expect("cache lock").len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn slot(&self, id: Digest) -> Arc<OnceCell<Zeroizing<Vec<u8>>>> {
        let mut slots = self.slots.lock().expect("cache lock");
        let now = Instant::now();
        slots.retain(|_, s| now.duration_since(s.born) < self.ttl);
        if let Some(s) = slots.get(&id) {
            return s.key.clone();
        }
        if slots.len() >= self.capacity {
            let oldest = slots.iter().min_by_key(|(_, s)| s.born).map(|(k, _)| *k);
            oldest.map(|k| slots.remove(&k));
        }
        let slot = Slot {
            key: Arc::new(OnceCell::new()),
            born: now,
        };
        slots.insert(id, slot.clone());
        slot.key
    }
}

/// The cache key: a digest of everything that identifies the wrapped key.
fn digest(entry: &KeyEntry) -> Digest {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut put = |s: &str| {
        ctx.update(&(s.len() as u64).to_be_bytes());
        ctx.update(s.as_bytes());
    };
    match entry {
        KeyEntry::Age(a) => ["age", &a.recipient, &a.enc].into_iter().for_each(&mut put),
        KeyEntry::Kms(k) => {
            [
                "kms",
                &k.arn,
                k.role.as_deref().unwrap_or(""),
                &k.aws_profile,
                &k.enc,
            ]
            .into_iter()
            .for_each(&mut put);
            for (name, value) in &k.context {
                put(name);
                put(value);
            }
        }
        KeyEntry::Pgp(p) => ["pgp", &p.fp, &p.enc].into_iter().for_each(&mut put),
        KeyEntry::Other { kind, .. } => ["other", kind, &entry.describe()]
            .into_iter()
            .for_each(&mut put),
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// Unwraps through the cache, falling back to the real providers.
pub struct CachingUnwrapper {
    providers: Vec<Box<dyn Unwrapper>>,
    cache: Arc<DataKeyCache>,
    metrics: Arc<Metrics>,
}

impl CachingUnwrapper {
    /// Wraps `providers` (age identities, KMS) with `cache`.
    pub fn new(
        providers: Vec<Box<dyn Unwrapper>>,
        cache: Arc<DataKeyCache>,
        metrics: Arc<Metrics>,
    ) -> Self {
        CachingUnwrapper {
            providers,
            cache,
            metrics,
        }
    }

    /// `Err(None)`: no provider handles this entry.
    async fn unwrap_uncached(
        &self,
        entry: &KeyEntry,
    ) -> Result<Zeroizing<Vec<u8>>, Option<hush_core::Error>> {
        use secrecy::ExposeSecret;
        if matches!(entry, KeyEntry::Kms(_)) {
            self.metrics.kms_calls.inc();
        }
        for p in &self.providers {
            if let Some(res) = p.unwrap(entry).await {
                return res
                    .map(|k| Zeroizing::new(k.expose_secret().to_vec()))
                    .map_err(Some);
            }
        }
        Err(None)
    }
}

impl Unwrapper for CachingUnwrapper {
    fn unwrap<'a>(
        &'a self,
        entry: &'a KeyEntry,
    ) -> BoxFuture<'a, Option<hush_core::Result<SecretSlice<u8>>>> {
        Box::pin(async move {
            let cell = self.cache.slot(digest(entry));
            let mut ran = false;
            let got = cell
                .get_or_try_init(|| {
                    ran = true;
                    self.unwrap_uncached(entry)
                })
                .await;
            match got {
                Ok(key) => {
                    if ran {
                        self.metrics.cache_misses.inc();
                    } else {
                        self.metrics.cache_hits.inc();
                    }
                    Some(Ok(SecretSlice::from(key.to_vec())))
                }
                Err(None) => None,
                Err(Some(e)) => Some(Err(e)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_core::metadata::AgeEntry;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts unwraps and returns the entry's `enc` as the key.
    struct Counting(Arc<AtomicUsize>);
    impl Unwrapper for Counting {
        fn unwrap<'a>(
            &'a self,
            e: &'a KeyEntry,
        ) -> BoxFuture<'a, Option<hush_core::Result<SecretSlice<u8>>>> {
            Box::pin(async move {
                let KeyEntry::Age(a) = e else { return None };
                self.0.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                Some(Ok(SecretSlice::from(a.enc.as_bytes().to_vec())))
            })
        }
    }

    fn entry(enc: &str) -> KeyEntry {
        KeyEntry::Age(AgeEntry {
            recipient: "age1x".into(),
            enc: enc.into(),
        })
    }

    fn setup(capacity: usize, ttl: Duration) -> (CachingUnwrapper, Arc<AtomicUsize>, Arc<Metrics>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let metrics = Arc::new(Metrics::default());
        let u = CachingUnwrapper::new(
            vec![Box::new(Counting(calls.clone()))],
            Arc::new(DataKeyCache::new(capacity, ttl)),
            metrics.clone(),
        );
        (u, calls, metrics)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_share_one_unwrap() {
        use secrecy::ExposeSecret;
        let (u, calls, metrics) = setup(16, Duration::from_secs(60));
        let u = Arc::new(u);
        let e = entry("k1");
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (u, e) = (u.clone(), e.clone());
                tokio::spawn(async move {
                    u.unwrap(&e)
                        .await
                        .unwrap()
                        .unwrap()
                        .expose_secret()
                        .to_vec()
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), b"k1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(metrics.cache_misses.get(), 1);
        assert_eq!(metrics.cache_hits.get(), 49);
        u.unwrap(&entry("k2")).await.unwrap().unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "another wrapped key is another unwrap"
        );
    }

    #[tokio::test]
    async fn bounded_in_size_and_time() {
        let (u, calls, _) = setup(2, Duration::from_secs(60));
        for enc in ["a", "b", "c"] {
            u.unwrap(&entry(enc)).await.unwrap().unwrap();
        }
        assert_eq!(u.cache.len(), 2);
        u.unwrap(&entry("c")).await.unwrap().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3, "newest kept");

        let (u, calls, _) = setup(8, Duration::from_millis(20));
        u.unwrap(&entry("a")).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(40)).await;
        u.unwrap(&entry("a")).await.unwrap().unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "expired entry unwrapped again"
        );
    }

    #[tokio::test]
    async fn foreign_entries_pass_through_uncached() {
        let (u, calls, _) = setup(8, Duration::from_secs(60));
        let other = KeyEntry::Other {
            kind: "pgp".into(),
            value: hush_core::Value::Null,
        };
        assert!(u.unwrap(&other).await.is_none());
        assert!(u.unwrap(&other).await.is_none());
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}
