//! `hush completions SHELL`, `hush man`, and `sops completion SHELL` for hush
//! installed as `sops`: generated from the parsers, so they name every
//! command and flag; the bash scripts must be valid bash.

mod common;

use common::*;
use std::process::Command;

fn hush(args: &[&str]) -> String {
    let o = Command::new(hush_bin()).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "hush {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn bash_accepts(script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.bash");
    std::fs::write(&p, script).unwrap();
    let o = Command::new("bash").arg("-n").arg(&p).output().unwrap();
    assert!(
        o.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn completions_name_every_command_and_are_valid_bash() {
    let bash = hush(&["completions", "bash"]);
    bash_accepts(&bash);
    for word in [
        "encrypt",
        "decrypt",
        "updatekeys",
        "exec-env",
        "--decryption-order",
    ] {
        assert!(
            bash.contains(word),
            "{word} missing from the bash completions"
        );
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        assert!(hush(&["completions", shell]).contains("encrypt"), "{shell}");
    }
}

#[test]
fn sops_completions_cover_the_sops_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("sops");
    std::os::unix::fs::symlink(hush_bin(), &link).unwrap();
    let o = Command::new(&link)
        .args(["completion", "bash"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bash = String::from_utf8(o.stdout).unwrap();
    bash_accepts(&bash);
    for word in [
        "filestatus",
        "--value-file",
        "--shamir-secret-sharing-threshold",
        "--add-age",
    ] {
        assert!(
            bash.contains(word),
            "{word} missing from the sops completions"
        );
    }
}

#[test]
fn the_man_page_is_roff_for_every_command() {
    let man = hush(&["man"]);
    assert!(man.contains(".TH hush 1"), "{}", &man[..man.len().min(200)]);
    for word in ["encrypt", "rotate", "completions"] {
        assert!(man.contains(word), "{word} missing from the man page");
    }
}
