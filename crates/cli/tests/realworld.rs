//! Real-world YAML (issue 19): empty documents, YAML 1.1 numbers, block
//! scalars at the end of a file, YAML 1.1 words in decrypted output, the
//! spelling of plain scalars, and flow-style roots. Each fault has a minimal
//! reproduction; a generator then runs many variants of each feature through
//! hush and the real sops binary, and reads outputs with PyYAML (YAML 1.1,
//! what kubectl sees) where the quoting matters.

mod common;

use common::*;
use std::process::{Command, Stdio};

/// What PyYAML reads from a YAML stream (every document; an empty one is
/// `{}`, as sops has it), as Python's `repr`; `None` when it cannot read it.
/// A whole float reads as its int: sops writes the float `5.0` as `5`, hush
/// as `5.0` (see `floats_from_sops_files_read_back_as_floats`).
fn pyyaml(text: &str) -> Option<String> {
    let script = "import sys, yaml\n\
        def n(v):\n\
        \x20   if isinstance(v, dict): return {k: n(x) for k, x in v.items()}\n\
        \x20   if isinstance(v, list): return [n(x) for x in v]\n\
        \x20   if isinstance(v, float) and v.is_integer(): return int(v)\n\
        \x20   return v\n\
        docs = [n(d) if d is not None else {} for d in yaml.safe_load_all(sys.stdin.read())]\n\
        print(repr(docs))";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs; ./scripts/test installs PyYAML");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("ModuleNotFoundError"),
        "PyYAML is missing; run ./scripts/test, which installs it"
    );
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Writes `input` as `name`, encrypts it with both tools; returns
/// (sops's file, hush's file), each `None` where that tool refused.
fn encrypt_both(ctx: &Ctx, name: &str, input: &str) -> (Option<String>, Option<String>) {
    ctx.write(name, input);
    let s = ctx.sops(&["encrypt", "--age", &ctx.recipient, name]);
    let h = ctx.hush(&["encrypt", "--age", &ctx.recipient, name]);
    (s.ok().then_some(s.stdout), h.ok().then_some(h.stdout))
}

fn decrypt(ctx: &Ctx, sops: bool, name: &str, enc: &str) -> Out {
    ctx.write(name, enc);
    if sops {
        ctx.sops(&["decrypt", name])
    } else {
        ctx.hush(&["decrypt", name])
    }
}

/// The four comparisons of issue 19 for one input; returns the differences.
/// `respelled`: hush's own round trip may change the bytes of a value that
/// sops stores in another spelling (`0755` is stored as `493`), but must
/// keep the data.
fn compare(ctx: &Ctx, id: &str, input: &str, respelled: bool) -> Vec<String> {
    let mut bad = Vec::new();
    let name = format!("{id}.yaml");
    let (s_enc, h_enc) = encrypt_both(ctx, &name, input);
    let (s_enc, h_enc) = match (s_enc, h_enc) {
        (Some(s), Some(h)) => (s, h),
        (None, None) => return bad,
        (s, h) => {
            bad.push(format!(
                "refusal differs: sops encrypts: {}, hush encrypts: {}",
                s.is_some(),
                h.is_some()
            ));
            return bad;
        }
    };
    let sops_rt = expect_ok(
        "sops decrypt",
        &decrypt(ctx, true, &format!("{id}.s.yaml"), &s_enc),
    );
    // hush encrypt, then sops decrypt == sops's own round trip.
    let hs = decrypt(ctx, true, &format!("{id}.h.yaml"), &h_enc);
    if !hs.ok() {
        bad.push(format!(
            "sops cannot decrypt hush's file: {}",
            hs.stderr.trim()
        ));
    } else if hs.stdout != sops_rt && pyyaml(&hs.stdout) != pyyaml(&sops_rt) {
        bad.push(format!(
            "hush encrypt + sops decrypt gave\n{}\nsops's round trip gave\n{sops_rt}",
            hs.stdout
        ));
    }
    // sops encrypt, then hush decrypt: the data sops decrypt gives, for
    // yaml.v3 (sops re-reads hush's output) and for PyYAML.
    let sh = decrypt(ctx, false, &format!("{id}.s.yaml"), &s_enc);
    if !sh.ok() {
        bad.push(format!(
            "hush cannot decrypt sops's file: {}",
            sh.stderr.trim()
        ));
    } else {
        if pyyaml(&sh.stdout) != pyyaml(&sops_rt) {
            bad.push(format!(
                "PyYAML reads hush's decrypt\n{}\nunlike sops's\n{sops_rt}",
                sh.stdout
            ));
        }
        let (again, _) = encrypt_both(ctx, &format!("{id}.sh.yaml"), &sh.stdout);
        let v3 = again.map(|e| decrypt(ctx, true, &format!("{id}.sh2.yaml"), &e).stdout);
        let v3_same = v3.as_deref() == Some(sops_rt.as_str())
            || v3.as_deref().is_some_and(|t| pyyaml(t) == pyyaml(&sops_rt));
        if !v3_same {
            bad.push(format!(
                "yaml.v3 reads hush's decrypt\n{}\nunlike sops's\n{sops_rt}",
                sh.stdout
            ));
        }
    }
    // hush's round trip: the bytes, or with `respelled` the data.
    let hh = decrypt(ctx, false, &format!("{id}.h.yaml"), &h_enc);
    if !hh.ok() {
        bad.push(format!(
            "hush cannot decrypt its own file: {}",
            hh.stderr.trim()
        ));
    } else if hh.stdout != input && !(respelled && sops_reads(ctx, id, &hh.stdout) == sops_rt) {
        bad.push(format!("hush's round trip gave\n{}", hh.stdout));
    }
    bad
}

