//! Setting and removing values by path in a plaintext file (`set`/`unset`),
//! by splicing: the rest of the file keeps its bytes, so the re-encrypted
//! file changes only where the value changed.

use crate::crypto::cipher::ValueType;
use crate::engine::document::Plaintext;
use crate::engine::format::Format;
use crate::engine::parsed::{parse, Parsed};
use crate::engine::splice::apply;
use crate::error::{Error, Result};
use crate::path::Step;
use crate::stores::scalar::{json_string, yaml_render, Resolved, YamlSlot};
use crate::tree::{Item, Node, Slot};
use std::ops::Range;
use zeroize::Zeroizing;

fn bad(why: impl Into<String>) -> Error {
    Error::TreePath(why.into())
}

/// Sets the value at `steps` in document `doc` to `json` (a JSON value, as
/// sops's `set` takes it), creating missing keys.
pub fn set(plain: &Plaintext, doc: usize, steps: &[Step], json: &str) -> Result<Plaintext> {
    if structured(plain.format).is_err() {
        return super::patch_flat::set(plain, steps, json_node(json)?);
    }
    let value = parse_json_value(json)?;
    let src = plain.expose();
    let parsed = parse(src, plain.format)?;
    let root = &parsed
        .docs
        .get(doc)
        .ok_or_else(|| bad(format!("the file has no document {doc}")))?
        .root;
    let (first, rest) = steps.split_first().ok_or_else(|| bad("an empty path"))?;
    let splice = set_in(src, plain.format, root, first, rest, &value)?;
    not_aliased(&parsed, root, &splice.0)?;
    Ok(Plaintext::new(apply(src, vec![splice]), plain.format))
}

/// Removes the value at `steps` in document `doc`.
pub fn unset(plain: &Plaintext, doc: usize, steps: &[Step]) -> Result<Plaintext> {
    if structured(plain.format).is_err() {
        return super::patch_flat::unset(plain, steps);
    }
    let src = plain.expose();
    let parsed: Parsed = parse(src, plain.format)?;
    let mut node = &parsed
        .docs
        .get(doc)
        .ok_or_else(|| bad(format!("the file has no document {doc}")))?
        .root;
    let (last, parents) = steps.split_last().ok_or_else(|| bad("an empty path"))?;
    let mut parent: Option<&Item> = None;
    for step in parents {
        let item = child(node, step).ok_or_else(|| not_found(step))?.1;
        (parent, node) = (Some(item), &item.node);
    }
    let (idx, _) = child(node, last).ok_or_else(|| not_found(last))?;
    let items = match node {
        Node::Map(items) | Node::Seq(items) => items,
        _ => unreachable!("child found"),
    };
    let (range, left) = removal(src, plain.format, items, idx)?;
    not_aliased(&parsed, &parsed.docs[doc].root, &range)?;
    let mut splices = vec![(range, Zeroizing::new(left.to_string()))];
    // The last entry of a block collection under a key: sops leaves `[]`/`{}`.
    let entries: Vec<&Item> = items.iter().filter(|i| !is_comment(&i.node)).collect();
    if let (Format::Yaml, [_], Some(p)) = (plain.format, entries.as_slice(), parent) {
        if p.key.is_some() && !is_flow(src, &entries) {
            let at = value_start(src, plain.format, p)?;
            let empty = if matches!(node, Node::Map(_)) {
                " {}"
            } else {
                " []"
            };
            splices.push((at..at, Zeroizing::new(empty.to_string())));
        }
    }
    Ok(Plaintext::new(apply(src, splices), plain.format))
}

/// YAML and JSON are edited here; dotenv and INI in `patch_flat`.
fn structured(fmt: Format) -> Result<()> {
    match fmt {
        Format::Yaml | Format::Json => Ok(()),
        other => Err(Error::Unsupported(format!(
            "set and unset do not work on {} files",
            other.name()
        ))),
    }
}

pub(super) fn not_found(step: &Step) -> Error {
    bad(format!("component {step} not found"))
}

/// A JSON value: (type of a scalar, its text) or a collection's JSON text.
/// Both may be secrets, so both are zeroed on drop.
struct NewValue {
    scalar: Option<(Resolved, Zeroizing<String>)>,
    json: Zeroizing<String>,
}

