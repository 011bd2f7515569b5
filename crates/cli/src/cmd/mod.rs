//! One module per command; `run` parses the command line and dispatches.

pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod decrypt;
pub(crate) mod edit;
pub(crate) mod encrypt;
pub(crate) mod exec;
pub(crate) mod git;
pub(crate) mod keygen;
pub(crate) mod krm;
pub(crate) mod merge;
pub(crate) mod rotate;
pub(crate) mod seal;
pub(crate) mod set;
pub(crate) mod updatekeys;

use crate::args::{Cli, Cmd};
use crate::failure::Result;
use clap::Parser;
use hush_core::keys::ring::KeyRing;

/// Parses the command line and runs the command.
pub fn run() -> Result<()> {
    run_from(std::env::args_os())
}

/// Runs a hush command line for the sops front end.
pub fn run_hush(args: Vec<std::ffi::OsString>) -> Result<()> {
    run_from(args)
}

/// Runs hush's command line `args` (program name first).
pub fn run_from(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<()> {
    // Usage errors exit 2, like clap and sops; --help and --version exit 0.
    let cli = Cli::try_parse_from(args).unwrap_or_else(|e| e.exit());
    // The one key ring of the process; it reads nothing until a file needs it.
    let identity_files = match &cli.cmd {
        Cmd::Decrypt(a) => a.0.identity.clone(),
        _ => Vec::new(),
    };
    let ring = KeyRing::new(identity_files);
    match cli.cmd {
        Cmd::Encrypt(a) => encrypt::run(a.0),
        Cmd::Decrypt(a) => decrypt::run(a.0, &ring),
        Cmd::ExecEnv(a) => exec::exec_env(a.0, &ring),
        Cmd::ExecFile(a) => exec::exec_file(a.0, &ring),
        Cmd::Keygen(a) => keygen::keygen(a.0),
        Cmd::Filestatus(a) => git::filestatus(a.0),
        Cmd::Diff(a) => git::diff(a.0, &ring),
        Cmd::Check(a) => check::run(a.0),
        Cmd::Edit(a) => edit::edit(a.0, &ring),
        Cmd::Set(a) => set::set(a.0, &ring),
        Cmd::Unset(a) => set::unset(a.0, &ring),
        Cmd::Rotate(a) => rotate::rotate(a.0, &ring),
        Cmd::Updatekeys(a) => updatekeys::update_keys(a.0, &ring),
        Cmd::Seal(a) => seal::run(a.0),
        Cmd::Krm(a) => krm::run(a.0, &ring),
        Cmd::Merge(a) => merge::merge(a.0, &ring),
        Cmd::InitGit(a) => merge::init_git(a.0),
        Cmd::Completions(a) => completions::completions(a.0),
        Cmd::Man(a) => completions::man(a.0),
        Cmd::Sops(a) => crate::sops::run(a.0.args, run_hush),
    }
}
