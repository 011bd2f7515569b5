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
