//! Refuses YAML that go-yaml could read differently from hush.
//!
//! sops, kubectl, kustomize, Helm and Flux all read YAML with go-yaml
//! (yaml.v3). hush reads it with its own scanner and saphyr-parser, which
//! follow YAML 1.2 and differ from go-yaml at the edges: line breaks
//! (U+0085, U+2028, U+2029 and a lone CR end a line for go-yaml only),
//! control characters, tabs in indentation, directives, content after a
//! `...` marker, duplicate keys and `<<` merge keys. A comment is outside
//! the MAC, so a line break only go-yaml sees lets anyone with write access
//! hide keys in it; and a file hush encrypts must mean the same to sops.
//!
//! Rather than imitate go-yaml at every edge, hush refuses any file that
//! holds one of these constructs, with a one-line reason (the go-yaml
//! wording where there is one). Both readers call this module: the text is
//! checked before it is parsed, the tree after.

use super::scalar::YamlSlot;
use super::yaml_file::YamlFile;
use crate::error::{Error, Result};
use crate::tree::{Node, Slot, Value};
use std::collections::HashMap;
use std::ops::Range;

/// Checks the characters of `src`: go-yaml refuses control characters,
/// and treats NEL, LS, PS and a lone CR as line breaks.
pub(crate) fn check_text(src: &str) -> Result<()> {
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let bad = match c {
            b'\t' | b'\n' | b' '..=b'~' => None,
            b'\r' if b.get(i + 1) == Some(&b'\n') => None,
            b'\r' => Some("a carriage return without a line feed (a line break to go-yaml)"),
            0..=0x1f | 0x7f => Some("control characters are not allowed"),
            0xc2 if b[i + 1] == 0x85 => Some("U+0085 (NEL) is a line break to go-yaml"),
            0xc2 if b[i + 1] < 0xa0 => Some("control characters are not allowed"),
            0xe2 if b[i + 1] == 0x80 && matches!(b[i + 2], 0xa8 | 0xa9) => {
                Some("U+2028 and U+2029 are line breaks to go-yaml")
            }
            0xef if b[i + 1] == 0xbb && b[i + 2] == 0xbf && i > 0 => {
                Some("a byte order mark is only allowed at the start of the file")
            }
            0xef if b[i + 1] == 0xbf && matches!(b[i + 2], 0xbe | 0xbf) => {
                Some("control characters are not allowed")
            }
            _ => None,
        };
        if let Some(why) = bad {
            return Err(refuse(src, i, why));
        }
        i += 1;
    }
    Ok(())
}

/// Checks the parsed tree and the layout around it: tabs where go-yaml
/// wants indentation, directives, content after `...`, duplicate keys and
/// merge keys.
pub(crate) fn check_file(src: &str, file: &YamlFile) -> Result<()> {
    let spans = ScalarSpans::of(src, file);
    check_lines(src, &spans)?;
    check_tags(src, &spans)?;
    check_anchor_names(src, &spans)?;
    for doc in &file.docs {
        let mut keys: Vec<(&str, usize)> = map_keys(&doc.root);
        if let Some(s) = &doc.sops {
            let at = src[s.range.start..]
                .find("sops")
                .map_or(0, |n| n + s.range.start);
            keys.push(("sops", at));
            keys.sort_by_key(|k| k.1);
        }
        unique(src, &keys)?;
        check_node(src, &doc.root)?;
        if let Some(s) = &doc.sops {
            let fields: Vec<(&str, usize)> = s
                .fields
                .iter()
                .map(|(k, l)| (k.as_str(), l.span.start))
                .collect();
            unique(src, &fields)?;
            unique_value(&s.value)?;
        }
    }
    Ok(())
}

/// Where scalars lie, so that line-level checks skip their content.
struct ScalarSpans {
    /// Quoted scalars, quotes included.
    quoted: Vec<Range<usize>>,
    /// Block scalars' content lines, with the content's indentation.
    blocks: Vec<(Range<usize>, usize)>,
    /// Every scalar and comment (from its `#`), sorted.
    all: Vec<Range<usize>>,
    /// The outermost flow collections, sorted.
    flows: Vec<Range<usize>>,
    /// Plain scalars in flow collections and plain keys, sorted.
    plain: Vec<Range<usize>>,
}

