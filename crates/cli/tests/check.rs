//! `hush check` end to end: exit codes, the text format, JSON and SARIF,
//! pre-commit style file lists, and `--verify`, on files encrypted by the
//! hush binary and by the real sops.

mod common;

use common::{expect_ok, hush_bin, Ctx, Out};

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: hunter2\n";
const REGEX: &str = "^(data|stringData)$";

/// A repository under `repo/` (the context's own key file stays outside
/// it) with a creation rule for `repo/secrets/`.
fn repo(ctx: &Ctx) {
    ctx.write(
        "repo/.sops.yaml",
        &format!(
            "creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    encrypted_regex: {REGEX}\n    age: {}\n",
            ctx.recipient
        ),
    );
    ctx.write(
        "repo/app/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: b\n",
    );
}

/// Encrypts `SECRET` with hush or sops into `repo/secrets/<name>`.
fn encrypted(ctx: &Ctx, name: &str, with_sops: bool) {
    ctx.write("plain.yaml", SECRET);
    let text = if with_sops {
        ctx.sops_encrypt("plain.yaml", &["--encrypted-regex", REGEX])
    } else {
        ctx.hush_encrypt("plain.yaml", &["--encrypted-regex", REGEX])
    };
    ctx.write(&format!("repo/secrets/{name}"), &text);
}

fn check(ctx: &Ctx, args: &[&str], key: bool) -> Out {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let key_file = key.then_some(ctx.key_file.as_path());
    ctx.run_with(&hush_bin(), &all, key_file, &[("NO_COLOR", "1")], None)
}

#[test]
fn check_is_clean_on_secrets_encrypted_by_hush_and_by_sops() {
    let ctx = Ctx::new();
    repo(&ctx);
    encrypted(&ctx, "by-hush.yaml", false);
    encrypted(&ctx, "by-sops.yaml", true);
    let out = check(&ctx, &["repo"], false);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "");
    // With the key, the MACs verify too.
    let out = check(&ctx, &["--verify", "repo"], true);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn check_prints_one_grep_style_line_per_finding_and_exits_1() {
    let ctx = Ctx::new();
    repo(&ctx);
    ctx.write("repo/app/secret.yaml", SECRET);
    // Plain config holding a value the rule encrypts.
    ctx.write("repo/secrets/todo.yaml", "data:\n  password: x\n");
    let out = check(&ctx, &["repo"], false);
    assert_eq!(out.code, 1, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(
        lines,
        vec![
            "repo/app/secret.yaml:6:1: plaintext-secret: Secret `db` has 1 plaintext value in `stringData`",
            "repo/secrets/todo.yaml:1:1: unencrypted-file: matches the .sops.yaml creation rule `path_regex: ^secrets/.*\\.yaml$` but is not encrypted",
        ]
    );
    assert!(out
        .stdout
        .contains("    fix: Encrypt it: `hush encrypt -i repo/secrets/todo.yaml`"));
    assert!(
        !out.stdout.contains('\x1b'),
        "no colour when not a terminal"
    );
    assert!(
        out.stderr.contains("2 findings (0 suppressed)"),
        "{}",
        out.stderr
    );

    let json = common::json(&check(&ctx, &["--format", "json", "repo"], false).stdout);
    assert_eq!(json["active"], 2);
    assert_eq!(json["findings"][0]["rule"], "plaintext-secret");
    assert_eq!(json["findings"][0]["line"], 6);

    let sarif = check(&ctx, &["--format", "sarif", "repo"], false);
    assert_eq!(sarif.code, 1);
    let sarif = common::json(&sarif.stdout);
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][1]["ruleId"], "unencrypted-file");
}

#[test]
fn check_takes_the_file_list_pre_commit_passes() {
    let ctx = Ctx::new();
    repo(&ctx);
    encrypted(&ctx, "db.yaml", false);
    ctx.write("repo/app/secret.yaml", SECRET);
    // Only the named files count, so the plaintext Secret is not seen.
    let out = check(
        &ctx,
        &["repo/secrets/db.yaml", "repo/app/configmap.yaml"],
        false,
    );
    assert_eq!(out.code, 0, "{out:?}");
    let out = check(&ctx, &["repo/app/secret.yaml"], false);
    assert_eq!(out.code, 1, "{out:?}");
}

#[test]
fn check_verify_finds_a_mac_mismatch_that_structure_alone_cannot() {
    let ctx = Ctx::new();
    repo(&ctx);
    ctx.write(
        "plain.yaml",
        &SECRET.replace("stringData:\n", "stringData:\n  user: admin\n"),
    );
    let enc = ctx.hush_encrypt("plain.yaml", &["--encrypted-regex", REGEX]);
    // Dropping a whole encrypted entry keeps the file well-formed.
    let tampered: String = enc
        .lines()
        .filter(|l| !l.starts_with("  user: ENC["))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(tampered, enc);
    ctx.write("repo/secrets/db.yaml", &tampered);
    let out = check(&ctx, &["repo"], false);
    assert_eq!(out.code, 0, "{out:?}");
    let out = check(&ctx, &["--verify", "repo"], true);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains("repo/secrets/db.yaml:") && out.stdout.contains(": mac-mismatch: "),
        "{}",
        out.stdout
    );
    // Without a matching key, --verify notes it and reports nothing.
    let out = check(&ctx, &["--verify", "repo"], false);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("not verified"), "{}", out.stderr);
}

#[test]
fn check_usage_errors_and_unreadable_paths_exit_2() {
    let ctx = Ctx::new();
    repo(&ctx);
    let out = check(&ctx, &["--enable", "no-such-rule", "repo"], false);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("unknown rule `no-such-rule`"),
        "{}",
        out.stderr
    );
    let out = check(&ctx, &["repo/missing.yaml"], false);
    assert_eq!(out.code, 2, "{out:?}");
    let out = check(&ctx, &["--format", "xml"], false);
    assert_eq!(out.code, 2, "{out:?}");
    expect_ok("list rules", &check(&ctx, &["--list-rules"], false));
}
