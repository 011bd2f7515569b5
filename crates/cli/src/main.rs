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

mod args;
mod batch;
mod change;
mod cmd;
mod deferred;
mod failure;
mod godotenv;
mod inout;
mod io;
mod keys;
mod runtime;
mod sops;

use std::process::ExitCode;

fn main() -> ExitCode {
    if is_version_query() {
        // What clap prints for -V/--version, without building the command
        // tree; like clap, a closed stdout is no error.
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), "hush {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let result = if invoked_as("ksops") {
        cmd::krm::ksops()
    } else if invoked_as("sops") {
        sops::run(std::env::args_os().skip(1), cmd::run_hush)
    } else {
        cmd::run()
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hush: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// Whether the whole command line is `hush --version` or `hush -V`.
fn is_version_query() -> bool {
    let mut args = std::env::args_os().skip(1);
    matches!((args.next(), args.next()), (Some(a), None) if a == "--version" || a == "-V")
        && !invoked_as("ksops")
        && !invoked_as("sops")
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
