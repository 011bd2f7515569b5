//! `hush rotate`: a new data key for one or many files, every value
//! re-encrypted; master keys added or removed on the way.

use crate::args::RotateArgs;
use crate::batch::{collect_files, for_each_file, is_encrypted_file};
use crate::change::{read_open, write_back};
use crate::failure::{bare, core, fail, Result};
use crate::io::{write_atomic, write_stdout};
use crate::runtime::runtime;
use hush_core::error::exit;
use hush_core::keys::kms::KmsKey;
use hush_core::keys::ring::KeyRing;
use hush_core::plan::{age_recipients, pgp_keys};
use std::path::Path;
use std::sync::Arc;

pub(crate) fn rotate(a: RotateArgs, ring: &KeyRing) -> Result<()> {
    let files = collect_files(&a.files, &a.dirs, is_encrypted_file)?;
    if files.len() != 1 && !a.in_place {
        return Err(fail(
            exit::ERROR_CONFLICTING_PARAMETERS,
            "rotating several files needs -i",
        ));
    }
    for_each_file(&files, |t| rotate_one(ring, &a, &t.path))
}

fn rotate_one(ring: &KeyRing, a: &RotateArgs, file: &Path) -> Result<()> {
    let name = file.display().to_string();
    let o = read_open(ring, file, a.ignore_mac)?;
    let mut groups = o.master_keys().map_err(core(&name))?;
    let removed: Vec<&String> = a.rm_age.iter().chain(&a.rm_kms).collect();
    let rm_pgp: Vec<String> = a.rm_pgp.iter().map(|f| fp_key(f)).collect();
    for g in &mut groups {
        g.retain(|k| {
            !removed.iter().any(|r| r.trim() == k.describe())
                && !rm_pgp.contains(&fp_key(&k.describe()))
        });
    }
    let mut added = age_recipients(&a.add_age).map_err(bare)?;
    for k in a.add_kms.iter().filter(|k| !k.trim().is_empty()) {
        let key: KmsKey = k.parse().map_err(core(&name))?;
        added.push(Arc::new(key));
    }
    added.extend(pgp_keys(&a.add_pgp).map_err(bare)?);
    groups[0].extend(added);
    if groups.iter().any(Vec::is_empty) {
        return Err(fail(
            exit::ERROR_GENERIC,
            format!("{name}: removing those keys would leave a key group empty"),
        ));
    }
    let threshold = o.metadata().shamir_threshold;
    let enc = match a.output_type.map(hush_core::Format::from) {
        Some(to) if to != o.plaintext().format => {
            let plain = hush_core::convert(o.plaintext(), to).map_err(core(&name))?;
            runtime()?.block_on(o.seal_fresh(&plain, &groups, threshold))
        }
        _ => runtime()?.block_on(o.rotate(&groups, threshold)),
    }
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

/// A fingerprint as compared for `--rm-pgp`: spaces removed, any case.
fn fp_key(fp: &str) -> String {
    fp.replace(' ', "").to_ascii_uppercase()
}