impl ScalarSpans {
    fn of(src: &str, file: &YamlFile) -> Self {
        let mut s = ScalarSpans {
            quoted: Vec::new(),
            blocks: Vec::new(),
            all: Vec::new(),
            flows: file.flows.clone(),
            plain: Vec::new(),
        };
        s.flows.sort_by_key(|r| r.start);
        for doc in &file.docs {
            s.collect(src, &doc.root);
            for (_, leaf) in doc.sops.iter().flat_map(|b| &b.fields) {
                s.leaf(src, &leaf.span, leaf.slot);
            }
        }
        s.quoted.sort_by_key(|r| r.start);
        s.blocks.sort_by_key(|r| r.0.start);
        s.all.sort_by_key(|r| r.start);
        s.plain.sort_by_key(|r| r.start);
        s
    }

    fn collect(&mut self, src: &str, node: &Node) {
        match node {
            Node::Map(items) | Node::Seq(items) => {
                for i in items {
                    if let Some(k) = &i.key {
                        let span = key_span(src, i.at, k);
                        if !src[span.start..].starts_with(['"', '\'']) {
                            self.plain.push(span.clone());
                        }
                        self.all.push(span);
                    }
                    self.collect(src, &i.node);
                }
            }
            Node::Leaf(l) => self.leaf(src, &l.span, l.slot),
            Node::Alias(..) => {}
        }
    }

    fn leaf(&mut self, src: &str, span: &Range<usize>, slot: Slot) {
        let from_hash = span.start - usize::from(slot == Slot::Comment);
        self.all.push(from_hash..span.end);
        match slot {
            Slot::Yaml(YamlSlot::Block { indent, .. }) => {
                self.blocks.push((span.clone(), indent));
            }
            // Quoted, or plain inside `[]`/`{}` (go-yaml allows tabs there).
            Slot::Yaml(YamlSlot::Plain { flow: true, .. }) => {
                self.plain.push(span.clone());
                self.quoted.push(span.clone())
            }
            Slot::Yaml(_) if src[span.start..].starts_with(['"', '\'']) => {
                self.quoted.push(span.clone())
            }
            _ => {}
        }
    }

    /// Whether byte `at` is inside a quoted scalar (after its opening quote).
    fn in_quoted(&self, at: usize) -> bool {
        let i = self.quoted.partition_point(|r| r.start < at);
        i > 0 && at < self.quoted[i - 1].end
    }

    /// Whether byte `at` is inside a scalar or a comment.
    fn in_any(&self, at: usize) -> bool {
        let i = self.all.partition_point(|r| r.start <= at);
        i > 0 && at < self.all[i - 1].end
    }

    /// The flow collection holding byte `at` (past its bracket): its start.
    fn in_flow(&self, at: usize) -> Option<usize> {
        let i = self.flows.partition_point(|r| r.start < at);
        (i > 0 && at < self.flows[i - 1].end).then(|| self.flows[i - 1].start)
    }

    /// Whether a plain scalar holds byte `at` or ends right there.
    fn in_plain(&self, at: usize) -> bool {
        let i = self.plain.partition_point(|r| r.start < at);
        i > 0 && at <= self.plain[i - 1].end
    }

    /// The block scalar whose content holds byte `at`: its indentation.
    fn block_indent(&self, at: usize) -> Option<usize> {
        let i = self.blocks.partition_point(|r| r.0.start <= at);
        (i > 0 && at < self.blocks[i - 1].0.end).then(|| self.blocks[i - 1].1)
    }
}

/// The bytes of a map key that starts at `at` (empty when it starts with
/// properties, which are then checked as written).
fn key_span(src: &str, at: usize, key: &str) -> Range<usize> {
    let b = src.as_bytes();
    match b.get(at) {
        Some(&q @ (b'"' | b'\'')) => {
            let mut i = at + 1;
            while i < b.len() && b[i] != q {
                i += if b[i] == b'\\' && q == b'"' { 2 } else { 1 };
            }
            // `''` inside single quotes is a quote, not the end.
            if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                return at..key_span(src, i + 1, key).end;
            }
            at..(i + 1).min(b.len())
        }
        _ if src[at..].starts_with(key) => at..at + key.len(),
        _ => at..at,
    }
}

