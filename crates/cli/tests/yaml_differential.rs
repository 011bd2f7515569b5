//! Differential mutation test against the real sops binary: hush must never
//! accept a YAML file that sops (go-yaml) refuses, nor read one differently.
//!
//! Encrypted files (with `encrypted_regex`, comments and plaintext metadata)
//! and their plaintext are mutated with the constructs where YAML readers
//! part ways: odd line breaks and control characters in comments, keys and
//! values, a BOM, tabs, directives, document markers, duplicate keys, merge
//! keys and appended documents. For every mutation:
//! - decrypt: if `sops -d` fails, `hush decrypt` fails; if both succeed,
//!   both outputs hold the same data;
//! - encrypt: if `sops -e` fails, `hush encrypt` fails; if both succeed,
//!   sops decrypts hush's file to the data of its own round trip.

mod common;

use common::*;
use serde_yaml_ng::Value;
use std::sync::atomic::{AtomicUsize, Ordering};

const REGEX: &str = "^(data|stringData)$";

const PLAIN: &str = "\
# top comment
apiVersion: v1
kind: Secret
metadata:
  name: db # inline
  # under metadata
  labels:
    app: web
  annotations:
    note: |
      line one
      line two
stringData:
  password: hunter2
  user: admin
  cert: |
    line one
    line two
type: Opaque
";

/// Characters go-yaml and a YAML 1.2 reader may disagree on.
const ODD: &[(&str, &str)] = &[
    ("LS", "\u{2028}"),
    ("PS", "\u{2029}"),
    ("NEL", "\u{85}"),
    ("VT", "\x0b"),
    ("FF", "\x0c"),
    ("NUL", "\0"),
    ("SOH", "\x01"),
    ("ESC", "\x1b"),
    ("DEL", "\x7f"),
    ("C1", "\u{9b}"),
    ("BOM", "\u{feff}"),
    ("U+FFFE", "\u{fffe}"),
    ("CR", "\r"),
    ("TAB", "\t"),
];

type Mutation = (String, String);

/// `text` with `at` (which must occur) replaced by `with`, once.
fn replace(text: &str, at: &str, with: &str) -> String {
    assert!(
        text.contains(at),
        "mutation anchor {at:?} missing in:\n{text}"
    );
    text.replacen(at, with, 1)
}

