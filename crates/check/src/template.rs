//! Helm and Go templates read as YAML: each `{{ … }}` action is rendered
//! the way Helm would render it where that is known, so a template goes
//! through the same parser and detector as plain YAML:
//!
//! - a comment (`{{/* … */}}`), a control action (`if`, `else`, `end`,
//!   `range`, `with`, `define`, `block`) and a variable assignment render
//!   as nothing; trim markers (`{{-`, `-}}`) eat whitespace and line breaks
//!   as Go does, so `{{/* x */}}stringData:` is the key `stringData`;
//! - an action whose pipeline starts with a string literal (`{{ "hunter2" }}`,
//!   `{{ "Secret" | quote }}`, `Sec{{ "ret" }}`) renders as the literal's
//!   text, escapes decoded (a literal may hold a whole document);
//! - any other action is a value computed at render time: [`MARK`]
//!   characters, which the detector never counts as plaintext, or nothing
//!   when the line holds only actions (`{{ toYaml .x | nindent 4 }}`).
//!
//! Both branches of an `if`/`else` are kept, so a key may appear twice;
//! the detector checks every value of a duplicate key. Rendering can add
//! or remove lines: [`Rendered::source_line`] maps a line back.

use std::collections::HashMap;

/// Stands for a template value (a private-use character, never in YAML
/// written by hand).
pub(crate) const MARK: char = '\u{E000}';

/// Whether a file is a Go/Helm template rather than plain YAML.
pub(crate) fn is_template(text: &str) -> bool {
    text.contains("{{")
}

/// What an action renders as.
#[derive(Debug, PartialEq)]
enum Output {
    Nothing,
    Literal(String),
    Value,
}

/// One action: its byte range, trim markers and output.
struct Action {
    start: usize,
    end: usize,
    trim_left: bool,
    trim_right: bool,
    output: Output,
}

/// A template rendered for the detector.
pub(crate) struct Rendered {
    pub text: String,
    /// The 1-based source line of each rendered line.
    lines: Vec<usize>,
}

impl Rendered {
    /// The source line of 1-based rendered line `line`.
    pub fn source_line(&self, line: usize) -> usize {
        line.checked_sub(1)
            .and_then(|i| self.lines.get(i))
            .copied()
            .unwrap_or(line)
    }
}

/// `text` with every action rendered (see the module docs).
pub(crate) fn neutralise(text: &str) -> Rendered {
    let actions = actions(text);
    let breaks: Vec<usize> = memchr::memchr_iter(b'\n', text.as_bytes()).collect();
    let line_of = |at: usize| breaks.partition_point(|&b| b < at) + 1;
    let alone = alone_on_line(text, &actions);
    let mut r = Rendered {
        text: String::with_capacity(text.len() + text.len() / 2),
        lines: vec![1],
    };
    let mut pos = 0;
    let mut skip_ws = false;
    let emit_text = |r: &mut Rendered, from: usize, to: usize, skip_ws: bool| {
        let mut seg = text[from..to].char_indices().peekable();
        if skip_ws {
            while seg.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        }
        for (i, c) in seg {
            r.text.push(c);
            if c == '\n' {
                r.lines.push(line_of(from + i) + 1);
            }
        }
    };
    for (n, a) in actions.iter().enumerate() {
        emit_text(&mut r, pos, a.start, skip_ws);
        if a.trim_left {
            while let Some(c) = r.text.chars().next_back().filter(|c| c.is_whitespace()) {
                r.text.pop();
                if c == '\n' {
                    r.lines.pop();
                }
            }
        }
        match &a.output {
            Output::Nothing => {}
            Output::Value if alone[n] => {}
            Output::Value => {
                let width = text[a.start..a.end]
                    .chars()
                    .filter(|c| !matches!(c, '\n' | '\r'))
                    .count();
                r.text.extend(std::iter::repeat_n(MARK, width));
            }
            Output::Literal(l) => {
                for c in l.chars() {
                    r.text.push(c);
                    if c == '\n' {
                        r.lines.push(line_of(a.start));
                    }
                }
            }
        }
        skip_ws = a.trim_right;
        pos = a.end;
    }
    emit_text(&mut r, pos, text.len(), skip_ws);
    r
}

