//! Public test vectors from getsops/sops (age/keysource_test.go). The
//! identity below is sops's published mock key: test-only, never a secret.

use hush_core::keys::age::Identities;
use hush_core::keys::Unwrapper;
use hush_core::metadata::{AgeEntry, KeyEntry};

#[test]
fn sops_mock_identity_unwraps_its_mock_key() {
    // getsops/sops age/keysource_test.go: mockIdentity and mockEncryptedKey.
    let id = "AGE-SECRET-KEY-1G0Q5K9TV4REQ3ZSQRMTMG8NSWQGYT0T7TZ33RAZEE0GZYVZN0APSU24RK7";
    let enc = "-----BEGIN AGE ENCRYPTED FILE-----
YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBvY2t2NkdLUGRvY3l2OGNy
MVJWcUhCOEZrUG8yeCtnRnhxL0I5NFk4YjJFCmE4SVQ3MEdyZkFqRWpSa2F0NVhF
VDUybzBxdS9nSGpHSVRVMUI0UEVqZkkKLS0tIGJjeGhNQ0Y5L2VZRVVYSm90djFF
bzdnQ3UwTGljMmtrbWNMV1MxYkFzUFUK4xjOZOTGdcbzuwUY/zeBXhcF+Md3e5PQ
EylloI7MNGbadPGb
-----END AGE ENCRYPTED FILE-----";
    let mut ids = Identities::default();
    ids.add_text(id.as_bytes(), "test").unwrap();
    let entry = KeyEntry::Age(AgeEntry {
        recipient: "age1x".into(),
        enc: enc.into(),
    });
    let got = hush_core::block_on(ids.unwrap(&entry)).unwrap();
    assert!(hush_core::block_on(Identities::default().unwrap(&entry))
        .unwrap()
        .is_err());
    use secrecy::ExposeSecret;
    match got {
        Ok(k) => assert_eq!(k.expose_secret(), b"data"),
        Err(e) => panic!("{e}"),
    }
}
