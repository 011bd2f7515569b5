//! Unwrapped data keys, kept in memory so objects that share a wrapped data
//! key cost one KMS call, not one per object or per resync.

use crate::metrics::Metrics;
use hush_core::keys::{BoxFuture, Unwrapper};
use hush_core::metadata::KeyEntry;
use secrecy::SecretSlice;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
// tokio's clock: the same as std's, but tests can pause and advance it.
use tokio::sync::OnceCell;
use tokio::time::Instant;
use zeroize::Zeroizing;

type Digest = [u8; 32];

/// A bounded, expiring map from a wrapped key's digest to the unwrapped key.
///
/// Concurrent requests for one entry wait for a single unwrap and share
/// its result, failed or not. Failures are remembered apart, for
/// [`PERMANENT_FAILURE_TTL`] or [`TRANSIENT_FAILURE_TTL`], so a tenant's
/// bogus entry costs one KMS call per few minutes, not one per reconcile;
/// they never evict good keys. Evicted keys are zeroized when their last
/// user drops them. Unlike hush-core's `keys::cache::DataKeyCache`, which
/// shares unwraps within one run, it lives as long as the controller.
pub struct ExpiringKeyCache {
    state: Mutex<State>,
    ttl: Duration,
    capacity: usize,
}

/// How long a permanent unwrap failure (access denied, a bad ciphertext)
/// is answered from memory.
pub const PERMANENT_FAILURE_TTL: Duration = Duration::from_secs(300);
/// How long a transient one (throttling, an outage) is: below the first
/// retry backoff, so a retry reaches KMS again.
pub const TRANSIENT_FAILURE_TTL: Duration = Duration::from_secs(4);

type Key = Arc<Zeroizing<Vec<u8>>>;
/// An unwrap's outcome as shared: `Err(None)` when no provider handles
/// the entry.
type Outcome = Result<Key, Option<Arc<Failed>>>;
type Cell = Arc<OnceCell<Outcome>>;

/// A failed unwrap, kept without the error value (not `Clone`).
#[derive(Debug)]
pub struct Failed {
    provider: &'static str,
    reason: String,
    transient: bool,
}

impl Failed {
    fn new(e: &hush_core::Error) -> Self {
        let (provider, reason) = match e.key_failure() {
            Some(("kms", reason)) => ("kms", crate::kms::public_reason(reason)),
            Some((provider, reason)) => (provider, reason.to_string()),
            None => ("key", e.to_string()),
        };
        Failed {
            provider,
            reason,
            transient: crate::kms::transient(e),
        }
    }

    /// The failure again, of the variant it had (transient or not).
    fn error(&self) -> hush_core::Error {
        let (provider, reason) = (self.provider, self.reason.clone());
        match self.transient {
            true => hush_core::Error::KeyTransient { provider, reason },
            false => hush_core::Error::Key { provider, reason },
        }
    }

    fn ttl(&self) -> Duration {
        if self.transient {
            TRANSIENT_FAILURE_TTL
        } else {
            PERMANENT_FAILURE_TTL
        }
    }
}

#[derive(Default)]
struct State {
    /// Unwrapped keys and when they were unwrapped.
    ready: HashMap<Digest, (Key, Instant)>,
    /// Failed unwraps and when they may be tried again.
    failed: HashMap<Digest, (Arc<Failed>, Instant)>,
    /// Unwraps in flight (shared by concurrent requests).
    pending: HashMap<Digest, Cell>,
}

/// A cache lookup: the key, a remembered failure, or the cell to unwrap
/// it into.
enum Lookup {
    Hit(Key),
    Failed(Arc<Failed>),
    Miss(Cell),
}

impl ExpiringKeyCache {
    /// A cache of at most `capacity` keys, each kept for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        ExpiringKeyCache {
            state: Mutex::default(),
            ttl,
            capacity: capacity.max(1),
        }
    }

    /// How many unwrapped keys are held.
    pub fn len(&self) -> usize {
        self.state.lock().expect("cache lock").ready.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lookup(&self, id: Digest) -> Lookup {
        let mut st = self.state.lock().expect("cache lock");
        let now = Instant::now();
        st.ready
            .retain(|_, (_, born)| now.duration_since(*born) < self.ttl);
        if let Some((key, _)) = st.ready.get(&id) {
            return Lookup::Hit(key.clone());
        }
        st.failed.retain(|_, (_, until)| now < *until);
        if let Some((f, _)) = st.failed.get(&id) {
            return Lookup::Failed(f.clone());
        }
        Lookup::Miss(st.pending.entry(id).or_default().clone())
    }

    /// Ends an unwrap: a key takes a place (evicting the oldest key when
    /// full); a failure is remembered apart, in a map of the same bound.
    fn settle(&self, id: Digest, cell: &Cell, outcome: &Outcome) {
        let mut st = self.state.lock().expect("cache lock");
        if st.pending.get(&id).is_some_and(|c| Arc::ptr_eq(c, cell)) {
            st.pending.remove(&id);
        }
        let now = Instant::now();
        match outcome {
            Ok(key) => insert_bounded(&mut st.ready, self.capacity, id, (key.clone(), now)),
            Err(Some(f)) => {
                let until = now + f.ttl();
                insert_bounded(&mut st.failed, self.capacity, id, (f.clone(), until));
            }
            Err(None) => {}
        }
    }
}

