//! The parsed view of a YAML or JSON document that the engine walks: maps,
//! lists, scalar and comment leaves, each leaf knowing the bytes it occupies.
//!
//! The walk follows sops's `walkBranch`/`walkSlice` exactly: paths hold only
//! mapping keys, and a comment stack gates the comment-regex selectors.

use crate::error::Result;
use crate::selector::Selector;
use crate::stores::scalar::{Resolved, YamlSlot};
use std::collections::HashMap;
use std::ops::Range;
use zeroize::Zeroizing;

/// Where a leaf is written and how a new value must be spelled there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Yaml(YamlSlot),
    Json,
    Comment,
    /// A dotenv value: written raw, line breaks as `\n`.
    Dotenv,
    /// An INI value; a bare one (not inside quotes) is quoted when needed.
    Ini {
        bare: bool,
    },
}

/// A scalar or comment with its place in the source.
/// Its `Debug` shows the length of the text, never the text.
#[derive(Clone)]
pub(crate) struct Leaf {
    /// The bytes a new value replaces.
    pub span: Range<usize>,
    /// The scalar's value (quotes and escapes resolved), or a comment's text
    /// after `#`. It may be plaintext, so it is zeroed on drop.
    pub text: Zeroizing<String>,
    /// The type sops gives it; `None` for comments.
    pub resolved: Option<Resolved>,
    /// How a replacement is spelled.
    pub slot: Slot,
    /// A block scalar's `|`/`>` indicator, rewritten along with the span.
    pub header: Option<Range<usize>>,
}

impl Leaf {
    pub fn is_comment(&self) -> bool {
        self.resolved.is_none()
    }
}

impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leaf")
            .field("span", &self.span)
            .field("text", &Redacted(self.text.len()))
            .field("resolved", &self.resolved)
            .field("slot", &self.slot)
            .field("header", &self.header)
            .finish()
    }
}

/// Stands in for a secret in `Debug` output: only its length.
pub(crate) struct Redacted(pub usize);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[REDACTED {} bytes]", self.0)
    }
}

/// Everything in a tree, texts included, for tests that compare two trees
/// (the `Debug` form hides the texts).
#[cfg(test)]
pub(crate) fn dump(node: &Node) -> String {
    match node {
        Node::Map(items) | Node::Seq(items) => {
            let kind = if matches!(node, Node::Map(_)) {
                "Map"
            } else {
                "Seq"
            };
            let inner: Vec<String> = items
                .iter()
                .map(|i| format!("{:?}@{} {}", i.key, i.at, dump(&i.node)))
                .collect();
            format!("{kind}[{}]", inner.join(", "))
        }
        Node::Leaf(l) => dump_leaf(l),
        Node::Alias(id, _) => format!("Alias({id})"),
    }
}

/// A value with its texts, for tests.
#[cfg(test)]
pub(crate) fn dump_value(v: &Value) -> String {
    match v {
        Value::Null => "Null".into(),
        Value::Scalar(s) => format!("{s:?}"),
        Value::Seq(items) => format!(
            "[{}]",
            items.iter().map(dump_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k:?}: {}", dump_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A leaf with its text, for tests.
#[cfg(test)]
pub(crate) fn dump_leaf(l: &Leaf) -> String {
    format!(
        "Leaf({:?}, {:?}, {:?}, {:?}, {:?})",
        l.span,
        l.text.as_str(),
        l.resolved,
        l.slot,
        l.header
    )
}

/// A node of the document tree.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// Items in order; comments are items with no key.
    Map(Vec<Item>),
    /// Items in order; comments are items too.
    Seq(Vec<Item>),
    Leaf(Leaf),
    /// An alias to the node anchored with this id, and where the `*name`
    /// token is (a scalar's alias is expanded there when encrypted).
    Alias(usize, std::ops::Range<usize>),
}

/// One entry of a map or list.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub key: Option<String>,
    /// Where the item starts (its key, or its value in a list).
    pub at: usize,
    pub node: Node,
}

/// What the walker tells the visitor about one leaf.
pub(crate) struct Visit<'a> {
    pub leaf: &'a Leaf,
    pub path: &'a [&'a str],
    pub encrypt: bool,
    /// Reached through an alias: the bytes belong to the anchor.
    pub aliased: bool,
    /// The leaf is an item of a list (not a map value).
    pub in_seq: bool,
    /// The leaf is the first item of a list whose every item is an encrypted
    /// comment (`- ENC[…,type:comment]`, how sops writes `[]  # c`): the
    /// list is empty to sops.
    pub first_of_comment_list: bool,
    /// Reached through an alias that names this scalar: the `*name` token.
    pub alias_span: Option<std::ops::Range<usize>>,
}

/// Walks `root` in sops order, calling `f` for every non-null leaf.
pub(crate) fn walk<'a>(
    root: &'a Node,
    anchors: &'a HashMap<usize, Node>,
    sel: &Selector,
    f: &mut dyn FnMut(Visit<'_>) -> Result<()>,
) -> Result<()> {
    let mut w = Walker {
        anchors,
        sel,
        f,
        path: Vec::new(),
        stack: Vec::new(),
        aliased: false,
        in_seq: false,
        comment_list: false,
        alias_span: None,
    };
    w.node(root)
}

struct Walker<'a, 'f> {
    anchors: &'a HashMap<usize, Node>,
    sel: &'f Selector,
    f: &'f mut dyn FnMut(Visit<'_>) -> Result<()>,
    path: Vec<&'a str>,
    stack: Vec<Vec<&'a str>>,
    aliased: bool,
    in_seq: bool,
    /// Set on entering a list of only encrypted comments, until its first leaf.
    comment_list: bool,
    /// Set on entering an alias to a scalar, until that scalar is visited.
    alias_span: Option<std::ops::Range<usize>>,
}

