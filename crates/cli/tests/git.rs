//! `hush filestatus` against `sops filestatus`, and `hush diff` as a git
//! textconv driver in a real repository, set up as docs/git.md says.

mod common;

use common::*;

#[test]
fn filestatus_matches_sops() {
    let ctx = Ctx::new();
    ctx.write("plain.yaml", "a: 1\n");
    ctx.write("plain.json", "{\"a\": 1}\n");
    let enc = ctx.sops_encrypt("plain.yaml", &[]);
    ctx.write("s.enc.yaml", &enc);
    let enc = ctx.hush_encrypt("plain.json", &[]);
    ctx.write("h.enc.json", &enc);
    for (file, want) in [
        ("plain.yaml", "{\"encrypted\":false}\n"),
        ("plain.json", "{\"encrypted\":false}\n"),
        ("s.enc.yaml", "{\"encrypted\":true}\n"),
        ("h.enc.json", "{\"encrypted\":true}\n"),
    ] {
        let h = ctx.hush(&["filestatus", file]);
        let s = ctx.sops(&["filestatus", file]);
        assert_eq!(expect_ok("hush filestatus", &h), want, "{file}");
        assert_eq!(expect_ok("sops filestatus", &s), want, "{file}");
    }
    // No key is needed.
    let h = ctx.run_with(&hush_bin(), ["filestatus", "s.enc.yaml"], None, &[], None);
    assert_eq!(expect_ok("no key", &h), "{\"encrypted\":true}\n");
    let h = ctx.hush(&["filestatus", "missing.yaml"]);
    let s = ctx.sops(&["filestatus", "missing.yaml"]);
    assert_eq!((h.code, s.code), (1, 1));
}

#[test]
fn textconv_prints_plaintext_with_the_key_and_the_keys_without() {
    let ctx = Ctx::new();
    ctx.write("in.yaml", "password: hunter2 # the root password\n");
    let enc = ctx.hush_encrypt("in.yaml", &[]);
    ctx.write("s.enc.yaml", &enc);
    let with = expect_ok("diff", &ctx.hush(&["diff", "s.enc.yaml"]));
    assert_eq!(with, "password: hunter2 # the root password\n");
    let alias = expect_ok("textconv", &ctx.hush(&["textconv", "s.enc.yaml"]));
    assert_eq!(alias, with);

    let (other, _) = ctx.other_key("other.txt");
    let out = ctx.run_with(&hush_bin(), ["diff", "s.enc.yaml"], Some(&other), &[], None);
    let without = expect_ok("diff without key", &out);
    assert!(!without.contains("hunter2"));
    assert!(
        without.starts_with("# hush: values left encrypted ("),
        "{without}"
    );
    assert!(without.contains(&format!("#   age {}\n", ctx.recipient)));
    assert!(without.ends_with(&enc), "the file follows the header");

    // Plain and unreadable files never fail either.
    assert_eq!(
        expect_ok("plain", &ctx.hush(&["diff", "in.yaml"])),
        ctx.read("in.yaml")
    );
    assert!(ctx.hush(&["diff", "missing.yaml"]).ok());
}

/// A repository with the textconv set-up of docs/git.md (without
/// `cachetextconv`, which would serve one user's plaintext to the next).
fn repo(ctx: &Ctx) {
    let hush = hush_bin();
    let textconv = format!("{} diff", hush.display());
    for args in [
        vec!["init", "-q", "-b", "main"],
        vec!["config", "user.name", "Test"],
        vec!["config", "user.email", "test@example.invalid"],
        vec!["config", "diff.hush.textconv", &textconv],
    ] {
        git(ctx, &args, None);
    }
    ctx.write(".gitattributes", "*.enc.yaml diff=hush\n");
}

fn git(ctx: &Ctx, args: &[&str], key: Option<&std::path::Path>) -> String {
    let env = [("GIT_CONFIG_NOSYSTEM", "1"), ("GIT_PAGER", "cat")];
    let out = ctx.run_with(std::path::Path::new("git"), args, key, &env, None);
    expect_ok(&format!("git {args:?}"), &out)
}

#[test]
fn git_diff_shows_plaintext_changes_to_key_holders_only() {
    let ctx = Ctx::new();
    repo(&ctx);
    ctx.write("in.yaml", "user: admin\npassword: old-pass\n");
    ctx.write("secret.enc.yaml", &ctx.hush_encrypt("in.yaml", &[]));
    git(&ctx, &["add", ".gitattributes", "secret.enc.yaml"], None);
    git(&ctx, &["commit", "-q", "-m", "v1"], None);
    ctx.write("in.yaml", "user: admin\npassword: new-pass\n");
    ctx.write("secret.enc.yaml", &ctx.hush_encrypt("in.yaml", &[]));

    let diff = git(&ctx, &["diff"], Some(&ctx.key_file));
    assert!(diff.contains("-password: old-pass\n"), "{diff}");
    assert!(diff.contains("+password: new-pass\n"), "{diff}");
    assert!(
        !diff.contains("-user: admin"),
        "unchanged lines are context: {diff}"
    );

    git(&ctx, &["commit", "-q", "-am", "v2"], None);
    let log = git(&ctx, &["log", "-p"], Some(&ctx.key_file));
    assert!(log.contains("+password: new-pass\n") && log.contains("+password: old-pass\n"));

    let (other, _) = ctx.other_key("other.txt");
    for args in [vec!["log", "-p"], vec!["diff", "HEAD~1"]] {
        let out = git(&ctx, &args, Some(&other));
        assert!(
            !out.contains("old-pass") && !out.contains("new-pass"),
            "{out}"
        );
        assert!(out.contains("+password: ENC[AES256_GCM,"), "{out}");
        assert!(out.contains(&ctx.recipient), "{out}");
    }
}
