//! `hush exec-env` and `hush exec-file` against the real `sops exec-env` /
//! `sops exec-file`: same output for the same file, exit status, cleanup.

mod common;

use common::*;
use std::path::Path;

const INPUT: &str = "# db credentials\nuser: admin\npassword: \"s3cr3t value\"\nport: 5432\nratio: 1.50\nbig: 1e3\nenabled: true\nempty: \"\"\nnothing: null\nmulti: |\n  line1\n  line2\nquote: it's \"q\"\n";

/// `INPUT` encrypted by sops and by hush.
fn encrypted(ctx: &Ctx) -> [&'static str; 2] {
    ctx.write("in.yaml", INPUT);
    let s = ctx.sops_encrypt("in.yaml", &[]);
    ctx.write("s.enc.yaml", &s);
    let h = ctx.hush_encrypt("in.yaml", &[]);
    ctx.write("h.enc.yaml", &h);
    ["s.enc.yaml", "h.enc.yaml"]
}

/// Sorted `NAME=value` lines a command sees (sh adds PWD; drop it).
fn env_lines(out: &str) -> Vec<String> {
    let mut l: Vec<String> = out
        .lines()
        .filter(|l| !l.starts_with("PWD=") && !l.starts_with("SHLVL=") && !l.starts_with("_="))
        .map(str::to_string)
        .collect();
    l.sort();
    l
}

#[test]
fn exec_env_pristine_environment_matches_sops() {
    let ctx = Ctx::new();
    for file in encrypted(&ctx) {
        let h = expect_ok(
            "hush exec-env",
            &ctx.hush(&["exec-env", "--pristine", file, "env"]),
        );
        let s = expect_ok(
            "sops exec-env",
            &ctx.sops(&["exec-env", "--pristine", file, "env"]),
        );
        assert_eq!(env_lines(&h), env_lines(&s), "{file}");
        assert!(h.contains("password=s3cr3t value\n"), "{file}: {h}");
        assert!(
            h.contains("big=1000.0\n") && h.contains("ratio=1.5\n"),
            "{h}"
        );
        assert!(
            h.contains("nothing=<nil>\n") && h.contains("enabled=true\n"),
            "{h}"
        );
    }
}

#[test]
fn exec_env_json_numbers_match_sops() {
    let ctx = Ctx::new();
    ctx.write(
        "in.json",
        r#"{"a": 1, "f": 1.50, "t": true, "n": null, "s": "x y"}"#,
    );
    let enc = ctx.sops_encrypt("in.json", &[]);
    ctx.write("s.enc.json", &enc);
    let h = expect_ok(
        "hush",
        &ctx.hush(&["exec-env", "--pristine", "s.enc.json", "env"]),
    );
    let s = expect_ok(
        "sops",
        &ctx.sops(&["exec-env", "--pristine", "s.enc.json", "env"]),
    );
    assert_eq!(env_lines(&h), env_lines(&s));
    assert!(h.contains("a=1.0\n"), "{h}");
}

/// Every store and value type, encrypted by sops and by hush, with values
/// kept in plaintext (`_u`) too: hush's environment is sops's, or both fail
/// with the same message.
#[test]
fn exec_env_values_of_every_store_and_type_match_sops() {
    let ctx = Ctx::new();
    let yaml = "i: 7\nhex: 0x1F\nf: 1.50\ne: 1e3\nbig: 1.0e21\nsmall: 0.0000001\ninf: .inf\nb: True\n\
        q: '7'\nd: 2024-01-02\nt: 2001-12-14t21:59:43.10-05:00\nt0: 2001-12-14T21:59:43+00:00\nn: ~\n";
    let plain_too = |text: &str| -> String {
        let kept: String = text
            .lines()
            .map(|l| l.replacen(':', "_u:", 1) + "\n")
            .collect();
        format!("{text}{kept}")
    };
    let json =
        r#"{"a": 1, "a_u": 1, "f": 1.50, "f_u": 1e3, "t": true, "n_u": null, "s": "2024-01-02"}"#;
    let cases = [
        ("v.yaml", plain_too(yaml)),
        ("v.json", format!("{json}\n")),
        ("v.env", "# c\nA=1e3\nB=a\\nb\nC_u=true\n".to_string()),
        ("v.ini", "top = 1\n[sec]\nk = 1.5\n".to_string()),
        ("w.ini", "[sec]\nk = 1.5\n".to_string()),
        ("v.bin", "hello\nworld 1.5\n".to_string()),
    ];
    for (name, text) in cases {
        ctx.write(name, &text);
        let extra = ["--unencrypted-suffix", "_u"];
        let extra: &[&str] = if name.ends_with(".bin") { &[] } else { &extra };
        for (who, enc) in [
            ("sops", ctx.sops_encrypt(name, extra)),
            ("hush", ctx.hush_encrypt(name, extra)),
        ] {
            let file = format!("{who}.{name}");
            ctx.write(&file, &enc);
            let h = ctx.hush(&["exec-env", "--pristine", &file, "env"]);
            let s = ctx.sops(&["exec-env", "--pristine", &file, "env"]);
            assert_eq!(
                (h.code, env_lines(&h.stdout)),
                (s.code, env_lines(&s.stdout)),
                "{file}"
            );
            let h_err = h.stderr.trim().trim_start_matches("hush: ");
            assert!(
                s.stderr.trim().ends_with(h_err),
                "{file}: {h_err} / {}",
                s.stderr
            );
        }
    }
}

