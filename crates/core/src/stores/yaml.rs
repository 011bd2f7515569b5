//! The YAML splicer's reader: saphyr-parser events with spans, turned into a
//! [`Node`] tree whose leaves know the exact bytes they occupy, plus the
//! comments sops would see and where each document's `sops:` block goes.
//!
//! saphyr-parser is used because it is maintained, pure Rust, YAML 1.2, and
//! reports start *and* end marks for every event (see docs/yaml-parser.md).
//! Its marks count characters, so they are mapped to bytes here.

use super::scalar::{resolve_plain, Resolved, YamlSlot};
pub(crate) use super::yaml_file::{Doc, SopsBlock, YamlFile};
use crate::error::{Error, Result};
use crate::tree::{to_value, Item, Leaf, Node, Slot};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;
use std::ops::Range;
use zeroize::Zeroizing;

/// How an encrypted plain scalar inside a flow collection starts.
pub(crate) const FLOW_PLAIN_MARK: &str = "\"\\x45NC[";

struct Ev<'a> {
    ev: Event<'a>,
    span: Range<usize>,
}

struct Comment {
    hash: usize,
    eol: usize,
    line: usize,
    col: usize,
}

/// Parses `src` into documents; refuses what go-yaml could read otherwise
/// (see [`super::yaml_guard`]).
pub(crate) fn parse(src: &str) -> Result<YamlFile> {
    super::yaml_guard::check_text(src)?;
    let file = parse_unguarded(src)?;
    super::yaml_guard::check_file(src, &file)?;
    Ok(file)
}

fn parse_unguarded(src: &str) -> Result<YamlFile> {
    let markers = doc_markers(src);
    if let Some(events) = super::yaml_fast::scan(src) {
        if let Some(file) = build(
            src,
            &Positions::new(src, false),
            &markers,
            Events::Fast(events),
        ) {
            return file;
        }
    }
    let mut pos = Positions::new(src, true);
    let (text, moved) = sops_empty_flow_maps(src);
    pos.moved = moved;
    let saphyr = Events::Saphyr(Box::new(Parser::new_from_str(&text)));
    let file = build(src, &pos, &markers, saphyr).expect("saphyr never gives up");
    match file {
        Err(Error::Syntax { ref reason, .. })
            if reason.contains("tabs disallowed") || reason.contains("tab cannot be used") =>
        {
            tabs_as_spaces(src, &text, &pos, &markers).unwrap_or(file)
        }
        file => file,
    }
}

/// saphyr refuses a tab that starts a line inside `{…}`/`[…]`, where
/// go-yaml reads it as white space: such lines are parsed again with their
/// leading tabs as spaces (same length, so every span still holds). The
/// guard then refuses any such tab that was not inside a flow collection,
/// and a changed line inside a block scalar keeps the first error.
fn tabs_as_spaces(
    src: &str,
    text: &str,
    pos: &Positions,
    markers: &[usize],
) -> Option<Result<YamlFile>> {
    let mut b = text.as_bytes().to_vec();
    let mut changed = Vec::new();
    for (start, _, _) in super::dotenv::lines(text) {
        let mut i = start;
        while b.get(i) == Some(&b'\t') || (i > start && b.get(i) == Some(&b' ')) {
            if b[i] == b'\t' {
                b[i] = b' ';
                changed.push(i);
            }
            i += 1;
        }
    }
    let text = String::from_utf8(b).ok()?;
    let saphyr = Events::Saphyr(Box::new(Parser::new_from_str(&text)));
    let file = build(src, pos, markers, saphyr)?.ok()?;
    let in_block = |at: &usize| file.docs.iter().any(|d| block_holds(&d.root, *at));
    (!changed.iter().any(in_block)).then_some(Ok(file))
}

/// Whether a block scalar under `n` holds byte `at`.
fn block_holds(n: &Node, at: usize) -> bool {
    match n {
        Node::Leaf(l) => {
            matches!(l.slot, Slot::Yaml(YamlSlot::Block { .. }))
                && l.header.as_ref().map_or(l.span.start, |h| h.start) <= at
                && at <= l.span.end
        }
        Node::Map(items) | Node::Seq(items) => items.iter().any(|i| block_holds(&i.node, at)),
        Node::Alias(..) => false,
    }
}

/// Where a block scalar written into a plain value's place puts its lines,
/// as yaml.v3 (sops) does: one indentation step past a map key, two
/// columns past a key of a map that starts on a list item's line, and at
/// the value's own column in a list. The builder set `key column + 2`.
fn block_columns(src: &str, node: &mut Node, unit: usize) {
    let (items, step): (&mut Vec<Item>, Option<usize>) = match node {
        Node::Map(items) => {
            let compact = items.first().is_some_and(|i| {
                let ls = src[..i.at].rfind('\n').map_or(0, |n| n + 1);
                src[ls..i.at].contains('-')
            });
            (items, Some(if compact { 2 } else { unit }))
        }
        Node::Seq(items) => (items, None),
        _ => return,
    };
    for item in items.iter_mut() {
        match &mut item.node {
            Node::Leaf(Leaf {
                slot:
                    Slot::Yaml(YamlSlot::Plain {
                        flow: false,
                        indent,
                    }),
                ..
            }) => {
                let base = indent.saturating_sub(2);
                *indent = base + step.unwrap_or(0);
            }
            child => block_columns(src, child, unit),
        }
    }
}

/// Just past the `}` or `]` at or after `from` (saphyr may end a flow
/// collection at its last entry), over white space, commas and comments.
fn closing_bracket(src: &str, from: usize) -> usize {
    let b = src.as_bytes();
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'}' | b']' => return i + 1,
            b'#' => i = src[i..].find('\n').map_or(b.len(), |n| i + n),
            _ => i += 1,
        }
    }
    b.len()
}

