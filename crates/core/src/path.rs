//! Tree paths in sops's `["a"]["b"][0]` syntax, and extracting a value or
//! subtree from a decrypted file.

use crate::engine::{Format, Plaintext};
use crate::error::{Error, Result};
use crate::scalar::{json_string, yaml_render, Resolved, YamlSlot};
use crate::tree::{Node, Value};
use std::collections::HashMap;

/// One step of a tree path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// Parses `["a"]["b"][0]`.
pub fn parse(s: &str) -> Result<Vec<Step>> {
    let bad = || {
        Error::TreePath(format!(
            "cannot parse `{s}`: expected a form like [\"key\"][0]"
        ))
    };
    let mut rest = s.trim();
    let mut steps = Vec::new();
    while !rest.is_empty() {
        rest = rest.strip_prefix('[').ok_or_else(bad)?;
        if let Some(r) = rest.strip_prefix('"').or_else(|| rest.strip_prefix('\'')) {
            let quote = rest.as_bytes()[0] as char;
            let end = r.find(quote).ok_or_else(bad)?;
            steps.push(Step::Key(r[..end].to_string()));
            rest = r[end + 1..].strip_prefix(']').ok_or_else(bad)?;
        } else {
            let end = rest.find(']').ok_or_else(bad)?;
            steps.push(Step::Index(rest[..end].trim().parse().map_err(|_| bad())?));
            rest = &rest[end + 1..];
        }
    }
    Ok(steps)
}

/// The value at `steps` in the first document: a scalar as its bare text,
/// a subtree written in `format`.
pub fn extract(plain: &Plaintext, steps: &[Step], format: Format) -> Result<String> {
    let (root, anchors) = crate::engine::first_root(plain)?;
    let mut node = &root;
    for step in steps {
        node = resolve(node, &anchors);
        let items = match (node, step) {
            (Node::Map(items), Step::Key(k)) => {
                items.iter().find(|i| i.key.as_deref() == Some(k.as_str()))
            }
            (Node::Seq(items), Step::Index(n)) => {
                items.iter().filter(|i| !is_comment(&i.node)).nth(*n)
            }
            _ => None,
        };
        node = &items
            .ok_or_else(|| Error::TreePath(format!("component {step:?} not found")))?
            .node;
    }
    Ok(render(resolve(node, &anchors), &anchors, format))
}

fn resolve<'a>(n: &'a Node, anchors: &'a HashMap<usize, Node>) -> &'a Node {
    match n {
        Node::Alias(id) => anchors.get(id).map(|t| resolve(t, anchors)).unwrap_or(n),
        _ => n,
    }
}

fn is_comment(n: &Node) -> bool {
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
                out.push_str(&format!("{k}={}\n", crate::dotenv::render(&flat_text(l))))
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
                            crate::ini::render(&flat_text(l), true)
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
/// every JSON number as a float64 and writes it as `go_float`.
fn flat_text(l: &crate::tree::Leaf, from: Format) -> String {
    match l.resolved {
        Some(Resolved::Null) => String::new(),
        Some(Resolved::Int | Resolved::Float) if from == Format::Json => l
            .text
            .parse::<f64>()
            .map_or_else(|_| l.text.to_string(), go_float),
        _ => l.text.to_string(),
    }
}

/// A float as sops's flat stores write it: Go's `FormatFloat(v, 'G', -1,
/// 64)` (shortest digits; exponent form below 1e-4 and from 1e6), with
/// `.0` added to a bare integer.
fn go_float(v: f64) -> String {
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if v.is_sign_negative() { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}E{esign}{:02}", exp.abs());
    }
    let dp = exp + 1;
    let text = if dp <= 0 {
        format!("0.{}{digits}", "0".repeat((-dp) as usize))
    } else if dp as usize >= digits.len() {
        format!("{digits}{}.0", "0".repeat(dp as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(dp as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod go_float_tests {
    use super::go_float;

    #[test]
    fn floats_read_as_sops_writes_them_in_flat_files() {
        for (v, want) in [
            (5.0, "5.0"),
            (5.5, "5.5"),
            (1e20, "1E+20"),
            (-0.0, "-0.0"),
            (12345678901234567890.0, "1.2345678901234567E+19"),
            (123456.0, "123456.0"),
            (1234567.0, "1.234567E+06"),
            (0.0001, "0.0001"),
            (0.00001, "1E-05"),
        ] {
            assert_eq!(go_float(v), want, "{v}");
        }
    }
}

pub(crate) fn scalar_json(n: &Node) -> String {
    match n {
        Node::Leaf(l) => match l.resolved {
            Some(Resolved::Null) => "null".into(),
            Some(Resolved::Bool) => l.text.to_ascii_lowercase(),
            Some(Resolved::Int) => crate::scalar::parse_go_int(&l.text)
                .map_or_else(|| json_string(&l.text), |v| v.to_string()),
            Some(Resolved::Float) if crate::json::valid_number(&l.text) => l.text.to_string(),
            Some(Resolved::Float) => match crate::scalar::parse_yaml_float(&l.text) {
                Some(f) if f.is_finite() => crate::scalar::go_format_float(f),
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
            crate::cipher::ValueType::Str,
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
                    crate::cipher::ValueType::Str,
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

/// Converts a plain [`Value`] to JSON (used by tests and tools).
pub fn value_to_json(v: &Value) -> String {
    crate::metadata::json_value(v, 0, "\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_like_sops() {
        assert_eq!(
            parse(r#"["a"]["b c"][2]"#).unwrap(),
            vec![
                Step::Key("a".into()),
                Step::Key("b c".into()),
                Step::Index(2)
            ]
        );
        assert!(parse(r#"["a""#).is_err());
    }

    #[test]
    fn extract_returns_bare_scalars_and_subtrees() {
        let p = Plaintext::new("a:\n  b: hello\n  n: [1, 2]\n".into(), Format::Yaml);
        assert_eq!(
            extract(&p, &parse(r#"["a"]["b"]"#).unwrap(), Format::Yaml).unwrap(),
            "hello"
        );
        assert_eq!(
            extract(&p, &parse(r#"["a"]["n"]"#).unwrap(), Format::Json).unwrap(),
            "[\n\t1,\n\t2\n]"
        );
    }
}
