//! sops's `--indent N` for JSON output: N spaces per level instead of a tab.

/// Re-indents pretty-printed JSON (one value per line) with `n` spaces per
/// level; strings are left alone (JSON strings never span lines).
pub fn reindent_json(text: &str, n: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth: usize = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_start_matches([' ', '\t']);
        let closes_first = body.starts_with(['}', ']']);
        let level = depth.saturating_sub(usize::from(closes_first));
        if !body.trim().is_empty() {
            out.extend(std::iter::repeat_n(' ', level * n));
        }
        out.push_str(body);
        depth = depth_after(body, depth);
    }
    out
}

fn depth_after(line: &str, mut depth: usize) -> usize {
    let (mut in_string, mut escaped) = (false, false);
    for c in line.chars() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, '{' | '[') => depth += 1,
            (false, _, '}' | ']') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    depth
}

#[cfg(test)]
mod tests {
    use super::reindent_json;

    #[test]
    fn tabs_become_n_spaces_per_level_and_strings_stay() {
        let text = "{\n\t\"a\": \"x{[\\\"\",\n\t\"b\": [\n\t\t1,\n\t\t{}\n\t]\n}\n";
        let want = "{\n  \"a\": \"x{[\\\"\",\n  \"b\": [\n    1,\n    {}\n  ]\n}\n";
        assert_eq!(reindent_json(text, 2), want);
    }
}
