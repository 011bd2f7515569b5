//! Prometheus metrics and the `/metrics`, `/healthz` and `/readyz` endpoints.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
// tokio's clock, so tests can advance it.
use tokio::time::Instant;

/// The failure-class label of `hush_reconcile_failures_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// A condition reason, such as `ScopeMismatch`.
    pub reason: String,
}

/// Every metric the controller exports.
pub struct Metrics {
    /// Reconciles started.
    pub reconciles: Counter,
    /// Reconciles that ended not Ready, by reason.
    pub failures: Family<ReasonLabel, Counter>,
    /// Reconcile wall time.
    pub duration: Histogram,
    /// Data-key unwraps sent to AWS KMS.
    pub kms_calls: Counter,
    /// Data keys served from the cache.
    pub cache_hits: Counter,
    /// Data keys that had to be unwrapped.
    pub cache_misses: Counter,
    /// What `/readyz` reports.
    pub health: Health,
}

/// Readiness: a standby replica (waiting for the Lease) is ready; a leader
/// is ready once its EncryptedSecret cache has synced and while both
/// watches (EncryptedSecrets, owned Secrets) are healthy: no error in the
/// last [`WATCH_ERROR_WINDOW`], or a result since the last error.
#[derive(Debug, Default)]
pub struct Health {
    standby: AtomicBool,
    synced: AtomicBool,
    objects_failed: Mutex<Option<Instant>>,
    secrets_failed: Mutex<Option<Instant>>,
}

/// How long a watch error keeps the replica unready when nothing follows
/// it: a re-established watch on a quiet cluster delivers no event. Longer
/// than the watch backoff's 30 s cap, so a watch that keeps failing stays
/// unready.
pub const WATCH_ERROR_WINDOW: Duration = Duration::from_secs(60);

/// One of the controller's watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watch {
    /// The EncryptedSecret watch (and its cache).
    Objects,
    /// The owned-Secret watch.
    Secrets,
}

impl Health {
    /// Marks this replica as waiting for the Lease (`true`) or leading.
    pub fn set_standby(&self, standby: bool) {
        self.standby.store(standby, Ordering::Relaxed);
    }

    /// Marks the EncryptedSecret cache as synced (or not, after a restart).
    pub fn set_synced(&self, synced: bool) {
        self.synced.store(synced, Ordering::Relaxed);
    }

    /// Records the last result of a watch: an error makes the replica
    /// unready until the watch delivers again or the window passes.
    pub fn watch_result(&self, watch: Watch, ok: bool) {
        let failed = match watch {
            Watch::Objects => &self.objects_failed,
            Watch::Secrets => &self.secrets_failed,
        };
        *failed.lock().expect("health lock") = (!ok).then(Instant::now);
    }

    fn failing(failed: &Mutex<Option<Instant>>) -> bool {
        failed
            .lock()
            .expect("health lock")
            .is_some_and(|at| at.elapsed() < WATCH_ERROR_WINDOW)
    }

    /// Whether `/readyz` answers 200.
    pub fn ready(&self) -> bool {
        self.standby.load(Ordering::Relaxed)
            || (self.synced.load(Ordering::Relaxed)
                && !Self::failing(&self.objects_failed)
                && !Self::failing(&self.secrets_failed))
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let buckets = prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 14);
        Metrics {
            reconciles: Counter::default(),
            failures: Family::default(),
            duration: Histogram::new(buckets),
            kms_calls: Counter::default(),
            cache_hits: Counter::default(),
            cache_misses: Counter::default(),
            health: Health::default(),
        }
    }
}

impl Metrics {
    /// A registry exposing these metrics under the `hush_` prefix.
    pub fn registry(&self) -> Registry {
        let mut r = Registry::with_prefix("hush");
        r.register(
            "reconciles",
            "EncryptedSecret reconciles",
            self.reconciles.clone(),
        );
        r.register(
            "reconcile_failures",
            "Reconciles that left the resource not Ready, by reason",
            self.failures.clone(),
        );
        r.register(
            "reconcile_duration_seconds",
            "Time spent in one reconcile",
            self.duration.clone(),
        );
        r.register(
            "kms_calls",
            "Data-key unwraps sent to AWS KMS",
            self.kms_calls.clone(),
        );
        r.register(
            "data_key_cache_hits",
            "Data keys served from the cache",
            self.cache_hits.clone(),
        );
        r.register(
            "data_key_cache_misses",
            "Data keys that had to be unwrapped",
            self.cache_misses.clone(),
        );
        r
    }

    /// Counts a reconcile that ended with `reason` (not Ready).
    pub fn failed(&self, reason: &str) {
        self.failures
            .get_or_create(&ReasonLabel {
                reason: reason.to_string(),
            })
            .inc();
    }
}

/// The Prometheus text exposition of `registry`.
pub fn render(registry: &Registry) -> String {
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, registry).expect("writing to a String");
    out
}

/// Serves `/metrics`, `/healthz` and `/readyz` until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
) -> std::io::Result<()> {
    use axum::{http::StatusCode, routing::get, Router};
    let registry = Arc::new(metrics.registry());
    let app = Router::new()
        .route("/metrics", get(move || async move { render(&registry) }))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || async move {
                if metrics.health.ready() {
                    (StatusCode::OK, "ready")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "starting")
                }
            }),
        );
    axum::serve(listener, app).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn get(addr: std::net::SocketAddr, path: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test(start_paused = true)]
    async fn a_watch_error_expires_when_nothing_follows() {
        let health = Health::default();
        health.set_synced(true);
        health.watch_result(Watch::Objects, false);
        assert!(!health.ready());
        tokio::time::advance(WATCH_ERROR_WINDOW / 2).await;
        assert!(!health.ready(), "still within the window");
        health.watch_result(Watch::Objects, false);
        tokio::time::advance(WATCH_ERROR_WINDOW / 2).await;
        assert!(!health.ready(), "a new error restarts the window");
        tokio::time::advance(WATCH_ERROR_WINDOW / 2).await;
        assert!(
            health.ready(),
            "a quiet cluster after a reconnect is ready again"
        );
    }

    #[tokio::test]
    async fn endpoints_serve_health_readiness_and_metrics() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let metrics = Arc::new(Metrics::default());
        tokio::spawn(serve(listener, metrics.clone()));
        assert!(get(addr, "/healthz").await.starts_with("HTTP/1.1 200"));
        assert!(get(addr, "/readyz").await.starts_with("HTTP/1.1 503"));
        metrics.health.set_synced(true);
        assert!(get(addr, "/readyz").await.starts_with("HTTP/1.1 200"));
        metrics.health.watch_result(Watch::Secrets, false);
        assert!(
            get(addr, "/readyz").await.starts_with("HTTP/1.1 503"),
            "a failing watch is not ready"
        );
        metrics.health.watch_result(Watch::Secrets, true);
        assert!(get(addr, "/readyz").await.starts_with("HTTP/1.1 200"));
        metrics.kms_calls.inc();
        metrics.failed("ScopeMismatch");
        metrics.duration.observe(0.01);
        let text = get(addr, "/metrics").await;
        for line in [
            "hush_kms_calls_total 1",
            "hush_reconcile_failures_total{reason=\"ScopeMismatch\"} 1",
            "hush_reconcile_duration_seconds_count 1",
            "hush_data_key_cache_hits_total 0",
        ] {
            assert!(text.contains(line), "missing {line} in:\n{text}");
        }
    }
}
