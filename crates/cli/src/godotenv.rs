//! dotenv text read as KSOPS reads `secretFrom.envs`: with joho/godotenv
//! 1.5's `Unmarshal`. Quotes are removed (`Q="a b"` is `a b`), `export `
//! is dropped from names, ` # comment` ends an unquoted value, `\n` and
//! `\r` are expanded in double quotes, and `$NAME` / `${NAME}` expand to an
//! earlier variable of the same file.
//!
//! One deliberate difference: godotenv falls back to the process
//! environment for names the file does not define; hush expands them to
//! the empty string (what godotenv gives for an unset name), so a file can
//! never copy the renderer's environment (its keys) into a Secret.
//!
//! Errors name the line and the kind of problem, never the text.

use zeroize::Zeroizing;

/// One variable; later ones with the same name win.
pub type Var = (String, Zeroizing<String>);

/// godotenv's whitespace: no line breaks.
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

/// Parses `src` as `godotenv.Unmarshal` does. The error names the line.
pub fn parse(src: &str) -> Result<Vec<Var>, String> {
    let src = Zeroizing::new(src.replace("---\n", "\n").replace("\r\n", "\n"));
    let line = |rest: &str| src[..src.len() - rest.len()].matches('\n').count() + 1;
    let mut out: Vec<Var> = Vec::new();
    let mut cut: &str = &src;
    while let Some(start) = statement_start(cut) {
        let (key, rest) = key_name(start).map_err(|e| format!("line {}: {e}", line(start)))?;
        let (value, rest) =
            var_value(rest, &out).map_err(|e| format!("line {}: {e}", line(start)))?;
        out.push((key, value));
        cut = rest;
    }
    Ok(out)
}

/// Skips blank space and comment lines; `None` at the end.
fn statement_start(src: &str) -> Option<&str> {
    let mut src = src.trim_start();
    while src.starts_with('#') {
        src = src[src.find('\n')?..].trim_start();
    }
    (!src.is_empty()).then_some(src)
}

/// The name before `=` (or `:`), without `export `, and what follows it.
fn key_name(src: &str) -> Result<(String, &str), &'static str> {
    let mut src = src.trim_start_matches(is_space);
    if let Some(t) = src.strip_prefix("export") {
        if t.starts_with(is_space) {
            src = t.trim_start_matches(is_space);
        }
    }
    let mut key = "";
    let mut offset = 0;
    for (i, b) in src.bytes().enumerate() {
        // godotenv walks bytes, each taken as a Latin-1 rune.
        let c = char::from(b);
        if is_space(c) {
            continue;
        }
        match b {
            b'=' | b':' => {
                key = &src[..i];
                offset = i + 1;
                break;
            }
            b'_' => {}
            _ if c.is_alphabetic() || c.is_numeric() || c == '.' => {}
            _ => return Err("unexpected character in a variable name"),
        }
    }
    if src.is_empty() {
        return Err("zero length string");
    }
    let key = key.trim_end_matches(char::is_whitespace).to_string();
    Ok((key, src[offset..].trim_start_matches(is_space)))
}

/// The value at the start of `src`, and what follows it.
fn var_value<'a>(src: &'a str, vars: &[Var]) -> Result<(Zeroizing<String>, &'a str), &'static str> {
    let quote = match src.as_bytes().first() {
        Some(q @ (b'"' | b'\'')) => *q,
        _ => return Ok(unquoted(src, vars)),
    };
    let bytes = src.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] != quote || bytes[i - 1] == b'\\' {
            continue;
        }
        let q = char::from(quote);
        let raw = src[..i].trim_end_matches(q).trim_start_matches(q);
        let value = if quote == b'"' {
            expand_variables(&expand_escapes(raw), vars)
        } else {
            Zeroizing::new(raw.to_string())
        };
        return Ok((value, &src[i + 1..]));
    }
    Err("unterminated quoted value")
}

/// An unquoted value: to the end of the line, less a ` # comment`.
fn unquoted<'a>(src: &'a str, vars: &[Var]) -> (Zeroizing<String>, &'a str) {
    let end = src.find(['\n', '\r']).unwrap_or(src.len());
    let line: Vec<char> = src[..end].chars().collect();
    let mut end_of_var = line.len();
    for i in (1..line.len()).rev() {
        if line[i] == '#' && is_space(line[i - 1]) {
            end_of_var = i;
            break;
        }
    }
    let text: Zeroizing<String> = Zeroizing::new(line[..end_of_var].iter().collect());
    let value = expand_variables(text.trim_matches(is_space), vars);
    (value, &src[end..])
}

