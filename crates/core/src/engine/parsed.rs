//! The parse adapter: every store's parse result as one format-independent
//! view, [`Parsed`], with its documents and their `sops` metadata.

use super::document::{FlatValue, Plaintext};
use super::format::Format;
use crate::error::Result;
use crate::tree::{Leaf, Node, Value};
use std::collections::HashMap;
use std::ops::Range;

/// A format-independent view of a parsed file.
pub(crate) struct Parsed {
    pub docs: Vec<ParsedDoc>,
    pub anchors: HashMap<usize, Node>,
    /// YAML with no final line break, ending in a block scalar: that
    /// scalar's end and header token (`|`, `>2+`, …). It is clipped by the
    /// end of the file, not by a line break.
    pub open_end: Option<(usize, String)>,
}

pub(crate) struct ParsedDoc {
    pub root: Node,
    pub sops: Option<(Value, Range<usize>)>,
    /// YAML only: the `sops:` block's scalar fields, for in-place updates.
    pub sops_fields: Vec<(String, Leaf)>,
    pub insert_at: usize,
    pub indent: String,
    /// YAML only: the root is a flow mapping; `sops` goes inside its braces.
    pub flow: bool,
}

/// Parses a plaintext; a flat file's lines that still read as they did
/// give back their exact values (see [`FlatValue`]).
pub(crate) fn parse_plain(plain: &Plaintext) -> Result<Parsed> {
    parse_exact(plain, &[])
}

/// [`parse_plain`], with `also` for the lines `plain` itself has no entry for.
pub(crate) fn parse_exact(plain: &Plaintext, also: &[FlatValue]) -> Result<Parsed> {
    let mut parsed = parse(plain.expose(), plain.format)?;
    if !plain.exact().is_empty() || !also.is_empty() {
        for doc in &mut parsed.docs {
            flat_leaves(&mut doc.root, &mut |path, l| {
                let own = plain.exact().iter().find(|e| e.path == path);
                let entry = own.or_else(|| also.iter().find(|e| e.path == path));
                if let Some(e) = entry.filter(|e| *e.read == *l.text) {
                    l.text = e.text.clone();
                    l.resolved = Some(e.t);
                }
            });
        }
    }
    Ok(parsed)
}

/// Calls `f` with every value of a flat file's tree and its AAD path.
pub(crate) fn flat_leaves(node: &mut Node, f: &mut impl FnMut(String, &mut Leaf)) {
    fn go(node: &mut Node, path: &mut Vec<String>, f: &mut impl FnMut(String, &mut Leaf)) {
        match node {
            Node::Map(items) => {
                for item in items.iter_mut() {
                    let Some(k) = item.key.clone() else { continue };
                    path.push(k);
                    go(&mut item.node, path, f);
                    path.pop();
                }
            }
            Node::Leaf(l) if l.resolved.is_some() => {
                let at: Vec<&str> = path.iter().map(String::as_str).collect();
                f(crate::tree::aad(&at), l);
            }
            _ => {}
        }
    }
    go(node, &mut Vec::new(), f)
}

pub(crate) fn parse(text: &str, format: Format) -> Result<Parsed> {
    Ok(match format {
        Format::Yaml => {
            let f = crate::stores::yaml::parse(text)?;
            let docs: Vec<ParsedDoc> = f
                .docs
                .into_iter()
                .map(|d| ParsedDoc {
                    root: d.root,
                    sops_fields: d
                        .sops
                        .as_ref()
                        .map(|s| s.fields.clone())
                        .unwrap_or_default(),
                    sops: d.sops.map(|s| (s.value, s.range)),
                    insert_at: d.end,
                    indent: " ".repeat(d.indent),
                    flow: d.flow,
                })
                .collect();
            Parsed {
                open_end: open_end(text, &docs),
                docs,
                anchors: f.anchors,
            }
        }
        Format::Json => parse_json(text)?,
        // Not a JSON envelope: a plain binary file, not encrypted.
        Format::Binary => parse_json(text).unwrap_or(Parsed {
            docs: Vec::new(),
            anchors: HashMap::new(),
            open_end: None,
        }),
        Format::Dotenv => {
            let f = crate::stores::dotenv::parse(text)?;
            flat_doc(f.root, f.sops, text)
        }
        Format::Ini => {
            let f = crate::stores::ini::parse(text)?;
            flat_doc(f.root, f.sops, text)
        }
    })
}

fn open_end(text: &str, docs: &[ParsedDoc]) -> Option<(usize, String)> {
    fn find(n: &Node, end: usize) -> Option<Range<usize>> {
        match n {
            Node::Leaf(l) if l.span.end == end => l.header.clone(),
            Node::Map(items) | Node::Seq(items) => items.last().and_then(|i| find(&i.node, end)),
            _ => None,
        }
    }
    if text.ends_with('\n') {
        return None;
    }
    let h = find(&docs.last()?.root, text.len())?;
    Some((text.len(), text[h].to_string()))
}

fn parse_json(text: &str) -> Result<Parsed> {
    let f = crate::stores::json::parse(text)?;
    let doc = ParsedDoc {
        root: f.root,
        sops: f.sops,
        sops_fields: Vec::new(),
        insert_at: f.insert_at,
        indent: f.indent,
        flow: false,
    };
    Ok(Parsed {
        docs: vec![doc],
        anchors: HashMap::new(),
        open_end: None,
    })
}

/// One dotenv or INI document; the metadata goes at the end.
fn flat_doc(root: Node, sops: Option<(Value, Range<usize>)>, text: &str) -> Parsed {
    Parsed {
        docs: vec![ParsedDoc {
            root,
            sops,
            sops_fields: Vec::new(),
            insert_at: text.len(),
            indent: String::new(),
            flow: false,
        }],
        anchors: HashMap::new(),
        open_end: None,
    }
}
