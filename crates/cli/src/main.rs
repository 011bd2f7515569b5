//! hush: keep Kubernetes secrets encrypted in Git, byte-compatible with sops.
//!
//! This binary only parses arguments, finds keys and files, and calls
//! hush-core; every format decision lives in the library.

/// Like std's `eprintln!`, but a closed stderr is not a panic (exit 101):
/// the exit code stays the one sops gives. Shadows the std macro crate-wide.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod batch;
mod change;
mod check;
mod cli;
mod completions;
mod edit;
mod exec;
mod git;
mod godotenv;
mod io;
mod keygen;
mod krm;
mod merge;
mod seal;
mod sops;

use std::process::ExitCode;

fn main() -> ExitCode {
    let result = if invoked_as("ksops") {
        krm::ksops()
    } else if invoked_as("sops") {
        sops::run(std::env::args_os().skip(1))
    } else {
        cli::run()
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hush: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// Whether this binary runs under `name` (`ksops`, `sops`: drop-ins).
fn invoked_as(name: &str) -> bool {
    std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_stem()
                .map(|s| s.eq_ignore_ascii_case(name))
        })
        .unwrap_or(false)
}
