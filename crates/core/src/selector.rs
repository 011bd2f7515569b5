//! Which values get encrypted: sops's suffix, regex and comment-regex rules.
//!
//! Rules match single key names anywhere on the path (never the joined
//! path), exactly as sops's `shouldBeEncrypted` does.

use crate::error::{Error, Result};
use regex::Regex;

/// The one selection rule a file carries (sops allows at most one).
#[derive(Clone, Debug)]
pub enum Selector {
    /// Values under a key ending with this suffix stay plaintext (the default, `_unencrypted`).
    UnencryptedSuffix(String),
    /// Only values under a key ending with this suffix are encrypted.
    EncryptedSuffix(String),
    /// Values under a key matching this regex stay plaintext.
    UnencryptedRegex(Regex),
    /// Only values under a key matching this regex are encrypted.
    EncryptedRegex(Regex),
    /// Values after a comment matching this regex stay plaintext.
    UnencryptedCommentRegex(Regex),
    /// Only values after a comment matching this regex are encrypted.
    EncryptedCommentRegex(Regex),
}

impl Default for Selector {
    fn default() -> Self {
        Selector::UnencryptedSuffix("_unencrypted".into())
    }
}

/// The metadata key each selector is stored under.
pub const SELECTOR_KEYS: [&str; 6] = [
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
];

impl Selector {
    /// Builds a selector from its metadata key and value.
    pub fn from_key(key: &str, value: &str) -> Result<Self> {
        let re = || {
            Regex::new(value).map_err(|e| Error::Regex {
                regex: value.into(),
                reason: e.to_string(),
            })
        };
        Ok(match key {
            "unencrypted_suffix" => Selector::UnencryptedSuffix(value.into()),
            "encrypted_suffix" => Selector::EncryptedSuffix(value.into()),
            "unencrypted_regex" => Selector::UnencryptedRegex(re()?),
            "encrypted_regex" => Selector::EncryptedRegex(re()?),
            "unencrypted_comment_regex" => Selector::UnencryptedCommentRegex(re()?),
            "encrypted_comment_regex" => Selector::EncryptedCommentRegex(re()?),
            _ => return Err(Error::Unsupported(format!("unknown selector {key}"))),
        })
    }

    /// The metadata key and value this selector is written as.
    pub fn to_key(&self) -> (&'static str, &str) {
        match self {
            Selector::UnencryptedSuffix(s) => ("unencrypted_suffix", s),
            Selector::EncryptedSuffix(s) => ("encrypted_suffix", s),
            Selector::UnencryptedRegex(r) => ("unencrypted_regex", r.as_str()),
            Selector::EncryptedRegex(r) => ("encrypted_regex", r.as_str()),
            Selector::UnencryptedCommentRegex(r) => ("unencrypted_comment_regex", r.as_str()),
            Selector::EncryptedCommentRegex(r) => ("encrypted_comment_regex", r.as_str()),
        }
    }

    /// sops's `shouldBeEncrypted`: `path` holds the key names from the root,
    /// `comments` the comment stack, one frame per enclosing collection.
    pub fn should_encrypt(&self, path: &[&str], comments: &[Vec<&str>], is_comment: bool) -> bool {
        match self {
            Selector::UnencryptedSuffix(s) => !path.iter().any(|k| k.ends_with(s.as_str())),
            Selector::EncryptedSuffix(s) => path.iter().any(|k| k.ends_with(s.as_str())),
            Selector::UnencryptedRegex(r) => !path.iter().any(|k| r.is_match(k)),
            Selector::EncryptedRegex(r) => path.iter().any(|k| r.is_match(k)),
            Selector::UnencryptedCommentRegex(r) => {
                // sops applies the default suffix rule first; comment rules only add.
                !comments.iter().flatten().any(|c| r.is_match(c))
            }
            Selector::EncryptedCommentRegex(r) => {
                let last = comments.len().saturating_sub(1);
                comments.iter().enumerate().any(|(i, frame)| {
                    frame.iter().enumerate().any(|(j, c)| {
                        // The matching comment line itself is not encrypted.
                        let own_line = is_comment && i == last && j + 1 == frame.len();
                        !own_line && r.is_match(c)
                    })
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_and_regex_rules_match_any_key_on_the_path() {
        let s = Selector::default();
        assert!(!s.should_encrypt(&["a_unencrypted", "b"], &[], false));
        assert!(s.should_encrypt(&["a", "b"], &[], false));
        let r = Selector::from_key("encrypted_regex", "^(data|stringData)$").unwrap();
        assert!(r.should_encrypt(&["stringData", "x"], &[], false));
        assert!(!r.should_encrypt(&["metadata", "name"], &[], false));
    }

    #[test]
    fn encrypted_comment_regex_skips_the_matching_comment_itself() {
        let r = Selector::from_key("encrypted_comment_regex", "sops:enc").unwrap();
        let stack = vec![vec![" sops:enc"]];
        assert!(!r.should_encrypt(&[], &stack, true));
        assert!(r.should_encrypt(&["a"], &stack, false));
        assert!(!r.should_encrypt(&["a"], &[vec![]], false));
    }
}
