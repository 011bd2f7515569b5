//! Setting and removing keys of dotenv and INI text for a merge: a key is
//! one line (or one value's lines), and the rest of the file keeps its bytes.

use crate::engine::document::Plaintext;
use crate::engine::format::Format;
use crate::engine::parsed::parse;
use crate::engine::splice::apply as splice;
use crate::error::{Error, Result};
use crate::tree::{Item, Node};
use std::ops::Range;
use zeroize::Zeroizing;

/// Sets (`Some`) or removes (`None`) the value at `path`: `[KEY]` in
/// dotenv, `[SECTION, KEY]` or `[SECTION]` (removal) in INI.
pub(crate) fn apply(plain: &Plaintext, path: &[String], value: Option<&str>) -> Result<Plaintext> {
    let src = plain.expose();
    let parsed = parse(src, plain.format)?;
    let root: &[Item] = match parsed.docs.first().map(|d| &d.root) {
        Some(Node::Map(items)) => items,
        _ => &[],
    };
    let edit = match (plain.format, path) {
        (Format::Dotenv, [k]) => key_edit(src, root, k, value, None, |v| {
            format!("{k}={}\n", crate::stores::dotenv::render(v))
        }),
        (Format::Ini, [section]) if value.is_none() => {
            find(root, section).map(|item| (lines_of(src, item.at, end_of(item)), String::new()))
        }
        (Format::Ini, [section, k]) => match find(root, section) {
            Some(item) => {
                let items: &[Item] = match &item.node {
                    Node::Map(m) => m,
                    _ => &[],
                };
                let after = items
                    .iter()
                    .rev()
                    .find(|i| i.key.is_some())
                    .map_or_else(|| line_end(src, item.at), |i| line_end(src, end_of(i)));
                key_edit(src, items, k, value, Some(after), |v| {
                    format!("{k} = {}\n", crate::stores::ini::render(v, true))
                })
            }
            // Keys before any header are go-ini's DEFAULT section.
            None if section == "DEFAULT" => value.map(|v| {
                (
                    0..0,
                    format!("{k} = {}\n", crate::stores::ini::render(v, true)),
                )
            }),
            None => value.map(|v| {
                let lead = if src.is_empty() { "" } else { "\n" };
                let at = src.len();
                let sep = if src.is_empty() || src.ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                (
                    at..at,
                    format!(
                        "{sep}{lead}[{section}]\n{k} = {}\n",
                        crate::stores::ini::render(v, true)
                    ),
                )
            }),
        },
        _ => {
            return Err(Error::Unsupported(format!(
                "cannot merge a change at that depth in {}",
                plain.format.name()
            )))
        }
    };
    let Some((range, text)) = edit else {
        return Plaintext::from_bytes(src.as_bytes().to_vec(), plain.format);
    };
    Ok(Plaintext::new(
        splice(src, vec![(range, Zeroizing::new(text))]),
        plain.format,
    ))
}

/// The splice that sets or removes key `k` among `items`; a new key goes
/// at `insert_at` (default: the end of the file).
fn key_edit(
    src: &str,
    items: &[Item],
    k: &str,
    value: Option<&str>,
    insert_at: Option<usize>,
    line: impl Fn(&str) -> String,
) -> Option<(Range<usize>, String)> {
    match (find(items, k), value) {
        (Some(item), Some(v)) => {
            let Node::Leaf(l) = &item.node else {
                return None;
            };
            let text = match l.slot {
                crate::tree::Slot::Ini { bare } => crate::stores::ini::render(v, bare),
                _ => crate::stores::dotenv::render(v),
            };
            Some((l.span.clone(), text))
        }
        (Some(item), None) => Some((lines_of(src, item.at, end_of(item)), String::new())),
        (None, Some(v)) => {
            let at = insert_at.unwrap_or(src.len());
            let sep = if at == src.len() && !src.is_empty() && !src.ends_with('\n') {
                "\n"
            } else {
                ""
            };
            Some((at..at, format!("{sep}{}", line(v))))
        }
        (None, None) => None,
    }
}

pub(super) fn find<'a>(items: &'a [Item], key: &str) -> Option<&'a Item> {
    items.iter().find(|i| i.key.as_deref() == Some(key))
}

/// Where an item's bytes end: its value's, or its last child's.
pub(super) fn end_of(item: &Item) -> usize {
    match &item.node {
        Node::Leaf(l) => l.span.end.max(item.at),
        Node::Map(items) | Node::Seq(items) => items.iter().map(end_of).max().unwrap_or(item.at),
        Node::Alias(..) => item.at,
    }
}

/// The whole lines from the one holding `from` to the one holding `to`.
pub(super) fn lines_of(src: &str, from: usize, to: usize) -> Range<usize> {
    let start = src[..from].rfind('\n').map_or(0, |i| i + 1);
    start..line_end(src, to)
}

/// Just past the line break ending the line that holds `at`.
fn line_end(src: &str, at: usize) -> usize {
    src[at..].find('\n').map_or(src.len(), |i| at + i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: Format, src: &str, path: &[&str], v: Option<&str>) -> String {
        let p = Plaintext::new(src.into(), f);
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        apply(&p, &path, v).unwrap().expose().to_string()
    }

    #[test]
    fn dotenv_keys_are_set_added_and_removed_by_line() {
        let src = "# c\nA=1\nB=2\n";
        assert_eq!(
            run(Format::Dotenv, src, &["B"], Some("x\ny")),
            "# c\nA=1\nB=x\\ny\n"
        );
        assert_eq!(
            run(Format::Dotenv, src, &["C"], Some("3")),
            "# c\nA=1\nB=2\nC=3\n"
        );
        assert_eq!(run(Format::Dotenv, src, &["A"], None), "# c\nB=2\n");
    }

    #[test]
    fn ini_keys_and_sections_are_set_added_and_removed_by_line() {
        let src = "[a]\nx = 1\ny = 2\n\n[b]\nz = 3\n";
        assert_eq!(
            run(Format::Ini, src, &["a", "y"], Some("9")),
            "[a]\nx = 1\ny = 9\n\n[b]\nz = 3\n"
        );
        assert_eq!(
            run(Format::Ini, src, &["a", "w"], Some("0")),
            "[a]\nx = 1\ny = 2\nw = 0\n\n[b]\nz = 3\n"
        );
        assert_eq!(
            run(Format::Ini, src, &["a", "x"], None),
            "[a]\ny = 2\n\n[b]\nz = 3\n"
        );
        assert_eq!(run(Format::Ini, src, &["b"], None), "[a]\nx = 1\ny = 2\n\n");
        assert_eq!(
            run(Format::Ini, src, &["c", "k"], Some("v")),
            "[a]\nx = 1\ny = 2\n\n[b]\nz = 3\n\n[c]\nk = v\n"
        );
        assert_eq!(
            run(Format::Ini, src, &["DEFAULT", "d"], Some("1")),
            format!("d = 1\n{src}")
        );
    }
}
