//! Where a single-file or batch command reads its input and writes its
//! result: the file, stdin, `--output`, in place, or `--output-dir`.

use crate::args::Common;
use crate::batch::{collect_files, Target};
use crate::failure::{fail, Result};
use crate::io::{read_input, write_atomic, write_atomic_mode, write_stdout};
use hush_core::error::exit;
use hush_core::rules::Config;
use hush_core::{Ciphertext, Format, Plaintext};
use std::path::{Path, PathBuf};

impl Common {
    pub(crate) fn file(&self) -> Option<&Path> {
        self.files.first().map(PathBuf::as_path)
    }

    /// Several files (or a directory, or an output directory): the batch path.
    pub(crate) fn is_batch(&self) -> bool {
        self.files.len() > 1 || !self.dirs.is_empty() || self.output_dir.is_some()
    }

    /// Checks the flags of a batch and finds its files.
    pub(crate) fn batch_files(&self, keep: impl Fn(&Path) -> bool) -> Result<Vec<Target>> {
        if !self.in_place && self.output_dir.is_none() {
            return Err(fail(
                exit::ERROR_CONFLICTING_PARAMETERS,
                "several files need -i (in place) or --output-dir DIR; results are never mixed on stdout",
            ));
        }
        if self.output.is_some() || self.filename_override.is_some() {
            return Err(fail(
                exit::ERROR_CONFLICTING_PARAMETERS,
                "--output and --filename-override take one file; use --output-dir for several",
            ));
        }
        if self.files.iter().any(|f| f.as_os_str() == "-") {
            return Err(fail(
                exit::ERROR_CONFLICTING_PARAMETERS,
                "stdin (`-`) cannot be one of several files",
            ));
        }
        collect_files(&self.files, &self.dirs, keep)
    }

    /// The formats of one file of a batch.
    pub(crate) fn formats_of(&self, file: &Path) -> (Format, Format) {
        let input = self
            .input_type
            .map(Format::from)
            .unwrap_or_else(|| Format::from_path(&file.display().to_string()));
        (input, self.output_type.map(Format::from).unwrap_or(input))
    }

    /// Writes one result of a batch: in place, or under the output directory.
    pub(crate) fn write_batch(&self, t: &Target, bytes: &[u8], mode: Option<u32>) -> Result<()> {
        let target = match &self.output_dir {
            Some(dir) => t.under(dir),
            None => t.path.clone(),
        };
        let r = match target.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(parent) if self.output_dir.is_some() => std::fs::create_dir_all(parent),
            _ => Ok(()),
        };
        r.and_then(|()| write_atomic_mode(&target, bytes, mode))
            .map_err(|e| {
                fail(
                    exit::COULD_NOT_WRITE_OUTPUT_FILE,
                    format!("{}: {e}", target.display()),
                )
            })
    }

    pub(crate) fn name(&self) -> String {
        match (self.filename_override.as_deref(), self.file()) {
            (Some(p), _) | (None, Some(p)) => p.display().to_string(),
            _ => "<stdin>".into(),
        }
    }

    pub(crate) fn format_in(&self) -> Format {
        self.input_type
            .map(Format::from)
            .unwrap_or_else(|| Format::from_path(&self.name()))
    }

    pub(crate) fn format_out(&self) -> Format {
        self.output_type
            .map(Format::from)
            .unwrap_or_else(|| self.format_in())
    }

    pub(crate) fn read(&self) -> Result<Vec<u8>> {
        read_file(self.file(), &self.name())
    }

    /// Writes an encrypted file to the output.
    pub(crate) fn write_encrypted(&self, enc: &Ciphertext) -> Result<()> {
        self.write_bytes(enc.as_str().as_bytes())
    }

    /// Writes plaintext to the output: stdout unless the user named a file.
    pub(crate) fn write_plaintext(&self, plain: &Plaintext) -> Result<()> {
        self.write_bytes(plain.expose_bytes())
    }

    pub(crate) fn write_bytes(&self, bytes: &[u8]) -> Result<()> {
        let target = if self.in_place {
            Some(
                self.file()
                    .ok_or_else(|| fail(exit::NO_FILE_SPECIFIED, "--in-place needs a file"))?,
            )
        } else {
            self.output.as_deref()
        };
        let r = match target {
            Some(t) => write_atomic(t, bytes).map_err(|e| (t.display().to_string(), e)),
            None => write_stdout(bytes).map_err(|e| ("stdout".to_string(), e)),
        };
        r.map_err(|(t, e)| fail(exit::COULD_NOT_WRITE_OUTPUT_FILE, format!("{t}: {e}")))
    }

    pub(crate) fn config(&self) -> Result<Option<Config>> {
        crate::keys::load_config(self.config.as_deref())
    }
}

/// Reads one input file (stdin for `None`/`-`) as bytes.
pub(crate) fn read_file(file: Option<&Path>, name: &str) -> Result<Vec<u8>> {
    if let Some(p) = file.filter(|p| p.as_os_str() != "-" && !p.exists()) {
        return Err(fail(
            exit::NO_FILE_SPECIFIED,
            format!("{}: cannot operate on non-existent file", p.display()),
        ));
    }
    read_input(file).map_err(|e| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {e}")))
}

/// Encrypted text must be UTF-8 (every store, binary included, writes text).
pub(crate) fn utf8(bytes: Vec<u8>, name: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| {
        fail(
            exit::ERROR_GENERIC,
            format!("{name}: not an encrypted file (it is not UTF-8 text)"),
        )
    })
}
