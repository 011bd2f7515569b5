//! Prometheus metrics and the `/metrics`, `/healthz` and `/readyz` endpoints.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
    /// Set once the controller's caches are warm (`/readyz`).
    pub ready: AtomicBool,
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
            ready: AtomicBool::new(false),
        }
    }
}

impl Metrics {
    /// A registry exposing these metrics under the `hush_` prefix.
    pub fn registry(&self) -> Registry {
        let mut r = Registry::with_prefix("hush");
        r.register("reconciles", "EncryptedSecret reconciles", self.reconciles.clone());
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
        r.register("kms_calls", "Data-key unwraps sent to AWS KMS", self.kms_calls.clone());
        r.register("data_key_cache_hits", "Data keys served from the cache", self.cache_hits.clone());
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
pub async fn serve(addr: std::net::SocketAddr, metrics: Arc<Metrics>) -> std::io::Result<()> {
    use axum::{http::StatusCode, routing::get, Router};
    let registry = Arc::new(metrics.registry());
    let app = Router::new()
        .route("/metrics", get(move || async move { render(&registry) }))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || async move {
                if metrics.ready.load(Ordering::Relaxed) {
                    (StatusCode::OK, "ready")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "starting")
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}
