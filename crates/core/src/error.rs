//! The one error type of hush-core, and its sops-compatible exit codes.

use std::fmt;

/// Everything that can go wrong in hush-core.
///
/// Messages name what failed and why, never a secret value. Each variant maps
/// to the exit code sops uses for the same failure (`exit_code`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not valid YAML or JSON.
    #[error("invalid {format}: {reason}")]
    Syntax {
        /// `YAML` or `JSON`.
        format: &'static str,
        /// Parser message with line and column; it never quotes values.
        reason: String,
    },
    /// The document is valid but sops cannot represent it.
    #[error("unsupported document: {0}")]
    Unsupported(String),
    /// The tree cannot be written in the output format (nested data as
    /// dotenv or INI, binary output without a `data` string).
    #[error("cannot write the output: {0}")]
    Dump(String),
    /// A YAML file of zero bytes: sops needs at least one document.
    #[error("the file is completely empty; it must contain at least one document")]
    EmptyFile,
    /// The tree holds what sops cannot walk (a non-string key, an integer
    /// beyond int64): sops fails while encrypting (or decrypting) the tree.
    #[error("unsupported document: {reason}")]
    TreeWalk {
        /// Names the line and what is there, never a value.
        reason: String,
        /// Met while decrypting (sops exit 25) rather than encrypting (23).
        decrypting: bool,
    },
    /// An anchor on a mapping key: yaml.v3 reads an alias to it as the key's
    /// text, a value no MAC covers in a plaintext part, so hush refuses it
    /// (as a parse error on encrypt; on decrypt with sops's tree-walk code).
    #[error("unsupported document: line {line}: an anchor on a mapping key is not supported")]
    KeyAnchor {
        /// 1-based line of the key.
        line: usize,
        /// Met in an encrypted file.
        decrypting: bool,
    },
    /// An `ENC[…]` value or the `sops:` block is malformed.
    #[error("corrupt encrypted file: {0}")]
    Corrupt(String),
    /// The file has no `sops:` metadata.
    #[error("file is not encrypted: no sops metadata found")]
    NotEncrypted,
    /// The file already has a top-level `sops` key.
    #[error("file is already encrypted (it has a top-level `sops` key)")]
    AlreadyEncrypted,
    /// No key could unwrap the data key.
    #[error("could not retrieve the data key: {0}")]
    NoDataKey(String),
    /// No master key was given to encrypt with.
    #[error("no master keys were provided: give --age or --pgp, set SOPS_AGE_RECIPIENTS, or add a .sops.yaml creation rule")]
    NoMasterKeys,
    /// A key group without keys (sops's words, which scripts match).
    #[error("Could not generate data key: [empty key group provided]")]
    EmptyKeyGroup,
    /// One or more master keys could not wrap the data key; one line per key.
    #[error("could not wrap the data key:{0}")]
    Wrap(String),
    /// A value failed authentication (wrong key, or tampered data).
    #[error("could not decrypt the value at path `{path}`: authentication failed")]
    ValueDecrypt {
        /// The sops path (AAD) of the value.
        path: String,
    },
    /// The MAC does not match the file's content.
    #[error(
        "MAC mismatch: the file's content does not match its MAC (it was changed without the key)"
    )]
    MacMismatch,
    /// The `sops:` block has no MAC.
    #[error("MAC not found in sops metadata")]
    MacNotFound,
    /// A key provider failed.
    #[error("{provider}: {reason}")]
    Key {
        /// `age`, `kms`, …
        provider: &'static str,
        /// What went wrong, naming the key but never the secret.
        reason: String,
    },
    /// A master key as written (flag or `.sops.yaml`) that hush cannot use.
    #[error("{0}")]
    KeySpec(String),
    /// A key provider failed for a reason that may pass by itself (a
    /// throttled, unreachable or failing service, a timeout): worth
    /// retrying soon. Reads like [`Error::Key`].
    #[error("{provider}: {reason}")]
    KeyTransient {
        /// `kms`, …
        provider: &'static str,
        /// What went wrong, naming the key but never the secret.
        reason: String,
    },
    /// A `.sops.yaml` file is invalid.
    #[error("config {path}: {reason}")]
    Config {
        /// The config file.
        path: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A `["a"]["b"]` tree path is malformed or does not exist.
    #[error("tree path: {0}")]
    TreePath(String),
    /// A value for `set` is not one JSON value (never quoted: it may be the secret).
    #[error("the value is not a single JSON value (strings need JSON quotes: '\"text\"')")]
    SetValue,
    /// A merge was refused: the other side changed the file's keys, which
    /// the MAC does not cover. The message names the keys, never values.
    #[error("{0}")]
    MergeRefused(String),
    /// The `sops.version` of a file is not a version sops reads (its
    /// semver parser's words).
    #[error("sops metadata version: {0}")]
    BadVersion(String),
    /// The `sops:` block is not a map, or its `lastmodified` is missing or
    /// not an RFC 3339 time: sops refuses the file as it loads it, before
    /// any key (exit 1).
    #[error("sops metadata: {0}")]
    BadMetadata(&'static str),
    /// The system's random number generator or the cipher failed.
    #[error("cryptographic failure: {0}")]
    Crypto(String),
    /// `exec-env`: a top-level list or map, named by its key only.
    #[error("cannot use complex value in environment; offending key {0}")]
    ComplexEnvValue(String),
    /// `exec-env`: a top-level key holding `=`.
    #[error("cannot use keys with '=' in environment: {0}")]
    EnvKeyWithEquals(String),
    /// A selector regex does not compile.
    #[error("invalid regex `{regex}`: {reason}")]
    Regex {
        /// The regex as written.
        regex: String,
        /// Compiler message.
        reason: String,
    },
}

/// The result type of hush-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub mod exit {
    //! The exit codes, the same numbers sops uses (`cmd/sops/codes/codes.go`),
    //! so scripts written for sops read hush's failures the same way.
    //!
    //! | code | constant | when |
    //! |-----:|----------|------|
    //! | 1 | [`ERROR_GENERIC`] | any other failure; sops also exits 1 when a file has no metadata, no master key is given, or a key cannot wrap the data key |
    //! | 2 | [`COULD_NOT_READ_INPUT_FILE`] | the input cannot be read or parsed ([`Error::Syntax`](super::Error::Syntax), [`Error::Unsupported`](super::Error::Unsupported)) |
    //! | 3 | [`COULD_NOT_WRITE_OUTPUT_FILE`] | the output cannot be written |
    //! | 4 | [`ERROR_DUMPING_TREE`] | the tree cannot be written in the output format ([`Error::Dump`](super::Error::Dump)) |
    //! | 5 | [`ERROR_READING_CONFIG`] | `.sops.yaml` or a selector regex is invalid |
    //! | 6 | [`INVALID_KMS_ENCRYPTION_CONTEXT_FORMAT`] | `--encryption-context` is not `k:v,…` |
    //! | 7 | [`INVALID_SET_FORMAT`] | `set` got a value that is not JSON ([`Error::SetValue`](super::Error::SetValue)) |
    //! | 8 | [`ERROR_CONFLICTING_PARAMETERS`] | flags that exclude each other |
    //! | 21 | [`ERROR_ENCRYPTING_MAC`] | the MAC cannot be encrypted |
    //! | 23 | [`ERROR_ENCRYPTING_TREE`] | a value cannot be encrypted |
    //! | 24 | [`ERROR_DECRYPTING_MAC`] | the MAC cannot be decrypted |
    //! | 25 | [`ERROR_DECRYPTING_TREE`] | a value cannot be decrypted or is malformed |
    //! | 49 | [`CANNOT_CHANGE_KEYS_OF_NONEXISTENT_FILE`] | `updatekeys`/`rotate` on a missing file |
    //! | 51 | [`MAC_MISMATCH`] | the MAC does not match; sops also uses it for a missing MAC |
    //! | 52 | [`MAC_NOT_FOUND`] | the metadata has no MAC |
    //! | 61 | [`CONFIG_FILE_NOT_FOUND`] | no `.sops.yaml` where one is needed |
    //! | 85 | [`KEYBOARD_INTERRUPT`] | interrupted |
    //! | 91 | [`ERROR_INVALID_TREE_PATH`] | a `["a"][0]` path is malformed or missing |
    //! | 92 | [`NEED_AT_LEAST_ONE_DOCUMENT`] | the input has no document |
    //! | 100 | [`NO_FILE_SPECIFIED`] | a command that needs a file got none |
    //! | 111 | [`NO_ENCRYPTION_KEY_FOUND`] | no key to encrypt with |
    //! | 112 | [`DUPLICATE_DECRYPTION_KEY_TYPE`] | `--decryption-order` names a type twice |
    //! | 128 | [`COULD_NOT_RETRIEVE_KEY`] | no key could unwrap the data key |
    //! | 200 | [`FILE_HAS_NOT_BEEN_MODIFIED`] | `edit` left the file unchanged (sops's non-zero no-op) |
    //! | 201 | [`NO_EDITOR_FOUND`] | the editor is missing or failed |
    //! | 202 | [`FAILED_TO_COMPARE_VERSIONS`] | the version check failed |
    //! | 203 | [`FILE_ALREADY_ENCRYPTED`] | the file already has a top-level `sops` key |
    //!
    //! [`Error::exit_code`](super::Error::exit_code) maps each error to its code.

    /// Generic error.
    pub const ERROR_GENERIC: u8 = 1;
    /// Could not read the input file.
    pub const COULD_NOT_READ_INPUT_FILE: u8 = 2;
    /// Could not write the output file.
    pub const COULD_NOT_WRITE_OUTPUT_FILE: u8 = 3;
    /// Could not write the tree in the output format.
    pub const ERROR_DUMPING_TREE: u8 = 4;
    /// Error reading the config file.
    pub const ERROR_READING_CONFIG: u8 = 5;
    /// A KMS encryption context is not `k:v,…`.
    pub const INVALID_KMS_ENCRYPTION_CONTEXT_FORMAT: u8 = 6;
    /// A malformed `set` argument.
    pub const INVALID_SET_FORMAT: u8 = 7;
    /// Conflicting parameters.
    pub const ERROR_CONFLICTING_PARAMETERS: u8 = 8;
    /// Error encrypting the MAC.
    pub const ERROR_ENCRYPTING_MAC: u8 = 21;
    /// Error encrypting the tree.
    pub const ERROR_ENCRYPTING_TREE: u8 = 23;
    /// Error decrypting the MAC.
    pub const ERROR_DECRYPTING_MAC: u8 = 24;
    /// Error decrypting the tree.
    pub const ERROR_DECRYPTING_TREE: u8 = 25;
    /// Keys of a file that does not exist cannot change.
    pub const CANNOT_CHANGE_KEYS_OF_NONEXISTENT_FILE: u8 = 49;
    /// MAC mismatch.
    pub const MAC_MISMATCH: u8 = 51;
    /// MAC not found.
    pub const MAC_NOT_FOUND: u8 = 52;
    /// Config file not found.
    pub const CONFIG_FILE_NOT_FOUND: u8 = 61;
    /// Interrupted from the keyboard.
    pub const KEYBOARD_INTERRUPT: u8 = 85;
    /// Invalid tree path.
    pub const ERROR_INVALID_TREE_PATH: u8 = 91;
    /// The file holds no document at all.
    pub const NEED_AT_LEAST_ONE_DOCUMENT: u8 = 92;
    /// No file given.
    pub const NO_FILE_SPECIFIED: u8 = 100;
    /// No encryption key.
    pub const NO_ENCRYPTION_KEY_FOUND: u8 = 111;
    /// A key type appears twice in the decryption order.
    pub const DUPLICATE_DECRYPTION_KEY_TYPE: u8 = 112;
    /// Could not retrieve the data key.
    pub const COULD_NOT_RETRIEVE_KEY: u8 = 128;
    /// `edit` changed nothing.
    pub const FILE_HAS_NOT_BEEN_MODIFIED: u8 = 200;
    /// No editor, or the editor failed.
    pub const NO_EDITOR_FOUND: u8 = 201;
    /// Comparing versions failed.
    pub const FAILED_TO_COMPARE_VERSIONS: u8 = 202;
    /// File already encrypted.
    pub const FILE_ALREADY_ENCRYPTED: u8 = 203;
}

