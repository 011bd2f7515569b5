//! Tree paths in sops's `["a"]["b"][0]` syntax, and extracting a value or
//! subtree from a decrypted file.

use crate::engine::document::Plaintext;
use crate::engine::format::Format;
use crate::error::{Error, Result};
use crate::stores::emit::{is_comment, resolve};
use crate::tree::{Node, Value};

/// One step of a tree path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

impl std::fmt::Display for Step {
    /// The step as a path writes it: `["key"]` or `[0]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Key(k) => write!(f, "[{}]", crate::stores::scalar::json_string(k)),
            Step::Index(n) => write!(f, "[{n}]"),
        }
    }
}

/// Parses `["a"]["b"][0]`.
pub fn parse(s: &str) -> Result<Vec<Step>> {
    let bad = || {
        Error::TreePath(format!(
            "cannot parse `{s}`: expected a form like [\"key\"][0]"
        ))
    };
    let mut rest = s.trim();
    let mut steps = Vec::new();
    while !rest.is_empty() {
        rest = rest.strip_prefix('[').ok_or_else(bad)?;
        if let Some(r) = rest.strip_prefix('"').or_else(|| rest.strip_prefix('\'')) {
            let quote = rest.as_bytes()[0] as char;
            let end = r.find(quote).ok_or_else(bad)?;
            steps.push(Step::Key(r[..end].to_string()));
            rest = r[end + 1..].strip_prefix(']').ok_or_else(bad)?;
        } else {
            let end = rest.find(']').ok_or_else(bad)?;
            steps.push(Step::Index(rest[..end].trim().parse().map_err(|_| bad())?));
            rest = &rest[end + 1..];
        }
    }
    Ok(steps)
}

/// The value at `steps` in the first document: a scalar as its bare text,
/// a subtree written in `format`.
pub fn extract(plain: &Plaintext, steps: &[Step], format: Format) -> Result<String> {
    let (root, anchors) = crate::engine::convert::first_root(plain)?;
    let mut node = &root;
    for step in steps {
        node = resolve(node, &anchors);
        let items = match (node, step) {
            (Node::Map(items), Step::Key(k)) => {
                items.iter().find(|i| i.key.as_deref() == Some(k.as_str()))
            }
            (Node::Seq(items), Step::Index(n)) => {
                items.iter().filter(|i| !is_comment(&i.node)).nth(*n)
            }
            _ => None,
        };
        node = &items
            .ok_or_else(|| Error::TreePath(format!("component {step:?} not found")))?
            .node;
    }
    crate::stores::emit::render_output(resolve(node, &anchors), &anchors, plain.format, format)
}

/// Converts a plain [`Value`] to JSON (used by tests and tools).
pub fn value_to_json(v: &Value) -> String {
    crate::metadata::json_value(v, 0, "\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_like_sops() {
        assert_eq!(
            parse(r#"["a"]["b c"][2]"#).unwrap(),
            vec![
                Step::Key("a".into()),
                Step::Key("b c".into()),
                Step::Index(2)
            ]
        );
        assert!(parse(r#"["a""#).is_err());
    }

    #[test]
    fn extract_returns_bare_scalars_and_subtrees() {
        let p = Plaintext::new("a:\n  b: hello\n  n: [1, 2]\n".into(), Format::Yaml);
        assert_eq!(
            extract(&p, &parse(r#"["a"]["b"]"#).unwrap(), Format::Yaml).unwrap(),
            "hello"
        );
        assert_eq!(
            extract(&p, &parse(r#"["a"]["n"]"#).unwrap(), Format::Json).unwrap(),
            "[\n\t1,\n\t2\n]\n"
        );
    }
}
