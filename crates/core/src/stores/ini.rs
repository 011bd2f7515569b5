//! The INI reader, after the go-ini parser that sops's INI store uses:
//! `[section]` headers, `key = value` or `key: value` lines, `;`/`#`
//! comment lines. Keys before the first header belong to `DEFAULT`.
//!
//! Values are read as go-ini reads them: trimmed, cut at an inline `#` or
//! `;`, unquoted from `"…"`, `'…'`, `` `…` `` or `"""…"""` (which may span
//! lines). Each value is a string with AAD `section:key:`. A run of comment
//! lines is one comment (go-ini joins them) with AAD `section:`, the
//! section of the key or header that follows it. The metadata is a
//! flattened `[sops]` section.

use super::scalar::Resolved;
use crate::error::{Error, Result};
use crate::tree::{Item, Leaf, Node, Slot, Value};
use std::ops::Range;
use zeroize::Zeroizing;

/// The section keys before any header belong to.
const DEFAULT: &str = "DEFAULT";

/// A parsed INI file.
pub(crate) struct IniFile {
    pub root: Node,
    /// The unflattened `[sops]` section and its bytes.
    pub sops: Option<(Value, Range<usize>)>,
}

struct Section {
    name: String,
    at: usize,
    items: Vec<Item>,
    is_sops: bool,
}

fn syntax(line: usize, why: &str) -> Error {
    Error::Syntax {
        format: "INI",
        reason: format!("{why} at line {}", line + 1),
    }
}

pub(crate) fn parse(src: &str) -> Result<IniFile> {
    let lines: Vec<(usize, usize, usize)> = super::dotenv::lines(src).collect();
    let mut sections = vec![Section {
        name: DEFAULT.into(),
        at: 0,
        items: Vec::new(),
        is_sops: false,
    }];
    let mut pending: Vec<Item> = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    let mut meta = Vec::new();
    let mut meta_range: Option<Range<usize>> = None;
    let mut n = 0;
    while n < lines.len() {
        let (start, end, next) = lines[n];
        let line = &src[start..end];
        let lead = line.len() - line.trim_start().len();
        let body = line.trim_start();
        if body.is_empty() {
            if let (Some(r), true) = (
                meta_range.as_mut(),
                sections.last().expect("a section").is_sops,
            ) {
                r.end = next;
            }
            flush(src, &lines, &mut run, &mut pending);
            n += 1;
            continue;
        }
        if body.starts_with(['#', ';']) {
            run.push(n);
            n += 1;
            continue;
        }
        flush(src, &lines, &mut run, &mut pending);
        if body.starts_with('[') {
            let close = body
                .rfind(']')
                .ok_or_else(|| syntax(n, "unclosed section"))?;
            let name = body[1..close].to_string();
            let is_sops = name == "sops";
            if is_sops {
                meta_range = Some(start..next);
                // Comments before `[sops]` stay with the data above them.
                let prev = sections.last_mut().expect("a section");
                prev.items.append(&mut pending);
            }
            sections.push(Section {
                name,
                at: start,
                items: std::mem::take(&mut pending),
                is_sops,
            });
            n += 1;
            continue;
        }
        let (key, value_at) =
            key_name(body).ok_or_else(|| syntax(n, "no `=` or `:` after a key"))?;
        let (span, text, bare, used) = value(src, &lines, n, start + lead + value_at)?;
        let cur = sections.last_mut().expect("a section");
        if cur.is_sops {
            meta.push((key, text));
            meta_range.as_mut().expect("range").end = lines[n + used - 1].2;
        } else {
            cur.items.append(&mut pending);
            cur.items.push(Item {
                key: Some(key),
                at: start + lead,
                node: Node::Leaf(Leaf {
                    span,
                    text: Zeroizing::new(text),
                    resolved: Some(Resolved::Str),
                    slot: Slot::Ini { bare },
                    header: None,
                }),
            });
        }
        n += used;
    }
    flush(src, &lines, &mut run, &mut pending);
    sections
        .last_mut()
        .expect("a section")
        .items
        .append(&mut pending);
    let sops = match meta_range {
        Some(r) => Some((super::flat::unflatten(&meta)?, widen(src, r))),
        None => None,
    };
    let root = sections
        .into_iter()
        .filter(|s| !(s.is_sops || s.name == DEFAULT && s.at == 0 && s.items.is_empty()))
        .map(|s| Item {
            key: Some(s.name),
            at: s.at,
            node: Node::Map(s.items),
        })
        .collect();
    Ok(IniFile {
        root: Node::Map(root),
        sops,
    })
}