/// The tree of a JSON value (wrapped as `{"v": …}` to parse any value).
pub(super) fn json_node(json: &str) -> Result<Node> {
    let invalid = || Error::SetValue;
    let wrapped = Zeroizing::new(format!("{{\"v\": {json}}}"));
    let f = crate::stores::json::parse(&wrapped).map_err(|_| invalid())?;
    let Node::Map(mut items) = f.root else {
        unreachable!("an object")
    };
    match items.len() {
        1 => Ok(items.remove(0).node),
        _ => Err(invalid()),
    }
}

fn parse_json_value(json: &str) -> Result<NewValue> {
    let node = json_node(json)?;
    let scalar = match &node {
        Node::Leaf(l) => Some((
            l.resolved.unwrap_or(Resolved::Str),
            Zeroizing::new(l.text.to_string()),
        )),
        _ => None,
    };
    Ok(NewValue {
        scalar,
        json: Zeroizing::new(json.trim().to_string()),
    })
}

/// The item for a step, with its index among the collection's items.
fn child<'a>(node: &'a Node, step: &Step) -> Option<(usize, &'a Item)> {
    match (node, step) {
        (Node::Map(items), Step::Key(k)) => items
            .iter()
            .enumerate()
            .find(|(_, i)| i.key.as_deref() == Some(k)),
        (Node::Seq(items), Step::Index(n)) => items
            .iter()
            .enumerate()
            .filter(|(_, i)| !is_comment(&i.node))
            .nth(*n),
        _ => None,
    }
}

fn is_comment(n: &Node) -> bool {
    matches!(n, Node::Leaf(l) if l.is_comment())
}

fn set_in(
    src: &str,
    fmt: Format,
    node: &Node,
    step: &Step,
    rest: &[Step],
    v: &NewValue,
) -> Result<(Range<usize>, Zeroizing<String>)> {
    match child(node, step) {
        Some((_, item)) if !rest.is_empty() => match (&item.node, &rest[0]) {
            // sops replaces a scalar (or null) on the way with what the
            // rest of the path builds, and fills an empty collection.
            (Node::Leaf(l), _) if !l.is_comment() => replace(src, fmt, item, &nested(rest, v)),
            (Node::Map(items), Step::Key(_)) | (Node::Seq(items), Step::Index(_))
                if items.iter().all(|i| is_comment(&i.node)) =>
            {
                fill_empty(src, fmt, item, &nested(rest, v))
            }
            (inner, _) => set_in(src, fmt, inner, &rest[0], &rest[1..], v),
        },
        Some((_, item)) => replace(src, fmt, item, v),
        None => {
            let nested = nested(rest, v);
            match (node, step) {
                (Node::Map(items), Step::Key(key)) => insert(src, fmt, items, key, &nested),
                // sops appends an index past the end of a list.
                (Node::Seq(items), Step::Index(_)) => append(src, fmt, items, &nested),
                _ => Err(not_found(step)),
            }
        }
    }
}

/// The value that the missing steps `rest` build around `v`: a key an
/// object, an index (any) a one-item list, as sops builds them.
fn nested(rest: &[Step], v: &NewValue) -> NewValue {
    let json = rest.iter().rev().fold(v.json.clone(), |acc, s| match s {
        Step::Key(k) => Zeroizing::new(format!("{{{}: {}}}", json_string(k), acc.as_str())),
        Step::Index(_) => Zeroizing::new(format!("[{}]", acc.as_str())),
    });
    NewValue {
        scalar: if rest.is_empty() {
            v.scalar.clone()
        } else {
            None
        },
        json,
    }
}

/// Whether a YAML collection's entries are in `{…}`/`[…]`: its first entry
/// follows the bracket, or a scalar in it is written in flow style.
fn is_flow(src: &str, entries: &[&Item]) -> bool {
    let Some(first) = entries.first() else {
        return false;
    };
    let before = src[..first.at].trim_end();
    before.ends_with(['{', '[', ','])
        || entries.iter().any(|i| {
            matches!(&i.node, Node::Leaf(l) if matches!(l.slot, Slot::Yaml(YamlSlot::Plain { flow: true, .. })))
        })
}

