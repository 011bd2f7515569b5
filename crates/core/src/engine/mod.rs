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
