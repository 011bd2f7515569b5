//! A real client of the `sops` binary, end to end: Ansible's
//! `community.sops` lookup plugin, vars plugin and `sops_encrypt` module,
//! run once with the real sops as `sops` and once with hush installed as
//! `sops` (a symlink named `sops` first on PATH, and `ANSIBLE_SOPS_BINARY`).
//! Ansible's output must be the same bytes, and must hold the secrets.
//! Needs ansible-core and the `ansible` package (it ships community.sops),
//! which ./scripts/test installs.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory whose `sops` is `bin`.
fn sops_dir(bin: &Path) -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix("hush-ansible-bin-")
        .tempdir()
        .unwrap();
    std::os::unix::fs::symlink(bin, d.path().join("sops")).unwrap();
    d
}

struct Project {
    dir: tempfile::TempDir,
    recipient: String,
}

/// An inventory with an encrypted group_vars file and an encrypted lookup
/// file, both written by the real sops.
fn project() -> Project {
    let dir = tempfile::Builder::new()
        .prefix("hush-ansible-")
        .tempdir()
        .unwrap();
    let d = dir.path();
    let recipient = age_keygen(&d.join("keys.txt"));
    std::fs::create_dir_all(d.join("group_vars")).unwrap();
    std::fs::write(d.join("hosts"), "localhost ansible_connection=local\n").unwrap();
    let plain = [
        (
            "group_vars/all.sops.yaml",
            "db_password: from-vars-plugin\ndb_port: 5432\n",
        ),
        (
            "secret.sops.yaml",
            "token: from-lookup\nnested:\n    key: deep\n",
        ),
    ];
    for (name, text) in plain {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        let o = Command::new(sops_bin())
            .args(["encrypt", "-i", "--age", &recipient])
            .arg(&p)
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "sops encrypt: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    std::fs::write(
        d.join("play.yaml"),
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - community.sops.sops_encrypt:\n        path: written.sops.yaml\n        content_yaml:\n          made: by-module\n        age: [\"{{ recipient }}\"]\n    - debug:\n        msg: \"{{ lookup('community.sops.sops', 'written.sops.yaml') | from_yaml }}\"\n",
    )
    .unwrap();
    Project { dir, recipient }
}

fn ansible(p: &Project, sops: &Path, args: &[&str]) -> (i32, String, String) {
    let bin = sops_dir(sops);
    let d = p.dir.path();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new(args[0])
        .args(&args[1..])
        .current_dir(d)
        .env("PATH", path)
        .env("HOME", d)
        .env("ANSIBLE_LOCAL_TEMP", d.join(".ansible-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_PYTHON_INTERPRETER", python())
        .env(
            "ANSIBLE_VARS_ENABLED",
            "host_group_vars,community.sops.sops",
        )
        .env("ANSIBLE_SOPS_BINARY", bin.path().join("sops"))
        .env("SOPS_AGE_KEY_FILE", d.join("keys.txt"))
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .env_remove("SOPS_AGE_KEY")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}); run ./scripts/test, which installs ansible",
                args[0]
            )
        });
    let _ = std::fs::remove_file(d.join("written.sops.yaml"));
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The python3 that runs Ansible, for its modules too.
fn python() -> String {
    let o = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn hush_as(name: &str) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let link = d.path().join(name);
    std::os::unix::fs::symlink(hush_bin(), &link).unwrap();
    (d, link)
}

/// Runs `args` with both tools and returns Ansible's stdout (the same).
fn both(p: &Project, args: &[&str], expect: &[&str]) -> String {
    let (_keep, hush) = hush_as("sops");
    let by_sops = ansible(p, &sops_bin(), args);
    let by_hush = ansible(p, &hush, args);
    assert_eq!(by_sops.0, 0, "with sops: {}\n{}", by_sops.1, by_sops.2);
    assert_eq!(by_hush.0, 0, "with hush: {}\n{}", by_hush.1, by_hush.2);
    for e in expect {
        assert!(by_hush.1.contains(e), "{e} not in:\n{}", by_hush.1);
    }
    assert_eq!(
        by_sops.1, by_hush.1,
        "ansible output differs (left: sops, right: hush)"
    );
    by_hush.1
}

#[test]
fn the_community_sops_lookup_plugin_reads_through_hush_as_sops() {
    let p = project();
    both(
        &p,
        &[
            "ansible",
            "localhost",
            "-i",
            "hosts",
            "-m",
            "debug",
            "-a",
            "msg={{ lookup('community.sops.sops', 'secret.sops.yaml') }}",
        ],
        &["from-lookup", "deep"],
    );
    both(
        &p,
        &[
            "ansible", "localhost", "-i", "hosts", "-m", "debug", "-a",
            "msg={{ lookup('community.sops.sops', 'secret.sops.yaml', extract='[\"nested\"][\"key\"]') }}",
        ],
        &["\"msg\": \"deep\""],
    );
}

#[test]
fn the_community_sops_vars_plugin_loads_group_vars_through_hush_as_sops() {
    let p = project();
    both(
        &p,
        &[
            "ansible",
            "localhost",
            "-i",
            "hosts",
            "-m",
            "debug",
            "-a",
            "msg={{ db_password }}:{{ db_port }}",
        ],
        &["from-vars-plugin:5432"],
    );
}

#[test]
fn the_sops_encrypt_module_writes_through_hush_as_sops() {
    let p = project();
    let r = format!("recipient={}", p.recipient);
    both(
        &p,
        &["ansible-playbook", "-i", "hosts", "-e", &r, "play.yaml"],
        &["by-module"],
    );
}
