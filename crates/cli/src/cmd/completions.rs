//! `hush completions SHELL` and `hush man`: shell completion scripts and a
//! roff man page, generated from the same clap definition that parses.

use crate::args::{CompletionsArgs, ManArgs};
use crate::failure::{fail, Failure};
use hush_core::error::exit;

pub(crate) fn completions(a: CompletionsArgs) -> Result<(), Failure> {
    let (mut cmd, name) = if a.sops {
        (crate::sops::command(), "sops")
    } else {
        (crate::args::command(), "hush")
    };
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, name, &mut out);
    write(&out)
}

/// Prints the man page, hush(1), in roff.
pub(crate) fn man(_: ManArgs) -> Result<(), Failure> {
    let mut out = Vec::new();
    clap_mangen::Man::new(crate::args::command())
        .render(&mut out)
        .map_err(|e| fail(exit::ERROR_GENERIC, e.to_string()))?;
    write(&out)
}

fn write(bytes: &[u8]) -> Result<(), Failure> {
    crate::io::write_stdout(bytes)
        .map_err(|e| fail(exit::COULD_NOT_WRITE_OUTPUT_FILE, e.to_string()))
}