impl Error {
    /// The exit code sops uses for this failure.
    pub fn exit_code(&self) -> u8 {
        use exit::*;
        match self {
            Error::Syntax { .. } => COULD_NOT_READ_INPUT_FILE,
            Error::Unsupported(_) => COULD_NOT_READ_INPUT_FILE,
            Error::Dump(_) => ERROR_DUMPING_TREE,
            Error::EmptyFile => NEED_AT_LEAST_ONE_DOCUMENT,
            Error::TreeWalk {
                decrypting: false, ..
            } => ERROR_ENCRYPTING_TREE,
            Error::TreeWalk {
                decrypting: true, ..
            } => ERROR_DECRYPTING_TREE,
            Error::Corrupt(_) => ERROR_DECRYPTING_TREE,
            Error::KeyAnchor {
                decrypting: false, ..
            } => COULD_NOT_READ_INPUT_FILE,
            Error::KeyAnchor {
                decrypting: true, ..
            } => ERROR_DECRYPTING_TREE,
            // sops: "sops metadata not found", exit 1.
            Error::NotEncrypted => ERROR_GENERIC,
            Error::AlreadyEncrypted => FILE_ALREADY_ENCRYPTED,
            Error::NoDataKey(_) => COULD_NOT_RETRIEVE_KEY,
            // sops exits 1 here, not NO_ENCRYPTION_KEY_FOUND (111).
            Error::NoMasterKeys => ERROR_GENERIC,
            Error::EmptyKeyGroup => ERROR_GENERIC,
            // sops: "Could not generate data key", exit 1.
            Error::Wrap(_) => ERROR_GENERIC,
            Error::ValueDecrypt { .. } => ERROR_DECRYPTING_TREE,
            Error::MacMismatch => MAC_MISMATCH,
            // sops reports a missing MAC as a mismatch (51), not 52.
            Error::MacNotFound => MAC_MISMATCH,
            Error::Key { .. } | Error::KeyTransient { .. } => COULD_NOT_RETRIEVE_KEY,
            Error::Config { .. } | Error::Regex { .. } => ERROR_READING_CONFIG,
            Error::TreePath(_) => ERROR_INVALID_TREE_PATH,
            Error::SetValue => INVALID_SET_FORMAT,
            Error::MergeRefused(_)
            | Error::Crypto(_)
            | Error::KeySpec(_)
            | Error::BadVersion(_)
            | Error::BadMetadata(_) => ERROR_GENERIC,
            Error::ComplexEnvValue(_) | Error::EnvKeyWithEquals(_) => ERROR_GENERIC,
        }
    }

    /// The provider and reason of a key provider's failure
    /// ([`Error::Key`] or [`Error::KeyTransient`]).
    pub fn key_failure(&self) -> Option<(&'static str, &str)> {
        match self {
            Error::Key { provider, reason } | Error::KeyTransient { provider, reason } => {
                Some((provider, reason))
            }
            _ => None,
        }
    }

    /// Whether the failure may pass by itself ([`Error::KeyTransient`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::KeyTransient { .. })
    }

    pub(crate) fn corrupt(what: impl fmt::Display) -> Self {
        Error::Corrupt(what.to_string())
    }
}
