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

/// Writes a node in `format` (used by `--extract` and `--output-type`).
pub(crate) fn render(node: &Node, anchors: &HashMap<usize, Node>, format: Format) -> String {
    match node {
        Node::Leaf(l) => l.text.to_string(),
        _ => match format {
            Format::Json | Format::Dotenv | Format::Ini | Format::Binary => json(node, anchors, 0),
            Format::Yaml => {
                let mut out = String::new();
                yaml(node, anchors, 0, &mut out);
                out
            }
        },
    }
}

/// Writes a root map as dotenv lines or INI sections (`--output-type`).
/// Only what those formats can hold: flat strings, or sections of them.
pub(crate) fn render_flat(
    root: &Node,
    anchors: &HashMap<usize, Node>,
    from: Format,
    to: Format,
) -> Result<String> {
    let flat_text = |l: &crate::tree::Leaf| flat_text(l, from);
    let items = match resolve(root, anchors) {
        Node::Map(items) => items,
        _ => return Err(Error::Unsupported("the document is not a map".into())),
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
                            return Err(Error::Unsupported(format!(
                                "INI values are strings; `{k}` holds a map or list"
                            )))
                        }
                        _ => {}
                    }
                }
            }
            (_, Some(k), _) => {
                return Err(Error::Unsupported(format!(
                    "cannot write `{k}` as {}: it has a value that format cannot hold",
                    to.name()
                )))
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A leaf's text as a flat store writes it (null is empty). sops reads
/// every JSON number as a float64 and writes it as its `ValToString` does.
fn flat_text(l: &crate::tree::Leaf, from: Format) -> String {
    match l.resolved {
        Some(Resolved::Null) => String::new(),
        Some(Resolved::Int | Resolved::Float) if from == Format::Json => l
            .text
            .parse::<f64>()
            .map_or_else(|_| l.text.to_string(), super::scalar::sops_float),
        _ => l.text.to_string(),
    }
}

pub(crate) fn scalar_json(n: &Node) -> String {
    match n {
        Node::Leaf(l) => match l.resolved {
            Some(Resolved::Null) => "null".into(),
            Some(Resolved::Bool) => l.text.to_ascii_lowercase(),
            Some(Resolved::Int) => super::scalar::parse_go_int(&l.text)
                .map_or_else(|| json_string(&l.text), |v| v.to_string()),
            // A whole float is written as Go's encoding/json writes it
            // (`1000.0` and `1e3` as `1000`), as sops writes it.
            Some(Resolved::Float) if super::json::valid_number(&l.text) => {
                match l.text.parse::<f64>() {
                    Ok(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f}"),
                    _ => l.text.to_string(),
                }
            }
            Some(Resolved::Float) => match super::scalar::parse_yaml_float(&l.text) {
                Some(f) if f.is_finite() => super::scalar::go_format_float(f),
                _ => json_string(&l.text),
            },
            _ => json_string(&l.text),
        },
        _ => "null".into(),
    }
}

fn json(n: &Node, anchors: &HashMap<usize, Node>, level: usize) -> String {
    let pad = |k: usize| "\t".repeat(k);
    match resolve(n, anchors) {
        Node::Map(items) => {
            let inner: Vec<String> = items
                .iter()
                .filter(|i| !is_comment(&i.node))
                .map(|i| {
                    format!(
                        "{}{}: {}",
                        pad(level + 1),
                        json_string(i.key.as_deref().unwrap_or("")),
                        json(&i.node, anchors, level + 1)
                    )
                })
                .collect();
            if inner.is_empty() {
                "{}".into()
            } else {
                format!("{{\n{}\n{}}}", inner.join(",\n"), pad(level))
            }
        }
        Node::Seq(items) => {
            let inner: Vec<String> = items
                .iter()
                .filter(|i| !is_comment(&i.node))
                .map(|i| format!("{}{}", pad(level + 1), json(&i.node, anchors, level + 1)))
                .collect();
            if inner.is_empty() {
                "[]".into()
            } else {
                format!("[\n{}\n{}]", inner.join(",\n"), pad(level))
            }
        }
        leaf => scalar_json(leaf),
    }
}

fn yaml_scalar(n: &Node, col: usize) -> String {
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
        Node::Leaf(l) => l.text.to_string(),
        _ => "null".into(),
    }
}

fn yaml(n: &Node, anchors: &HashMap<usize, Node>, col: usize, out: &mut String) {
    let n = resolve(n, anchors);
    let entries: Vec<&crate::tree::Item> = match n {
        Node::Map(items) | Node::Seq(items) => {
            items.iter().filter(|i| !is_comment(&i.node)).collect()
        }
        _ => return,
    };
    for item in entries {
        out.push_str(&" ".repeat(col));
        match &item.key {
            Some(k) => {
                out.push_str(&yaml_render(
                    crate::crypto::cipher::ValueType::Str,
                    k,
                    YamlSlot::Plain {
                        flow: false,
                        indent: col + 4,
                    },
                ));
                out.push(':');
            }
            None => out.push('-'),
        }
        let child = resolve(&item.node, anchors);
        match child {
            Node::Map(m) | Node::Seq(m) if m.iter().any(|i| !is_comment(&i.node)) => {
                out.push('\n');
                yaml(child, anchors, col + 4, out);
            }
            Node::Map(_) => out.push_str(" {}\n"),
            Node::Seq(_) => out.push_str(" []\n"),
            leaf => {
                out.push(' ');
                out.push_str(&yaml_scalar(leaf, col));
                out.push('\n');
            }
        }
    }
}
