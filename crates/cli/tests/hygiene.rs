//! Secret hygiene of the command line: failing runs never print a
//! plaintext value (the tamper corpus checks the same for tampered files),
//! and `edit` keeps its plaintext in a 0700 directory as a 0600 file.

mod common;

use common::*;

const CANARY: &str = "CANARY-fail-3e8a";

fn plain() -> String {
    format!("stringData:\n  password: {CANARY}\n  n: 5\nlist:\n  - {CANARY}\n")
}

fn script(ctx: &Ctx, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let p = ctx.write(name, &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.display().to_string()
}

#[test]
fn no_failing_command_prints_a_plaintext_value() {
    let ctx = Ctx::new();
    let (other_key, _) = ctx.other_key("other.txt");
    ctx.write("s.yaml", &plain());
    let enc = ctx.hush_encrypt("s.yaml", &[]);
    ctx.write("s.enc.yaml", &enc);
    ctx.write("bad.yaml", &format!("a: [{CANARY}\nb: {{\n"));
    ctx.write("bad2.yaml", &format!("a: \"{CANARY}\\q\"\n"));
    ctx.write("bad.json", &format!("{{\"a\": \"{CANARY}\", }}"));
    ctx.write(
        "alias.yaml",
        &format!("a_unencrypted: &x {{k: {CANARY}}}\nb: *x\n"),
    );
    ctx.write("tab.yaml", &format!("a:\n\t- {CANARY}\n"));
    // A value whose type no longer matches its plaintext.
    let retyped = enc.replacen(",type:str]", ",type:int]", 1);
    ctx.write("retyped.yaml", &retyped);
    let broken_editor = script(&ctx, "ed.sh", &format!("printf 'k: [{CANARY}\\n' > \"$1\""));
    let tmp = ctx.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let with = |args: &[&str], env: &[(&str, &str)], key: &std::path::Path| {
        ctx.run_with(&hush_bin(), args, Some(key), env, None)
    };
    let k = ctx.key_file.clone();
    let runs: Vec<(&str, Out)> = vec![
        (
            "decrypt with the wrong key",
            with(&["decrypt", "s.enc.yaml"], &[], &other_key),
        ),
        (
            "decrypt a retyped value",
            with(&["decrypt", "retyped.yaml"], &[], &k),
        ),
        (
            "extract a missing path",
            with(
                &["decrypt", "--extract", "[\"nope\"]", "s.enc.yaml"],
                &[],
                &k,
            ),
        ),
        (
            "extract a malformed path",
            with(&["decrypt", "--extract", "[nope", "s.enc.yaml"], &[], &k),
        ),
        (
            "decrypt to an unwritable output",
            with(
                &[
                    "decrypt",
                    "--output",
                    "/nonexistent/dir/out.yaml",
                    "s.enc.yaml",
                ],
                &[],
                &k,
            ),
        ),
        (
            "encrypt unclosed YAML",
            with(&["encrypt", "--age", &ctx.recipient, "bad.yaml"], &[], &k),
        ),
        (
            "encrypt a bad escape",
            with(&["encrypt", "--age", &ctx.recipient, "bad2.yaml"], &[], &k),
        ),
        (
            "encrypt bad JSON",
            with(&["encrypt", "--age", &ctx.recipient, "bad.json"], &[], &k),
        ),
        (
            "encrypt an alias to a map that would be encrypted",
            with(&["encrypt", "--age", &ctx.recipient, "alias.yaml"], &[], &k),
        ),
        (
            "encrypt a tab-indented file",
            with(&["encrypt", "--age", &ctx.recipient, "tab.yaml"], &[], &k),
        ),
        (
            "encrypt an encrypted file",
            with(&["encrypt", "--age", &ctx.recipient, "s.enc.yaml"], &[], &k),
        ),
        (
            "set with a value that is not JSON",
            with(&["set", "s.enc.yaml", "[\"a\"]", CANARY], &[], &k),
        ),
        (
            "set an index into a map",
            with(&["set", "s.enc.yaml", "[\"stringData\"][0]", "1"], &[], &k),
        ),
        (
            "edit into invalid YAML, then give up",
            with(
                &["edit", "s.enc.yaml"],
                &[
                    ("EDITOR", &broken_editor),
                    ("SOPS_EDITOR", ""),
                    ("VISUAL", ""),
                    ("TMPDIR", tmp.to_str().unwrap()),
                ],
                &k,
            ),
        ),
        (
            "edit with a failing editor",
            with(
                &["edit", "s.enc.yaml"],
                &[
                    ("EDITOR", "false"),
                    ("SOPS_EDITOR", ""),
                    ("VISUAL", ""),
                    ("TMPDIR", tmp.to_str().unwrap()),
                ],
                &k,
            ),
        ),
        (
            "exec-env with a failing command",
            with(&["exec-env", "s.enc.yaml", "exit 3"], &[], &k),
        ),
        (
            "rotate with the wrong key",
            with(&["rotate", "-i", "s.enc.yaml"], &[], &other_key),
        ),
    ];
    for (what, o) in &runs {
        assert_ne!(o.code, 0, "{what}: should fail");
        assert!(
            !o.stdout.contains(CANARY) && !o.stderr.contains(CANARY),
            "{what}: the output shows the plaintext\n--- stdout\n{}\n--- stderr\n{}",
            o.stdout,
            o.stderr
        );
    }
}

#[test]
fn edit_keeps_its_plaintext_in_a_0700_dir_as_a_0600_file() {
    let ctx = Ctx::new();
    ctx.write("s.yaml", &plain());
    expect_ok(
        "encrypt",
        &ctx.hush(&["encrypt", "--age", &ctx.recipient, "-i", "s.yaml"]),
    );
    let tmp = ctx.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let log = ctx.path("modes.txt");
    let ed = script(
        &ctx,
        "ed.sh",
        &format!(
            "stat -c '%a %U' \"$(dirname \"$1\")\" \"$1\" > {}; dirname \"$(dirname \"$1\")\" >> {}",
            log.display(),
            log.display()
        ),
    );
    let out = ctx.run_with(
        &hush_bin(),
        ["edit", "s.yaml"],
        Some(&ctx.key_file),
        &[
            ("EDITOR", ed.as_str()),
            ("SOPS_EDITOR", ""),
            ("VISUAL", ""),
            ("TMPDIR", tmp.to_str().unwrap()),
        ],
        None,
    );
    expect_ok("edit", &out);
    let modes = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = modes.lines().collect();
    assert!(lines[0].starts_with("700 "), "dir mode: {modes}");
    assert!(lines[1].starts_with("600 "), "file mode: {modes}");
    assert_eq!(
        std::fs::canonicalize(lines[2]).unwrap(),
        std::fs::canonicalize(&tmp).unwrap(),
        "the dir is directly under TMPDIR"
    );
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "removed after the edit"
    );
}
