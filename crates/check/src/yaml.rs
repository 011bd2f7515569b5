//! A light YAML (and JSON) tree with the line and column of every key and
//! value, built from saphyr-parser events.
//!
//! The checks only need structure and positions, not typed values: keys
//! keep their order and duplicates. Aliases are expanded, as kubectl and
//! Helm expand them (`kind: *k`, `stringData: *a`), within a budget that
//! refuses alias bombs; merge keys (`<<`) are followed by [`Node::entry`].

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::borrow::Cow;
use std::collections::HashMap;

/// Nodes that alias expansion may copy in one file; beyond it the file is
/// refused as an alias bomb (go-yaml refuses "excessive aliasing" too).
const ALIAS_BUDGET: usize = 1_000_000;

/// A 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    fn of(span: &Span) -> Self {
        Pos {
            line: span.start.line(),
            col: span.start.col() + 1,
        }
    }
}

/// A scalar with its source position.
#[derive(Clone, Debug)]
pub(crate) struct Scalar<'a> {
    pub text: Cow<'a, str>,
    pub style: ScalarStyle,
    /// Explicitly tagged `!!str`.
    pub str_tag: bool,
    pub pos: Pos,
}

impl Scalar<'_> {
    /// YAML 1.2 core-schema null.
    pub fn is_null(&self) -> bool {
        self.style == ScalarStyle::Plain
            && !self.str_tag
            && matches!(&*self.text, "" | "~" | "null" | "Null" | "NULL")
    }

    /// Whether the scalar is a string (not null, bool or number), as sops
    /// would type it.
    pub fn is_string(&self) -> bool {
        if self.style != ScalarStyle::Plain || self.str_tag {
            return true;
        }
        let t = &*self.text;
        let number = t.parse::<f64>().is_ok() && !t.contains(['x', 'X', 'o', 'O', 'i', 'n', 'N']);
        let special = matches!(
            t,
            "true"
                | "True"
                | "TRUE"
                | "false"
                | "False"
                | "FALSE"
                | ".inf"
                | ".Inf"
                | ".INF"
                | "-.inf"
                | "-.Inf"
                | "-.INF"
                | ".nan"
                | ".NaN"
                | ".NAN"
        );
        let radix = (t.starts_with("0x") || t.starts_with("0o")) && t.len() > 2;
        !(self.is_null() || number || special || radix)
    }
}

