//! The one async runtime of the process, built on first use and shared by
//! every worker thread, so KMS clients (and their connections) outlive a
//! file.

use crate::failure::{fail, Result};
use hush_core::error::exit;
use std::sync::OnceLock;
use tokio::runtime::Runtime;

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The runtime; library calls run on it with `block_on` from any thread.
pub(crate) fn runtime() -> Result<&'static Runtime> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            fail(
                exit::ERROR_GENERIC,
                format!("cannot start the async runtime: {e}"),
            )
        })?;
    // A racing thread's runtime is dropped here, outside any runtime.
    Ok(RUNTIME.get_or_init(|| rt))
}