#[test]
fn exec_env_adds_to_the_parent_environment_unless_pristine() {
    let ctx = Ctx::new();
    let [file, _] = encrypted(&ctx);
    let env = [("HUSH_PARENT", "from-parent"), ("user", "overridden")];
    let cmd = "echo \"$HUSH_PARENT/$user/$password\"";
    for (bin, sub) in [(hush_bin(), "exec-env"), (sops_bin(), "exec-env")] {
        let out = ctx.run_with(&bin, [sub, file, cmd], Some(&ctx.key_file), &env, None);
        assert_eq!(expect_ok(sub, &out), "from-parent/admin/s3cr3t value\n");
        let out = ctx.run_with(
            &bin,
            [sub, "--pristine", file, cmd],
            Some(&ctx.key_file),
            &env,
            None,
        );
        assert_eq!(expect_ok(sub, &out), "/admin/s3cr3t value\n");
    }
}

#[test]
fn exec_env_exits_with_the_command_status_like_sops() {
    let ctx = Ctx::new();
    let [file, _] = encrypted(&ctx);
    let h = ctx.hush(&["exec-env", file, "exit 7"]);
    let s = ctx.sops(&["exec-env", file, "exit 7"]);
    assert_eq!((h.code, s.code), (7, 7));
    let h = ctx.hush(&["exec-env", file, "kill -TERM $$"]);
    assert_eq!(h.code, 128 + 15);
}

#[test]
fn exec_env_appends_extra_words_quoted() {
    let ctx = Ctx::new();
    let [file, _] = encrypted(&ctx);
    let out = ctx.hush(&["exec-env", file, "printf '%s|'", "a b", "it's", "$password"]);
    assert_eq!(expect_ok("hush exec-env", &out), "a b|it's|$password|");
}

#[test]
fn exec_env_refuses_nested_values_naming_the_key_only() {
    let ctx = Ctx::new();
    ctx.write("n.yaml", "a: 1\nnested:\n  inner: very-secret-inner\n");
    let enc = ctx.sops_encrypt("n.yaml", &[]);
    ctx.write("n.enc.yaml", &enc);
    let h = ctx.hush(&["exec-env", "n.enc.yaml", "true"]);
    let s = ctx.sops(&["exec-env", "n.enc.yaml", "true"]);
    assert_eq!((h.code, s.code), (1, 1));
    assert!(h.stderr.contains("offending key nested"), "{}", h.stderr);
    assert!(!h.stderr.contains("very-secret-inner") && h.stdout.is_empty());
}

#[test]
fn exec_env_without_the_key_fails_like_decrypt() {
    let ctx = Ctx::new();
    let [file, _] = encrypted(&ctx);
    let (other, _) = ctx.other_key("other.txt");
    let h = ctx.run_with(
        &hush_bin(),
        ["exec-env", file, "echo ran"],
        Some(&other),
        &[],
        None,
    );
    let s = ctx.run_with(
        &sops_bin(),
        ["exec-env", file, "echo ran"],
        Some(&other),
        &[],
        None,
    );
    assert_eq!(h.code, s.code);
    assert_eq!(h.code, 128);
    assert!(!h.stdout.contains("ran"));
}

