//! What the YAML readers produce: a parsed stream's documents, each with
//! its root and its `sops:` block. Both readers ([`super::yaml`],
//! [`super::yaml_fast`]) and the go-yaml guard share these types.

use crate::tree::{Leaf, Node, Value};
use std::collections::HashMap;
use std::ops::Range;

/// A parsed YAML stream.
#[derive(Debug)]
pub(crate) struct YamlFile {
    pub docs: Vec<Doc>,
    pub anchors: HashMap<usize, Node>,
    /// The outermost flow collections (`{…}`, `[…]`), brackets included.
    pub flows: Vec<std::ops::Range<usize>>,
}

/// One document of the stream.
#[derive(Debug)]
pub(crate) struct Doc {
    /// The root map, without its `sops` entry.
    pub root: Node,
    /// The `sops:` entry, if present.
    pub sops: Option<SopsBlock>,
    /// Where a `sops:` block is inserted: the end of this document's text.
    pub end: usize,
    /// The indentation step the document uses.
    pub indent: usize,
    /// The root is a flow mapping (`{a: 1}`): the `sops` entry goes inside
    /// its braces, at `end`.
    pub flow: bool,
}

/// A document's `sops:` entry.
#[derive(Debug)]
pub(crate) struct SopsBlock {
    pub value: Value,
    /// The bytes to delete to remove it.
    pub range: Range<usize>,
    /// Top-level scalar fields (`lastmodified`, `mac`, …) and their leaves,
    /// so an edit can update them in place.
    pub fields: Vec<(String, Leaf)>,
}
