//! How a command fails: one line for the user and the exit code sops gives
//! (the table is `hush_core::error::exit`).

use hush_core::error::exit;
use hush_core::Error;

/// A failure to report: one line and an exit code.
pub struct Failure {
    pub message: String,
    pub code: u8,
}

/// The result of a command.
pub(crate) type Result<T> = std::result::Result<T, Failure>;

/// A failure with this exit code.
pub(crate) fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code,
    }
}

/// Names the file in a core error.
pub(crate) fn core(file: &str) -> impl Fn(Error) -> Failure + '_ {
    move |e| fail(e.exit_code(), format!("{file}: {e}"))
}

/// The exit code of an error from reading an encrypted file: sops exits 1
/// for one it cannot parse (2 only when it encrypts).
pub(crate) fn read_code(e: &Error) -> u8 {
    match e {
        Error::Syntax { .. } => exit::ERROR_GENERIC,
        _ => e.exit_code(),
    }
}

/// Names the file in an error from reading an encrypted file.
pub(crate) fn core_read(file: &str) -> impl Fn(Error) -> Failure + '_ {
    move |e| fail(read_code(&e), format!("{file}: {e}"))
}

/// A core error as it is, with its exit code.
pub(crate) fn bare(e: Error) -> Failure {
    fail(e.exit_code(), e.to_string())
}