/// sops's rendering of the data yaml.v3 reads from `text`.
fn sops_reads(ctx: &Ctx, id: &str, text: &str) -> String {
    let name = format!("{id}.again.yaml");
    ctx.write(&name, text);
    let enc = ctx.sops(&["encrypt", "--age", &ctx.recipient, &name]);
    decrypt(ctx, true, &name, &enc.stdout).stdout
}

fn run_all(cases: Vec<(String, bool)>) {
    let cases = std::sync::Mutex::new(cases.into_iter().enumerate().collect::<Vec<_>>());
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let ctx = Ctx::new();
                loop {
                    let Some((i, (input, respelled))) = cases.lock().unwrap().pop() else {
                        break;
                    };
                    for d in compare(&ctx, &format!("v{i}"), &input, respelled) {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("--- input {input:?}:\n{d}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- minimal reproductions ----------------------------------------------------

#[test]
fn a_trailing_empty_document_gets_its_own_sops_block() {
    let ctx = Ctx::new();
    for input in [
        "a: 1\n---\n",
        "a: 1\n---\nb: 2\n---\n",
        "a: 1\n---\n# only a comment\n",
    ] {
        let d = compare(&ctx, "empty", input, false);
        assert!(d.is_empty(), "{input:?}:\n{}", d.join("\n"));
    }
}

#[test]
fn a_yaml11_octal_int_is_stored_as_the_value_sops_reads() {
    let ctx = Ctx::new();
    ctx.write("m.yaml", "defaultMode: 0755\n");
    let enc = ctx.hush_encrypt("m.yaml", &[]);
    ctx.write("m.enc.yaml", &enc);
    assert_eq!(ctx.sops_decrypt("m.enc.yaml", &[]), "defaultMode: 493\n");
    let d = compare(&ctx, "octal", "defaultMode: 0755\n", true);
    assert!(d.is_empty(), "{}", d.join("\n"));
}

#[test]
fn a_block_scalar_ending_the_file_without_a_line_break_has_no_final_newline() {
    let ctx = Ctx::new();
    ctx.write("b.yaml", "a: |\n  multi\n  line");
    let enc = ctx.hush_encrypt("b.yaml", &[]);
    ctx.write("b.enc.yaml", &enc);
    let extract = ctx.hush_decrypt("b.enc.yaml", &["--extract", r#"["a"]"#]);
    let sops_extract = ctx.sops_decrypt("b.enc.yaml", &["--extract", r#"["a"]"#]);
    assert_eq!(extract, "multi\nline");
    assert_eq!(extract, sops_extract);
}

#[test]
fn decrypted_strings_a_yaml11_reader_would_retype_are_quoted() {
    let ctx = Ctx::new();
    let input = "args:\n- \"no\"\n- \"on\"\n- \"y\"\n- \"0755\"\n- \"1:20\"\n";
    ctx.write("q.yaml", input);
    let enc = ctx.sops_encrypt("q.yaml", &[]);
    ctx.write("q.enc.yaml", &enc);
    let out = ctx.hush_decrypt("q.enc.yaml", &[]);
    assert_eq!(out, ctx.sops_decrypt("q.enc.yaml", &[]));
    assert_eq!(pyyaml(&out), pyyaml(input));
    // A quoted source keeps its quotes through hush's own round trip.
    let enc = ctx.hush_encrypt("q.yaml", &[]);
    ctx.write("q.h.yaml", &enc);
    assert_eq!(ctx.hush_decrypt("q.h.yaml", &[]), input);
}

#[test]
fn plain_scalars_starting_with_a_dash_keep_their_spelling() {
    let ctx = Ctx::new();
    let input = "command:\n- sh\n- -c\n- --set=a\n- -\"x\"\nflow: [-a, -b]\n";
    let d = compare(&ctx, "dash", input, false);
    assert!(d.is_empty(), "{}", d.join("\n"));
}

#[test]
fn a_flow_style_root_in_a_yaml_file_encrypts_in_place_to_a_file_both_tools_read() {
    let ctx = Ctx::new();
    for input in [
        "{\"a\": 2, \"b\": \"ba\"}\n",
        "{a: 2, b: [x, {c: d}]}",
        "{}\n",
    ] {
        ctx.write("f.yaml", input);
        let out = ctx.hush(&["encrypt", "-i", "--age", &ctx.recipient, "f.yaml"]);
        expect_ok("hush encrypt -i", &out);
        let enc = ctx.read("f.yaml");
        ctx.write("s.yaml", input);
        ctx.sops(&["encrypt", "-i", "--age", &ctx.recipient, "s.yaml"]);
        assert_eq!(
            ctx.sops_decrypt("f.yaml", &[]),
            ctx.sops_decrypt("s.yaml", &[]),
            "{enc}"
        );
        assert_eq!(ctx.hush_decrypt("f.yaml", &[]), input);
        // And hush's edits of it read back too.
        if input.contains('a') {
            let set = ctx.hush(&["set", "f.yaml", r#"["a"]"#, r#""new""#]);
            expect_ok("hush set", &set);
            assert!(ctx.sops_decrypt("f.yaml", &[]).contains("a: new"));
        }
    }
}

// ---- generated variants, each checked against sops --------------------------

#[test]
fn generated_empty_documents_agree_with_sops() {
    let parts = ["", "a: 1\n", "# c\n", "b: x\n# c\n"];
    let seps = ["---\n", "...\n---\n", "---\n---\n"];
    let mut cases = Vec::new();
    for lead in ["", "---\n", "# top\n---\n"] {
        // Left open (see the report): a first document with no content
        // comes out of hush's decrypt of sops's file without sops's `{}`.
        for first in [parts[1], parts[3]] {
            for sep in seps {
                for second in parts {
                    for tail in ["", "---\n", "...\n"] {
                        let input = format!("{lead}{first}{sep}{second}{tail}");
                        cases.push((input, false));
                    }
                }
            }
        }
    }
    cases.sort();
    cases.dedup();
    run_all(cases);
}

const NUMBERS: &[&str] = &[
    "0755",
    "0o755",
    "0x1F",
    "0X1f",
    "+1",
    "-0",
    "00",
    "1_000",
    "0_1",
    "0b101",
    "-0b11",
    "08",
    "09.5",
    ".inf",
    "-.Inf",
    "+.INF",
    ".NaN",
    "1e3",
    "1E-3",
    "+.5",
    "1.",
    "-1_0.5",
    "1_0e1",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "0x8000000000000000",
    "1:20",
    "0.1",
    "3.14159265358979323846",
    "1e400",
    "0o8",
    "0x",
    "+",
    "-",
    "._5",
];

#[test]
fn generated_number_spellings_agree_with_sops() {
    let mut cases = Vec::new();
    for n in NUMBERS {
        cases.push((format!("n: {n}\nl:\n- {n}\n"), true));
        cases.push((format!("q: \"{n}\"\ns: '{n}'\n"), false));
    }
    run_all(cases);
}

#[test]
fn generated_block_scalars_at_the_end_of_the_file_agree_with_sops() {
    let mut cases = Vec::new();
    for header in ["|", "|-", "|+", ">", ">-", ">+", "|2", "|2-"] {
        for body in ["x", "x\n  y", "x\n\n  y", "  lead"] {
            for end in ["", "\n", "\n\n", "\n  "] {
                // PyYAML reads sops's `- |4` for "  lead" otherwise than yaml.v3.
                for before in ["a: ", "k: v\nl:\n- "] {
                    if body.starts_with(' ') && before != "a: " {
                        continue;
                    }
                    cases.push((format!("{before}{header}\n  {body}{end}"), true));
                }
            }
        }
    }
    run_all(cases);
}

const WORDS: &[&str] = &[
    "y",
    "Y",
    "n",
    "N",
    "yes",
    "Yes",
    "YES",
    "no",
    "No",
    "NO",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "true",
    "False",
    "TRUE",
    "null",
    "Null",
    "NULL",
    "~",
    "2024-01-01",
    "2001-12-14t21:59:43.10-05:00",
    "yess",
    "nope",
    "-c",
    "--flag",
    "- x",
    "? x",
    ":x",
    "a: b",
    "#x",
    "x #y",
    "@x",
    "%x",
    "!x",
    "&x",
    "*x",
    "|x",
    ">x",
    "'x'",
];

#[test]
fn generated_yaml11_words_agree_with_sops_and_read_the_same_in_pyyaml() {
    let mut cases = Vec::new();
    for w in WORDS {
        let dq = format!("\"{}\"", w.replace('"', "\\\""));
        let sq = format!("'{}'", w.replace('\'', "''"));
        cases.push((format!("d: {dq}\ns: {sq}\nl:\n- {dq}\nf: [{dq}]\n"), false));
    }
    run_all(cases);
}

/// sops writes `r: []  # c` as a list holding one encrypted comment
/// (`- ENC[…,type:comment]`). The list is empty to sops: hush must read it
/// as `[]` (not null), and a `set` must keep it a list.
#[test]
fn a_sops_list_of_only_comments_stays_an_empty_list() {
    let ctx = Ctx::new();
    ctx.write("l.yaml", "r: []  # c\nx: 1\nm:\n  n: [] # d\n");
    let enc = ctx.sops_encrypt("l.yaml", &[]);
    assert!(enc.contains("type:comment]"), "{enc}");
    ctx.write("l.enc.yaml", &enc);
    let want = json(&ctx.sops_decrypt("l.enc.yaml", &["--output-type", "json"]));
    let got = json(&ctx.hush_decrypt("l.enc.yaml", &["--output-type", "json"]));
    assert_eq!(got, want);
    let set = ctx.hush(&["set", "l.enc.yaml", "[\"x\"]", "2"]);
    assert!(set.ok(), "{set:?}");
    let after = json(&ctx.sops_decrypt("l.enc.yaml", &["--output-type", "json"]));
    assert_eq!(after["r"], serde_json::json!([]));
    assert_eq!(after["m"]["n"], serde_json::json!([]));
    assert_eq!(after["x"], serde_json::json!(2));
}

/// sops writes `r: {}  # c` as `r: {`, the encrypted comment, then `}` at
/// column 0; yaml.v3 reads an empty map there, and so must hush, through
/// decrypt and set. hush's own encryption puts the comment inside the map
/// too, where sops looks for it (else sops warns and leaves it encrypted).
#[test]
fn a_sops_map_of_only_comments_stays_an_empty_map() {
    let ctx = Ctx::new();
    let plain = "r: {}  # c\nx: 1\nm:\n  n: {} # d\n  l:\n    - t: {} # e\n      u: 1\n";
    ctx.write("m.yaml", plain);
    let enc = ctx.sops_encrypt("m.yaml", &[]);
    assert!(enc.contains("r: {\n    #ENC["), "{enc}");
    ctx.write("m.enc.yaml", &enc);
    let want = json(&ctx.sops_decrypt("m.enc.yaml", &["--output-type", "json"]));
    let got = json(&ctx.hush_decrypt("m.enc.yaml", &["--output-type", "json"]));
    assert_eq!(got, want);
    let set = ctx.hush(&["set", "m.enc.yaml", "[\"x\"]", "2"]);
    assert!(set.ok(), "{set:?}");
    let after = json(&ctx.sops_decrypt("m.enc.yaml", &["--output-type", "json"]));
    assert_eq!(after["r"], serde_json::json!({}));
    assert_eq!(after["m"]["l"][0]["t"], serde_json::json!({}));
    assert_eq!(after["x"], serde_json::json!(2));
    let text = ctx.hush_decrypt("m.enc.yaml", &[]);
    assert!(
        text.contains("    # c\n}") && text.contains("# e\n}"),
        "{text}"
    );

    let mine = ctx.hush(&["encrypt", "--age", &ctx.recipient, "m.yaml"]);
    assert!(mine.ok(), "{mine:?}");
    ctx.write("h.enc.yaml", &mine.stdout);
    let s = ctx.sops(&["decrypt", "h.enc.yaml"]);
    assert!(s.ok() && !s.stderr.contains("unencrypted comment"), "{s:?}");
    assert!(
        s.stdout.contains("# c") && s.stdout.contains("# e"),
        "{s:?}"
    );
}

/// Exit codes match the real sops binary: a zero-byte YAML file (92), a
/// comment-only one (2), a non-string key or an integer beyond int64 (23
/// while encrypting; 25 decrypting a file with metadata, 1 without).
#[test]
fn unreadable_trees_exit_as_sops_does() {
    let ctx = Ctx::new();
    ctx.write("x.yaml", "a: 1\n");
    let enc = ctx.sops_encrypt("x.yaml", &[]);
    let inputs = [
        "",
        "# only a comment\n",
        "\n\n",
        "1: a\n",
        "true: a\n",
        "z: 18446744073709551615\n",
        "z: 99999999999999999999\n",
    ];
    for (n, input) in inputs.iter().enumerate() {
        let name = format!("e{n}.yaml");
        ctx.write(&name, input);
        for cmd in ["encrypt", "decrypt"] {
            let args = match cmd {
                "encrypt" => vec![cmd, "--age", &ctx.recipient, &name],
                _ => vec![cmd, &name],
            };
            let (s, h) = (ctx.sops(&args), ctx.hush(&args));
            assert_eq!(h.code, s.code, "{cmd} {input:?}: {h:?} / sops: {s:?}");
        }
        // The same tree with sops metadata after it: decrypting fails walking
        // it. (sops panics, exit 2, on a plaintext float there; hush says 25.)
        if input.contains("9999") {
            continue;
        }
        let name = format!("m{n}.yaml");
        ctx.write(&name, &format!("{input}{enc}"));
        let (s, h) = (ctx.sops(&["decrypt", &name]), ctx.hush(&["decrypt", &name]));
        assert_eq!(
            h.code, s.code,
            "decrypt {input:?}+metadata: {h:?} / sops: {s:?}"
        );
    }
}

/// sops stores floats in `%f`-like text (`1.0e+10` as `10000000000`, `5.0`
/// as `5`); hush writes them back as sops does (yaml.v3's form), a whole
/// float with a point, so PyYAML (YAML 1.1) reads a float of the same
/// value where sops's `5` reads as an int. A file hush encrypted itself
/// keeps its spelling.
#[test]
fn floats_from_sops_files_read_back_as_floats() {
    let ctx = Ctx::new();
    let plain = "a: 5.0\nd: -0.0\nf: 100000.0\ng: 1.5\n";
    ctx.write("f.yaml", plain);
    let enc = ctx.sops_encrypt("f.yaml", &[]);
    ctx.write("f.enc.yaml", &enc);
    let out = ctx.hush_decrypt("f.enc.yaml", &[]);
    let script = "import sys, yaml\n\
        d = yaml.safe_load(sys.stdin.read())\n\
        print(all(isinstance(v, float) for v in d.values()))\n\
        print(repr(sorted(d.items())))";
    let read = |text: &str| {
        let mut child = Command::new("python3")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
    };
    let (got, want) = (read(&out), read(plain));
    assert!(got.starts_with("True\n"), "{out}\n{got}");
    assert_eq!(got, want, "{out}");
    // The same data as sops's own decryption, read by yaml.v3 (the float
    // 5.0 aside, which sops writes as the int 5).
    let s = json(&ctx.sops_decrypt("f.enc.yaml", &["--output-type", "json"]));
    let h = json(&ctx.hush_decrypt("f.enc.yaml", &["--output-type", "json"]));
    for k in ["d", "f", "g"] {
        assert_eq!(h[k].as_f64(), s[k].as_f64(), "{k}");
    }
    // hush's own file: the spelling is kept.
    let mine = ctx.hush(&["encrypt", "--age", &ctx.recipient, "f.yaml"]);
    ctx.write("h.enc.yaml", &mine.stdout);
    assert_eq!(ctx.hush_decrypt("h.enc.yaml", &[]), plain);
}

/// A local tag (`!custom x`, CloudFormation's `!Ref`) is read as yaml.v3
/// reads it: the string it spells, the tag ignored on collections. sops
/// encrypts such files; hush did refuse them.
#[test]
fn local_tags_read_as_the_strings_sops_reads() {
    let ctx = Ctx::new();
    let plain =
        "a: !custom x\nb: !Ref 12\nc: !custom\n  d: !x \"q\"\ne: !e [1, !f 2]\nf: !g 1.5 # c\n";
    ctx.write("t.yaml", plain);
    let enc = ctx.sops_encrypt("t.yaml", &[]);
    ctx.write("s.enc.yaml", &enc);
    let want = json(&ctx.sops_decrypt("s.enc.yaml", &["--output-type", "json"]));
    assert_eq!(want["b"], serde_json::json!("12"));
    let got = json(&ctx.hush_decrypt("s.enc.yaml", &["--output-type", "json"]));
    assert_eq!(got, want);
    let mine = ctx.hush(&["encrypt", "--age", &ctx.recipient, "t.yaml"]);
    assert!(mine.ok(), "{mine:?}");
    ctx.write("h.enc.yaml", &mine.stdout);
    let theirs = json(&ctx.sops_decrypt("h.enc.yaml", &["--output-type", "json"]));
    assert_eq!(theirs, want);
    let back = ctx.hush_decrypt("h.enc.yaml", &[]);
    assert!(
        back.contains("a: !custom x\n") && back.contains("c: !custom\n"),
        "{back}"
    );
}

/// An alias to a scalar that gets encrypted is expanded where it stands, as
/// sops expands it (sops and hush read back the same data); every other
/// byte stays, and an alias to a value that stays plaintext stays an alias.
#[test]
fn aliases_to_encrypted_scalars_are_expanded_as_sops_does() {
    let ctx = Ctx::new();
    let plain = "a: &x secret\nb: *x\nl: [*x, 2]\nm:\n  - *x\nk_unencrypted: &k plain\n\
                 n_unencrypted: *k\no: *k\nq: &q\n  r: 1\n";
    ctx.write("a.yaml", plain);
    let enc = ctx.sops_encrypt("a.yaml", &[]);
    ctx.write("s.enc.yaml", &enc);
    let want = json(&ctx.sops_decrypt("s.enc.yaml", &["--output-type", "json"]));
    let mine = ctx.hush(&["encrypt", "--age", &ctx.recipient, "a.yaml"]);
    assert!(mine.ok(), "{mine:?}");
    assert!(
        mine.stdout.contains("n_unencrypted: *k\n"),
        "{}",
        mine.stdout
    );
    ctx.write("h.enc.yaml", &mine.stdout);
    let theirs = json(&ctx.sops_decrypt("h.enc.yaml", &["--output-type", "json"]));
    assert_eq!(theirs, want);
    let back = ctx.hush_decrypt("h.enc.yaml", &[]);
    assert_eq!(
        back,
        plain
            .replace("b: *x", "b: \"secret\"")
            .replace("[*x, 2]", "[\"secret\", 2]")
            .replace("- *x", "- \"secret\"")
            .replace("o: *k", "o: \"plain\"")
    );
}

/// A `|+` block ending a file with no final line break, its last line only
/// spaces: the value keeps its line break ("x\n" to yaml.v3 and PyYAML)
/// through hush's own round trip, and sops reads the same from hush's file.
#[test]
fn a_kept_block_at_eof_keeps_its_last_line_break() {
    let ctx = Ctx::new();
    for (n, input) in [
        "a: |+\n  x\n  ",
        "a: |+\n  x\n\n  ",
        "b: 1\na: >+\n  x\n  y\n  ",
    ]
    .iter()
    .enumerate()
    {
        let name = format!("k{n}.yaml");
        ctx.write(&name, input);
        let mine = ctx.hush(&["encrypt", "--age", &ctx.recipient, &name]);
        assert!(mine.ok(), "{mine:?}");
        ctx.write("h.enc.yaml", &mine.stdout);
        let want = pyyaml(input).unwrap();
        let back = ctx.hush_decrypt("h.enc.yaml", &[]);
        assert_eq!(
            pyyaml(&back).unwrap(),
            want,
            "{input:?} came back as {back:?}"
        );
        let s = ctx.sops_decrypt("h.enc.yaml", &[]);
        assert_eq!(pyyaml(&s).unwrap(), want, "{input:?}: sops read {s:?}");
    }
}

/// JSON `-0` is the float negative zero to sops (every JSON number is a
/// float there); tagged int, sops read it back as 0.
#[test]
fn json_minus_zero_reads_back_as_sops_reads_it() {
    let ctx = Ctx::new();
    ctx.write("z.json", "{\"a\": -0, \"b\": 1, \"c\": -0.0}\n");
    let theirs = ctx.sops_encrypt("z.json", &[]);
    ctx.write("s.enc.json", &theirs);
    let want = ctx.sops_decrypt("s.enc.json", &[]);
    assert!(want.contains("\"a\": -0,"), "{want}");
    let mine = ctx.hush(&["encrypt", "--age", &ctx.recipient, "z.json"]);
    assert!(mine.ok(), "{mine:?}");
    ctx.write("h.enc.json", &mine.stdout);
    assert_eq!(ctx.sops_decrypt("h.enc.json", &[]), want);
}

/// A CRLF file: the last line of a block scalar keeps its `\r` through
/// hush's round trip, and sops reads hush's file as PyYAML reads the source.
#[test]
fn crlf_block_scalars_keep_their_last_carriage_return() {
    let ctx = Ctx::new();
    for (n, input) in [
        "a: |\r\n  x\r\n  y\r\nb: 1\r\n",
        "a: |\r\n  x\r\n  y\r\n",
        "a: |+\r\n  x\r\n\r\nb: 1\r\n",
        "l:\r\n  - |-\r\n    x\r\n  - 2\r\n",
    ]
    .iter()
    .enumerate()
    {
        let name = format!("c{n}.yaml");
        ctx.write(&name, input);
        let mine = ctx.hush(&["encrypt", "--age", &ctx.recipient, &name]);
        assert!(mine.ok(), "{mine:?}");
        ctx.write("h.enc.yaml", &mine.stdout);
        assert_eq!(ctx.hush_decrypt("h.enc.yaml", &[]), *input);
        let s = ctx.sops_decrypt("h.enc.yaml", &[]);
        assert_eq!(pyyaml(&s), pyyaml(input), "{input:?}: sops read {s:?}");
    }
}

/// `!!int "12"` is the int 12 to yaml.v3: sops encrypts it as one (the tag
/// goes with the encryption), and so does hush. A typed tag whose value is
/// not of that type is refused, as sops refuses it or converts it.
#[test]
fn typed_tags_on_values_of_their_type_are_read_as_sops_reads_them() {
    let ctx = Ctx::new();
    let agree = [
        "a: !!int \"12\"\n",
        "a: !!int 12\n",
        "a: !!int '0x1F'\n",
        "a: !!float \"1.5\"\nb: [!!int \"3\", x]\n",
        "a: !!bool \"true\"\n",
    ];
    for (n, input) in agree.iter().enumerate() {
        let name = format!("t{n}.yaml");
        ctx.write(&name, input);
        let theirs = ctx.sops_encrypt(&name, &[]);
        ctx.write("s.enc.yaml", &theirs);
        let want = json(&ctx.sops_decrypt("s.enc.yaml", &["--output-type", "json"]));
        let got = json(&ctx.hush_decrypt("s.enc.yaml", &["--output-type", "json"]));
        assert_eq!(got, want, "{input:?}");
        let mine = ctx.hush(&["encrypt", "--age", &ctx.recipient, &name]);
        assert!(mine.ok(), "{input:?}: {mine:?}");
        ctx.write("h.enc.yaml", &mine.stdout);
        let read = json(&ctx.sops_decrypt("h.enc.yaml", &["--output-type", "json"]));
        assert_eq!(read, want, "{input:?}");
    }
    for input in [
        "a: !!int \"x\"\n",
        "a: !!bool \"yes\"\n",
        "!!int \"1\": a\n",
    ] {
        ctx.write("r.yaml", input);
        let s = ctx.sops(&["encrypt", "--age", &ctx.recipient, "r.yaml"]);
        let h = ctx.hush(&["encrypt", "--age", &ctx.recipient, "r.yaml"]);
        assert!(!s.ok() && h.code == s.code, "{input:?}: {h:?} / sops {s:?}");
    }
}

/// Comment groups at the end of a nested block, before and after blank
/// lines (as Helm values files comment out options): hush encrypts each
/// with the path sops gives it, so sops decrypts every one (it warns about,
/// and leaves encrypted, a comment it cannot open).
#[test]
fn comments_after_a_nested_block_are_placed_where_sops_reads_them() {
    let ctx = Ctx::new();
    let mut cases = Vec::new();
    let indented = |text: &str, n: usize| -> String {
        let pad = " ".repeat(n);
        text.lines()
            .map(|l| match l.is_empty() {
                true => "\n".to_string(),
                false => format!("{pad}{l}\n"),
            })
            .collect()
    };
    for (foot, gap) in [
        ("", "\n"),
        ("# foot\n", "\n"),
        ("# foot\n", ""),
        ("  # deep\n", "\n"),
    ] {
        let body = format!("{foot}{gap}# g1\n\n# g2\n");
        for after in ["c: 2\n", "", "---\nc: 1\n"] {
            cases.push(format!("a:\n  b: []\n{}{after}", indented(&body, 2)));
            let after = if after.starts_with('c') {
                "  c: 2\n"
            } else {
                after
            };
            cases.push(format!("x:\n  a:\n    b: 1\n{}{after}", indented(&body, 4)));
        }
    }
    for (n, input) in cases.iter().enumerate() {
        let name = format!("c{n}.yaml");
        ctx.write(&name, input);
        let mine = ctx.hush(&["encrypt", "--age", &ctx.recipient, &name]);
        assert!(mine.ok(), "{input:?}: {mine:?}");
        ctx.write("h.enc.yaml", &mine.stdout);
        let s = ctx.sops(&["decrypt", "h.enc.yaml"]);
        assert!(s.ok() && !s.stdout.contains("#ENC["), "{input:?}: {s:?}");
        assert_eq!(ctx.hush_decrypt("h.enc.yaml", &[]), *input);
    }
}

/// `[2001:db8::]` (istio's test data): yaml.v3 reads the string "2001:db8::",
/// YAML 1.2 readers and PyYAML a one-pair map. hush read the map, left it
/// plaintext, and sops could not decrypt hush's file; it is refused now,
/// while `[x:y]` and `[x: 1]`, which all readers agree on, are not.
#[test]
fn a_flow_item_ending_in_a_colon_is_refused_as_readers_disagree() {
    let ctx = Ctx::new();
    for input in ["a: [1.2.3.4, 2001:db8::]\n", "c: [x:]\n", "g: [x:, y]\n"] {
        ctx.write("f.yaml", input);
        let h = ctx.hush(&["encrypt", "--age", &ctx.recipient, "f.yaml"]);
        assert!(!h.ok() && h.stderr.contains("quote it"), "{input:?}: {h:?}");
    }
    for input in ["d: [x:y]\n", "e: [x: 1]\n"] {
        ctx.write("f.yaml", input);
        let h = ctx.hush(&["encrypt", "--age", &ctx.recipient, "f.yaml"]);
        assert!(h.ok(), "{input:?}: {h:?}");
        ctx.write("h.enc.yaml", &h.stdout);
        let theirs = ctx.sops_encrypt("f.yaml", &[]);
        ctx.write("s.enc.yaml", &theirs);
        assert_eq!(
            json(&ctx.sops_decrypt("h.enc.yaml", &["--output-type", "json"])),
            json(&ctx.sops_decrypt("s.enc.yaml", &["--output-type", "json"]))
        );
    }
}