/// Inserts into a map of at most `capacity` entries, first evicting the
/// entry with the smallest instant (the oldest key, the failure that
/// expires first) when a new one has no room.
fn insert_bounded<T>(
    map: &mut HashMap<Digest, (T, Instant)>,
    capacity: usize,
    id: Digest,
    value: (T, Instant),
) {
    if !map.contains_key(&id) && map.len() >= capacity {
        if let Some(first) = map.iter().min_by_key(|(_, (_, at))| *at).map(|(k, _)| *k) {
            map.remove(&first);
        }
    }
    map.insert(id, value);
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
    cache: Arc<ExpiringKeyCache>,
    metrics: Arc<Metrics>,
}

impl CachingUnwrapper {
    /// Wraps `providers` (age identities, KMS) with `cache`.
    pub fn new(
        providers: Vec<Box<dyn Unwrapper>>,
        cache: Arc<ExpiringKeyCache>,
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
            let id = digest(entry);
            let cell = match self.cache.lookup(id) {
                Lookup::Hit(key) => {
                    self.metrics.cache_hits.inc();
                    return Some(Ok(SecretSlice::from(key.to_vec())));
                }
                Lookup::Failed(f) => return Some(Err(f.error())),
                Lookup::Miss(cell) => cell,
            };
            let mut ran = false;
            let got = cell
                .get_or_init(|| {
                    ran = true;
                    async {
                        self.unwrap_uncached(entry)
                            .await
                            .map(Arc::new)
                            .map_err(|e| e.map(|e| Arc::new(Failed::new(&e))))
                    }
                })
                .await;
            if ran {
                self.cache.settle(id, &cell, got);
            }
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
                Err(Some(f)) => Some(Err(f.error())),
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
            Arc::new(ExpiringKeyCache::new(capacity, ttl)),
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

    /// Fails for entries whose `enc` starts with `bad`.
    struct Picky;
    impl Unwrapper for Picky {
        fn unwrap<'a>(
            &'a self,
            e: &'a KeyEntry,
        ) -> BoxFuture<'a, Option<hush_core::Result<SecretSlice<u8>>>> {
            Box::pin(async move {
                let KeyEntry::Age(a) = e else { return None };
                if a.enc.starts_with("bad") {
                    return Some(Err(hush_core::Error::NoDataKey("refused".into())));
                }
                Some(Ok(SecretSlice::from(a.enc.as_bytes().to_vec())))
            })
        }
    }

    #[tokio::test]
    async fn failed_unwraps_never_evict_good_keys() {
        let metrics = Arc::new(Metrics::default());
        let cache = Arc::new(ExpiringKeyCache::new(2, Duration::from_secs(60)));
        let u = CachingUnwrapper::new(vec![Box::new(Picky)], cache.clone(), metrics.clone());
        for enc in ["good1", "good2"] {
            u.unwrap(&entry(enc)).await.unwrap().unwrap();
        }
        for i in 0..100 {
            assert!(u.unwrap(&entry(&format!("bad{i}"))).await.unwrap().is_err());
        }
        assert_eq!(cache.len(), 2);
        for enc in ["good1", "good2"] {
            u.unwrap(&entry(enc)).await.unwrap().unwrap();
        }
        assert_eq!(metrics.cache_hits.get(), 2, "both good keys still cached");
        assert!(cache.state.lock().unwrap().pending.is_empty());
    }

    /// Counts unwraps and fails each with `reason` (a KMS failure,
    /// transient when the flag says so).
    struct Failing(Arc<AtomicUsize>, &'static str, bool);
    impl Unwrapper for Failing {
        fn unwrap<'a>(
            &'a self,
            _: &'a KeyEntry,
        ) -> BoxFuture<'a, Option<hush_core::Result<SecretSlice<u8>>>> {
            Box::pin(async move {
                self.0.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                let (provider, reason) = ("kms", self.1.into());
                Some(Err(match self.2 {
                    true => hush_core::Error::KeyTransient { provider, reason },
                    false => hush_core::Error::Key { provider, reason },
                }))
            })
        }
    }

    fn failing(reason: &'static str, transient: bool) -> (Arc<CachingUnwrapper>, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let u = CachingUnwrapper::new(
            vec![Box::new(Failing(calls.clone(), reason, transient))],
            Arc::new(ExpiringKeyCache::new(16, Duration::from_secs(3600))),
            Arc::new(Metrics::default()),
        );
        (Arc::new(u), calls)
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_unwrap_is_shared_by_its_waiters_and_remembered() {
        let (u, calls) = failing("access denied (AccessDeniedException)", false);
        let e = entry("bogus");
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (u, e) = (u.clone(), e.clone());
                tokio::spawn(async move { u.unwrap(&e).await.unwrap().err().unwrap().to_string() })
            })
            .collect();
        for t in tasks {
            assert_eq!(
                t.await.unwrap(),
                "kms: access denied (AccessDeniedException)"
            );
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "waiters share one failed call"
        );
        for _ in 0..10 {
            assert!(u.unwrap(&e).await.unwrap().is_err());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the failure is remembered");
        tokio::time::advance(PERMANENT_FAILURE_TTL).await;
        assert!(u.unwrap(&e).await.unwrap().is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 2, "and tried again later");
    }

    #[tokio::test(start_paused = true)]
    async fn a_transient_failure_is_remembered_only_briefly() {
        let (u, calls) = failing("ThrottlingException: Rate exceeded", true);
        let e = entry("k");
        assert!(u.unwrap(&e).await.unwrap().is_err());
        assert!(u.unwrap(&e).await.unwrap().is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(TRANSIENT_FAILURE_TTL).await;
        assert!(u.unwrap(&e).await.unwrap().is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert!(TRANSIENT_FAILURE_TTL < crate::reconcile::backoff(0));
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