/// Line by line: a tab in indentation, a directive, or content right after
/// a `...` marker, wherever it is not the content of a scalar.
fn check_lines(src: &str, spans: &ScalarSpans) -> Result<()> {
    let mut at = 0;
    let mut after_end_marker = false;
    while at < src.len() {
        let eol = src[at..].find('\n').map_or(src.len(), |n| at + n);
        let line = src[at..eol].trim_end_matches('\r');
        at = check_line(src, at, line, spans, &mut after_end_marker).map(|()| eol + 1)?;
    }
    Ok(())
}

fn check_line(
    src: &str,
    start: usize,
    line: &str,
    spans: &ScalarSpans,
    after_end_marker: &mut bool,
) -> Result<()> {
    // Inside `{…}`/`[…]` a tab is white space to go-yaml, not indentation,
    // except where a plain scalar on the line before could go on.
    if let Some(open) = spans.in_flow(start) {
        return flow_tab(src, start, line, open, spans);
    }
    if spans.in_quoted(start) {
        return Ok(());
    }
    let lead = line.len() - line.trim_start_matches([' ', '\t']).len();
    if let Some(tab) = line[..indicators_end(line)].find('\t') {
        let ok = spans
            .block_indent(start)
            .is_some_and(|indent| line[..tab].chars().count() >= indent);
        if !ok {
            return Err(refuse(
                src,
                start + tab,
                "a tab character where go-yaml expects indentation",
            ));
        }
    }
    if spans.block_indent(start).is_some() {
        return Ok(());
    }
    let body = &line[lead..];
    if *after_end_marker && !body.is_empty() && !body.starts_with('#') {
        if !(is_marker(line, "---") || is_marker(line, "...") || line.starts_with('%')) {
            return Err(refuse(
                src,
                start,
                "did not find expected <document start> (content after `...` needs `---`)",
            ));
        }
        *after_end_marker = false;
    }
    if is_marker(line, "...") {
        *after_end_marker = true;
    } else if is_marker(line, "---") {
        *after_end_marker = false;
    }
    if line.starts_with('%') && !is_yaml_1_1(line) {
        return Err(refuse(
            src,
            start,
            "directives other than `%YAML 1.1` are read differently by go-yaml",
        ));
    }
    Ok(())
}

/// go-yaml reads the line after a plain scalar as its continuation, and
/// refuses a tab there left of the block indentation (+1) around the flow
/// collection: "found a tab character that violates indentation".
fn flow_tab(src: &str, start: usize, line: &str, open: usize, spans: &ScalarSpans) -> Result<()> {
    let lead = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
    let Some(tab) = lead.find('\t') else {
        return Ok(());
    };
    let open_line = src[..open].rfind('\n').map_or(0, |n| n + 1);
    let indent = src[open_line..].len() - src[open_line..].trim_start_matches(' ').len();
    let before = src[..start].trim_end_matches(['\n', '\r', ' ', '\t']);
    if tab <= indent && spans.in_plain(before.len()) {
        return Err(refuse(
            src,
            start + tab,
            "found a tab character that violates indentation",
        ));
    }
    Ok(())
}

/// The end of a line's indentation and block indicators (`- `, `? `),
/// after which go-yaml allows no tab before the next token.
fn indicators_end(line: &str) -> usize {
    let b = line.as_bytes();
    let mut i = 0;
    loop {
        match b.get(i) {
            Some(b' ' | b'\t') => i += 1,
            Some(b'-' | b'?') if matches!(b.get(i + 1), None | Some(b' ' | b'\t')) => i += 1,
            _ => return i,
        }
    }
}

/// Tags hush reads as go-yaml does: `!!str` (what hush resolves a tagged
/// scalar by) and the collection tags. go-yaml converts `!!int "1"`,
/// `!!binary`, `!!timestamp`; a local tag is read alike (`is_local_tag`).
const TAGS_READ_ALIKE: &[&str] = &[
    "!!str",
    // Checked against the value they tag when the tree is built.
    "!!int",
    "!!float",
    "!!bool",
    "!!map",
    "!!seq",
    "!<tag:yaml.org,2002:str>",
    "!<tag:yaml.org,2002:map>",
    "!<tag:yaml.org,2002:seq>",
];