/// Adds an entry after the last one of a YAML flow collection: on its own
/// line when the entries have theirs, else after `, `.
fn flow_add(
    src: &str,
    entries: &[&Item],
    key: Option<&str>,
    v: &NewValue,
) -> Result<(Range<usize>, Zeroizing<String>)> {
    let (first, last) = (entries[0], entries[entries.len() - 1]);
    let end = item_end(src, Format::Yaml, last)
        .ok_or_else(|| bad("cannot find the end of the flow collection"))?;
    let lead = &src[line_start(src, first.at)..first.at];
    let sep = match lead.trim().is_empty() {
        true => format!(",\n{lead}"),
        false => ", ".to_string(),
    };
    let slot = YamlSlot::Plain {
        flow: true,
        indent: lead.chars().count(),
    };
    let val = render(v, Slot::Yaml(slot));
    let text = match key {
        Some(k) => format!("{sep}{}: {val}", yaml_render(ValueType::Str, k, slot)),
        None => format!("{sep}{val}"),
    };
    Ok((end..end, Zeroizing::new(text)))
}

/// Just past an item's value: a scalar's end, a collection's closing
/// bracket (JSON and flow), an empty `[]`/`{}` included.
fn item_end(src: &str, fmt: Format, item: &Item) -> Option<usize> {
    let items = match &item.node {
        Node::Leaf(l) => return Some(l.span.end),
        Node::Alias(_, span) => return Some(span.end),
        Node::Map(items) | Node::Seq(items) => items,
    };
    let entries: Vec<&Item> = items.iter().filter(|i| !is_comment(&i.node)).collect();
    let Some(last) = entries.last() else {
        return empty_span(src, fmt, item).ok().map(|r| r.end);
    };
    let inner = item_end(src, fmt, last)?;
    if fmt != Format::Json && !is_flow(src, &entries) {
        return Some(inner);
    }
    // Past white space and a trailing comma to the closing bracket.
    let rest = src[inner..].trim_start_matches(|c: char| c.is_whitespace() || c == ',');
    let close = src.len() - rest.len();
    matches!(src.as_bytes().get(close), Some(b'}' | b']')).then_some(close + 1)
}

/// Replaces an empty flow collection (`[]`, `{}`) with `v`'s JSON.
fn fill_empty(
    src: &str,
    fmt: Format,
    item: &Item,
    v: &NewValue,
) -> Result<(Range<usize>, Zeroizing<String>)> {
    let range = empty_span(src, fmt, item)?;
    Ok((range, Zeroizing::new(v.json.to_string())))
}

/// The bytes of an item's empty flow collection, `[]` or `{}`.
fn empty_span(src: &str, fmt: Format, item: &Item) -> Result<Range<usize>> {
    let from = match item.key {
        Some(_) => value_start(src, fmt, item)?,
        None => item.at,
    };
    let b = src.as_bytes();
    let open = from + src[from..].len() - src[from..].trim_start().len();
    let close = match b.get(open) {
        Some(b'[') => b']',
        Some(b'{') => b'}',
        _ => {
            return Err(bad(
                "cannot add to an empty collection that is not `[]` or `{}`",
            ))
        }
    };
    let inner = &src[open + 1..];
    let end = open + 1 + inner.len() - inner.trim_start().len();
    if b.get(end) != Some(&close) {
        return Err(bad(
            "cannot add to an empty collection that is not `[]` or `{}`",
        ));
    }
    Ok(open..end + 1)
}

/// Adds `v` as the last item of a list.
fn append(
    src: &str,
    fmt: Format,
    items: &[Item],
    v: &NewValue,
) -> Result<(Range<usize>, Zeroizing<String>)> {
    let entries: Vec<&Item> = items.iter().filter(|i| !is_comment(&i.node)).collect();
    let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
        return Err(bad(
            "cannot add an item to an empty list; set the list instead",
        ));
    };
    let lead = &src[line_start(src, first.at)..first.at];
    match fmt {
        Format::Json => {
            let end =
                item_end(src, fmt, last).ok_or_else(|| bad("cannot find the end of the list"))?;
            let sep = if lead.trim().is_empty() {
                format!(",\n{lead}")
            } else {
                ", ".to_string()
            };
            Ok((
                end..end,
                Zeroizing::new(format!("{sep}{}", render(v, Slot::Json))),
            ))
        }
        Format::Yaml if is_flow(src, &entries) => flow_add(src, &entries, None, v),
        Format::Yaml => {
            // A block list whose items start their own lines: `  - item`.
            if lead.trim() != "-" || !lead.trim_start().starts_with('-') {
                return Err(bad(
                    "cannot add an item to a list that is not a block list on its own lines",
                ));
            }
            let val = render(
                v,
                Slot::Yaml(YamlSlot::Plain {
                    flow: false,
                    indent: lead.chars().count(),
                }),
            );
            let end =
                item_end(src, fmt, last).ok_or_else(|| bad("cannot find the end of the list"))?;
            let at = line_end(src, end);
            Ok((at..at, Zeroizing::new(format!("\n{lead}{val}"))))
        }
        _ => Err(bad("not a YAML or JSON file")),
    }
}

