//! The JSON reader: a small recursive-descent parser that keeps the byte
//! span of every value, so the engine can splice JSON as it splices YAML.

use super::scalar::Resolved;
use crate::error::{Error, Result};
use crate::tree::{to_value, Item, Leaf, Node, Slot, Value};
use std::collections::HashMap;
use std::ops::Range;

/// An object's items plus (key start, value end) per member.
type Members = (Vec<Item>, Vec<(usize, usize)>);

/// A parsed JSON document.
pub(crate) struct JsonFile {
    /// The root object, without its `sops` member.
    pub root: Node,
    pub sops: Option<(Value, Range<usize>)>,
    /// Where a `sops` member is inserted: after the last member's value.
    pub insert_at: usize,
    /// The indentation unit of the file (`\t`, or some spaces).
    pub indent: String,
}

/// Parses a JSON object.
pub(crate) fn parse(src: &str) -> Result<JsonFile> {
    let mut p = P {
        s: src.as_bytes(),
        src,
        i: 0,
    };
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(p.err("the top level must be an object"));
    }
    let open = p.i;
    let (items, spans) = p.object()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err("trailing characters after the object"));
    }
    let close = p.i_close(open);
    let mut sops = None;
    let mut kept = Vec::new();
    let mut kept_spans = Vec::new();
    for (n, (item, span)) in items.into_iter().zip(spans.iter()).enumerate() {
        if item.key.as_deref() == Some("sops") && sops.is_none() {
            let range = if n > 0 {
                spans[n - 1].1..span.1
            } else if n + 1 < spans.len() {
                span.0..spans[n + 1].0
            } else {
                open + 1..close
            };
            sops = Some((to_value(&item.node, &HashMap::new()), range));
        } else {
            kept.push(item);
            kept_spans.push(*span);
        }
    }
    let insert_at = kept_spans.last().map_or(open + 1, |s| s.1);
    let indent = kept_spans.first().map_or("\t".to_string(), |s| {
        let line = src[..s.0].rfind('\n').map_or(0, |n| n + 1);
        let ws = &src[line..s.0];
        if ws.is_empty() || !ws.trim().is_empty() {
            "\t".into()
        } else {
            ws.to_string()
        }
    });
    Ok(JsonFile {
        root: Node::Map(kept),
        sops,
        insert_at,
        indent,
    })
}

struct P<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

