//! `hush completions SHELL` and `hush man`: shell completion scripts and a
//! roff man page, generated from the same clap definition that parses.

use crate::cli::{fail, Failure};
use clap::Args;
use clap_complete::Shell;
use hush_core::error::exit;

#[derive(Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    shell: Shell,
    /// Complete the sops command line instead (for hush installed as `sops`)
    #[arg(long)]
    sops: bool,
}

pub fn completions(a: CompletionsArgs) -> Result<(), Failure> {
    let (mut cmd, name) = if a.sops {
        (crate::sops::command(), "sops")
    } else {
        (crate::cli::command(), "hush")
    };
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, name, &mut out);
    write(&out)
}

#[derive(Args)]
pub struct ManArgs {}

/// Prints the man page, hush(1), in roff.
pub fn man(_: ManArgs) -> Result<(), Failure> {
    let mut out = Vec::new();
    clap_mangen::Man::new(crate::cli::command())
        .render(&mut out)
        .map_err(|e| fail(exit::ERROR_GENERIC, e.to_string()))?;
    write(&out)
}

fn write(bytes: &[u8]) -> Result<(), Failure> {
    crate::io::write_stdout(bytes)
        .map_err(|e| fail(exit::COULD_NOT_WRITE_OUTPUT_FILE, e.to_string()))
}
