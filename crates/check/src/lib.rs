//! hush-check: the CI and pre-commit gate that keeps plaintext secrets out
//! of Git.
//!
//! It walks a repository (or checks the files pre-commit names) and reports,
//! without any key:
//!
//! - Kubernetes Secrets with plaintext `data`/`stringData`, in every YAML
//!   document, in JSON, in `kind: List` items, and kustomize
//!   `secretGenerator` literals and env files (`plaintext-secret`);
//! - files a `.sops.yaml` creation rule covers that are not encrypted
//!   (`unencrypted-file`);
//! - encrypted files with values added by hand in plaintext
//!   (`plaintext-value`), or structural damage (`broken-encryption`);
//! - encrypted files whose recipients differ from their creation rule
//!   (`stale-recipients`);
//! - EncryptedSecrets hush-controller refuses: written by hand (also their
//!   plaintext values, as `plaintext-secret`) or without `spec.scope`
//!   (`invalid-encrypted-secret`), or not verifiable in the cluster
//!   (`encrypted-secret-order`);
//! - committed age, PEM and OpenSSH private keys (`private-key`);
//! - opt-in: high-entropy values under secret-sounding keys
//!   (`likely-secret`).
//!
//! With keys, [`Options::verify`] also checks each file's MAC
//! (`mac-mismatch`). Findings can be suppressed, with a reason, by a
//! `# hush:allow <rule-id> <reason>` comment or a `.hush-check.yaml`.
//!
//! ```no_run
//! let report = hush_check::check(&hush_check::Options::default())?;
//! for f in report.active() {
//!     println!("{}:{}:{}: {}: {}", f.path.display(), f.line, f.column, f.rule, f.message);
//! }
//! std::process::exit(report.exit_code().into());
//! # Ok::<(), hush_check::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
mod encrypted_secret;
mod error;
mod finding;
mod keys;
mod kustomize;
mod likely;
pub mod output;
mod rules;
mod scan;
mod secret;
mod sops;
mod source;
mod suppress;
mod template;
mod walk;
mod yaml;

pub use config::CheckConfig;
pub use error::Error;
pub use finding::{FileError, Finding, Note, Report, Suppression, SuppressionKind};
pub use rules::{Level, Rule, RuleSet, UnknownRule};

use scan::{Checker, Collected};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The default size above which files that can hold no Secret are
/// skipped: 1 MiB. YAML, JSON, env files, kustomizations and files a
/// creation rule covers are checked whatever their size (up to 256 MiB; a
/// larger one is an error, so the check fails instead of passing unread).
pub const DEFAULT_MAX_FILESIZE: u64 = 1 << 20;

/// How to run a check.
#[derive(Clone, Debug)]
pub struct Options {
    /// Files and directories. Empty: the current directory. Directories are
    /// walked honouring `.gitignore`; files are checked as given.
    pub paths: Vec<PathBuf>,
    /// Rules to turn on beyond the defaults (and the config's).
    pub enable: Vec<Rule>,
    /// Rules to turn off.
    pub disable: Vec<Rule>,
    /// Decrypt with the keys sops would use and check each MAC.
    pub verify: bool,
    /// `.hush-check.yaml` to use; by default it is looked for from the
    /// current directory upwards.
    pub config: Option<PathBuf>,
    /// Other files larger than this are skipped (see [`DEFAULT_MAX_FILESIZE`]).
    pub max_filesize: u64,
    /// Worker threads; 0 picks from the CPU count.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            paths: Vec::new(),
            enable: Vec::new(),
            disable: Vec::new(),
            verify: false,
            config: None,
            max_filesize: DEFAULT_MAX_FILESIZE,
            threads: 0,
        }
    }
}

/// Runs a check and returns every finding, sorted.
pub fn check(opts: &Options) -> Result<Report, Error> {
    let config = match &opts.config {
        Some(p) => CheckConfig::load(p)?,
        None => match std::env::current_dir()
            .ok()
            .and_then(|d| CheckConfig::find(&d))
        {
            Some(p) => CheckConfig::load(&p)?,
            None => CheckConfig::default(),
        },
    };
    let mut rules = RuleSet::default();
    config.apply(&mut rules);
    opts.enable.iter().for_each(|r| rules.enable(*r));
    opts.disable.iter().for_each(|r| rules.disable(*r));
    let identities = if opts.verify {
        Some(hush_core::keys::age::Identities::from_env().map_err(Error::Keys)?)
    } else {
        None
    };
    let invalid_config: Vec<Finding> = config
        .invalid
        .iter()
        .map(|i| {
            let path = config.path.as_deref().map(shown_path).unwrap_or_default();
            Finding::new(
                Rule::InvalidSuppression,
                path,
                i.line,
                i.column,
                i.message.clone(),
            )
        })
        .collect();
    let checker = Checker {
        rules,
        config,
        sops: Default::default(),
        identities,
        max_filesize: opts.max_filesize,
        cwd: std::env::current_dir().unwrap_or_default(),
        out: Mutex::new(Collected::default()),
    };
    let paths = if opts.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        opts.paths.clone()
    };
    let (mut dirs, mut files) = (Vec::new(), Vec::new());
    for p in paths {
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => dirs.push(p),
            Ok(_) => files.push(p),
            Err(e) => checker.error(&p, e.to_string()),
        }
    }
    walk::run(&checker, &dirs, &files, opts.threads);
    if !files.is_empty() {
        checker.load_sibling_kustomizations(&files);
    }
    checker.check_refs();
    let sops_errors = checker.sops.take_errors();
    let out = checker.out.into_inner().unwrap_or_default();
    let mut report = Report {
        files_checked: out.seen.len(),
        findings: out.findings,
        notes: out.notes,
        errors: out.errors,
    };
    report.findings.extend(invalid_config);
    for (path, message) in sops_errors {
        report.errors.push(FileError {
            path: shown_path(&path),
            message,
        });
    }
    report.sort();
    Ok(report)
}

/// A path relative to the current directory when it is inside it.
fn shown_path(p: &Path) -> PathBuf {
    let abs = scan::absolute(p);
    std::env::current_dir()
        .ok()
        .and_then(|cwd| abs.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or(abs)
}
