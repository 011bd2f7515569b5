//! `/readyz` follows the watches: the EncryptedSecret cache must have
//! synced, and a failing watch makes the replica unready until it recovers.

use futures::StreamExt;
use http::{Request, Response};
use hush_controller::controller::{watch_objects, watch_secrets};
use hush_controller::metrics::Metrics;
use hush_controller::resource::EncryptedSecret;
use k8s_openapi::api::core::v1::Secret;
use kube::client::Body;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector;
use std::sync::Arc;

fn reply(status: u16, body: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .body(Body::from(body.as_bytes().to_vec()))
        .unwrap()
}

#[tokio::test]
async fn readiness_follows_cache_sync_and_watch_health() {
    let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        let mut lists = 0;
        while let Some((req, send)) = handle.next_request().await {
            let uri = req.uri().to_string();
            assert!(
                uri.starts_with("/apis/hush.dev/v1alpha1/encryptedsecrets?"),
                "{uri}"
            );
            if uri.contains("watch=true") {
                held.push(send);
                continue;
            }
            lists += 1;
            let resp = if lists == 1 {
                reply(
                    500,
                    r#"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"InternalError","code":500}"#,
                )
            } else {
                reply(
                    200,
                    r#"{"apiVersion":"hush.dev/v1alpha1","kind":"EncryptedSecretList","metadata":{"resourceVersion":"1"},"items":[]}"#,
                )
            };
            send.send_response(resp);
        }
    });
    let client = kube::Client::new(svc, "default");
    let metrics = Arc::new(Metrics::default());
    let (reader, writer) = reflector::store::<EncryptedSecret>();
    let mut events = Box::pin(watch_objects(
        kube::Api::all(client),
        writer,
        metrics.clone(),
    ));
    assert!(!metrics.health.ready(), "not ready before any sync");

    // The first list fails: the watch is unhealthy, whatever else holds.
    loop {
        match events.next().await.unwrap() {
            Err(_) => break,
            Ok(kube::runtime::watcher::Event::InitDone) => panic!("synced on a failed list"),
            Ok(_) => {}
        }
    }
    metrics.health.set_synced(true);
    assert!(!metrics.health.ready(), "a failing watch is not ready");

    // The retry succeeds: the cache syncs and the replica is ready.
    while !matches!(
        events.next().await.unwrap(),
        Ok(kube::runtime::watcher::Event::InitDone)
    ) {}
    reader.wait_until_ready().await.unwrap();
    assert!(metrics.health.ready());
    drop(events);
    server.abort();
}

/// The owned-Secret watch must ask the API server for metadata only: an
/// ordinary list or watch of Secrets returns their data.
#[tokio::test]
async fn owned_secret_watch_asks_for_metadata_only() {
    let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        let mut accepts = Vec::new();
        while let Some((req, send)) = handle.next_request().await {
            let uri = req.uri().to_string();
            assert!(uri.starts_with("/api/v1/secrets?"), "{uri}");
            let accept = req
                .headers()
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok());
            accepts.push(accept.unwrap_or("").to_string());
            if uri.contains("watch=true") {
                held.push(send);
                return accepts;
            }
            send.send_response(reply(
                200,
                r#"{"apiVersion":"meta.k8s.io/v1","kind":"PartialObjectMetadataList","metadata":{"resourceVersion":"1"},"items":[
                    {"apiVersion":"meta.k8s.io/v1","kind":"PartialObjectMetadata","metadata":{"name":"db","namespace":"prod","resourceVersion":"1"}}]}"#,
            ));
        }
        accepts
    });
    let client = kube::Client::new(svc, "default");
    let metrics = Arc::new(Metrics::default());
    let mut events = Box::pin(watch_secrets(
        kube::Api::<PartialObjectMeta<Secret>>::all(client),
        metrics,
    ));
    while !matches!(
        events.next().await.unwrap(),
        Ok(kube::runtime::watcher::Event::InitDone)
    ) {}
    // Open the watch too, then look at what was asked.
    let next = tokio::spawn(async move { events.next().await.map(|r| r.is_ok()) });
    let accepts = server.await.unwrap();
    next.abort();
    assert_eq!(accepts.len(), 2, "{accepts:?}");
    for a in &accepts {
        assert!(
            a.contains("as=PartialObjectMetadata") && a.contains("g=meta.k8s.io"),
            "not metadata-only: {a:?}"
        );
    }
}
