//! Plaintext Kubernetes Secrets: a `kind: Secret` with non-empty `data` or
//! `stringData`, in any document, in JSON, and inside `kind: List` items;
//! plus a line-based reading for text that does not parse even once its
//! template actions are neutralised.

use crate::template::MARK;
use crate::yaml::{Node, Pos};
use hush_core::crypto::cipher::EncValue;
use regex::Regex;
use std::sync::OnceLock;

/// One Secret (or EncryptedSecret) holding plaintext.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PlainSecret {
    /// Where its `data:`/`stringData:` key is.
    pub pos: Pos,
    /// `Secret` or `EncryptedSecret`.
    pub kind: &'static str,
    /// The Secret's `metadata.name`, when known.
    pub name: Option<String>,
    /// `data` or `stringData` (`spec.data`, `spec.stringData`).
    pub field: String,
    /// How many plaintext values it holds.
    pub count: usize,
}

impl PlainSecret {
    pub fn message(&self) -> String {
        let who = match &self.name {
            Some(n) => format!("{} `{n}`", self.kind),
            None => self.kind.to_string(),
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
    let kind = kind_of(node).unwrap_or("");
    // An EncryptedSecret keeps its values under `spec`; a hand-written one
    // may hold them in plaintext.
    let values = if is_secret(node) {
        Some(("Secret", node, ""))
    } else if crate::encrypted_secret::is_encrypted_secret(node) {
        node.get("spec")
            .map(|spec| ("EncryptedSecret", spec, "spec."))
    } else {
        None
    };
    if let Some((kind, holder, prefix)) = values {
        let name = name_of(node);
        for field in ["data", "stringData"] {
            for (k, v) in entries(holder, field) {
                let count = plaintext_values(v, skip);
                if count > 0 {
                    out.push(PlainSecret {
                        pos: k.pos,
                        kind,
                        name: name.clone(),
                        field: format!("{prefix}{field}"),
                        count,
                    });
                }
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

/// A resource's `metadata.name`.
pub(crate) fn name_of(node: &Node<'_>) -> Option<String> {
    node.get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .map(str::to_string)
}

/// Whether any `kind` of a map says `Secret`: with duplicate keys,
/// go-yaml v2 and encoding/json keep the last, v3 refuses, others the
/// first; any of them may be the one that deploys.
pub(crate) fn is_secret(node: &Node<'_>) -> bool {
    entries(node, "kind").any(|(_, v)| v.as_str().map(trim_kind) == Some("Secret"))
}

/// Every entry for `key` of a map (a key may appear twice, as in both
/// branches of a template's `if`/`else`), or the one a merge key gives.
pub(crate) fn entries<'n, 'a>(
    node: &'n Node<'a>,
    key: &'n str,
) -> impl Iterator<Item = (&'n crate::yaml::Scalar<'a>, &'n Node<'a>)> + 'n {
    let own: Vec<_> = match node {
        Node::Map(items, _) => items
            .iter()
            .filter(|(k, _)| k.text == key)
            .map(|(k, v)| (k, v))
            .collect(),
        _ => Vec::new(),
    };
    let merged = own.is_empty().then(|| node.entry(key)).flatten();
    own.into_iter().chain(merged)
}

fn trim_kind(k: &str) -> &str {
    k.trim().trim_matches(|c| c == '\'' || c == '"').trim()
}

/// A map's `kind`, trimmed of the quotes and padding a neutralised
/// template literal may leave (`kind: "{{ "Secret" }}"`).
pub(crate) fn kind_of<'n>(node: &'n Node<'_>) -> Option<&'n str> {
    Some(trim_kind(node.get("kind")?.as_str()?))
}

/// Counts non-empty plaintext leaves under `node`.
fn plaintext_values(node: &Node<'_>, skip: &[usize]) -> usize {
    match node {
        Node::Map(items, _) => items.iter().map(|(_, v)| plaintext_values(v, skip)).sum(),
        Node::Seq(items, _) => items.iter().map(|v| plaintext_values(v, skip)).sum(),
        Node::Scalar(s) => usize::from(
            !(s.is_null()
                || s.text.trim().is_empty()
                || s.text.contains(MARK)
                || EncValue::looks_encrypted(&s.text)
                || skip.contains(&s.pos.line)),
        ),
        Node::Alias(_) => 0,
    }
}

/// Reads text that does not parse as YAML, even with its template actions
/// neutralised, line by line. It errs towards finding: in each `---`
/// document that names `kind: Secret` anywhere outside a comment (quoted,
/// indented, in a flow map, as a `kind: List` item), it counts the literal
/// entries under every `data`/`stringData` key, block or flow.
pub(crate) fn find_lenient(text: &str) -> Vec<PlainSecret> {
    let lines: Vec<String> = text.lines().map(|l| strip_comment(l).to_string()).collect();
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

fn lenient_re() -> &'static (Regex, Regex, Regex) {
    static RE: OnceLock<(Regex, Regex, Regex)> = OnceLock::new();
    RE.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("a valid regex");
        (
            re(r#"(?:^|[\s{,\-])["']?kind["']?\s*:\s*["']?Secret["']?\s*(?:$|[,}])"#),
            re(r#"(?:^|[\s{,\-])(["']?)(data|stringData)["']?\s*:(?:\s|$)"#),
            re(r#"^[\s\-]*["']?name["']?\s*:\s*["']?([^"'\s,}]+)"#),
        )
    })
}

/// The line without a `#` comment (one that starts the line or follows a
/// space, outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') if prev.is_whitespace() || "{[,:".contains(prev) => quote = Some(c),
            (None, '#') if prev.is_whitespace() => return &line[..i],
            _ => {}
        }
        prev = c;
    }
    line
}

fn unquote(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '\'')
}

/// Whether a value written after `key:` is literal text worth a finding.
fn literal(v: &str) -> bool {
    let v = unquote(v.trim());
    !(v.is_empty()
        || v == "~"
        || v == "null"
        || v.contains("{{")
        || v.contains(MARK)
        || v.starts_with('*')
        || EncValue::looks_encrypted(v))
}

fn lenient_doc(lines: &[String], start: usize, end: usize, out: &mut Vec<PlainSecret>) {
    let (kind, field, name_re) = lenient_re();
    let doc = &lines[start..end];
    if !doc.iter().any(|l| kind.is_match(l)) {
        return;
    }
    let name = doc.iter().find_map(|l| {
        let n = name_re.captures(l)?.get(1)?.as_str();
        (!n.contains(MARK) && !n.contains("{{")).then(|| n.to_string())
    });
    for (i, line) in doc.iter().enumerate() {
        for m in field.captures_iter(line) {
            let (Some(q), Some(f)) = (m.get(1), m.get(2)) else {
                continue;
            };
            let key_col = q.start();
            let rest = line[m.get(0).map_or(line.len(), |m| m.end())..].trim();
            let count = if rest.starts_with('{') {
                flow_entries(&doc[i..], &line[line.len() - rest.len()..])
            } else if rest.is_empty() {
                block_entries(&doc[i + 1..], key_col)
            } else {
                0
            };
            if count > 0 {
                out.push(PlainSecret {
                    pos: Pos {
                        line: start + i + 1,
                        col: line[..key_col].chars().count() + 1,
                    },
                    kind: "Secret",
                    name: name.clone(),
                    field: f.as_str().to_string(),
                    count,
                });
            }
        }
    }
}

/// Literal `k: v` entries of a flow map starting at `first` (which may go on
/// over the following lines).
fn flow_entries(doc: &[String], first: &str) -> usize {
    let mut text = first.to_string();
    for l in &doc[1..] {
        if text.matches('{').count() <= text.matches('}').count() {
            break;
        }
        text.push(' ');
        text.push_str(l);
    }
    let mut depth = 0usize;
    let mut body = String::new();
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth <= 1 => break,
            '}' => depth -= 1,
            _ if depth == 1 => body.push(c),
            _ => {}
        }
    }
    body.split(',')
        .filter_map(|e| e.split_once(':'))
        .filter(|(_, v)| literal(v) && !v.trim_start().starts_with(['{', '[']))
        .count()
}

