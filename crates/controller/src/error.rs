//! The one error type of hush-controller.

/// Everything that can stop a reconcile or the controller.
///
/// Decrypt failures are not errors: they become a condition (see
/// [`crate::unseal::Failure`]). These are the ones worth a retry.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Kubernetes API call failed.
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// Bad configuration (flags, policy file, keys).
    #[error("{0}")]
    Config(String),
    /// A reconcile took too long (a hung API or KMS call).
    #[error("reconcile timed out after {0} s")]
    Timeout(u64),
    /// An object the controller cannot work on.
    #[error("{0}")]
    Object(String),
}

/// The result type of hush-controller.
pub type Result<T, E = Error> = std::result::Result<T, E>;
