//! `set`, `unset`, `rotate` and `updatekeys`: changes to an encrypted file
//! that keep everything else byte-identical where the format allows.

use crate::batch::{collect_files, for_each_file, is_encrypted_file};
use crate::cli::{core, core_read, fail, pgp_keys, recipients, rule_keys, runtime, Failure};
use crate::io::{write_atomic, write_stdout};
use clap::Args;
use hush_core::error::exit;
use hush_core::keys::age::Identities;
use hush_core::keys::kms::{KmsKey, KmsUnwrapper};
use hush_core::keys::pgp::PgpUnwrapper;

use hush_core::rules::{find_config, Config};
use hush_core::update::{open, Opened};
use hush_core::{Ciphertext, DecryptOptions, Format};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

type Result<T> = std::result::Result<T, Failure>;

fn read_open(rt: &tokio::runtime::Runtime, file: &Path) -> Result<Opened> {
    let name = file.display().to_string();
    if !file.exists() {
        return Err(fail(
            exit::NO_FILE_SPECIFIED,
            format!("{name}: cannot operate on non-existent file"),
        ));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {e}")))?;
    let ids = Identities::from_env().map_err(core(&name))?;
    let kms = KmsUnwrapper::default();
    let enc = Ciphertext::new(text, Format::from_path(&name));
    let pgp = PgpUnwrapper;
    rt.block_on(open(&enc, &[&ids, &kms, &pgp], &DecryptOptions::default()))
        .map_err(core_read(&name))
}

/// Writes `enc` over `file` unless it is byte-identical to what was read.
fn write_back(file: &Path, o: &Opened, enc: &Ciphertext) -> Result<()> {
    if enc.as_str() == o.original().as_str() {
        eprintln!("hush: {}: no change; nothing written", file.display());
        return Ok(());
    }
    write_atomic(file, enc.as_str().as_bytes()).map_err(|e| {
        fail(
            exit::COULD_NOT_WRITE_OUTPUT_FILE,
            format!("{}: {e}", file.display()),
        )
    })
}

#[derive(Args)]
pub struct SetArgs {
    /// The encrypted file, changed in place
    file: PathBuf,
    /// The path, e.g. '["data"]["password"]'
    path: String,
    /// The new value as JSON, e.g. '"s3cret"' or '{"a": 1}'
    value: Option<String>,
    /// Read the value (JSON) from this file
    #[arg(long, conflicts_with_all = ["value", "value_stdin"])]
    value_file: Option<PathBuf>,
    /// Read the value (JSON) from stdin
    #[arg(long, conflicts_with = "value")]
    value_stdin: bool,
    /// Accepted for sops compatibility: hush never rewrites a file whose value is unchanged
    #[arg(long)]
    idempotent: bool,
    /// Which document of a multi-document file (0-based)
    #[arg(long, default_value_t = 0)]
    document: usize,
}

pub fn set(a: SetArgs) -> Result<()> {
    let name = a.file.display().to_string();
    let json = match (&a.value, &a.value_file, a.value_stdin) {
        (Some(v), _, _) => zeroize::Zeroizing::new(v.clone()),
        (None, Some(f), _) => zeroize::Zeroizing::new(std::fs::read_to_string(f).map_err(|e| {
            fail(
                exit::COULD_NOT_READ_INPUT_FILE,
                format!("{}: {e}", f.display()),
            )
        })?),
        (None, None, true) => {
            let mut s = zeroize::Zeroizing::new(String::new());
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| fail(exit::COULD_NOT_READ_INPUT_FILE, e.to_string()))?;
            s
        }
        _ => {
            return Err(fail(
                exit::ERROR_GENERIC,
                "set needs a value, --value-file or --value-stdin",
            ))
        }
    };
    let rt = runtime()?;
    let o = read_open(&rt, &a.file)?;
    let steps = hush_core::path::parse(&a.path).map_err(core(&name))?;
    let edited =
        hush_core::patch::set(o.plaintext(), a.document, &steps, &json).map_err(core(&name))?;
    let enc = o.reseal(&edited).map_err(core(&name))?;
    write_back(&a.file, &o, &enc)
}

#[derive(Args)]
pub struct UnsetArgs {
    /// The encrypted file, changed in place
    file: PathBuf,
    /// The path, e.g. '["data"]["password"]'
    path: String,
    /// Do nothing (exit 0) if the path does not exist
    #[arg(long)]
    idempotent: bool,
    /// Which document of a multi-document file (0-based)
    #[arg(long, default_value_t = 0)]
    document: usize,
}

pub fn unset(a: UnsetArgs) -> Result<()> {
    let name = a.file.display().to_string();
    let rt = runtime()?;
    let o = read_open(&rt, &a.file)?;
    let steps = hush_core::path::parse(&a.path).map_err(core(&name))?;
    let edited = match hush_core::patch::unset(o.plaintext(), a.document, &steps) {
        Err(hush_core::Error::TreePath(_)) if a.idempotent => return Ok(()),
        r => r.map_err(core(&name))?,
    };
    let enc = o.reseal(&edited).map_err(core(&name))?;
    write_back(&a.file, &o, &enc)
}

