//! `Debug` never prints key material or plaintext: every public type that
//! holds a secret is formatted (plainly and with `{:#?}`) and searched for
//! the secret. The crate-private tree types are checked in `tree.rs`.

use hush_core::keys::age::{Identities, Recipient};
use hush_core::keys::kms::KmsUnwrapper;
use hush_core::keys::MasterKey;
use hush_core::{block_on, DataKey, EncryptOptions, Format, Plaintext, Value};
use secrecy::ExposeSecret;
use std::sync::Arc;

const CANARY: &str = "CANARY-debug-0b7d";

fn assert_hidden(what: &str, shown: &[String], secrets: &[&str]) {
    for s in shown {
        for secret in secrets {
            assert!(!s.contains(secret), "{what}: Debug shows a secret: {s}");
        }
    }
}

fn both<T: std::fmt::Debug>(v: &T) -> Vec<String> {
    vec![format!("{v:?}"), format!("{v:#?}")]
}

#[test]
fn debug_of_every_secret_bearing_type_is_redacted() {
    // The data key: its bytes, as hex or as a Debug byte list.
    let key = DataKey::from_slice(&[0xA7; 32]).unwrap();
    let hexed = "a7a7a7a7";
    let listed = "167, 167";
    assert_hidden("DataKey", &both(&key), &[hexed, listed]);

    // An age identity, loaded.
    let id = age::x25519::Identity::generate();
    let id_text = id.to_string().expose_secret().to_string();
    let mut ids = Identities::default();
    ids.add_text(id_text.as_bytes(), "test").unwrap();
    let id_body = &id_text["AGE-SECRET-KEY-1".len()..][..20];
    assert_hidden("Identities", &both(&ids), &[&id_text, id_body]);
    assert_hidden("KmsUnwrapper", &both(&KmsUnwrapper::default()), &[CANARY]);

    // A plaintext file, its opened form and a value tree.
    let text = format!("password: {CANARY}\n# {CANARY} in a comment\n");
    let plain = Plaintext::new(text.clone(), Format::Yaml);
    assert_hidden("Plaintext", &both(&plain), &[CANARY]);
    let value = Value::Map(vec![("k".into(), Value::Scalar(CANARY.into()))]);
    assert_hidden("Value", &both(&value), &[CANARY]);

    let r: Recipient = id.to_public().to_string().parse().unwrap();
    let groups = vec![vec![Arc::new(r) as Arc<dyn MasterKey>]];
    let enc = block_on(hush_core::encrypt(
        &plain,
        &groups,
        &EncryptOptions::default(),
    ))
    .unwrap();
    let opened = block_on(hush_core::editing::update::open(
        &enc,
        &[&ids],
        &Default::default(),
    ))
    .unwrap();
    assert_hidden("Opened", &both(&opened), &[CANARY]);

    // What a key provider hands back: the unwrapped data key.
    let meta = hush_core::metadata(&enc).unwrap();
    let entry = &meta.groups[0].keys[0];
    let unwrapped = block_on(hush_core::keys::Unwrapper::unwrap(&ids, entry))
        .unwrap()
        .unwrap();
    let bytes = unwrapped.expose_secret();
    let shown = both(&unwrapped);
    let as_list = format!("{:?}", &bytes[..4]);
    assert_hidden("unwrapped key", &shown, &[as_list.trim_matches(['[', ']'])]);
}