/// The `[sops]` range plus the blank line placed before it (see [`block`]).
fn widen(src: &str, mut r: Range<usize>) -> Range<usize> {
    let b = src.as_bytes();
    let blank_before = |at: usize| at >= 1 && b[at - 1] == b'\n' && (at == 1 || b[at - 2] == b'\n');
    if r.end == src.len() && !src.ends_with('\n') && src[..r.start].ends_with("\n\n") {
        r.start -= 2;
    } else if blank_before(r.start) {
        r.start -= 1;
    }
    r
}

/// Turns a run of comment lines into one comment leaf: its text is what
/// go-ini reads (`; a\n; b`, first marker stripped). When a later line is
/// indented, that text differs from the bytes, so each line is its own leaf.
fn flush(src: &str, lines: &[(usize, usize, usize)], run: &mut Vec<usize>, out: &mut Vec<Item>) {
    if run.is_empty() {
        return;
    }
    let trimmed = |n: usize| {
        let (s, e, _) = lines[n];
        let l = &src[s..e];
        (s + l.len() - l.trim_start().len(), s + l.trim_end().len())
    };
    let joinable = run.iter().skip(1).all(|&n| trimmed(n).0 == lines[n].0);
    let groups: Vec<Vec<usize>> = if joinable {
        vec![run.clone()]
    } else {
        run.iter().map(|&n| vec![n]).collect()
    };
    for g in groups {
        let (first_at, _) = trimmed(g[0]);
        let (_, last_end) = trimmed(*g.last().expect("nonempty"));
        let marker = src.as_bytes()[first_at];
        let cut = if marker == b';' { "; " } else { "# " };
        let body = &src[first_at..last_end];
        let skip = body.len() - body.trim_start_matches(|c| cut.contains(c)).len();
        let span = first_at + skip..last_end;
        out.push(Item {
            key: None,
            at: first_at,
            node: Node::Leaf(Leaf {
                span: span.clone(),
                text: Zeroizing::new(src[span].to_string()),
                resolved: None,
                slot: Slot::Comment,
                header: None,
            }),
        });
    }
    run.clear();
}

/// The key of a `key = value` line and where its value starts.
fn key_name(body: &str) -> Option<(String, usize)> {
    for q in ["\"\"\"", "\"", "`"] {
        if body.len() > q.len() && body.starts_with(q) {
            let close = body[q.len()..].find(q)? + q.len();
            let rest = &body[close + q.len()..];
            let d = rest.find(['=', ':'])?;
            return Some((
                body[q.len()..close].trim().to_string(),
                close + q.len() + d + 1,
            ));
        }
    }
    let d = body.find(['=', ':'])?;
    Some((body[..d].trim().to_string(), d + 1))
}

/// Reads a value starting at byte `at` of line `n`: its span, its text,
/// whether it is bare (unquoted), and how many lines it used.
fn value(
    src: &str,
    lines: &[(usize, usize, usize)],
    n: usize,
    at: usize,
) -> Result<(Range<usize>, String, bool, usize)> {
    let end = lines[n].1;
    let raw = &src[at..end];
    let start = at + raw.len() - raw.trim_start().len();
    let v = &src[start..end];
    if v.trim().is_empty() {
        return Ok((start..start, String::new(), true, 1));
    }
    for q in ["\"\"\"", "`"] {
        if v.starts_with(q) && (q == "`" || v.len() > 3) {
            let open = start + q.len();
            if let Some(i) = src[open..end].rfind(q) {
                return Ok((open..open + i, src[open..open + i].to_string(), false, 1));
            }
            // A quoted value over several lines: up to the last quote of the
            // first line that has one.
            for (k, &(s, e, _)) in lines.iter().enumerate().skip(n + 1) {
                if let Some(i) = src[s..e].rfind(q) {
                    let span = open..s + i;
                    return Ok((span.clone(), src[span].to_string(), false, k - n + 1));
                }
            }
            return Err(syntax(n, "unclosed quoted value"));
        }
    }
    let t = v.trim_end();
    if t.ends_with('\\') {
        return Err(Error::Unsupported(format!(
            "INI line {} continues on the next line (a trailing `\\`), which hush does not read",
            n + 1
        )));
    }
    let t = match t.find(['#', ';']) {
        Some(i) => t[..i].trim_end(),
        None => t,
    };
    let quoted = |q: char| {
        t.len() >= 2 && t.starts_with(q) && t.ends_with(q) && t[1..].find(q) == Some(t.len() - 2)
    };
    if quoted('"') || quoted('\'') {
        return Ok((
            start + 1..start + t.len() - 1,
            t[1..t.len() - 1].to_string(),
            false,
            1,
        ));
    }
    Ok((start..start + t.len(), t.to_string(), true, 1))
}

