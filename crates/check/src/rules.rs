//! The rules `hush check` knows, each with a stable id.
//!
//! Ids are part of the interface: suppressions, `--enable`/`--disable`,
//! JSON and SARIF output all name rules by id, so an id never changes
//! meaning once released.

use std::fmt;
use std::str::FromStr;

/// One kind of problem `hush check` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// A Kubernetes Secret (or kustomize secretGenerator input) with plaintext values.
    PlaintextSecret,
    /// A file a `.sops.yaml` creation rule says to encrypt has no sops metadata.
    UnencryptedFile,
    /// A value of an encrypted file that its own selector says to encrypt is plaintext.
    PlaintextValue,
    /// An encrypted file is structurally damaged (no MAC, broken `ENC[…]`, no keys).
    BrokenEncryption,
    /// With `--verify`: the MAC does not match the decrypted values.
    MacMismatch,
    /// An encrypted file's recipients differ from its creation rule's.
    StaleRecipients,
    /// An age secret key or a PEM/OpenSSH private key is committed.
    PrivateKey,
    /// A high-entropy value under a secret-sounding key in plaintext config (opt-in).
    LikelySecret,
    /// A suppression without a reason, or naming an unknown rule.
    InvalidSuppression,
    /// An `EncryptedSecret` whose MAC hush-controller cannot verify: values out
    /// of sorted key order, or no `mac_only_encrypted`.
    EncryptedSecretOrder,
    /// An `EncryptedSecret` hush-controller refuses: not sealed (no sops
    /// metadata), or no `spec.scope`.
    InvalidEncryptedSecret,
}

/// How serious a rule's findings are; maps to SARIF `level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Blocks the commit: a secret is exposed or will be.
    Error,
    /// Needs attention, nothing is exposed yet.
    Warning,
}

impl Level {
    /// The SARIF spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

impl Rule {
    /// Every rule, in documentation order.
    pub const ALL: [Rule; 11] = [
        Rule::PlaintextSecret,
        Rule::UnencryptedFile,
        Rule::PlaintextValue,
        Rule::BrokenEncryption,
        Rule::MacMismatch,
        Rule::StaleRecipients,
        Rule::PrivateKey,
        Rule::LikelySecret,
        Rule::InvalidSuppression,
        Rule::EncryptedSecretOrder,
        Rule::InvalidEncryptedSecret,
    ];

    /// The stable id, e.g. `plaintext-secret`.
    pub fn id(self) -> &'static str {
        match self {
            Rule::PlaintextSecret => "plaintext-secret",
            Rule::UnencryptedFile => "unencrypted-file",
            Rule::PlaintextValue => "plaintext-value",
            Rule::BrokenEncryption => "broken-encryption",
            Rule::MacMismatch => "mac-mismatch",
            Rule::StaleRecipients => "stale-recipients",
            Rule::PrivateKey => "private-key",
            Rule::LikelySecret => "likely-secret",
            Rule::InvalidSuppression => "invalid-suppression",
            Rule::EncryptedSecretOrder => "encrypted-secret-order",
            Rule::InvalidEncryptedSecret => "invalid-encrypted-secret",
        }
    }

