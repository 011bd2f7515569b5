//! `edit`, `set`, `unset`, `rotate` and `updatekeys` on real files, driven
//! non-interactively through EDITOR scripts, checked against the real sops.

mod common;

use common::*;
use std::path::Path;

const INPUT: &str =
    "# database\ndb:\n  user: admin # who\n  password: hunter2\nport: 5432\nlist:\n  - a\n  - b\n";

fn script(ctx: &Ctx, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let p = ctx.write(name, &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.display().to_string()
}

fn with_editor(ctx: &Ctx, args: &[&str], editor: &str, stdin: Option<&str>) -> Out {
    let tmp = ctx.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let env = [
        ("EDITOR", editor),
        ("SOPS_EDITOR", ""),
        ("VISUAL", ""),
        ("TMPDIR", tmp.to_str().unwrap()),
    ];
    ctx.run_with(&hush_bin(), args, Some(&ctx.key_file), &env, stdin)
}

/// Lines that differ between two files of the same length, by their key.
fn changed_keys(a: &str, b: &str) -> Vec<String> {
    assert_eq!(
        a.lines().count(),
        b.lines().count(),
        "line count changed:\n{a}\n---\n{b}"
    );
    a.lines()
        .zip(b.lines())
        .filter(|(x, y)| x != y)
        .map(|(x, _)| {
            x.trim_start()
                .trim_start_matches("- ")
                .split(':')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn no_plaintext_left(ctx: &Ctx) {
    let tmp = ctx.path("tmp");
    let left: Vec<_> = walk(&tmp);
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .flat_map(|e| {
                    if e.path().is_dir() {
                        let mut v = walk(&e.path());
                        v.push(e.path());
                        v
                    } else {
                        vec![e.path()]
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn encrypted(ctx: &Ctx) -> String {
    ctx.write("s.yaml", INPUT);
    expect_ok(
        "encrypt",
        &ctx.hush(&["encrypt", "--age", &ctx.recipient, "-i", "s.yaml"]),
    );
    ctx.read("s.yaml")
}

#[test]
fn editing_one_value_changes_only_its_line_and_the_mac() {
    let ctx = Ctx::new();
    let before = encrypted(&ctx);
    let ed = script(&ctx, "ed.sh", "sed -i 's/hunter2/correct-horse/' \"$1\"");
    expect_ok("edit", &with_editor(&ctx, &["edit", "s.yaml"], &ed, None));
    let after = ctx.read("s.yaml");
    let keys = changed_keys(&before, &after);
    assert!(
        keys == ["password", "mac"] || keys == ["password", "lastmodified", "mac"],
        "changed: {keys:?}"
    );
    assert_eq!(
        ctx.hush_decrypt("s.yaml", &[]),
        INPUT.replace("hunter2", "correct-horse")
    );
    let by_sops = ctx.sops_decrypt("s.yaml", &[]);
    assert_same_yaml(
        "sops -d after edit",
        &yaml(&by_sops),
        &yaml(&INPUT.replace("hunter2", "correct-horse")),
    );
    no_plaintext_left(&ctx);
}

#[test]
fn a_no_op_edit_leaves_the_file_byte_identical_and_exits_zero() {
    let ctx = Ctx::new();
    let before = encrypted(&ctx);
    let out = with_editor(&ctx, &["edit", "s.yaml"], "true", None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("has not changed"), "{}", out.stderr);
    assert_eq!(ctx.read("s.yaml"), before);
    no_plaintext_left(&ctx);
}

#[test]
fn an_invalid_edit_can_be_reopened_without_losing_the_text() {
    let ctx = Ctx::new();
    encrypted(&ctx);
    // First run breaks the YAML; the second (after Enter) repairs it.
    let ed = script(
        &ctx,
        "ed.sh",
        "if [ -f \"$0.ran\" ]; then sed -i 's/^  password: \\[$/  password: fixed/' \"$1\"; else touch \"$0.ran\"; sed -i 's/^  password: hunter2$/  password: [/' \"$1\"; fi",
    );
    let out = with_editor(&ctx, &["edit", "s.yaml"], &ed, Some("\n"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("invalid YAML"),
        "the error was shown: {}",
        out.stderr
    );
    assert_eq!(
        ctx.hush_decrypt("s.yaml", &[]),
        INPUT.replace("hunter2", "fixed")
    );
    no_plaintext_left(&ctx);
}

#[test]
fn a_crashed_editor_leaves_the_target_untouched_and_rescues_the_text_encrypted() {
    let ctx = Ctx::new();
    let before = encrypted(&ctx);
    let ed = script(
        &ctx,
        "ed.sh",
        "sed -i 's/hunter2/half-done/' \"$1\"; exit 3",
    );
    let out = with_editor(&ctx, &["edit", "s.yaml"], &ed, None);
    assert_eq!(out.code, 201, "{}", out.stderr);
    assert_eq!(ctx.read("s.yaml"), before, "target untouched");
    let rescue = ctx.read("s.yaml.hush-rescue");
    assert!(
        !rescue.contains("half-done") && !rescue.contains("hunter2"),
        "rescue is encrypted:\n{rescue}"
    );
    assert!(
        out.stderr.contains("hush edit --rescue s.yaml"),
        "says how to continue: {}",
        out.stderr
    );
    no_plaintext_left(&ctx);
    // Continue from the rescue; it is removed afterwards.
    expect_ok(
        "edit --rescue",
        &with_editor(&ctx, &["edit", "--rescue", "s.yaml"], "true", None),
    );
    assert_eq!(
        ctx.hush_decrypt("s.yaml", &[]),
        INPUT.replace("hunter2", "half-done")
    );
    assert!(!ctx.path("s.yaml.hush-rescue").exists());
}

#[test]
fn terminating_hush_mid_edit_removes_the_plaintext() {
    let ctx = Ctx::new();
    let before = encrypted(&ctx);
    let ed = script(&ctx, "ed.sh", "kill -TERM $PPID; sleep 5");
    let out = with_editor(&ctx, &["edit", "s.yaml"], &ed, None);
    assert_eq!(out.code, 128 + 15, "{}", out.stderr);
    assert_eq!(ctx.read("s.yaml"), before);
    no_plaintext_left(&ctx);
}

#[test]
fn killing_hush_with_sigkill_mid_edit_leaves_no_plaintext_behind() {
    let ctx = Ctx::new();
    let before = encrypted(&ctx);
    let ed = script(&ctx, "ed.sh", "kill -KILL $PPID; sleep 1");
    let out = with_editor(&ctx, &["edit", "s.yaml"], &ed, None);
    assert_eq!(out.code, -1, "killed by a signal: {}", out.stderr);
    assert_eq!(ctx.read("s.yaml"), before);
    // The watchdog notices within a fraction of a second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !walk(&ctx.path("tmp")).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    no_plaintext_left(&ctx);
}

#[test]
fn a_new_file_is_created_from_the_matching_creation_rule() {
    let ctx = Ctx::new();
    ctx.write(".sops.yaml", &format!("creation_rules:\n  - path_regex: \\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: {}\n", ctx.recipient));
    let ed = script(
        &ctx,
        "ed.sh",
        "printf 'kind: Secret\\nstringData:\\n  token: CANARY-new-7f3a\\n' > \"$1\"",
    );
    expect_ok(
        "edit new",
        &with_editor(&ctx, &["edit", "new.yaml"], &ed, None),
    );
    let enc = ctx.read("new.yaml");
    assert!(
        enc.contains("kind: Secret")
            && !enc.contains("CANARY-new-7f3a")
            && enc.contains("encrypted_regex"),
        "{enc}"
    );
    assert_same_yaml(
        "sops -d",
        &yaml(&ctx.sops_decrypt("new.yaml", &[])),
        &yaml("kind: Secret\nstringData:\n  token: CANARY-new-7f3a\n"),
    );
}

#[test]
fn set_and_unset_change_only_their_lines_and_sops_reads_the_result() {
    let ctx = Ctx::new();
    let before = encrypted(&ctx);
    expect_ok(
        "set",
        &ctx.hush(&["set", "s.yaml", r#"["db"]["password"]"#, r#""s3cret""#]),
    );
    let after = ctx.read("s.yaml");
    let keys = changed_keys(&before, &after);
    assert!(
        keys == ["password", "mac"] || keys == ["password", "lastmodified", "mac"],
        "changed: {keys:?}"
    );
    // Setting the same value again changes nothing at all.
    expect_ok(
        "set again",
        &ctx.hush(&[
            "set",
            "--idempotent",
            "s.yaml",
            r#"["db"]["password"]"#,
            r#""s3cret""#,
        ]),
    );
    assert_eq!(ctx.read("s.yaml"), after);
    expect_ok("unset", &ctx.hush(&["unset", "s.yaml", r#"["list"][0]"#]));
    expect_ok(
        "add",
        &ctx.hush(&["set", "s.yaml", r#"["db"]["host"]"#, r#""db.local""#]),
    );
    let expected = INPUT
        .replace("hunter2", "s3cret")
        .replace("  - a\n", "")
        .replace(
            "  password: s3cret\n",
            "  password: s3cret\n  host: db.local\n",
        );
    assert_eq!(ctx.hush_decrypt("s.yaml", &[]), expected);
    assert_same_yaml(
        "sops -d after set/unset",
        &yaml(&ctx.sops_decrypt("s.yaml", &[])),
        &yaml(&expected),
    );
    let missing = ctx.hush(&["unset", "s.yaml", r#"["nope"]"#]);
    assert_ne!(missing.code, 0);
    expect_ok(
        "unset --idempotent",
        &ctx.hush(&["unset", "--idempotent", "s.yaml", r#"["nope"]"#]),
    );
}

#[test]
fn set_works_on_any_document_of_a_multi_document_file() {
    let ctx = Ctx::new();
    ctx.write("m.yaml", "a: 1\n---\nb: 2\n");
    expect_ok(
        "encrypt",
        &ctx.hush(&["encrypt", "--age", &ctx.recipient, "-i", "m.yaml"]),
    );
    expect_ok(
        "set doc 1",
        &ctx.hush(&["set", "--document", "1", "m.yaml", r#"["b"]"#, "3"]),
    );
    assert_eq!(ctx.hush_decrypt("m.yaml", &[]), "a: 1\n---\nb: 3\n");
    assert_same_yaml(
        "sops doc",
        &yaml_docs(&ctx.sops_decrypt("m.yaml", &[]))[1],
        &yaml("b: 3\n"),
    );
}

#[test]
fn rotate_makes_a_new_data_key_that_sops_reads_and_can_add_and_remove_recipients() {
    let ctx = Ctx::new();
    let before = encrypted(&ctx);
    let (other_key, other) = ctx.other_key("other.txt");
    expect_ok(
        "rotate",
        &ctx.hush(&["rotate", "-i", "--add-age", &other, "s.yaml"]),
    );
    let after = ctx.read("s.yaml");
    assert_ne!(
        before.lines().nth(3),
        after.lines().nth(3),
        "values re-encrypted"
    );
    for key in [&ctx.key_file, &other_key] {
        let out = ctx.run_with(&sops_bin(), ["-d", "s.yaml"], Some(key), &[], None);
        assert_same_yaml(
            "sops -d after rotate",
            &yaml(&expect_ok("sops", &out)),
            &yaml(INPUT),
        );
    }
    expect_ok(
        "rotate rm",
        &ctx.hush(&["rotate", "-i", "--rm-age", &other, "s.yaml"]),
    );
    let out = ctx.run_with(
        &hush_bin(),
        ["decrypt", "s.yaml"],
        Some(&other_key),
        &[],
        None,
    );
    assert_eq!(
        out.code, 128,
        "removed recipient can no longer decrypt: {}",
        out.stderr
    );
    // And hush reads what sops rotated.
    expect_ok("sops rotate", &ctx.sops(&["rotate", "-i", "s.yaml"]));
    assert_same_yaml(
        "hush after sops rotate",
        &yaml(&ctx.hush_decrypt("s.yaml", &[])),
        &yaml(INPUT),
    );
}

#[test]
fn updatekeys_syncs_recipients_with_the_rule_and_keeps_the_values() {
    let ctx = Ctx::new();
    let before = encrypted(&ctx);
    let (other_key, other) = ctx.other_key("other.txt");
    ctx.write(
        ".sops.yaml",
        &format!("creation_rules:\n  - age: {}, {other}\n", ctx.recipient),
    );
    let out = ctx.run_with(
        &hush_bin(),
        ["updatekeys", "s.yaml"],
        Some(&ctx.key_file),
        &[],
        Some("n\n"),
    );
    assert!(
        out.stderr.contains(&format!("+ {other}")),
        "shows the diff: {}",
        out.stderr
    );
    assert_eq!(ctx.read("s.yaml"), before, "declined");
    expect_ok("updatekeys -y", &ctx.hush(&["updatekeys", "-y", "s.yaml"]));
    let after = ctx.read("s.yaml");
    let body = |t: &str| t.split("sops:").next().unwrap().to_string();
    assert_eq!(
        body(&after),
        body(&before),
        "values and their ciphertext unchanged"
    );
    let out = ctx.run_with(&sops_bin(), ["-d", "s.yaml"], Some(&other_key), &[], None);
    assert_same_yaml(
        "new recipient via sops",
        &yaml(&expect_ok("sops", &out)),
        &yaml(INPUT),
    );
    let again = expect_ok_err(&ctx.hush(&["updatekeys", "-y", "s.yaml"]));
    assert!(again.contains("already match"), "{again}");
}

fn expect_ok_err(out: &Out) -> String {
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stderr.clone()
}

#[test]
fn rotate_and_updatekeys_take_several_files_and_directories() {
    let ctx = Ctx::new();
    std::fs::create_dir_all(ctx.path("dir/sub")).unwrap();
    let names = ["dir/a.yaml", "dir/sub/b.yaml", "dir/c.json"];
    for n in names {
        let text = if n.ends_with(".json") {
            "{\"k\": \"v\"}\n"
        } else {
            "k: v\n"
        };
        ctx.write(n, text);
        expect_ok(
            "encrypt",
            &ctx.hush(&["encrypt", "--age", &ctx.recipient, "-i", n]),
        );
    }
    ctx.write("dir/plain.yaml", "not: encrypted\n");
    let before: Vec<String> = names.iter().map(|n| ctx.read(n)).collect();
    let one = ctx.hush(&["rotate", "dir/a.yaml", "dir/c.json"]);
    assert_ne!(one.code, 0, "several files need -i");
    expect_ok("rotate -r", &ctx.hush(&["rotate", "-i", "-r", "dir"]));
    for (n, b) in names.iter().zip(&before) {
        assert_ne!(&ctx.read(n), b, "{n} rotated");
        let by_sops = ctx.sops_decrypt(n, &[]);
        let want = if n.ends_with(".json") {
            "{\"k\": \"v\"}"
        } else {
            "k: v"
        };
        assert_eq!(yaml(&by_sops), yaml(want), "{n}");
    }
    assert_eq!(ctx.read("dir/plain.yaml"), "not: encrypted\n");
    // Dropping a recipient without rotating warns that it keeps the old data key.
    let (_, other) = ctx.other_key("other.txt");
    ctx.write(
        ".sops.yaml",
        &format!("creation_rules:\n  - age: {}, {other}\n", ctx.recipient),
    );
    expect_ok("add", &ctx.hush(&["updatekeys", "-y", "-r", "dir"]));
    ctx.write(
        ".sops.yaml",
        &format!("creation_rules:\n  - age: {}\n", ctx.recipient),
    );
    let out = ctx.hush(&["updatekeys", "-y", "dir/a.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("still hold the old data key"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_planted_rescue_symlink_is_replaced_never_written_through() {
    use std::os::unix::fs::PermissionsExt;
    let ctx = Ctx::new();
    let before = encrypted(&ctx);
    let victim = ctx.write("victim.txt", "precious\n");
    std::os::unix::fs::symlink(&victim, ctx.path("s.yaml.hush-rescue")).unwrap();
    let ed = script(
        &ctx,
        "ed.sh",
        "sed -i 's/hunter2/half-done/' \"$1\"; exit 3",
    );
    let out = with_editor(&ctx, &["edit", "s.yaml"], &ed, None);
    assert_eq!(out.code, 201, "{}", out.stderr);
    assert_eq!(
        ctx.read("victim.txt"),
        "precious\n",
        "the link target is untouched"
    );
    assert_eq!(ctx.read("s.yaml"), before, "target untouched");
    let rescue = ctx.path("s.yaml.hush-rescue");
    let meta = std::fs::symlink_metadata(&rescue).unwrap();
    assert!(meta.is_file(), "the link was replaced by a regular file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(
        out.stderr.contains("saved encrypted in s.yaml.hush-rescue"),
        "says where: {}",
        out.stderr
    );
    no_plaintext_left(&ctx);
    expect_ok(
        "edit --rescue",
        &with_editor(&ctx, &["edit", "--rescue", "s.yaml"], "true", None),
    );
    assert_eq!(
        ctx.hush_decrypt("s.yaml", &[]),
        INPUT.replace("hunter2", "half-done")
    );
}

#[test]
fn edit_rescue_refuses_a_symlink() {
    let ctx = Ctx::new();
    let before = encrypted(&ctx);
    let victim = ctx.write("victim.txt", "precious\n");
    std::os::unix::fs::symlink(&victim, ctx.path("s.yaml.hush-rescue")).unwrap();
    let out = with_editor(&ctx, &["edit", "--rescue", "s.yaml"], "true", None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("symbolic link"), "{}", out.stderr);
    assert_eq!(ctx.read("s.yaml"), before);
    assert_eq!(ctx.read("victim.txt"), "precious\n");
}

#[test]
fn the_rescue_copy_is_fully_encrypted_even_under_a_narrow_selector() {
    let ctx = Ctx::new();
    ctx.write("s.yaml", INPUT);
    expect_ok(
        "encrypt",
        &ctx.hush(&[
            "encrypt",
            "--age",
            &ctx.recipient,
            "--encrypted-regex",
            "^password$",
            "-i",
            "s.yaml",
        ]),
    );
    let ed = script(
        &ctx,
        "ed.sh",
        "sed -i 's/hunter2/half-done/' \"$1\"; exit 3",
    );
    let out = with_editor(&ctx, &["edit", "s.yaml"], &ed, None);
    assert_eq!(out.code, 201, "{}", out.stderr);
    let rescue = ctx.read("s.yaml.hush-rescue");
    for plain in ["half-done", "admin", "database"] {
        assert!(
            !rescue.contains(plain),
            "`{plain}` in the rescue copy:\n{rescue}"
        );
    }
    expect_ok(
        "edit --rescue",
        &with_editor(&ctx, &["edit", "--rescue", "s.yaml"], "true", None),
    );
    assert_eq!(
        ctx.hush_decrypt("s.yaml", &[]),
        INPUT.replace("hunter2", "half-done")
    );
}

#[test]
fn set_never_echoes_a_value_that_is_not_json() {
    let ctx = Ctx::new();
    encrypted(&ctx);
    let out = ctx.hush(&["set", "s.yaml", r#"["db"]["password"]"#, "s3cr3t-unquoted"]);
    assert_ne!(out.code, 0);
    assert!(!out.stderr.contains("s3cr3t-unquoted"), "{}", out.stderr);
    assert!(out.stderr.contains("JSON quotes"), "{}", out.stderr);
}

#[test]
fn set_reads_the_value_from_a_file_or_stdin() {
    let ctx = Ctx::new();
    encrypted(&ctx);
    ctx.write("v.json", "\"from-file\"");
    expect_ok(
        "value-file",
        &ctx.hush(&[
            "set",
            "--value-file",
            "v.json",
            "s.yaml",
            r#"["db"]["user"]"#,
        ]),
    );
    let out = ctx.hush_stdin(&["set", "--value-stdin", "s.yaml", r#"["port"]"#], "6543");
    expect_ok("value-stdin", &out);
    let expected = INPUT
        .replace("user: admin", "user: from-file")
        .replace("5432", "6543");
    assert_eq!(ctx.hush_decrypt("s.yaml", &[]), expected);
}

#[test]
fn a_new_file_the_editor_leaves_empty_is_not_created() {
    let ctx = Ctx::new();
    let out = with_editor(
        &ctx,
        &["edit", "--age", &ctx.recipient, "new.yaml"],
        "true",
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!ctx.path("new.yaml").exists(), "nothing written");
    assert!(
        !ctx.path("new.yaml.hush-rescue").exists(),
        "nothing to rescue"
    );
    no_plaintext_left(&ctx);
}

/// SIGTERM or SIGHUP to hush while the editor runs: the editor ends with
/// hush, the plaintext dir is removed, and the file is unchanged.
#[test]
fn a_signal_to_hush_mid_edit_ends_the_editor_too() {
    for (sig, num) in [("TERM", 15), ("HUP", 1)] {
        let ctx = Ctx::new();
        let before = encrypted(&ctx);
        let pid_file = ctx.path("editor.pid");
        // The editor keeps no pipe of hush's open, so hush's exit is seen at once.
        let body = format!(
            "echo $$ > '{}'; kill -{sig} $PPID; exec sleep 60 </dev/null >/dev/null 2>&1",
            pid_file.display()
        );
        let ed = script(&ctx, "ed.sh", &body);
        let out = with_editor(&ctx, &["edit", "s.yaml"], &ed, None);
        assert_eq!(out.code, 128 + num, "{sig}: {}", out.stderr);
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let proc_dir = Path::new("/proc").join(pid.trim());
        let alive = proc_dir.exists();
        if alive {
            let _ = std::process::Command::new("kill").arg(pid.trim()).status();
        }
        assert!(!alive, "{sig}: the editor {} outlived hush", pid.trim());
        assert_eq!(ctx.read("s.yaml"), before, "{sig}");
        no_plaintext_left(&ctx);
    }
}