/// Whether the text between two comments holds an empty line.
fn has_blank_line(gap: &str) -> bool {
    gap.split('\n')
        .skip(1)
        .collect::<Vec<_>>()
        .split_last()
        .is_some_and(|(_, mid)| mid.iter().any(|l| l.trim().is_empty()))
}

/// The type a `!!int`, `!!float` or `!!bool` tag asks for.
fn typed_tag(t: &saphyr_parser::Tag) -> Option<Resolved> {
    let core = t.handle == "!!" || t.handle == "tag:yaml.org,2002:";
    match t.suffix.as_str() {
        "int" if core => Some(Resolved::Int),
        "float" if core => Some(Resolved::Float),
        "bool" if core => Some(Resolved::Bool),
        _ => None,
    }
}

/// sops writes an empty map with a comment (`r: {}  # c`) as `r: {`, the
/// comment lines, then `}` at column 0, which yaml.v3 reads as `{}` and
/// saphyr refuses (the `}` is less indented than its key). For saphyr's eyes
/// only, the byte after `{` becomes `}` and that lone `}` a space: the same
/// length, so every other span still points into the source; the map's end
/// is moved back to the real `}` (the pairs returned), so the comments fall
/// inside the map, as for sops. A `}` at column 0 cannot be inside a block
/// scalar, whose lines are indented.
fn sops_empty_flow_maps(src: &str) -> (std::borrow::Cow<'_, str>, Vec<(usize, usize)>) {
    let mut fixed: Option<Vec<u8>> = None;
    let mut moved = Vec::new();
    for close in memchr::memmem::find_iter(src.as_bytes(), "\n}") {
        let close = close + 1;
        let eol = src[close..].find('\n').map_or(src.len(), |n| close + n);
        if !src[close + 1..eol].trim().is_empty() {
            continue;
        }
        // Back over comment lines to the line ending in `{`.
        let mut line_end = close - 1;
        let open = loop {
            let start = src[..line_end].rfind('\n').map_or(0, |n| n + 1);
            let line = src[start..line_end].trim_end();
            if line.ends_with(": {") || line.ends_with("- {") || line.ends_with(":{") {
                break Some(start + line.len() - 1);
            }
            if !line.trim_start().starts_with('#') || start == 0 {
                break None;
            }
            line_end = start - 1;
        };
        if let Some(open) = open {
            // The byte after `{` is a space, `\r` or the line break.
            let b = fixed.get_or_insert_with(|| src.as_bytes().to_vec());
            b[open + 1] = b'}';
            b[close] = b' ';
            moved.push((open + 1, close));
        }
    }
    let text = match fixed {
        // Only ASCII bytes were swapped for ASCII bytes.
        Some(b) => std::borrow::Cow::Owned(String::from_utf8(b).expect("still UTF-8")),
        None => std::borrow::Cow::Borrowed(src),
    };
    (text, moved)
}

/// Where the builder's events come from: the fast block scanner when it
/// handles the file, else saphyr-parser.
pub(crate) enum Events<'s> {
    Fast(super::yaml_fast::FastEvents<'s>),
    Saphyr(Box<Parser<'s, saphyr_parser::StrInput<'s>>>),
}

/// Builds the tree; `None` when the fast scanner gave up part-way.
pub(crate) fn build<'s>(
    src: &'s str,
    pos: &Positions,
    markers: &[usize],
    events: Events<'s>,
) -> Option<Result<YamlFile>> {
    let mut b = Builder {
        src,
        pos,
        parser: events,
        peeked: None,
        scan_pos: 0,
        comments: Vec::new(),
        ci: 0,
        anchors: HashMap::new(),
        max_pos: 0,
        min_indent: None,
        gave_up: false,
        root_flow: false,
        flow_close: 0,
        pushed_out: usize::MAX,
        flows: Vec::new(),
    };
    let r = build_docs(&mut b, markers);
    (!b.gave_up).then_some(r)
}

fn build_docs(b: &mut Builder, markers: &[usize]) -> Result<YamlFile> {
    let src = b.src;
    let mut docs = Vec::new();
    while let Some(ev) = b.next_opt()? {
        if let Event::DocumentStart(explicit) = ev.ev {
            // An explicit document begins at its own `---`: it ends at a later
            // marker, even when it holds nothing (`a: 1\n---\n`).
            let own = explicit.then_some(ev.span.start);
            b.min_indent = None;
            b.root_flow = false;
            let root = b.root()?;
            let end = markers
                .iter()
                .copied()
                .find(|&m| m >= b.max_pos && own.is_none_or(|s| m > s))
                .unwrap_or(src.len());
            b.max_pos = b.max_pos.max(end.min(src.len()));
            let insert = if b.root_flow {
                // After the last entry, before the closing brace.
                src[..b.flow_close].trim_end().len()
            } else {
                end
            };
            docs.push(b.finish_doc(root, insert)?);
        }
    }
    // A document with no nested map uses the file's indentation, else sops's 4.
    let unit = docs.iter().map(|d| d.indent).find(|&i| i > 0).unwrap_or(4);
    for d in &mut docs {
        if d.indent == 0 {
            d.indent = unit;
        }
        block_columns(src, &mut d.root, d.indent);
    }
    Ok(YamlFile {
        docs,
        anchors: std::mem::take(&mut b.anchors),
        flows: std::mem::take(&mut b.flows),
    })
}

/// Char-index to byte-offset mapping, and line/column lookups.
pub(crate) struct Positions {
    ascii: bool,
    /// Byte offset of each char, when the text is not ASCII.
    offsets: Option<Vec<usize>>,
    len: usize,
    line_starts: Vec<usize>,
    /// Spans saphyr sees at one byte that are really at another (see
    /// `sops_empty_flow_maps`).
    moved: Vec<(usize, usize)>,
}

