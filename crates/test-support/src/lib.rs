//! Test helpers shared by hush's crates (a dev-dependency only).
//!
//! - [`peers`]: the real `sops` and `age-keygen` binaries the interop tests
//!   run beside hush (installed by `./scripts/test`);
//! - [`kms`]: the moto KMS API `./scripts/test` starts, and a relay that
//!   counts the calls each tool makes;
//! - [`gpg`]: throwaway GNUPGHOME keyrings;
//! - [`fixtures`]: age key pairs and `EncryptedSecret`s built through
//!   hush-core's contract.
//!
//! Nothing here skips a test: a missing peer panics with a hint to run
//! `./scripts/test`.
#![deny(missing_docs)]

pub mod fixtures;
pub mod gpg;
pub mod kms;
pub mod peers;
