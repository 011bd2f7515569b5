//! Property tests: over generated YAML, `decrypt(encrypt(x)) == x` byte for
//! byte, and encryption changes no byte outside the replaced spans.

use crate::engine::decrypt::decrypt;
use crate::engine::document::{EncryptOptions, Plaintext};
use crate::engine::encrypt::encrypt;
use crate::engine::format::Format;
use crate::engine::parsed::parse;
use crate::keys::age::{Identities, Recipient};
use crate::keys::MasterKey;
use crate::tree::Node;
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};

fn keys() -> &'static (Arc<dyn MasterKey>, Identities) {
    static K: OnceLock<(Arc<dyn MasterKey>, Identities)> = OnceLock::new();
    K.get_or_init(|| {
        use secrecy::ExposeSecret;
        let id = age::x25519::Identity::generate();
        let r: Recipient = id.to_public().to_string().parse().unwrap();
        let mut ids = Identities::default();
        ids.add_text(id.to_string().expose_secret().as_bytes(), "test")
            .unwrap();
        (Arc::new(r), ids)
    })
}

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,7}"
}

fn plain_str() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9._/ -]{0,20}[a-zA-Z0-9]"
        .prop_filter("stays a string", |s| stays_a_string(s))
        .prop_filter("no indicators", |s| !s.contains(": ") && !s.contains(" #"))
}

/// A string every reader reads as a string: hush writes the others quoted
/// (`no` is `false` to YAML 1.1), so they have no plain spelling of their own.
fn stays_a_string(s: &str) -> bool {
    crate::stores::scalar::resolve_plain(s) == crate::stores::scalar::Resolved::Str
        && !crate::stores::scalar::yaml11_typed(s)
}

fn text_line() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9é#:'\"{}\\[\\], ._-]{1,30}".prop_map(|s| format!("x{s}"))
}

/// A scalar as written after `key: `, or a block scalar header + body.
fn scalar(indent: usize) -> BoxedStrategy<String> {
    let pad = " ".repeat(indent);
    prop_oneof![
        plain_str(),
        "[a-zA-Z0-9 é!#:,'\\[\\]{}._-]{0,20}".prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        "[a-zA-Z0-9 é!#:,\\[\\]{}._-]{0,20}".prop_map(|s| format!("\"{s}\"")),
        Just("\"tab\\tnl\\nq\\\"bs\\\\\"".to_string()),
        (-100_000i64..100_000).prop_map(|n| n.to_string()),
        Just("1.50".to_string()),
        Just("-0.25".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("null".to_string()),
        Just("~".to_string()),
        Just("\"\"".to_string()),
        Just("''".to_string()),
        (
            prop::sample::select(vec!["|", "|-", "|+", ">"]),
            prop::collection::vec(text_line(), 1..4)
        )
            .prop_map(move |(h, lines)| {
                let lines = if h == ">" { lines[..1].to_vec() } else { lines };
                let body: Vec<String> = lines.iter().map(|l| format!("{pad}{l}")).collect();
                let extra = if h == "|+" { "\n\n" } else { "" };
                format!("{h}\n{}{extra}", body.join("\n"))
            }),
        "[a-z]{1,6}"
            .prop_filter("stays a string", |s| stays_a_string(s))
            .prop_map(|s| format!("[{s}, 1, \"two\"]")),
        "[a-z]{1,6}"
            .prop_filter("stays a string", |s| stays_a_string(s))
            .prop_map(|s| format!("{{k: {s}, n: 2}}")),
    ]
    .boxed()
}

fn comment() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.3, "[a-zA-Z0-9 :'#-]{0,20}".prop_map(|s| format!("# {s}")))
}

