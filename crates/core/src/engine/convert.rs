//! Re-emitting a plaintext file in another format (`--output-type`).

use super::document::Plaintext;
use super::format::Format;
use super::parsed::parse_plain;
use crate::error::{Error, Result};
use crate::tree::Node;
use std::collections::HashMap;

/// The first document's root and the anchors, for path lookups.
pub(crate) fn first_root(plain: &Plaintext) -> Result<(Node, HashMap<usize, Node>)> {
    let mut parsed = parse_plain(plain)?;
    if parsed.docs.is_empty() {
        return Err(Error::Unsupported("the file has no document".into()));
    }
    Ok((parsed.docs.swap_remove(0).root, parsed.anchors))
}

/// Re-emits a plaintext file in another format (`--output-type`); comments
/// and styling are not kept across formats. Multi-document YAML converts
/// its first document only... unless every document is wanted, which JSON
/// cannot hold.
pub fn convert(plain: &Plaintext, to: Format) -> Result<Plaintext> {
    if plain.format == to {
        return Plaintext::from_bytes(plain.expose_bytes().to_vec(), to);
    }
    if plain.format == Format::Binary {
        // sops reads a binary file as one string, `data`.
        let text = std::str::from_utf8(plain.expose_bytes()).map_err(|_| {
            Error::Unsupported(
                "binary content that is not UTF-8 can only be written as binary".into(),
            )
        })?;
        let wrapped = format!("{{\"data\": {}}}", crate::stores::scalar::json_string(text));
        return convert(&Plaintext::new(wrapped, Format::Json), to);
    }
    let parsed = parse_plain(plain)?;
    let mut out = String::new();
    for (i, doc) in parsed.docs.iter().enumerate() {
        match to {
            Format::Yaml | Format::Json => {}
            Format::Dotenv | Format::Ini => {
                out =
                    crate::stores::emit::render_flat(&doc.root, &parsed.anchors, plain.format, to)?;
                break;
            }
            Format::Binary => {
                let data = match &doc.root {
                    Node::Map(items) => items.iter().find_map(|i| match (&i.key, &i.node) {
                        (Some(k), Node::Leaf(l)) if k == "data" => Some(l.text.to_string()),
                        _ => None,
                    }),
                    _ => None,
                };
                out = data.ok_or_else(|| {
                    Error::Dump("binary output needs a top-level `data` string".into())
                })?;
                break;
            }
        }
        if i > 0 && to == Format::Yaml {
            out.push_str("---\n");
        }
        let text =
            crate::stores::emit::render_output(&doc.root, &parsed.anchors, plain.format, to)?;
        out.push_str(&text);
        if to == Format::Json {
            break;
        }
    }
    Ok(Plaintext::new(out, to))
}