/// For each action, whether the line it starts on holds only actions and
/// whitespace.
fn alone_on_line(text: &str, actions: &[Action]) -> Vec<bool> {
    let covered = |at: usize| {
        let k = actions.partition_point(|a| a.start <= at);
        k > 0 && at < actions[k - 1].end
    };
    actions
        .iter()
        .map(|a| {
            let ls = text[..a.start].rfind('\n').map_or(0, |i| i + 1);
            let from = a.end.min(text.len());
            let line_end = text[from..].find('\n').map_or(text.len(), |i| from + i);
            text[ls..line_end]
                .char_indices()
                .all(|(i, c)| c.is_whitespace() || covered(ls + i))
        })
        .collect()
}

/// Every `{{ … }}` action, in order. A comment ends at the first `*/}}`;
/// another action at the first `}}` outside a string literal (a `"` or
/// `'` literal also ends at a line break, as Go allows none there); an
/// unclosed one runs to the end of the text.
fn actions(text: &str) -> Vec<Action> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut scope = Scope::default();
    let mut i = 0;
    while let Some(off) = memchr::memmem::find(&b[i..], b"{{") {
        let start = i + off;
        let inner_start = start + 2;
        let comment = text[inner_start..]
            .strip_prefix('-')
            .unwrap_or(&text[inner_start..])
            .trim_start()
            .starts_with("/*");
        let end = if comment {
            comment_end(text, inner_start)
        } else {
            action_end(b, inner_start)
        };
        let inner = &text[inner_start..end.saturating_sub(2).max(inner_start)];
        let a = action(start, end, inner, comment, &mut scope);
        out.push(a);
        i = end;
    }
    out
}

fn comment_end(text: &str, from: usize) -> usize {
    let mut at = from;
    while let Some(k) = text[at..].find("*/") {
        let after = at + k + 2;
        let rest = text[after..].trim_start_matches([' ', '\t', '\r', '\n']);
        let rest = rest.strip_prefix('-').unwrap_or(rest);
        if rest.starts_with("}}") {
            return text.len() - rest.len() + 2;
        }
        at = after;
    }
    text.len()
}

fn action_end(b: &[u8], from: usize) -> usize {
    let mut quote = None;
    let mut j = from;
    while j < b.len() {
        match (quote, b[j]) {
            (Some(b'"' | b'\''), b'\\') => j += 1,
            (Some(b'"' | b'\''), b'\n') => quote = None,
            (Some(q), c) if c == q => quote = None,
            (None, b'"' | b'`' | b'\'') => quote = Some(b[j]),
            (None, b'}') if b.get(j + 1) == Some(&b'}') => return j + 2,
            _ => {}
        }
        j += 1;
    }
    b.len()
}

/// Classifies one action from the text between its delimiters.
fn action(start: usize, end: usize, inner: &str, comment: bool, scope: &mut Scope) -> Action {
    let ws = |s: &str| s.starts_with(|c: char| c.is_ascii_whitespace());
    let trim_left = inner.strip_prefix('-').is_some_and(ws);
    let trim_right = inner
        .strip_suffix('-')
        .is_some_and(|s| s.ends_with(|c: char| c.is_ascii_whitespace()));
    let mut body = inner;
    if trim_left {
        body = &body[1..];
    }
    if trim_right {
        body = &body[..body.len() - 1];
    }
    let body = body.trim();
    let word = body
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or("");
    const CONTROL: [&str; 9] = [
        "if", "else", "end", "range", "with", "define", "block", "break", "continue",
    ];
    if let Some((name, rhs)) = split_assignment(body) {
        match constant(rhs, scope) {
            Some(v) => scope.vars.insert(name.to_string(), v),
            None => scope.vars.remove(name),
        };
    }
    if !comment {
        scope.control(word, body[word.len()..].trim());
    }
    let output = if comment || body.is_empty() || CONTROL.contains(&word) || assignment(body) {
        Output::Nothing
    } else {
        constant(body, scope).map_or(Output::Value, Output::Literal)
    };
    Action {
        start,
        end,
        trim_left,
        trim_right,
        output,
    }
}

/// What the template alone says about names: variables set to a
/// constant, and `.` inside `with`/`range` over a constant.
#[derive(Default)]
struct Scope {
    vars: HashMap<String, String>,
    /// One entry per open `if`/`with`/`range`/`define`/`block`: the value of
    /// `.` inside it, when it is a constant.
    dots: Vec<Option<String>>,
}

impl Scope {
    fn dot(&self) -> Option<&str> {
        self.dots.last().and_then(Option::as_deref)
    }