impl Positions {
    /// `chars`: build the char-to-byte table (only saphyr's marks need it).
    pub(crate) fn new(src: &str, chars: bool) -> Self {
        let ascii = src.is_ascii();
        let offsets = (chars && !ascii).then(|| src.char_indices().map(|(i, _)| i).collect());
        let mut line_starts = Vec::with_capacity(src.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| i + 1));
        Positions {
            ascii,
            offsets,
            len: src.len(),
            line_starts,
            moved: Vec::new(),
        }
    }

    fn byte(&self, ch: usize) -> usize {
        match &self.offsets {
            Some(o) => o.get(ch).copied().unwrap_or(self.len),
            None => ch.min(self.len),
        }
    }

    fn bytes(&self, span: Span) -> Range<usize> {
        let start = self.byte(span.start.index());
        match self.moved.iter().find(|m| m.0 == start) {
            Some(&(_, real)) => real..real + 1,
            None => start..self.byte(span.end.index()),
        }
    }

    fn line(&self, byte: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= byte) - 1
    }

    fn line_start(&self, byte: usize) -> usize {
        self.line_starts[self.line(byte)]
    }

    fn col(&self, src: &str, byte: usize) -> usize {
        let start = self.line_start(byte);
        if self.ascii {
            byte - start
        } else {
            src[start..byte].chars().count()
        }
    }
}

/// Byte offsets of `---` and `...` lines (never inside a scalar: YAML
/// forbids document markers there).
pub(crate) fn doc_markers(src: &str) -> Vec<usize> {
    let b = src.as_bytes();
    let is_marker = |at: usize| {
        let m = &b[at..];
        (m.starts_with(b"---") || m.starts_with(b"..."))
            && m.get(3).is_none_or(|c| c.is_ascii_whitespace())
    };
    let mut out: Vec<usize> = Vec::new();
    if is_marker(0) {
        out.push(0);
    }
    for pat in [&b"\n---"[..], &b"\n..."[..]] {
        out.extend(
            memchr::memmem::find_iter(b, pat)
                .map(|i| i + 1)
                .filter(|&i| is_marker(i)),
        );
    }
    out.sort_unstable();
    out
}

/// Where a block scalar's content lines are.
struct BlockContent {
    /// First byte of the first content line (its indentation included).
    start: usize,
    /// End of the last non-blank line (before its line break).
    clip_end: usize,
    /// End of the content including trailing blank lines, before the last break.
    keep_end: usize,
    indent: usize,
}

fn block_content(src: &str, pos: &Positions, first_char: usize) -> BlockContent {
    let indent = pos.col(src, first_char);
    // Blank lines may precede the first content line; they are content too.
    let header_line = header_line_start(src, pos, first_char);
    let start = src[header_line..]
        .find('\n')
        .map_or(src.len(), |n| header_line + n + 1);
    let (mut clip_end, mut keep_end, mut at) = (start, start, start);
    while at < src.len() {
        let eol = src[at..].find('\n').map_or(src.len(), |n| at + n);
        let line = &src[at..eol];
        let ind = line.len() - line.trim_start_matches(' ').len();
        // Spaces beyond the indentation are content, even on a line of
        // nothing else (`|\n  x\n   \n` is "x\n \n" to yaml.v3 and PyYAML).
        let blank = line.trim_matches([' ', '\r']).is_empty() && ind <= indent;
        if !blank && ind < indent {
            break;
        }
        // A CRLF line's `\r` stays outside, with its `\n`.
        let end = if line.ends_with('\r') { eol - 1 } else { eol };
        if !blank {
            clip_end = end;
        }
        keep_end = end;
        at = eol + 1;
    }
    BlockContent {
        start,
        clip_end,
        keep_end,
        indent,
    }
}

/// The start of the line holding a block scalar's `|`/`>` header.
fn header_line_start(src: &str, pos: &Positions, first_char: usize) -> usize {
    let mut line = pos.line_start(first_char);
    while line > 0 {
        let prev = pos.line_start(line - 1);
        if !src[prev..line].trim().is_empty() {
            return prev;
        }
        line = prev;
    }
    line
}

/// The indentation a block scalar's indentation indicator counts from, read
/// off its header line: the column of the key (`  a: |2`), or of the last `-`
/// (`- |2`). `None` when the line shows neither.
fn block_parent(src: &str, line_start: usize) -> Option<usize> {
    let line = src[line_start..].split('\n').next().unwrap_or("");
    let (mut col, mut dash) = (0, None);
    let bytes = line.as_bytes();
    loop {
        while bytes.get(col) == Some(&b' ') {
            col += 1;
        }
        if bytes.get(col) == Some(&b'-') && matches!(bytes.get(col + 1), Some(b' ') | None) {
            dash = Some(col);
            col += 1;
            continue;
        }
        break;
    }
    match bytes.get(col)? {
        b'|' | b'>' | b'&' | b'!' | b'?' | b':' | b'#' => dash,
        _ if line[col..].starts_with("---") => Some(0),
        _ => Some(col),
    }
}

/// The `|`/`>` indicator token on a header line.
fn header_indicator(src: &str, line_start: usize) -> Option<Range<usize>> {
    let eol = src[line_start..]
        .find('\n')
        .map_or(src.len(), |n| line_start + n);
    let line = &src[line_start..eol];
    for (j, c) in line.char_indices().rev() {
        if c != '|' && c != '>' {
            continue;
        }
        let rest = &line[j + 1..];
        let tok = rest.len()
            - rest
                .trim_start_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit())
                .len();
        let tail = rest[tok..].trim_start();
        if tail.is_empty() || tail.starts_with('#') || tail == "\r" {
            return Some(line_start + j..line_start + j + 1 + tok);
        }
    }
    None
}

