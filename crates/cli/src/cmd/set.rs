//! `hush set` and `hush unset`: change one value by path, leaving every
//! other byte of the file as it is.

use crate::args::{SetArgs, UnsetArgs};
use crate::change::{read_open, write_back};
use crate::failure::{core, fail, Result};
use hush_core::error::exit;
use hush_core::keys::ring::KeyRing;
use std::io::Read;

pub(crate) fn set(a: SetArgs, ring: &KeyRing) -> Result<()> {
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
    let o = read_open(ring, &a.file, a.ignore_mac)?;
    let steps = hush_core::path::parse(&a.path).map_err(core(&name))?;
    let edited = hush_core::editing::patch::set(o.plaintext(), a.document, &steps, &json)
        .map_err(core(&name))?;
    let enc = o.reseal(&edited).map_err(core(&name))?;
    write_back(&a.file, &o, &enc)
}

pub(crate) fn unset(a: UnsetArgs, ring: &KeyRing) -> Result<()> {
    let name = a.file.display().to_string();
    let o = read_open(ring, &a.file, a.ignore_mac)?;
    let steps = hush_core::path::parse(&a.path).map_err(core(&name))?;
    let edited = match hush_core::editing::patch::unset(o.plaintext(), a.document, &steps) {
        Err(hush_core::Error::TreePath(_)) if a.idempotent => return Ok(()),
        r => r.map_err(core(&name))?,
    };
    let enc = o.reseal(&edited).map_err(core(&name))?;
    write_back(&a.file, &o, &enc)
}