/// Every tag outside scalars and comments must be one of [`TAGS_READ_ALIKE`].
fn check_tags(src: &str, spans: &ScalarSpans) -> Result<()> {
    let b = src.as_bytes();
    let mut i = 0;
    while let Some(n) = memchr::memchr2(b'!', b'#', &b[i..]) {
        let at = i + n;
        let token_start = at == 0 || matches!(b[at - 1], b' ' | b'\t' | b'\n' | b'[' | b'{' | b',');
        i = at + 1;
        if !token_start || spans.in_any(at) {
            continue;
        }
        let end = match src[at..].strip_prefix("!<") {
            // A verbatim tag: `!<tag:yaml.org,2002:str>`.
            Some(rest) => rest.find('>').map_or(src.len(), |e| at + e + 3),
            None => src[at..]
                .find([' ', '\t', '\r', '\n', ',', ']', '}'])
                .map_or(src.len(), |e| at + e),
        };
        if b[at] == b'#' {
            i = end.max(src[at..].find('\n').map_or(src.len(), |e| at + e));
        } else if !TAGS_READ_ALIKE.contains(&&src[at..end]) && !is_local_tag(&src[at..end]) {
            return Err(Error::Unsupported(format!(
                "line {}: the tag `{}`: go-yaml converts tagged values where hush does not; only `!!str` is supported",
                line_of(src, at),
                &src[at..end]
            )));
        }
    }
    Ok(())
}

/// Every anchor and alias name outside scalars and comments must be one
/// yaml.v3 reads: letters, digits, `_` and `-` only (`&x.y` is an error to
/// it, a name to YAML 1.2 readers).
fn check_anchor_names(src: &str, spans: &ScalarSpans) -> Result<()> {
    let b = src.as_bytes();
    let mut i = 0;
    while let Some(n) = memchr::memchr3(b'&', b'*', b'#', &b[i..]) {
        let at = i + n;
        let token_start = at == 0 || matches!(b[at - 1], b' ' | b'\t' | b'\n' | b'[' | b'{' | b',');
        i = at + 1;
        if !token_start || spans.in_any(at) {
            continue;
        }
        if b[at] == b'#' {
            i = src[at..].find('\n').map_or(src.len(), |e| at + e);
            continue;
        }
        let end = src[at + 1..]
            .find([' ', '\t', '\r', '\n', ',', ']', '}'])
            .map_or(src.len(), |e| at + 1 + e);
        let name = &src[at + 1..end];
        if name.is_empty()
            || !name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            return Err(refuse(
                src,
                at,
                "an anchor or alias name go-yaml refuses (only letters, digits, `_` and `-`)",
            ));
        }
        i = end;
    }
    Ok(())
}