/// Whether every item of a list is an encrypted comment.
fn only_enc_comments(items: &[Item]) -> bool {
    !items.is_empty()
        && items.iter().all(|i| {
            matches!(&i.node, Node::Leaf(l)
                if l.text.starts_with("ENC[") && l.text.trim_end().ends_with(",type:comment]"))
        })
}

impl<'a> Walker<'a, '_> {
    fn node(&mut self, node: &'a Node) -> Result<()> {
        match node {
            Node::Map(items) | Node::Seq(items) => {
                let was = std::mem::replace(&mut self.in_seq, matches!(node, Node::Seq(_)));
                self.comment_list = matches!(node, Node::Seq(_)) && only_enc_comments(items);
                let r = self.items(items);
                self.in_seq = was;
                r
            }
            Node::Leaf(leaf) => self.leaf(leaf),
            Node::Alias(id, at) => match self.anchors.get(id) {
                Some(target) => {
                    if let Node::Leaf(_) = target {
                        self.alias_span = Some(at.clone());
                    }
                    let was = std::mem::replace(&mut self.aliased, true);
                    let r = self.node(target);
                    self.aliased = was;
                    r
                }
                None => Ok(()),
            },
        }
    }

    fn items(&mut self, items: &'a [Item]) -> Result<()> {
        self.stack.push(Vec::new());
        for item in items {
            if let Node::Leaf(l) = &item.node {
                if l.is_comment() {
                    if !self.aliased {
                        self.stack.last_mut().expect("frame").push(&l.text);
                        self.leaf(l)?;
                    }
                    continue;
                }
            }
            if let Some(k) = &item.key {
                self.path.push(k);
            }
            let r = self.node(&item.node);
            if item.key.is_some() {
                self.path.pop();
            }
            r?;
            self.stack.last_mut().expect("frame").clear();
        }
        self.stack.pop();
        Ok(())
    }

    fn leaf(&mut self, leaf: &'a Leaf) -> Result<()> {
        let alias_span = self.alias_span.take();
        if leaf.resolved == Some(Resolved::Null) {
            return Ok(());
        }
        let encrypt = self
            .sel
            .should_encrypt(&self.path, &self.stack, leaf.is_comment());
        (self.f)(Visit {
            leaf,
            path: &self.path,
            encrypt,
            aliased: self.aliased,
            in_seq: self.in_seq,
            first_of_comment_list: std::mem::take(&mut self.comment_list),
            alias_span,
        })
    }
}

/// The AAD sops uses for a path: the keys joined by `:`, plus a final `:`.
pub(crate) fn aad(path: &[&str]) -> String {
    let mut s = String::new();
    for k in path {
        s.push_str(k);
        s.push(':');
    }
    if path.is_empty() {
        s.push(':');
    }
    s
}

/// A plain value tree, for metadata and config files (and, briefly, for
/// extracted plaintext): its `Debug` shows the length of each scalar, never
/// its text.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// `null` or empty.
    Null,
    /// Any scalar, by its text.
    Scalar(String),
    /// A list.
    Seq(Vec<Value>),
    /// A map in source order.
    Map(Vec<(String, Value)>),
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Scalar(s) => f.debug_tuple("Scalar").field(&Redacted(s.len())).finish(),
            Value::Seq(v) => f.debug_tuple("Seq").field(v).finish(),
            Value::Map(m) => f.debug_tuple("Map").field(m).finish(),
        }
    }
}

impl Value {
    /// Looks up a key of a map.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a list (`null` is an empty list, as in old sops files).
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::Seq(v) => Some(v),
            Value::Null => Some(&[]),
            _ => None,
        }
    }
}

/// Converts a node to a plain [`Value`], dropping comments and resolving aliases.
pub(crate) fn to_value(node: &Node, anchors: &HashMap<usize, Node>) -> Value {
    match node {
        Node::Map(items) => Value::Map(
            items
                .iter()
                .filter(|i| !is_comment(&i.node))
                .filter_map(|i| Some((i.key.clone()?, to_value(&i.node, anchors))))
                .collect(),
        ),
        Node::Seq(items) => Value::Seq(
            items
                .iter()
                .filter(|i| !is_comment(&i.node))
                .map(|i| to_value(&i.node, anchors))
                .collect(),
        ),
        Node::Leaf(l) if l.resolved == Some(Resolved::Null) => Value::Null,
        Node::Leaf(l) => Value::Scalar(l.text.to_string()),
        Node::Alias(id, _) => anchors
            .get(id)
            .map(|n| to_value(n, anchors))
            .unwrap_or(Value::Null),
    }
}

fn is_comment(n: &Node) -> bool {
    matches!(n, Node::Leaf(l) if l.is_comment())
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_of_a_parsed_file_hides_every_text() {
        let canary = "CANARY-tree-41c2";
        let src = format!(
            "k: {canary}\nq: \"{canary}\"\nl:\n  - {canary} # {canary}\nb: |\n  {canary}\n"
        );
        let f = crate::stores::yaml::parse(&src).unwrap();
        for shown in [format!("{f:?}"), format!("{f:#?}")] {
            assert!(!shown.contains(canary), "{shown}");
        }
        let j = crate::stores::json::parse(&format!("{{\"k\": \"{canary}\"}}")).unwrap();
        assert!(!format!("{:?}", j.root).contains(canary));
    }
}