impl P<'_> {
    fn err(&self, why: &str) -> Error {
        // Counted on bytes: the error may point inside a multi-byte character.
        let upto = &self.s[..self.i.min(self.s.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        Error::Syntax {
            format: "JSON",
            reason: format!("{why} at line {line}"),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn i_close(&self, _open: usize) -> usize {
        // The object parser ended just past `}`; find it back.
        self.src[..self.i].rfind('}').unwrap_or(self.i)
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        self.ws();
        if self.peek() != Some(c) {
            return Err(self.err(&format!("expected `{}`", c as char)));
        }
        self.i += 1;
        Ok(())
    }

    /// Items plus (key start, value end) per member.
    fn object(&mut self) -> Result<Members> {
        self.expect(b'{')?;
        let (mut items, mut spans) = (Vec::new(), Vec::new());
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok((items, spans));
        }
        loop {
            self.ws();
            let at = self.i;
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            let (key, _) = self.string()?;
            self.expect(b':')?;
            self.ws();
            let node = self.value()?;
            spans.push((at, self.i));
            items.push(Item {
                key: Some(key),
                at,
                node,
            });
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok((items, spans));
                }
                _ => return Err(self.err("expected `,` or `}`")),
            }
        }
    }

    fn value(&mut self) -> Result<Node> {
        self.ws();
        let start = self.i;
        let leaf = |text: String, r: Resolved, end: usize| {
            Node::Leaf(Leaf {
                span: start..end,
                text: zeroize::Zeroizing::new(text),
                resolved: Some(r),
                slot: Slot::Json,
                header: None,
            })
        };
        match self.peek() {
            Some(b'{') => Ok(Node::Map(self.object()?.0)),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Node::Seq(items));
                }
                loop {
                    self.ws();
                    let at = self.i;
                    items.push(Item {
                        key: None,
                        at,
                        node: self.value()?,
                    });
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Node::Seq(items));
                        }
                        _ => return Err(self.err("expected `,` or `]`")),
                    }
                }
            }
            Some(b'"') => {
                let (s, _) = self.string()?;
                Ok(leaf(s, Resolved::Str, self.i))
            }
            Some(b't') | Some(b'f') | Some(b'n') => {
                for (word, r) in [
                    ("true", Resolved::Bool),
                    ("false", Resolved::Bool),
                    ("null", Resolved::Null),
                ] {
                    if self.s[self.i..].starts_with(word.as_bytes()) {
                        self.i += word.len();
                        return Ok(leaf(word.to_string(), r, self.i));
                    }
                }
                Err(self.err("invalid literal"))
            }
            Some(b'-' | b'0'..=b'9') => {
                while matches!(
                    self.peek(),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.i += 1;
                }
                let text = &self.src[start..self.i];
                if !valid_number(text) {
                    return Err(self.err("invalid number"));
                }
                // `-0` is the float negative zero to sops (an int would be 0).
                let r = if text.parse::<i64>().is_ok() && text != "-0" {
                    Resolved::Int
                } else if text.parse::<f64>().is_ok_and(f64::is_finite) {
                    Resolved::Float
                } else {
                    // Go's encoding/json (sops) refuses it too.
                    return Err(self.err("number out of range for a 64-bit float"));
                };
                Ok(leaf(text.to_string(), r, self.i))
            }
            _ => Err(self.err("expected a value")),
        }
    }

    fn string(&mut self) -> Result<(String, Range<usize>)> {
        let start = self.i;
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.src[self.i..];
            let stop = rest
                .find(['"', '\\'])
                .ok_or_else(|| self.err("unterminated string"))?;
            if rest[..stop].bytes().any(|b| b < 0x20) {
                return Err(self.err("control character in string"));
            }
            out.push_str(&rest[..stop]);
            self.i += stop;
            if self.s[self.i] == b'"' {
                self.i += 1;
                return Ok((out, start..self.i));
            }
            self.i += 1;
            let c = self.peek().ok_or_else(|| self.err("unterminated escape"))?;
            self.i += 1;
            match c {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => out.push(self.unicode()?),
                _ => return Err(self.err("invalid escape")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let h = self
            .src
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("short \\u escape"))?;
        let v = u32::from_str_radix(h, 16).map_err(|_| self.err("invalid \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn unicode(&mut self) -> Result<char> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) && self.s[self.i..].starts_with(b"\\u") {
            self.i += 2;
            let lo = self.hex4()?;
            0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.err("invalid unicode escape"))
    }
}

pub(crate) fn valid_number(t: &str) -> bool {
    let b = t.strip_prefix('-').unwrap_or(t);
    let (int, rest) = b.split_at(b.find(['.', 'e', 'E']).unwrap_or(b.len()));
    let int_ok = int == "0"
        || (!int.is_empty() && !int.starts_with('0') && int.bytes().all(|c| c.is_ascii_digit()));
    int_ok
        && (rest.is_empty()
            || rest.parse::<f64>().is_ok()
            || format!("0{rest}").parse::<f64>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_beyond_f64_are_refused() {
        assert!(parse("{\"n\": 1.5e3555}").is_err());
        assert!(parse("{\"n\": -1e309}").is_err());
        assert!(parse("{\"n\": 1.5e308}").is_ok());
        assert!(
            parse("{\"n\": 99999999999999999999}").is_ok(),
            "beyond i64 is a float, as in Go"
        );
    }

    #[test]
    fn members_keep_their_spans_and_the_sops_member_is_split_off() {
        let src = "{\n  \"a\": \"x\",\n  \"n\": 1.5,\n  \"sops\": {\"version\": \"3.11.0\"}\n}";
        let f = parse(src).unwrap();
        let Node::Map(items) = &f.root else { panic!() };
        assert_eq!(items.len(), 2);
        let Node::Leaf(l) = &items[1].node else {
            panic!()
        };
        assert_eq!(&src[l.span.clone()], "1.5");
        let (v, range) = f.sops.unwrap();
        assert_eq!(v.get("version").unwrap().as_str(), Some("3.11.0"));
        assert_eq!(&src[range], ",\n  \"sops\": {\"version\": \"3.11.0\"}");
        assert_eq!(f.indent, "  ");
    }

    #[test]
    fn bad_json_is_a_syntax_error() {
        assert!(matches!(parse("{\"a\": }"), Err(Error::Syntax { .. })));
        assert!(matches!(parse("[1]"), Err(Error::Syntax { .. })));
    }
}