    /// Follows a control action: `word` and what comes after it.
    fn control(&mut self, word: &str, rest: &str) {
        let inherit = self.dot().map(str::to_string);
        match word {
            "if" => self.dots.push(inherit),
            "with" | "range" => {
                let v = constant(rest, self);
                self.dots.push(v);
            }
            "define" | "block" => self.dots.push(None),
            "else" => {
                let (w, r) = rest.split_once(' ').unwrap_or((rest, ""));
                if matches!(w, "with" | "range") {
                    self.dots.pop();
                    let v = constant(r.trim(), self);
                    self.dots.push(v);
                }
            }
            "end" => {
                self.dots.pop();
            }
            _ => {}
        }
    }
}

/// `$x := …` or `$x = …`: renders nothing.
fn assignment(body: &str) -> bool {
    split_assignment(body).is_some()
}

/// `$x := rhs` as (`$x`, rhs).
fn split_assignment(body: &str) -> Option<(&str, &str)> {
    let rest = body.strip_prefix('$')?;
    let name_len = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &body[..1 + name_len];
    let rest = rest[name_len..].trim_start();
    let rhs = rest
        .strip_prefix(":=")
        .or_else(|| rest.strip_prefix('=').filter(|r| !r.starts_with('=')))?;
    Some((name, rhs.trim()))
}

/// Functions whose string arguments are names or render-time input, not
/// text that is rendered.
const NOT_TEXT: [&str; 8] = [
    "template",
    "include",
    "tpl",
    "lookup",
    "env",
    "expandenv",
    "fail",
    "required",
];

/// What an action renders as when its text is known from the template
/// alone: a pipeline of string literals and functions of them
/// (`"hunter2"`, `print "Sec" "ret"`, `b64enc "x"`, `("x")`), a
/// variable set to one, or a `default "x"`. `None` when it is computed.
fn constant(body: &str, scope: &Scope) -> Option<String> {
    let body = body.trim_start_matches(['(', ' ']);
    let mut lits = Vec::new();
    let mut refs = Vec::new();
    let mut fields = false;
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' | '`' => {
                lits.push((i, literal(&body[i..])?));
                let end = i + quoted_len(&body[i..])?;
                while chars.next_if(|(j, _)| *j < end).is_some() {}
            }
            '$' => {
                let n = body[i + 1..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map_or(body.len(), |k| i + 1 + k);
                refs.push(&body[i..n]);
            }
            '.' => {
                let field = body[i + 1..].starts_with(|c: char| c.is_alphanumeric() || c == '_');
                match scope.dot() {
                    // `.` itself, set by `with "x"` or `range list "x"`.
                    Some(v) if !field => lits.push((i, v.to_string())),
                    _ => fields = true,
                }
            }
            _ => {}
        }
    }
    let word = body.split_whitespace().next().unwrap_or("");
    if NOT_TEXT.contains(&word) {
        return None;
    }
    if let Some(at) = body.find("default ") {
        if let Some((_, l)) = lits.iter().find(|(i, _)| *i > at) {
            return Some(l.clone());
        }
    }
    if fields {
        return None;
    }
    if !refs.is_empty() {
        let known: Option<Vec<&String>> = refs.iter().map(|r| scope.vars.get(*r)).collect();
        return known.map(|v| v.into_iter().map(String::as_str).collect());
    }
    (!lits.is_empty()).then(|| lits.into_iter().map(|(_, l)| l).collect())
}

/// The length in bytes of the quoted literal `s` starts with.
fn quoted_len(s: &str) -> Option<usize> {
    let q = s.chars().next()?;
    let mut esc = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if esc => esc = false,
            '\\' if q == '"' => esc = true,
            c if c == q => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// For a pipeline that starts with a string literal: the literal's text,
/// Go escapes decoded.
fn literal(body: &str) -> Option<String> {
    let q = body.chars().next().filter(|c| matches!(c, '"' | '`'))?;
    let mut value = String::new();
    let mut chars = body[1..].chars();
    loop {
        match chars.next()? {
            '\\' if q == '"' => value.push(unescape(&mut chars)?),
            c if c == q => break,
            '\n' if q == '"' => return None,
            c => value.push(c),
        }
    }
    Some(value)
}

