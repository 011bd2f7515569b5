//! Git integration and file status: `hush diff` (a `textconv` driver that
//! shows decrypted values to key holders) and `hush filestatus`.

use crate::args::{DiffArgs, FilestatusArgs};
use crate::failure::{fail, Failure};
use crate::io::write_stdout;
use crate::runtime::runtime;
use hush_core::error::exit;
use hush_core::keys::ring::KeyRing;
use hush_core::metadata::Metadata;
use hush_core::{Ciphertext, DecryptOptions, Error, Format};
use zeroize::Zeroizing;

/// Prints `{"encrypted":true}` when the file has sops metadata with a
/// version and a MAC, `{"encrypted":false}` when it has none, as sops does.
pub(crate) fn filestatus(a: FilestatusArgs) -> Result<(), Failure> {
    let name = a.file.display().to_string();
    let format = a
        .input_type
        .map(Format::from)
        .unwrap_or_else(|| Format::from_path(&name));
    let cannot = |e: String| {
        fail(
            exit::ERROR_GENERIC,
            format!("cannot check file status: {e}"),
        )
    };
    let text = std::fs::read_to_string(&a.file).map_err(|e| cannot(format!("{name}: {e}")))?;
    let encrypted = match hush_core::metadata(&Ciphertext::new(text, format)) {
        Ok(m) => !m.version.is_empty() && !m.mac.is_empty(),
        Err(Error::NotEncrypted) => false,
        Err(e) => return Err(cannot(format!("{name}: {e}"))),
    };
    println!("{{\"encrypted\":{encrypted}}}");
    Ok(())
}

/// Prints the file decrypted when a key is at hand; otherwise the file as
/// it is, under a comment naming the keys that can decrypt it. Never fails,
/// so a missing key never breaks `git diff`.
pub(crate) fn diff(a: DiffArgs, ring: &KeyRing) -> Result<(), Failure> {
    let name = a.file.display().to_string();
    let text = match std::fs::read_to_string(&a.file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("hush: {name}: {e}");
            println!("# hush: cannot read {name}: {e}");
            return Ok(());
        }
    };
    let shown = textconv(ring, text, Format::from_path(&name));
    if let Err(e) = write_stdout(shown.as_bytes()) {
        eprintln!("hush: stdout: {e}");
    }
    Ok(())
}

/// The text to show for an encrypted (or plain) file; zeroed when dropped.
fn textconv(ring: &KeyRing, text: String, format: Format) -> Zeroizing<String> {
    let meta = match hush_core::metadata(&Ciphertext::new(text.clone(), format)) {
        Ok(m) => m,
        // Not a sops file (or not parsable): show it as it is.
        Err(_) => return Zeroizing::new(text),
    };
    // Without a runtime nothing can be decrypted: show the file as it is.
    let Ok(rt) = runtime() else {
        return Zeroizing::new(text);
    };
    let enc = Ciphertext::new(text.clone(), format);
    match rt.block_on(ring.decrypt(&enc, &DecryptOptions::default())) {
        Ok(plain) => Zeroizing::new(String::from_utf8_lossy(plain.expose_bytes()).into_owned()),
        Err(e) => Zeroizing::new(format!("{}{text}", header(&meta, &e))),
    }
}

/// A comment block: why the values stay encrypted, and for which keys.
fn header(meta: &Metadata, e: &Error) -> String {
    let reason = e.to_string();
    let reason = reason.lines().next().unwrap_or("");
    let mut h = format!("# hush: values left encrypted ({reason})\n# hush: encrypted for:\n");
    let many = meta.groups.len() > 1;
    for (i, group) in meta.groups.iter().enumerate() {
        if many {
            h.push_str(&format!("#   key group {}:\n", i + 1));
        }
        for key in &group.keys {
            let indent = if many { "#     " } else { "#   " };
            h.push_str(&format!("{indent}{}\n", key.describe()));
        }
    }
    h
}
