//! Re-emitting a parsed tree in a format: JSON, YAML, or the flat
//! dotenv/INI forms (for `--extract`, `--output-type` and merges).

use super::scalar::{json_string, yaml_render, Resolved, YamlSlot};
use crate::engine::format::Format;
use crate::error::{Error, Result};
use crate::tree::Node;
use std::collections::HashMap;

pub(crate) fn resolve<'a>(n: &'a Node, anchors: &'a HashMap<usize, Node>) -> &'a Node {
    match n {
        Node::Alias(id, _) => anchors.get(id).map(|t| resolve(t, anchors)).unwrap_or(n),
        _ => n,
    }
}

pub(crate) fn is_comment(n: &Node) -> bool {
    matches!(n, Node::Leaf(l) if l.is_comment())
}

/// Writes a node in `format` (merges, KRM): a float JSON cannot hold is
/// written as its text, quoted.
pub(crate) fn render(node: &Node, anchors: &HashMap<usize, Node>, format: Format) -> String {
    match node {
        Node::Leaf(l) => l.text.to_string(),
        _ => match format {
            Format::Json | Format::Dotenv | Format::Ini | Format::Binary => {
                json(node, anchors, 0, None).unwrap_or_default()
            }
            Format::Yaml => {
                let mut out = String::new();
                yaml(node, anchors, TOP, Format::Yaml, &mut out);
                out
            }
        },
    }
}

/// Writes a node as sops writes a tree (`--output-type`) or a value
/// (`--extract`) in `format`: a string bare, any other scalar as the store
/// marshals it (`1e-07\n` in YAML). An infinite or NaN float fails in
/// JSON, as Go's encoding/json fails on it. `from` is the input's format.
pub(crate) fn render_output(
    node: &Node,
    anchors: &HashMap<usize, Node>,
    from: Format,
    format: Format,
) -> Result<String> {
    match (node, format) {
        (Node::Leaf(l), _) if matches!(l.resolved, None | Some(Resolved::Str)) => {
            Ok(l.text.to_string())
        }
        (Node::Leaf(_), Format::Yaml) => Ok(format!("{}\n", yaml_scalar(node, 0, from))),
        (_, Format::Yaml) => {
            let mut out = String::new();
            yaml(node, anchors, TOP, from, &mut out);
            Ok(out)
        }
        (Node::Leaf(_), Format::Json) => json(node, anchors, 0, Some(&mut Vec::new())),
        // sops's JSON store ends a tree with a line break.
        (_, Format::Json) => Ok(json(node, anchors, 0, Some(&mut Vec::new()))? + "\n"),
        // A map goes out as the flat store writes a file (or fails as it does).
        (Node::Map(_), Format::Dotenv | Format::Ini) => render_flat(node, anchors, from, format),
        _ => Ok(render(node, anchors, format)),
    }
}