/// A block mapping at column `col`, indentation step `step`.
fn mapping(col: usize, step: usize, depth: u32) -> BoxedStrategy<String> {
    let entry = (
        word(),
        any::<bool>(),
        comment(),
        comment(),
        any::<bool>(),
        0u8..10,
    )
        .prop_flat_map(move |(k, unenc, above, inline, blank, kind)| {
            let key = if unenc { format!("{k}_unencrypted") } else { k };
            let value: BoxedStrategy<String> = match kind {
                0 if depth > 0 => mapping(col + step, step, depth - 1)
                    .prop_map(|m| format!("\n{m}"))
                    .boxed(),
                1 if depth > 0 => prop::collection::vec(scalar(col + step + 2), 1..4)
                    .prop_map(move |items| {
                        let pad = " ".repeat(col + step);
                        let lines: Vec<String> = items
                            .iter()
                            .filter(|i| !i.starts_with(['|', '>']))
                            .map(|i| format!("{pad}- {i}"))
                            .collect();
                        if lines.is_empty() {
                            " []".to_string()
                        } else {
                            format!("\n{}", lines.join("\n"))
                        }
                    })
                    .boxed(),
                _ => scalar(col + step).prop_map(|s| format!(" {s}")).boxed(),
            };
            value.prop_map(move |v| (key.clone(), v, above.clone(), inline.clone(), blank))
        });
    prop::collection::vec(entry, 1..6)
        .prop_map(move |entries| {
            let pad = " ".repeat(col);
            let mut seen = std::collections::HashSet::new();
            let mut out = Vec::new();
            for (k, v, above, inline, blank) in entries {
                if !seen.insert(k.clone()) {
                    continue;
                }
                if blank {
                    out.push(String::new());
                }
                if let Some(c) = above {
                    out.push(format!("{pad}{c}"));
                }
                let simple = !v.starts_with('\n') && !v.contains('\n');
                let tail = match inline {
                    Some(c) if simple => format!("  {c}"),
                    _ => String::new(),
                };
                out.push(format!("{pad}{k}:{v}{tail}"));
            }
            out.join("\n")
        })
        .boxed()
}

pub(crate) fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((prop::sample::select(vec![2usize, 4]), any::<bool>()), 1..3),
        any::<bool>(),
    )
        .prop_flat_map(|(docs, final_nl)| {
            let strategies: Vec<_> = docs.iter().map(|(step, _)| mapping(0, *step, 2)).collect();
            (strategies, Just(final_nl))
        })
        .prop_map(|(docs, final_nl)| {
            let mut s = docs.join("\n---\n");
            if final_nl {
                s.push('\n');
            }
            s
        })
}

/// The one respelling decryption may make: a `|-` or `>-` block ending a
/// file with no final line break reads as `|`/`>` there, and comes back so.
fn eof_strip_as_clip(doc: &str) -> String {
    let last = doc.rfind("|-\n").into_iter().chain(doc.rfind(">-\n")).max();
    match last {
        Some(at) if !doc.ends_with('\n') => format!("{}{}", &doc[..at + 1], &doc[at + 2..]),
        _ => doc.to_string(),
    }
}

/// The text with every leaf span replaced by NUL and the sops blocks cut.
fn masked(text: &str) -> String {
    let parsed = parse(text, Format::Yaml).unwrap();
    let mut splices = Vec::new();
    fn leaves(n: &Node, out: &mut Vec<(std::ops::Range<usize>, zeroize::Zeroizing<String>)>) {
        match n {
            Node::Leaf(l) => {
                out.push((l.span.clone(), zeroize::Zeroizing::new("\0".into())));
                if let Some(h) = &l.header {
                    out.push((h.clone(), zeroize::Zeroizing::new("\0".into())));
                }
            }
            Node::Map(items) | Node::Seq(items) => items.iter().for_each(|i| leaves(&i.node, out)),
            Node::Alias(..) => {}
        }
    }
    for d in &parsed.docs {
        leaves(&d.root, &mut splices);
        if let Some((_, r)) = &d.sops {
            splices.push((r.clone(), zeroize::Zeroizing::new(String::new())));
        }
    }
    crate::engine::splice::apply(text, splices)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn decrypt_of_encrypt_is_byte_identical(doc in document(), mac_only in any::<bool>()) {
        let (r, ids) = keys();
        let plain = Plaintext::new(doc.clone(), Format::Yaml);
        let opts = EncryptOptions { mac_only_encrypted: mac_only, ..Default::default() };
        let enc = crate::block_on(encrypt(&plain, &vec![vec![r.clone()]], &opts)).map_err(|e| TestCaseError::fail(format!("{e}\n{doc}")))?;
        let back = crate::block_on(decrypt(&enc, &[ids], &Default::default())).unwrap();
        if back.expose() != doc.as_str() {
            let respelled = eof_strip_as_clip(&doc);
            prop_assert_eq!(back.expose(), respelled.as_str());
        }
    }

    #[test]
    fn the_fast_reader_agrees_with_saphyr_on_plain_and_encrypted_files(doc in document()) {
        let (r, _) = keys();
        crate::stores::yaml::tests::assert_readers_agree(&doc);
        let plain = Plaintext::new(doc.clone(), Format::Yaml);
        let enc = crate::block_on(encrypt(&plain, &vec![vec![r.clone()]], &Default::default())).unwrap();
        crate::stores::yaml::tests::assert_readers_agree(enc.as_str());
    }

    #[test]
    fn encryption_changes_no_byte_outside_the_replaced_spans(doc in document()) {
        let (r, _) = keys();
        let plain = Plaintext::new(doc.clone(), Format::Yaml);
        let enc = crate::block_on(encrypt(&plain, &vec![vec![r.clone()]], &Default::default())).unwrap();
        prop_assert_eq!(masked(enc.as_str()), masked(&doc));
        // Every encrypted scalar really is ciphertext now.
        prop_assert!(!enc.as_str().contains("x") || enc.as_str().contains("ENC[AES256_GCM,"));
    }
}