#[derive(Args)]
pub struct RotateArgs {
    /// The encrypted files
    files: Vec<PathBuf>,
    /// Also every encrypted file under this directory
    #[arg(short = 'r', long = "recursive")]
    dirs: Vec<PathBuf>,
    /// Write the results back to the files (default for several files: required)
    #[arg(short = 'i', long)]
    in_place: bool,
    /// Write the result to this file (one file)
    #[arg(long, conflicts_with = "in_place")]
    output: Option<PathBuf>,
    /// Add age recipients (to the first key group)
    #[arg(long, value_delimiter = ',')]
    add_age: Vec<String>,
    /// Remove age recipients
    #[arg(long, value_delimiter = ',')]
    rm_age: Vec<String>,
    /// Add KMS keys (ARN or ARN+ROLE) to the first key group
    #[arg(long, value_delimiter = ',')]
    add_kms: Vec<String>,
    /// Remove KMS keys by ARN
    #[arg(long, value_delimiter = ',')]
    rm_kms: Vec<String>,
    /// Add PGP keys (fingerprints) to the first key group
    #[arg(long, value_delimiter = ',')]
    add_pgp: Vec<String>,
    /// Remove PGP keys by fingerprint
    #[arg(long, value_delimiter = ',')]
    rm_pgp: Vec<String>,
}

pub fn rotate(a: RotateArgs) -> Result<()> {
    let files = collect_files(&a.files, &a.dirs, is_encrypted_file)?;
    if files.len() != 1 && !a.in_place {
        return Err(fail(
            exit::ERROR_CONFLICTING_PARAMETERS,
            "rotating several files needs -i",
        ));
    }
    for_each_file(&files, |w, t| rotate_one(&w.rt, &a, &t.path))
}

fn rotate_one(rt: &tokio::runtime::Runtime, a: &RotateArgs, file: &Path) -> Result<()> {
    let name = file.display().to_string();
    let o = read_open(rt, file)?;
    let mut groups = o.master_keys().map_err(core(&name))?;
    let removed: Vec<&String> = a.rm_age.iter().chain(&a.rm_kms).collect();
    let rm_pgp: Vec<String> = a.rm_pgp.iter().map(|f| fp_key(f)).collect();
    for g in &mut groups {
        g.retain(|k| {
            !removed.iter().any(|r| r.trim() == k.describe())
                && !rm_pgp.contains(&fp_key(&k.describe()))
        });
    }
    let mut added = recipients(&a.add_age)?;
    for k in a.add_kms.iter().filter(|k| !k.trim().is_empty()) {
        let key: KmsKey = k.parse().map_err(core(&name))?;
        added.push(Arc::new(key));
    }
    added.extend(pgp_keys(&a.add_pgp)?);
    groups[0].extend(added);
    if groups.iter().any(Vec::is_empty) {
        return Err(fail(
            exit::ERROR_GENERIC,
            format!("{name}: removing those keys would leave a key group empty"),
        ));
    }
    let enc = rt
        .block_on(o.rotate(&groups, o.metadata().shamir_threshold))
        .map_err(core(&name))?;
    if a.in_place {
        write_back(file, &o, &enc)
    } else if let Some(out) = &a.output {
        write_atomic(out, enc.as_str().as_bytes()).map_err(|e| {
            fail(
                exit::COULD_NOT_WRITE_OUTPUT_FILE,
                format!("{}: {e}", out.display()),
            )
        })
    } else {
        write_stdout(enc.as_str().as_bytes())
            .map_err(|e| fail(exit::COULD_NOT_WRITE_OUTPUT_FILE, e.to_string()))
    }
}

#[derive(Args)]
pub struct UpdateKeysArgs {
    /// The encrypted files
    files: Vec<PathBuf>,
    /// Also every encrypted file under this directory
    #[arg(short = 'r', long = "recursive")]
    dirs: Vec<PathBuf>,
    /// Apply without asking
    #[arg(short = 'y', long)]
    yes: bool,
    /// Also rotate the data key (re-encrypt every value)
    #[arg(long)]
    rotate: bool,
    /// The .sops.yaml to use instead of searching upwards
    #[arg(long, env = "SOPS_CONFIG")]
    config: Option<PathBuf>,
    /// Print the changes to stdout in sops's words (the `sops` front end)
    #[arg(long, hide = true)]
    sops_report: bool,
}