/// Writes a root map as dotenv lines or INI sections (`--output-type`).
/// Only what those formats can hold: flat strings, or sections of them;
/// anything else is [`Error::Dump`] (sops: exit 4).
pub(crate) fn render_flat(
    root: &Node,
    anchors: &HashMap<usize, Node>,
    from: Format,
    to: Format,
) -> Result<String> {
    let flat_text = |l: &crate::tree::Leaf| flat_text(l, from);
    let items = match resolve(root, anchors) {
        Node::Map(items) => items,
        _ => return Err(Error::Dump("the document is not a map".into())),
    };
    let mut out = String::new();
    for item in items {
        let node = resolve(&item.node, anchors);
        match (to, &item.key, node) {
            (_, None, Node::Leaf(l)) if to == Format::Dotenv => {
                out.push_str(&format!("#{}\n", l.text.as_str()))
            }
            (Format::Ini, None, Node::Leaf(l)) => out.push_str(&format!("; {}\n", l.text.as_str())),
            (Format::Dotenv, Some(k), Node::Leaf(l)) => {
                out.push_str(&format!("{k}={}\n", super::dotenv::render(&flat_text(l))))
            }
            (Format::Ini, Some(k), Node::Map(entries)) => {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&format!("[{k}]\n"));
                // sops (go-ini, pretty format) aligns `=` in a section.
                let width = entries
                    .iter()
                    .filter_map(|e| e.key.as_ref().map(|k| k.chars().count()))
                    .max()
                    .unwrap_or(0);
                for e in entries {
                    match (&e.key, resolve(&e.node, anchors)) {
                        (None, Node::Leaf(l)) => out.push_str(&format!("; {}\n", l.text.as_str())),
                        (Some(k), Node::Leaf(l)) => out.push_str(&format!(
                            "{k:<width$} = {}\n",
                            super::ini::render(&flat_text(l), true)
                        )),
                        (Some(k), _) => {
                            return Err(Error::Dump(format!(
                                "INI values are strings; `{k}` holds a map or list"
                            )))
                        }
                        _ => {}
                    }
                }
            }
            (_, Some(k), _) => {
                return Err(Error::Dump(format!(
                    "cannot write `{k}` as {}: it has a value that format cannot hold",
                    to.name()
                )))
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A leaf's text as a flat store writes it (null is empty): a float as
/// sops's `ValToString` writes it (`1E-07`); sops reads every JSON number
/// as a float64.
fn flat_text(l: &crate::tree::Leaf, from: Format) -> String {
    let float = match l.resolved {
        Some(Resolved::Null) => return String::new(),
        Some(Resolved::Int) if from == Format::Json => l.text.parse::<f64>().ok(),
        Some(Resolved::Float) => super::scalar::float_value(&l.text),
        _ => None,
    };
    float.map_or_else(|| l.text.to_string(), super::scalar::sops_float)
}

/// A scalar as typed JSON for merges and KRM: a float keeps its spelling
/// when JSON can hold it (a whole one as an int), one JSON cannot hold is
/// written as its text, quoted.
pub(crate) fn scalar_json(n: &Node) -> String {
    match n {
        Node::Leaf(l) if l.resolved == Some(Resolved::Float) => {
            match (super::json::valid_number(&l.text), l.text.parse::<f64>()) {
                (true, Ok(f)) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f}"),
                (true, _) => l.text.to_string(),
                _ => match super::scalar::parse_yaml_float(&l.text) {
                    Some(f) if f.is_finite() => super::scalar::go_format_float(f),
                    _ => json_string(&l.text),
                },
            }
        }
        Node::Leaf(l) => json_leaf(l).unwrap_or_else(|| json_string(&l.text)),
        _ => "null".into(),
    }
}

/// A leaf as Go's encoding/json writes the value sops reads; `None` for an
/// infinite or NaN float.
fn json_leaf(l: &crate::tree::Leaf) -> Option<String> {
    Some(match l.resolved {
        Some(Resolved::Null) => "null".into(),
        Some(Resolved::Bool) => l.text.to_ascii_lowercase(),
        Some(Resolved::Int) => super::scalar::parse_go_int(&l.text)
            .map_or_else(|| json_string(&l.text), |v| v.to_string()),
        Some(Resolved::Float) => match super::scalar::float_value(&l.text) {
            Some(f) => super::scalar::json_float(f)?,
            None => json_string(&l.text),
        },
        _ => json_string(&l.text),
    })
}

/// With `path` (the keys and indices walked, for the error), leaves are
/// written as sops writes them and an infinite or NaN float is an error;
/// without it, as [`scalar_json`] writes them.
fn json(
    n: &Node,
    anchors: &HashMap<usize, Node>,
    level: usize,
    mut path: Option<&mut Vec<String>>,
) -> Result<String> {
    let pad = |k: usize| "\t".repeat(k);
    let child = |step: String, node: &Node, path: &mut Option<&mut Vec<String>>| {
        let mut sub = path.as_deref_mut();
        if let Some(p) = sub.as_deref_mut() {
            p.push(step);
        }
        let r = json(node, anchors, level + 1, sub.as_deref_mut());
        if let Some(p) = sub {
            p.pop();
        }
        r
    };
    Ok(match resolve(n, anchors) {
        Node::Map(items) => {
            let mut inner = Vec::new();
            for i in items.iter().filter(|i| !is_comment(&i.node)) {
                let key = i.key.as_deref().unwrap_or("");
                let v = child(format!("[{}]", json_string(key)), &i.node, &mut path)?;
                inner.push(format!("{}{}: {v}", pad(level + 1), json_string(key)));
            }
            if inner.is_empty() {
                "{}".into()
            } else {
                format!("{{\n{}\n{}}}", inner.join(",\n"), pad(level))
            }
        }
        Node::Seq(items) => {
            let mut inner = Vec::new();
            for (k, i) in items.iter().filter(|i| !is_comment(&i.node)).enumerate() {
                let v = child(format!("[{k}]"), &i.node, &mut path)?;
                inner.push(format!("{}{v}", pad(level + 1)));
            }
            if inner.is_empty() {
                "[]".into()
            } else {
                format!("[\n{}\n{}]", inner.join(",\n"), pad(level))
            }
        }
        leaf @ Node::Leaf(_) if path.is_none() => scalar_json(leaf),
        Node::Leaf(l) => match (json_leaf(l), path) {
            (Some(v), _) => v,
            (None, None) => json_string(&l.text),
            (None, Some(p)) => {
                let at = match p.is_empty() {
                    true => String::new(),
                    false => format!(" at `{}`", p.concat()),
                };
                return Err(Error::Dump(format!(
                    "the float{at} is infinite or NaN, which JSON cannot hold"
                )));
            }
        },
        _ => "null".into(),
    })
}

/// A scalar in YAML; from JSON, a number is the float64 sops reads, in
/// yaml.v3's form (`1e+10`, `1000`).
fn yaml_scalar(n: &Node, col: usize, from: Format) -> String {
    let float = |l: &crate::tree::Leaf| super::scalar::float_value(&l.text);
    match n {
        Node::Leaf(l) if l.resolved == Some(Resolved::Str) => yaml_render(
            crate::crypto::cipher::ValueType::Str,
            &l.text,
            YamlSlot::Plain {
                flow: false,
                indent: col + 4,
            },
        ),
        Node::Leaf(l) if l.resolved == Some(Resolved::Null) => "null".into(),
        Node::Leaf(l)
            if from == Format::Json
                && matches!(l.resolved, Some(Resolved::Int | Resolved::Float)) =>
        {
            float(l).map_or_else(|| l.text.to_string(), super::scalar::yaml_number)
        }
        Node::Leaf(l) if l.resolved == Some(Resolved::Float) => {
            float(l).map_or_else(|| l.text.to_string(), super::scalar::yaml_float)
        }
        Node::Leaf(l) => l.text.to_string(),
        _ => "null".into(),
    }
}

/// A document's root.
const TOP: Place = Place {
    indent: 0,
    at: 0,
    inline: false,
};

/// Where a block collection goes, as yaml.v3 lays it out (step 4): its
/// `indent`, the column of its entries (`at`: two more than `indent` for
/// one that starts on a list item's line), and whether its first entry
/// follows a `- ` already written.
#[derive(Clone, Copy)]
struct Place {
    indent: usize,
    at: usize,
    inline: bool,
}

fn yaml(n: &Node, anchors: &HashMap<usize, Node>, p: Place, from: Format, out: &mut String) {
    let n = resolve(n, anchors);
    let items = match n {
        Node::Map(items) | Node::Seq(items) => items,
        _ => return,
    };
    // A comment before the first entry of an inline collection has no line.
    let skip = match p.inline {
        true => items.iter().take_while(|i| is_comment(&i.node)).count(),
        false => 0,
    };
    for (i, item) in items.iter().skip(skip).enumerate() {
        if let Node::Leaf(l) = &item.node {
            if l.is_comment() {
                // sops keeps comments, each on its own line.
                out.push_str(&format!("{}#{}\n", " ".repeat(p.at), l.text.as_str()));
                continue;
            }
        }
        if !(p.inline && i == 0) {
            out.push_str(&" ".repeat(p.at));
        }
        let child = resolve(&item.node, anchors);
        let filled =
            matches!(child, Node::Map(m) | Node::Seq(m) if m.iter().any(|i| !is_comment(&i.node)));
        match (&item.key, child) {
            (Some(k), _) => {
                out.push_str(&yaml_render(
                    crate::crypto::cipher::ValueType::Str,
                    k,
                    YamlSlot::Plain {
                        flow: false,
                        indent: p.indent + 4,
                    },
                ));
                out.push(':');
                if filled {
                    out.push('\n');
                    let next = p.indent + 4;
                    yaml(
                        child,
                        anchors,
                        Place {
                            indent: next,
                            at: next,
                            inline: false,
                        },
                        from,
                        out,
                    );
                    continue;
                }
                out.push(' ');
                out.push_str(&flat_value(child, p.indent, from));
            }
            (None, Node::Map(_)) if filled => {
                out.push_str("- ");
                let place = Place {
                    indent: p.indent,
                    at: p.at + 2,
                    inline: true,
                };
                yaml(child, anchors, place, from, out);
                continue;
            }
            (None, Node::Seq(_)) if filled => {
                out.push_str("- ");
                let place = Place {
                    indent: p.at + 2,
                    at: p.at + 2,
                    inline: true,
                };
                yaml(child, anchors, place, from, out);
                continue;
            }
            (None, _) => {
                out.push_str("- ");
                // A block scalar's lines go two past the dash.
                out.push_str(&flat_value(child, (p.at + 2).saturating_sub(4), from));
            }
        }
        out.push('\n');
    }
}

/// An empty collection or a scalar, on its key's or dash's line.
fn flat_value(n: &Node, col: usize, from: Format) -> String {
    match n {
        Node::Map(_) => "{}".into(),
        Node::Seq(_) => "[]".into(),
        leaf => yaml_scalar(leaf, col, from),
    }
}