#[test]
fn the_fast_reader_answers_for_most_generated_files() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (r, _) = keys();
    let (mut answered, mut encrypted_answered, n) = (0, 0, 200);
    for _ in 0..n {
        let doc = document().new_tree(&mut runner).unwrap().current();
        answered += usize::from(crate::stores::yaml::tests::assert_readers_agree(&doc));
        let plain = Plaintext::new(doc, Format::Yaml);
        let enc =
            crate::block_on(encrypt(&plain, &vec![vec![r.clone()]], &Default::default())).unwrap();
        encrypted_answered += usize::from(crate::stores::yaml::tests::assert_readers_agree(
            enc.as_str(),
        ));
    }
    // Flow collections, folded and multi-line scalars send some to saphyr.
    assert!(
        answered * 4 >= n,
        "fast reader answered {answered} of {n} plaintext files"
    );
    assert!(
        encrypted_answered * 4 >= n,
        "fast reader answered {encrypted_answered} of {n} encrypted files"
    );
}

/// A dotenv file: values with `=`, quotes, `\n` escapes and CRs, comments,
/// blank lines, with or without a final line break.
fn dotenv_document() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        ("[A-Z][A-Z_]{0,6}", "[ -~]{0,12}").prop_map(|(k, v)| format!("{k}={v}")),
        "[ -~]{0,12}".prop_map(|c| format!("#{c}")),
        Just(String::new()),
        Just("MULTI=a\\nb\r".to_string()),
    ];
    (prop::collection::vec(line, 1..8), any::<bool>()).prop_map(|(lines, final_nl)| {
        let mut s = lines.join("\n");
        if final_nl {
            s.push('\n');
        }
        s
    })
}

/// An INI file: sections, `=`/`:` keys, quoted and bare values, comment runs.
fn ini_document() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "[a-z]{1,5}".prop_map(|s| format!("[{s}]")),
        ("[a-z]{1,5}", "[a-zA-Z0-9 ./]{0,10}").prop_map(|(k, v)| format!("{k} = {v}")),
        ("[a-z]{1,5}", "[a-zA-Z0-9 ]{0,10}").prop_map(|(k, v)| format!("{k}: \"{v}\"")),
        "[a-zA-Z ]{0,10}".prop_map(|c| format!("; {c}")),
        Just(String::new()),
    ];
    (prop::collection::vec(line, 1..10), any::<bool>()).prop_map(|(lines, final_nl)| {
        let mut s = lines.join("\n");
        if final_nl {
            s.push('\n');
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn dotenv_and_ini_decrypt_of_encrypt_is_byte_identical(env in dotenv_document(), ini in ini_document()) {
        let (r, ids) = keys();
        for (doc, format) in [(env, Format::Dotenv), (ini, Format::Ini)] {
            let plain = Plaintext::new(doc.clone(), format);
            let enc = match crate::block_on(encrypt(&plain, &vec![vec![r.clone()]], &Default::default())) {
                Ok(e) => e,
                // A file without any value is still a file; only syntax errors may refuse.
                Err(crate::Error::Syntax { .. } | crate::Error::AlreadyEncrypted) => continue,
                Err(e) => return Err(TestCaseError::fail(format!("{e}\n{doc:?}"))),
            };
            let back = crate::block_on(decrypt(&enc, &[ids], &Default::default()))
                .map_err(|e| TestCaseError::fail(format!("{e}\n{doc:?}\n{}", enc.as_str())))?;
            prop_assert_eq!(back.expose(), doc.as_str(), "{}", enc.as_str());
        }
    }
}
