//! The tamper corpus: every mutation an attacker with write access to the
//! repository could make to valid encrypted files (YAML, JSON, several
//! documents, Shamir key groups, a narrow selector with
//! `mac_only_encrypted`), generated at test time. For each one,
//! `hush decrypt --output` and `hush decrypt -i` must fail with a sops exit
//! code, print no plaintext, and leave their target byte-identical.
//!
//! A few mutations cannot be detected by the sops format itself (see
//! SECURITY.md, "Weaknesses inherited from the SOPS format"). They are
//! listed in `expected_acceptance` with the reason, and the test checks that
//! the real sops accepts them too, so the list stays honest: it names
//! format limits, not hush bugs. Run with `--nocapture` for the counts.

mod common;

use base64::Engine as _;
use common::*;
use hush_core::error::exit;
use std::collections::BTreeMap;
use std::path::Path;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// Distinctive plaintexts: none may appear in the output of a refused run.
pub const CANARIES: &[&str] = &[
    "CANARY-pw-1f9e",
    "CANARY-tok-77aa",
    "CANARY-item-a",
    "CANARY-item-b",
    "CANARY-json-pw",
    "CANARY-json-user",
    "CANARY-json-a",
    "CANARY-doc1-5b",
    "CANARY-doc2-c4",
    "CANARY-group-9d",
    "CANARY-regex-e2",
];

const SECRET_YAML: &str = "\
# the database
apiVersion: v1
kind: Secret
metadata:
  name: app
stringData:
  password: CANARY-pw-1f9e # root
  token: 'CANARY-tok-77aa'
  port: 5432
  enabled: true
  ratio: 0.75
  since: 2024-01-02T03:04:05Z
  list:
    - CANARY-item-a
    - CANARY-item-b
a_unencrypted: visible-foo
b_unencrypted: visible-bar
";

const SECRET_JSON: &str = r#"{
  "db": {
    "user": "CANARY-json-user",
    "password": "CANARY-json-pw"
  },
  "n": 7,
  "flag": false,
  "arr": [
    "CANARY-json-a",
    "x"
  ]
}
"#;

const MULTI_YAML: &str = "\
first: CANARY-doc1-5b
n: 1
---
second: CANARY-doc2-c4
m: 2
";

const GROUPS_YAML: &str = "\
shared: CANARY-group-9d
other: plain words
";

const REGEX_YAML: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: narrow
stringData:
  key: CANARY-regex-e2
";

/// One mutated file.
struct Mutation {
    file: &'static str,
    what: String,
    text: String,
    /// The mutation changes an encrypted comment.
    on_comment: bool,
}

/// The encrypted fixtures: (name, extension, encrypted text).
fn fixtures(ctx: &Ctx, key2: &str) -> Vec<(&'static str, &'static str, String)> {
    ctx.write("secret.yaml", SECRET_YAML);
    ctx.write("secret.json", SECRET_JSON);
    ctx.write("multi.yaml", MULTI_YAML);
    ctx.write("regex.yaml", REGEX_YAML);
    ctx.write("groups/g.yaml", GROUPS_YAML);
    ctx.write(
        "groups/.sops.yaml",
        &format!(
            "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [{}]\n      - age: [{key2}]\n",
            ctx.recipient
        ),
    );
    let enc = |args: &[&str]| expect_ok("encrypt", &ctx.hush(args));
    let r = ctx.recipient.as_str();
    let groups = expect_ok(
        "encrypt with key groups",
        &ctx.hush(&["encrypt", "--config", "groups/.sops.yaml", "groups/g.yaml"]),
    );
    vec![
        (
            "secret",
            "yaml",
            enc(&["encrypt", "--age", r, "secret.yaml"]),
        ),
        (
            "secret",
            "json",
            enc(&["encrypt", "--age", r, "secret.json"]),
        ),
        ("multi", "yaml", enc(&["encrypt", "--age", r, "multi.yaml"])),
        ("groups", "yaml", groups),
        (
            "regex",
            "yaml",
            enc(&[
                "encrypt",
                "--age",
                r,
                "--encrypted-regex",
                "^(data|stringData)$",
                "--mac-only-encrypted",
                "regex.yaml",
            ]),
        ),
    ]
}

