//! `sops groups add|delete`: add a key group or delete one, keeping the
//! data key (values, `lastmodified` and `mac` stay), as sops does.

use super::args::Global;
use crate::failure::{bare, core, core_read, fail, Failure};
use crate::io::{write_atomic, write_stdout};
use crate::runtime::runtime;
use hush_core::editing::update::Opened;
use hush_core::error::exit;
use hush_core::keys::ring::KeyRing;
use hush_core::plan::KeyNames;
use hush_core::{Ciphertext, DecryptOptions, Format, KeyGroups};
use std::path::Path;

type Result<T> = std::result::Result<T, Failure>;

/// Adds one group made of the key flags.
pub fn add(g: &Global, file: &Path) -> Result<()> {
    let names = KeyNames {
        age: split(&g.age),
        pgp: split(&g.pgp),
        kms: split(&g.kms),
        aws_profile: g.aws_profile.clone(),
        encryption_context: g.encryption_context.clone(),
    };
    let group = names.group().map_err(bare)?.unwrap_or_default();
    change(g, file, |groups| {
        groups.push(group);
        Ok(())
    })
}

/// Deletes the group at `index` (0-based).
pub fn delete(g: &Global, file: &Path, index: usize) -> Result<()> {
    change(g, file, |groups| {
        if index >= groups.len() {
            return Err(fail(
                exit::ERROR_GENERIC,
                format!("Error: no key group at index {index}"),
            ));
        }
        groups.remove(index);
        Ok(())
    })
}

/// The threshold after the change: the flag, else the file's, else all
/// groups; sops refuses one that the remaining groups cannot satisfy.
fn threshold(g: &Global, stored: Option<u32>, before: usize, after: usize) -> Result<u32> {
    let t = g
        .shamir_secret_sharing_threshold
        .filter(|t| *t > 0)
        .or(stored)
        .unwrap_or(if after < before { before } else { after } as u32);
    if t as usize > after {
        return Err(fail(
            exit::ERROR_GENERIC,
            format!("removing this key group will make the Shamir threshold impossible to satisfy: Shamir threshold is {t}, but we only have {after} key groups"),
        ));
    }
    Ok(t)
}

fn split(v: &Option<String>) -> Vec<String> {
    v.iter()
        .flat_map(|s| s.split(','))
        .map(str::to_string)
        .collect()
}

fn change(g: &Global, file: &Path, edit: impl FnOnce(&mut KeyGroups) -> Result<()>) -> Result<()> {
    let name = file.display().to_string();
    let rt = runtime()?;
    let o = open_file(rt, file, &name)?;
    let mut groups = o.master_keys().map_err(core(&name))?;
    let before = groups.len();
    edit(&mut groups)?;
    if groups.is_empty() {
        return Err(fail(
            exit::ERROR_GENERIC,
            "Error: a file needs at least one key group",
        ));
    }
    let t = threshold(g, o.metadata().shamir_threshold, before, groups.len())?;
    let enc = rt
        .block_on(o.update_keys(&groups, Some(t)))
        .map_err(core(&name))?;
    if g.in_place {
        write_atomic(file, enc.as_str().as_bytes())
            .map_err(|e| fail(exit::COULD_NOT_WRITE_OUTPUT_FILE, format!("{name}: {e}")))
    } else {
        write_stdout(enc.as_str().as_bytes())
            .map_err(|e| fail(exit::COULD_NOT_WRITE_OUTPUT_FILE, e.to_string()))
    }
}

fn open_file(rt: &tokio::runtime::Runtime, file: &Path, name: &str) -> Result<Opened> {
    if !file.exists() {
        return Err(fail(
            exit::NO_FILE_SPECIFIED,
            format!("Error: cannot operate on non-existent file \"{name}\""),
        ));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {e}")))?;
    let enc = Ciphertext::new(text, Format::from_path(name));
    rt.block_on(KeyRing::default().open(&enc, &DecryptOptions::default()))
        .map_err(core_read(name))
}
