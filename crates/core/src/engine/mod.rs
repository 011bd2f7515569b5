//! The engine: whole files encrypted and decrypted by splicing, so every
//! byte outside the replaced scalars stays as it was.
//!
//! - [`format`] and [`document`]: the types a caller holds ([`Plaintext`],
//!   [`Ciphertext`], [`Format`], the options);
//! - [`parsed`]: every store's parse result as one view;
//! - [`encrypt`](mod@encrypt), [`decrypt`](mod@decrypt): the two directions;
//! - [`convert`](mod@convert), [`audit`](mod@audit): re-emitting and keyless checks;
//! - [`splice`] and [`stash`]: the text splicing and the IV stash they share.

pub(crate) mod audit;
pub(crate) mod convert;
pub(crate) mod decrypt;
pub(crate) mod document;
pub(crate) mod encrypt;
pub(crate) mod format;
pub(crate) mod parsed;
pub(crate) mod splice;
pub(crate) mod stash;

pub use audit::{audit, Audit, AuditFinding, AuditKind};
pub use convert::convert;
pub use decrypt::{decrypt, decrypt_cached, metadata};
pub use document::{Ciphertext, DecryptOptions, EncryptOptions, KeyGroups, Plaintext};
pub use encrypt::encrypt;
pub use format::Format;

pub(crate) use parsed::parse;

#[cfg(test)]
mod binary_tests {
    use crate::keys::age::{Identities, Recipient};
    use crate::{Format, Plaintext};
    use std::sync::Arc;

    #[test]
    fn arbitrary_bytes_round_trip_and_the_envelope_has_no_selector() {
        use secrecy::ExposeSecret;
        let id = age::x25519::Identity::generate();
        let r: Recipient = id.to_public().to_string().parse().unwrap();
        let mut ids = Identities::default();
        ids.add_text(id.to_string().expose_secret().as_bytes(), "t")
            .unwrap();
        let groups = vec![vec![Arc::new(r) as Arc<dyn crate::keys::MasterKey>]];
        for content in [&b"\x00\xff\xfe not utf-8\n"[..], b"", b"plain text"] {
            let p = Plaintext::from_bytes(content.to_vec(), Format::Binary).unwrap();
            let e = crate::block_on(crate::encrypt(&p, &groups, &Default::default())).unwrap();
            assert!(
                e.as_str().starts_with("{\n\t\"data\": \""),
                "{}",
                e.as_str()
            );
            assert!(e.as_str().ends_with("\t}\n}\n"));
            assert!(!e.as_str().contains("unencrypted_suffix"));
            let back = crate::block_on(crate::decrypt(&e, &[&ids], &Default::default())).unwrap();
            assert_eq!(back.expose_bytes(), content);
        }
    }
}
