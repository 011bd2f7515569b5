//! Many files per call: finding them (`-r DIR`), running one job per file
//! on a small pool with a progress bar, reporting each failure by file name
//! and carrying on. Shared by encrypt, decrypt, rotate and updatekeys.

use crate::failure::{fail, Failure, Result};
use hush_core::error::exit;
use std::path::{Component, Path, PathBuf};

/// One file to process.
pub(crate) struct Target {
    /// Where it is.
    pub path: PathBuf,
    /// Where it goes under an output directory: its path below the `-r`
    /// directory, or the path as named when that is relative and plain.
    pub rel: PathBuf,
}

impl Target {
    /// The file's place under `dir`.
    pub fn under(&self, dir: &Path) -> PathBuf {
        dir.join(&self.rel)
    }
}

/// The named files plus every file under `dirs` (honouring .gitignore,
/// skipping `.git` and `.sops.yaml`) that `keep` accepts; sorted, without
/// duplicates. None at all is an error.
pub(crate) fn collect_files(
    files: &[PathBuf],
    dirs: &[PathBuf],
    keep: impl Fn(&Path) -> bool,
) -> Result<Vec<Target>> {
    let mut out: Vec<Target> = files
        .iter()
        .map(|p| Target {
            path: p.clone(),
            rel: plain_relative(p),
        })
        .collect();
    for dir in dirs {
        if !dir.is_dir() {
            return Err(fail(
                exit::NO_FILE_SPECIFIED,
                format!("{}: not a directory", dir.display()),
            ));
        }
        let walk = ignore::WalkBuilder::new(dir)
            .require_git(false)
            .hidden(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walk.flatten() {
            let p = entry.path();
            if !entry.file_type().is_some_and(|t| t.is_file())
                || p.file_name().is_some_and(|n| n == ".sops.yaml")
                || !keep(p)
            {
                continue;
            }
            out.push(Target {
                path: p.to_path_buf(),
                rel: p.strip_prefix(dir).unwrap_or(p).to_path_buf(),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    if out.is_empty() {
        return Err(fail(
            exit::NO_FILE_SPECIFIED,
            "no files given (name files or use -r DIR)",
        ));
    }
    Ok(out)
}

/// A named file's place under an output directory: its relative path, or
/// its file name when it is absolute or climbs with `..`.
fn plain_relative(p: &Path) -> PathBuf {
    let plain = p
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if plain {
        p.components()
            .filter(|c| matches!(c, Component::Normal(_)))
            .collect()
    } else {
        PathBuf::from(p.file_name().unwrap_or(p.as_os_str()))
    }
}

/// Whether a file on disk carries sops metadata for the format its name
/// implies (a binary file must be a JSON envelope).
pub(crate) fn is_encrypted_file(p: &Path) -> bool {
    let format = hush_core::Format::from_path(&p.display().to_string());
    std::fs::read_to_string(p)
        .ok()
        .and_then(|t| hush_core::Ciphertext::is_encrypted(&t, format).ok())
        == Some(true)
}

/// Runs `job` on every file on a pool of worker threads (sharing the one
/// runtime and key ring),
/// with a progress bar on a terminal. Errors are printed per file and the
/// rest carry on; if any failed, the first error's code is returned with a
/// count.
pub(crate) fn for_each_file<F>(files: &[Target], job: F) -> Result<()>
where
    F: Fn(&Target) -> Result<()> + Sync,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    if files.len() < 2 || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let next = AtomicUsize::new(0);
    let first_error: Mutex<Option<u8>> = Mutex::new(None);
    let failed = AtomicUsize::new(0);
    let report = |e: Failure| {
        bar.suspend(|| eprintln!("hush: {}", e.message));
        first_error.lock().unwrap().get_or_insert(e.code);
        failed.fetch_add(1, Ordering::SeqCst);
    };
    std::thread::scope(|s| {
        for _ in 0..workers(files.len()) {
            s.spawn(|| {
                while let Some(file) = files.get(next.fetch_add(1, Ordering::SeqCst)) {
                    if let Err(e) = job(file) {
                        report(e);
                    }
                    bar.inc(1);
                }
            });
        }
    });
    bar.finish_and_clear();
    match first_error.into_inner().unwrap() {
        Some(code) => Err(fail(
            code,
            format!("{} of {} files failed", failed.into_inner(), files.len()),
        )),
        None => Ok(()),
    }
}

/// One worker per core, at least eight (unwraps wait on the network and
/// writes on fsync), never more than files.
pub(crate) fn workers(files: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(8)
        .min(files)
        .max(1)
}