/// An `ENC[…]` value in the text: its byte range and the line it is on.
struct Enc {
    range: std::ops::Range<usize>,
    line: String,
    is_mac: bool,
    is_comment: bool,
}

fn enc_values(text: &str) -> Vec<Enc> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("ENC[") {
        let start = at + i;
        let end = start + text[start..].find(']').unwrap() + 1;
        let ls = text[..start].rfind('\n').map_or(0, |p| p + 1);
        let le = text[start..].find('\n').map_or(text.len(), |p| start + p);
        let line = text[ls..le].to_string();
        let t = line.trim_start();
        let is_mac = t.starts_with("mac:") || t.starts_with("\"mac\":");
        let is_comment = text[start..end].ends_with("type:comment]");
        out.push(Enc {
            range: start..end,
            line,
            is_mac,
            is_comment,
        });
        at = end;
    }
    out
}

/// The key a value sits under, for messages.
fn label(e: &Enc) -> String {
    if e.is_comment {
        return "an encrypted comment".into();
    }
    let t = e.line.trim_start();
    if t.starts_with("- ") || t.starts_with('"') && t.starts_with("\"ENC") {
        return "list item".into();
    }
    t.split(':').next().unwrap().trim_matches('"').to_string()
}

fn splice(text: &str, r: std::ops::Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &text[..r.start], &text[r.end..])
}

/// Rewrites one field (`data:`, `iv:`, `tag:`, `type:`) of an ENC value.
fn with_field(enc: &str, field: &str, f: impl Fn(&str) -> String) -> String {
    let body = &enc[4..enc.len() - 1];
    let parts: Vec<String> = body
        .split(',')
        .map(|p| match p.strip_prefix(field) {
            Some(v) => format!("{field}{}", f(v)),
            None => p.to_string(),
        })
        .collect();
    format!("ENC[{}]", parts.join(","))
}

fn flip_b64(v: &str) -> String {
    let mut bytes = B64.decode(v).unwrap();
    bytes[0] ^= 0x01;
    B64.encode(bytes)
}

/// Removes the line holding byte `at`; in JSON, a comma left dangling goes too.
fn delete_line(text: &str, at: usize, json: bool) -> String {
    let ls = text[..at].rfind('\n').map_or(0, |p| p + 1);
    let le = text[at..].find('\n').map_or(text.len(), |p| at + p + 1);
    let removed = text[ls..le].trim_end();
    let mut before = text[..ls].to_string();
    if json && !removed.ends_with(',') {
        let trimmed = before.trim_end_matches('\n');
        if let Some(stripped) = trimmed.strip_suffix(',') {
            before = format!("{stripped}\n");
        }
    }
    format!("{before}{}", &text[le..])
}

/// Where the (first) `sops` metadata starts and ends.
fn sops_range(text: &str, json: bool) -> std::ops::Range<usize> {
    if json {
        let start = text.find(",\n  \"sops\":").unwrap();
        let end = text.rfind('}').unwrap();
        return start..end;
    }
    let start = if text.starts_with("sops:") {
        0
    } else {
        text.find("\nsops:").unwrap() + 1
    };
    let end = text[start..]
        .find("\n---")
        .map_or(text.len(), |p| start + p + 1);
    start..end
}