/// Mutations shared by plaintext and encrypted files. `secret` is a line of
/// the file holding a (possibly encrypted) value under `stringData`.
fn mutations(text: &str, secret: &str) -> Vec<Mutation> {
    let mut out: Vec<Mutation> = Vec::new();
    let mut add = |label: &str, t: String| out.push((label.to_string(), t));
    for (name, c) in ODD {
        add(
            &format!("{name} in a comment"),
            replace(text, "# top comment", &format!("# top{c}comment")),
        );
        add(
            &format!("{name} in a key"),
            replace(text, "app: web", &format!("a{c}pp: web")),
        );
        add(
            &format!("{name} in a value"),
            replace(text, "app: web", &format!("app: w{c}eb")),
        );
        add(
            &format!("{name} at a line end"),
            replace(text, "kind: Secret\n", &format!("kind: Secret{c}\n")),
        );
    }
    let s = secret.trim_start();
    for (label, with) in [
        (
            "LS in a secret's line comment",
            format!("{secret} # x\u{2028}y"),
        ),
        ("VT after a secret", format!("{secret}\x0b")),
        ("tab before a secret's key", format!("\t{s}")),
    ] {
        add(label, replace(text, secret, &with));
    }
    let hidden = "metadata: # ok\u{2028}  annotations:\u{2028}    reflection-allowed: \"true\"";
    add("U+2028 comment attack", replace(text, "metadata:", hidden));
    add(
        "CR comment attack",
        replace(text, "metadata:", &hidden.replace('\u{2028}', "\r")),
    );
    add(
        "NEL comment attack",
        replace(text, "metadata:", &hidden.replace('\u{2028}', "\u{85}")),
    );
    add("BOM at the start", format!("\u{feff}{text}"));
    for d in [
        "%YAML 1.1",
        "%YAML 1.2",
        "%YAML 2.0",
        "%TAG ! tag:example.com,2000:",
        "%TAG !e! tag:example.com,2000:",
        "%FOO bar",
    ] {
        add(&format!("directive {d}"), format!("{d}\n---\n{text}"));
    }
    add("--- at the start", format!("---\n{text}"));
    add("... at the end", format!("{text}...\n"));
    add("... then a comment", format!("{text}...\n# after\n"));
    add("... then content", format!("{text}...\nx: 1\n"));
    add("... then a document", format!("{text}...\n---\nx: 1\n"));
    add(
        "... in the middle",
        replace(text, "kind: Secret\n", "kind: Secret\n...\n"),
    );
    add(
        "--- in the middle",
        replace(text, "kind: Secret\n", "kind: Secret\n---\n"),
    );
    add("appended document", format!("{text}---\nx: 1\n"));
    add("appended null document", format!("{text}---\nx:\n"));
    add(
        "appended Secret",
        format!("{text}---\nkind: Secret\nstringData:\n  p: q\n"),
    );
    // Empty documents (`---` with nothing or only comments after it) are
    // issue 19's first fault, covered by its own tests.
    add("duplicate root key", format!("{text}kind: ConfigMap\n"));
    add(
        "duplicate quoted root key",
        format!("{text}\"kind\": ConfigMap\n"),
    );
    add(
        "duplicate nested key",
        replace(text, "app: web\n", "app: web\n    app: evil\n"),
    );
    add(
        "duplicate secret key",
        replace(text, secret, &format!("{secret}\n{secret}")),
    );
    add(
        "duplicate flow key",
        replace(text, "app: web\n", "app: web\n    f: {a: 1, a: 2}\n"),
    );
    add(
        "merge key",
        replace(
            text,
            "  labels:\n",
            "  base: &b {tier: x}\n  labels:\n    <<: *b\n",
        ),
    );
    add(
        "merge key of a scalar",
        replace(text, "  labels:\n", "  labels:\n    <<: 5\n"),
    );
    add(
        "quoted << key",
        replace(text, "  labels:\n", "  labels:\n    \"<<\": x\n"),
    );
    add(
        "anchor and alias",
        replace(text, "app: web", "app: &a web\n    copy: *a"),
    );
    let (k, v) = secret.split_once(": ").unwrap();
    for (name, alias) in [
        ("an encrypted alias", "\n  copy: *s"),
        ("an alias in an encrypted flow list", "\n  copies: [*s, x]"),
        (
            "an alias in an encrypted block list",
            "\n  copies:\n    - *s",
        ),
    ] {
        add(
            &format!("a secret with {name} to it"),
            replace(text, secret, &format!("{k}: &s {v}{alias}")),
        );
    }
    add(
        "a plaintext alias to a secret",
        format!(
            "{}ref: *s\n",
            replace(text, secret, &format!("{k}: &s {v}"))
        ),
    );
    add(
        "an encrypted alias to a map of secrets",
        replace(text, secret, &format!("{k}: &m {{in: {v}}}\n  copy: *m")),
    );
    for tag in [
        "!Custom-1",
        "!!str",
        "!!int",
        "!!float",
        "!!binary",
        "!!bool",
        "!!null",
        "!!timestamp",
        "!Ref",
        "!",
    ] {
        add(
            &format!("tag {tag} on a value"),
            replace(text, "app: web", &format!("app: {tag} web")),
        );
        add(
            &format!("tag {tag} on a number"),
            replace(
                text,
                "app: web",
                &format!("app: {tag} \"12\"\n    n: {tag} 12"),
            ),
        );
    }
    let (key, value) = secret.split_once(": ").unwrap();
    add(
        "tag !!binary on a secret",
        replace(text, secret, &format!("{key}: !!binary {value}")),
    );
    add(
        "tag !custom on a secret",
        replace(text, secret, &format!("{key}: !custom {value}")),
    );
    add("tab indentation", replace(text, "  name:", "\tname:"));
    add(
        "tab after indentation",
        replace(text, "  name:", "  \tname:"),
    );
    add(
        "tab-only line",
        replace(text, "kind: Secret\n", "kind: Secret\n\t\n"),
    );
    add(
        "tab before a comment",
        replace(text, "  # under", "\t# under"),
    );
    add("tab after a colon", replace(text, "app: web", "app:\tweb"));
    add(
        "tab before a value",
        replace(text, "app: web", "app: \tweb"),
    );
    let two = text.lines().find(|l| l.ends_with("line two")).unwrap();
    let indent = two.len() - "line two".len();
    add(
        "tab in a block scalar",
        replace(text, two, &format!("{two}\n{}\tline three", &two[..indent])),
    );
    add(
        "tab inside a block's indent",
        replace(text, two, &format!(" \t{}", &two[2..])),
    );
    add(
        "tab-only line after a block",
        replace(text, two, &format!("{two}\n\t")),
    );
    add("tab after a dash", format!("{text}list:\n-\tx\n"));
    add("tab in a flow list", format!("{text}list: [a,\n\tb]\n"));
    add(
        "tab-indented flow map",
        format!("{text}m: {{\n\ta: 1,\n\tb: [1,\n\t\t\"two\"]}}\n"),
    );
    add(
        "tab-indented flow secret",
        replace(
            text,
            secret,
            &format!("{key}: {{\n\tk: {value},\n\t n: 2}}"),
        ),
    );
    add(
        "tab after a plain scalar in a flow map",
        format!("{text}m: {{\n\tb: c\n\t d}}\n"),
    );
    add(
        "tab before a flow key's value",
        format!("{text}m: {{\n\t? b\n\t: 1}}\n"),
    );
    add(
        "tab before a closing brace",
        format!("{text}m: {{\n  b: 1,\n\t}}\n"),
    );
    add(
        "tab in a flow map's quoted value",
        format!("{text}m: {{\"k\": \"a\n\tb\"}}\n"),
    );
    out
}