struct Builder<'s, 'p> {
    src: &'s str,
    pos: &'p Positions,
    parser: Events<'s>,
    peeked: Option<Ev<'s>>,
    /// Bytes before this were scanned for comments or are inside scalars.
    scan_pos: usize,
    comments: Vec<Comment>,
    ci: usize,
    anchors: HashMap<usize, Node>,
    /// Furthest byte consumed, to find where a document ends.
    max_pos: usize,
    min_indent: Option<usize>,
    /// The fast scanner met YAML it does not handle.
    gave_up: bool,
    /// The current document's root is a flow mapping.
    root_flow: bool,
    /// Where the last flow collection closed (`}` or `]`).
    flow_close: usize,
    /// The first comment a block collection's foot left to those outside.
    pushed_out: usize,
    /// Outermost flow collections, brackets included.
    flows: Vec<Range<usize>>,
}

/// Context a child node inherits.
#[derive(Clone, Copy)]
struct Ctx {
    flow: bool,
    /// Column a block scalar written here must be indented to.
    block_indent: usize,
}

impl<'s> Builder<'s, '_> {
    /// Pulls the next event, scanning the gap before it for comments.
    fn pull(&mut self) -> Result<Option<Ev<'s>>> {
        let (ev, span) = match &mut self.parser {
            Events::Fast(it) => match it.next() {
                Some(Ok(e)) => e,
                Some(Err(super::yaml_fast::GaveUp)) => {
                    self.gave_up = true;
                    return Err(Error::Unsupported("left to the full YAML parser".into()));
                }
                None => return Ok(None),
            },
            Events::Saphyr(p) => match p.next_event() {
                Some(r) => {
                    let (ev, span) = r.map_err(|e| Error::Syntax {
                        format: "YAML",
                        reason: e.to_string(),
                    })?;
                    (ev, self.pos.bytes(span))
                }
                None => return Ok(None),
            },
        };
        self.scan_comments(span.start);
        let extent_end = match &ev {
            Event::Scalar(v, ScalarStyle::Literal | ScalarStyle::Folded, ..) if !v.is_empty() => {
                block_content(self.src, self.pos, span.start).keep_end
            }
            Event::Scalar(_, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted, ..) => {
                quoted_end(self.src, skip_properties(self.src, span.clone()))
            }
            Event::Scalar(..) | Event::Alias(_) => span.end,
            _ => span.start,
        };
        self.scan_pos = self.scan_pos.max(extent_end);
        Ok(Some(Ev { ev, span }))
    }

    /// Finds `#` comments in `scan_pos..until`.
    fn scan_comments(&mut self, until: usize) {
        let b = self.src.as_bytes();
        let mut i = self.scan_pos;
        while i < until.min(b.len()) {
            if b[i] == b'#' && (i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'\r')) {
                let eol = self.src[i..].find('\n').map_or(self.src.len(), |n| i + n);
                let eol = if eol > i && b[eol - 1] == b'\r' {
                    eol - 1
                } else {
                    eol
                };
                self.comments.push(Comment {
                    hash: i,
                    eol,
                    line: self.pos.line(i),
                    col: self.pos.col(self.src, i),
                });
                i = eol;
            }
            i += 1;
        }
        self.scan_pos = self.scan_pos.max(i.min(until));
    }

    fn next_opt(&mut self) -> Result<Option<Ev<'s>>> {
        match self.peeked.take() {
            Some(e) => Ok(Some(e)),
            None => self.pull(),
        }
    }

    fn next(&mut self) -> Result<Ev<'s>> {
        self.next_opt()?.ok_or_else(|| Error::Syntax {
            format: "YAML",
            reason: "unexpected end of input".into(),
        })
    }

    fn peek(&mut self) -> Result<&Ev<'s>> {
        if self.peeked.is_none() {
            self.peeked = self.pull()?;
        }
        self.peeked.as_ref().ok_or_else(|| Error::Syntax {
            format: "YAML",
            reason: "unexpected end of input".into(),
        })
    }

    fn root(&mut self) -> Result<Node> {
        let src = self.src;
        let e = self.peek()?;
        match &e.ev {
            Event::MappingStart(..) => {
                let flow = src.as_bytes().get(e.span.start) == Some(&b'{');
                self.root_flow = flow;
                self.node(Ctx {
                    flow: false,
                    block_indent: 2,
                })
            }
            Event::Scalar(v, ScalarStyle::Plain, ..) if resolve_plain(v) == Resolved::Null => {
                self.next()?;
                Ok(Node::Map(Vec::new()))
            }
            Event::SequenceStart(..) => Err(Error::Unsupported(
                "YAML documents that are sequences are not supported".into(),
            )),
            _ => Err(Error::Unsupported(
                "YAML documents that are values are not supported".into(),
            )),
        }
    }

    fn finish_doc(&mut self, root: Node, end: usize) -> Result<Doc> {
        let Node::Map(mut items) = root else {
            unreachable!("root is a map")
        };
        // Root comments not yet placed (after the last key).
        self.flush(&mut items, end, None, &mut None);
        let mut sops = None;
        if let Some(idx) = items.iter().position(|i| i.key.as_deref() == Some("sops")) {
            let item = items.remove(idx);
            let range = if self.root_flow {
                flow_entry_range(self.src, item.at, idx == 0)
            } else {
                self.sops_range(&item)?
            };
            items.retain(|i| !matches!(&i.node, Node::Leaf(l) if l.is_comment() && range.contains(&l.span.start)));
            let fields = match &item.node {
                Node::Map(m) if !self.root_flow => m
                    .iter()
                    .filter_map(|i| match (&i.key, &i.node) {
                        (Some(k), Node::Leaf(l)) if !l.is_comment() => Some((k.clone(), l.clone())),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            sops = Some(SopsBlock {
                value: to_value(&item.node, &self.anchors),
                range,
                fields,
            });
        }
        while !matches!(self.peek()?.ev, Event::DocumentEnd) {
            self.next()?;
        }
        self.next()?;
        Ok(Doc {
            root: Node::Map(items),
            sops,
            end,
            indent: self.min_indent.unwrap_or(0),
            flow: self.root_flow,
        })
    }

    fn node(&mut self, ctx: Ctx) -> Result<Node> {
        let e = self.next()?;
        let span = e.span.clone();
        match e.ev {
            Event::Scalar(v, style, anchor, tag) => {
                let v = v.into_owned();
                let int_tag = tag.as_deref().and_then(typed_tag) == Some(Resolved::Int);
                if (style == ScalarStyle::Plain && tag.is_none() || int_tag)
                    && super::scalar::is_go_uint64(&v)
                {
                    return Err(Error::TreeWalk {
                        reason: format!(
                            "line {}: an integer beyond int64, which sops cannot store",
                            self.pos.line(span.start) + 1
                        ),
                        decrypting: false,
                    });
                }
                // yaml.v3 reads a scalar under a local tag (`!custom x`) as
                // the string it spells, as under `!!str`.
                let str_tag = tag.as_ref().is_some_and(|t| {
                    t.suffix == "str" || t.suffix.ends_with(":str") || t.handle == "!"
                });
                let typed = tag.as_deref().and_then(typed_tag);
                if let Some(want) = typed {
                    let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                    if anchor > 0 || block || resolve_plain(&v) != want {
                        return Err(Error::Unsupported(format!(
                            "line {}: the tag `!!{}` on a value go-yaml converts where hush does not",
                            self.pos.line(span.start) + 1,
                            tag.as_ref().map_or("", |t| t.suffix.as_str())
                        )));
                    }
                }
                let tag_at = span.start;
                let mut leaf =
                    self.scalar(v, style, tag.is_some() || anchor > 0, str_tag, span, ctx)?;
                if let Some(want) = typed {
                    // `!!int "12"` is the int 12: encrypted, the tag goes too.
                    leaf.resolved = Some(want);
                    leaf.span.start = tag_at;
                }
                let node = Node::Leaf(leaf);
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                Ok(node)
            }
            Event::Alias(id) => {
                self.max_pos = self.max_pos.max(span.end);
                // An anchor is stored once its node is complete: an alias
                // to one still open is inside it (`&x [*x]`).
                if !self.anchors.contains_key(&id) {
                    return Err(Error::Syntax {
                        format: "YAML",
                        reason: format!(
                            "line {}: anchor '{}' value contains itself",
                            self.pos.line(span.start) + 1,
                            self.src[span.clone()].trim_start_matches('*').trim_end()
                        ),
                    });
                }
                Ok(Node::Alias(id, span))
            }
            ref ev @ (Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _)) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                // Past an anchor or tag (`!e [1, 2]`) to the collection itself.
                let first = skip_properties(self.src, span.start..self.src.len());
                let flow = ctx.flow || matches!(self.src.as_bytes().get(first), Some(b'{' | b'['));
                let col = self.pos.col(self.src, first);
                // The indentation step: a nested map's column, unless the
                // map starts on a list item's line (`- a: 1`).
                let line = self.src[..first].rfind('\n').map_or(0, |n| n + 1);
                let on_dash = self.src[line..first].contains('-');
                if !flow && col > 0 && self.min_indent.is_none() && is_map && !on_dash {
                    self.min_indent = Some(col);
                }
                let node = self.collection(is_map, flow, col)?;
                if flow && !ctx.flow {
                    self.flows
                        .push(first..closing_bracket(self.src, self.flow_close));
                }
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                Ok(node)
            }
            other => Err(Error::Syntax {
                format: "YAML",
                reason: format!("unexpected event {other:?}"),
            }),
        }
    }

    fn collection(&mut self, is_map: bool, flow: bool, col: usize) -> Result<Node> {
        let mut items: Vec<Item> = Vec::new();
        // (index, line) of the last scalar item, for inline comments.
        let mut last_scalar: Option<(usize, usize)> = None;
        loop {
            let e = self.peek()?;
            if matches!(e.ev, Event::MappingEnd | Event::SequenceEnd) {
                let end = e.span.start;
                if flow {
                    self.flow_close = end;
                }
                let mut until = end;
                if flow && items.is_empty() {
                    // sops keeps the comment after `{}`/`[]` inside it.
                    let eol = self.src[end..]
                        .find('\n')
                        .map_or(self.src.len(), |n| end + n);
                    self.scan_comments(eol);
                    until = eol;
                }
                if flow {
                    self.flush(&mut items, until, None, &mut last_scalar);
                } else {
                    self.flush_foot(&mut items, until, col, &mut last_scalar);
                }
                self.next()?;
                break;
            }
            let start = e.span.start;
            self.flush(&mut items, start, None, &mut last_scalar);
            let key_col = self.pos.col(self.src, start);
            let key = if is_map { Some(self.key()?) } else { None };
            if is_map {
                // A comment on the key's own line belongs before the item.
                let v_start = self.peek()?.span.start;
                let key_line = self.pos.line(start);
                let mut none = None;
                self.flush_where(&mut items, v_start, |c| c.line == key_line, &mut none);
            }
            let ctx = Ctx {
                flow,
                block_indent: key_col + 2,
            };
            let node = self.node(ctx)?;
            if flow && !is_map {
                self.check_flow_pair(&node)?;
            }
            if let Node::Leaf(_) | Node::Alias(..) = node {
                last_scalar = Some((items.len(), self.pos.line(self.max_pos.saturating_sub(1))));
            } else {
                last_scalar = None;
            }
            items.push(Item {
                key,
                at: start,
                node,
            });
        }
        Ok(if is_map {
            Node::Map(items)
        } else {
            Node::Seq(items)
        })
    }

    fn key(&mut self) -> Result<String> {
        let e = self.next()?;
        self.max_pos = self.max_pos.max(e.span.end);
        match e.ev {
            // yaml.v3 reads an alias to a key as the key's text, a value no
            // MAC covers when it sits in a plaintext part: refuse the anchor.
            Event::Scalar(_, _, anchor, _) if anchor > 0 => Err(Error::KeyAnchor {
                line: self.pos.line(e.span.start) + 1,
                decrypting: false,
            }),
            Event::Scalar(_, _, _, Some(ref t)) if typed_tag(t).is_some() => Err(Error::TreeWalk {
                reason: format!(
                    "line {}: non-string key; sops only supports string keys",
                    self.pos.line(e.span.start) + 1
                ),
                decrypting: false,
            }),
            Event::Scalar(ref v, ScalarStyle::Plain, _, None)
                if resolve_plain(v) != Resolved::Str =>
            {
                Err(Error::TreeWalk {
                    reason: format!(
                        "line {}: non-string key; sops only supports string keys",
                        self.pos.line(e.span.start) + 1
                    ),
                    decrypting: false,
                })
            }
            Event::Scalar(v, ..) => Ok(v.into_owned()),
            _ => Err(Error::Unsupported(format!(
                "line {}: complex (non-scalar) keys are not supported",
                self.pos.line(e.span.start) + 1
            ))),
        }
    }

    /// `[x:]`: a plain scalar ending in `:` right before `,`, `]` or `}` is
    /// the string "x:" to go-yaml, a one-pair map to YAML 1.2 (and PyYAML).
    fn check_flow_pair(&self, node: &Node) -> Result<()> {
        let Node::Map(m) = node else { return Ok(()) };
        let b = self.src.as_bytes();
        for i in m {
            let Some(k) = &i.key else { continue };
            let end = i.at + k.len();
            if self.src[i.at..].starts_with(k.as_str())
                && b.get(end) == Some(&b':')
                && matches!(b.get(end + 1), Some(b',' | b']' | b'}'))
            {
                return Err(Error::Unsupported(format!(
                    "line {}: `{k}:` inside `[]` is a string to go-yaml and a map to YAML 1.2 readers; quote it",
                    self.pos.line(i.at) + 1
                )));
            }
        }
        Ok(())
    }

    /// Moves comments before `until` into `items`; with `min_col`, only
    /// those indented at least that far (a block collection's own).
    fn flush(
        &mut self,
        items: &mut Vec<Item>,
        until: usize,
        min_col: Option<usize>,
        last: &mut Option<(usize, usize)>,
    ) {
        self.flush_where(items, until, |c| min_col.is_none_or(|m| c.col >= m), last)
    }

    /// A block collection's own comments at its end (indented at least to
    /// `col`), placed as go-yaml places them (checked against sops 3.11): a
    /// comment group right after the last entry, at the keys' column, is its
    /// foot, and groups after a blank line then belong further out; else
    /// every group is the collection's.
    fn flush_foot(
        &mut self,
        items: &mut Vec<Item>,
        until: usize,
        col: usize,
        last: &mut Option<(usize, usize)>,
    ) {
        let mut prev = self.max_pos.min(until);
        let mut cut = until;
        for (n, c) in self.comments[self.ci..].iter().enumerate() {
            if c.hash >= until || c.col < col {
                break;
            }
            // Comments an inner collection's foot left go out further still.
            if n == 0 && c.hash == self.pushed_out {
                cut = c.hash;
                break;
            }
            let blank = has_blank_line(&self.src[prev.min(c.hash)..c.hash]);
            // A group after a blank line, or deeper than the keys, is no foot.
            if n == 0 && (blank || c.col > col) {
                break;
            }
            if blank {
                cut = c.hash;
                self.pushed_out = cut;
                break;
            }
            prev = c.eol;
        }
        self.flush(items, cut, Some(col), last)
    }

    fn flush_where(
        &mut self,
        items: &mut Vec<Item>,
        until: usize,
        keep: impl Fn(&Comment) -> bool,
        last: &mut Option<(usize, usize)>,
    ) {
        while self.ci < self.comments.len()
            && self.comments[self.ci].hash < until
            && keep(&self.comments[self.ci])
        {
            let c = &self.comments[self.ci];
            let leaf = Leaf {
                span: c.hash + 1..c.eol,
                text: Zeroizing::new(self.src[c.hash + 1..c.eol].to_string()),
                resolved: None,
                slot: Slot::Comment,
                header: None,
            };
            self.max_pos = self.max_pos.max(c.eol);
            let item = Item {
                key: None,
                at: c.hash,
                node: Node::Leaf(leaf),
            };
            match *last {
                // An inline comment after a scalar goes before it, as in sops.
                Some((idx, line)) if line == c.line => {
                    items.insert(idx, item);
                    *last = Some((idx + 1, line));
                }
                _ => items.push(item),
            }
            self.ci += 1;
        }
    }

    fn scalar(
        &mut self,
        v: String,
        style: ScalarStyle,
        props: bool,
        str_tag: bool,
        span: Range<usize>,
        ctx: Ctx,
    ) -> Result<Leaf> {
        let src = self.src;
        match style {
            ScalarStyle::Literal | ScalarStyle::Folded if !v.is_empty() => {
                let first = if props {
                    let text = !v.trim().is_empty();
                    let ind = skip_properties(src, span.clone());
                    text.then(|| block_first_char(src, self.pos, ind))
                        .flatten()
                        .ok_or_else(|| {
                            Error::Unsupported(format!(
                                "line {}: a block scalar with an anchor or tag and no text",
                                self.pos.line(span.start) + 1
                            ))
                        })?
                } else {
                    span.start
                };
                let bc = block_content(src, self.pos, first);
                let header = header_indicator(src, header_line_start(src, self.pos, first));
                let keep = header
                    .as_ref()
                    .is_some_and(|h| src[h.clone()].contains('+'));
                let end = if keep { bc.keep_end } else { bc.clip_end };
                self.max_pos = self.max_pos.max(bc.keep_end);
                // The last line ends the file with no line break: yaml.v3 and
                // PyYAML read no final `\n` (`a: |\n  x` is "x").
                let mut v = v;
                if bc.clip_end == src.len() && v.ends_with('\n') {
                    v.pop();
                } else if keep
                    && bc.keep_end == src.len()
                    && !src.ends_with('\n')
                    && v.ends_with("\n\n")
                {
                    // A last spaces-only line with no line break adds none.
                    v.pop();
                }
                // Clip keeps one final line break, as yaml.v3, whatever the
                // blank lines after (saphyr counts a spaces-only one at EOF).
                let clip = header
                    .as_ref()
                    .is_some_and(|h| !src[h.clone()].contains(['+', '-']));
                if clip && v.ends_with("\n\n") {
                    v.truncate(v.trim_end_matches('\n').len() + 1);
                }
                let slot = YamlSlot::Block {
                    folded: style == ScalarStyle::Folded,
                    indent: bc.indent,
                    parent: block_parent(src, header_line_start(src, self.pos, first)),
                };
                Ok(Leaf {
                    span: bc.start..end,
                    text: Zeroizing::new(v),
                    resolved: Some(Resolved::Str),
                    slot: Slot::Yaml(slot),
                    header,
                })
            }
            _ => {
                self.max_pos = self.max_pos.max(span.end);
                let start = if props {
                    skip_properties(src, span.clone())
                } else {
                    span.start
                };
                // The parser's end mark for a quoted scalar can run past a trailing comment.
                let span = match style {
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                        span.start..quoted_end(src, start)
                    }
                    _ => span,
                };
                let (resolved, slot) = match style {
                    ScalarStyle::Plain if str_tag => (
                        Resolved::Str,
                        YamlSlot::Plain {
                            flow: ctx.flow,
                            indent: ctx.block_indent,
                        },
                    ),
                    ScalarStyle::Plain => (
                        resolve_plain(&v),
                        YamlSlot::Plain {
                            flow: ctx.flow,
                            indent: ctx.block_indent,
                        },
                    ),
                    ScalarStyle::SingleQuoted => (Resolved::Str, YamlSlot::Single),
                    // hush writes an encrypted plain scalar inside `[]`/`{}` as
                    // "\x45NC[…]": quoted (flow forbids `[],`) yet marked as plain.
                    ScalarStyle::DoubleQuoted if src[start..].starts_with(FLOW_PLAIN_MARK) => (
                        Resolved::Str,
                        YamlSlot::Plain {
                            flow: true,
                            indent: ctx.block_indent,
                        },
                    ),
                    ScalarStyle::DoubleQuoted => (Resolved::Str, YamlSlot::Double),
                    _ => (
                        Resolved::Str,
                        YamlSlot::Plain {
                            flow: ctx.flow,
                            indent: ctx.block_indent,
                        },
                    ),
                };
                Ok(Leaf {
                    span: start..span.end.max(start),
                    text: Zeroizing::new(v),
                    resolved: Some(resolved),
                    slot: Slot::Yaml(slot),
                    header: None,
                })
            }
        }
    }

    /// The removal range of the `sops` entry: whole lines, from its key to
    /// the end of its value; at end of file, the line break before it too.
    fn sops_range(&self, item: &Item) -> Result<Range<usize>> {
        if self.pos.col(self.src, item.at) != 0
            && !self.src[self.pos.line_start(item.at)..item.at]
                .trim()
                .is_empty()
        {
            return Err(Error::corrupt("the sops key must start its own line"));
        }
        let key_pos = item.at;
        let start = self.pos.line_start(key_pos);
        let key_col = key_pos - start;
        let mut end = src_line_end(self.src, start);
        let mut at = end;
        while at < self.src.len() {
            let eol = src_line_end(self.src, at);
            let line = &self.src[at..eol];
            let blank = line.trim().is_empty();
            let ind = line.len() - line.trim_start().len();
            if !blank && ind <= key_col {
                break;
            }
            if !blank {
                end = eol;
            }
            at = eol;
        }
        let start = if end == self.src.len() && !self.src.ends_with('\n') && start > 0 {
            start - 1
        } else {
            start
        };
        Ok(start..end)
    }
}

