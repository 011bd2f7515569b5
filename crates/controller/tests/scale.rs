//! Figures for docs/controller.md "Running at scale". Ignored: they print
//! measurements and assert no timing. Run with
//! `cargo test -p hush-controller --release --test scale -- --ignored --nocapture --test-threads 1`.

mod common;
use common::*;
use futures::StreamExt;
use http::{Request, Response};
use hush_controller::cache::{CachingUnwrapper, ExpiringKeyCache};
use hush_controller::controller::{watch_objects, watch_secrets};
use hush_controller::metrics::Metrics;
use hush_controller::reconcile::plan;
use hush_controller::resource::EncryptedSecret;
use hush_controller::unseal::unseal;
use hush_core::keys::{BoxFuture, Unwrapper};
use hush_core::metadata::{KeyEntry, KmsEntry};
use hush_core::{DecryptOptions, Format, Plaintext};
use kube::client::Body;
use kube::runtime::reflector;
use kube::runtime::WatchStreamExt;
use secrecy::SecretSlice;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

const OBJECTS: usize = 10_000;
const SECRETS: usize = 50_000;

fn status_kib(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Stands in for KMS: every unwrap is a "call".
struct FakeKms;
impl Unwrapper for FakeKms {
    fn unwrap<'a>(
        &'a self,
        e: &'a KeyEntry,
    ) -> BoxFuture<'a, Option<hush_core::Result<SecretSlice<u8>>>> {
        Box::pin(async move {
            let KeyEntry::Kms(k) = e else { return None };
            Some(Ok(SecretSlice::from(k.enc.as_bytes().to_vec())))
        })
    }
}

fn kms_entry(i: usize) -> KeyEntry {
    KeyEntry::Kms(KmsEntry {
        arn: "arn:aws:kms:eu-west-1:111122223333:key/k".into(),
        role: None,
        context: vec![],
        created_at: String::new(),
        enc: format!("wrapped-{i}"),
        aws_profile: String::new(),
    })
}

/// KMS calls per hour for 1,000 objects, each with its own data key (the
/// worst case: `hush seal` makes a new data key per file), resynced every
/// hour for a simulated day.
#[tokio::test(start_paused = true)]
#[ignore = "a measurement, not a check: run with --ignored --nocapture"]
async fn kms_calls_per_hour_for_a_thousand_objects() {
    let requeue = Duration::from_secs(3600);
    for (label, ttl) in [
        ("cache TTL 1h (old default)", 3600),
        ("cache TTL 3h", 3 * 3600),
    ] {
        let metrics = Arc::new(Metrics::default());
        let keys = CachingUnwrapper::new(
            vec![Box::new(FakeKms)],
            Arc::new(ExpiringKeyCache::new(1024, Duration::from_secs(ttl))),
            metrics.clone(),
        );
        let hours = 24;
        for _ in 0..hours {
            for i in 0..1000 {
                keys.unwrap(&kms_entry(i)).await.unwrap().unwrap();
            }
            tokio::time::advance(requeue).await;
        }
        println!(
            "{label}, resync 1h: {:.0} KMS calls/hour for 1,000 objects (over {hours} h)",
            metrics.kms_calls.get() as f64 / f64::from(hours)
        );
    }
}

/// Whether a request asks for `PartialObjectMetadata` (no Secret data).
fn metadata_only(req: &Request<Body>) -> bool {
    req.headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.contains("as=PartialObjectMetadataList") || v.contains("as=PartialObjectMetadata;")
        })
}

fn list(kind: &str, api_version: &str, items: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": api_version, "kind": kind,
        "metadata": {"resourceVersion": "1"}, "items": items
    }))
    .unwrap()
}

