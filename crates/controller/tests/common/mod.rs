//! Shared test helpers: sealing objects with real age keys and making the
//! JSON the API server would return for them.
#![allow(dead_code)]

use hush_controller::resource::EncryptedSecret;
use hush_core::keys::age::{Identities, Recipient};
use hush_core::keys::MasterKey;
use hush_core::{EncryptOptions, Format, Plaintext};
use std::sync::Arc;

/// An age identity (as the controller loads it) and its recipient.
pub fn age_key() -> (Identities, String) {
    use age::secrecy::ExposeSecret;
    let id = age::x25519::Identity::generate();
    let mut ids = Identities::default();
    ids.add_text(id.to_string().expose_secret().as_bytes(), "test")
        .unwrap();
    (ids, id.to_public().to_string())
}

/// A fresh age secret key line and its recipient.
pub fn age_secret() -> (String, String) {
    use age::secrecy::ExposeSecret;
    let id = age::x25519::Identity::generate();
    (
        id.to_string().expose_secret().to_string(),
        id.to_public().to_string(),
    )
}

/// The plaintext of an EncryptedSecret, as `hush seal` writes it (built by
/// the contract), with the label `team: a`.
pub fn plaintext(
    ns: &str,
    name: &str,
    scope: &str,
    data: &[(&str, &str)],
    string_data: &[(&str, &str)],
) -> String {
    use hush_core::encrypted_secret::{document, SecretParts};
    let secrets = |items: &[(&str, &str)]| {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), secrecy::SecretString::from(v.to_string())))
            .collect()
    };
    let parts = SecretParts {
        name: name.into(),
        namespace: Some(ns.into()),
        labels: [("team".to_string(), "a".to_string())].into(),
        data: secrets(data),
        string_data: secrets(string_data),
        ..SecretParts::default()
    };
    document(&parts, &scope.parse().unwrap())
        .unwrap()
        .to_string()
}

/// Encryption options of a sealed EncryptedSecret.
pub fn seal_options() -> EncryptOptions {
    hush_core::encrypted_secret::encrypt_options()
}

/// Seals `plain` (YAML) for `recipient`.
pub fn seal(plain: &str, recipient: &str) -> String {
    let r: Recipient = recipient.parse().unwrap();
    let groups = vec![vec![Arc::new(r) as Arc<dyn MasterKey>]];
    let enc = hush_core::block_on(hush_core::encrypt(
        &Plaintext::new(plain.into(), Format::Yaml),
        &groups,
        &seal_options(),
    ))
    .unwrap();
    enc.as_str().to_string()
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
