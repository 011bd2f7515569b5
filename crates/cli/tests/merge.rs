//! `hush merge` as a real git merge driver, on files written by the real
//! sops: clean merges sops decrypts, conflicts that leave no plaintext
//! anywhere in the clone, and a missing key.

mod common;

use common::*;
use std::path::Path;

const BASE: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  user: admin\n  password: base-pw-1\n  port: \"5432\"\n";

fn git(c: &Ctx, args: &[&str]) -> Out {
    c.run_with(Path::new("git"), args, Some(&c.key_file), &[], None)
}

fn git_ok(c: &Ctx, args: &[&str]) -> String {
    expect_ok(&format!("git {}", args.join(" ")), &git(c, args))
}

/// A repository with the hush drivers and `secret.enc.yaml` (written by
/// sops) committed on `main`.
fn repo(c: &Ctx, name: &str, plain: &str) {
    git_ok(c, &["init", "-q", "-b", "main"]);
    git_ok(c, &["config", "user.email", "t@example.invalid"]);
    git_ok(c, &["config", "user.name", "t"]);
    let hush = hush_bin().display().to_string();
    expect_ok(
        "hush init-git",
        &c.hush(&[
            "init-git",
            "--command",
            &hush,
            "*.enc.yaml",
            "*.enc.json",
            "*.enc.env",
            "*.enc.ini",
        ]),
    );
    let ext = name.rsplit('.').next().unwrap();
    let plain_name = format!("plain.{ext}");
    c.write(&plain_name, plain);
    let enc = c.sops_encrypt(&plain_name, &[]);
    std::fs::remove_file(c.path(&plain_name)).unwrap();
    c.write(name, &enc);
    git_ok(c, &["add", "."]);
    git_ok(c, &["commit", "-q", "-m", "base"]);
}

/// Commits a `hush set` on a new branch from main.
fn branch_set(c: &Ctx, branch: &str, file: &str, path: &str, json: &str) {
    git_ok(c, &["checkout", "-q", "-b", branch, "main"]);
    expect_ok("hush set", &c.hush(&["set", file, path, json]));
    git_ok(c, &["commit", "-q", "-am", branch]);
}

/// `BASE` committed on main, then branch `a` setting `ours` (path, JSON)
/// and branch `b` setting `theirs`, with `a` checked out. Returns the file
/// as `a` has it.
fn diverged(c: &Ctx, ours: (&str, &str), theirs: (&str, &str)) -> String {
    repo(c, "secret.enc.yaml", BASE);
    branch_set(c, "a", "secret.enc.yaml", ours.0, ours.1);
    let ours = c.read("secret.enc.yaml");
    branch_set(c, "b", "secret.enc.yaml", theirs.0, theirs.1);
    git_ok(c, &["checkout", "-q", "a"]);
    ours
}

fn line_of<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find(|l| l.trim_start().starts_with(key))
        .unwrap()
}

#[test]
fn different_values_merge_cleanly_and_sops_decrypts_both_changes() {
    let c = Ctx::new();
    repo(&c, "secret.enc.yaml", BASE);
    let base = c.read("secret.enc.yaml");
    branch_set(
        &c,
        "a",
        "secret.enc.yaml",
        r#"["stringData"]["password"]"#,
        r#""ours-pw-2""#,
    );
    let ours = c.read("secret.enc.yaml");
    branch_set(
        &c,
        "b",
        "secret.enc.yaml",
        r#"["stringData"]["user"]"#,
        r#""root""#,
    );
    git_ok(&c, &["checkout", "-q", "a"]);
    let out = git(&c, &["merge", "-q", "--no-edit", "b"]);
    assert!(out.ok(), "git merge: {}\n{}", out.stdout, out.stderr);
    let merged = c.read("secret.enc.yaml");
    let plain = yaml(&c.sops_decrypt("secret.enc.yaml", &[]));
    assert_eq!(plain["stringData"]["password"].as_str(), Some("ours-pw-2"));
    assert_eq!(plain["stringData"]["user"].as_str(), Some("root"));
    assert_eq!(plain["stringData"]["port"].as_str(), Some("5432"));
    // The untouched value keeps its exact ciphertext and IV, and ours' line.
    assert_eq!(line_of(&merged, "port:"), line_of(&ours, "port:"));
    assert_eq!(line_of(&merged, "password:"), line_of(&ours, "password:"));
    let enc = |l: &str| {
        l[l.find("ENC[").unwrap()..]
            .trim_end_matches('"')
            .to_string()
    };
    assert_eq!(enc(line_of(&merged, "port:")), enc(line_of(&base, "port:")));
    assert_ne!(line_of(&merged, "user:"), line_of(&base, "user:"));
    assert_ne!(line_of(&merged, "mac:"), line_of(&base, "mac:"));
    assert!(git_ok(&c, &["status", "--porcelain"]).is_empty());
}