fn render(v: &NewValue, slot: Slot) -> String {
    match (&v.scalar, slot) {
        (Some((Resolved::Str, s)), Slot::Yaml(slot)) => yaml_render(ValueType::Str, s, slot),
        (Some((Resolved::Str, s)), _) => json_string(s),
        _ => v.json.to_string(),
    }
}

fn replace(
    src: &str,
    fmt: Format,
    item: &Item,
    v: &NewValue,
) -> Result<(Range<usize>, Zeroizing<String>)> {
    match &item.node {
        // An empty value (`key:`) has no bytes of its own: it goes after the `:`.
        Node::Leaf(l) if l.span.is_empty() && fmt == Format::Yaml && item.key.is_some() => {
            let at = value_start(src, fmt, item)?;
            Ok((at..at, Zeroizing::new(format!(" {}", render(v, l.slot)))))
        }
        Node::Leaf(l) => {
            let slot = match (l.slot, &v.scalar) {
                // A multi-line or block value needs a place where a block fits.
                (Slot::Yaml(YamlSlot::Block { indent, .. }), _) => Slot::Yaml(YamlSlot::Plain {
                    flow: false,
                    indent,
                }),
                (s, _) => s,
            };
            let start = l.header.as_ref().map_or(l.span.start, |h| h.start);
            Ok((start..l.span.end, Zeroizing::new(render(v, slot))))
        }
        Node::Alias(..) => Err(bad("cannot set a value through an alias")),
        Node::Map(items) | Node::Seq(items) => {
            let start = value_start(src, fmt, item)?;
            let end =
                item_end(src, fmt, item).ok_or_else(|| bad("cannot find the end of the value"))?;
            // A block collection ends with its last line; a bracketed one at its bracket.
            let entries: Vec<&Item> = items.iter().filter(|i| !is_comment(&i.node)).collect();
            let block = fmt == Format::Yaml && !entries.is_empty() && !is_flow(src, &entries);
            let end = if block { line_end(src, end) } else { end };
            let sep = if fmt == Format::Yaml { " " } else { "" };
            Ok((
                start..end,
                Zeroizing::new(format!("{sep}{}", v.json.as_str())),
            ))
        }
    }
}

/// Where an item's value begins: just after `key:` (YAML) or at the value (JSON).
fn value_start(src: &str, fmt: Format, item: &Item) -> Result<usize> {
    let b = src.as_bytes();
    let mut i = item.at;
    if matches!(b.get(i), Some(b'"' | b'\'')) {
        let q = b[i];
        i += 1;
        while i < b.len() && b[i] != q {
            i += if b[i] == b'\\' && q == b'"' { 2 } else { 1 };
        }
        i += 1;
    }
    while i < b.len() && b[i] != b':' {
        i += 1;
    }
    if fmt == Format::Json {
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        return Ok(i);
    }
    (i < b.len())
        .then_some(i + 1)
        .ok_or_else(|| bad("cannot find the key's `:`"))
}

/// Refuses an edit inside a value an alias elsewhere reads: it would change
/// the alias too, where sops changes only the path.
fn not_aliased(parsed: &Parsed, root: &Node, edit: &Range<usize>) -> Result<()> {
    let mut ids = Vec::new();
    alias_ids(root, &mut ids);
    for node in ids.iter().filter_map(|id| parsed.anchors.get(id)) {
        let (Some(a), Some(b)) = (first_byte(node), last_byte(node)) else {
            continue;
        };
        if edit.start <= b && a <= edit.end {
            return Err(bad(
                "the value is (inside) an anchor that an alias elsewhere also reads; edit the file instead",
            ));
        }
    }
    Ok(())
}

