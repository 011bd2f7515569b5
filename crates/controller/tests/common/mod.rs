//! Shared test helpers: the JSON the API server would return for a sealed
//! object; keys and sealing come from hush-test-support.
#![allow(dead_code)]

use hush_controller::resource::EncryptedSecret;
use hush_core::EncryptOptions;

// Each test file uses some of these.
#[allow(unused_imports)]
pub use hush_test_support::fixtures::{
    age_identities as age_key, age_secret, encrypted_secret as plaintext, seal,
};

/// Encryption options of a sealed EncryptedSecret.
pub fn seal_options() -> EncryptOptions {
    hush_core::encrypted_secret::encrypt_options()
}

/// The object as the API server returns it: JSON, keys sorted, with the
/// fields the server adds.
pub fn served(sealed_yaml: &str, uid: &str, generation: i64) -> serde_json::Value {
    let mut v: serde_json::Value = serde_yaml_ng::from_str(sealed_yaml).unwrap();
    let meta = v["metadata"].as_object_mut().unwrap();
    meta.insert("uid".into(), uid.into());
    meta.insert("generation".into(), generation.into());
    meta.insert("resourceVersion".into(), "12345".into());
    meta.insert("creationTimestamp".into(), "2026-11-29T00:00:00Z".into());
    meta.insert(
        "annotations".into(),
        serde_json::json!({"kubectl.kubernetes.io/last-applied-configuration": sealed_yaml}),
    );
    meta.insert(
        "managedFields".into(),
        serde_json::json!([{"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "hush.dev/v1alpha1"}]),
    );
    hush_controller::unseal::api_order(v)
}

/// The typed object from served JSON.
pub fn object(served: &serde_json::Value) -> EncryptedSecret {
    serde_json::from_value(served.clone()).unwrap()
}

/// The mock API server's side of a `tower_test` pair.
pub type ApiHandle =
    tower_test::mock::Handle<http::Request<kube::client::Body>, http::Response<kube::client::Body>>;

/// A mock API server's reply: `status` with `body` as JSON.
pub fn respond(status: u16, body: &serde_json::Value) -> http::Response<kube::client::Body> {
    http::Response::builder()
        .status(status)
        .body(kube::client::Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

/// The API server's 404 `Status`.
pub fn not_found() -> http::Response<kube::client::Body> {
    respond(
        404,
        &serde_json::json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "NotFound", "code": 404}),
    )
}
