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
    /// A merge was refused: the other side changed the file's keys, which
    /// the MAC does not cover. The message names the keys, never values.
    #[error("{0}")]
    MergeRefused(String),
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

/// sops exit codes (`cmd/sops/codes/codes.go`).
pub mod exit {
    /// Generic error.
    pub const ERROR_GENERIC: u8 = 1;
    /// Could not read the input file.
    pub const COULD_NOT_READ_INPUT_FILE: u8 = 2;
    /// Could not write the output file.
    pub const COULD_NOT_WRITE_OUTPUT_FILE: u8 = 3;
    /// Error reading the config file.
    pub const ERROR_READING_CONFIG: u8 = 5;
    /// Conflicting parameters.
    pub const ERROR_CONFLICTING_PARAMETERS: u8 = 8;
    /// Error encrypting the tree.
    pub const ERROR_ENCRYPTING_TREE: u8 = 23;
    /// Error decrypting the tree.
    pub const ERROR_DECRYPTING_TREE: u8 = 25;
    /// Could not read the input as the given format.
    pub const ERROR_DUMPING_TREE: u8 = 4;
    /// MAC mismatch.
    pub const MAC_MISMATCH: u8 = 51;
    /// MAC not found.
    pub const MAC_NOT_FOUND: u8 = 52;
    /// Config file not found.
    pub const CONFIG_FILE_NOT_FOUND: u8 = 61;
    /// Invalid tree path.
    pub const ERROR_INVALID_TREE_PATH: u8 = 91;
    /// No file given.
    pub const NO_FILE_SPECIFIED: u8 = 100;
    /// No encryption key.
    pub const NO_ENCRYPTION_KEY_FOUND: u8 = 111;
    /// Could not retrieve the data key.
    pub const COULD_NOT_RETRIEVE_KEY: u8 = 128;
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
            Error::Corrupt(_) => ERROR_DECRYPTING_TREE,
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
            Error::Key { .. } => COULD_NOT_RETRIEVE_KEY,
            Error::Config { .. } | Error::Regex { .. } => ERROR_READING_CONFIG,
            Error::TreePath(_) => ERROR_INVALID_TREE_PATH,
            Error::MergeRefused(_) => ERROR_GENERIC,
        }
    }

    pub(crate) fn corrupt(what: impl fmt::Display) -> Self {
        Error::Corrupt(what.to_string())
    }
}