/// A local tag (`!custom`): go-yaml reads a scalar under it as the string
/// it spells (sops drops the tag), and ignores it on a collection.
fn is_local_tag(tag: &str) -> bool {
    tag.strip_prefix('!').is_some_and(|name| {
        name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// `---` or `...` at the start of a line, alone or followed by a space.
fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// `%YAML 1.1`, the only version go-yaml accepts, optionally commented.
fn is_yaml_1_1(line: &str) -> bool {
    let mut words = line.split([' ', '\t']).filter(|w| !w.is_empty());
    words.next() == Some("%YAML")
        && words.next() == Some("1.1")
        && words.next().is_none_or(|w| w.starts_with('#'))
}

/// The keys of a map node, with where each starts.
fn map_keys(node: &Node) -> Vec<(&str, usize)> {
    match node {
        Node::Map(items) => items
            .iter()
            .filter_map(|i| Some((i.key.as_deref()?, i.at)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every map below `node`, parents first (go-yaml's order): unique keys and
/// no merge keys.
fn check_node(src: &str, node: &Node) -> Result<()> {
    let (Node::Map(items) | Node::Seq(items)) = node else {
        return Ok(());
    };
    if matches!(node, Node::Map(_)) {
        let keys = map_keys(node);
        unique(src, &keys)?;
        for &(k, at) in &keys {
            if k == "<<" && !src[at..].starts_with(['"', '\'']) {
                return Err(Error::Unsupported(format!(
                    "line {}: a `<<` merge key: sops keeps it as a key named `<<`, kubectl and Helm merge it; write the merged keys out",
                    line_of(src, at)
                )));
            }
        }
    }
    items.iter().try_for_each(|i| check_node(src, &i.node))
}

/// yaml.v3's duplicate-key check: the first key that comes again, with the
/// line of its second occurrence, in its own words.
fn unique(src: &str, keys: &[(&str, usize)]) -> Result<()> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
    let mut first: Option<(usize, usize)> = None;
    for (j, (k, _)) in keys.iter().enumerate() {
        match seen.get(k) {
            Some(&i) if first.is_none_or(|(fi, _)| i < fi) => first = Some((i, j)),
            Some(_) => {}
            None => {
                seen.insert(k, j);
            }
        }
    }
    match first {
        None => Ok(()),
        Some((i, j)) => Err(Error::Syntax {
            format: "YAML",
            reason: format!(
                "line {}: mapping key \"{}\" already defined at line {}",
                line_of(src, keys[j].1),
                keys[j].0.escape_debug(),
                line_of(src, keys[i].1)
            ),
        }),
    }
}

/// Duplicate keys anywhere in a value (the nested `sops:` metadata).
fn unique_value(v: &Value) -> Result<()> {
    match v {
        Value::Map(m) => {
            let mut seen = std::collections::HashSet::new();
            for (k, _) in m {
                if !seen.insert(k.as_str()) {
                    return Err(Error::Syntax {
                        format: "YAML",
                        reason: format!(
                            "mapping key \"{}\" already defined in the sops metadata",
                            k.escape_debug()
                        ),
                    });
                }
            }
            m.iter().try_for_each(|(_, v)| unique_value(v))
        }
        Value::Seq(items) => items.iter().try_for_each(unique_value),
        _ => Ok(()),
    }
}

/// The 1-based line of byte `at`.
fn line_of(src: &str, at: usize) -> usize {
    memchr::memchr_iter(b'\n', &src.as_bytes()[..at.min(src.len())]).count() + 1
}

fn refuse(src: &str, at: usize, why: &str) -> Error {
    Error::Syntax {
        format: "YAML",
        reason: format!("line {}: {why}", line_of(src, at)),
    }
}

#[cfg(test)]
mod tests {
    fn refused(src: &str) -> Option<String> {
        crate::stores::yaml::parse(src).err().map(|e| e.to_string())
    }

    #[test]
    fn line_breaks_and_control_characters_only_go_yaml_sees_are_refused() {
        for (c, why) in [
            ("\u{2028}", "U+2028"),
            ("\u{2029}", "U+2028 and U+2029"),
            ("\u{85}", "NEL"),
            ("\r", "carriage return"),
            ("\x0b", "control characters"),
            ("\x0c", "control characters"),
            ("\0", "control characters"),
            ("\x7f", "control characters"),
            ("\u{9b}", "control characters"),
            ("\u{feff}", "byte order mark"),
            ("\u{ffff}", "control characters"),
        ] {
            for (src, line) in [
                (format!("a: 1 # x{c}  b: 2\n"), 1),
                (format!("a{c}: 1\n"), 1),
                (format!("a: x{c}y\n"), 1),
                (format!("a: |\n  x{c}y\n"), 2),
            ] {
                let e = refused(&src).unwrap_or_else(|| panic!("accepted {src:?}"));
                assert!(
                    e.contains(why) && e.contains(&format!("line {line}:")),
                    "{src:?}: {e}"
                );
            }
        }
        assert_eq!(refused("\u{feff}a: 1\r\nb: \"\\u2028\"\r\n"), None);
    }

    #[test]
    fn tabs_inside_flow_collections_are_white_space_as_for_go_yaml() {
        for ok in [
            "{\n\t\"a\": 1,\n\t\"l\": [\n\t\t\"x\"\n\t]\n}\n",
            "a: {\n\tb: 1}\n",
            "a: [1,\n  \t2]\nb: |\n  x\n",
            "a: {\"k\": \"v\n\tw\"}\n",
            "a: {\n\t? b\n : 1}\n",
            "a: {\n\tb: c\n  \td}\n",
            "a: {\n\tb: c, # x\n\td: e}\n",
            "a: {b:\n\tc}\n",
        ] {
            let f = crate::stores::yaml::parse(ok);
            assert!(f.is_ok(), "{ok:?}: {:?}", f.err());
        }
        for bad in [
            "a:\n\t- 1\n",
            "a: [1,\n\t2]\nb:\n\tc: 1\n",
            "a: |\n  {\n\tx\n",
            // A tab where go-yaml continues a plain scalar.
            "a: {\n\t? b\n\t: 1}\n",
            "a: {\n\tb: c\n\t d}\n",
            "a: [\n\tb\n\tc]\n",
            "k:\n  a: {\n    b: c\n\t d}\n",
        ] {
            assert!(crate::stores::yaml::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tabs_directives_and_end_markers_are_refused_where_go_yaml_differs() {
        for src in [
            "\ta: 1\n",
            "a: 1\n\t\nb: 2\n",
            "a:\n  b: 1\n  \t# c\n  d: 2\n",
            "a: |\n  x\n \ty\n",
            "%YAML 1.2\n---\na: 1\n",
            "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
            "a: 1\n...\nb: 2\n",
            "l:\n-\tx\n",
            "l:\n- - \tx\n",
            "l:\n  ?\tx\n",
        ] {
            assert!(refused(src).is_some(), "accepted {src:?}");
        }
        for src in [
            "a: |\n  x\n  \ty\n",
            "a: 'x\n  \ty'\n",
            "%YAML 1.1\n---\na: 1\n",
            "a: 1\n...\n---\nb: 2\n...\n",
            "a: 1 # \t\n",
            "l:\n- x\ty\n- -1\t\n",
        ] {
            assert_eq!(refused(src), None, "{src:?}");
        }
    }

    #[test]
    fn duplicate_keys_are_refused_with_yaml_v3_s_message() {
        let cases = [
            (
                "a: 1\nb: 2\na: 3\n",
                "line 3: mapping key \"a\" already defined at line 1",
            ),
            (
                "x:\n  b: 1\n  c: 2\n  b: 3\na: 1\na: 2\n",
                "line 6: mapping key \"a\" already defined at line 5",
            ),
            (
                "a: 1\nb: 2\nb: 3\na: 4\n",
                "line 4: mapping key \"a\" already defined at line 1",
            ),
            (
                "a: 1\n'a': 2\n",
                "line 2: mapping key \"a\" already defined at line 1",
            ),
            (
                "a: 1\n---\nl:\n  - {k: 1, k: 2}\n",
                "line 4: mapping key \"k\" already defined at line 4",
            ),
            (
                "sops:\n  version: 1\nsops: 2\n",
                "line 3: mapping key \"sops\" already defined at line 1",
            ),
            (
                "sops:\n  mac: x\n  version: 1\n  mac: y\n",
                "line 4: mapping key \"mac\" already defined at line 2",
            ),
        ];
        for (src, msg) in cases {
            assert_eq!(
                refused(src),
                Some(format!("invalid YAML: {msg}")),
                "{src:?}"
            );
        }
    }

    #[test]
    fn tags_are_refused_unless_go_yaml_reads_them_as_hush_does() {
        for src in [
            "a: !!int \"x\"\n",
            "a: !!float \"12\"\n",
            "a: !!binary aGVsbG8=\n",
            "a: [x, !!bool yes]\n",
            "a: ! 1\n",
        ] {
            let e = refused(src).unwrap_or_else(|| panic!("accepted {src:?}"));
            assert!(
                e.contains("line ") && e.contains("the tag `!"),
                "{src:?}: {e}"
            );
        }
        for src in [
            "a: !!str 1\n",
            "a: !<tag:yaml.org,2002:str> 1\n",
            "b: !!map {c: 1} # !x\n",
            "c: \"!x\"\nd: it !works\ne: |\n  !x\n",
            "# !x\nf: 1 #!y\n",
            "my !key: 1\n\"q !k\": 2\n'it''s !k': 3\n",
            // A local tag's scalar is the string it spells, to go-yaml too.
            "a: !custom 1\n",
            "l:\n- !Ref x\n",
            // The value it tags, as the type the tag names.
            "a: !!int \"12\"\nb: [!!bool 'true', !!float \"1.5\"]\n",
        ] {
            assert_eq!(refused(src), None, "{src:?}");
        }
    }

    #[test]
    fn merge_keys_are_refused_and_a_quoted_key_named_so_is_not() {
        let e = refused("a: &x {b: 1}\nc:\n  <<: *x\n").expect("refused");
        assert!(e.contains("line 3") && e.contains("merge"), "{e}");
        assert_eq!(refused("c:\n  \"<<\": 1\n"), None);
    }
}
