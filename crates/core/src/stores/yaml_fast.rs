//! A fast scanner for the block-style YAML that secrets files are made of
//! (maps, lists, plain and single-line quoted scalars, literal blocks,
//! comments, `---`). It emits the same events as saphyr-parser, with byte
//! spans, and gives up (`None`) on anything else — flow collections,
//! anchors, tags, folded or multi-line scalars, tabs — so the caller falls
//! back to saphyr-parser. A differential test checks that both readers
//! build the same tree wherever this one answers.

use saphyr_parser::{Event, ScalarStyle};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::ops::Range;

/// An event with a byte span.
pub(crate) type Ev<'a> = (Event<'a>, Range<usize>);

/// The events of `src`, produced line by line. `None` up front when the
/// text has characters this scanner leaves to saphyr; an `Err` item when it
/// meets YAML it does not handle (the caller then starts over with saphyr).
pub(crate) fn scan(src: &str) -> Option<FastEvents<'_>> {
    if src.is_empty() || memchr::memchr3(b'\r', b'\t', 0xEF, src.as_bytes()).is_some() {
        return None;
    }
    let mut s = Scanner {
        src,
        b: src.as_bytes(),
        at: 0,
        out: VecDeque::with_capacity(16),
        stack: Vec::new(),
        pending: None,
        doc_open: false,
        has_root: false,
    };
    s.out.push_back((Event::StreamStart, 0..0));
    Some(FastEvents { s, done: false })
}

/// The scanner gave up: the file needs the full YAML parser.
#[derive(Debug)]
pub(crate) struct GaveUp;

/// An iterator of events from the fast scanner.
pub(crate) struct FastEvents<'a> {
    s: Scanner<'a>,
    done: bool,
}

