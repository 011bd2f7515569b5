//! Plaintext Kubernetes Secrets: a `kind: Secret` with non-empty `data` or
//! `stringData`, in any document, in JSON, and inside `kind: List` items;
//! plus a line-based reading for Helm templates, which are not YAML.

use crate::yaml::{Node, Pos};
use hush_core::cipher::EncValue;

/// One Secret holding plaintext.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PlainSecret {
    /// Where its `data:`/`stringData:` key is.
    pub pos: Pos,
    /// The Secret's `metadata.name`, when known.
    pub name: Option<String>,
    /// `data` or `stringData`.
    pub field: String,
    /// How many plaintext values it holds.
    pub count: usize,
}

impl PlainSecret {
    pub fn message(&self) -> String {
        let who = match &self.name {
            Some(n) => format!("Secret `{n}`"),
            None => "Secret".to_string(),
        };
        let s = if self.count == 1 { "" } else { "s" };
        format!(
            "{who} has {} plaintext value{s} in `{}`",
            self.count, self.field
        )
    }
}

/// Finds Secrets with plaintext values in parsed documents. Values on the
/// lines in `skip` do not count: in an encrypted file the audit already
/// reports those as `plaintext-value`.
pub(crate) fn find(docs: &[Node<'_>], skip: &[usize]) -> Vec<PlainSecret> {
    let mut out = Vec::new();
    for doc in docs {
        visit(doc, skip, &mut out);
    }
    out
}

fn visit(node: &Node<'_>, skip: &[usize], out: &mut Vec<PlainSecret>) {
    let Node::Map(..) = node else { return };
    let kind = node.get("kind").and_then(Node::as_str).unwrap_or("");
    if kind == "Secret" {
        let name = node
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .map(str::to_string);
        for field in ["data", "stringData"] {
            let Some((k, v)) = node.entry(field) else {
                continue;
            };
            let count = plaintext_values(v, skip);
            if count > 0 {
                out.push(PlainSecret {
                    pos: k.pos,
                    name: name.clone(),
                    field: field.to_string(),
                    count,
                });
            }
        }
    } else if kind == "List" || kind.ends_with("List") {
        if let Some(Node::Seq(items, _)) = node.get("items") {
            for item in items {
                visit(item, skip, out);
            }
        }
    }
}

/// Counts non-empty plaintext leaves under `node`.
fn plaintext_values(node: &Node<'_>, skip: &[usize]) -> usize {
    match node {
        Node::Map(items, _) => items.iter().map(|(_, v)| plaintext_values(v, skip)).sum(),
        Node::Seq(items, _) => items.iter().map(|v| plaintext_values(v, skip)).sum(),
        Node::Scalar(s) => usize::from(
            !(s.is_null()
                || s.text.is_empty()
                || EncValue::looks_encrypted(&s.text)
                || skip.contains(&s.pos.line)),
        ),
        Node::Alias(_) => 0,
    }
}

/// Whether a file looks like a Go/Helm template rather than YAML.
pub(crate) fn is_template(text: &str) -> bool {
    text.contains("{{")
}

/// Reads a template line by line: in each `---` document with a top-level
/// `kind: Secret`, counts the entries under top-level `data:`/`stringData:`
/// whose value is literal text rather than a template expression.
pub(crate) fn find_lenient(text: &str) -> Vec<PlainSecret> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut start = 0;
    while start < lines.len() {
        let end = (start + 1..lines.len())
            .find(|&i| lines[i].starts_with("---"))
            .unwrap_or(lines.len());
        lenient_doc(&lines, start, end, &mut out);
        start = end;
    }
    out
}

fn top_value<'l>(line: &'l str, key: &str) -> Option<&'l str> {
    let rest = line.strip_prefix(key)?.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some(strip_comment(rest).trim())
}

fn strip_comment(s: &str) -> &str {
    match s.find(" #") {
        Some(i) => &s[..i],
        None if s.trim_start().starts_with('#') => "",
        None => s,
    }
}