/// One Go escape after the backslash.
fn unescape(chars: &mut std::str::Chars<'_>) -> Option<char> {
    let hex = |chars: &mut std::str::Chars<'_>, n: usize| {
        let s: String = chars.by_ref().take(n).collect();
        u32::from_str_radix(&s, 16).ok().and_then(char::from_u32)
    };
    Some(match chars.next()? {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'v' => '\u{b}',
        'x' => hex(chars, 2)?,
        'u' => hex(chars, 4)?,
        'U' => hex(chars, 8)?,
        d @ '0'..='7' => {
            let s: String = std::iter::once(d).chain(chars.by_ref().take(2)).collect();
            char::from_u32(u32::from_str_radix(&s, 8).ok()?)?
        }
        c => c,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &str) -> String {
        neutralise(t).text
    }

    #[test]
    fn actions_render_as_nothing_marks_or_literals() {
        let t = "{{- if .Values.on }}\nkind: {{ \"Secret\" }}\nname: {{ .Release.Name }}\n  {{ toYaml .x | nindent 2 }}\n";
        let r = neutralise(t);
        let lines: Vec<&str> = r.text.lines().collect();
        assert_eq!(lines[0].trim(), "");
        assert_eq!(lines[1], "kind: Secret");
        assert!(lines[2].starts_with("name: \u{E000}"));
        assert_eq!(lines[2].chars().count(), "name: {{ .Release.Name }}".len());
        assert_eq!(lines[3].trim(), "");
        assert_eq!(r.source_line(2), 2);
    }

    #[test]
    fn a_closing_brace_pair_inside_a_string_does_not_end_the_action() {
        assert_eq!(render("a: {{ \"x}}y\" | b64enc }}\n"), "a: x}}y\n");
        assert_eq!(
            render("a: {{ printf \"%s\" .x }}\n").matches(MARK).count(),
            20
        );
    }

    #[test]
    fn comments_literals_and_trim_markers_render_as_helm_renders_them() {
        assert_eq!(render("{{/* x */}}stringData:\n"), "stringData:\n");
        assert_eq!(render("{{ \"\" }}stringData:\n"), "stringData:\n");
        assert_eq!(render("kind: Sec{{ \"ret\" }}\n"), "kind: Secret\n");
        assert_eq!(render("kind: {{ \"Sec\" }}ret\n"), "kind: Secret\n");
        assert_eq!(render("string{{ \"Data\" }}:\n"), "stringData:\n");
        assert_eq!(
            render("p: h {{/* \"}}\" it's */}}\nq: r\n"),
            "p: h \nq: r\n"
        );
        assert_eq!(render("a:\n  {{- /* c */}}\n  b: c\n"), "a:\n  b: c\n");
        assert_eq!(render("{{- $p := \"x\" -}}\na: b\n"), "a: b\n");
        let r = neutralise("x: 1\n{{ \"kind: Secret\\nstringData:\\n  p: h\" }}\ny: 2\n");
        assert_eq!(r.text, "x: 1\nkind: Secret\nstringData:\n  p: h\ny: 2\n");
        assert_eq!(r.source_line(4), 2);
        assert_eq!(r.source_line(5), 3);
    }

    #[test]
    fn constant_pipelines_variables_and_defaults_render_their_text() {
        assert_eq!(render("k: {{ print \"Sec\" \"ret\" }}\n"), "k: Secret\n");
        assert_eq!(render("p: {{ b64enc \"hunter2\" }}\n"), "p: hunter2\n");
        assert_eq!(render("p: {{ (\"hunter2\") }}\n"), "p: hunter2\n");
        assert_eq!(
            render("p: {{ .Values.p | default \"hunter2\" }}\n"),
            "p: hunter2\n"
        );
        assert_eq!(
            render("{{- $p := \"hunter2\" }}\np: {{ $p }}\n"),
            "\np: hunter2\n"
        );
        assert!(render("p: {{ printf \"%s\" .Values.p }}\n").contains(MARK));
        assert!(render("p: {{ include \"x\" . }}\n").contains(MARK));
        assert!(render("p: {{ template \"x\" }}\n").contains(MARK));
        let with = "p: {{ with \"hunter2\" }}{{ . }}{{ end }}\nq: {{ . }}\n";
        assert_eq!(render(with).lines().next(), Some("p: hunter2"));
        assert!(render(with).lines().nth(1).unwrap().contains(MARK));
        let range = "s:\n{{- range list \"hunter2\" }}\n  p: {{ . }}\n{{- end }}\n";
        assert_eq!(render(range), "s:\n  p: hunter2\n");
        let fields = "{{ range .Values.l }}\np: {{ . }}\n{{ end }}\n";
        assert!(render(fields).contains(MARK));
    }
}