/// `\n` and `\r` become line breaks, then a backslash before any other
/// character but `$` is dropped.
fn expand_escapes(s: &str) -> Zeroizing<String> {
    let mut first = Zeroizing::new(String::with_capacity(s.len()));
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().copied()) {
            ('\\', Some(n)) if n != '\n' => {
                chars.next();
                match n {
                    'n' => first.push('\n'),
                    'r' => first.push('\r'),
                    _ => {
                        first.push('\\');
                        first.push(n);
                    }
                }
            }
            _ => first.push(c),
        }
    }
    let mut out = Zeroizing::new(String::with_capacity(first.len()));
    let mut chars = first.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().copied()) {
            ('\\', Some(n)) if n != '$' => {
                chars.next();
                out.push(n);
            }
            _ => out.push(c),
        }
    }
    out
}

/// godotenv's `(\\)?(\$)(\()?\{?([A-Z0-9_]+)?\}?`: `\$X` is a literal
/// `$X`; `$X`, `${X}` and `$(X` are X's value (an earlier variable of the
/// file, else empty); a `$` without a name stays.
fn expand_variables(s: &str, vars: &[Var]) -> Zeroizing<String> {
    let b = s.as_bytes();
    let mut out = Zeroizing::new(String::with_capacity(s.len()));
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let escaped = b[i] == b'\\' && b.get(i + 1) == Some(&b'$');
        if b[i] != b'$' && !escaped {
            i += 1;
            continue;
        }
        out.push_str(&s[copied..i]);
        let start = i;
        i += if escaped { 2 } else { 1 };
        for opt in [b'(', b'{'] {
            if b.get(i) == Some(&opt) {
                i += 1;
            }
        }
        let name_at = i;
        while i < b.len() && (b[i].is_ascii_uppercase() || b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
        let name = &s[name_at..i];
        if b.get(i) == Some(&b'}') {
            i += 1;
        }
        if escaped {
            out.push_str(&s[start + 1..i]);
        } else if !name.is_empty() {
            if let Some((_, v)) = vars.iter().rev().find(|(k, _)| k == name) {
                out.push_str(v);
            }
        } else {
            out.push_str(&s[start..i]);
        }
        copied = i;
    }
    out.push_str(&s[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(src: &str) -> Vec<(String, String)> {
        parse(src)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect()
    }

    #[test]
    fn values_read_as_godotenv_reads_them() {
        // (input, [(key, value)]), as godotenv 1.5.1 returns them.
        let table: &[(&str, &[(&str, &str)])] = &[
            ("A=plain\n", &[("A", "plain")]),
            ("Q=\"quoted value\"\n", &[("Q", "quoted value")]),
            ("S='single'\n", &[("S", "single")]),
            ("export EX=1\n", &[("EX", "1")]),
            ("exportX=1\n", &[("exportX", "1")]),
            ("H=a # c\n", &[("H", "a")]),
            ("H2=a#c\n", &[("H2", "a#c")]),
            ("H3=a # b # c\n", &[("H3", "a # b")]),
            ("D=\"a\\nb\\rc\"\n", &[("D", "a\nb\rc")]),
            ("SQ='a\\nb'\n", &[("SQ", "a\\nb")]),
            ("U=a\\nb\n", &[("U", "a\\nb")]),
            ("E=\"x\\\"y\"\n", &[("E", "x\"y")]),
            ("  K  =  v  \n", &[("K", "v")]),
            ("Y: yaml\n", &[("Y", "yaml")]),
            ("# comment\n\nA=1\n  # more\nB=2", &[("A", "1"), ("B", "2")]),
            ("A=1\r\nB=2\r\n", &[("A", "1"), ("B", "2")]),
            ("EMPTY=\nN=1\n", &[("EMPTY", ""), ("N", "1")]),
            ("M=\"line1\nline2\"\n", &[("M", "line1\nline2")]),
            ("A=x\nB=$A-${A}\n", &[("A", "x"), ("B", "x-x")]),
            ("B=\"$UNSET_X\"\n", &[("B", "")]),
            ("P=p@$$w\\$X$lower\n", &[("P", "p@$$w$X$lower")]),
            ("L='$A'\n", &[("L", "$A")]),
            ("A=1\nA=2\n", &[("A", "1"), ("A", "2")]),
            ("Q2=\"v\" # c\nN=1\n", &[("Q2", "v"), ("N", "1")]),
            ("---\nA=1\n", &[("A", "1")]),
        ];
        for (src, want) in table {
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(vars(src), want, "{src:?}");
        }
    }

    #[test]
    fn errors_name_the_line_and_not_the_text() {
        for (src, line) in [
            ("A=1\nsecret-value\n", 2),
            ("A=\"unterminated secret\n", 1),
            ("A=1\nB C\n", 2),
        ] {
            let e = parse(src).unwrap_err();
            assert!(e.starts_with(&format!("line {line}:")), "{src:?}: {e}");
            assert!(!e.contains("secret"), "{e}");
        }
    }
}