/// The bytes of a flow mapping's entry starting at `key` (its key, `:` and
/// value), with the comma that separates it from its neighbour: the one
/// before it, or after it when it is the `first` entry.
fn flow_entry_range(src: &str, key: usize, first: bool) -> Range<usize> {
    let b = src.as_bytes();
    let (mut depth, mut i, mut quote) = (0usize, key, None::<u8>);
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(b'"') if c == b'\\' => i += 1,
            Some(b'\'') if c == b'\'' && b.get(i + 1) == Some(&b'\'') => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => break,
                b'}' | b']' => depth -= 1,
                b',' if depth == 0 => break,
                _ => {}
            },
        }
        i += 1;
    }
    let end = src[..i].trim_end().len();
    if first {
        let after = src[i..]
            .find(|c: char| !c.is_whitespace())
            .map_or(i, |n| i + n);
        let after = if b.get(after) == Some(&b',') {
            after + 1
        } else {
            end
        };
        key..after
    } else {
        let before = src[..key].trim_end().len();
        let start = if before > 0 && b[before - 1] == b',' {
            before - 1
        } else {
            key
        };
        start..end
    }
}

fn src_line_end(src: &str, at: usize) -> usize {
    src[at..].find('\n').map_or(src.len(), |n| at + n + 1)
}

