//! Black-box interop tests: the `hush` binary against the real `sops` binary
//! (getsops/sops 3.x, located via HUSH_TEST_SOPS — see ./scripts/test) with
//! fresh age keys from the real `age-keygen`.
//!
//! sops re-emits YAML with its own layout (4-space indent, comments moved),
//! so across tools we compare parsed value trees, "shapes" of encrypted files
//! (which leaves are encrypted and with which type tag, which stay plaintext)
//! and comment texts; byte equality is only required for hush's own
//! round trip.

mod common;

use common::*;
use serde_yaml_ng::Value;

const SECRET: &str = "hunter2";

const TYPES_YAML: &str = "\
s: hello
i: 42
f: 3.14
b: true
t: 2024-01-01T10:00:00Z
e: \"\"
n: null
q: \"123\"
neg: -7
off: false
";

const NESTED_YAML: &str = "\
app:
  name: web
  db:
    user: admin
    password: hunter2
    port: 5432
  replicas: 3
users:
  - name: alice
    roles:
      - admin
      - dev
    token: t-alice
  - name: bob
    roles: []
    token: t-bob
matrix:
  - - 1
    - 2
  - - x
    - true
";

const COMMENTS_YAML: &str = "\
# top-level comment
# second top-level line
password: hunter2
# comment above nested map
db:
  # nested comment above user
  user: admin
  # nested comment above port
  port: 5432
list:
  # comment above first item
  - name: a
    # comment inside list item
    pw: x
# trailing comment above last key
last: value
";

const INLINE_COMMENTS_YAML: &str = "\
# above
password: hunter2 # inline on password
db:
  user: admin # inline on user
  port: 5432
";

const SELECTOR_YAML: &str = "\
# sops:enc
password: hunter2
# plain note
username: admin
api_key_secret: k1
host_unencrypted: example.com
data:
  token: abc
  other: def
stringData:
  x: y
nested:
  # sops:enc
  token: abc
  other: def
  deep_secret:
    a: 1
";

const MULTI_DOC_YAML: &str = "\
first: one
secret: hunter2
---
second: two
nested:
  n: 3
---
third:
  - x: 1
    y: hunter2
";

const JSON_INPUT: &str = r#"{
  "s": "hello",
  "i": 42,
  "f": 3.5,
  "b": true,
  "n": null,
  "e": "",
  "list": [1, "two", false, {"k": "v"}],
  "nested": {"password": "hunter2", "port": 5432}
}
"#;

const K8S_SECRET: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: db-credentials
  namespace: prod
  labels:
    app: db
type: Opaque
data:
  username: YWRtaW4=
  password: aHVudGVyMg==
stringData:
  url: postgres://admin:hunter2@db:5432/app
";

/// Formatting-rich YAML, no trailing newline.
const RICH_YAML: &str = "# Leading comment

apiVersion: v1   # trailing comment after a value
kind: 'Secret'
metadata:
  name: \"my-secret\"
  labels: {app: web, tier: \"back end\", n: 1}

# comment after a blank line
data:
  list: [x, y, 'z z', 3]
  nested:
    - a: 1
      b: 2.50
    - plain item
    -   odd: indentation
  empty: ''
  dq_empty: \"\"
  nothing: null
  tilde: ~
  quoted_num: '0123'
  escaped: \"tab\\there \\\"q\\\"\"
  single: 'it''s'
  bool: yes
  colon: \"a: b\"
  url: http://example.com/#frag


end:   last # spaced";

const BLOCK_SCALAR_YAML: &str = "\
key: |
  line one
  line two
folded: >-
  folded text
after: value
";

const FOLDED_YAML: &str = "\
folded: >-
  folded
  text
after: value
";

// ---------------------------------------------------------------------------
// helpers local to these tests

fn values(text: &str) -> Value {
    split_sops(yaml(text)).0
}

fn enc_yaml(text: &str) -> (Value, Value) {
    let (v, meta) = split_sops(yaml(text));
    let meta =
        meta.unwrap_or_else(|| panic!("encrypted file has no top-level `sops` key:\n{text}"));
    (v, meta)
}

fn get<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    let mut cur = v;
    for p in path {
        cur = match p.parse::<usize>() {
            Ok(i) if cur.is_sequence() => &cur[i],
            _ => cur
                .get(*p)
                .unwrap_or_else(|| panic!("no key {p:?} in {cur:?}")),
        };
    }
    cur
}

fn is_encrypted(v: &Value) -> bool {
    v.as_str().and_then(enc_type).is_some()
}

/// Encrypt `input` (as `name`) with both tools using `extra` flags and
/// return (hush_encrypted_text, sops_encrypted_text).
fn encrypt_both(ctx: &Ctx, name: &str, input: &str, extra: &[&str]) -> (String, String) {
    ctx.write(name, input);
    let h = ctx.hush_encrypt(name, extra);
    let s = ctx.sops_encrypt(name, extra);
    (h, s)
}

