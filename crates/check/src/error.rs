//! The one error type of hush-check.

use std::path::PathBuf;

/// Everything that stops a check from running at all. Problems with single
/// files do not: they go into [`Report::errors`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `.hush-check.yaml` is invalid.
    #[error("{}: {reason}", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// `--verify` was asked for, but the keys could not be loaded.
    #[error("--verify: cannot load keys: {0}")]
    Keys(#[source] hush_core::Error),
}