/// Every byte git keeps: work tree files, `.git` files and every object,
/// decompressed.
fn everything(c: &Ctx) -> String {
    let mut all = String::new();
    let mut stack = vec![c.dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p != c.key_file {
                all.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
            }
        }
    }
    let objects = git(c, &["cat-file", "--batch-all-objects", "--batch"]);
    all.push_str(&objects.stdout);
    all
}

#[test]
fn the_same_value_changed_twice_conflicts_without_plaintext_anywhere() {
    let c = Ctx::new();
    let ours = diverged(
        &c,
        (r#"["stringData"]["password"]"#, r#""ours-pw-3""#),
        (r#"["stringData"]["password"]"#, r#""theirs-pw-3""#),
    );
    let out = git(&c, &["merge", "-q", "--no-edit", "b"]);
    assert!(!out.ok(), "a conflict");
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains(r#"["stringData"]["password"]"#), "{said}");
    assert_eq!(c.read("secret.enc.yaml"), ours, "left as ours, encrypted");
    assert!(git_ok(&c, &["status", "--porcelain"]).contains("UU secret.enc.yaml"));
    let all = everything(&c);
    for secret in ["ours-pw-3", "theirs-pw-3", "base-pw-1"] {
        assert!(!said.contains(secret));
        assert!(!all.contains(secret), "{secret} is stored in plaintext");
    }
    // The tree holds ours, and sops still decrypts it.
    let plain = yaml(&c.sops_decrypt("secret.enc.yaml", &[]));
    assert_eq!(plain["stringData"]["password"].as_str(), Some("ours-pw-3"));
}

#[test]
fn without_a_key_the_merge_fails_clearly_and_leaves_ours() {
    let c = Ctx::new();
    let ours = diverged(
        &c,
        (r#"["stringData"]["password"]"#, r#""ours-pw-4""#),
        (r#"["stringData"]["user"]"#, r#""root""#),
    );
    let (other, _) = c.other_key("other.txt");
    let out = c.run_with(
        Path::new("git"),
        ["merge", "-q", "--no-edit", "b"],
        Some(&other),
        &[],
        None,
    );
    assert!(!out.ok());
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("secret.enc.yaml: cannot merge"), "{said}");
    assert!(said.contains("left as ours, still encrypted"), "{said}");
    assert_eq!(c.read("secret.enc.yaml"), ours);
}

/// `hush merge` run by hand on three sops files of one format.
fn merge_files(ext: &str, base: &str, ours: &str, theirs: &str) -> (Ctx, Out, String) {
    let c = Ctx::new();
    for (name, text) in [("base", base), ("ours", ours), ("theirs", theirs)] {
        let plain = format!("{name}.{ext}");
        c.write(&plain, text);
        let enc = c.sops_encrypt(&plain, &[]);
        c.write(&format!("{name}.enc"), &enc);
    }
    let path = format!("secret.enc.{ext}");
    let out = c.hush(&["merge", "base.enc", "ours.enc", "theirs.enc", &path]);
    let kind = match ext {
        "env" => "dotenv",
        other => other,
    };
    let plain = if out.ok() {
        c.sops_decrypt("ours.enc", &["--input-type", kind, "--output-type", kind])
    } else {
        String::new()
    };
    (c, out, plain)
}

#[test]
fn json_dotenv_and_ini_merge_too() {
    let (_, out, plain) = merge_files(
        "json",
        "{\"a\": \"1\", \"b\": \"2\"}",
        "{\"a\": \"x\", \"b\": \"2\"}",
        "{\"a\": \"1\", \"b\": \"y\", \"c\": \"new\"}",
    );
    assert!(out.ok(), "{}", out.stderr);
    assert_eq!(json(&plain), json(r#"{"a": "x", "b": "y", "c": "new"}"#));

    let (_, out, plain) = merge_files("env", "A=1\nB=2\nC=3\n", "A=x\nB=2\nC=3\n", "A=1\nB=y\n");
    assert!(out.ok(), "{}", out.stderr);
    assert_eq!(plain, "A=x\nB=y\n");

    let (_, out, plain) = merge_files(
        "ini",
        "[s]\na = 1\nb = 2\n",
        "[s]\na = x\nb = 2\n",
        "[s]\na = 1\nb = y\n\n[t]\nc = 3\n",
    );
    assert!(out.ok(), "{}", out.stderr);
    assert_eq!(plain, "[s]\na = x\nb = y\n\n[t]\nc = 3\n");

    let (_, out, _) = merge_files("env", "A=1\n", "A=ours-env-5\n", "A=theirs-env-5\n");
    assert!(!out.ok());
    assert!(out.stderr.contains(r#"["A"]"#), "{}", out.stderr);
    assert!(!out.stderr.contains("env-5"));
}

/// The `ENC[…]` value on the line of `key`.
fn enc_of(text: &str, key: &str) -> String {
    let l = line_of(text, key);
    l[l.find("ENC[").unwrap()..]
        .trim_end_matches('"')
        .to_string()
}

/// Merges branch `b` into `a` with git; `a` must be checked out.
fn merge_b_into_a(c: &Ctx) -> Out {
    git_ok(c, &["checkout", "-q", "a"]);
    git(c, &["merge", "-q", "--no-edit", "b"])
}

#[test]
fn a_recipient_slipped_in_on_theirs_refuses_the_merge_and_gets_nothing() {
    let c = Ctx::new();
    repo(&c, "secret.enc.yaml", BASE);
    let (attacker_key, attacker) = c.other_key("attacker.txt");
    branch_set(
        &c,
        "a",
        "secret.enc.yaml",
        r#"["stringData"]["password"]"#,
        r#""ours-pw-6""#,
    );
    let ours = c.read("secret.enc.yaml");
    // A writer without keys adds a recipient line with a junk `enc`: the
    // file still decrypts, as the MAC does not cover the key metadata.
    git_ok(&c, &["checkout", "-q", "-b", "b", "main"]);
    let text = c.read("secret.enc.yaml");
    let fake = format!(
        "sops:\n    age:\n        - recipient: {attacker}\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdl\n            -----END AGE ENCRYPTED FILE-----\n"
    );
    let evil = text.replacen("sops:\n    age:\n", &fake, 1);
    assert_ne!(evil, text, "the sops block layout changed");
    c.write("secret.enc.yaml", &evil);
    expect_ok(
        "sops --decrypt (evil)",
        &c.sops(&["--decrypt", "secret.enc.yaml"]),
    );
    git_ok(&c, &["commit", "-q", "-am", "b"]);
    let out = merge_b_into_a(&c);
    assert!(!out.ok(), "the merge took the attacker's key");
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains(&format!("added age {attacker}")), "{said}");
    assert!(said.contains("hush updatekeys"), "{said}");
    assert!(!said.contains("ours-pw-6") && !said.contains("base-pw-1"));
    assert_eq!(c.read("secret.enc.yaml"), ours);
    let by_attacker = c.run_with(
        &sops_bin(),
        ["--decrypt", "secret.enc.yaml"],
        Some(&attacker_key),
        &[],
        None,
    );
    assert!(!by_attacker.ok());
}

#[test]
fn a_recipient_removed_on_theirs_refuses_the_merge() {
    let c = Ctx::new();
    let (_, other) = c.other_key("other.txt");
    git_ok(&c, &["init", "-q", "-b", "main"]);
    git_ok(&c, &["config", "user.email", "t@example.invalid"]);
    git_ok(&c, &["config", "user.name", "t"]);
    let hush = hush_bin().display().to_string();
    expect_ok("hush init-git", &c.hush(&["init-git", "--command", &hush]));
    c.write("plain.yaml", BASE);
    let both = format!("{},{other}", c.recipient);
    let enc = expect_ok(
        "sops",
        &c.sops(&["--encrypt", "--age", &both, "plain.yaml"]),
    );
    std::fs::remove_file(c.path("plain.yaml")).unwrap();
    c.write("secret.enc.yaml", &enc);
    git_ok(&c, &["add", "."]);
    git_ok(&c, &["commit", "-q", "-m", "base"]);
    branch_set(
        &c,
        "a",
        "secret.enc.yaml",
        r#"["stringData"]["user"]"#,
        r#""root""#,
    );
    let ours = c.read("secret.enc.yaml");
    git_ok(&c, &["checkout", "-q", "-b", "b", "main"]);
    expect_ok(
        "hush rotate --rm-age",
        &c.hush(&["rotate", "-i", "--rm-age", &other, "secret.enc.yaml"]),
    );
    git_ok(&c, &["commit", "-q", "-am", "b"]);
    let out = merge_b_into_a(&c);
    assert!(!out.ok());
    assert!(
        out.stderr.contains(&format!("removed age {other}")),
        "{}",
        out.stderr
    );
    assert_eq!(c.read("secret.enc.yaml"), ours);
}

#[test]
fn a_recipient_added_on_ours_is_kept_by_the_merge() {
    let c = Ctx::new();
    repo(&c, "secret.enc.yaml", BASE);
    let (other_key, other) = c.other_key("other.txt");
    git_ok(&c, &["checkout", "-q", "-b", "a", "main"]);
    expect_ok(
        "hush rotate --add-age",
        &c.hush(&["rotate", "-i", "--add-age", &other, "secret.enc.yaml"]),
    );
    git_ok(&c, &["commit", "-q", "-am", "a"]);
    branch_set(
        &c,
        "b",
        "secret.enc.yaml",
        r#"["stringData"]["password"]"#,
        r#""theirs-pw-6""#,
    );
    let out = merge_b_into_a(&c);
    assert!(out.ok(), "git merge: {}\n{}", out.stdout, out.stderr);
    let by_other = c.run_with(
        &sops_bin(),
        ["--decrypt", "secret.enc.yaml"],
        Some(&other_key),
        &[],
        None,
    );
    let plain = yaml(&expect_ok("sops --decrypt (other key)", &by_other));
    assert_eq!(
        plain["stringData"]["password"].as_str(),
        Some("theirs-pw-6")
    );
}

#[test]
fn a_rotation_on_either_side_gives_the_merge_a_new_data_key() {
    for rotated in ["a", "b"] {
        let c = Ctx::new();
        repo(&c, "secret.enc.yaml", BASE);
        let base = c.read("secret.enc.yaml");
        let changed = if rotated == "a" { "b" } else { "a" };
        git_ok(&c, &["checkout", "-q", "-b", rotated, "main"]);
        expect_ok("hush rotate", &c.hush(&["rotate", "-i", "secret.enc.yaml"]));
        git_ok(&c, &["commit", "-q", "-am", rotated]);
        branch_set(
            &c,
            changed,
            "secret.enc.yaml",
            r#"["stringData"]["password"]"#,
            r#""new-pw-7""#,
        );
        let changed_text = c.read("secret.enc.yaml");
        let out = merge_b_into_a(&c);
        assert!(out.ok(), "git merge: {}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains("new one"), "{}", out.stderr);
        let merged = c.read("secret.enc.yaml");
        let plain = yaml(&c.sops_decrypt("secret.enc.yaml", &[]));
        assert_eq!(plain["stringData"]["password"].as_str(), Some("new-pw-7"));
        assert_eq!(plain["stringData"]["user"].as_str(), Some("admin"));
        // The old data key reads none of it: no value kept the ancestor's
        // ciphertext, nor that of the side that changed a value under it.
        for key in ["user:", "port:", "password:"] {
            assert_ne!(enc_of(&merged, key), enc_of(&base, key), "{rotated} {key}");
            assert_ne!(enc_of(&merged, key), enc_of(&changed_text, key));
        }
    }
}

#[test]
fn without_an_ancestor_values_added_on_both_sides_merge_but_other_keys_are_refused() {
    let c = Ctx::new();
    for (name, text) in [
        ("ours", "a: 1\nb: ours-only\n"),
        ("theirs", "a: 1\nc: theirs-only\n"),
    ] {
        let plain = format!("{name}.yaml");
        c.write(&plain, text);
        let enc = c.sops_encrypt(&plain, &[]);
        c.write(&format!("{name}.enc"), &enc);
    }
    let (_, other) = c.other_key("other.txt");
    let both = format!("{},{other}", c.recipient);
    let extra = expect_ok(
        "sops",
        &c.sops(&["--encrypt", "--age", &both, "theirs.yaml"]),
    );
    c.write("extra.enc", &extra);
    c.write("empty", "");
    let ours = c.read("ours.enc");
    let out = c.hush(&["merge", "empty", "ours.enc", "extra.enc", "s.enc.yaml"]);
    assert!(!out.ok());
    assert!(
        out.stderr.contains(&format!("added age {other}")),
        "{}",
        out.stderr
    );
    assert_eq!(c.read("ours.enc"), ours);
    let out = c.hush(&["merge", "empty", "ours.enc", "theirs.enc", "s.enc.yaml"]);
    assert!(out.ok(), "{}", out.stderr);
    let plain = yaml(&c.sops_decrypt(
        "ours.enc",
        &["--input-type", "yaml", "--output-type", "yaml"],
    ));
    assert_eq!(plain, yaml("a: 1\nb: ours-only\nc: theirs-only\n"));
}