fn mutations(file: &'static str, ext: &str, text: &str) -> Vec<Mutation> {
    let json = ext == "json";
    let mut out = Vec::new();
    let on_comment = std::cell::Cell::new(false);
    let mut push = |what: String, t: String| {
        if t != text {
            out.push(Mutation {
                file,
                what,
                text: t,
                on_comment: on_comment.get(),
            });
        }
    };
    let values = enc_values(text);
    let body: Vec<&Enc> = values.iter().filter(|e| !e.is_mac).collect();
    for (i, e) in body.iter().enumerate() {
        let enc = &text[e.range.clone()];
        let name = label(e);
        on_comment.set(e.is_comment);
        for field in ["data:", "iv:", "tag:"] {
            push(
                format!("flip a byte of {field} at {name}"),
                splice(text, e.range.clone(), &with_field(enc, field, flip_b64)),
            );
        }
        let vtype = enc.rsplit("type:").next().unwrap().trim_end_matches(']');
        for t in ["str", "int", "float", "bool", "time", "comment"] {
            if t != vtype {
                push(
                    format!("change type:{vtype} to type:{t} at {name}"),
                    splice(
                        text,
                        e.range.clone(),
                        &with_field(enc, "type:", |_| t.into()),
                    ),
                );
            }
        }
        push(
            format!("delete the value at {name}"),
            delete_line(text, e.range.start, json),
        );
        push(
            format!("empty the value at {name}"),
            splice(
                text,
                e.range.clone(),
                if json || enc_is_quoted(text, e) {
                    ""
                } else {
                    "\"\""
                },
            ),
        );
        if name != "list item" && !e.is_comment {
            // Move the value to another key path: rename its key.
            let ls = text[..e.range.start].rfind('\n').map_or(0, |p| p + 1);
            let key_at = ls + e.line.find(&name).unwrap() + name.len();
            push(
                format!("move the value at {name} to the key {name}2"),
                splice(text, key_at..key_at, "2"),
            );
        }
        on_comment.set(e.is_comment || body.get(i + 1).is_some_and(|n| n.is_comment));
        if let Some(next) = body.get(i + 1) {
            let other = &text[next.range.clone()];
            let swapped = format!(
                "{}{other}{}{enc}{}",
                &text[..e.range.start],
                &text[e.range.end..next.range.start],
                &text[next.range.end..]
            );
            push(
                format!("swap the values at {name} and {}", label(next)),
                swapped,
            );
        }
    }
    on_comment.set(false);
    // Values added in plaintext.
    if json {
        push(
            "add a plaintext value".into(),
            text.replacen("{\n", "{\n  \"injected\": \"x\",\n", 1),
        );
        push(
            "add a plaintext _unencrypted value".into(),
            text.replacen("{\n", "{\n  \"injected_unencrypted\": \"x\",\n", 1),
        );
    } else {
        push(
            "add a plaintext value".into(),
            format!("injected: x\n{text}"),
        );
        push(
            "add a plaintext _unencrypted value".into(),
            format!("injected_unencrypted: x\n{text}"),
        );
    }
    if text.contains("a_unencrypted: visible-foo\nb_unencrypted: visible-bar") {
        push(
            "move bytes between adjacent plaintext values".into(),
            text.replace(
                "a_unencrypted: visible-foo\nb_unencrypted: visible-bar",
                "a_unencrypted: visible-fo\nb_unencrypted: ovisible-bar",
            ),
        );
    }
    if text.contains("\na_unencrypted: visible-foo") {
        push(
            "rename the key of a plaintext value".into(),
            text.replace(
                "\na_unencrypted: visible-foo",
                "\nc_unencrypted: visible-foo",
            ),
        );
    }
    // The metadata.
    for (what, from, to) in [
        (
            "change encrypted_regex",
            "encrypted_regex: ^(data|stringData)$",
            "encrypted_regex: ^(data)$",
        ),
        (
            "change unencrypted_suffix",
            "unencrypted_suffix: _unencrypted",
            "unencrypted_suffix: _plain",
        ),
        (
            "change unencrypted_suffix",
            "\"unencrypted_suffix\": \"_unencrypted\"",
            "\"unencrypted_suffix\": \"_plain\"",
        ),
        (
            "turn mac_only_encrypted off",
            "mac_only_encrypted: true",
            "mac_only_encrypted: false",
        ),
    ] {
        // Only where it changes which values are selected: elsewhere the
        // (unauthenticated) selector changes nothing.
        let matters = what != "change unencrypted_suffix" || text.contains("a_unencrypted");
        if text.contains(from) && matters {
            push(what.into(), text.replacen(from, to, 1));
        }
    }
    let lm = Regex::new(if json {
        r#""lastmodified": "(\d{4})"#
    } else {
        r#"lastmodified: "(\d{4})"#
    });
    if let Some((at, year)) = lm.find(text) {
        let next = (year.parse::<u32>().unwrap() + 1).to_string();
        push(
            "change lastmodified".into(),
            splice(text, at..at + 4, &next),
        );
    }
    if let Some(mac) = values.iter().find(|e| e.is_mac) {
        let enc = &text[mac.range.clone()];
        for field in ["data:", "iv:", "tag:"] {
            push(
                format!("flip a byte of the MAC's {field}"),
                splice(text, mac.range.clone(), &with_field(enc, field, flip_b64)),
            );
        }
        let other = body.first().map(|e| &text[e.range.clone()]).unwrap();
        push(
            "replace the MAC with a value's ciphertext".into(),
            splice(text, mac.range.clone(), other),
        );
        push("empty the MAC".into(), splice(text, mac.range.clone(), ""));
        push(
            "delete the MAC".into(),
            delete_line(text, mac.range.start, json),
        );
    }
    let sops = sops_range(text, json);
    push(
        "delete the sops block".into(),
        splice(text, sops.clone(), if json { "\n" } else { "" }),
    );
    let block = &text[sops.clone()];
    let corrupt = |from: &str, to: &str| splice(text, sops.clone(), &block.replacen(from, to, 1));
    if json {
        push("make the sops block a string".into(), {
            let s = sops.start + text[sops.clone()].find("\"sops\": ").unwrap() + 8;
            format!("{}\"x\"\n}}\n", &text[..s])
        });
    } else {
        push(
            "make the sops block a scalar".into(),
            format!("{}sops: x\n{}", &text[..sops.start], &text[sops.end..]),
        );
    }
    push(
        "corrupt the wrapped data key".into(),
        corrupt(
            "-----BEGIN AGE ENCRYPTED FILE-----",
            "-----BEGIN AGE ENCRYPTED FILE-----X",
        ),
    );
    let armor = Regex::new(r"ENCRYPTED FILE-----(?:\\n|\n\s*)([A-Za-z0-9+/])");
    if let Some((at, c)) = armor.find(block) {
        let flipped = if c == "A" { "B" } else { "A" };
        push(
            "flip a character of the wrapped data key".into(),
            splice(text, sops.start + at..sops.start + at + 1, flipped),
        );
    }
    push(
        "rename the age key list".into(),
        corrupt(
            if json { "\"age\":" } else { "age:" },
            if json { "\"agex\":" } else { "agex:" },
        ),
    );
    let mut second_block = None;
    if !json && text[sops.end..].contains("\nsops:") {
        let rest = sops.end + text[sops.end..].find("\nsops:").unwrap() + 1;
        let end = text[rest..]
            .find("\n---")
            .map_or(text.len(), |p| rest + p + 1);
        second_block = Some(rest..end);
        push(
            "delete the sops block of the second document".into(),
            splice(text, rest..end, ""),
        );
    }
    // Truncations.
    for (what, at) in [
        ("truncate the file to nothing", 0),
        ("truncate the file to a quarter", text.len() / 4),
        ("truncate the file to half", text.len() / 2),
        ("truncate the file to three quarters", text.len() * 3 / 4),
        ("truncate the file before its metadata", sops.start),
    ] {
        let in_copy = second_block.as_ref().is_some_and(|r| r.contains(&at));
        let what = if in_copy {
            format!("{what} (inside the second document's sops block)")
        } else {
            what.to_string()
        };
        push(what, text[..at].to_string());
    }
    out
}

