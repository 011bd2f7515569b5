//! `hush seal`: a Secret manifest becomes an EncryptedSecret that works with
//! `hush decrypt`, the real `sops -d`, `hush edit`, `hush check`, and stays
//! in canonical key order.

mod common;

use common::*;

const SECRET: &str = "apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
  labels:
    team: payments
type: Opaque
stringData:
  url: postgres://admin:hunter2@db/app
  port: \"5432\"
data:
  password: aHVudGVyMg==
  api-key: c2VjcmV0LWtleQ==
";

fn seal(ctx: &Ctx, extra: &[&str]) -> String {
    ctx.write("secret.yaml", SECRET);
    let mut args = vec!["seal", "--age", &ctx.recipient];
    args.extend_from_slice(extra);
    args.push("secret.yaml");
    expect_ok("hush seal", &ctx.hush(&args))
}

#[test]
fn sealed_secret_decrypts_with_hush_and_sops_alike() {
    let ctx = Ctx::new();
    let sealed = seal(&ctx, &[]);
    assert!(
        !sealed.contains("hunter2") && !sealed.contains("aHVudGVyMg"),
        "plaintext in:\n{sealed}"
    );
    for line in [
        "apiVersion: hush.dev/v1alpha1",
        "kind: EncryptedSecret",
        "  namespace: prod",
        "    team: \"payments\"",
    ] {
        assert!(sealed.contains(line), "missing `{line}` in:\n{sealed}");
    }
    ctx.write("db.enc.yaml", &sealed);
    let by_hush = ctx.hush_decrypt("db.enc.yaml", &[]);
    let by_sops = ctx.sops_decrypt("db.enc.yaml", &[]);
    assert_same_yaml("hush vs sops", &yaml(&by_hush), &yaml(&by_sops));
    let doc = yaml(&by_hush);
    assert_eq!(doc["spec"]["scope"].as_str(), Some("strict:prod/db"));
    assert_eq!(
        doc["spec"]["data"]["password"].as_str(),
        Some("aHVudGVyMg==")
    );
    assert_eq!(
        doc["spec"]["stringData"]["port"].as_str(),
        Some("5432"),
        "stays a string"
    );
    assert_eq!(
        doc["spec"]["stringData"]["url"].as_str(),
        Some("postgres://admin:hunter2@db/app")
    );
    assert_eq!(doc["spec"]["template"]["type"].as_str(), Some("Opaque"));
    let (_, meta) = split_sops(yaml(&sealed));
    let meta = meta.unwrap();
    assert_eq!(meta["mac_only_encrypted"].as_bool(), Some(true));
    assert_eq!(
        meta["encrypted_regex"].as_str(),
        Some("^(data|stringData|scope)$")
    );
}

#[test]
fn scopes_and_namespace_flags() {
    let ctx = Ctx::new();
    for (extra, want) in [
        (vec!["--scope", "namespace"], "namespace:prod"),
        (vec!["--scope", "cluster"], "cluster"),
        (vec!["--namespace", "staging"], "strict:staging/db"),
    ] {
        let sealed = seal(&ctx, &extra);
        ctx.write("s.enc.yaml", &sealed);
        let doc = yaml(&ctx.hush_decrypt("s.enc.yaml", &[]));
        assert_eq!(doc["spec"]["scope"].as_str(), Some(want), "{extra:?}");
    }
    ctx.write("nons.yaml", &SECRET.replace("  namespace: prod\n", ""));
    let out = ctx.hush(&["seal", "--age", &ctx.recipient, "nons.yaml"]);
    assert!(
        !out.ok() && out.stderr.contains("--namespace"),
        "{}",
        out.stderr
    );
}

#[test]
fn sealed_file_passes_check_and_unsorted_one_does_not() {
    let ctx = Ctx::new();
    ctx.write("good.enc.yaml", &seal(&ctx, &[]));
    let good = ctx.hush(&["check", "good.enc.yaml"]);
    assert!(good.ok(), "{}{}", good.stdout, good.stderr);

    // sops writes what it is given: an unsorted EncryptedSecret.
    ctx.write(
        "bad.yaml",
        "apiVersion: hush.dev/v1alpha1\nkind: EncryptedSecret\nmetadata:\n  name: db\nspec:\n  data:\n    b: Yg==\n    a: YQ==\n  scope: cluster\n",
    );
    let bad = ctx.sops_encrypt(
        "bad.yaml",
        &[
            "--encrypted-regex",
            "^(data|stringData|scope)$",
            "--mac-only-encrypted",
        ],
    );
    ctx.write("bad.enc.yaml", &bad);
    let out = ctx.hush(&["check", "bad.enc.yaml"]);
    assert!(
        !out.ok(),
        "unsorted EncryptedSecret passed:\n{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("encrypted-secret-order"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("spec.data.a"), "{}", out.stdout);
}

#[test]
fn edit_refuses_to_save_out_of_order() {
    use std::os::unix::fs::PermissionsExt;
    let ctx = Ctx::new();
    ctx.write("db.enc.yaml", &seal(&ctx, &[]));
    let before = ctx.read("db.enc.yaml");
    let bad_editor = ctx.write("bad.sh", "#!/bin/sh\nawk '{print} /^  data:$/ {print \"    zzz: eg==\"}' \"$1\" > \"$1.t\" && mv \"$1.t\" \"$1\"\n");
    std::fs::set_permissions(&bad_editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let env = [
        ("EDITOR", bad_editor.to_str().unwrap()),
        ("SOPS_EDITOR", ""),
        ("VISUAL", ""),
    ];
    let out = ctx.run_with(
        &hush_bin(),
        ["edit", "db.enc.yaml"],
        Some(&ctx.key_file),
        &env,
        Some("q\n"),
    );
    assert!(!out.ok(), "out-of-order edit was saved");
    assert!(out.stderr.contains("must come before"), "{}", out.stderr);
    assert_eq!(ctx.read("db.enc.yaml"), before, "file unchanged");

    // The same key in its sorted place is accepted.
    let good_editor = ctx.write("good.sh", "#!/bin/sh\nawk '/^    api-key:/ {print \"    aaa: eg==\"} {print}' \"$1\" > \"$1.t\" && mv \"$1.t\" \"$1\"\n");
    std::fs::set_permissions(&good_editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let env = [
        ("EDITOR", good_editor.to_str().unwrap()),
        ("SOPS_EDITOR", ""),
        ("VISUAL", ""),
    ];
    let out = ctx.run_with(
        &hush_bin(),
        ["edit", "db.enc.yaml"],
        Some(&ctx.key_file),
        &env,
        None,
    );
    assert!(out.ok(), "{}", out.stderr);
    let doc = yaml(&ctx.sops_decrypt("db.enc.yaml", &[]));
    assert_eq!(doc["spec"]["data"]["aaa"].as_str(), Some("eg=="));
}

#[test]
fn refuses_bad_manifests_without_echoing_values() {
    let ctx = Ctx::new();
    ctx.write("bad64.yaml", &SECRET.replace("aHVudGVyMg==", "hunter2!!"));
    let out = ctx.hush(&["seal", "--age", &ctx.recipient, "bad64.yaml"]);
    assert!(!out.ok() && out.stderr.contains("base64"), "{}", out.stderr);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    ctx.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: hunter2\n",
    );
    let out = ctx.hush(&["seal", "--age", &ctx.recipient, "cm.yaml"]);
    assert!(
        !out.ok() && !out.stderr.contains("hunter2"),
        "{}",
        out.stderr
    );
}
