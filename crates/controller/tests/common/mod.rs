//! Shared test helpers: sealing objects with real age keys and making the
//! JSON the API server would return for them.
#![allow(dead_code)]

use hush_controller::resource::EncryptedSecret;
use hush_core::keys::age::{Identities, Recipient};
use hush_core::keys::MasterKey;
use hush_core::{EncryptOptions, Format, Plaintext, Selector};
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

/// The plaintext of an EncryptedSecret, as `hush seal` writes it.
pub fn plaintext(
    ns: &str,
    name: &str,
    scope: &str,
    data: &[(&str, &str)],
    string_data: &[(&str, &str)],
) -> String {
    let mut s = format!(
        "apiVersion: hush.dev/v1alpha1\nkind: EncryptedSecret\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n"
    );
    let list = |s: &mut String, field: &str, items: &[(&str, &str)]| {
        if !items.is_empty() {
            s.push_str(&format!("  {field}:\n"));
            for (k, v) in items {
                s.push_str(&format!("    {k}: {}\n", serde_json::to_string(v).unwrap()));
            }
        }
    };
    list(&mut s, "data", data);
    s.push_str(&format!("  scope: \"{scope}\"\n"));
    list(&mut s, "stringData", string_data);
    s.push_str("  template:\n    type: Opaque\n    metadata:\n      labels:\n        team: a\n");
    s
}

/// Encryption options of a sealed EncryptedSecret.
pub fn seal_options() -> EncryptOptions {
    EncryptOptions {
        selector: Selector::from_key("encrypted_regex", hush_core::scope::ENCRYPTED_REGEX).unwrap(),
        mac_only_encrypted: true,
        ..EncryptOptions::default()
    }
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