/// Literal `key: value` children of a block whose key is at `key_col`.
fn block_entries(block: &[String], key_col: usize) -> usize {
    let mut indent = None;
    let mut count = 0;
    let mut pending_block = false;
    for line in block {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        let this = line.len() - trimmed.len();
        if this <= key_col && !(this == key_col && trimmed.starts_with('-')) {
            break;
        }
        let child = *indent.get_or_insert(this);
        if this > child {
            // Content of a `|` block scalar.
            if pending_block && literal(trimmed) {
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
        let v = v.trim();
        if v.starts_with('|') || v.starts_with('>') {
            pending_block = true;
        } else if literal(v) {
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
        let r = crate::template::neutralise(t);
        let docs = parse(&r.text).unwrap();
        let found = find(&docs, &[]);
        assert_eq!(found.len(), 1);
        assert_eq!((r.source_line(found[0].pos.line), found[0].count), (11, 2));
        let lenient = find_lenient(&r.text);
        assert_eq!(lenient.len(), 1);
        assert_eq!(
            (r.source_line(lenient[0].pos.line), lenient[0].count),
            (11, 2)
        );
        assert!(find_lenient("# kind: Secret\ndata:\n  a: b\n").is_empty());
    }

    #[test]
    fn the_line_reader_sees_quoted_indented_flow_and_list_secrets() {
        let quoted = "\"kind\": Secret\n\"stringData\":\n  \"p\": x\n";
        let indented = "  kind: Secret\n  stringData:\n    p: x\n";
        let flow = "{apiVersion: v1, kind: Secret, stringData: {p: x, q: ''}}\n";
        let list = "kind: List\nitems:\n- kind: Secret\n  data:\n    p: eA==\n";
        for t in [quoted, indented, flow, list] {
            let found = find_lenient(t);
            assert_eq!(found.len(), 1, "{t}");
            assert_eq!(found[0].count, 1, "{t}");
        }
    }

    #[test]
    fn aliases_and_merge_keys_are_followed() {
        let t = "x: &k Secret\ny: &a {p: hunter2}\nkind: *k\nstringData: *a\n";
        let found = find(&parse(t).unwrap(), &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].pos.line, found[0].field.as_str()),
            (4, "stringData")
        );
        let merged = parse("a: &b {kind: Secret}\n<<: *b\ndata: {q: eA==}\n").unwrap();
        assert_eq!(find(&merged, &[]).len(), 1);
    }
}
