//! The key ring: every key source a run decrypts with, set up once per
//! process and shared by every file and worker.
//!
//! Loading is lazy: the age identities (which may run `SOPS_AGE_KEY_CMD`,
//! a password-manager prompt) are read when the first file needs them and
//! then kept; KMS clients are built per region on first use and reused; the
//! data-key cache makes files that share a wrapped key cost one unwrap.

use super::age::Identities;
use super::cache::DataKeyCache;
use super::kms::KmsUnwrapper;
use super::pgp::PgpUnwrapper;
use super::{BoxFuture, KeyEntry, Unwrapper};
use crate::editing::update::Opened;
use crate::error::{Error, Result};
use crate::{Ciphertext, DecryptOptions, Plaintext};
use std::path::PathBuf;
use std::sync::OnceLock;

/// How many data-key unwraps (KMS calls) run at once at most.
const UNWRAPS_IN_FLIGHT: usize = 8;

/// The identities and key clients of one run.
pub struct KeyRing {
    age: AgeSource,
    kms: KmsUnwrapper,
    pgp: PgpUnwrapper,
    cache: DataKeyCache,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyRing({} identity files)",
            self.age.identity_files.len()
        )
    }
}

impl Default for KeyRing {
    fn default() -> Self {
        KeyRing::new(Vec::new())
    }
}

impl KeyRing {
    /// A ring over sops's key sources plus `identity_files`; nothing is
    /// read until a file needs it.
    pub fn new(identity_files: Vec<PathBuf>) -> Self {
        KeyRing {
            age: AgeSource {
                identity_files,
                ids: OnceLock::new(),
            },
            kms: KmsUnwrapper::default(),
            pgp: PgpUnwrapper,
            cache: DataKeyCache::new(UNWRAPS_IN_FLIGHT),
        }
    }

    /// The age identities, loaded on first call (a failure is kept).
    pub fn identities(&self) -> Result<&Identities> {
        self.age.get()
    }

    /// Every unwrapper, in the order sops tries providers.
    /// The age identities load when the first age key is tried, so a
    /// file without age keys never reads them (nor runs SOPS_AGE_KEY_CMD),
    /// and a source that fails only fails the age keys.
    pub fn unwrappers(&self) -> [&dyn Unwrapper; 3] {
        [&self.age, &self.kms, &self.pgp]
    }

    /// The data-key cache shared by the files of this run.
    pub fn cache(&self) -> &DataKeyCache {
        &self.cache
    }

    /// Decrypts one file.
    pub async fn decrypt(&self, enc: &Ciphertext, opts: &DecryptOptions) -> Result<Plaintext> {
        crate::decrypt(enc, &self.unwrappers(), opts).await
    }

    /// Decrypts one file of many: one unwrap per distinct data key.
    pub async fn decrypt_cached(
        &self,
        enc: &Ciphertext,
        opts: &DecryptOptions,
    ) -> Result<Plaintext> {
        crate::decrypt_cached(enc, &self.unwrappers(), opts, &self.cache).await
    }

    /// Opens one file for a change (set, edit, rotate, updatekeys).
    pub async fn open(&self, enc: &Ciphertext, opts: &DecryptOptions) -> Result<Opened> {
        crate::editing::update::open(enc, &self.unwrappers(), opts).await
    }
}

/// sops's age key sources plus `--identity` files, read once on first need.
/// A failure is kept too: a cancelled `SOPS_AGE_KEY_CMD` prompt is not
/// asked again for every file of the run.
struct AgeSource {
    identity_files: Vec<PathBuf>,
    /// The identities, or why they could not be loaded.
    ids: OnceLock<std::result::Result<Identities, String>>,
}

impl AgeSource {
    fn get(&self) -> Result<&Identities> {
        // `get_or_init` runs the load once; other workers wait for it.
        let loaded = self.ids.get_or_init(|| {
            self.load().map_err(|e| match e {
                Error::Key { reason, .. } => reason,
                e => e.to_string(),
            })
        });
        loaded.as_ref().map_err(|reason| Error::Key {
            provider: "age",
            reason: reason.clone(),
        })
    }

    fn load(&self) -> Result<Identities> {
        let mut ids = Identities::from_env()?;
        for p in &self.identity_files {
            ids.add_file(p)?;
        }
        Ok(ids)
    }
}

impl Unwrapper for AgeSource {
    fn unwrap<'a>(
        &'a self,
        entry: &'a KeyEntry,
    ) -> BoxFuture<'a, Option<Result<secrecy::SecretSlice<u8>>>> {
        Box::pin(async move {
            if !matches!(entry, KeyEntry::Age(_)) {
                return None;
            }
            match self.get() {
                Ok(ids) => ids.unwrap(entry).await,
                Err(e) => Some(Err(e)),
            }
        })
    }
}