pub fn update_keys(a: UpdateKeysArgs) -> Result<()> {
    let path = match &a.config {
        Some(p) => p.clone(),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| find_config(&d))
            .ok_or_else(|| fail(exit::CONFIG_FILE_NOT_FOUND, "no .sops.yaml found"))?,
    };
    let config = Config::load(&path).map_err(|e| fail(e.exit_code(), e.to_string()))?;
    let files = collect_files(&a.files, &a.dirs, is_encrypted_file)?;
    if a.yes {
        return for_each_file(&files, |w, t| update_one(&w.rt, &a, &config, &t.path));
    }
    // Asking for each file: one at a time.
    let rt = runtime()?;
    for t in &files {
        update_one(&rt, &a, &config, &t.path)?;
    }
    Ok(())
}

fn update_one(
    rt: &tokio::runtime::Runtime,
    a: &UpdateKeysArgs,
    config: &Config,
    file: &Path,
) -> Result<()> {
    let name = file.display().to_string();
    let rule = config.rule_for(file).ok_or_else(|| {
        fail(
            exit::ERROR_GENERIC,
            format!("{name}: no creation rule matches this file"),
        )
    })?;
    let wanted = rule_keys(rule)?;
    let o = read_open(rt, file)?;
    let have: Vec<Vec<String>> = o
        .metadata()
        .groups
        .iter()
        .map(|g| g.keys.iter().map(|k| describe_entry(k)).collect())
        .collect();
    let want: Vec<Vec<String>> = wanted
        .iter()
        .map(|g| {
            g.iter()
                .map(|k| match k.kind() {
                    "pgp" => fp_key(&k.describe()),
                    _ => k.describe(),
                })
                .collect()
        })
        .collect();
    let threshold_same =
        o.metadata().shamir_threshold == rule.shamir_threshold.filter(|_| wanted.len() > 1);
    if have == want && threshold_same && !a.rotate {
        eprintln!("hush: {name}: keys already match the creation rule");
        return Ok(());
    }
    if a.sops_report {
        print_sops_diff(&have, &want);
    } else {
        print_diff(&name, &have, &want);
    }
    if !a.yes && !confirm()? {
        eprintln!("hush: {name}: not changed");
        return Ok(());
    }
    let enc = if a.rotate {
        rt.block_on(o.rotate(&wanted, rule.shamir_threshold))
    } else {
        rt.block_on(o.update_keys(&wanted, rule.shamir_threshold))
    }
    .map_err(core(&name))?;
    write_back(file, &o, &enc)?;
    let removed = have
        .iter()
        .flatten()
        .any(|k| !want.iter().flatten().any(|w| w == k));
    if removed && !a.rotate {
        eprintln!(
            "hush: {name}: warning: removed keys still hold the old data key and can decrypt earlier copies of this file (they are in Git history); run `hush updatekeys --rotate` or `hush rotate -i` to change the data key"
        );
    }
    Ok(())
}

/// A fingerprint as compared for `--rm-pgp`: spaces removed, any case.
fn fp_key(fp: &str) -> String {
    fp.replace(' ', "").to_ascii_uppercase()
}

/// The same names `MasterKey::describe` gives: recipient, ARN or
/// fingerprint (PGP as `fp_key`).
fn describe_entry(k: &hush_core::metadata::KeyEntry) -> String {
    match k {
        hush_core::metadata::KeyEntry::Age(a) => a.recipient.clone(),
        hush_core::metadata::KeyEntry::Kms(k) => k.arn.clone(),
        hush_core::metadata::KeyEntry::Pgp(p) => fp_key(&p.fp),
        other => other.describe(),
    }
}

fn print_diff(name: &str, have: &[Vec<String>], want: &[Vec<String>]) {
    eprintln!("{name}: key changes:");
    for i in 0..have.len().max(want.len()) {
        let (h, w) = (
            have.get(i).cloned().unwrap_or_default(),
            want.get(i).cloned().unwrap_or_default(),
        );
        eprintln!("  group {}:", i + 1);
        for k in &w {
            let mark = if h.contains(k) { " " } else { "+" };
            eprintln!("    {mark} {k}");
        }
        for k in h.iter().filter(|k| !w.contains(k)) {
            eprintln!("    - {k}");
        }
    }
}

/// The changes as `sops updatekeys` prints them on stdout.
fn print_sops_diff(have: &[Vec<String>], want: &[Vec<String>]) {
    let mut out = String::from("The following changes will be made to the file's groups:\n");
    for i in 0..have.len().max(want.len()) {
        let (h, w) = (
            have.get(i).cloned().unwrap_or_default(),
            want.get(i).cloned().unwrap_or_default(),
        );
        out.push_str(&format!("Group {}\n", i + 1));
        for k in w.iter().filter(|k| h.contains(k)) {
            out.push_str(&format!("    {k}\n"));
        }
        for k in w.iter().filter(|k| !h.contains(k)) {
            out.push_str(&format!("+++ {k}\n"));
        }
        for k in h.iter().filter(|k| !w.contains(k)) {
            out.push_str(&format!("--- {k}\n"));
        }
    }
    let _ = write_stdout(out.as_bytes());
}

fn confirm() -> Result<bool> {
    use std::io::Write;
    eprint!("Apply these changes? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| fail(exit::ERROR_GENERIC, e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