fn enc_is_quoted(text: &str, e: &Enc) -> bool {
    e.range.start > 0 && matches!(text.as_bytes()[e.range.start - 1], b'"' | b'\'')
}

/// A tiny wrapper so the test needs no regex dependency of its own.
struct Regex(regex::Regex);

impl Regex {
    fn new(re: &str) -> Self {
        Regex(regex::Regex::new(re).unwrap())
    }

    /// The start and text of the first capture group.
    fn find<'t>(&self, text: &'t str) -> Option<(usize, &'t str)> {
        let c = self.0.captures(text)?.get(1)?;
        Some((c.start(), c.as_str()))
    }
}

/// Mutations that the sops format cannot detect, with the reason. The test
/// checks that sops accepts each of them as well.
fn expected_acceptance(m: &Mutation) -> Option<&'static str> {
    let w = m.what.as_str();
    let same_mac_bytes = [
        "change type:int to type:str",
        "change type:int to type:float",
        "change type:float to type:str",
        "change type:time to type:str",
    ];
    if same_mac_bytes.iter().any(|p| w.starts_with(p)) {
        return Some(
            "type: is outside the GCM tag and the MAC hashes the same bytes for both types (the plaintext bytes are unchanged; only their YAML/JSON type differs)",
        );
    }
    if w == "move bytes between adjacent plaintext values" {
        return Some("the MAC does not delimit values, and these values are not encrypted");
    }
    if m.file == "regex"
        && (w == "add a plaintext _unencrypted value" || w == "add a plaintext value")
    {
        return Some("mac_only_encrypted: values outside the selector are not covered by the MAC");
    }
    if m.on_comment {
        return Some(
            "comments are not in the MAC, and an encrypted comment that does not decrypt is kept as it is, as sops does (never shown wrongly decrypted)",
        );
    }
    if w == "rename the key of a plaintext value" {
        return Some("key names are not in the MAC, and this value is not encrypted");
    }
    if w == "delete the sops block of the second document"
        || w.ends_with("(inside the second document's sops block)")
    {
        return Some("only the first document's sops block is read; later ones are copies");
    }
    None
}

