//! The cryptography of the sops format: the value cipher (`ENC[…]` values
//! sealed with AES-256-GCM and the path AAD), the MAC over the plaintext
//! values, and Shamir's secret sharing of the data key across key groups.

pub mod cipher;
pub mod mac;
pub mod shamir;
