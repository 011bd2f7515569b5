//! Fixtures: age key pairs and `EncryptedSecret`s.

use hush_core::encrypted_secret::{self as contract, SecretParts};
use hush_core::keys::age::{Identities, Recipient};
use hush_core::keys::MasterKey;
use hush_core::{Format, Plaintext};
use std::sync::Arc;

/// A fresh age secret key line (`AGE-SECRET-KEY-1…`) and its recipient.
pub fn age_secret() -> (String, String) {
    use age::secrecy::ExposeSecret;
    let id = age::x25519::Identity::generate();
    (
        id.to_string().expose_secret().to_string(),
        id.to_public().to_string(),
    )
}

/// A fresh age identity, loaded as hush loads identities, and its recipient.
pub fn age_identities() -> (Identities, String) {
    let (secret, recipient) = age_secret();
    let mut ids = Identities::default();
    ids.add_text(secret.as_bytes(), "test").unwrap();
    (ids, recipient)
}

/// The plaintext of an `EncryptedSecret`, as `hush seal` writes it (built
/// by hush-core's contract), with the template label `team: a`.
pub fn encrypted_secret(
    ns: &str,
    name: &str,
    scope: &str,
    data: &[(&str, &str)],
    string_data: &[(&str, &str)],
) -> String {
    let secrets = |items: &[(&str, &str)]| {
        items
            .iter()
            .map(|(k, v)| ((*k).to_string(), secrecy::SecretString::from(*v)))
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
    contract::document(&parts, &scope.parse().unwrap())
        .unwrap()
        .to_string()
}

/// Seals an `EncryptedSecret`'s plaintext (YAML) for an age `recipient`
/// with the contract's options.
pub fn seal(plain: &str, recipient: &str) -> String {
    let r: Recipient = recipient.parse().unwrap();
    let groups = vec![vec![Arc::new(r) as Arc<dyn MasterKey>]];
    let enc = hush_core::block_on(hush_core::encrypt(
        &Plaintext::new(plain.into(), Format::Yaml),
        &groups,
        &contract::encrypt_options(),
    ))
    .unwrap();
    enc.as_str().to_string()
}
