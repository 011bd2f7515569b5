//! hush-controller: turns `EncryptedSecret` resources (sops files the API
//! server stores) into Kubernetes Secrets.
//!
//! Unlike other SOPS controllers it verifies the sops MAC on the object as
//! the API server returns it (`mac_only_encrypted` plus a canonical key
//! order), and honours the encrypted scope binding (`spec.scope`), so a file
//! copied into another namespace or renamed does not decrypt there. A
//! per-namespace [`policy`] limits which master keys each tenant may use.
//!
//! The crate follows kube-rs/controller-rs: [`reconcile`] holds the
//! decisions as pure functions, [`controller`] the thin async shell that
//! reads, applies and reports.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod age_keys;
pub mod cache;
pub mod controller;
pub mod error;
pub mod kms;
pub mod leader;
pub mod metrics;
pub mod policy;
pub mod reconcile;
pub mod resource;
pub mod unseal;

pub use error::{Error, Result};