fn unquote(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '\'')
}

fn lenient_doc(lines: &[&str], start: usize, end: usize, out: &mut Vec<PlainSecret>) {
    let doc = &lines[start..end];
    let is_secret = doc
        .iter()
        .any(|l| top_value(l, "kind").is_some_and(|v| unquote(v) == "Secret"));
    if !is_secret {
        return;
    }
    let name = doc.iter().enumerate().find_map(|(i, l)| {
        top_value(l, "metadata")?;
        doc[i + 1..]
            .iter()
            .take_while(|l| l.starts_with([' ', '\t']) || l.trim().is_empty())
            .find_map(|l| {
                let v = l.trim_start().strip_prefix("name:")?;
                let v = unquote(strip_comment(v).trim());
                (!v.is_empty() && !v.contains("{{")).then(|| v.to_string())
            })
    });
    for (i, line) in doc.iter().enumerate() {
        for field in ["data", "stringData"] {
            let Some(inline) = top_value(line, field) else {
                continue;
            };
            let count = if !inline.is_empty() {
                // `data: {a: b}` flow maps are rare; `{{ … }}` and `{}` hold nothing literal.
                usize::from(inline != "{}" && !inline.contains("{{") && inline.starts_with('{'))
            } else {
                count_children(&doc[i + 1..])
            };
            if count > 0 {
                out.push(PlainSecret {
                    pos: Pos {
                        line: start + i + 1,
                        col: 1,
                    },
                    name: name.clone(),
                    field: field.to_string(),
                    count,
                });
            }
        }
    }
}

/// Counts `key: value` children with literal values in an indented block.
fn count_children(block: &[&str]) -> usize {
    let mut indent = None;
    let mut count = 0;
    let mut pending_block = false;
    for line in block {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("{{") {
            continue;
        }
        let this = line.len() - trimmed.len();
        if this == 0 {
            break;
        }
        let child = *indent.get_or_insert(this);
        if this > child {
            // Content of a `|` block scalar.
            if pending_block && !trimmed.contains("{{") {
                count += 1;
                pending_block = false;
            }
            continue;
        }
        if this < child {
            break;
        }
        pending_block = false;
        let Some((_, v)) = trimmed.split_once(':') else {
            continue;
        };
        let v = unquote(strip_comment(v).trim());
        if v.starts_with('|') || v.starts_with('>') {
            pending_block = true;
        } else if !v.is_empty() && !v.contains("{{") && !EncValue::looks_encrypted(v) {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    #[test]
    fn finds_secrets_in_every_document_and_in_lists_but_not_empty_ones() {
        let text = "kind: ConfigMap\ndata:\n  a: b\n---\nkind: Secret\nmetadata:\n  name: s\ndata: {}\nstringData:\n  p: x\n  q: ''\n---\nkind: List\nitems:\n- kind: Secret\n  data:\n    a: eA==\n";
        let found = find(&parse(text).unwrap(), &[]);
        let got: Vec<_> = found.iter().map(|s| (s.pos.line, s.count)).collect();
        assert_eq!(got, vec![(9, 1), (16, 1)]);
        assert_eq!(
            found[0].message(),
            "Secret `s` has 1 plaintext value in `stringData`"
        );
    }

    #[test]
    fn templates_count_literal_values_only() {
        let t = "{{- if .Values.enabled }}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  a: {{ .Values.a | b64enc }}\n  {{- range $k, $v := .Values.extra }}\n  {{ $k }}: {{ $v }}\n  {{- end }}\nstringData:\n  literal: hunter2\n  cert: |\n    abc\n---\nkind: Secret\ndata:\n{{ toYaml .Values.data | indent 2 }}\n{{- end }}\n";
        let found = find_lenient(t);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].pos.line, found[0].count), (11, 2));
        assert!(find_lenient("# kind: Secret\ndata:\n  a: b\n").is_empty());
    }
}
