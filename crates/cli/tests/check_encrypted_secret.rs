//! `hush check` on EncryptedSecrets hush-controller would refuse: written
//! by hand with plaintext values (alone or as `kind: List` items), or
//! sealed and then stripped of `spec.scope`. Text and SARIF, exit code 1.

mod common;

use common::{expect_ok, hush_bin, Ctx, Out};

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  password: hunter2\n";
const BY_HAND: &str = "apiVersion: hush.dev/v1alpha1\nkind: EncryptedSecret\nmetadata:\n  name: db\n  namespace: prod\nspec:\n  scope: strict:prod/db\n  stringData:\n    password: hunter2\n";
const IN_LIST: &str = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: hush.dev/v1alpha1\n    kind: EncryptedSecret\n    metadata:\n      name: db\n    spec:\n      data:\n        password: aHVudGVyMg==\n";
const AS_JSON: &str = "{\"apiVersion\": \"hush.dev/v1alpha1\", \"kind\": \"EncryptedSecret\",\n \"metadata\": {\"name\": \"db\"},\n \"spec\": {\"scope\": \"cluster\", \"data\": {\"password\": \"aHVudGVyMg==\"}}}\n";

fn check(ctx: &Ctx, args: &[&str]) -> Out {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    ctx.run_with(&hush_bin(), &all, None, &[("NO_COLOR", "1")], None)
}

/// The `(ruleId, line)` of each SARIF result.
fn sarif_results(ctx: &Ctx, file: &str) -> Vec<(String, u64)> {
    let out = check(ctx, &["--format", "sarif", file]);
    assert_eq!(out.code, 1, "{out:?}");
    let sarif = common::json(&out.stdout);
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let line = &r["locations"][0]["physicalLocation"]["region"]["startLine"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                line.as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_hand_written_encrypted_secret_is_a_finding() {
    let ctx = Ctx::new();
    for (file, text, kind_line, value_line, field) in [
        ("es.yaml", BY_HAND, 2, 8, "spec.stringData"),
        ("list.yaml", IN_LIST, 5, 9, "spec.data"),
        ("es.json", AS_JSON, 1, 3, "spec.data"),
    ] {
        ctx.write(file, text);
        let out = check(&ctx, &[file]);
        assert_eq!(out.code, 1, "{file}: {out:?}");
        assert!(!out.stdout.contains("hunter2") && !out.stdout.contains("aHVudGVy"));
        let lines: Vec<&str> = out.stdout.lines().filter(|l| !l.starts_with(' ')).collect();
        assert_eq!(lines.len(), 2, "{file}: {}", out.stdout);
        assert!(
            lines[0].starts_with(&format!("{file}:{kind_line}:"))
                && lines[0].contains(
                    "invalid-encrypted-secret: EncryptedSecret `db` has no sops metadata"
                ),
            "{file}: {}",
            lines[0]
        );
        assert!(
            lines[1].starts_with(&format!("{file}:{value_line}:"))
                && lines[1].ends_with(&format!(
                    "plaintext-secret: EncryptedSecret `db` has 1 plaintext value in `{field}`"
                )),
            "{file}: {}",
            lines[1]
        );
        assert_eq!(
            sarif_results(&ctx, file),
            [
                ("invalid-encrypted-secret".to_string(), kind_line),
                ("plaintext-secret".to_string(), value_line)
            ]
        );
    }
}

#[test]
fn an_encrypted_secret_without_its_scope_is_a_finding() {
    let ctx = Ctx::new();
    ctx.write("secret.yaml", SECRET);
    let sealed = expect_ok(
        "hush seal",
        &ctx.hush(&["seal", "--age", &ctx.recipient, "secret.yaml"]),
    );
    ctx.write("sealed.yaml", &sealed);
    let out = check(&ctx, &["sealed.yaml"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out:?}");
    let stripped: String = sealed
        .lines()
        .filter(|l| !l.trim_start().starts_with("scope:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(stripped, sealed);
    ctx.write("stripped.yaml", &stripped);
    let out = check(&ctx, &["stripped.yaml"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.starts_with(
            "stripped.yaml:2:7: invalid-encrypted-secret: EncryptedSecret `db` has no `spec.scope`"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(
        sarif_results(&ctx, "stripped.yaml"),
        [("invalid-encrypted-secret".to_string(), 2)]
    );
    // An emptied scope binds nothing either.
    let line = sealed
        .lines()
        .find(|l| l.trim_start().starts_with("scope:"))
        .unwrap();
    let indent = &line[..line.len() - line.trim_start().len()];
    for empty in ["\"\"", "null", "~", "{}", "[]"] {
        ctx.write(
            "emptied.yaml",
            &sealed.replace(line, &format!("{indent}scope: {empty}")),
        );
        let out = check(&ctx, &["emptied.yaml"]);
        assert_eq!(out.code, 1, "{empty}: {out:?}");
        assert!(
            out.stdout.contains("has no `spec.scope`"),
            "{empty}: {out:?}"
        );
    }
    // The rule can be turned off like any other.
    let out = check(
        &ctx,
        &["--disable", "invalid-encrypted-secret", "stripped.yaml"],
    );
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn a_manifest_is_checked_whatever_its_name() {
    let ctx = Ctx::new();
    for name in ["s.YAML", "s.Yml", "s.txt", "s.j2", "s.gotmpl", "manifest"] {
        ctx.write(name, SECRET);
        let out = check(&ctx, &[name]);
        assert_eq!(out.code, 1, "{name}: {out:?}");
        assert!(out.stdout.contains("plaintext-secret"), "{name}: {out:?}");
    }
    ctx.write("notes.txt", "kind of a note, no manifest\n");
    let out = check(&ctx, &["notes.txt"]);
    assert_eq!(out.code, 0, "{out:?}");
}
