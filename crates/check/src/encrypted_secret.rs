//! `EncryptedSecret` resources hush-controller would refuse: written by hand
//! instead of sealed (no sops metadata), or stripped of their `spec.scope`
//! binding. Plaintext values in one are [`crate::secret`]'s findings.

use crate::yaml::{Node, Pos};
use hush_core::encrypted_secret::{GROUP, KIND};

/// Whether a map is an `EncryptedSecret` (`apiVersion: hush.dev/…`).
pub(crate) fn is_encrypted_secret(node: &Node<'_>) -> bool {
    crate::secret::kind_of(node) == Some(KIND)
        && node
            .get("apiVersion")
            .and_then(Node::as_str)
            .and_then(|v| v.trim().strip_prefix(GROUP))
            .is_some_and(|v| v.starts_with('/'))
}

/// One `EncryptedSecret` hush-controller would refuse.
pub(crate) struct Refused {
    /// Where its `kind:` value is.
    pub pos: Pos,
    pub message: String,
}

/// The `EncryptedSecret` documents (and `kind: List` items) that cannot be
/// used: every one when the file has no sops metadata (`sealed` false),
/// else those without `spec.scope`.
pub(crate) fn find(docs: &[Node<'_>], sealed: bool) -> Vec<Refused> {
    let mut out = Vec::new();
    for doc in docs {
        visit(doc, sealed, &mut out);
    }
    out
}

/// A non-empty string `spec.scope` (null, `""`, a map or a list bind nothing).
fn has_scope(node: &Node<'_>) -> bool {
    match node.get("spec").and_then(|s| s.get("scope")) {
        Some(Node::Scalar(s)) => !s.is_null() && !s.text.trim().is_empty(),
        _ => false,
    }
}

fn visit(node: &Node<'_>, sealed: bool, out: &mut Vec<Refused>) {
    let kind = crate::secret::kind_of(node).unwrap_or("");
    if is_encrypted_secret(node) {
        let who = match crate::secret::name_of(node) {
            Some(n) => format!("EncryptedSecret `{n}`"),
            None => "EncryptedSecret".to_string(),
        };
        let pos = node.get("kind").map_or(node.pos(), Node::pos);
        let problem = if !sealed {
            "has no sops metadata: it was not sealed with `hush seal`"
        } else if !has_scope(node) {
            "has no `spec.scope`: the binding to its namespace and name was removed"
        } else {
            return;
        };
        out.push(Refused {
            pos,
            message: format!("{who} {problem}, and hush-controller refuses it"),
        });
    } else if kind == "List" || kind.ends_with("List") {
        if let Some(Node::Seq(items, _)) = node.get("items") {
            for item in items {
                visit(item, sealed, out);
            }
        }
    }
}
