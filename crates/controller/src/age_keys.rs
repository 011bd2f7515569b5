//! The controller's age identities, each tried only for the recipient it
//! belongs to.
//!
//! A `sops:` entry's `recipient` is not authenticated: with one pool of
//! identities, a tenant could relabel another tenant's entry with a
//! recipient their namespace is allowed, and the pool would still unwrap it.
//! Binding each identity to its own recipient makes the policy check on the
//! label a check on the key that actually unwraps.

use hush_core::keys::age::Identities;
use hush_core::keys::{BoxFuture, Unwrapper};
use hush_core::metadata::KeyEntry;
use secrecy::SecretSlice;
use std::collections::HashMap;
use std::str::FromStr;

/// X25519 identities by recipient (`age1…`).
#[derive(Default)]
pub struct AgeKeys(HashMap<String, Identities>);

impl std::fmt::Debug for AgeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl AgeKeys {
    /// Reads age X25519 identity lines (the `age-keygen` format); comments
    /// and blank lines are skipped.
    pub fn from_text(text: &str) -> Result<Self, crate::Error> {
        let mut keys = AgeKeys::default();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let id = age::x25519::Identity::from_str(line).map_err(|_| {
                crate::Error::Config("age key file: a line is not an age X25519 identity".into())
            })?;
            let mut one = Identities::default();
            one.add_text(line.as_bytes(), "age key file")
                .map_err(|e| crate::Error::Config(e.to_string()))?;
            keys.0.insert(id.to_public().to_string(), one);
        }
        Ok(keys)
    }

    /// Loads `SOPS_AGE_KEY_FILE` and `SOPS_AGE_KEY`, the sources the chart uses.
    pub fn from_env() -> Result<Self, crate::Error> {
        let mut text = zeroize::Zeroizing::new(String::new());
        if let Some(path) = std::env::var_os("SOPS_AGE_KEY_FILE") {
            let file = std::fs::read_to_string(&path).map_err(|e| {
                crate::Error::Config(format!("{}: {e}", std::path::Path::new(&path).display()))
            })?;
            text.push_str(&zeroize::Zeroizing::new(file));
            text.push('\n');
        }
        if let Ok(inline) = std::env::var("SOPS_AGE_KEY") {
            text.push_str(&zeroize::Zeroizing::new(inline));
        }
        Self::from_text(&text)
    }

    /// How many identities are loaded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none are loaded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Unwrapper for AgeKeys {
    fn unwrap<'a>(
        &'a self,
        entry: &'a KeyEntry,
    ) -> BoxFuture<'a, Option<hush_core::Result<SecretSlice<u8>>>> {
        match entry {
            KeyEntry::Age(a) => match self.0.get(&a.recipient) {
                Some(one) => one.unwrap(entry),
                None => Box::pin(async move {
                    Some(Err(hush_core::Error::Key {
                        provider: "age",
                        reason: "the controller holds no identity for this recipient; add it to \
                                 the age key file (SOPS_AGE_KEY_FILE) or SOPS_AGE_KEY"
                            .into(),
                    }))
                }),
            },
            _ => Box::pin(async { None }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_core::metadata::AgeEntry;

    #[tokio::test]
    async fn a_missing_identity_names_the_controllers_settings() {
        let keys = AgeKeys::default();
        let entry = KeyEntry::Age(AgeEntry {
            recipient: "age1unknown".into(),
            enc: String::new(),
        });
        let err = keys.unwrap(&entry).await.unwrap().unwrap_err().to_string();
        assert!(err.contains("SOPS_AGE_KEY_FILE"), "{err}");
        assert!(
            !err.contains("--"),
            "the controller has no such flag: {err}"
        );
    }
}
