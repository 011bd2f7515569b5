//! Which files to check: the repository walked in parallel, honouring
//! `.gitignore`, `.ignore` and git's excludes; or exactly the files named,
//! as pre-commit passes them.

use crate::scan::{absolute_in, Checker};
use ignore::{WalkBuilder, WalkState};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Checks every file under `dirs` and every file in `files`.
pub(crate) fn run(checker: &Checker, dirs: &[PathBuf], files: &[PathBuf], threads: usize) {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get().min(12))
    } else {
        threads
    };
    if !files.is_empty() {
        // Named files are checked even when ignored: the user asked for them.
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..threads.min(files.len()) {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    checker.check_file(f);
                });
            }
        });
    }
    let Some((first, rest)) = dirs.split_first() else {
        return;
    };
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
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => checker.check_file(e.path()),
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