/// A node of the tree.
#[derive(Clone, Debug)]
pub(crate) enum Node<'a> {
    Map(Vec<(Scalar<'a>, Node<'a>)>, Pos),
    Seq(Vec<Node<'a>>, Pos),
    Scalar(Scalar<'a>),
    Alias(Pos),
}

impl<'a> Node<'a> {
    pub fn pos(&self) -> Pos {
        match self {
            Node::Map(_, p) | Node::Seq(_, p) | Node::Alias(p) => *p,
            Node::Scalar(s) => s.pos,
        }
    }

    /// The entry for `key` of a map, with the key's scalar; through merge
    /// keys (`<<: *base`, `<<: [*a, *b]`) when the map has no such key.
    pub fn entry(&self, key: &str) -> Option<(&Scalar<'a>, &Node<'a>)> {
        self.entry_in(key, 0)
    }

    fn entry_in(&self, key: &str, depth: usize) -> Option<(&Scalar<'a>, &Node<'a>)> {
        let Node::Map(items, _) = self else {
            return None;
        };
        if let Some((k, v)) = items.iter().find(|(k, _)| k.text == key) {
            return Some((k, v));
        }
        if depth > 16 {
            return None;
        }
        let (_, merged) = items
            .iter()
            .find(|(k, _)| k.text == "<<" && k.style == ScalarStyle::Plain)?;
        match merged {
            Node::Seq(list, _) => list.iter().find_map(|m| m.entry_in(key, depth + 1)),
            m => m.entry_in(key, depth + 1),
        }
    }

    /// How many nodes the tree holds.
    fn size(&self) -> usize {
        match self {
            Node::Map(items, _) => 1 + items.iter().map(|(_, v)| 1 + v.size()).sum::<usize>(),
            Node::Seq(items, _) => 1 + items.iter().map(Node::size).sum::<usize>(),
            _ => 1,
        }
    }

    /// The value for `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The text of a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }
}

/// Why a file did not parse.
#[derive(Clone, Debug)]
pub(crate) struct ParseError {
    pub pos: Pos,
    pub message: String,
}

/// An open collection and its anchor id (0: none).
enum Frame<'a> {
    Map(Vec<(Scalar<'a>, Node<'a>)>, Option<Scalar<'a>>, Pos, usize),
    Seq(Vec<Node<'a>>, Pos, usize),
}

/// The byte ranges of every scalar in `src` (a `#` inside one is text,
/// not a comment), or `None` when it does not parse.
pub(crate) fn scalar_spans(src: &str) -> Option<Vec<(usize, usize)>> {
    // Markers count characters; map them to byte offsets.
    let offsets: Vec<usize> = src
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(src.len()))
        .collect();
    let byte = |chars: usize| offsets.get(chars).copied().unwrap_or(src.len());
    let mut spans = Vec::new();
    for ev in Parser::new_from_str(src) {
        let (ev, span) = ev.ok()?;
        if let Event::Scalar(..) = ev {
            spans.push((byte(span.start.index()), byte(span.end.index())));
        }
    }
    Some(spans)
}

/// Parses every document of `src`. JSON is read as YAML 1.2 flow; callers
/// replace tabs with spaces first, which keeps positions and meaning.
pub(crate) fn parse(src: &str) -> Result<Vec<Node<'_>>, ParseError> {
    let mut parser = Parser::new_from_str(src);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut anchors: HashMap<usize, Node<'_>> = HashMap::new();
    let mut budget = ALIAS_BUDGET;
    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(|e| ParseError {
            pos: Pos {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            },
            message: e.info().to_string(),
        })?;
        let pos = Pos::of(&span);
        let (done, anchor) = match ev {
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map(Vec::new(), None, pos, anchor));
                continue;
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq(Vec::new(), pos, anchor));
                continue;
            }
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(items, _, p, anchor)) => (Node::Map(items, p), anchor),
                _ => continue,
            },
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, p, anchor)) => (Node::Seq(items, p), anchor),
                _ => continue,
            },
            Event::Scalar(text, style, anchor, tag) => (
                Node::Scalar(Scalar {
                    text,
                    style,
                    str_tag: tag.is_some_and(|t| t.suffix == "str"),
                    pos,
                }),
                anchor,
            ),
            Event::DocumentStart(_) => {
                // Anchors are local to their document.
                anchors.clear();
                continue;
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(node) => {
                    budget = budget.checked_sub(node.size()).ok_or_else(|| ParseError {
                        pos,
                        message: "too many aliases (an alias bomb?)".into(),
                    })?;
                    (node.clone(), 0)
                }
                None => (Node::Alias(pos), 0),
            },
            _ => continue,
        };
        if anchor != 0 {
            anchors.insert(anchor, done.clone());
        }
        match stack.last_mut() {
            None => docs.push(done),
            Some(Frame::Seq(items, ..)) => items.push(done),
            Some(Frame::Map(items, key, ..)) => match key.take() {
                Some(k) => items.push((k, done)),
                None => {
                    // A complex key (a map or list as key) matches no name.
                    let k = match done {
                        Node::Scalar(s) => s,
                        other => Scalar {
                            text: Cow::Borrowed(""),
                            style: ScalarStyle::DoubleQuoted,
                            str_tag: false,
                            pos: other.pos(),
                        },
                    };
                    *key = Some(k);
                }
            },
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_carry_one_based_positions_in_characters() {
        let docs = parse("a: 1\n---\nkind: Secret\nstringData:\n  kéy: välue\n").unwrap();
        assert_eq!(docs.len(), 2);
        let (k, v) = docs[1].get("stringData").unwrap().entry("kéy").unwrap();
        assert_eq!(k.pos, Pos { line: 5, col: 3 });
        assert_eq!(v.pos(), Pos { line: 5, col: 8 });
        assert_eq!(docs[1].get("kind").unwrap().as_str(), Some("Secret"));
    }

    #[test]
    fn json_parses_as_flow_yaml_and_scalars_are_typed_like_sops() {
        let docs = parse("{\"kind\": \"Secret\", \"data\": {\"a\": \"eA==\"}, \"n\": 3}").unwrap();
        assert!(docs[0].get("data").unwrap().get("a").is_some());
        let Some(Node::Scalar(n)) = docs[0].get("n") else {
            panic!()
        };
        assert!(!n.is_string());
        let d = parse("a: '3'\nb: 3\nc: ~\nd: yes\n").unwrap();
        let s = |k| match d[0].get(k) {
            Some(Node::Scalar(s)) => s.is_string(),
            _ => panic!(),
        };
        assert!(s("a") && !s("b") && !s("c") && s("d"));
    }
}