/// Parses every document of a YAML stream, `None` if it does not parse. A
/// local tag is dropped, as yaml.v3 (and sops's output) drop it.
fn docs(text: &str) -> Option<Vec<Value>> {
    use serde::Deserialize;
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).map(untag))
        .collect::<Result<Vec<_>, _>>()
        .ok()
}

fn untag(v: Value) -> Value {
    match v {
        Value::Tagged(t) => untag(t.value),
        Value::Mapping(m) => {
            Value::Mapping(m.into_iter().map(|(k, v)| (untag(k), untag(v))).collect())
        }
        Value::Sequence(s) => Value::Sequence(s.into_iter().map(untag).collect()),
        v => v,
    }
}

#[derive(Default)]
struct Counts {
    generated: AtomicUsize,
    sops_refused: AtomicUsize,
    hush_refused: AtomicUsize,
    /// Mutations only hush refuses (allowed, but listed in the log).
    only_hush: std::sync::Mutex<Vec<String>>,
}

impl Counts {
    fn record(&self, label: &str, sops: &Out, hush: &Out) {
        if sops.ok() && !hush.ok() {
            self.only_hush
                .lock()
                .unwrap()
                .push(format!("{label}: {}", short(hush)));
        }
        self.generated.fetch_add(1, Ordering::Relaxed);
        if !sops.ok() {
            self.sops_refused.fetch_add(1, Ordering::Relaxed);
        }
        if !hush.ok() {
            self.hush_refused.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn report(&self, side: &str) -> (usize, usize, usize) {
        let c = (
            self.generated.load(Ordering::Relaxed),
            self.sops_refused.load(Ordering::Relaxed),
            self.hush_refused.load(Ordering::Relaxed),
        );
        eprintln!(
            "{side}: {} mutations generated, {} refused by sops, {} refused by hush",
            c.0, c.1, c.2
        );
        let mut only = self.only_hush.lock().unwrap();
        only.sort();
        for l in only.iter() {
            eprintln!("  refused by hush only: {l}");
        }
        c
    }
}

/// Runs `check` on every case, on a few threads; returns the failures.
fn run_all(
    cases: &[(String, String)],
    check: impl Fn(usize, &str, &str) -> Option<String> + Sync,
) -> Vec<String> {
    let next = AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((label, text)) = cases.get(i) else {
                    break;
                };
                if let Some(f) = check(i, label, text) {
                    failures.lock().unwrap().push(f);
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

fn short(o: &Out) -> String {
    o.stderr.lines().last().unwrap_or("").to_string()
}

#[test]
fn hush_never_accepts_or_reads_differently_an_encrypted_file_sops_refuses_or_reads() {
    let ctx = Ctx::new();
    ctx.write("plain.yaml", PLAIN);
    let bases = [
        (
            "sops",
            ctx.sops_encrypt("plain.yaml", &["--encrypted-regex", REGEX]),
        ),
        (
            "hush",
            ctx.hush_encrypt("plain.yaml", &["--encrypted-regex", REGEX]),
        ),
    ];
    let mut cases = Vec::new();
    for (tool, enc) in &bases {
        let secret = enc
            .lines()
            .find(|l| l.trim_start().starts_with("user: ENC["))
            .unwrap();
        for (label, text) in mutations(enc, secret) {
            cases.push((format!("{tool}-written file, {label}"), text));
        }
    }
    let counts = Counts::default();
    let failures = run_all(&cases, |i, label, text| {
        let name = format!("dec{i}.yaml");
        ctx.write(&name, text);
        let (s, h) = (ctx.sops(&["decrypt", &name]), ctx.hush(&["decrypt", &name]));
        counts.record(label, &s, &h);
        match (s.ok(), h.ok()) {
            (false, true) => Some(format!(
                "{label}: sops refused ({}), hush accepted",
                short(&s)
            )),
            (true, true) if docs(&s.stdout) != docs(&h.stdout) || docs(&h.stdout).is_none() => {
                Some(format!(
                    "{label}: different data\n--- sops ---\n{}\n--- hush ---\n{}",
                    s.stdout, h.stdout
                ))
            }
            (_, false) if h.stderr.lines().count() != 1 || !h.stdout.is_empty() => Some(format!(
                "{label}: hush's refusal is not one line: {}",
                h.stderr
            )),
            _ => None,
        }
    });
    let (generated, by_sops, by_hush) = counts.report("decrypt");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(generated, cases.len());
    assert!(
        by_sops > 0 && by_hush >= by_sops,
        "the mutations must reach sops's refusals"
    );
}

#[test]
fn hush_never_encrypts_a_file_sops_refuses_or_into_other_data() {
    let ctx = Ctx::new();
    let cases: Vec<Mutation> = mutations(PLAIN, "  user: admin");
    let counts = Counts::default();
    let flags = ["--encrypted-regex", REGEX];
    let failures = run_all(&cases, |i, label, text| {
        let name = format!("enc{i}.yaml");
        ctx.write(&name, text);
        let s = ctx.sops(&[
            "encrypt",
            flags[0],
            flags[1],
            "--age",
            &ctx.recipient,
            &name,
        ]);
        let h = ctx.hush(&[
            "encrypt",
            flags[0],
            flags[1],
            "--age",
            &ctx.recipient,
            &name,
        ]);
        counts.record(label, &s, &h);
        match (s.ok(), h.ok()) {
            (false, true) => Some(format!(
                "{label}: sops refused ({}), hush accepted",
                short(&s)
            )),
            (true, true) => {
                let (sf, hf) = (format!("enc{i}.s.yaml"), format!("enc{i}.h.yaml"));
                ctx.write(&sf, &s.stdout);
                ctx.write(&hf, &h.stdout);
                let (ss, sh) = (ctx.sops(&["decrypt", &sf]), ctx.sops(&["decrypt", &hf]));
                if !sh.ok() {
                    Some(format!(
                        "{label}: sops cannot decrypt hush's file: {}",
                        short(&sh)
                    ))
                } else if !ss.ok() {
                    // sops cannot read its own output (a quoted `<<` key comes
                    // back plain, a merge key): hush's must hold the input's data.
                    (docs(&sh.stdout) != docs(text)).then(|| {
                        format!(
                            "{label}: sops decrypts hush's file to other data:\n{}",
                            sh.stdout
                        )
                    })
                } else if docs(&ss.stdout) != docs(&sh.stdout) || docs(&sh.stdout).is_none() {
                    Some(format!(
                        "{label}: different data\n--- sops ---\n{}\n--- hush ---\n{}",
                        ss.stdout, sh.stdout
                    ))
                } else {
                    None
                }
            }
            (_, false) if h.stderr.lines().count() != 1 || !h.stdout.is_empty() => Some(format!(
                "{label}: hush's refusal is not one line: {}",
                h.stderr
            )),
            _ => None,
        }
    });
    let (generated, by_sops, by_hush) = counts.report("encrypt");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(generated, cases.len());
    assert!(
        by_sops > 0 && by_hush >= by_sops,
        "the mutations must reach sops's refusals"
    );
}

/// The outside review's attack: lines hidden in a comment behind U+2028,
/// which go-yaml (sops, kubectl) reads as line breaks. sops sees the
/// injected annotation and fails the MAC; hush must fail too, on every
/// command that reads the file, and leave the file as it was.
#[test]
fn a_comment_hiding_lines_behind_u2028_is_refused_as_sops_refuses_it() {
    let ctx = Ctx::new();
    ctx.write("plain.yaml", PLAIN);
    for (tool, enc) in [
        (
            "sops",
            ctx.sops_encrypt("plain.yaml", &["--encrypted-regex", REGEX]),
        ),
        (
            "hush",
            ctx.hush_encrypt("plain.yaml", &["--encrypted-regex", REGEX]),
        ),
    ] {
        let hidden = "metadata: # ok\u{2028}  annotations:\u{2028}    reflector.v1.k8s.emberstack.com/reflection-allowed: \"true\"";
        let attacked = replace(&enc, "metadata:", hidden);
        ctx.write("s.yaml", &attacked);
        let s = ctx.sops(&["decrypt", "s.yaml"]);
        assert_eq!(s.code, 51, "{tool}: sops sees the hidden key: {}", s.stderr);
        let editor = ctx.write("editor.sh", "#!/bin/sh\necho 'x: 1' >> \"$1\"\n");
        std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let editor = editor.display().to_string();
        for args in [
            vec!["decrypt", "s.yaml"],
            vec!["decrypt", "--ignore-mac", "s.yaml"],
            vec!["set", "s.yaml", r#"["stringData"]["user"]"#, r#""root""#],
            vec!["rotate", "-i", "s.yaml"],
            vec!["edit", "s.yaml"],
        ] {
            let h = ctx.run_with(
                &hush_bin(),
                &args,
                Some(&ctx.key_file),
                &[("EDITOR", &editor)],
                None,
            );
            // sops exits 1 on each of these for a file it cannot parse.
            assert_eq!(h.code, 1, "{tool}: hush {args:?} must refuse: {}", h.stderr);
            assert!(
                h.stderr.contains("line 4: U+2028"),
                "{tool} {args:?}: {}",
                h.stderr
            );
            // rotate, a batch command, adds its "1 of 1 files failed" count.
            let lines = if args[0] == "rotate" { 2 } else { 1 };
            assert_eq!(h.stderr.lines().count(), lines, "{}", h.stderr);
            assert!(h.stdout.is_empty(), "{tool} {args:?}: {}", h.stdout);
            assert_eq!(
                ctx.read("s.yaml"),
                attacked,
                "{tool} {args:?} wrote the file"
            );
        }
    }
}

/// Duplicate keys: hush refuses them with yaml.v3's own line numbers, on
/// encrypt (where sops refuses any in the first document) and on decrypt.
#[test]
fn duplicate_keys_are_refused_with_the_line_numbers_sops_gives() {
    let ctx = Ctx::new();
    let cases = [
        "type: Opaque\nstringData:\n  a: 1\ntype: kubernetes.io/tls\n",
        "stringData:\n  a: 1\n  b: 2\n  a: 3\nkind: Secret\n",
        "a: 1\nb: 2\nb: 3\na: 4\n",
        "l:\n  - {k: 1, k: 2}\n",
    ];
    for (i, text) in cases.iter().enumerate() {
        let name = format!("d{i}.yaml");
        ctx.write(&name, text);
        let s = ctx.sops(&["encrypt", "--age", &ctx.recipient, &name]);
        let h = ctx.hush(&["encrypt", "--age", &ctx.recipient, &name]);
        let line = s
            .stderr
            .lines()
            .find(|l| l.contains("already defined"))
            .unwrap_or_else(|| panic!("sops accepted duplicate keys in {text:?}: {}", s.stderr));
        assert_eq!((h.code, s.code), (2, 2), "{text:?}: {}", h.stderr);
        assert!(
            h.stderr.contains(line.trim()),
            "{text:?}: hush said {}, sops {line}",
            h.stderr
        );
        assert!(h.stdout.is_empty());
    }
    // In an encrypted file: the duplicate is a second, plaintext `type`.
    ctx.write("p.yaml", "type: Opaque\nstringData:\n  a: x\n");
    let enc = ctx.hush_encrypt("p.yaml", &["--encrypted-regex", REGEX]);
    ctx.write(
        "e.yaml",
        &replace(&enc, "stringData:", "type: kubernetes.io/tls\nstringData:"),
    );
    let (s, h) = (
        ctx.sops(&["decrypt", "e.yaml"]),
        ctx.hush(&["decrypt", "e.yaml"]),
    );
    assert_ne!(s.code, 0);
    assert_eq!(h.code, 1, "{}", h.stderr);
    assert!(
        h.stderr
            .contains("line 2: mapping key \"type\" already defined at line 1"),
        "{}",
        h.stderr
    );
}

/// A block scalar behind an anchor or tag (`&pw |`, `!!str >-`, `!Sub |2+`)
/// is encrypted whole: no plaintext is left in the file, sops decrypts it to
/// the data of its own round trip, and hush decrypts it to the input.
#[test]
fn a_block_scalar_with_an_anchor_or_tag_is_encrypted_whole() {
    let ctx = Ctx::new();
    let mut cases = Vec::new();
    for prop in ["&pw ", "!!str ", "!Sub ", "&pw !!str "] {
        for header in ["|", ">-", "|2+", ">2"] {
            let body = |ind: &str| format!("{ind}hunter2 one\n{ind}  two\n\n{ind}hunter2 three\n");
            let at = |parent: usize| " ".repeat(parent + 2);
            cases.push((
                format!("{prop}{header} in a map"),
                format!("k: {prop}{header}\n{}other: 1\n", body(&at(0))),
            ));
            cases.push((
                format!("{prop}{header} in a list"),
                format!("l:\n- {prop}{header}\n{}- x\n", body(&at(0))),
            ));
            cases.push((
                format!("{prop}{header} nested"),
                format!("k:\n  a: {prop}{header}\n{}  z: 1\n", body(&at(2))),
            ));
        }
    }
    let failures = run_all(&cases, |i, label, text| {
        let name = format!("b{i}.yaml");
        ctx.write(&name, text);
        let h = ctx.hush(&["encrypt", "--age", &ctx.recipient, &name]);
        if !h.ok() || h.stdout.contains("hunter2") {
            return Some(format!(
                "{label}: hush encrypt: {}\n{}",
                short(&h),
                h.stdout
            ));
        }
        let s = ctx.sops(&["encrypt", "--age", &ctx.recipient, &name]);
        let (he, se) = (format!("h{i}.yaml"), format!("s{i}.yaml"));
        ctx.write(&he, &h.stdout);
        ctx.write(&se, &s.stdout);
        let json = ["decrypt", "--output-type", "json"];
        let sops_of_hush = ctx.sops(&[&json[..], &[he.as_str()]].concat());
        let sops_of_sops = ctx.sops(&[&json[..], &[se.as_str()]].concat());
        if !sops_of_hush.ok() || sops_of_hush.stdout != sops_of_sops.stdout {
            return Some(format!("{label}: sops reads hush's file otherwise"));
        }
        let back = ctx.hush(&["decrypt", &he]);
        (docs(&back.stdout) != docs(text)).then(|| format!("{label}: hush round trip"))
    });
    assert!(failures.is_empty(), "{failures:#?}");
}

/// An alias to a mapping key is the key's text to yaml.v3. hush refuses the
/// anchor: on encrypt (exit 2), and in an encrypted file where a repo writer
/// aliased a plaintext key into `stringData` (sops: exit 25), with nothing
/// written by decrypt, set or edit.
#[test]
fn an_anchor_on_a_mapping_key_is_refused() {
    let ctx = Ctx::new();
    for text in [
        "&k key: v\nb: *k\n",
        "a:\n  &k key: v\nb: [*k]\n",
        "a: {&k key: v}\nb: *k\n",
    ] {
        ctx.write("k.yaml", text);
        let h = ctx.hush(&["encrypt", "--age", &ctx.recipient, "k.yaml"]);
        assert_eq!(h.code, 2, "{text:?}: {}", h.stderr);
        assert!(h.stderr.contains("anchor on a mapping key"), "{}", h.stderr);
    }
    ctx.write("p.yaml", "apiVersion: v1\nstringData:\n  a: x\n");
    let enc = ctx.hush_encrypt("p.yaml", &["--encrypted-regex", REGEX]);
    let attacked = replace(
        &replace(
            &enc,
            "apiVersion: v1\n",
            "apiVersion: v1\n&k attacker-password: 1\n",
        ),
        "stringData:\n",
        "stringData:\n  injected: *k\n",
    );
    ctx.write("e.yaml", &attacked);
    let s = ctx.sops(&["decrypt", "e.yaml"]);
    assert_eq!(s.code, 25, "{}", s.stderr);
    for args in [
        &["decrypt", "e.yaml"][..],
        &["decrypt", "-i", "e.yaml"],
        &["set", "e.yaml", r#"["x"]"#, r#""y""#],
    ] {
        let h = ctx.hush(args);
        assert_eq!(h.code, s.code, "{args:?}: {}", h.stderr);
        assert!(h.stdout.is_empty(), "{args:?}");
        assert_eq!(ctx.read("e.yaml"), attacked, "{args:?} wrote the file");
    }
}

/// An alias left in plaintext to a collection whose values get encrypted
/// would hold `ENC[…]` text the MAC counts as plaintext: sops could never
/// verify the file. hush refuses it, and `-i` leaves the file alone.
#[test]
fn an_alias_in_plaintext_to_a_collection_being_encrypted_is_refused() {
    let ctx = Ctx::new();
    let cases: [(&str, &[&str]); 4] = [
        ("a: &x\n  k: hunter2\nb_unencrypted: *x\n", &[]),
        (
            "a: &x\n  k: hunter2\nb: *x\n",
            &["--encrypted-regex", "^a$"],
        ),
        ("a: &x [hunter2]\nb_unencrypted: *x\n", &[]),
        (
            "stringData: &x\n  owner: team-a\nmetadata:\n  labels: *x\n",
            &["--encrypted-regex", REGEX],
        ),
    ];
    for (text, extra) in cases {
        ctx.write("a.yaml", text);
        let args = [
            &["encrypt", "-i", "--age", &ctx.recipient][..],
            extra,
            &["a.yaml"],
        ]
        .concat();
        let h = ctx.hush(&args);
        assert_eq!(h.code, 2, "{text:?}: {}", h.stderr);
        assert!(h.stderr.contains("points to a collection"), "{}", h.stderr);
        assert_eq!(ctx.read("a.yaml"), text, "{text:?}: the file was written");
    }
}

/// An anchor whose value holds an alias to itself: sops refuses it on
/// encrypt ("anchor 'x' value contains itself", exit 2); hush too, and it
/// refuses such an encrypted file in decrypt and check instead of crashing.
#[test]
fn a_self_referencing_anchor_is_refused_not_a_crash() {
    let ctx = Ctx::new();
    for text in ["a: &x [*x]\n", "a: &x\n  b: *x\n", "a: &x 1\nb: &x [*x]\n"] {
        ctx.write("a.yaml", text);
        let s = ctx.sops(&["encrypt", "--age", &ctx.recipient, "a.yaml"]);
        let h = ctx.hush(&["encrypt", "--age", &ctx.recipient, "a.yaml"]);
        assert_eq!((h.code, s.code), (2, 2), "{text:?}: {}", h.stderr);
        assert!(
            h.stderr.contains("anchor 'x' value contains itself"),
            "{}",
            h.stderr
        );
    }
    ctx.write("p.yaml", "z: 1\n");
    let enc = ctx.hush_encrypt("p.yaml", &[]);
    ctx.write("e.yaml", &format!("a: &x [*x]\n{enc}"));
    for args in [&["decrypt", "e.yaml"][..], &["check", "e.yaml"]] {
        let h = ctx.hush(args);
        assert_eq!(h.code, 1, "{args:?}: {}", h.stderr);
        assert!(h.stderr.contains("contains itself") || h.stdout.contains("contains itself"));
    }
}

/// yaml.v3 allows only `[0-9A-Za-z_-]` in anchor and alias names: hush
/// refuses the others, on encrypt and decrypt, with sops's exit code.
#[test]
fn anchor_names_go_yaml_refuses_are_refused() {
    let ctx = Ctx::new();
    ctx.write("p.yaml", "z: 1\n");
    let enc = ctx.hush_encrypt("p.yaml", &[]);
    let names = [
        "x.y", "u.1", "a/b", "a:b", "a@b", "é", "a!b", "a%b", "a$b", "a=b", "a+b", "a~b", "a(b",
        "a|b", "a>b", "a?b", "a;b", "a\\b", "a'b", "a\"b", "a&b", "a*b",
    ];
    for name in names {
        let text = format!("a: &{name} v\nb: *{name}\n");
        ctx.write("a.yaml", &text);
        let s = ctx.sops(&["encrypt", "--age", &ctx.recipient, "a.yaml"]);
        let h = ctx.hush(&["encrypt", "--age", &ctx.recipient, "a.yaml"]);
        assert_ne!(s.code, 0, "sops accepted {name:?}");
        assert_eq!(h.code, s.code, "{name:?}: {}", h.stderr);
        ctx.write("e.yaml", &format!("{text}{enc}"));
        let s = ctx.sops(&["decrypt", "e.yaml"]);
        let h = ctx.hush(&["decrypt", "e.yaml"]);
        assert_ne!(s.code, 0, "sops decrypted {name:?}");
        assert_eq!(h.code, s.code, "decrypt {name:?}: {}", h.stderr);
    }
    for name in ["x_y-1", "X9", "0"] {
        ctx.write("a.yaml", &format!("a: &{name} v\nb: *{name}\n"));
        let h = ctx.hush(&["encrypt", "--age", &ctx.recipient, "a.yaml"]);
        assert_eq!(h.code, 0, "{name:?}: {}", h.stderr);
    }
}

/// sops stores a float of 2^63 and beyond as integer digits (`1e19` as
/// `10000000000000000000`): hush writes it back as a float, as sops does,
/// never as an int (a uint64 to yaml.v3) nor refused as beyond int64.
#[test]
fn a_large_float_decrypts_as_a_float() {
    let ctx = Ctx::new();
    ctx.write(
        "f.yaml",
        "a: 1e19\nb: 1.5e300\nc: -9223372036854775809.0\nd: 1.5\nh: 9.3e18\n",
    );
    let enc = ctx.sops_encrypt("f.yaml", &[]);
    ctx.write("e.yaml", &enc);
    let (s, h) = (
        ctx.sops_decrypt("e.yaml", &[]),
        ctx.hush_decrypt("e.yaml", &[]),
    );
    assert_eq!(docs(&h), docs(&s), "hush:\n{h}sops:\n{s}");
    let json = ["--output-type", "json"];
    let (s, h) = (
        ctx.sops_decrypt("e.yaml", &json),
        ctx.hush_decrypt("e.yaml", &json),
    );
    assert_eq!(common::json(&h), common::json(&s));
    let cmd = "echo $a $b $c $h";
    let (s, h) = (
        ctx.sops(&["exec-env", "e.yaml", cmd]),
        ctx.hush(&["exec-env", "e.yaml", cmd]),
    );
    assert_eq!((h.code, &h.stdout), (s.code, &s.stdout), "{}", h.stderr);
    let set = ctx.hush(&["set", "e.yaml", r#"["d"]"#, "2.5"]);
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert_eq!(
        ctx.sops_decrypt("e.yaml", &["--extract", r#"["a"]"#])
            .trim(),
        "1e+19"
    );
}

/// sops's `set`/`unset` change only the path; in place, on an anchored
/// value, hush would change its aliases too: it refuses and writes nothing.
/// A path outside the anchor is edited as sops edits it.
#[test]
fn set_and_unset_refuse_an_anchored_value_an_alias_reads() {
    let ctx = Ctx::new();
    let cases = [
        (
            "a_unencrypted: &x old\nb_unencrypted: *x\nc: 1\n",
            r#"["a_unencrypted"]"#,
        ),
        (
            "a_unencrypted: &x\n  k: old\nb_unencrypted: *x\nc: 1\n",
            r#"["a_unencrypted"]["k"]"#,
        ),
        (
            "a_unencrypted: &x old\nl_unencrypted: [*x]\nc: 1\n",
            r#"["a_unencrypted"]"#,
        ),
    ];
    for (text, path) in cases {
        ctx.write("p.yaml", text);
        let enc = ctx.hush_encrypt("p.yaml", &[]);
        ctx.write("e.yaml", &enc);
        for args in [
            &["set", "e.yaml", path, r#""new""#][..],
            &["unset", "e.yaml", path],
        ] {
            let h = ctx.hush(args);
            assert_ne!(h.code, 0, "{text:?} {args:?}");
            assert!(h.stderr.contains("an alias elsewhere"), "{}", h.stderr);
            assert_eq!(ctx.read("e.yaml"), enc, "{args:?} wrote the file");
        }
        ctx.write("s.yaml", &enc);
        let set = [r#"["c"]"#, "2"];
        let h = ctx.hush(&[&["set", "e.yaml"][..], &set].concat());
        let s = ctx.sops(&[&["set", "s.yaml"][..], &set].concat());
        assert_eq!((h.code, s.code), (0, 0), "{}", h.stderr);
        let json = ["--output-type", "json"];
        assert_eq!(
            common::json(&ctx.sops_decrypt("e.yaml", &json)),
            common::json(&ctx.sops_decrypt("s.yaml", &json))
        );
    }
}

/// `!!int` on a value beyond int64 is a uint64 to yaml.v3, which sops cannot
/// store (exit 23), quoted or not; beyond uint64 both refuse to parse (2).
#[test]
fn an_int_tag_beyond_int64_fails_with_sops_s_exit_code() {
    let ctx = Ctx::new();
    for v in [
        r#"!!int "9223372036854775808""#,
        "!!int '18446744073709551615'",
        "!!int 9223372036854775808",
        r#"!!int "18446744073709551616""#,
        r#"!!int "12""#,
    ] {
        ctx.write("i.yaml", &format!("a: {v}\n"));
        let s = ctx.sops(&["encrypt", "--age", &ctx.recipient, "i.yaml"]);
        let h = ctx.hush(&["encrypt", "--age", &ctx.recipient, "i.yaml"]);
        assert_eq!(h.code, s.code, "{v}: {}", h.stderr);
    }
}