/// The byte after the closing quote of the quoted scalar starting at `start`.
fn quoted_end(src: &str, start: usize) -> usize {
    let b = src.as_bytes();
    let q = b[start];
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if q == b'"' => i += 2,
            c if c == q && q == b'\'' && b.get(i + 1) == Some(&b'\'') => i += 2,
            c if c == q => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Skips `&anchor` and `!tag` properties at the start of a scalar's span.
/// Where a block scalar's content starts, given its `|`/`>` indicator: on the
/// first non-blank line after the header, at the content's indentation (the
/// parser's span of a block scalar with an anchor or tag starts at the
/// property instead).
fn block_first_char(src: &str, pos: &Positions, indicator: usize) -> Option<usize> {
    let header_eol = indicator + src[indicator..].find('\n')?;
    let digit = src[indicator + 1..header_eol]
        .bytes()
        .take_while(|b| matches!(b, b'-' | b'+' | b'0'..=b'9'))
        .find(u8::is_ascii_digit)
        .map(|d| usize::from(d - b'0'));
    let mut at = header_eol + 1;
    while at < src.len() {
        let eol = src[at..].find('\n').map_or(src.len(), |n| at + n);
        let line = &src[at..eol];
        let text = line.trim_start_matches(' ');
        if !text.trim_end_matches('\r').is_empty() {
            let indent = match digit {
                Some(d) => block_parent(src, pos.line_start(indicator))? + d,
                None => line.len() - text.len(),
            };
            return (indent <= line.len() - text.len()).then_some(at + indent);
        }
        at = eol + 1;
    }
    None
}

fn skip_properties(src: &str, span: Range<usize>) -> usize {
    let b = src.as_bytes();
    let mut i = span.start;
    while i < span.end && matches!(b[i], b'&' | b'!') {
        while i < span.end && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        while i < span.end && b[i].is_ascii_whitespace() {
            i += 1;
        }
    }
    i
}

/// Parses with both readers: (fast scanner's tree if it answered, saphyr's).
#[cfg(test)]
pub(crate) fn parse_both(src: &str) -> (Option<Result<YamlFile>>, Result<YamlFile>) {
    let pos = Positions::new(src, true);
    let markers = doc_markers(src);
    let fast =
        super::yaml_fast::scan(src).and_then(|evs| build(src, &pos, &markers, Events::Fast(evs)));
    let slow = build(
        src,
        &pos,
        &markers,
        Events::Saphyr(Box::new(Parser::new_from_str(src))),
    )
    .expect("saphyr");
    (fast, slow)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The fast scanner, where it answers, builds exactly saphyr's tree.
    pub(crate) fn assert_readers_agree(src: &str) -> bool {
        let (fast, slow) = parse_both(src);
        let Some(fast) = fast else { return false };
        let (f, s) = (
            fast.map(|f| dump_file(&f)).map_err(|e| e.to_string()),
            slow.map(|f| dump_file(&f)).map_err(|e| e.to_string()),
        );
        assert_eq!(f, s, "readers disagree on:\n{src}");
        true
    }

    /// Everything the readers build, texts included (`Debug` hides them).
    fn dump_file(f: &YamlFile) -> String {
        use crate::tree::{dump, dump_leaf, dump_value};
        let mut anchors: Vec<_> = f.anchors.iter().collect();
        anchors.sort_by_key(|(id, _)| **id);
        let mut out: Vec<String> = anchors
            .iter()
            .map(|(id, n)| format!("&{id} {}", dump(n)))
            .collect();
        for d in &f.docs {
            out.push(format!(
                "doc end={} indent={} {}",
                d.end,
                d.indent,
                dump(&d.root)
            ));
            if let Some(s) = &d.sops {
                let fields: Vec<String> = s
                    .fields
                    .iter()
                    .map(|(k, l)| format!("{k}={}", dump_leaf(l)))
                    .collect();
                out.push(format!(
                    "sops {:?} {} {}",
                    s.range,
                    dump_value(&s.value),
                    fields.join(",")
                ));
            }
        }
        out.join("\n")
    }

    #[test]
    fn the_fast_reader_handles_secrets_files_and_agrees_with_saphyr() {
        let docs = [
            "a: 1\nb:\n  c: x # hi\n  d:\n  - p\n  - q: r\n    s: t\n# end\nl:\n  - 1\ne: |\n  lit\n\nf: \"\"\ng:\n---\nz: 2\n",
            "# top\napiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  k: 'it''s'\n  p: \"a\\tb\\u00e9\"\n  n: -5\n",
            "a: |-\n  one\n\n  two\nb: |+\n  keep\n\n",
            "k: v\nl: |\n  no final newline",
            "sops:\n    age:\n        - recipient: age1x\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            abc\n            -----END AGE ENCRYPTED FILE-----\n    version: 3.11.0\n",
            "---\na: 1\n---\nb: 2\n",
            "list:\n- a\n- b\nafter: c\n",
        ];
        for d in docs {
            assert!(assert_readers_agree(d), "fast reader gave up on:\n{d}");
        }
        // And gives up on what it does not handle.
        for d in [
            "a: [1, 2]\n",
            "a: &x 1\nb: *x\n",
            "a: >\n  f\n",
            "a: b\n  c\n",
            "- a\n",
        ] {
            assert!(parse_both(d).0.is_none(), "should give up on:\n{d}");
        }
    }

    fn leaves(src: &str) -> Vec<String> {
        let f = parse(src).unwrap();
        let mut out = Vec::new();
        fn rec(n: &Node, src: &str, out: &mut Vec<String>) {
            match n {
                Node::Leaf(l) => out.push(src[l.span.clone()].to_string()),
                Node::Map(i) | Node::Seq(i) => i.iter().for_each(|i| rec(&i.node, src, out)),
                Node::Alias(..) => {}
            }
        }
        for d in &f.docs {
            rec(&d.root, src, &mut out);
        }
        out
    }

    #[test]
    fn spans_cover_exactly_the_scalar_and_comment_bytes() {
        assert_eq!(
            leaves("a: 'a'  # c\nb: \"x\" # d\nc: plain # e\n"),
            vec![" c", "'a'", " d", "\"x\"", " e", "plain"]
        );
        assert_eq!(leaves("k: välue # ü\n"), vec![" ü", "välue"]);
        assert_eq!(
            leaves("k: |\n  one\n  two\n\nz: 1\n"),
            vec!["  one\n  two", "1"]
        );
    }
}