fn alias_ids(n: &Node, out: &mut Vec<usize>) {
    match n {
        Node::Alias(id, _) => out.push(*id),
        Node::Map(items) | Node::Seq(items) => items.iter().for_each(|i| alias_ids(&i.node, out)),
        Node::Leaf(_) => {}
    }
}

/// The first byte of a subtree.
fn first_byte(n: &Node) -> Option<usize> {
    match n {
        Node::Leaf(l) => Some(l.header.as_ref().map_or(l.span.start, |h| h.start)),
        Node::Map(items) | Node::Seq(items) => items.first().map(|i| i.at),
        Node::Alias(..) => None,
    }
}

/// The last byte of a subtree (end of its last leaf).
fn last_byte(n: &Node) -> Option<usize> {
    match n {
        Node::Leaf(l) => Some(l.span.end),
        Node::Map(items) | Node::Seq(items) => {
            items.iter().filter_map(|i| last_byte(&i.node)).max()
        }
        Node::Alias(..) => None,
    }
}

fn line_start(src: &str, at: usize) -> usize {
    src[..at].rfind('\n').map_or(0, |i| i + 1)
}

fn line_end(src: &str, at: usize) -> usize {
    src[at..].find('\n').map_or(src.len(), |i| at + i)
}

fn insert(
    src: &str,
    fmt: Format,
    items: &[Item],
    key: &str,
    v: &NewValue,
) -> Result<(Range<usize>, Zeroizing<String>)> {
    let entries: Vec<&Item> = items.iter().filter(|i| !is_comment(&i.node)).collect();
    match fmt {
        Format::Json => {
            let last = entries
                .last()
                .ok_or_else(|| bad("cannot add a key to an empty JSON object"))?;
            let at =
                item_end(src, fmt, last).ok_or_else(|| bad("cannot find the end of the object"))?;
            let indent = &src[line_start(src, entries[0].at)..entries[0].at];
            let indent = if indent.trim().is_empty() { indent } else { "" };
            let text = format!(",\n{indent}{}: {}", json_string(key), render(v, Slot::Json));
            Ok((at..at, Zeroizing::new(text)))
        }
        Format::Dotenv | Format::Ini | Format::Binary => Err(bad("not a YAML or JSON file")),
        Format::Yaml if is_flow(src, &entries) => flow_add(src, &entries, Some(key), v),
        Format::Yaml => {
            let Some(first) = entries.first() else {
                return Err(bad(
                    "cannot add a key to an empty map; set the parent instead",
                ));
            };
            let ls = line_start(src, first.at);
            if !src[ls..first.at].trim().is_empty() {
                return Err(bad(
                    "cannot add a key to a map that does not start its own line",
                ));
            }
            let col = src[ls..first.at].chars().count();
            let after = entries
                .iter()
                .filter_map(|i| item_end(src, fmt, i).or(Some(i.at)))
                .max()
                .map_or(first.at, |b| line_end(src, b));
            let k = yaml_render(
                ValueType::Str,
                key,
                YamlSlot::Plain {
                    flow: false,
                    indent: col + 2,
                },
            );
            let val = render(
                v,
                Slot::Yaml(YamlSlot::Plain {
                    flow: false,
                    indent: col + 2,
                }),
            );
            let text = format!("\n{}{k}: {val}", " ".repeat(col));
            Ok((after..after, Zeroizing::new(text)))
        }
    }
}

