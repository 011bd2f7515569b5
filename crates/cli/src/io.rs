//! Reading inputs and writing outputs atomically.

use std::io::{Read, Write};
use std::path::Path;

/// Reads a file, or stdin for `None`/`-`, as bytes (a binary file may be
/// any bytes).
pub fn read_input(path: Option<&Path>) -> std::io::Result<Vec<u8>> {
    match path.filter(|p| p.as_os_str() != "-") {
        // Sized up front from the file's length: one allocation, one read.
        Some(p) => std::fs::read(p),
        None => {
            let mut s = Vec::new();
            std::io::stdin().read_to_end(&mut s)?;
            Ok(s)
        }
    }
}

/// Writes `bytes` to `target` atomically: a temp file in the same
/// directory, fsync, then rename. An existing target's mode is kept; a new
/// file gets 0600. On any error the target is untouched.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(target, bytes, None)
}

/// [`write_atomic`], with the mode `mode` when given, whatever the target
/// had (plaintext written on request is 0600).
pub fn write_atomic_mode(target: &Path, bytes: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    // Resolve a symlink first: the temp file must sit beside the real file.
    let target = std::fs::canonicalize(target).unwrap_or_else(|_| target.to_path_buf());
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".hush-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = mode.unwrap_or_else(|| {
            std::fs::metadata(&target)
                .map(|m| m.permissions().mode())
                .unwrap_or(0o600)
        });
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode & 0o7777))?;
    }
    tmp.persist(&target).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes `bytes` to a fresh 0600 file beside `target`, created with
/// `O_CREAT|O_EXCL`, then renames it onto `target`. Unlike
/// [`write_atomic`] it never follows a symlink: `rename(2)` replaces a link
/// at `target` instead of writing through it. If the rename fails (say,
/// `target` is a directory), the fresh file is kept under its own name.
/// Returns where the bytes are.
pub fn write_no_follow(target: &Path, bytes: &[u8]) -> std::io::Result<std::path::PathBuf> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("{name}."))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    let saved = match tmp.persist(target) {
        Ok(_) => target.to_path_buf(),
        Err(e) => e.file.keep().map_err(|e| e.error)?.1,
    };
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(saved)
}

/// Writes to stdout; a closed pipe is not an error.
pub fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// A 0700 directory made at a path chosen beforehand (`watched_dir_path`),
/// removed when dropped: the only place hush writes plaintext on its own.
/// `edit` and `exec-file` name it first, start the kill -9 [`watchdog`]
/// on that name, and only then create it: no instant exists in which the
/// directory is there but unwatched.
pub struct WatchedDir(std::path::PathBuf);

impl WatchedDir {
    /// Creates the directory; it must not exist yet.
    pub fn create(path: &Path) -> std::io::Result<WatchedDir> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().mode(0o700).create(path)?;
        Ok(WatchedDir(path.to_path_buf()))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WatchedDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh, unpredictable name under `$TMPDIR` for a [`WatchedDir`].
pub fn watched_dir_path(prefix: &str) -> std::path::PathBuf {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    std::env::temp_dir().join(format!("{prefix}{:016x}", h.finish()))
}

/// Starts a detached `sh` that removes `dir` once hush is gone, even after
/// `kill -9`, which no handler can catch. It runs in its own process group,
/// so a signal to hush's group does not stop it. Best effort: without `sh`
/// the signal handlers and the drop guard still apply.
pub fn watchdog(dir: &Path) {
    use std::os::unix::process::CommandExt;
    let script = "while kill -0 \"$1\" 2>/dev/null; do sleep 0.2; done; rm -rf -- \"$2\"";
    let _ = std::process::Command::new("sh")
        .args([
            "-c",
            script,
            "hush-watchdog",
            &std::process::id().to_string(),
        ])
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn();
}

/// Creates `path` (which must not exist) with mode 0600 and writes `bytes`.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(bytes)
}
