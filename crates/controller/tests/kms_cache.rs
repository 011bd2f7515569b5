//! The data-key cache against a real KMS API (moto, started by
//! ./scripts/test): 1,000 EncryptedSecrets sharing one data key cost one
//! KMS Decrypt, counted on the wire by a relay in front of moto.

mod common;
use common::*;
use http::{Request, Response};
use hush_controller::cache::{CachingUnwrapper, ExpiringKeyCache};
use hush_controller::controller::{reconcile, Context};
use hush_controller::metrics::Metrics;
use hush_core::keys::kms::{KmsKey, KmsUnwrapper};
use hush_core::keys::MasterKey;
use hush_core::{DecryptOptions, Format, Plaintext};
use hush_test_support::kms::{create_key, Relay};
use kube::client::Body;
use std::sync::Arc;
use std::time::Duration;

const OBJECTS: usize = 1000;

/// A mock API server that finds no Secret and accepts every write.
async fn permissive_api(mut handle: ApiHandle) {
    while let Some((req, send)) = handle.next_request().await {
        let get = req.method() == http::Method::GET;
        // The live read of the object before a create: it still exists.
        let path = req.uri().path().to_string();
        let object_read = get && path.contains("/encryptedsecrets/");
        let status = req.uri().path().ends_with("/status");
        let body = req.into_body().collect_bytes().await.unwrap();
        let resp = if object_read {
            // The objects are app-N with uid uid-N.
            let name = path.rsplit('/').next().unwrap_or_default().to_string();
            let uid = name.replacen("app-", "uid-", 1);
            respond(
                200,
                &serde_json::json!({
                "apiVersion": "hush.dev/v1alpha1", "kind": "EncryptedSecret",
                "metadata": {"name": name, "namespace": "x", "uid": uid},
                "spec": {"scope": "ENC[x]"}, "sops": {"version": "3.11.0"}}),
            )
        } else if get {
            not_found()
        } else if status {
            // The whole object comes back from a status patch.
            let mut obj: serde_json::Value = serde_json::from_slice(&body).unwrap();
            obj["metadata"] = serde_json::json!({"name": "x"});
            obj["spec"] = serde_json::json!({"scope": "ENC[x]"});
            obj["sops"] = serde_json::json!({"version": "3.11.0"});
            respond(200, &obj)
        } else {
            Response::builder()
                .status(200)
                .body(Body::from(body.to_vec()))
                .unwrap()
        };
        send.send_response(resp);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_objects_sharing_a_data_key_cost_one_kms_call() {
    let arn = create_key();
    let relay = Relay::start();
    let url = relay.url.clone();
    for (k, v) in [
        ("AWS_ENDPOINT_URL", url.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ] {
        std::env::set_var(k, v);
    }
    // Seal one object, then the others with the same data key and sops block.
    let key: KmsKey = arn.parse().unwrap();
    let groups = vec![vec![Arc::new(key) as Arc<dyn MasterKey>]];
    let first = plaintext(
        "prod",
        "app-0",
        "strict:prod/app-0",
        &[("token", "c2VjcmV0")],
        &[],
    );
    let enc = hush_core::encrypt(
        &Plaintext::new(first, Format::Yaml),
        &groups,
        &seal_options(),
    )
    .await
    .unwrap();
    let opened = hush_core::editing::update::open(
        &enc,
        &[&KmsUnwrapper::default()],
        &DecryptOptions::default(),
    )
    .await
    .unwrap();
    let objects: Vec<_> = (0..OBJECTS)
        .map(|i| {
            let plain = plaintext(
                "prod",
                &format!("app-{i}"),
                &format!("strict:prod/app-{i}"),
                &[("token", "c2VjcmV0")],
                &[],
            );
            let sealed = opened.reseal(&Plaintext::new(plain, Format::Yaml)).unwrap();
            object(&served(sealed.as_str(), &format!("uid-{i}"), 1))
        })
        .collect();
    let wrapped: std::collections::BTreeSet<_> = objects
        .iter()
        .map(|o| o.spec.sops["kms"][0]["enc"].to_string())
        .collect();
    assert_eq!(
        wrapped.len(),
        1,
        "all objects carry the same wrapped data key"
    );
    let decrypts_before = relay.count("TrentService.Decrypt");

    let (svc, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    tokio::spawn(permissive_api(handle));
    let metrics = Arc::new(Metrics::default());
    let keys = CachingUnwrapper::new(
        vec![Box::new(KmsUnwrapper::default())],
        Arc::new(ExpiringKeyCache::new(16, Duration::from_secs(600))),
        metrics.clone(),
    );
    let ctx = Arc::new(Context::new(
        kube::Client::new(svc, "default"),
        keys,
        None,
        metrics.clone(),
        None,
    ));
    let runs = objects
        .into_iter()
        .map(|o| reconcile(Arc::new(o), ctx.clone()));
    for r in futures::future::join_all(runs).await {
        r.unwrap();
    }
    assert_eq!(
        metrics
            .failures
            .get_or_create(&hush_controller::metrics::ReasonLabel {
                reason: "NoDataKey".into()
            })
            .get(),
        0
    );
    assert_eq!(
        relay.count("TrentService.Decrypt") - decrypts_before,
        1,
        "one Decrypt on the wire"
    );
    assert_eq!(metrics.kms_calls.get(), 1);
    assert_eq!(metrics.cache_misses.get(), 1);
    assert_eq!(metrics.cache_hits.get(), OBJECTS as u64 - 1);
    assert_eq!(metrics.reconciles.get(), OBJECTS as u64);
    let text = hush_controller::metrics::render(&metrics.registry());
    assert!(text.contains("hush_kms_calls_total 1"), "{text}");
}
