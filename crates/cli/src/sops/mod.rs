//! hush as a drop-in `sops`: the sops 3.11 command line (subcommands with
//! global flags before them, and the legacy flag form `sops -e|-d|-r|--set
//! FILE`, `sops FILE` = edit), translated into hush's own commands.
//!
//! The sops form is chosen when the binary runs under the name `sops` (a
//! symlink or copy) or as `hush sops …`; every other name keeps hush's
//! own command line.

mod args;
mod groups;
mod translate;

use crate::cli::{fail, Failure};
use clap::Parser;
use hush_core::error::exit;
use std::ffi::OsString;

/// The sops version whose command line and output this front end follows.
pub const SOPS_VERSION: &str = "3.11.0";

/// Runs one sops invocation; `args` excludes the program name.
pub fn run(args: impl IntoIterator<Item = OsString>) -> Result<(), Failure> {
    let argv = std::iter::once(OsString::from("sops")).chain(args);
    let cli = match args::SopsCli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => e.exit(),
        // sops exits 1 on a usage error ("Incorrect Usage").
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("usage error");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            return Err(fail(exit::ERROR_GENERIC, format!("Incorrect Usage: {first}")));
        }
    };
    if cli.g.version {
        println!("sops {SOPS_VERSION} (hush {})", env!("CARGO_PKG_VERSION"));
        return Ok(());
    }
    translate::refuse_unsupported(&cli.g)?;
    if !cli.g.keyservice.is_empty() {
        eprintln!("hush: warning: --keyservice is not supported; the local keys are used");
    }
    match translate::plan(cli)? {
        translate::Plan::Hush(argv) => crate::cli::run_from(argv),
        translate::Plan::GroupsAdd(g, file) => groups::add(&g, &file),
        translate::Plan::GroupsDelete(g, file, index) => groups::delete(&g, &file, index),
    }
}
