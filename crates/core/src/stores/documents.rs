//! Decrypted manifests as one-line JSON documents, for tools that embed
//! them in a stream of their own (the KRM function's `ResourceList`).
//!
//! One line per document keeps the text valid inside a YAML block
//! sequence (`- {…}`) whatever the values hold: every line break, tab and
//! Unicode line separator in a string is escaped.

use crate::engine::document::Plaintext;
use crate::engine::format::Format;
use crate::engine::parsed::parse;
use crate::error::{Error, Result};
use crate::tree::Node;
use zeroize::Zeroizing;

/// Every non-empty document of a YAML or JSON file as compact JSON, with
/// the types yaml.v3 gives its scalars. The texts are zeroed on drop.
pub fn json_lines(plain: &Plaintext) -> Result<Vec<Zeroizing<String>>> {
    if !matches!(plain.format, Format::Yaml | Format::Json) {
        return Err(Error::Unsupported(format!(
            "a manifest must be YAML or JSON, not {}",
            plain.format.name()
        )));
    }
    let parsed = parse(plain.expose(), plain.format)?;
    let mut out = Vec::with_capacity(parsed.docs.len());
    for doc in &parsed.docs {
        let empty = match &doc.root {
            Node::Leaf(l) => l.resolved == Some(super::scalar::Resolved::Null),
            Node::Map(items) => items.iter().all(|i| i.key.is_none()),
            _ => false,
        };
        if empty {
            continue;
        }
        let pretty = Zeroizing::new(super::emit::render(
            &doc.root,
            &parsed.anchors,
            Format::Json,
        ));
        out.push(one_line(&pretty));
    }
    Ok(out)
}

/// Drops the layout the JSON writer adds (strings never hold a raw line
/// break or tab) and escapes the separators YAML 1.1 reads as line breaks.
fn one_line(pretty: &str) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(pretty.len()));
    for c in pretty.chars() {
        match c {
            '\n' | '\t' => {}
            '\u{85}' | '\u{2028}' | '\u{2029}' => s.push_str(&format!("\\u{:04x}", c as u32)),
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_document_becomes_one_typed_json_line() {
        let p = Plaintext::new(
            "a: 1\nb: \"2\"\nc: |\n  x\n  \ty\n---\n---\nd: [true, null, \"\\u2028\"]\n".into(),
            Format::Yaml,
        );
        let lines = json_lines(&p).unwrap();
        let lines: Vec<&str> = lines.iter().map(|l| l.as_str()).collect();
        assert_eq!(
            lines,
            [
                r#"{"a": 1,"b": "2","c": "x\n\ty\n"}"#,
                r#"{"d": [true,null,"\u2028"]}"#
            ]
        );
    }

    #[test]
    fn dotenv_is_not_a_manifest() {
        let p = Plaintext::new("A=1\n".into(), Format::Dotenv);
        assert!(json_lines(&p).is_err());
    }
}