impl<'a> Iterator for FastEvents<'a> {
    type Item = Result<Ev<'a>, GaveUp>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.s.out.pop_front() {
                return Some(Ok(e));
            }
            if self.done {
                return None;
            }
            match self.s.step() {
                Some(finished) => self.done = finished,
                None => {
                    self.done = true;
                    return Some(Err(GaveUp));
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
struct Open {
    seq: bool,
    /// Column of the keys, or of the `-` of the items.
    indent: usize,
}

/// A key (or `-`) whose value starts on a later line.
#[derive(Clone, Copy)]
struct Pending {
    col: usize,
    /// Where an empty value's span goes (the `:`), as saphyr reports it.
    empty_at: usize,
}

struct Scanner<'a> {
    src: &'a str,
    b: &'a [u8],
    /// Start of the current line.
    at: usize,
    out: VecDeque<Ev<'a>>,
    stack: Vec<Open>,
    pending: Option<Pending>,
    doc_open: bool,
    /// The open document already has its root map.
    has_root: bool,
}

impl<'a> Scanner<'a> {
    fn eol(&self, from: usize) -> usize {
        memchr(b'\n', &self.b[from..]).map_or(self.b.len(), |n| from + n)
    }

    fn next_line(&self, from: usize) -> usize {
        (self.eol(from) + 1).min(self.b.len())
    }

    /// Handles one line, or the end of the text: `Some(true)` when done.
    fn step(&mut self) -> Option<bool> {
        if self.at >= self.b.len() {
            if !self.has_root {
                return None;
            }
            self.end_document(self.b.len());
            self.out
                .push_back((Event::StreamEnd, self.b.len()..self.b.len()));
            return Some(true);
        }
        let eol = self.eol(self.at);
        let line = &self.src[self.at..eol];
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        if rest.is_empty() || rest.starts_with('#') {
            self.at = self.next_line(self.at);
        } else if indent == 0 && is_marker(rest, "---") {
            let after = rest[3..].trim_start();
            if !(after.is_empty() || after.starts_with('#')) {
                return None;
            }
            self.document_marker()?;
            self.at = self.next_line(self.at);
        } else if indent == 0 && (is_marker(rest, "...") || rest.starts_with('%')) {
            return None;
        } else {
            self.content_line(indent, eol)?;
        }
        Some(false)
    }

    fn document_marker(&mut self) -> Option<()> {
        let at = self.at;
        if self.doc_open {
            if !self.has_root {
                return None;
            }
            self.end_document(at);
        }
        self.out.push_back((Event::DocumentStart(true), at..at + 3));
        self.doc_open = true;
        self.has_root = false;
        Some(())
    }

    fn end_document(&mut self, at: usize) {
        self.resolve_pending_as_null();
        while let Some(o) = self.stack.pop() {
            self.out.push_back((
                if o.seq {
                    Event::SequenceEnd
                } else {
                    Event::MappingEnd
                },
                at..at,
            ));
        }
        self.out.push_back((Event::DocumentEnd, at..at));
        self.doc_open = false;
    }

    fn resolve_pending_as_null(&mut self) {
        if let Some(p) = self.pending.take() {
            self.out.push_back((
                Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None),
                p.empty_at..p.empty_at,
            ));
        }
    }

    fn start_document(&mut self) {
        if !self.doc_open {
            self.out
                .push_back((Event::DocumentStart(false), self.at..self.at));
            self.doc_open = true;
        }
    }

    fn content_line(&mut self, indent: usize, eol: usize) -> Option<()> {
        let pos = self.at + indent;
        let is_item =
            self.b[pos] == b'-' && matches!(self.b.get(pos + 1), None | Some(b' ' | b'\n'));
        if let Some(p) = self.pending {
            if is_item && indent >= p.col {
                self.pending = None;
                let start = if indent == p.col {
                    self.item_content(pos, eol)?
                } else {
                    pos
                };
                self.stack.push(Open { seq: true, indent });
                self.out
                    .push_back((Event::SequenceStart(0, None), start..start));
            } else if indent > p.col && !is_item {
                self.pending = None;
                self.stack.push(Open { seq: false, indent });
                self.out.push_back((Event::MappingStart(0, None), pos..pos));
            } else {
                self.resolve_pending_as_null();
            }
        }
        while let Some(top) = self.stack.last().copied() {
            if top.indent > indent || (top.seq && top.indent == indent && !is_item) {
                self.stack.pop();
                self.out.push_back((
                    if top.seq {
                        Event::SequenceEnd
                    } else {
                        Event::MappingEnd
                    },
                    pos..pos,
                ));
            } else {
                break;
            }
        }
        match self.stack.last().copied() {
            None => {
                if is_item || self.has_root {
                    return None;
                }
                self.start_document();
                self.has_root = true;
                self.stack.push(Open { seq: false, indent });
                self.out.push_back((Event::MappingStart(0, None), pos..pos));
                self.map_entry(pos, indent, eol)
            }
            Some(top) if top.indent != indent => None,
            Some(top) if top.seq => {
                if !is_item {
                    return None;
                }
                self.seq_item(pos, indent, eol)
            }
            Some(_) => {
                if is_item {
                    return None;
                }
                self.map_entry(pos, indent, eol)
            }
        }
    }

    /// The first content byte after `- `.
    fn item_content(&self, dash: usize, eol: usize) -> Option<usize> {
        let after = &self.src[dash + 1..eol];
        let skip = after.len() - after.trim_start_matches(' ').len();
        let c = dash + 1 + skip;
        (c < eol && self.b[c] != b'#').then_some(c)
    }

    fn seq_item(&mut self, dash: usize, indent: usize, eol: usize) -> Option<()> {
        let c = self.item_content(dash, eol)?;
        let rest = &self.src[c..eol];
        if rest.starts_with("- ") || rest == "-" {
            return None;
        }
        if looks_like_key(rest) {
            let col = indent + (c - dash);
            self.stack.push(Open {
                seq: false,
                indent: col,
            });
            self.out.push_back((Event::MappingStart(0, None), c..c));
            return self.map_entry(c, col, eol);
        }
        self.value(c, indent, eol)
    }

    fn map_entry(&mut self, pos: usize, indent: usize, eol: usize) -> Option<()> {
        let (key, key_end, style) = self.key(pos, eol)?;
        self.out
            .push_back((Event::Scalar(key, style, 0, None), pos..key_end));
        let colon = key_end;
        let after = &self.src[colon + 1..eol];
        let v = colon + 1 + (after.len() - after.trim_start_matches(' ').len());
        if v == eol || self.b[v] == b'#' {
            if v < eol && v == colon + 1 {
                return None;
            }
            self.pending = Some(Pending {
                col: indent,
                empty_at: colon,
            });
            self.at = self.next_line(self.at);
            return Some(());
        }
        if v == colon + 1 {
            return None;
        }
        self.value(v, indent, eol)
    }

    /// A key at `pos`: its value, where its `:` is, and its style.
    fn key(&self, pos: usize, eol: usize) -> Option<(Cow<'a, str>, usize, ScalarStyle)> {
        match self.b[pos] {
            b'"' | b'\'' => {
                let (text, end, style) = self.quoted(pos, eol)?;
                (self.b.get(end) == Some(&b':')).then_some((text, end, style))
            }
            c if is_indicator(c) => None,
            _ => {
                let line = &self.src[pos..eol];
                let colon = find_colon(line)?;
                let key = &line[..colon];
                if key.contains(" #") || key.ends_with(' ') {
                    return None;
                }
                Some((Cow::Borrowed(key), pos + colon, ScalarStyle::Plain))
            }
        }
    }

    /// A value starting at `v` on a line whose key or `-` is at column `parent`.
    fn value(&mut self, v: usize, parent: usize, eol: usize) -> Option<()> {
        match self.b[v] {
            b'|' => return self.literal(v, parent, eol),
            b'-' if !matches!(self.b.get(v + 1), None | Some(b' ' | b'\n')) => {
                self.plain(v, eol)?
            }
            b'"' | b'\'' => {
                let (text, end, style) = self.quoted(v, eol)?;
                let tail = &self.src[end..eol];
                let t = tail.trim_start_matches(' ');
                if !(t.is_empty() || (t.starts_with('#') && t.len() < tail.len())) {
                    return None;
                }
                self.out
                    .push_back((Event::Scalar(text, style, 0, None), v..end));
            }
            c if is_indicator(c) => return None,
            _ => self.plain(v, eol)?,
        }
        self.at = self.next_line(self.at);
        // A deeper line after a one-line scalar would continue it: not handled here.
        (!self.next_content_is_deeper(parent)).then_some(())
    }

    fn plain(&mut self, v: usize, eol: usize) -> Option<()> {
        // One pass: the text ends at ` #`; `: ` inside it is not handled here.
        let b = &self.b[v..eol];
        let mut end = b.len();
        for i in memchr::memchr2_iter(b'#', b':', b) {
            if b[i] == b'#' && b[i - 1] == b' ' {
                end = i;
                break;
            }
            if b[i] == b':' && matches!(b.get(i + 1), None | Some(b' ')) {
                return None;
            }
        }
        let text = self.src[v..v + end].trim_end_matches(' ');
        self.out.push_back((
            Event::Scalar(Cow::Borrowed(text), ScalarStyle::Plain, 0, None),
            v..v + text.len(),
        ));
        Some(())
    }

    fn next_content_is_deeper(&self, parent: usize) -> bool {
        let mut at = self.at;
        while at < self.b.len() {
            let eol = self.eol(at);
            let line = &self.src[at..eol];
            let rest = line.trim_start_matches(' ');
            if !rest.is_empty() && !rest.starts_with('#') {
                return line.len() - rest.len() > parent;
            }
            at = self.next_line(at);
        }
        false
    }

    /// A single-line quoted scalar at `q`: value, end (after the quote), style.
    fn quoted(&self, q: usize, eol: usize) -> Option<(Cow<'a, str>, usize, ScalarStyle)> {
        let body = &self.src[q + 1..eol];
        if self.b[q] == b'\'' {
            let mut i = 0;
            let bb = body.as_bytes();
            while i < bb.len() {
                if bb[i] == b'\'' {
                    if bb.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    let raw = &body[..i];
                    let text = if raw.contains('\'') {
                        Cow::Owned(raw.replace("''", "'"))
                    } else {
                        Cow::Borrowed(raw)
                    };
                    return Some((text, q + 2 + i, ScalarStyle::SingleQuoted));
                }
                i += 1;
            }
            return None;
        }
        let mut out = String::new();
        let mut chars = body.char_indices();
        let mut plain_to = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    let text = match plain_to {
                        None => Cow::Borrowed(&body[..i]),
                        Some(_) => Cow::Owned(out),
                    };
                    return Some((text, q + 2 + i, ScalarStyle::DoubleQuoted));
                }
                '\\' => {
                    if plain_to.is_none() {
                        out.push_str(&body[..i]);
                        plain_to = Some(i);
                    }
                    let (_, e) = chars.next()?;
                    out.push(match e {
                        '\\' => '\\',
                        '"' => '"',
                        '/' => '/',
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '0' => '\0',
                        ' ' => ' ',
                        'x' | 'u' | 'U' => {
                            let n = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let start = i + 2;
                            let hex = body.get(start..start + n)?;
                            for _ in 0..n {
                                chars.next();
                            }
                            char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
                        }
                        _ => return None,
                    });
                }
                c => {
                    if plain_to.is_some() {
                        out.push(c);
                    }
                }
            }
        }
        None
    }

    /// A literal block scalar (`|`, `|-`, `|+`) whose header is at `h`.
    fn literal(&mut self, h: usize, parent: usize, eol: usize) -> Option<()> {
        let header = &self.src[h + 1..eol];
        let chomp = match header.as_bytes().first() {
            Some(b'-') => '-',
            Some(b'+') => '+',
            _ => ' ',
        };
        let tail = if chomp == ' ' { header } else { &header[1..] };
        let t = tail.trim_start_matches(' ');
        if !(t.is_empty() || (t.starts_with('#') && t.len() < tail.len())) {
            return None;
        }
        let mut at = self.next_line(self.at);
        let mut indent = None;
        let mut text = String::new();
        let mut first_char = None;
        let mut stop = self.b.len();
        while at < self.b.len() {
            let e = self.eol(at);
            let line = &self.src[at..e];
            let ind = line.len() - line.trim_start_matches(' ').len();
            if ind == line.len() {
                if ind > indent.unwrap_or(usize::MAX) || e == self.b.len() && ind > 0 {
                    return None;
                }
                text.push('\n');
                at = self.next_line(at);
                if e == self.b.len() {
                    break;
                }
                continue;
            }
            let content = *indent.get_or_insert(ind);
            if ind < content {
                stop = at;
                break;
            }
            if content <= parent {
                return None;
            }
            first_char.get_or_insert(at + content);
            text.push_str(&line[content..]);
            text.push('\n');
            at = self.next_line(at);
            if e == self.b.len() {
                // saphyr reads a missing final line break as present.
                break;
            }
        }
        let start = first_char?;
        let body = text.trim_end_matches('\n');
        let value = match chomp {
            '-' => body.to_string(),
            '+' => text,
            _ if body.len() < text.len() => format!("{body}\n"),
            _ => body.to_string(),
        };
        self.out.push_back((
            Event::Scalar(Cow::Owned(value), ScalarStyle::Literal, 0, None),
            start..stop.max(start),
        ));
        self.at = stop;
        Some(())
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

fn is_marker(rest: &str, m: &str) -> bool {
    rest.starts_with(m) && rest[3..].chars().next().is_none_or(|c| c == ' ')
}

/// Characters that start something other than a plain scalar.
fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// The `:` that ends a plain key: followed by a space or the line's end.
fn find_colon(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    (0..b.len()).find(|&i| b[i] == b':' && matches!(b.get(i + 1), None | Some(b' ')))
}

fn looks_like_key(rest: &str) -> bool {
    match rest.as_bytes()[0] {
        b'"' | b'\'' => false,
        c if is_indicator(c) => false,
        _ => find_colon(rest).is_some_and(|i| !rest[..i].contains(" #")),
    }
}
