//! `hush keygen`: make an age X25519 identity and append it to a key file
//! in the format `age-keygen` writes.

use crate::args::KeygenArgs;
use crate::failure::{fail, Failure};
use age::secrecy::ExposeSecret;
use hush_core::error::exit;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use zeroize::Zeroizing;

/// Generates an identity, appends it to the key file (mode 0600, parent
/// directories 0700), prints the recipient on stdout and the file on stderr.
pub(crate) fn keygen(a: KeygenArgs) -> Result<(), Failure> {
    // The file decryption reads: SOPS_AGE_KEY_FILE first, as sops does.
    let named = std::env::var_os("SOPS_AGE_KEY_FILE").filter(|v| !v.is_empty());
    let path = match a.output.or(named.map(Into::into)) {
        Some(p) => p,
        None => hush_core::keys::age::default_key_file().ok_or_else(|| {
            fail(
                exit::ERROR_GENERIC,
                "no default key file: neither XDG_CONFIG_HOME nor HOME is set; use -o",
            )
        })?,
    };
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let entry = Zeroizing::new(format!(
        "# created: {}\n# public key: {recipient}\n{}\n",
        hush_core::time::now_rfc3339(),
        identity.to_string().expose_secret()
    ));
    append(&path, &entry).map_err(|e| {
        fail(
            exit::COULD_NOT_WRITE_OUTPUT_FILE,
            format!("{}: {e}", path.display()),
        )
    })?;
    eprintln!("hush: appended an age identity to {}", path.display());
    println!("{recipient}");
    Ok(())
}

/// Appends `entry` to `path`, creating it 0600 (and its parents 0700); an
/// existing file is never truncated, and gets a newline first if it lacks one.
fn append(path: &Path, entry: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    let mode = f.metadata()?.permissions().mode();
    if mode & 0o077 != 0 {
        eprintln!(
            "hush: warning: {} is readable by others (mode {:o}); consider chmod 600",
            path.display(),
            mode & 0o777
        );
    }
    if !ends_with_newline(&mut f)? {
        f.write_all(b"\n")?;
    }
    f.write_all(entry.as_bytes())?;
    f.sync_all()
}

/// Whether the file is empty or its last byte is a newline.
fn ends_with_newline(f: &mut std::fs::File) -> std::io::Result<bool> {
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    let mut last = [0u8];
    f.seek(SeekFrom::Start(len - 1))?;
    f.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}
