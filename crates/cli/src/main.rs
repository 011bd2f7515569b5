//! hush: keep Kubernetes secrets encrypted in Git, byte-compatible with sops.
//!
//! This binary only parses arguments, finds keys and files, and calls
//! hush-core; every format decision lives in the library.

mod batch;
mod change;
mod check;
mod cli;
mod edit;
mod exec;
mod git;
mod io;
mod keygen;
mod seal;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hush: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}
