//! Exit codes for bad input match the real sops, case by case.

mod common;

use common::*;

#[test]
fn exit_codes_for_bad_input_match_sops() {
    let ctx = Ctx::new();
    ctx.write("plain.yaml", "a: 1\n");
    ctx.write("broken.yaml", "a: [\n");
    ctx.write("seq.yaml", "- a\n- b\n");
    let r = ctx.recipient.clone();
    // (what, hush args, sops args)
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "decrypt a file without metadata",
            vec!["decrypt", "plain.yaml"],
            vec!["-d", "plain.yaml"],
        ),
        (
            "decrypt invalid YAML",
            vec!["decrypt", "broken.yaml"],
            vec!["-d", "broken.yaml"],
        ),
        (
            "encrypt invalid YAML",
            vec!["encrypt", "--age", &r, "broken.yaml"],
            vec!["-e", "--age", &r, "broken.yaml"],
        ),
        (
            "encrypt a list document",
            vec!["encrypt", "--age", &r, "seq.yaml"],
            vec!["-e", "--age", &r, "seq.yaml"],
        ),
        (
            "encrypt with no keys at all",
            vec!["encrypt", "plain.yaml"],
            vec!["-e", "plain.yaml"],
        ),
        (
            "decrypt a missing file",
            vec!["decrypt", "nope.yaml"],
            vec!["-d", "nope.yaml"],
        ),
    ];
    for (what, h, s) in cases {
        let (ho, so) = (ctx.hush(&h), ctx.sops(&s));
        assert_ne!(so.code, 0, "{what}: sops unexpectedly succeeded");
        assert_eq!(
            ho.code,
            so.code,
            "{what}: hush exit {} ({}), sops exit {} ({})",
            ho.code,
            ho.stderr.trim(),
            so.code,
            so.stderr.trim()
        );
        assert_eq!(
            ho.stderr.lines().count(),
            1,
            "{what}: one line: {}",
            ho.stderr
        );
        assert!(
            ho.stdout.is_empty(),
            "{what}: nothing on stdout: {}",
            ho.stdout
        );
    }
}

/// sops reads `type:` with a greedy regex up to the last `]`: a value with
/// extra fields or brackets names an unknown type and is refused, `bytes`
/// makes sops panic, and text after the last `]` is ignored. hush refuses
/// exactly where sops does, and otherwise decrypts to the same text.
#[test]
fn enc_trailers_are_read_as_sops_reads_them() {
    let ctx = Ctx::new();
    ctx.write("p.yaml", "a: hello\nb: world\n");
    let enc = ctx.sops_encrypt("p.yaml", &[]);
    let tails = [
        "type:str]]",
        "type:str,foo:bar]",
        "type:str,type:int]",
        "type:str,x]",
        "type:str]x]",
        "type:bytes]",
        "type:str]junk",
    ];
    let mut refused = 0;
    for tail in tails {
        let file = format!("m{refused}-{}.yaml", tail.len());
        ctx.write(&file, &enc.replacen("type:str]", tail, 1));
        let (h, s) = (ctx.hush(&["decrypt", &file]), ctx.sops(&["-d", &file]));
        assert_eq!(h.ok(), s.ok(), "{tail}: hush {h:?} sops {s:?}");
        if s.ok() {
            assert_eq!(h.stdout, s.stdout, "{tail}");
        } else {
            assert!(!h.stderr.contains("hello"), "{tail}: {}", h.stderr);
            refused += 1;
        }
    }
    assert_eq!(refused, tails.len() - 1);
}

/// A closed stderr (`hush … 2>&1 | true`) keeps sops's exit code; printing
/// the error must not panic (Rust's exit 101).
#[test]
fn a_closed_stderr_keeps_the_exit_code() {
    let ctx = Ctx::new();
    let run = |stderr: std::process::Stdio| {
        std::process::Command::new(hush_bin())
            .args(["decrypt", "missing.yaml"])
            .current_dir(ctx.path(""))
            .stderr(stderr)
            .status()
            .unwrap()
            .code()
    };
    let normal = run(std::process::Stdio::null());
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    assert_eq!(run(writer.into()), normal);
    assert_ne!(normal, Some(101));
}

/// sops reads `sops.version` with a strict semver parser (after dropping a
/// leading `v`) and refuses a file whose version it cannot read, exit 1;
/// hush accepts and refuses the same versions with the same code.
#[test]
fn metadata_versions_are_refused_as_sops_refuses_them() {
    let ctx = Ctx::new();
    ctx.write("p.yaml", "a: CANARY-version-1\n");
    let enc = ctx.sops_encrypt("p.yaml", &[]);
    let versions = [
        "",
        "\"\"",
        "garbage",
        "3.7",
        "3.x.1",
        "03.7.1",
        "3.7.1-",
        "v3.11.0",
        "1.0.0",
        "3.11.0-rc1",
    ];
    for v in versions {
        let line = match v {
            "" => String::new(),
            v => format!("    version: {v}\n"),
        };
        let text: String = enc
            .lines()
            .map(|l| match l.starts_with("    version:") {
                true => line.clone(),
                false => format!("{l}\n"),
            })
            .collect();
        ctx.write("v.yaml", &text);
        let (h, s) = (
            ctx.hush(&["decrypt", "v.yaml"]),
            ctx.sops(&["-d", "v.yaml"]),
        );
        assert_eq!(
            h.code, s.code,
            "version {v:?}: hush {} sops {}",
            h.stderr, s.stderr
        );
        if s.code == 0 {
            assert_eq!(h.stdout, s.stdout, "version {v:?}");
        } else {
            assert!(!h.stdout.contains("CANARY") && !h.stderr.contains("CANARY"));
        }
    }
}
