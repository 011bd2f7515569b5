//! `hush decrypt`: one file (or stdin), or many with -i / --output-dir.

use crate::args::DecryptArgs;
use crate::batch::{for_each_file, is_encrypted_file};
use crate::failure::{core, core_read, fail, Result};
use crate::inout::{read_file, utf8};
use crate::runtime::runtime;
use hush_core::error::exit;
use hush_core::keys::ring::KeyRing;
use hush_core::{Ciphertext, DecryptOptions, Format, Plaintext};

pub(crate) fn run(a: DecryptArgs, ring: &KeyRing) -> Result<()> {
    let c = &a.common;
    // Identity files named with --identity are read up front: one that
    // fails, fails first. sops's own sources load when an age key needs them.
    if !a.identity.is_empty() {
        ring.identities().map_err(core("age"))?;
    }
    if c.is_batch() {
        return decrypt_batch(&a, ring);
    }
    let name = c.name();
    let text = utf8(c.read()?, &name)?;
    let enc = Ciphertext::new(text, c.format_in());
    let out = decrypt_text(ring, false, &a, &enc, c.format_out(), &name)?;
    c.write_plaintext(&out)
}

fn options(a: &DecryptArgs) -> DecryptOptions {
    DecryptOptions {
        ignore_mac: a.ignore_mac,
        decryption_order: a.order.decryption_order.clone(),
    }
}

/// Decrypts one file's text, then applies `--extract` or `--output-type`.
fn decrypt_text(
    ring: &KeyRing,
    batch: bool,
    a: &DecryptArgs,
    enc: &Ciphertext,
    to: Format,
    name: &str,
) -> Result<Plaintext> {
    let opts = options(a);
    let rt = runtime()?;
    let plain = if batch {
        rt.block_on(ring.decrypt_cached(enc, &opts))
    } else {
        rt.block_on(ring.decrypt(enc, &opts))
    }
    .map_err(core_read(name))?;
    let out = match &a.extract {
        Some(path) => {
            let steps = hush_core::path::parse(path).map_err(core(name))?;
            let v = hush_core::path::extract(&plain, &steps, to).map_err(core(name))?;
            Plaintext::new(v, to)
        }
        None => hush_core::convert(&plain, to).map_err(core(name))?,
    };
    match a.indent {
        Some(n) if to == Format::Json => Ok(Plaintext::new(
            crate::sops::reindent_json(out.expose(), n),
            to,
        )),
        _ => Ok(out),
    }
}

/// `decrypt` over several files: one unwrap per distinct data key.
fn decrypt_batch(a: &DecryptArgs, ring: &KeyRing) -> Result<()> {
    let c = &a.common;
    if a.extract.is_some() {
        return Err(fail(
            exit::ERROR_CONFLICTING_PARAMETERS,
            "--extract takes one file",
        ));
    }
    let files = c.batch_files(is_encrypted_file)?;
    // Plaintext written beside other files is the user's own: 0600 unless in place.
    let mode = c.output_dir.as_ref().map(|_| 0o600);
    for_each_file(&files, |t| {
        let name = t.path.display().to_string();
        let text = utf8(read_file(Some(&t.path), &name)?, &name)?;
        let (from, to) = c.formats_of(&t.path);
        let enc = Ciphertext::new(text, from);
        let out = decrypt_text(ring, true, a, &enc, to, &name)?;
        c.write_batch(t, out.expose_bytes(), mode)
    })
}
