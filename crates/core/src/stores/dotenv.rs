//! The dotenv reader, after sops's dotenv store (`stores/dotenv`): one
//! `KEY=value` per line, `#` comment lines, blank lines skipped. A value is
//! everything after the first `=` (quotes included), with `\n` standing for
//! a line break. The metadata is flattened into `sops_…` keys at the end.
//!
//! Every value is a string. Its AAD is `KEY:`; comments use `:`.

use super::scalar::Resolved;
use crate::error::{Error, Result};
use crate::tree::{Item, Leaf, Node, Slot, Value};
use std::ops::Range;
use zeroize::Zeroizing;

/// The prefix of the metadata keys.
pub(crate) const PREFIX: &str = "sops_";

/// A parsed dotenv file.
pub(crate) struct DotenvFile {
    pub root: Node,
    /// The unflattened metadata and the bytes of its lines.
    pub sops: Option<(Value, Range<usize>)>,
}

/// The lines of `src`: (start, end without the line break, end with it).
pub(crate) fn lines(src: &str) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= src.len() {
            return None;
        }
        let start = at;
        let (end, next) = match memchr::memchr(b'\n', &src.as_bytes()[at..]) {
            Some(i) => (at + i, at + i + 1),
            None => (src.len(), src.len()),
        };
        at = next;
        Some((start, end, next))
    })
}

pub(crate) fn parse(src: &str) -> Result<DotenvFile> {
    let mut items = Vec::new();
    let mut meta: Vec<(String, String)> = Vec::new();
    let mut meta_range: Option<Range<usize>> = None;
    for (n, (start, end, next)) in lines(src).enumerate() {
        let line = &src[start..end];
        if line.is_empty() {
            continue;
        }
        if let Some(text) = line.strip_prefix('#') {
            ensure_before_meta(&meta_range, n)?;
            items.push(Item {
                key: None,
                at: start,
                node: Node::Leaf(leaf(start + 1..end, text, None)),
            });
            continue;
        }
        let eq = line.find('=').ok_or_else(|| Error::Syntax {
            format: "dotenv",
            reason: format!("line {} has no `=`", n + 1),
        })?;
        let (key, raw) = (&line[..eq], &line[eq + 1..]);
        if let Some(name) = key.strip_prefix(PREFIX) {
            meta.push((name.to_string(), raw.to_string()));
            let r = meta_range.get_or_insert(start..next);
            r.end = next;
            continue;
        }
        ensure_before_meta(&meta_range, n)?;
        items.push(Item {
            key: Some(key.to_string()),
            at: start,
            node: Node::Leaf(leaf(start + eq + 1..end, raw, Some(Resolved::Str))),
        });
    }
    let sops = match meta_range {
        Some(mut r) => {
            // A block added to a file without a final line break brought one.
            if !src.ends_with('\n') && r.start > 0 {
                r.start -= 1;
            }
            Some((super::flat::unflatten(&meta)?, r))
        }
        None => None,
    };
    Ok(DotenvFile {
        root: Node::Map(items),
        sops,
    })
}

fn ensure_before_meta(meta: &Option<Range<usize>>, line: usize) -> Result<()> {
    match meta {
        Some(_) => Err(Error::corrupt(format!(
            "line {} follows the sops_ metadata lines, which must come last",
            line + 1
        ))),
        None => Ok(()),
    }
}

fn leaf(span: Range<usize>, raw: &str, resolved: Option<Resolved>) -> Leaf {
    let text = match resolved {
        Some(_) => raw.replace("\\n", "\n"),
        None => raw.to_string(),
    };
    Leaf {
        span,
        text: Zeroizing::new(text),
        resolved,
        slot: if resolved.is_some() {
            Slot::Dotenv
        } else {
            Slot::Comment
        },
        header: None,
    }
}

/// How a value is written back: line breaks as `\n`.
pub(crate) fn render(text: &str) -> String {
    text.replace('\n', "\\n")
}

/// The metadata lines, `sops_KEY=value`, sorted by key, ending in a line break.
pub(crate) fn block(meta: &Value) -> String {
    let mut out = String::new();
    for (k, v) in super::flat::flatten(meta) {
        out.push_str(PREFIX);
        out.push_str(&k);
        out.push('=');
        out.push_str(&v);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_comments_and_metadata_are_found_with_their_spans() {
        let src = "# top\nA=1\n\nB=x=y\\nz\nEMPTY=\nsops_version=3.11.0\nsops_age__list_0__map_enc=a\\nb\n";
        let f = parse(src).unwrap();
        let Node::Map(items) = &f.root else { panic!() };
        let leaves: Vec<(Option<&str>, &str, &str)> = items
            .iter()
            .map(|i| {
                let Node::Leaf(l) = &i.node else { panic!() };
                (i.key.as_deref(), &src[l.span.clone()], l.text.as_str())
            })
            .collect();
        assert_eq!(
            leaves,
            vec![
                (None, " top", " top"),
                (Some("A"), "1", "1"),
                (Some("B"), "x=y\\nz", "x=y\nz"),
                (Some("EMPTY"), "", ""),
            ]
        );
        let (meta, range) = f.sops.unwrap();
        assert_eq!(
            &src[range],
            "sops_version=3.11.0\nsops_age__list_0__map_enc=a\\nb\n"
        );
        assert_eq!(meta.get("version").unwrap().as_str(), Some("3.11.0"));
        let enc = meta.get("age").unwrap().as_seq().unwrap()[0]
            .get("enc")
            .unwrap();
        assert_eq!(enc.as_str(), Some("a\nb"));
    }

    #[test]
    fn a_line_without_equals_is_a_syntax_error_that_does_not_quote_it() {
        let e = parse("A=1\nsecret-token\n").err().unwrap();
        assert!(matches!(e, Error::Syntax { .. }));
        assert!(!e.to_string().contains("secret-token"));
    }

    #[test]
    fn values_after_the_metadata_are_refused() {
        assert!(parse("sops_version=1\nA=1\n").is_err());
    }
}