    /// A CamelCase name (SARIF `name`).
    pub fn name(self) -> &'static str {
        match self {
            Rule::PlaintextSecret => "PlaintextSecret",
            Rule::UnencryptedFile => "UnencryptedFile",
            Rule::PlaintextValue => "PlaintextValue",
            Rule::BrokenEncryption => "BrokenEncryption",
            Rule::MacMismatch => "MacMismatch",
            Rule::StaleRecipients => "StaleRecipients",
            Rule::PrivateKey => "PrivateKey",
            Rule::LikelySecret => "LikelySecret",
            Rule::InvalidSuppression => "InvalidSuppression",
            Rule::EncryptedSecretOrder => "EncryptedSecretOrder",
            Rule::InvalidEncryptedSecret => "InvalidEncryptedSecret",
        }
    }

    /// One sentence saying what the rule finds.
    pub fn summary(self) -> &'static str {
        match self {
            Rule::PlaintextSecret => "A Kubernetes Secret or kustomize secretGenerator holds plaintext values.",
            Rule::UnencryptedFile => "A file that a .sops.yaml creation rule says to encrypt has no sops metadata.",
            Rule::PlaintextValue => "An encrypted file holds a plaintext value that its own selector says to encrypt.",
            Rule::BrokenEncryption => "An encrypted file is damaged: no MAC, a malformed ENC[...] value, or no master keys.",
            Rule::MacMismatch => "The file's MAC does not match its decrypted values (checked with --verify).",
            Rule::StaleRecipients => "An encrypted file's recipients differ from those of its .sops.yaml creation rule.",
            Rule::PrivateKey => "An age secret key or a PEM/OpenSSH private key is committed.",
            Rule::LikelySecret => "A high-entropy value under a secret-sounding key sits in plaintext configuration.",
            Rule::InvalidSuppression => "A hush:allow suppression has no reason or names an unknown rule.",
            Rule::EncryptedSecretOrder => "An EncryptedSecret cannot be verified in the cluster: encrypted keys out of sorted order, or no mac_only_encrypted.",
            Rule::InvalidEncryptedSecret => "An EncryptedSecret hush-controller refuses: it has no sops metadata (never sealed), or no spec.scope.",
        }
    }

    /// How to fix a finding of this rule, in general terms.
    pub fn help(self) -> &'static str {
        match self {
            Rule::PlaintextSecret => "Encrypt the file (`hush encrypt -i FILE`, or `sops -e -i FILE`) and rotate the exposed values; for kustomize, reference a sops-encrypted file instead of literals.",
            Rule::UnencryptedFile => "Encrypt the file in place with `hush encrypt -i FILE` (or `sops -e -i FILE`); if the values were pushed already, rotate them.",
            Rule::PlaintextValue => "Re-encrypt the file: decrypt it with `hush decrypt -i FILE`, then `hush encrypt -i FILE`, so the hand-added value is encrypted and the MAC covers it.",
            Rule::BrokenEncryption => "Restore the file from Git history, or decrypt it with the key and encrypt it again; never edit an encrypted file by hand.",
            Rule::MacMismatch => "The file was edited without the key. Restore it from Git history, or review the values and re-encrypt with `hush edit`/`sops edit`.",
            Rule::StaleRecipients => "Run `hush updatekeys FILE` (or `sops updatekeys FILE`) so the file is encrypted for the rule's current recipients; rotate the values if a recipient was removed.",
            Rule::PrivateKey => "Remove the key from the repository and its history, and generate a new one; keep keys in a secret store or $SOPS_AGE_KEY_FILE, outside Git.",
            Rule::LikelySecret => "Move the value into an encrypted Secret, or suppress with `# hush:allow likely-secret <reason>` if it is not a secret.",
            Rule::InvalidSuppression => "Write `# hush:allow <rule-id> <reason>` with a known rule id and a reason that a reviewer can judge.",
            Rule::EncryptedSecretOrder => "Re-seal it with `hush seal` (or fix the order in `hush edit`, which keeps EncryptedSecrets sorted); hush-controller verifies the MAC on the API server's sorted copy.",
            Rule::InvalidEncryptedSecret => "Seal the Secret with `hush seal` rather than writing an EncryptedSecret by hand; a removed scope cannot be restored without the key: restore the file from Git history or re-seal it. Rotate values that were committed in plaintext.",
        }
    }

    /// Whether the rule runs without `--enable`.
    pub fn default_enabled(self) -> bool {
        !matches!(self, Rule::LikelySecret)
    }

    /// The severity of its findings.
    pub fn level(self) -> Level {
        match self {
            Rule::StaleRecipients | Rule::LikelySecret | Rule::InvalidSuppression => Level::Warning,
            _ => Level::Error,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A rule id that names no rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule `{0}` (see `hush check --list-rules`)")]
pub struct UnknownRule(pub String);

impl FromStr for Rule {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL
            .into_iter()
            .find(|r| r.id() == s)
            .ok_or_else(|| UnknownRule(s.to_string()))
    }
}

/// Which rules run: the defaults, plus `enable`, minus `disable`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSet {
    on: [bool; Rule::ALL.len()],
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet {
            on: Rule::ALL.map(Rule::default_enabled),
        }
    }
}

impl RuleSet {
    fn index(rule: Rule) -> usize {
        Rule::ALL.iter().position(|r| *r == rule).unwrap_or(0)
    }

    /// Turns a rule on.
    pub fn enable(&mut self, rule: Rule) {
        self.on[Self::index(rule)] = true;
    }

    /// Turns a rule off. `invalid-suppression` cannot be turned off, so a
    /// suppression always carries a reason.
    pub fn disable(&mut self, rule: Rule) {
        if rule != Rule::InvalidSuppression {
            self.on[Self::index(rule)] = false;
        }
    }

    /// Whether `rule` runs.
    pub fn has(&self, rule: Rule) -> bool {
        self.on[Self::index(rule)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        for r in Rule::ALL {
            assert_eq!(r.id().parse::<Rule>().unwrap(), r);
        }
        let mut ids: Vec<_> = Rule::ALL.iter().map(|r| r.id()).collect();
        ids.dedup();
        assert_eq!(ids.len(), Rule::ALL.len());
        assert!("nope".parse::<Rule>().is_err());
    }

    #[test]
    fn likely_secret_is_opt_in_and_suppression_checks_cannot_be_disabled() {
        let mut s = RuleSet::default();
        assert!(!s.has(Rule::LikelySecret));
        s.enable(Rule::LikelySecret);
        assert!(s.has(Rule::LikelySecret));
        s.disable(Rule::InvalidSuppression);
        assert!(s.has(Rule::InvalidSuppression));
    }
}