/// Memory of the watch caches after a relist of 10,000 EncryptedSecrets
/// and 50,000 Secrets served by a mock, and the latency of the pure
/// reconcile path (unseal with a warm key cache, then plan).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check: run with --ignored --nocapture"]
async fn relist_memory_and_pure_path_latency() {
    let (ids, recipient) = age_key();
    let base = status_kib("VmRSS:");
    let served_objects = objects_for(&ids, &recipient, OBJECTS).await;
    let secrets: Vec<Value> = (0..SECRETS)
        .map(|i| json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
            "metadata": {"name": format!("s-{i}"), "namespace": format!("ns-{}", i % 100),
                "uid": format!("s-uid-{i}"), "resourceVersion": "1",
                "labels": {"app.kubernetes.io/managed-by": "hush-controller"},
                "ownerReferences": [{"apiVersion": "hush.dev/v1alpha1", "kind": "EncryptedSecret",
                    "name": format!("app-{i}"), "uid": format!("uid-{}", i % OBJECTS), "controller": true}]}}))
        .collect();
    let es_body = Arc::new(list(
        "EncryptedSecretList",
        "hush.dev/v1alpha1",
        served_objects.clone(),
    ));
    let secret_body = Arc::new(list("PartialObjectMetadataList", "meta.k8s.io/v1", secrets));
    drop(served_objects);
    let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    // Secret requests without the metadata-only Accept header: a real API
    // server would answer them with whole Secrets.
    let full_secret_requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let full = full_secret_requests.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Some((req, send)) = handle.next_request().await {
            let uri = req.uri().to_string();
            if uri.starts_with("/api/v1/secrets") && !metadata_only(&req) {
                full.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            if uri.contains("watch=true") {
                held.push(send); // a watch that stays open
                continue;
            }
            let body = if uri.contains("encryptedsecrets") {
                es_body.clone()
            } else {
                secret_body.clone()
            };
            send.send_response(Response::new(Body::from(body.to_vec())));
        }
    });
    let client = kube::Client::new(svc, "default");
    let client_for_raw = client.clone();
    let metrics = Arc::new(Metrics::default());
    let mock_ready = status_kib("VmRSS:");
    let (reader, writer) = reflector::store::<EncryptedSecret>();
    let es = watch_objects(kube::Api::all(client.clone()), writer, metrics.clone());
    tokio::spawn(es.for_each(|_| async {}));
    let mut secret_events = 0usize;
    let mut sw = Box::pin(watch_secrets(kube::Api::all(client), metrics.clone()));
    while let Some(ev) = sw.next().await {
        if let Ok(kube::runtime::watcher::Event::InitDone) = ev {
            break;
        }
        secret_events += 1;
    }
    assert_eq!(
        full_secret_requests.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the owned-Secret watch must ask for metadata only"
    );
    reader.wait_until_ready().await.unwrap();
    let state = reader.state();
    let after = status_kib("VmRSS:");
    println!(
        "cached {} EncryptedSecrets (stripped), relisted {} Secret events; RSS: {} MiB at start, {} MiB with the mock's lists built, {} MiB after the relist (+{} MiB); process peak {} MiB",
        state.len(),
        secret_events,
        base / 1024,
        mock_ready / 1024,
        after / 1024,
        after.saturating_sub(mock_ready) / 1024,
        status_kib("VmHWM:") / 1024
    );
    // The same objects cached as served (before the fix), for comparison.
    let (raw_reader, raw_writer) = reflector::store::<EncryptedSecret>();
    let raw = kube::runtime::watcher(
        kube::Api::<EncryptedSecret>::all(client_for_raw.clone()),
        kube::runtime::watcher::Config::default(),
    )
    .reflect(raw_writer);
    tokio::spawn(raw.for_each(|_| async {}));
    raw_reader.wait_until_ready().await.unwrap();
    let raw_after = status_kib("VmRSS:");
    let json_mib = |objs: &[Arc<EncryptedSecret>]| {
        objs.iter()
            .map(|o| serde_json::to_vec(o.as_ref()).unwrap().len())
            .sum::<usize>()
            / (1024 * 1024)
    };
    println!(
        "a second cache of the same objects unstripped: +{} MiB RSS; cached objects as JSON: {} MiB stripped, {} MiB unstripped",
        raw_after.saturating_sub(after) / 1024,
        json_mib(&state),
        json_mib(&raw_reader.state())
    );
    assert!(state.iter().all(|o| o.metadata.managed_fields.is_none()));

    let keys = CachingUnwrapper::new(
        vec![Box::new(ids)],
        Arc::new(ExpiringKeyCache::new(1024, Duration::from_secs(3600))),
        metrics.clone(),
    );
    let mut took = Vec::with_capacity(state.len());
    for obj in &state {
        let t = Instant::now();
        let out = unseal(obj, &keys, None).await;
        let p = plan(obj, None, out.as_ref(), "2026-12-01T00:00:00Z");
        took.push(t.elapsed());
        assert!(p.apply.is_some());
    }
    took.sort();
    let pct = |q: f64| took[((took.len() as f64 * q) as usize).min(took.len() - 1)];
    println!(
        "pure reconcile path over {} objects: p50 {:?}, p99 {:?}",
        took.len(),
        pct(0.50),
        pct(0.99)
    );
}

async fn objects_for(
    ids: &hush_core::keys::age::Identities,
    recipient: &str,
    n: usize,
) -> Vec<Value> {
    let first = plaintext(
        "ns-0",
        "app-0",
        "namespace:ns-0",
        &[("token", "c2VjcmV0")],
        &[],
    );
    let enc = hush_core::Ciphertext::new(seal(&first, recipient), Format::Yaml);
    let opened = hush_core::editing::update::open(&enc, &[ids], &DecryptOptions::default())
        .await
        .unwrap();
    (0..n)
        .map(|i| {
            let ns = format!("ns-{}", i % 100);
            let name = format!("app-{i}");
            let plain = plaintext(
                &ns,
                &name,
                &format!("namespace:{ns}"),
                &[("password", "aHVudGVyMg=="), ("token", "c2VjcmV0")],
                &[("url", "postgres://db")],
            );
            let sealed = opened.reseal(&Plaintext::new(plain, Format::Yaml)).unwrap();
            served(sealed.as_str(), &format!("uid-{i}"), 1)
        })
        .collect()
}