/// The bytes to replace (with the text returned) to remove item `idx` of a
/// collection.
fn removal(
    src: &str,
    fmt: Format,
    items: &[Item],
    idx: usize,
) -> Result<(Range<usize>, &'static str)> {
    let item = &items[idx];
    let end = item_end(src, fmt, item).ok_or_else(|| bad("cannot find the end of the value"))?;
    let end = line_end(src, end);
    if fmt == Format::Json {
        let entries: Vec<(usize, &Item)> = items
            .iter()
            .enumerate()
            .filter(|(_, i)| !is_comment(&i.node))
            .collect();
        let pos = entries
            .iter()
            .position(|(i, _)| *i == idx)
            .expect("item is an entry");
        let end = item_end(src, fmt, item).unwrap_or(item.at);
        let range = match (pos, entries.get(pos + 1)) {
            (p, _) if p > 0 => item_end(src, fmt, entries[p - 1].1).unwrap_or(item.at)..end,
            (_, Some((_, next))) => item.at..next.at,
            _ => item.at..end,
        };
        return Ok((range, ""));
    }
    let ls = line_start(src, item.at);
    let lead = &src[ls..item.at];
    // The first key of a map on a list item's line (`- name: a`): the next
    // key moves up to the dash, or the item becomes `{}`.
    if lead.trim() == "-" && item.key.is_some() {
        let next = items[idx + 1..].iter().find(|i| !is_comment(&i.node));
        return Ok(match next {
            Some(n) => (item.at..n.at, ""),
            None => (item.at..line_end(src, end.max(item.at)), "{}"),
        });
    }
    let own_line = lead.trim().is_empty() || lead.trim() == "-";
    if !own_line {
        return Err(bad(
            "cannot remove a value that shares its line with another (flow style or `- key:`)",
        ));
    }
    Ok((ls..(end + 1).min(src.len()), ""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::parse as path;

    fn y(s: &str) -> Plaintext {
        Plaintext::new(s.into(), Format::Yaml)
    }

    const SRC: &str = "# top\ndb:\n  user: 'admin'   # who\n  pass: x\nlist:\n  - a\n  - b\nz: 1\n";

    #[test]
    fn set_replaces_a_value_in_its_own_style_and_nothing_else() {
        let out = set(&y(SRC), 0, &path(r#"["db"]["user"]"#).unwrap(), r#""root""#).unwrap();
        assert_eq!(out.expose(), SRC.replace("'admin'", "'root'"));
        let out = set(&y(SRC), 0, &path(r#"["list"][1]"#).unwrap(), "42").unwrap();
        assert_eq!(out.expose(), SRC.replace("  - b", "  - 42"));
    }

    #[test]
    fn set_adds_missing_keys_at_the_map_indentation() {
        let out = set(
            &y(SRC),
            0,
            &path(r#"["db"]["host"]"#).unwrap(),
            r#""db.local""#,
        )
        .unwrap();
        assert_eq!(
            out.expose(),
            SRC.replace("  pass: x\n", "  pass: x\n  host: db.local\n")
        );
        let out = set(&y(SRC), 0, &path(r#"["new"]["a"]"#).unwrap(), "true").unwrap();
        assert_eq!(
            out.expose(),
            format!("{SRC}new: {{\"a\": true}}\n").replace("z: 1\n\nnew", "z: 1\nnew")
        );
    }

    #[test]
    fn an_index_past_the_end_appends_and_a_missing_one_makes_a_list() {
        let out = set(&y(SRC), 0, &path(r#"["list"][7]"#).unwrap(), r#""c""#).unwrap();
        assert_eq!(out.expose(), SRC.replace("  - b\n", "  - b\n  - c\n"));
        let out = set(&y(SRC), 0, &path(r#"["db"]["l"][3]"#).unwrap(), "1").unwrap();
        assert_eq!(
            out.expose(),
            SRC.replace("  pass: x\n", "  pass: x\n  l: [1]\n")
        );
        let j = |s: &str| Plaintext::new(s.into(), Format::Json);
        let src = "{\n  \"l\": [\n    1,\n    [2, {\"k\": 3}]\n  ]\n}\n";
        let out = set(&j(src), 0, &path(r#"["l"][5]"#).unwrap(), "4").unwrap();
        assert_eq!(out.expose(), src.replace("}]\n", "}],\n    4\n"));
        let out = set(&j(src), 0, &path(r#"["l"][1][9]"#).unwrap(), "4").unwrap();
        assert_eq!(out.expose(), src.replace("}]", "}, 4]"));
        let out = set(&j(src), 0, &path(r#"["z"]"#).unwrap(), "4").unwrap();
        assert_eq!(out.expose(), src.replace("  ]\n", "  ],\n  \"z\": 4\n"));
    }

    #[test]
    fn a_scalar_or_empty_collection_on_the_way_is_replaced_as_sops_does() {
        let src = "a: v\nn: 1 # c\nz:\nq: null\ne: []\nm: {  }\nb: |\n  x\nk: 2\n";
        let cases = [
            (r#"["a"]["k"]"#, "a: v\n", "a: {\"k\": \"s\"}\n"),
            (r#"["n"][0]"#, "n: 1 #", "n: [\"s\"] #"),
            (r#"["n"][3]["q"]"#, "n: 1 #", "n: [{\"q\": \"s\"}] #"),
            (r#"["z"]["k"]"#, "z:\n", "z: {\"k\": \"s\"}\n"),
            (r#"["q"]["k"]"#, "q: null", "q: {\"k\": \"s\"}"),
            (r#"["e"][0]"#, "e: []", "e: [\"s\"]"),
            (r#"["m"]["k"]"#, "m: {  }", "m: {\"k\": \"s\"}"),
            (r#"["b"]["k"]"#, "b: |\n  x\n", "b: {\"k\": \"s\"}\n"),
        ];
        for (p, from, to) in cases {
            let out = set(&y(src), 0, &path(p).unwrap(), r#""s""#).unwrap();
            assert_eq!(out.expose(), src.replacen(from, to, 1), "{p}");
            crate::stores::yaml::parse(out.expose()).unwrap();
        }
        let j = |s: &str| Plaintext::new(s.into(), Format::Json);
        let src = "{\"a\": \"v\", \"e\": [ ], \"m\": {}}";
        for (p, from, to) in [
            (r#"["a"]["k"]"#, "\"v\"", "{\"k\": 1}"),
            (r#"["e"][2]"#, "[ ]", "[1]"),
            (r#"["m"]["k"]"#, "{}", "{\"k\": 1}"),
        ] {
            let out = set(&j(src), 0, &path(p).unwrap(), "1").unwrap();
            assert_eq!(out.expose(), src.replacen(from, to, 1), "{p}");
        }
    }

    #[test]
    fn set_adds_to_yaml_flow_collections_in_their_style() {
        let cases = [
            ("a: {b: 1}\n", r#"["a"]["k"]"#, "a: {b: 1, k: v}\n"),
            ("l: [1, 'x']\n", r#"["l"][5]"#, "l: [1, 'x', v]\n"),
            (
                "m: {\n  b: 1\n}\n",
                r#"["m"]["k"]"#,
                "m: {\n  b: 1,\n  k: v\n}\n",
            ),
            (
                "a: {\n\tb: [1]}\n",
                r#"["a"]["k"]"#,
                "a: {\n\tb: [1],\n\tk: v}\n",
            ),
            ("a: {b: 1}\n", r#"["a"]["k, x"]"#, "a: {b: 1, 'k, x': v}\n"),
        ];
        for (src, p, want) in cases {
            let out = set(&y(src), 0, &path(p).unwrap(), r#""v""#).unwrap();
            assert_eq!(out.expose(), want, "{p}");
            crate::stores::yaml::parse(out.expose()).unwrap();
        }
        let out = set(
            &y("a: {b: 1}\n"),
            0,
            &path(r#"["a"]["c"]"#).unwrap(),
            "\"x, y\"",
        )
        .unwrap();
        assert_eq!(out.expose(), "a: {b: 1, c: 'x, y'}\n");
    }

    #[test]
    fn unset_the_first_key_of_a_list_item_map_moves_the_next_one_up() {
        let src = "env:\n  - name: A\n    value: x\n  - name: B\nz: 1\n";
        let out = unset(&y(src), 0, &path(r#"["env"][0]["name"]"#).unwrap()).unwrap();
        assert_eq!(out.expose(), src.replace("- name: A\n    value", "- value"));
        let out = unset(&y(src), 0, &path(r#"["env"][1]["name"]"#).unwrap()).unwrap();
        assert_eq!(out.expose(), src.replace("- name: B", "- {}"));
        crate::stores::yaml::parse(out.expose()).unwrap();
        // JSON: a key after an empty collection, and a new key after one.
        let j = |s: &str| Plaintext::new(s.into(), Format::Json);
        let out = unset(&j("{\"a\": {}, \"n\": 1}"), 0, &path(r#"["n"]"#).unwrap()).unwrap();
        assert_eq!(out.expose(), "{\"a\": {}}");
        let out = set(&y("a: 1\nb: {}\n"), 0, &path(r#"["z"]"#).unwrap(), "1").unwrap();
        assert_eq!(out.expose(), "a: 1\nb: {}\nz: 1\n");
    }

    #[test]
    fn empty_collections_end_where_their_brackets_do() {
        let src = "a: 1\nsecrets: {}\nlst: []\nd:\n  e: {}\nb: 2\n";
        let out = unset(&y(src), 0, &path(r#"["secrets"]"#).unwrap()).unwrap();
        assert_eq!(out.expose(), src.replace("secrets: {}\n", ""));
        let out = unset(&y(src), 0, &path(r#"["d"]["e"]"#).unwrap()).unwrap();
        assert_eq!(out.expose(), src.replace("d:\n  e: {}\n", "d: {}\n"));
        let out = set(
            &y("a: 1\nd:\n  e: {}\n"),
            0,
            &path(r#"["z"]"#).unwrap(),
            "1",
        )
        .unwrap();
        assert_eq!(out.expose(), "a: 1\nd:\n  e: {}\nz: 1\n");
        let out = set(&y(src), 0, &path(r#"["secrets"]"#).unwrap(), r#""s""#).unwrap();
        assert_eq!(out.expose(), src.replace("secrets: {}", "secrets: \"s\""));
        let out = unset(
            &y("l:\n  - 1\nm:\n  k: 1\n"),
            0,
            &path(r#"["l"][0]"#).unwrap(),
        )
        .unwrap();
        assert_eq!(out.expose(), "l: []\nm:\n  k: 1\n");
        let j = |s: &str| Plaintext::new(s.into(), Format::Json);
        let src = "{\"a\":{\"x\":{}},\"b\":\"s\",\"c\":{\"d\":[]},\"e\":1}";
        let out = unset(&j(src), 0, &path(r#"["b"]"#).unwrap()).unwrap();
        assert_eq!(out.expose(), "{\"a\":{\"x\":{}},\"c\":{\"d\":[]},\"e\":1}");
        let out = unset(&j(src), 0, &path(r#"["e"]"#).unwrap()).unwrap();
        assert_eq!(
            out.expose(),
            "{\"a\":{\"x\":{}},\"b\":\"s\",\"c\":{\"d\":[]}}"
        );
        let out = set(&j(src), 0, &path(r#"["a"]"#).unwrap(), "2").unwrap();
        assert_eq!(out.expose(), src.replace("{\"x\":{}}", "2"));
        let out = set(
            &y("a: {x: 1, y: [1, 2]}\n"),
            0,
            &path(r#"["a"]["y"]"#).unwrap(),
            r#""s""#,
        )
        .unwrap();
        assert_eq!(out.expose(), "a: {x: 1, y: \"s\"}\n");
    }

    #[test]
    fn unset_removes_whole_lines() {
        let out = unset(&y(SRC), 0, &path(r#"["db"]["pass"]"#).unwrap()).unwrap();
        assert_eq!(out.expose(), SRC.replace("  pass: x\n", ""));
        let out = unset(&y(SRC), 0, &path(r#"["list"][0]"#).unwrap()).unwrap();
        assert_eq!(out.expose(), SRC.replace("  - a\n", ""));
        assert!(unset(&y(SRC), 0, &path(r#"["nope"]"#).unwrap()).is_err());
    }

    #[test]
    fn json_members_are_set_added_and_removed() {
        let j = |s: &str| Plaintext::new(s.into(), Format::Json);
        let src = "{\n  \"a\": \"x\",\n  \"b\": 2\n}\n";
        assert_eq!(
            set(&j(src), 0, &path(r#"["a"]"#).unwrap(), r#""y""#)
                .unwrap()
                .expose(),
            src.replace("\"x\"", "\"y\"")
        );
        assert_eq!(
            set(&j(src), 0, &path(r#"["c"]"#).unwrap(), "[1]")
                .unwrap()
                .expose(),
            src.replace("\"b\": 2", "\"b\": 2,\n  \"c\": [1]")
        );
        assert_eq!(
            unset(&j(src), 0, &path(r#"["b"]"#).unwrap())
                .unwrap()
                .expose(),
            "{\n  \"a\": \"x\"\n}\n"
        );
        assert_eq!(
            unset(&j(src), 0, &path(r#"["a"]"#).unwrap())
                .unwrap()
                .expose(),
            "{\n  \"b\": 2\n}\n"
        );
    }
}
