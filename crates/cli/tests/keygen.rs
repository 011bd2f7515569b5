//! `hush keygen`: age-keygen's file format, mode 0600, appending, the default
//! key file that sops reads, and round trips with hush, sops and `age`.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Runs `hush keygen [args]` with no key configured; returns the recipient.
fn keygen(ctx: &Ctx, args: &[&str]) -> String {
    let mut all = vec!["keygen"];
    all.extend_from_slice(args);
    let out = ctx.run_with(&hush_bin(), &all, None, &[], None);
    let recipient = expect_ok("hush keygen", &out).trim().to_string();
    assert!(recipient.starts_with("age1"), "{recipient}");
    assert!(
        out.stderr.contains("keys.txt") || !args.is_empty(),
        "{}",
        out.stderr
    );
    recipient
}

#[test]
fn keygen_writes_the_age_keygen_format_with_mode_0600() {
    let ctx = Ctx::new();
    let path = ctx.path("new/dir/keys.txt");
    let recipient = keygen(&ctx, &["-o", path.to_str().unwrap()]);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("# created: 20") && lines[0].ends_with('Z'));
    assert_eq!(lines[1], format!("# public key: {recipient}"));
    assert!(lines[2].starts_with("AGE-SECRET-KEY-1"));
    // age-keygen -y derives the same recipient from the file.
    let y = Command::new("age-keygen")
        .arg("-y")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&y.stdout).trim(), recipient);
}

#[test]
fn keygen_appends_and_never_overwrites() {
    let ctx = Ctx::new();
    let path = ctx.path("keys.txt"); // already holds the age-keygen key of ctx
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = std::fs::read_to_string(&path).unwrap();
    let r1 = keygen(&ctx, &["-o", path.to_str().unwrap()]);
    let r2 = keygen(&ctx, &["--output", path.to_str().unwrap()]);
    assert_ne!(r1, r2);
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.starts_with(&before), "existing keys were changed");
    assert_eq!(after.matches("AGE-SECRET-KEY-1").count(), 3);
    assert_eq!(mode(&path), 0o600);
    // Every key in the file still works: the old one and both new ones.
    ctx.write("in.yaml", "password: hunter2\n");
    for r in [ctx.recipient.as_str(), &r1, &r2] {
        let enc = expect_ok("encrypt", &ctx.hush(&["encrypt", "--age", r, "in.yaml"]));
        ctx.write("in.enc.yaml", &enc);
        assert_eq!(ctx.hush_decrypt("in.enc.yaml", &[]), "password: hunter2\n");
    }
}

#[test]
fn keygen_adds_a_newline_to_a_file_without_one() {
    let ctx = Ctx::new();
    let path = ctx.write("k.txt", "# my notes");
    keygen(&ctx, &["-o", path.to_str().unwrap()]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# my notes\n# created: "), "{text}");
}

#[test]
fn keygen_default_file_is_read_by_hush_and_sops() {
    let ctx = Ctx::new();
    let recipient = keygen(&ctx, &[]);
    let default = ctx.dir.path().join(".config/sops/age/keys.txt");
    assert_eq!(mode(&default), 0o600);
    assert_eq!(mode(default.parent().unwrap()), 0o700);
    ctx.write("in.yaml", "token: abc123\n");
    let enc = expect_ok(
        "encrypt",
        &ctx.hush(&["encrypt", "--age", &recipient, "in.yaml"]),
    );
    ctx.write("in.enc.yaml", &enc);
    // No SOPS_AGE_KEY_FILE: both tools find the default key file.
    for bin in [hush_bin(), sops_bin()] {
        let sub = if bin == hush_bin() { "decrypt" } else { "-d" };
        let out = ctx.run_with(&bin, [sub, "in.enc.yaml"], None, &[], None);
        assert_eq!(
            expect_ok("decrypt with default key", &out),
            "token: abc123\n"
        );
    }
}

#[test]
fn keygen_appends_to_sops_age_key_file_when_it_is_set() {
    let ctx = Ctx::new();
    let named = ctx.path("team/keys.txt");
    let env = [("SOPS_AGE_KEY_FILE", named.to_str().unwrap())];
    let out = ctx.run_with(&hush_bin(), ["keygen"], None, &env, None);
    let recipient = expect_ok("hush keygen", &out).trim().to_string();
    assert_eq!(mode(&named), 0o600);
    assert!(!ctx.dir.path().join(".config/sops/age/keys.txt").exists());
    // The key landed where both tools look for it.
    ctx.write("in.yaml", "token: abc123\n");
    let enc = expect_ok(
        "encrypt",
        &ctx.hush(&["encrypt", "--age", &recipient, "in.yaml"]),
    );
    ctx.write("in.enc.yaml", &enc);
    let out = ctx.run_with(&sops_bin(), ["-d", "in.enc.yaml"], None, &env, None);
    assert_eq!(expect_ok("sops -d", &out), "token: abc123\n");
}

#[test]
fn keygen_identity_works_with_the_age_cli() {
    let ctx = Ctx::new();
    let path = ctx.path("id.txt");
    let recipient = keygen(&ctx, &["-o", path.to_str().unwrap()]);
    let mut enc = Command::new("age")
        .args(["-r", &recipient, "-a"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    enc.stdin.take().unwrap().write_all(b"round trip").unwrap();
    let armored = enc.wait_with_output().unwrap();
    assert!(armored.status.success());
    ctx.write("msg.age", &String::from_utf8(armored.stdout).unwrap());
    let dec = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&path)
        .arg(ctx.path("msg.age"))
        .output()
        .unwrap();
    assert!(
        dec.status.success(),
        "{}",
        String::from_utf8_lossy(&dec.stderr)
    );
    assert_eq!(dec.stdout, b"round trip");
}
