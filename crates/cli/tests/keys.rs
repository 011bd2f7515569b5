//! Key sources against the real peers: SSH recipients, SOPS_AGE_KEY_CMD, and
//! what happens to output files when decryption fails.

mod common;

use common::*;
use std::process::Command;

const INPUT: &str = "user: admin\npassword: s3cr3t-value\n";

fn ssh_keygen(ctx: &Ctx, name: &str, kind: &[&str]) -> String {
    let path = ctx.path(name);
    let st = Command::new("ssh-keygen")
        .args(["-q", "-N", "", "-C", "hush-test", "-f"])
        .arg(&path)
        .args(kind)
        .status()
        .expect("ssh-keygen (openssh-client) must be installed; run ./scripts/test");
    assert!(st.success());
    std::fs::read_to_string(path.with_extension("pub"))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn ssh_recipients_interoperate_with_sops_in_both_directions() {
    let ctx = Ctx::new();
    ctx.write("in.yaml", INPUT);
    for (name, kind) in [
        ("id_ed25519", vec!["-t", "ed25519"]),
        ("id_rsa", vec!["-t", "rsa", "-b", "2048"]),
    ] {
        let public = ssh_keygen(&ctx, name, &kind);
        let key = ctx.path(name);
        let key = key.to_str().unwrap();
        let env = [("SOPS_AGE_SSH_PRIVATE_KEY_FILE", key)];

        let h = expect_ok(
            "hush encrypt ssh",
            &ctx.hush(&["encrypt", "--age", &public, "in.yaml"]),
        );
        ctx.write("h.enc.yaml", &h);
        let by_sops = expect_ok(
            "sops -d",
            &ctx.run_with(&sops_bin(), ["-d", "h.enc.yaml"], None, &env, None),
        );
        assert_same_yaml(
            &format!("{name}: sops -d of hush file"),
            &yaml(&by_sops),
            &yaml(INPUT),
        );

        let s = expect_ok(
            "sops -e ssh",
            &ctx.sops(&["-e", "--age", &public, "in.yaml"]),
        );
        ctx.write("s.enc.yaml", &s);
        let by_hush = expect_ok(
            "hush decrypt",
            &ctx.run_with(&hush_bin(), ["decrypt", "s.enc.yaml"], None, &env, None),
        );
        assert_eq!(by_hush, INPUT, "{name}: hush decrypt of sops file");
        let by_flag = expect_ok(
            "hush --identity",
            &ctx.run_with(
                &hush_bin(),
                ["decrypt", "--identity", key, "s.enc.yaml"],
                None,
                &[],
                None,
            ),
        );
        assert_eq!(by_flag, INPUT);
    }
}

#[test]
fn identities_from_sops_age_key_cmd_are_used() {
    let ctx = Ctx::new();
    ctx.write("in.yaml", INPUT);
    ctx.write("enc.yaml", &ctx.sops_encrypt("in.yaml", &[]));
    let cmd = format!("cat {}", ctx.key_file.display());
    let out = ctx.run_with(
        &hush_bin(),
        ["decrypt", "enc.yaml"],
        None,
        &[("SOPS_AGE_KEY_CMD", &cmd)],
        None,
    );
    assert_eq!(expect_ok("hush decrypt with key cmd", &out), INPUT);
    let none = ctx.run_with(&hush_bin(), ["decrypt", "enc.yaml"], None, &[], None);
    assert_eq!(none.code, 128, "without any identity: {}", none.stderr);
}

#[test]
fn a_failed_decrypt_leaves_the_output_and_in_place_targets_untouched() {
    let ctx = Ctx::new();
    ctx.write("in.yaml", INPUT);
    let enc = ctx.hush_encrypt("in.yaml", &[]);
    // Tamper with the value of `user` (swap in the ciphertext of `password`).
    let lines: Vec<&str> = enc.lines().collect();
    let tampered = format!(
        "user: {}\n{}\n",
        lines[1].trim_start_matches("password: "),
        lines[1..].join("\n")
    );
    ctx.write("bad.enc.yaml", &tampered);
    ctx.write("out.yaml", "previous content\n");
    let before = ctx.read("bad.enc.yaml");

    let out = ctx.hush(&["decrypt", "--output", "out.yaml", "bad.enc.yaml"]);
    assert_ne!(out.code, 0);
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    assert!(
        !out.stderr.contains("s3cr3t") && !out.stderr.contains("admin"),
        "no plaintext: {}",
        out.stderr
    );
    assert_eq!(ctx.read("out.yaml"), "previous content\n");

    let out = ctx.hush(&["decrypt", "-i", "bad.enc.yaml"]);
    assert_ne!(out.code, 0);
    assert_eq!(ctx.read("bad.enc.yaml"), before);
    let leftovers: Vec<_> = std::fs::read_dir(ctx.dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(".hush-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn in_place_encryption_keeps_the_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let ctx = Ctx::new();
    let p = ctx.write("in.yaml", INPUT);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    expect_ok(
        "hush encrypt -i",
        &ctx.hush(&["encrypt", "--age", &ctx.recipient, "-i", "in.yaml"]),
    );
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(ctx.read("in.yaml").contains("ENC[AES256_GCM,"));
    assert_eq!(ctx.hush_decrypt("in.yaml", &[]), INPUT);
}

/// Runs `rotate`/`updatekeys` over 20 files with a SOPS_AGE_KEY_CMD that
/// appends a line to a counter file; returns how many times it ran.
fn key_cmd_runs(args: &[&str]) -> usize {
    key_cmd_runs_ending(args, "")
}

/// As `key_cmd_runs`, with `end` appended to the key command's script
/// (`exit 1`: the command fails, as a cancelled prompt does).
fn key_cmd_runs_ending(args: &[&str], end: &str) -> usize {
    let ctx = Ctx::new();
    ctx.write(
        ".sops.yaml",
        &format!("creation_rules:\n  - age: {}\n", ctx.recipient),
    );
    for i in 0..20 {
        ctx.write("in.yaml", INPUT);
        ctx.write(
            &format!("dir/f{i:02}.yaml"),
            &ctx.hush_encrypt("in.yaml", &[]),
        );
    }
    let counter = ctx.path("runs.txt");
    let script = ctx.write(
        "key-cmd.sh",
        &format!(
            "#!/bin/sh\necho run >> '{}'\ncat '{}'\n{end}\n",
            counter.display(),
            ctx.key_file.display()
        ),
    );
    let cmd = format!("sh {}", script.display());
    let out = ctx.run_with(&hush_bin(), args, None, &[("SOPS_AGE_KEY_CMD", &cmd)], None);
    if end.is_empty() {
        expect_ok("hush with SOPS_AGE_KEY_CMD over 20 files", &out);
    } else {
        assert_eq!(out.code, 128, "{}", out.stderr);
    }
    std::fs::read_to_string(counter)
        .unwrap_or_default()
        .lines()
        .count()
}

#[test]
fn rotate_over_20_files_runs_the_key_command_once() {
    assert_eq!(key_cmd_runs(&["rotate", "-i", "-r", "dir"]), 1);
}

/// A key command that fails (a cancelled password prompt) is not run
/// again for each of the other files.
#[test]
fn a_failing_key_command_runs_once_over_20_files() {
    assert_eq!(
        key_cmd_runs_ending(&["rotate", "-i", "-r", "dir"], "exit 1"),
        1
    );
}

#[test]
fn updatekeys_over_20_files_runs_the_key_command_once() {
    assert_eq!(
        key_cmd_runs(&["updatekeys", "-y", "--rotate", "-r", "dir"]),
        1
    );
}

/// The `shamir_threshold` field is written as sops writes it: the threshold
/// given (even for one group), else the number of groups when there are
/// several, else none. A later `groups add` reads it, so it must match.
#[test]
fn the_shamir_threshold_is_stored_as_sops_stores_it() {
    let ctx = Ctx::new();
    let second = age_keygen(&ctx.path("k2.txt"));
    ctx.write("plain.yaml", INPUT);
    let threshold = |text: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with("shamir_threshold:"))
            .map(|l| l.trim().to_string())
    };
    let two_groups = format!(
        "creation_rules:\n  - key_groups:\n      - age: [{}]\n      - age: [{second}]\n",
        ctx.recipient
    );
    let one_group = format!("creation_rules:\n  - age: {}\n", ctx.recipient);
    let flag = ["--shamir-secret-sharing-threshold", "3"];
    let mut seen = Vec::new();
    for (config, extra) in [
        (&two_groups, &[][..]),
        (&one_group, &flag[..]),
        (&one_group, &[][..]),
    ] {
        ctx.write(".sops.yaml", config);
        let h = expect_ok(
            "hush",
            &ctx.hush(&[&["encrypt"], extra, &["plain.yaml"]].concat()),
        );
        let s = expect_ok(
            "sops",
            &ctx.sops(&[&["-e"], extra, &["plain.yaml"]].concat()),
        );
        assert_eq!(threshold(&h), threshold(&s), "{config} {extra:?}");
        seen.push(threshold(&h));
    }
    let want = ["shamir_threshold: 2", "shamir_threshold: 3"].map(|t| Some(t.to_string()));
    assert_eq!(seen, [want[0].clone(), want[1].clone(), None]);
}