/// The exit codes sops uses for a file it will not decrypt.
const SOPS_CODES: &[u8] = &[
    exit::ERROR_GENERIC,
    exit::COULD_NOT_READ_INPUT_FILE,
    exit::ERROR_DUMPING_TREE,
    exit::ERROR_DECRYPTING_TREE,
    exit::MAC_MISMATCH,
    exit::MAC_NOT_FOUND,
    exit::COULD_NOT_RETRIEVE_KEY,
];

/// What one mutation did.
struct Outcome {
    refused: bool,
    problems: Vec<String>,
    sops_code: i32,
    outputs: String,
}

fn run_one(ctx: &Ctx, key_file: &Path, n: usize, ext: &str, m: &Mutation) -> Outcome {
    let dir = ctx.path(&format!("m{n}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("f.{ext}"));
    let out_file = dir.join("out.txt");
    let inplace = dir.join(format!("i.{ext}"));
    std::fs::write(&file, &m.text).unwrap();
    std::fs::write(&inplace, &m.text).unwrap();
    std::fs::write(&out_file, "SENTINEL\n").unwrap();
    let run =
        |args: Vec<&std::ffi::OsStr>| ctx.run_with(&hush_bin(), args, Some(key_file), &[], None);
    let a = run(vec![
        "decrypt".as_ref(),
        "--output".as_ref(),
        out_file.as_os_str(),
        file.as_os_str(),
    ]);
    let b = run(vec!["decrypt".as_ref(), "-i".as_ref(), inplace.as_os_str()]);
    let s = ctx.run_with(
        &sops_bin(),
        [&"-d".as_ref(), &file.as_os_str()],
        Some(key_file),
        &[],
        None,
    );
    let mut problems = Vec::new();
    let refused = a.code != 0;
    if refused {
        for (what, o) in [("--output", &a), ("-i", &b)] {
            if o.code == 0 {
                problems.push(format!("{what} succeeded"));
            } else if !SOPS_CODES.contains(&(o.code as u8)) || o.code < 0 {
                problems.push(format!("{what}: exit {} is not a sops code", o.code));
            }
            if !o.stdout.is_empty() {
                problems.push(format!("{what}: printed on stdout"));
            }
        }
        if std::fs::read_to_string(&out_file).unwrap() != "SENTINEL\n" {
            problems.push("--output target changed".into());
        }
        if std::fs::read_to_string(&inplace).unwrap() != m.text {
            problems.push("-i target changed".into());
        }
    } else if b.code != 0 {
        problems.push("--output succeeded but -i failed".into());
    }
    let outputs = [&a.stdout, &a.stderr, &b.stdout, &b.stderr]
        .map(|s| s.as_str())
        .concat();
    let _ = std::fs::remove_dir_all(&dir);
    Outcome {
        refused,
        problems,
        sops_code: s.code,
        outputs: if refused { outputs } else { a.stderr },
    }
}

#[test]
fn every_tampered_file_is_refused_without_leaking_plaintext() {
    let ctx = Ctx::new();
    let (key2_file, key2) = ctx.other_key("key2.txt");
    // One key file with both identities, for the key-group file.
    let both = ctx.write(
        "both.txt",
        &(ctx.read("keys.txt") + &std::fs::read_to_string(&key2_file).unwrap()),
    );
    let mut all = Vec::new();
    for (file, ext, text) in fixtures(&ctx, &key2) {
        // Each fixture decrypts before it is tampered with.
        let p = ctx.write(&format!("ok-{file}.{ext}"), &text);
        let o = ctx.run_with(
            &hush_bin(),
            ["decrypt".as_ref(), p.as_os_str()],
            Some(&both),
            &[],
            None,
        );
        expect_ok(&format!("decrypt the untampered {file}.{ext}"), &o);
        for m in mutations(file, ext, &text) {
            all.push((ext, m));
        }
    }
    let results = parallel(&all, |n, (ext, m)| run_one(&ctx, &both, n, ext, m));

    let mut refused = 0;
    let mut failures = Vec::new();
    let mut accepted: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut sops_codes: BTreeMap<i32, usize> = BTreeMap::new();
    let mut both_refuse = 0;
    for ((ext, m), o) in all.iter().zip(&results) {
        let tag = format!("{}.{ext}: {}", m.file, m.what);
        *sops_codes.entry(o.sops_code).or_default() += 1;
        for p in &o.problems {
            failures.push(format!("{tag}: {p}"));
        }
        for c in CANARIES {
            if o.refused && o.outputs.contains(c) {
                failures.push(format!("{tag}: the output shows the plaintext {c}"));
            }
        }
        match (o.refused, expected_acceptance(m)) {
            (true, _) => {
                refused += 1;
                both_refuse += usize::from(o.sops_code != 0);
            }
            (false, Some(why)) => {
                if o.sops_code != 0 {
                    failures.push(format!("{tag}: listed as undetectable by the format, but sops refuses it (exit {})", o.sops_code));
                }
                accepted.entry(why).or_default().push(tag);
            }
            (false, None) => failures.push(format!("{tag}: hush ACCEPTED it")),
        }
    }
    eprintln!(
        "tamper corpus: {} mutations, {refused} refused, {} accepted (undetectable by the format)",
        all.len(),
        all.len() - refused
    );
    for (why, tags) in &accepted {
        eprintln!("  accepted because {why}:");
        for t in tags {
            eprintln!("    - {t}");
        }
    }
    eprintln!("  sops refuses {both_refuse} of the {refused} hush refuses; sops exit codes: {sops_codes:?}");
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(all.len() >= 200, "only {} mutations", all.len());
}

/// Runs `f` over `items` on a few threads, keeping the order.
pub fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(usize, &T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out: Vec<std::sync::Mutex<Option<R>>> = items.iter().map(|_| Default::default()).collect();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                *out[i].lock().unwrap() = Some(f(i, item));
            });
        }
    });
    out.into_iter()
        .map(|m| m.into_inner().unwrap().unwrap())
        .collect()
}
