//! hush as a drop-in `sops`: the sops 3.11 command line (subcommands with
//! global flags before them, and the legacy flag form `sops -e|-d|-r|--set
//! FILE`, `sops FILE` = edit), split as sops's urfave/cli splits it
//! (`urfave`), then translated into hush's own commands.
//!
//! The sops form is chosen when the binary runs under the name `sops` (a
//! symlink or copy) or as `hush sops …`; every other name keeps hush's
//! own command line.

mod args;
mod example;
mod groups;
mod indent;
mod translate;
mod urfave;

pub use example::example;
pub use indent::reindent_json;

use crate::failure::{fail, Failure};
use clap::Parser;
use hush_core::error::exit;
use std::ffi::OsString;

static ACTIVE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether this process answers as sops (for the few exit codes where
/// hush's own command line keeps the shell's convention).
pub fn active() -> bool {
    ACTIVE.load(std::sync::atomic::Ordering::Relaxed)
}

/// The sops version whose command line and output this front end follows.
pub const SOPS_VERSION: &str = "3.11.0";

/// The sops command line as clap sees it (for completions).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    args::SopsCli::command()
}

/// hush's own command line, which a sops invocation is translated into
/// (`crate::cmd::run_from`, passed in so this module does not import it).
pub type RunHush = fn(Vec<OsString>) -> Result<(), Failure>;

/// Runs one sops invocation; `args` excludes the program name.
pub fn run(args: impl IntoIterator<Item = OsString>, run_hush: RunHush) -> Result<(), Failure> {
    ACTIVE.store(true, std::sync::atomic::Ordering::Relaxed);
    let args: Vec<OsString> = args.into_iter().collect();
    let split = urfave::split(&args)
        .map_err(|e| fail(exit::ERROR_GENERIC, format!("Incorrect Usage: {e}")))?;
    for w in &split.warnings {
        eprintln!("hush: warning: {w}");
    }
    let argv: Vec<OsString> = std::iter::once(OsString::from("sops"))
        .chain(split.argv)
        .collect();
    let mut cli = match args::SopsCli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) if e.kind() == clap::error::ErrorKind::MissingRequiredArgument => {
            return Err(missing_arguments(&argv))
        }
        // sops exits 1 on a usage error ("Incorrect Usage").
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("usage error");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            return Err(fail(
                exit::ERROR_GENERIC,
                format!("Incorrect Usage: {first}"),
            ));
        }
    };
    cli.sub_ignore_mac = translate::ignore_mac_after_subcommand(&cli, &argv);
    // sops ignores a type it does not know (`yml`, `YAML`): the file's own.
    for t in [&mut cli.g.input_type, &mut cli.g.output_type] {
        if !matches!(
            t.as_deref(),
            Some("yaml" | "json" | "dotenv" | "ini" | "binary")
        ) {
            *t = None;
        }
    }
    if cli.g.version {
        println!("sops {SOPS_VERSION} (hush {})", env!("CARGO_PKG_VERSION"));
        return Ok(());
    }
    translate::refuse_unsupported(&cli.g)?;
    if let Some(path) = &cli.g.config {
        named_config(path)?;
    }
    if !cli.g.keyservice.is_empty() {
        eprintln!("hush: warning: --keyservice is not supported; the local keys are used");
    }
    let kind = translate::kind(&cli);
    translate::precheck(&cli)?;
    let result = match translate::plan(cli)? {
        translate::Plan::Hush(argv) => run_hush(argv),
        translate::Plan::GroupsAdd(g, file) => groups::add(&g, &file),
        translate::Plan::GroupsDelete(g, file, index) => groups::delete(&g, &file, index),
    };
    match result.map_err(|f| sops_code(kind, f)) {
        // An edit that changed nothing: sops's one line, without hush's
        // prefix (the edit has cleaned up by now).
        Err(f) if kind == translate::Kind::Edit && f.code == exit::FILE_HAS_NOT_BEEN_MODIFIED => {
            eprintln!("{}", f.message);
            std::process::exit(i32::from(f.code))
        }
        r => r,
    }
}

/// sops's own check of a subcommand's positionals, before any flag
/// parsing error: exit 100 (exec-*: 1) with its words.
fn missing_arguments(argv: &[OsString]) -> Failure {
    let mut words = argv
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .filter(|a| !a.starts_with('-'));
    let sub = match words.next().unwrap_or("") {
        "groups" => words.next().unwrap_or(""),
        s => s,
    };
    let (code, text) = match sub {
        "add" => (
            exit::COULD_NOT_READ_INPUT_FILE,
            "Error reading file: open : no such file or directory",
        ),
        "delete" => (
            exit::ERROR_GENERIC,
            "error: exactly one positional argument (index) required",
        ),
        "set" => (
            exit::NO_FILE_SPECIFIED,
            "Error: no file specified, or index and value are missing. Need precisely 3 positional arguments.",
        ),
        "unset" => (
            exit::NO_FILE_SPECIFIED,
            "Error: no file specified, or index is missing",
        ),
        "exec-env" | "exec-file" => (exit::ERROR_GENERIC, "error: missing file to decrypt"),
        _ => (exit::NO_FILE_SPECIFIED, "Error: no file specified"),
    };
    fail(code, text)
}

/// sops reads a `--config` file for every command, and stops (exit 1) on
/// one it cannot read or parse, whatever the command.
fn named_config(path: &std::path::Path) -> Result<(), Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
            _ => e.to_string(),
        };
        fail(
            exit::ERROR_GENERIC,
            format!("could not read config file: open {}: {why}", path.display()),
        )
    })?;
    hush_core::rules::Config::parse(&text, path)
        .map(|_| ())
        .map_err(|e| fail(exit::ERROR_GENERIC, format!("error loading config: {e}")))
}

/// sops's exit code where it differs from hush's for the same failure.
fn sops_code(kind: translate::Kind, mut f: Failure) -> Failure {
    use translate::Kind;
    f.code = match (kind, f.code) {
        // A path that is not in the tree: sops exits 1 for --extract and unset.
        (Kind::Extract | Kind::Unset, exit::ERROR_INVALID_TREE_PATH) => exit::ERROR_GENERIC,
        // groups: sops logs a fatal error (exit 1) when it cannot get the data key.
        (Kind::Groups, exit::COULD_NOT_RETRIEVE_KEY) => exit::ERROR_GENERIC,
        (_, c) => c,
    };
    f
}