/// Full selector check: both tools encrypt exactly the same leaves with the
/// same type tags, leave the same comments plaintext, record the same
/// selector metadata, and each tool decrypts the other's output.
fn check_selector(flags: &[&str], expect_plain: &[&[&str]], expect_enc: &[&[&str]]) {
    let ctx = Ctx::new();
    let (h, s) = encrypt_both(&ctx, "sel.yaml", SELECTOR_YAML, flags);
    let (hv, hm) = enc_yaml(&h);
    let (sv, sm) = enc_yaml(&s);

    for p in expect_plain {
        assert_eq!(
            get(&hv, p),
            get(&values(SELECTOR_YAML), p),
            "hush {flags:?}: {p:?} should stay plaintext\n{h}"
        );
        assert!(
            !is_encrypted(get(&sv, p)),
            "sanity: sops {flags:?} left {p:?} plaintext"
        );
    }
    for p in expect_enc {
        assert!(
            is_encrypted(get(&hv, p)),
            "hush {flags:?}: {p:?} should be encrypted\n{h}"
        );
        assert!(
            is_encrypted(get(&sv, p)),
            "sanity: sops {flags:?} encrypts {p:?}"
        );
    }
    assert_same_yaml(
        &format!("shape of encrypted file with {flags:?} (left hush, right sops)"),
        &shape(&hv),
        &shape(&sv),
    );
    assert_eq!(
        comment_lines(&h),
        comment_lines(&s),
        "comments in encrypted file with {flags:?} (left hush, right sops)\n--- hush ---\n{h}\n--- sops ---\n{s}"
    );
    assert_eq!(
        selector_meta(&hm),
        selector_meta(&sm),
        "selector metadata with {flags:?} (left hush, right sops)"
    );

    // cross decryption
    ctx.write("h.enc.yaml", &h);
    ctx.write("s.enc.yaml", &s);
    let expected = values(SELECTOR_YAML);
    assert_same_yaml(
        "sops -d of hush-encrypted selector file",
        &values(&ctx.sops_decrypt("h.enc.yaml", &[])),
        &expected,
    );
    assert_same_yaml(
        "hush decrypt of sops-encrypted selector file",
        &values(&ctx.hush_decrypt("s.enc.yaml", &[])),
        &expected,
    );
}

