//! Which files to check: the repository walked in parallel, honouring
//! `.gitignore`, `.ignore` and git's excludes; or exactly the files named,
//! as pre-commit passes them. Inside a git work tree, every file in git's
//! index is checked too, even when a `.gitignore` written after it was
//! committed lists it: Flux and Argo deploy what is tracked.

use crate::scan::{absolute_in, Checker};
use ignore::{WalkBuilder, WalkState};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Checks every file under `dirs` and every file in `files`.
pub(crate) fn run(checker: &Checker, dirs: &[PathBuf], files: &[PathBuf], threads: usize) {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get().min(12))
    } else {
        threads
    };
    // Named files are checked even when ignored: the user asked for them.
    check_list(checker, files, threads, true);
    let Some((first, rest)) = dirs.split_first() else {
        return;
    };
    walk(checker, first, rest, threads);
    let seen: HashSet<PathBuf> = match checker.out.lock() {
        Ok(out) => out.seen.keys().cloned().collect(),
        Err(_) => return,
    };
    let missed: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| tracked(d))
        .filter(|f| !seen.contains(&absolute_in(&checker.cwd, f)))
        .filter(|f| std::fs::symlink_metadata(f).is_ok_and(|m| m.is_file()))
        .collect();
    check_list(checker, &missed, threads, false);
}

/// Checks `files` on up to `threads` threads; `named`: the user named them.
fn check_list(checker: &Checker, files: &[PathBuf], threads: usize, named: bool) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads.min(files.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                checker.check_file(f, named);
            });
        }
    });
}

/// The files git tracks under `dir` (its index), or none outside a work
/// tree or without git.
fn tracked(dir: &Path) -> Vec<PathBuf> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["ls-files", "-z", "--cached"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => o
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .filter_map(os_path)
            .map(|p| dir.join(p))
            .collect(),
        _ => Vec::new(),
    }
}

/// Walks `first` and `rest` in parallel, honouring ignore files.
fn walk(checker: &Checker, first: &Path, rest: &[PathBuf], threads: usize) {
    let mut b = WalkBuilder::new(first);
    for d in rest {
        b.add(d);
    }
    let has_excludes = checker.config.exclude.is_some();
    let config = checker.config.clone();
    let cwd = checker.cwd.clone();
    b.hidden(false)
        .parents(true)
        .ignore(true)
        .git_ignore(true)
        .git_global(true)
        .git_exclude(true)
        .require_git(false)
        .follow_links(false)
        .threads(threads)
        .filter_entry(move |e| {
            if e.file_name() == ".git" {
                return false;
            }
            !(has_excludes && config.excluded(&absolute_in(&cwd, e.path())))
        });
    b.build_parallel().run(|| {
        Box::new(|res| {
            match res {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                    checker.check_file(e.path(), false)
                }
                Ok(_) => {}
                Err(err) => {
                    let path = match &err {
                        ignore::Error::WithPath { path, .. } => path.clone(),
                        _ => PathBuf::from("."),
                    };
                    checker.error(&path, err.to_string());
                }
            }
            WalkState::Continue
        })
    });
}

#[cfg(unix)]
fn os_path(p: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(p)))
}

#[cfg(not(unix))]
fn os_path(p: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(p).ok().map(PathBuf::from)
}
