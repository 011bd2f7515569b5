//! `hush encrypt`: one file (or stdin), or many with -i / --output-dir.

use crate::args::{CipherArg, EncryptArgs};
use crate::batch::{for_each_file, is_encrypted_file};
use crate::failure::{bare, core, Result};
use crate::inout::read_file;
use crate::runtime::runtime;
use hush_core::plan::{Overrides, Plan};
use hush_core::rules::Config;
use hush_core::{Cipher, Ciphertext, Format, Plaintext, Selector};
use std::path::{Path, PathBuf};

pub(crate) fn run(a: EncryptArgs) -> Result<()> {
    let c = &a.common;
    let config = c.config()?;
    let over = overrides(&a)?;
    if c.is_batch() {
        return encrypt_batch(&a, &over, config.as_ref());
    }
    let name = c.name();
    let bytes = c.read()?;
    let rule_path = c
        .filename_override
        .clone()
        .or_else(|| c.file().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("-"));
    let plan = Plan::resolve(config.as_ref(), &rule_path, &over).map_err(bare)?;
    let enc = encrypt_bytes(&plan, bytes, (c.format_in(), c.format_out()), &name)?;
    c.write_encrypted(&enc)
}

/// `encrypt` over several files: each with its own creation rule.
fn encrypt_batch(a: &EncryptArgs, over: &Overrides, config: Option<&Config>) -> Result<()> {
    let c = &a.common;
    let structured = |p: &Path| {
        !matches!(Format::from_path(&p.display().to_string()), Format::Binary)
            && !is_encrypted_file(p)
    };
    let files = c.batch_files(structured)?;
    for_each_file(&files, |t| {
        let name = t.path.display().to_string();
        let bytes = read_file(Some(&t.path), &name)?;
        let plan = Plan::resolve(config, &t.path, over).map_err(bare)?;
        let enc = encrypt_bytes(&plan, bytes, c.formats_of(&t.path), &name)?;
        c.write_batch(t, enc.as_str().as_bytes(), None)
    })
}

/// What the flags say over the creation rule.
fn overrides(a: &EncryptArgs) -> Result<Overrides> {
    Ok(Overrides {
        keys: a.keys.names(),
        selector: selector_flag(a)?,
        mac_only_encrypted: a.mac_only_encrypted,
        cipher: match a.cipher {
            CipherArg::Aes256Gcm => Cipher::Aes256Gcm,
            CipherArg::ChaCha20Poly1305 => Cipher::ChaCha20Poly1305,
        },
        shamir_threshold: a.shamir_threshold,
    })
}

fn selector_flag(a: &EncryptArgs) -> Result<Option<Selector>> {
    let pairs = [
        ("encrypted_regex", &a.encrypted_regex),
        ("unencrypted_regex", &a.unencrypted_regex),
        ("encrypted_suffix", &a.encrypted_suffix),
        ("unencrypted_suffix", &a.unencrypted_suffix),
        ("encrypted_comment_regex", &a.encrypted_comment_regex),
        ("unencrypted_comment_regex", &a.unencrypted_comment_regex),
    ];
    pairs
        .iter()
        .find_map(|(k, v)| v.as_ref().map(|v| Selector::from_key(k, v)))
        .transpose()
        .map_err(bare)
}

/// Encrypts one file's bytes.
fn encrypt_bytes(
    plan: &Plan,
    bytes: Vec<u8>,
    (from, to): (Format, Format),
    name: &str,
) -> Result<Ciphertext> {
    let mut plain = Plaintext::from_bytes(bytes, from).map_err(core(name))?;
    if to != from {
        // Like sops: `--output-type json` on a YAML file writes encrypted JSON.
        plain = hush_core::convert(&plain, to).map_err(core(name))?;
    }
    warn_ambiguous(name, &plain, &plan.options.selector);
    runtime()?
        .block_on(hush_core::encrypt(&plain, &plan.groups, &plan.options))
        .map_err(core(name))
}

/// Warns about values whose key path contains `:`: their AAD is ambiguous
/// (SECURITY.md). A parse error is left to the encryption to report.
fn warn_ambiguous(name: &str, plain: &Plaintext, selector: &Selector) {
    for aad in hush_core::ambiguous_paths(plain, selector).unwrap_or_default() {
        eprintln!(
            "hush: {name}: warning: a key on the path `{aad}` contains `:`, so its sops AAD is ambiguous; \
             rename the key so that GCM binds the value to one path"
        );
    }
}