#[test]
fn exec_file_fifo_gives_the_same_content_as_sops() {
    let ctx = Ctx::new();
    for file in encrypted(&ctx) {
        let h = expect_ok("hush", &ctx.hush(&["exec-file", file, "cat {}"]));
        let s = expect_ok("sops", &ctx.sops(&["exec-file", file, "cat {}"]));
        // hush hands over what `hush decrypt` prints (the file's own bytes);
        // sops re-emits the YAML, so compare values with it on its own file.
        assert_eq!(h, ctx.hush_decrypt(file, &[]), "{file}");
        assert_eq!(s, ctx.sops_decrypt(file, &[]), "{file}");
        if file.starts_with("s.") {
            // sops writes the float 1e3 as the int 1000; hush as 1000.0.
            assert!(h.contains("big: 1000.0\n"), "{h}");
            let h = h.replace("big: 1000.0\n", "big: 1000\n");
            assert_same_yaml(file, &yaml(&h), &yaml(&s));
        }
    }
    let out = ctx.hush(&["exec-file", "h.enc.yaml", "test -p {} && stat -c %a {}"]);
    assert_eq!(expect_ok("fifo", &out), "600\n");
}

#[test]
fn exec_file_output_type_matches_sops() {
    let ctx = Ctx::new();
    let [file, _] = encrypted(&ctx);
    let args = ["exec-file", "--output-type", "json", file, "cat {}"];
    let h = expect_ok("hush", &ctx.hush(&args));
    let s = expect_ok("sops", &ctx.sops(&args));
    assert_same_json("exec-file json", &json(&h), &json(&s));
}

#[test]
fn exec_file_no_fifo_uses_a_private_file_removed_afterwards() {
    let ctx = Ctx::new();
    let [_, file] = encrypted(&ctx);
    let script = "stat -c %a {} $(dirname {}); basename {}; echo {} > where; cat {} > copy; exit 3";
    let out = ctx.hush(&[
        "exec-file",
        "--no-fifo",
        "--filename",
        "app.yaml",
        file,
        script,
    ]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(out.stdout, "600\n700\napp.yaml\n");
    assert_eq!(ctx.read("copy"), INPUT);
    let used = ctx.read("where");
    let used = Path::new(used.trim());
    assert!(
        !used.exists() && !used.parent().unwrap().exists(),
        "{used:?} left behind"
    );
}

#[test]
fn exec_file_fifo_directory_is_removed_and_status_kept() {
    let ctx = Ctx::new();
    let [file, _] = encrypted(&ctx);
    let out = ctx.hush(&["exec-file", file, "echo {} > where; exit 4"]);
    // sops races its FIFO writer against a command that never opens the
    // FIFO (exit 1 or 4 at random), so its side reads the FIFO first.
    let s = ctx.sops(&["exec-file", file, "cat {} >/dev/null; exit 4"]);
    assert_eq!((out.code, s.code), (4, 4));
    let used = ctx.read("where");
    assert!(!Path::new(used.trim()).parent().unwrap().exists());
}

#[test]
fn exec_file_rejects_a_filename_with_a_slash() {
    let ctx = Ctx::new();
    let [file, _] = encrypted(&ctx);
    let out = ctx.hush(&["exec-file", "--filename", "../x", file, "cat {}"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// Kills a `--no-fifo` exec-file with `signal` while its command runs; no
/// plaintext may remain in TMPDIR afterwards.
fn killed_exec_file_leaves_nothing(signal: &str) {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let ctx = Ctx::new();
    let [_, file] = encrypted(&ctx);
    let tmp = ctx.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut child = Command::new(hush_bin())
        .args(["exec-file", "--no-fifo", file])
        .arg("cat {} > seen; echo $$ > pid; exec sleep 60")
        .current_dir(ctx.dir.path())
        .env_remove("SOPS_AGE_KEY")
        .env("SOPS_AGE_KEY_FILE", &ctx.key_file)
        .env("TMPDIR", &tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let wait_for = |done: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for(&|| {
        ctx.path("pid").exists()
            && std::fs::read_to_string(ctx.path("pid"))
                .unwrap()
                .ends_with('\n')
    });
    let sleeper = ctx.read("pid").trim().to_string();
    assert_eq!(ctx.read("seen"), INPUT, "the command saw the plaintext");
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let _ = Command::new("kill").arg(&sleeper).status();
    let left = || std::fs::read_dir(&tmp).unwrap().count();
    wait_for(&|| left() == 0);
    let what: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(
        what.is_empty(),
        "after SIG{signal} ({status}): left in TMPDIR: {what:?}"
    );
}

#[test]
fn exec_file_no_fifo_killed_by_sigterm_leaves_no_plaintext() {
    killed_exec_file_leaves_nothing("TERM");
}

#[test]
fn exec_file_no_fifo_killed_by_sigkill_leaves_no_plaintext() {
    killed_exec_file_leaves_nothing("KILL");
}