fn assert_one_line_error_without_secret(what: &str, out: &common::Out) {
    assert!(
        !out.stderr.contains(SECRET) && !out.stdout.contains(SECRET),
        "{what}: output leaks the secret value:\n{}",
        out.stderr
    );
    // One line says what failed; a missing data key adds one indented line
    // per key tried (group, key, reason).
    let mut lines = out.stderr.trim_end().lines();
    assert!(
        lines.next().is_some_and(|l| l.starts_with("hush: ")),
        "{what}: {}",
        out.stderr
    );
    assert!(
        lines.all(|l| l.starts_with("  ") && (l.contains(" age1") || l.contains(" kms "))),
        "{what}: error should be one line, plus one line per key tried, got:\n{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------
// round trips across the tools

/// Files that one tool encrypts and the other decrypts: every scalar type,
/// nested maps and lists of maps, JSON.
const ROUND_TRIPS: &[(&str, &str)] = &[
    ("types.yaml", TYPES_YAML),
    ("n.yaml", NESTED_YAML),
    ("j.json", JSON_INPUT),
];

/// Encrypts `file` with hush (or sops), decrypts it with the other tool,
/// and compares the values with the input's.
fn round_trip(ctx: &Ctx, file: &str, input: &str, hush_encrypts: bool) {
    ctx.write(file, input);
    let enc_file = file.replacen('.', ".enc.", 1);
    let (enc, what) = if hush_encrypts {
        (
            ctx.hush_encrypt(file, &[]),
            format!("sops -d (hush encrypt {file})"),
        )
    } else {
        (
            ctx.sops_encrypt(file, &[]),
            format!("hush decrypt (sops -e {file})"),
        )
    };
    ctx.write(&enc_file, &enc);
    let dec = if hush_encrypts {
        ctx.sops_decrypt(&enc_file, &[])
    } else {
        ctx.hush_decrypt(&enc_file, &[])
    };
    if file.ends_with(".json") {
        json(&enc); // must be valid JSON
        assert_same_json(&what, &json(&dec), &json(input));
    } else {
        assert_same_yaml(&what, &values(&dec), &values(input));
    }
}

#[test]
fn hush_encrypted_files_decrypt_with_sops() {
    let ctx = Ctx::new();
    for (file, input) in ROUND_TRIPS {
        round_trip(&ctx, file, input, true);
    }
}

#[test]
fn sops_encrypted_files_decrypt_with_hush() {
    let ctx = Ctx::new();
    for (file, input) in ROUND_TRIPS {
        round_trip(&ctx, file, input, false);
    }
}

// ---------------------------------------------------------------------------
// scalar types

#[test]
fn both_tools_encrypt_every_type_with_the_same_type_tags() {
    let ctx = Ctx::new();
    let (h, s) = encrypt_both(&ctx, "types.yaml", TYPES_YAML, &[]);
    let (hv, hm) = enc_yaml(&h);
    let (sv, sm) = enc_yaml(&s);
    assert_same_yaml("shape (left hush, right sops)", &shape(&hv), &shape(&sv));
    // spot checks that document sops semantics
    assert_eq!(
        shape(get(&hv, &["t"])),
        Value::from("<ENC AES256_GCM/time>")
    );
    assert_eq!(shape(get(&hv, &["i"])), Value::from("<ENC AES256_GCM/int>"));
    assert_eq!(shape(get(&hv, &["q"])), Value::from("<ENC AES256_GCM/str>"));
    assert_eq!(
        get(&hv, &["e"]),
        &Value::from(""),
        "empty strings stay empty, like sops"
    );
    assert_eq!(get(&hv, &["n"]), &Value::Null, "null stays null, like sops");
    assert_eq!(
        selector_meta(&hm),
        selector_meta(&sm),
        "default selector metadata"
    );
    assert_eq!(age_recipients(&hm), vec![ctx.recipient.clone()]);
    assert_eq!(age_recipients(&sm), vec![ctx.recipient.clone()]);
    for field in ["lastmodified", "mac", "version"] {
        assert!(
            hm.get(field).is_some(),
            "hush metadata lacks `{field}`:\n{h}"
        );
    }
}

#[test]
fn hush_decrypt_of_a_sops_file_is_byte_identical_to_sops_decrypt() {
    // The encrypted file is laid out by sops, so a formatting-preserving
    // decrypt must reproduce exactly what `sops -d` prints (quoting of
    // timestamps, "" and "123", key quoting, indentation, trailing newline).
    let ctx = Ctx::new();
    ctx.write("types.yaml", TYPES_YAML);
    ctx.write("types.enc.yaml", &ctx.sops_encrypt("types.yaml", &[]));
    let by_sops = ctx.sops_decrypt("types.enc.yaml", &[]);
    let by_hush = ctx.hush_decrypt("types.enc.yaml", &[]);
    assert_eq!(by_hush, by_sops, "left hush decrypt, right sops -d");
}

#[test]
fn hush_decrypt_of_sops_files_with_nested_lists_documents_and_selectors_is_byte_identical_to_sops_decrypt(
) {
    let ctx = Ctx::new();
    let cases: &[(&str, &str, &[&str])] = &[
        ("nested.yaml", NESTED_YAML, &[]),
        ("multi.yaml", MULTI_DOC_YAML, &[]),
        (
            "k8s.yaml",
            K8S_SECRET,
            &["--encrypted-regex", "^(data|stringData)$"],
        ),
        (
            "sel.yaml",
            SELECTOR_YAML,
            &["--encrypted-comment-regex", "sops:enc"],
        ),
        ("comments.yaml", COMMENTS_YAML, &[]),
    ];
    let mut failures = Vec::new();
    for (name, input, flags) in cases {
        ctx.write(name, input);
        ctx.write("x.enc.yaml", &ctx.sops_encrypt(name, flags));
        let by_sops = ctx.sops_decrypt("x.enc.yaml", &[]);
        let out = ctx.hush(&["decrypt", "x.enc.yaml"]);
        if out.code != 0 || out.stdout != by_sops {
            failures.push(format!(
                "{name}: hush exit {} stderr {:?}\n--- hush ---\n{}\n--- sops -d ---\n{by_sops}",
                out.code, out.stderr, out.stdout
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "hush decrypt != sops -d for:\n{}",
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------
// comments

#[test]
fn comments_above_keys_come_out_of_sops_decrypt_the_same_for_hush_and_sops_files() {
    let ctx = Ctx::new();
    let (h, s) = encrypt_both(&ctx, "c.yaml", COMMENTS_YAML, &[]);
    ctx.write("h.enc.yaml", &h);
    ctx.write("s.enc.yaml", &s);
    let dh = ctx.sops_decrypt("h.enc.yaml", &[]);
    let ds = ctx.sops_decrypt("s.enc.yaml", &[]);
    assert_eq!(
        comment_lines(&dh),
        comment_lines(&ds),
        "comments of sops -d (left: hush file, right: sops file)\n--- from hush file ---\n{dh}\n--- from sops file ---\n{ds}"
    );
    assert_eq!(
        comment_lines(&ds),
        comment_lines(COMMENTS_YAML),
        "sanity: sops keeps full-line comments"
    );
    assert_same_yaml("values", &values(&dh), &values(COMMENTS_YAML));
}

#[test]
fn comments_are_encrypted_like_sops_does() {
    let ctx = Ctx::new();
    let (h, s) = encrypt_both(&ctx, "c.yaml", COMMENTS_YAML, &[]);
    let hc = comment_lines(&h);
    assert_eq!(
        hc,
        comment_lines(&s),
        "comment lines of encrypted files (left hush, right sops)\n--- hush ---\n{h}\n--- sops ---\n{s}"
    );
    for c in comment_lines(COMMENTS_YAML) {
        assert!(
            !h.contains(&c),
            "plaintext comment {c:?} left in hush output:\n{h}"
        );
    }
}

#[test]
fn sops_encrypted_comments_decrypt_with_hush() {
    let ctx = Ctx::new();
    ctx.write("c.yaml", COMMENTS_YAML);
    ctx.write("s.enc.yaml", &ctx.sops_encrypt("c.yaml", &[]));
    let by_hush = ctx.hush_decrypt("s.enc.yaml", &[]);
    let by_sops = ctx.sops_decrypt("s.enc.yaml", &[]);
    assert_eq!(
        comment_lines(&by_hush),
        comment_lines(&by_sops),
        "comments (left hush decrypt, right sops -d)\n--- hush ---\n{by_hush}"
    );
    assert_same_yaml("values", &values(&by_hush), &values(COMMENTS_YAML));
}

#[test]
fn inline_comments_survive_hush_encrypt_then_sops_decrypt() {
    let ctx = Ctx::new();
    let (h, s) = encrypt_both(&ctx, "c.yaml", INLINE_COMMENTS_YAML, &[]);
    for c in all_comments(INLINE_COMMENTS_YAML) {
        assert!(
            !h.contains(&c),
            "plaintext comment {c:?} left in hush output:\n{h}"
        );
    }
    ctx.write("h.enc.yaml", &h);
    ctx.write("s.enc.yaml", &s);
    let dh = ctx.sops_decrypt("h.enc.yaml", &[]);
    let ds = ctx.sops_decrypt("s.enc.yaml", &[]);
    // sops moves inline comments around; compare the multiset of texts.
    let mut ch = all_comments(&dh);
    let mut cs = all_comments(&ds);
    ch.sort();
    cs.sort();
    assert_eq!(
        ch, cs,
        "comment texts (left: sops -d of hush file; right: of sops file)\n{dh}"
    );
    assert_same_yaml("values", &values(&dh), &values(INLINE_COMMENTS_YAML));
    // and hush's own round trip keeps them inline
    assert_eq!(ctx.hush_decrypt("h.enc.yaml", &[]), INLINE_COMMENTS_YAML);
}

// ---------------------------------------------------------------------------
// structure

#[test]
fn nested_maps_and_lists_of_maps_are_encrypted_with_the_same_shape() {
    let ctx = Ctx::new();
    let (h, s) = encrypt_both(&ctx, "n.yaml", NESTED_YAML, &[]);
    assert_same_yaml(
        "shape (left hush, right sops)",
        &shape(&enc_yaml(&h).0),
        &shape(&enc_yaml(&s).0),
    );
    assert!(!h.contains(SECRET), "secret in hush output");
}

#[test]
fn multiple_yaml_documents_hush_encrypt_then_sops_decrypt() {
    let ctx = Ctx::new();
    ctx.write("m.yaml", MULTI_DOC_YAML);
    let enc = ctx.hush_encrypt("m.yaml", &[]);
    let enc_docs = yaml_docs(&enc);
    assert_eq!(
        enc_docs.len(),
        3,
        "hush output should keep 3 documents:\n{enc}"
    );
    for (i, d) in enc_docs.iter().enumerate() {
        assert!(
            d.get("sops").is_some(),
            "hush document {i} lacks sops metadata:\n{enc}"
        );
    }
    ctx.write("m.enc.yaml", &enc);
    let dec = ctx.sops_decrypt("m.enc.yaml", &[]);
    let got: Vec<Value> = yaml_docs(&dec)
        .into_iter()
        .map(|d| split_sops(d).0)
        .collect();
    let want = yaml_docs(MULTI_DOC_YAML);
    assert_eq!(
        got.len(),
        want.len(),
        "document count after sops -d:\n{dec}"
    );
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_same_yaml(&format!("document {i}"), g, w);
    }
}

#[test]
fn multiple_yaml_documents_sops_encrypt_then_hush_decrypt() {
    let ctx = Ctx::new();
    let input = MULTI_DOC_YAML;
    ctx.write("m.yaml", input);
    let enc = ctx.sops_encrypt("m.yaml", &[]);
    ctx.write("m.enc.yaml", &enc);
    let dec = ctx.hush_decrypt("m.enc.yaml", &[]);
    let got = yaml_docs(&dec);
    let want = yaml_docs(input);
    assert_eq!(
        got.len(),
        want.len(),
        "document count after hush decrypt:\n{dec}"
    );
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_same_yaml(&format!("document {i}"), g, w);
    }
    // and hush's encryption of the same has the same per-document shape
    let h = ctx.hush_encrypt("m.yaml", &[]);
    let hd: Vec<Value> = yaml_docs(&h)
        .into_iter()
        .map(|d| shape(&split_sops(d).0))
        .collect();
    let sd: Vec<Value> = yaml_docs(&enc)
        .into_iter()
        .map(|d| shape(&split_sops(d).0))
        .collect();
    assert_eq!(hd, sd, "per-document shapes (left hush, right sops)");
    for (i, d) in yaml_docs(&h).into_iter().enumerate() {
        assert!(
            d.get("sops").is_some(),
            "hush document {i} lacks sops metadata:\n{h}"
        );
    }
}

#[test]
fn top_level_sequence_documents_are_rejected_like_sops() {
    let ctx = Ctx::new();
    ctx.write("seq.yaml", "first: one\n---\n- a\n- b\n");
    let so = ctx.sops(&["--encrypt", "--age", &ctx.recipient, "seq.yaml"]);
    let ho = ctx.hush(&["encrypt", "--age", &ctx.recipient, "seq.yaml"]);
    assert_ne!(so.code, 0, "sanity: sops refuses top-level sequences");
    assert_eq!(
        ho.code, so.code,
        "left hush, right sops\nhush: {}\nsops: {}",
        ho.stderr, so.stderr
    );
}

// ---------------------------------------------------------------------------
// JSON

#[test]
fn json_is_encrypted_with_the_same_shape_and_type_tags_as_sops() {
    let ctx = Ctx::new();
    let (h, s) = encrypt_both(&ctx, "j.json", JSON_INPUT, &[]);
    let (hv, hm) = split_sops_json(json(&h));
    let (sv, _) = split_sops_json(json(&s));
    assert!(hm.is_some(), "hush JSON output lacks sops metadata:\n{h}");
    // sops before 3.13.2 tags every JSON number `float`; 3.13.2 and hush tag
    // integers `int` (lossless above 2^53). Both decode either tag, so only
    // that difference is forgiven here.
    let hush_shape = shape_json(&hv)
        .to_string()
        .replace("AES256_GCM/int>", "AES256_GCM/float>");
    assert_same_json(
        "JSON shape (left hush, right sops)",
        &serde_json::from_str(&hush_shape).unwrap(),
        &shape_json(&sv),
    );
}

#[test]
fn yaml_input_can_be_converted_to_json_output_like_sops() {
    let ctx = Ctx::new();
    ctx.write("n.yaml", NESTED_YAML);
    ctx.write("n.enc.yaml", &ctx.sops_encrypt("n.yaml", &[]));
    let h = ctx.hush_decrypt("n.enc.yaml", &["--output-type", "json"]);
    let s = ctx.sops_decrypt("n.enc.yaml", &["--output-type", "json"]);
    assert_same_json(
        "decrypt --output-type json (left hush, right sops)",
        &json(&h),
        &json(&s),
    );
}

// ---------------------------------------------------------------------------
// selectors

#[test]
fn encrypted_regex_selects_the_same_values_as_sops() {
    check_selector(
        &["--encrypted-regex", "^(password|data)$"],
        &[
            &["username"],
            &["host_unencrypted"],
            &["nested", "token"],
            &["stringData", "x"],
        ],
        &[&["password"], &["data", "token"], &["data", "other"]],
    );
}

#[test]
fn unencrypted_regex_selects_the_same_values_as_sops() {
    check_selector(
        &["--unencrypted-regex", "^(username|data)$"],
        &[&["username"], &["data", "token"], &["data", "other"]],
        &[
            &["password"],
            &["api_key_secret"],
            &["nested", "token"],
            &["stringData", "x"],
        ],
    );
}

#[test]
fn encrypted_suffix_selects_the_same_values_as_sops() {
    check_selector(
        &["--encrypted-suffix", "_secret"],
        &[&["password"], &["username"], &["data", "token"]],
        &[&["api_key_secret"], &["nested", "deep_secret", "a"]],
    );
}

#[test]
fn unencrypted_suffix_selects_the_same_values_as_sops() {
    check_selector(
        &["--unencrypted-suffix", "_unencrypted"],
        &[&["host_unencrypted"]],
        &[
            &["password"],
            &["username"],
            &["api_key_secret"],
            &["data", "token"],
        ],
    );
}

#[test]
fn encrypted_comment_regex_selects_the_same_values_as_sops() {
    check_selector(
        &["--encrypted-comment-regex", "sops:enc"],
        &[&["username"], &["nested", "other"], &["data", "token"]],
        &[&["password"], &["nested", "token"]],
    );
}

#[test]
fn unencrypted_comment_regex_selects_the_same_values_as_sops() {
    check_selector(
        &["--unencrypted-comment-regex", "sops:enc"],
        &[&["password"], &["nested", "token"]],
        &[&["username"], &["nested", "other"], &["data", "token"]],
    );
}

#[test]
fn default_unencrypted_suffix_leaves_suffixed_keys_plaintext_like_sops() {
    check_selector(
        &[],
        &[&["host_unencrypted"]],
        &[&["password"], &["api_key_secret"]],
    );
}

// ---------------------------------------------------------------------------
// MAC

fn tamper_username(text: &str) -> String {
    assert!(
        text.contains("username: admin"),
        "username not plaintext:\n{text}"
    );
    text.replace("username: admin", "username: root")
}

#[test]
fn mac_only_encrypted_lets_both_tools_accept_changed_plaintext_values() {
    let ctx = Ctx::new();
    let flags = ["--encrypted-regex", "^password$", "--mac-only-encrypted"];
    let (h, s) = encrypt_both(&ctx, "sel.yaml", SELECTOR_YAML, &flags);
    let (_, hm) = enc_yaml(&h);
    assert_eq!(
        hm.get("mac_only_encrypted"),
        Some(&Value::Bool(true)),
        "hush metadata:\n{h}"
    );
    assert_eq!(selector_meta(&hm), selector_meta(&enc_yaml(&s).1));
    for (who, text) in [("hush", &h), ("sops", &s)] {
        ctx.write("t.enc.yaml", &tamper_username(text));
        for (tool, dec) in [
            ("sops -d", ctx.sops_decrypt("t.enc.yaml", &[])),
            ("hush decrypt", ctx.hush_decrypt("t.enc.yaml", &[])),
        ] {
            let v = values(&dec);
            assert_eq!(
                get(&v, &["username"]),
                &Value::from("root"),
                "{tool} of tampered {who} file"
            );
            assert_eq!(
                get(&v, &["password"]),
                &Value::from(SECRET),
                "{tool} of tampered {who} file"
            );
        }
    }
}

#[test]
fn tampered_plaintext_value_gives_exit_51_in_both_tools() {
    let ctx = Ctx::new();
    let flags = ["--encrypted-regex", "^password$"];
    let (h, s) = encrypt_both(&ctx, "sel.yaml", SELECTOR_YAML, &flags);
    for (who, text) in [("hush", &h), ("sops", &s)] {
        ctx.write("t.enc.yaml", &tamper_username(text));
        let so = ctx.sops(&["--decrypt", "t.enc.yaml"]);
        assert_eq!(so.code, 51, "sops -d of tampered {who} file: {}", so.stderr);
        let ho = ctx.hush(&["decrypt", "t.enc.yaml"]);
        assert_eq!(ho.code, 51, "hush decrypt of tampered {who} file: {ho:?}");
        assert_one_line_error_without_secret("hush MAC mismatch", &ho);
        // --ignore-mac gets the data back in both tools
        let hi = ctx.hush_decrypt("t.enc.yaml", &["--ignore-mac"]);
        let si = ctx.sops_decrypt("t.enc.yaml", &["--ignore-mac"]);
        assert_same_yaml(
            "--ignore-mac (left hush, right sops)",
            &values(&hi),
            &values(&si),
        );
    }
}

#[test]
fn tampered_mac_ciphertext_gives_exit_51_in_both_tools() {
    let ctx = Ctx::new();
    let (h, s) = encrypt_both(&ctx, "sel.yaml", SELECTOR_YAML, &[]);
    for (who, text) in [("hush", &h), ("sops", &s)] {
        // Swap the stored MAC for a well-formed ENC[] of some other value
        // (the first encrypted value of the file).
        let (v, _) = enc_yaml(text);
        let other = get(&v, &["password"]).as_str().unwrap().to_string();
        let tampered: String = text
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("mac: ENC[")
                    || l.trim_start().starts_with("\"mac\": \"ENC[")
                {
                    let indent = &l[..l.len() - l.trim_start().len()];
                    format!("{indent}mac: {other}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        assert_ne!(
            &tampered, text,
            "no mac line found in {who} output:\n{text}"
        );
        ctx.write("t.enc.yaml", &tampered);
        let so = ctx.sops(&["--decrypt", "t.enc.yaml"]);
        assert_eq!(
            so.code, 51,
            "sops -d of {who} file with swapped MAC: {}",
            so.stderr
        );
        let ho = ctx.hush(&["decrypt", "t.enc.yaml"]);
        assert_eq!(
            ho.code, 51,
            "hush decrypt of {who} file with swapped MAC: {ho:?}"
        );
        assert_one_line_error_without_secret("hush MAC mismatch", &ho);
    }
}

#[test]
fn removed_mac_gives_the_same_exit_code_in_both_tools() {
    let ctx = Ctx::new();
    let (h, s) = encrypt_both(&ctx, "sel.yaml", SELECTOR_YAML, &[]);
    for (who, text) in [("hush", &h), ("sops", &s)] {
        let stripped: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("mac: "))
            .map(|l| format!("{l}\n"))
            .collect();
        ctx.write("t.enc.yaml", &stripped);
        let so = ctx.sops(&["--decrypt", "t.enc.yaml"]);
        let ho = ctx.hush(&["decrypt", "t.enc.yaml"]);
        assert_ne!(so.code, 0, "sanity: sops rejects a {who} file without MAC");
        assert_eq!(
            ho.code, so.code,
            "exit code for {who} file without MAC (left hush, right sops)\nhush: {}\nsops: {}",
            ho.stderr, so.stderr
        );
        assert_one_line_error_without_secret("hush missing MAC", &ho);
    }
}

// ---------------------------------------------------------------------------
// keys

#[test]
fn decrypting_with_the_wrong_key_gives_exit_128_in_both_tools() {
    let ctx = Ctx::new();
    let (h, s) = encrypt_both(&ctx, "sel.yaml", SELECTOR_YAML, &[]);
    let (wrong, _) = ctx.other_key("wrong.txt");
    for (who, text) in [("hush", &h), ("sops", &s)] {
        ctx.write("x.enc.yaml", text);
        let so = ctx.run_with(
            &sops_bin(),
            ["--decrypt", "x.enc.yaml"],
            Some(&wrong),
            &[],
            None,
        );
        assert_eq!(
            so.code, 128,
            "sops -d of {who} file with wrong key: {}",
            so.stderr
        );
        let ho = ctx.run_with(
            &hush_bin(),
            ["decrypt", "x.enc.yaml"],
            Some(&wrong),
            &[],
            None,
        );
        assert_eq!(
            ho.code, 128,
            "hush decrypt of {who} file with wrong key: {ho:?}"
        );
        assert_one_line_error_without_secret("hush wrong key", &ho);
    }
}

#[test]
fn encrypting_an_already_encrypted_file_gives_exit_203_in_both_tools() {
    let ctx = Ctx::new();
    let (h, s) = encrypt_both(&ctx, "sel.yaml", SELECTOR_YAML, &[]);
    for (who, text) in [("hush", &h), ("sops", &s)] {
        ctx.write("x.enc.yaml", text);
        let so = ctx.sops(&["--encrypt", "--age", &ctx.recipient, "x.enc.yaml"]);
        assert_eq!(so.code, 203, "sops -e of {who} file");
        let ho = ctx.hush(&["encrypt", "--age", &ctx.recipient, "x.enc.yaml"]);
        assert_eq!(ho.code, 203, "hush encrypt of {who} file: {ho:?}");
        assert_one_line_error_without_secret("hush already encrypted", &ho);
    }
}

#[test]
fn missing_input_file_gives_the_same_exit_code_as_sops() {
    let ctx = Ctx::new();
    let so = ctx.sops(&["--decrypt", "does-not-exist.yaml"]);
    let ho = ctx.hush(&["decrypt", "does-not-exist.yaml"]);
    assert_eq!(
        ho.code, so.code,
        "left hush, right sops\nhush: {}\nsops: {}",
        ho.stderr, so.stderr
    );
    assert_ne!(ho.code, 0);
}

#[test]
fn identity_flag_decrypts_a_sops_file_without_key_env() {
    let ctx = Ctx::new();
    ctx.write("n.yaml", NESTED_YAML);
    ctx.write("n.enc.yaml", &ctx.sops_encrypt("n.yaml", &[]));
    let key = ctx.key_file.to_str().unwrap().to_string();
    let out = ctx.run_with(
        &hush_bin(),
        ["decrypt", "--identity", &key, "n.enc.yaml"],
        None,
        &[],
        None,
    );
    let dec = expect_ok("hush decrypt --identity", &out);
    assert_same_yaml("values", &values(&dec), &values(NESTED_YAML));
}

#[test]
fn sops_age_key_env_decrypts_a_sops_file() {
    let ctx = Ctx::new();
    ctx.write("n.yaml", NESTED_YAML);
    ctx.write("n.enc.yaml", &ctx.sops_encrypt("n.yaml", &[]));
    let key = std::fs::read_to_string(&ctx.key_file).unwrap();
    let out = ctx.run_with(
        &hush_bin(),
        ["decrypt", "n.enc.yaml"],
        None,
        &[("SOPS_AGE_KEY", &key)],
        None,
    );
    let dec = expect_ok("hush decrypt with SOPS_AGE_KEY", &out);
    assert_same_yaml("values", &values(&dec), &values(NESTED_YAML));
}

#[test]
fn sops_age_recipients_env_is_used_by_hush_encrypt() {
    let ctx = Ctx::new();
    ctx.write("n.yaml", NESTED_YAML);
    let out = ctx.run_with(
        &hush_bin(),
        ["encrypt", "n.yaml"],
        None,
        &[("SOPS_AGE_RECIPIENTS", &ctx.recipient)],
        None,
    );
    let enc = expect_ok("hush encrypt with SOPS_AGE_RECIPIENTS", &out);
    assert_eq!(
        age_recipients(&enc_yaml(&enc).1),
        vec![ctx.recipient.clone()]
    );
    ctx.write("n.enc.yaml", &enc);
    assert_same_yaml(
        "sops -d",
        &values(&ctx.sops_decrypt("n.enc.yaml", &[])),
        &values(NESTED_YAML),
    );
}

#[test]
fn two_age_recipients_can_each_decrypt_with_sops() {
    let ctx = Ctx::new();
    let (k2, r2) = ctx.other_key("k2.txt");
    ctx.write("n.yaml", NESTED_YAML);
    let both = format!("{},{}", ctx.recipient, r2);
    let enc = expect_ok(
        "hush encrypt",
        &ctx.hush(&["encrypt", "--age", &both, "n.yaml"]),
    );
    let (_, meta) = enc_yaml(&enc);
    assert_eq!(
        age_recipients(&meta),
        vec![ctx.recipient.clone(), r2.clone()]
    );
    ctx.write("n.enc.yaml", &enc);
    for k in [&ctx.key_file, &k2] {
        let out = ctx.run_with(&sops_bin(), ["--decrypt", "n.enc.yaml"], Some(k), &[], None);
        let dec = expect_ok("sops -d", &out);
        assert_same_yaml("values", &values(&dec), &values(NESTED_YAML));
    }
}

// ---------------------------------------------------------------------------
// .sops.yaml

#[test]
fn kubernetes_secret_creation_rule_encrypts_only_data_and_string_data_like_sops() {
    let ctx = Ctx::new();
    ctx.write(
        ".sops.yaml",
        &format!(
            "creation_rules:\n  - path_regex: .*secret.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: {}\n",
            ctx.recipient
        ),
    );
    ctx.write("k8s/db-secret.yaml", K8S_SECRET);
    let h = expect_ok(
        "hush encrypt (.sops.yaml)",
        &ctx.hush(&["encrypt", "k8s/db-secret.yaml"]),
    );
    let s = expect_ok(
        "sops -e (.sops.yaml)",
        &ctx.sops(&["--encrypt", "k8s/db-secret.yaml"]),
    );
    let (hv, hm) = enc_yaml(&h);
    let (sv, sm) = enc_yaml(&s);
    assert_eq!(
        get(&hv, &["metadata", "name"]),
        &Value::from("db-credentials")
    );
    assert_eq!(get(&hv, &["kind"]), &Value::from("Secret"));
    assert!(
        is_encrypted(get(&hv, &["data", "password"])),
        "data.password must be encrypted:\n{h}"
    );
    assert!(
        is_encrypted(get(&hv, &["stringData", "url"])),
        "stringData.url must be encrypted:\n{h}"
    );
    assert!(
        !h.contains(SECRET) && !h.contains("aHVudGVyMg=="),
        "secret leaked:\n{h}"
    );
    assert_same_yaml("shape (left hush, right sops)", &shape(&hv), &shape(&sv));
    assert_eq!(selector_meta(&hm), selector_meta(&sm));
    assert_eq!(
        hm.get("encrypted_regex"),
        Some(&Value::from("^(data|stringData)$"))
    );

    ctx.write("h.enc.yaml", &h);
    ctx.write("s.enc.yaml", &s);
    let want = values(K8S_SECRET);
    assert_same_yaml(
        "sops -d (hush)",
        &values(&ctx.sops_decrypt("h.enc.yaml", &[])),
        &want,
    );
    assert_same_yaml(
        "hush decrypt (sops)",
        &values(&ctx.hush_decrypt("s.enc.yaml", &[])),
        &want,
    );
}

#[test]
fn explicit_config_flag_selects_the_creation_rule_like_sops() {
    let ctx = Ctx::new();
    ctx.write(
        "conf/custom-sops.yaml",
        &format!(
            "creation_rules:\n  - path_regex: \\.json$\n    age: {r}\n    unencrypted_suffix: _pub\n  - path_regex: \\.ya?ml$\n    age: {r}\n    encrypted_suffix: _secret\n",
            r = ctx.recipient
        ),
    );
    ctx.write("sel.yaml", SELECTOR_YAML);
    let h = expect_ok(
        "hush encrypt --config",
        &ctx.hush(&["encrypt", "--config", "conf/custom-sops.yaml", "sel.yaml"]),
    );
    let s = expect_ok(
        "sops -e --config",
        &ctx.sops(&["--config", "conf/custom-sops.yaml", "--encrypt", "sel.yaml"]),
    );
    let (hv, hm) = enc_yaml(&h);
    let (sv, sm) = enc_yaml(&s);
    assert_same_yaml("shape (left hush, right sops)", &shape(&hv), &shape(&sv));
    assert_eq!(selector_meta(&hm), selector_meta(&sm));
    assert_eq!(
        get(&hv, &["password"]),
        &Value::from(SECRET),
        "only *_secret keys are encrypted"
    );
}

#[test]
fn key_groups_creation_rule_lets_either_key_decrypt() {
    let ctx = Ctx::new();
    let (k2, r2) = ctx.other_key("k2.txt");
    ctx.write(
        ".sops.yaml",
        &format!(
            "creation_rules:\n  - path_regex: \\.yaml$\n    key_groups:\n      - age:\n          - {}\n          - {}\n",
            ctx.recipient, r2
        ),
    );
    ctx.write("n.yaml", NESTED_YAML);
    let h = expect_ok(
        "hush encrypt (key_groups)",
        &ctx.hush(&["encrypt", "n.yaml"]),
    );
    let s = expect_ok("sops -e (key_groups)", &ctx.sops(&["--encrypt", "n.yaml"]));
    assert_eq!(
        age_recipients(&enc_yaml(&h).1),
        age_recipients(&enc_yaml(&s).1)
    );
    ctx.write("h.enc.yaml", &h);
    ctx.write("s.enc.yaml", &s);
    for k in [&ctx.key_file, &k2] {
        let so = ctx.run_with(&sops_bin(), ["--decrypt", "h.enc.yaml"], Some(k), &[], None);
        assert_same_yaml(
            "sops -d (hush)",
            &values(&expect_ok("sops -d", &so)),
            &values(NESTED_YAML),
        );
        let ho = ctx.run_with(&hush_bin(), ["decrypt", "s.enc.yaml"], Some(k), &[], None);
        assert_same_yaml(
            "hush decrypt (sops)",
            &values(&expect_ok("hush decrypt", &ho)),
            &values(NESTED_YAML),
        );
    }
}

// ---------------------------------------------------------------------------
// formatting preservation

#[test]
fn hush_round_trip_is_byte_identical_for_formatting_rich_yaml() {
    let ctx = Ctx::new();
    ctx.write("rich.yaml", RICH_YAML);
    let enc = ctx.hush_encrypt("rich.yaml", &[]);
    assert!(
        !enc.contains("back end") && !enc.contains("my-secret"),
        "plaintext left:\n{enc}"
    );
    ctx.write("rich.enc.yaml", &enc);
    let dec = ctx.hush_decrypt("rich.enc.yaml", &[]);
    // Plain `y` and `yes` are strings to yaml.v3 (so sops stores them as
    // `str`) but booleans to YAML 1.1 readers (kubectl, PyYAML); the
    // ciphertext can't tell a plain source from a quoted one, so hush quotes
    // them on output, as sops does. Every other byte comes back.
    let want =
        RICH_YAML
            .replacen("[x, y, ", "[x, \"y\", ", 1)
            .replacen("bool: yes", "bool: \"yes\"", 1);
    assert_eq!(dec, want, "hush decrypt(hush encrypt(x)) != x");
}

#[test]
fn hush_round_trip_is_byte_identical_for_block_scalars() {
    let ctx = Ctx::new();
    ctx.write("block.yaml", BLOCK_SCALAR_YAML);
    ctx.write("block.enc.yaml", &ctx.hush_encrypt("block.yaml", &[]));
    let dec = ctx.hush_decrypt("block.enc.yaml", &[]);
    assert_eq!(dec, BLOCK_SCALAR_YAML, "hush decrypt(hush encrypt(x)) != x");
}

/// A folded scalar's value has no line breaks where the source had them, so
/// the source layout cannot be rebuilt from the value alone (docs/format.md):
/// the value round-trips, the bytes may not.
#[test]
fn hush_round_trip_keeps_the_value_of_multi_line_folded_scalars() {
    let ctx = Ctx::new();
    ctx.write("fold.yaml", FOLDED_YAML);
    ctx.write("fold.enc.yaml", &ctx.hush_encrypt("fold.yaml", &[]));
    let dec = ctx.hush_decrypt("fold.enc.yaml", &[]);
    assert_same_yaml("folded round trip", &values(&dec), &values(FOLDED_YAML));
    assert!(dec.starts_with("folded: >-\n"), "folded style kept:\n{dec}");
    assert!(
        dec.ends_with("after: value\n"),
        "the rest is untouched:\n{dec}"
    );
}

#[test]
fn sops_decrypts_formatting_rich_hush_output_to_the_same_values() {
    let ctx = Ctx::new();
    for (name, input) in [("rich.yaml", RICH_YAML), ("block.yaml", BLOCK_SCALAR_YAML)] {
        ctx.write(name, input);
        let enc = ctx.hush_encrypt(name, &[]);
        ctx.write("x.enc.yaml", &enc);
        let dec = ctx.sops_decrypt("x.enc.yaml", &[]);
        assert_same_yaml(
            &format!("sops -d (hush encrypt {name})"),
            &values(&dec),
            &values(input),
        );
    }
}

// ---------------------------------------------------------------------------
// CLI plumbing

#[test]
fn stdin_encrypt_with_input_type_decrypts_with_sops() {
    let ctx = Ctx::new();
    let out = ctx.hush_stdin(
        &[
            "encrypt",
            "--age",
            &ctx.recipient,
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
        ],
        NESTED_YAML,
    );
    let enc = expect_ok("hush encrypt (stdin)", &out);
    ctx.write("n.enc.yaml", &enc);
    assert_same_yaml(
        "sops -d",
        &values(&ctx.sops_decrypt("n.enc.yaml", &[])),
        &values(NESTED_YAML),
    );
}

#[test]
fn in_place_and_output_flags_write_files_that_sops_reads() {
    let ctx = Ctx::new();
    ctx.write("a.yaml", NESTED_YAML);
    let out = ctx.hush(&["encrypt", "--age", &ctx.recipient, "-i", "a.yaml"]);
    assert_eq!(
        expect_ok("hush encrypt -i", &out),
        "",
        "-i prints nothing on stdout"
    );
    assert!(
        !ctx.read("a.yaml").contains(SECRET),
        "file not encrypted in place"
    );
    assert_same_yaml(
        "sops -d after -i",
        &values(&ctx.sops_decrypt("a.yaml", &[])),
        &values(NESTED_YAML),
    );

    expect_ok(
        "hush decrypt --output",
        &ctx.hush(&["decrypt", "--output", "plain.yaml", "a.yaml"]),
    );
    assert_eq!(ctx.read("plain.yaml"), NESTED_YAML);

    expect_ok("hush decrypt -i", &ctx.hush(&["decrypt", "-i", "a.yaml"]));
    assert_eq!(ctx.read("a.yaml"), NESTED_YAML);
}

#[test]
fn extract_returns_the_same_value_as_sops_extract() {
    let ctx = Ctx::new();
    ctx.write("n.yaml", NESTED_YAML);
    ctx.write("n.enc.yaml", &ctx.sops_encrypt("n.yaml", &[]));
    for path in [
        r#"["app"]["db"]["password"]"#,
        r#"["app"]["db"]"#,
        r#"["users"][1]["token"]"#,
    ] {
        let h = ctx.hush_decrypt("n.enc.yaml", &["--extract", path]);
        let s = ctx.sops_decrypt("n.enc.yaml", &["--extract", path]);
        assert_same_yaml(
            &format!("--extract {path} (left hush, right sops)"),
            &yaml(&h),
            &yaml(&s),
        );
    }
}

#[test]
fn chacha20_poly1305_output_is_refused_by_sops_but_decrypts_with_hush() {
    let ctx = Ctx::new();
    ctx.write("n.yaml", NESTED_YAML);
    let enc = ctx.hush_encrypt("n.yaml", &["--cipher", "chacha20-poly1305"]);
    assert!(!enc.contains(SECRET));
    assert!(
        !enc.contains("ENC[AES256_GCM,"),
        "values should not use AES256_GCM:\n{enc}"
    );
    ctx.write("n.enc.yaml", &enc);
    let so = ctx.sops(&["--decrypt", "n.enc.yaml"]);
    assert_ne!(
        so.code, 0,
        "sops unexpectedly decrypted a chacha20-poly1305 file:\n{}",
        so.stdout
    );
    assert_eq!(ctx.hush_decrypt("n.enc.yaml", &[]), NESTED_YAML);
}