/// How a value is written back into its slot: as is when quoted, else
/// quoted the way go-ini quotes it when needed.
pub(crate) fn render(text: &str, bare: bool) -> String {
    if !bare {
        return text.to_string();
    }
    quote(text)
}

/// go-ini's quoting of a value it writes.
fn quote(v: &str) -> String {
    if v.contains(['\n', '`']) {
        format!("\"\"\"{v}\"\"\"")
    } else if v.contains(['#', ';']) {
        format!("`{v}`")
    } else if v.trim() != v {
        format!("\"{v}\"")
    } else {
        v.to_string()
    }
}

/// The `[sops]` section: flattened keys, sorted and aligned as go-ini
/// aligns them, after a blank line; it ends in a line break.
pub(crate) fn block(meta: &Value) -> String {
    let flat = super::flat::flatten(meta);
    let width = flat.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::from("\n[sops]\n");
    for (k, v) in flat {
        out.push_str(&format!("{k:<width$} = {}\n", quote(&v)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(src: &str) -> Vec<(String, String, String)> {
        let f = parse(src).unwrap();
        let mut out = Vec::new();
        let Node::Map(sections) = &f.root else {
            panic!()
        };
        for s in sections {
            let Node::Map(items) = &s.node else { panic!() };
            for i in items {
                let Node::Leaf(l) = &i.node else { panic!() };
                out.push((
                    format!(
                        "{}:{}",
                        s.key.as_deref().unwrap(),
                        i.key.as_deref().unwrap_or("#")
                    ),
                    l.text.to_string(),
                    src[l.span.clone()].to_string(),
                ));
            }
        }
        out
    }

    #[test]
    fn values_are_read_as_go_ini_reads_them() {
        let src = "top = 1\n; about s\n[s]\na = plain  \nb: \"quoted\" ; note\nc = x # cut\nd = \"\"\"multi\nline\"\"\"\ne =\n";
        let v = values(src);
        let t = |i: usize| (v[i].0.as_str(), v[i].1.as_str(), v[i].2.as_str());
        assert_eq!(t(0), ("DEFAULT:top", "1", "1"));
        assert_eq!(t(1), ("s:#", "about s", "about s"));
        assert_eq!(t(2), ("s:a", "plain", "plain"));
        assert_eq!(t(3), ("s:b", "quoted", "quoted"));
        assert_eq!(t(4), ("s:c", "x", "x"));
        assert_eq!(t(5), ("s:d", "multi\nline", "multi\nline"));
        assert_eq!(t(6), ("s:e", "", ""));
    }

    #[test]
    fn a_comment_run_is_one_comment_and_the_sops_section_is_split_off() {
        let src =
            "[s]\n; one\n; two\nk = v\n\n[sops]\nversion = 3.11.0\nage__list_0__map_enc = a\\nb\n";
        let f = parse(src).unwrap();
        let v = values(src);
        assert_eq!(v[0].1, "one\n; two");
        let (meta, range) = f.sops.unwrap();
        assert_eq!(
            &src[range],
            "\n[sops]\nversion = 3.11.0\nage__list_0__map_enc = a\\nb\n"
        );
        assert_eq!(
            meta.get("age").unwrap().as_seq().unwrap()[0]
                .get("enc")
                .unwrap()
                .as_str(),
            Some("a\nb")
        );
    }

    #[test]
    fn the_block_removes_cleanly_with_or_without_a_final_line_break() {
        let meta = Value::Map(vec![("version".into(), Value::Scalar("3.11.0".into()))]);
        for src in ["[s]\nk = v\n", "[s]\nk = v", ""] {
            let at = src.len();
            let full = crate::engine::splice::place_yaml_block(src, at, &block(&meta));
            let full = format!("{}{full}", src);
            let (_, range) = parse(&full).unwrap().sops.unwrap();
            let mut back = full.clone();
            back.replace_range(range, "");
            assert_eq!(back, src, "from {full:?}");
        }
    }

    #[test]
    fn a_line_without_delimiter_is_a_syntax_error() {
        assert!(matches!(
            parse("[s]\nsecretvalue\n"),
            Err(Error::Syntax { .. })
        ));
    }
}
