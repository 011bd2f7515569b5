//! `hush merge` (a git merge driver for encrypted files) and `hush
//! init-git` (sets up the merge and diff drivers in a clone).
//!
//! git runs `hush merge %O %A %B %P`: the ancestor, ours (where the result
//! goes), theirs, and the file's path. A clean merge writes the merged file,
//! still encrypted, to `%A` and exits 0. A conflict, a missing key or any
//! error exits non-zero and leaves `%A` as ours: git then reports a
//! conflict on an encrypted file, and no plaintext reaches the work tree.

use crate::args::{InitGitArgs, MergeArgs};
use crate::failure::{fail, Result};
use crate::io::write_atomic;
use crate::runtime::runtime;
use hush_core::editing::merge::Outcome;
use hush_core::error::exit;
use hush_core::keys::ring::KeyRing;
use hush_core::{Ciphertext, DecryptOptions, Format};
use std::path::Path;
use std::process::Command;

pub(crate) fn merge(a: MergeArgs, ring: &KeyRing) -> Result<()> {
    let name = a
        .path
        .clone()
        .unwrap_or_else(|| a.ours.display().to_string());
    let format = a
        .input_type
        .map(Format::from)
        .unwrap_or_else(|| Format::from_path(&name));
    let left = format!("{name} is left as ours, still encrypted; resolve it with `hush edit`");
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| {
            fail(
                exit::COULD_NOT_READ_INPUT_FILE,
                format!("{name}: cannot merge: {}: {e}; {left}", p.display()),
            )
        })
    };
    let base = read(&a.base)?;
    let base = (!base.trim().is_empty()).then(|| Ciphertext::new(base, format));
    let ours = Ciphertext::new(read(&a.ours)?, format);
    let theirs = Ciphertext::new(read(&a.theirs)?, format);
    let unwrappers = ring.unwrappers();
    let opts = DecryptOptions {
        ignore_mac: false,
        decryption_order: a.order.decryption_order.clone(),
    };
    let outcome = runtime()?
        .block_on(hush_core::editing::merge::merge(
            base.as_ref(),
            &ours,
            &theirs,
            &unwrappers,
            &opts,
        ))
        .map_err(|e| fail(e.exit_code(), format!("{name}: cannot merge: {e}; {left}")))?;
    match outcome {
        Outcome::Conflicts(paths) => Err(fail(
            exit::ERROR_GENERIC,
            format!(
                "{name}: conflict: both sides changed {}; {left}",
                paths.join(", ")
            ),
        )),
        Outcome::Merged { file, rotated } => {
            write_atomic(&a.ours, file.as_str().as_bytes()).map_err(|e| {
                fail(
                    exit::COULD_NOT_WRITE_OUTPUT_FILE,
                    format!("{}: {e}", a.ours.display()),
                )
            })?;
            if rotated {
                eprintln!("hush: {name}: merged; a side had rotated the data key, so the merged file has a new one (every value re-encrypted) that no earlier key can read");
            }
            Ok(())
        }
    }
}

/// Sets the `hush` merge and diff drivers in the clone's `.git/config` and
/// adds `PATTERN diff=hush merge=hush` lines to `.gitattributes`.
pub(crate) fn init_git(a: InitGitArgs) -> Result<()> {
    let hush = &a.command;
    let settings = [
        (
            "merge.hush.name",
            "hush: three-way merge of encrypted values".to_string(),
        ),
        ("merge.hush.driver", format!("{hush} merge %O %A %B %P")),
        ("diff.hush.textconv", format!("{hush} diff")),
    ];
    for (key, value) in &settings {
        git(&["config", key, value])?;
    }
    let top = git(&["rev-parse", "--show-toplevel"])?;
    let attributes = Path::new(top.trim()).join(".gitattributes");
    let mut text = std::fs::read_to_string(&attributes).unwrap_or_default();
    let before = text.len();
    for p in &a.patterns {
        let line = format!("{p} diff=hush merge=hush");
        if !text.lines().any(|l| l.trim() == line) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&line);
            text.push('\n');
        }
    }
    if text.len() != before {
        write_atomic(&attributes, text.as_bytes()).map_err(|e| {
            fail(
                exit::COULD_NOT_WRITE_OUTPUT_FILE,
                format!("{}: {e}", attributes.display()),
            )
        })?;
    }
    eprintln!(
        "hush: git merge and diff drivers set in .git/config; {} lists the encrypted files (commit it)",
        attributes.display()
    );
    Ok(())
}

/// Runs git, returning its stdout.
fn git(args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| fail(exit::ERROR_GENERIC, format!("cannot run git: {e}")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(fail(
            exit::ERROR_GENERIC,
            format!(
                "git {}: {}",
                args[0],
                err.lines().next().unwrap_or("failed")
            ),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
