//! Opening an encrypted file for a change (set, unset, rotate, updatekeys)
//! and writing it back only when its bytes changed.

use crate::failure::{core_read, fail, Result};
use crate::io::write_atomic;
use crate::runtime::runtime;
use hush_core::editing::update::Opened;
use hush_core::error::exit;
use hush_core::keys::ring::KeyRing;
use hush_core::{Ciphertext, DecryptOptions, Format};
use std::path::Path;

/// Reads and decrypts `file` with the ring's keys; `ignore_mac` skips
/// the MAC check (sops's --ignore-mac).
pub(crate) fn read_open(ring: &KeyRing, file: &Path, ignore_mac: bool) -> Result<Opened> {
    let name = file.display().to_string();
    if !file.exists() {
        return Err(fail(
            exit::NO_FILE_SPECIFIED,
            format!("{name}: cannot operate on non-existent file"),
        ));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {e}")))?;
    let enc = Ciphertext::new(text, Format::from_path(&name));
    runtime()?
        .block_on(ring.open(
            &enc,
            &DecryptOptions {
                ignore_mac,
                ..DecryptOptions::default()
            },
        ))
        .map_err(core_read(&name))
}

/// Writes `enc` over `file` unless it is byte-identical to what was read.
pub(crate) fn write_back(file: &Path, o: &Opened, enc: &Ciphertext) -> Result<()> {
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
