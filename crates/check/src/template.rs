//! Helm and Go templates read as YAML. Every `{{ … }}` action is replaced
//! in place, keeping every line and column, so a template goes through the
//! same parser and detector as plain YAML:
//!
//! - a line that holds only actions (`{{- if … }}`, `{{ toYaml .x | nindent 4 }}`)
//!   becomes blank;
//! - an action whose pipeline starts with a string literal (`{{ "hunter2" }}`,
//!   `{{ "Secret" | quote }}`) becomes that literal, single-quoted and padded:
//!   Helm renders what is written there, so it counts as written;
//! - any other action becomes [`MARK`] characters: a value computed at
//!   render time, which the detector never counts as plaintext.

/// Stands for a template value (a private-use character, never in YAML
/// written by hand).
pub(crate) const MARK: char = '\u{E000}';

/// Whether a file is a Go/Helm template rather than plain YAML.
pub(crate) fn is_template(text: &str) -> bool {
    text.contains("{{")
}

/// One action: its byte range and, for a literal-first pipeline, the text
/// to put in its place.
struct Action {
    start: usize,
    end: usize,
    literal: Option<String>,
}

/// `text` with every action replaced (see the module docs).
pub(crate) fn neutralise(text: &str) -> String {
    let actions = actions(text);
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    let mut next = 0;
    // The rest of the literal being written in place of an action.
    let mut lit: Option<std::str::Chars<'_>> = None;
    for line in text.split_inclusive('\n') {
        let start = line.as_ptr() as usize - text.as_ptr() as usize;
        // Whether every non-blank character of the line is inside an action.
        let mut k = next;
        let only_actions = line.char_indices().all(|(i, c)| {
            while k < actions.len() && actions[k].end <= start + i {
                k += 1;
            }
            c.is_whitespace() || actions.get(k).is_some_and(|a| a.start <= start + i)
        });
        for (i, c) in line.char_indices() {
            let at = start + i;
            while next < actions.len() && actions[next].end <= at {
                next += 1;
            }
            let action = actions.get(next).filter(|a| a.start <= at);
            if action.is_some_and(|a| a.start == at) {
                lit = action.and_then(|a| a.literal.as_deref()).map(str::chars);
            }
            out.push(match action {
                None => c,
                Some(_) if c == '\n' || c == '\r' => c,
                Some(_) if only_actions => ' ',
                Some(a) if a.literal.is_none() => MARK,
                Some(_) => lit.as_mut().and_then(Iterator::next).unwrap_or(' '),
            });
        }
    }
    out
}

/// Every `{{ … }}` action, in order. An action ends at the first `}}`
/// outside a string literal; an unclosed one runs to the end of the text.
fn actions(text: &str) -> Vec<Action> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr::memmem::find(&b[i..], b"{{") {
        let start = i + off;
        let mut j = start + 2;
        let mut quote = None;
        let mut end = b.len();
        while j < b.len() {
            match (quote, b[j]) {
                (Some(b'"'), b'\\') => j += 1,
                (Some(q), c) if c == q => quote = None,
                (None, b'"' | b'`' | b'\'') => quote = Some(b[j]),
                (None, b'}') if b.get(j + 1) == Some(&b'}') => {
                    end = j + 2;
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        let inner = &text[start + 2..end.saturating_sub(2).max(start + 2)];
        out.push(Action {
            start,
            end,
            literal: literal(inner)
                .filter(|l| l.chars().count() <= text[start..end].chars().count()),
        });
        i = end;
    }
    out
}

/// For a pipeline that starts with a string literal: the literal as a
/// single-quoted YAML scalar.
fn literal(inner: &str) -> Option<String> {
    let s = inner.strip_prefix('-').unwrap_or(inner).trim_start();
    let q = s.chars().next().filter(|c| matches!(c, '"' | '`'))?;
    let body = &s[1..];
    let mut value = String::new();
    let mut chars = body.chars();
    loop {
        match chars.next()? {
            '\\' if q == '"' => value.push(chars.next()?),
            c if c == q => break,
            '\n' | '\r' => return None,
            c => value.push(c),
        }
    }
    Some(format!("'{}'", value.replace('\'', "''")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_become_blank_marks_or_literals_keeping_columns() {
        let t = "{{- if .Values.on }}\nkind: {{ \"Secret\" }}\nname: {{ .Release.Name }}\n  {{ toYaml .x | nindent 2 }}\n";
        let n = neutralise(t);
        let lines: Vec<&str> = n.lines().collect();
        assert_eq!(lines[0].trim(), "");
        assert_eq!(lines[1].trim_end(), "kind: 'Secret'");
        assert!(lines[2].starts_with("name: \u{E000}"));
        assert_eq!(lines[2].chars().count(), "name: {{ .Release.Name }}".len());
        assert_eq!(lines[3].trim(), "");
        assert_eq!(n.lines().count(), t.lines().count());
    }

    #[test]
    fn a_closing_brace_pair_inside_a_string_does_not_end_the_action() {
        let n = neutralise("a: {{ \"x}}y\" | b64enc }}\n");
        assert_eq!(n.trim_end(), "a: 'x}}y'");
        assert_eq!(
            neutralise("a: {{ printf \"%s\" .x }}\n")
                .matches(MARK)
                .count(),
            20
        );
    }
}
