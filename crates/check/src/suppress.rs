//! Inline suppressions: `# hush:allow <rule-id> <reason>`.
//!
//! A suppression is a reviewable line in Git, so it must say why. One
//! without a reason, or naming no known rule, suppresses nothing and is
//! itself a finding (`invalid-suppression`).
//!
//! `hush:allow` covers findings on its own line, or, when the comment stands
//! on its own line, on the first line after it that is not a comment.
//! `hush:allow-file` covers the rule anywhere in the file.

use crate::rules::Rule;
use crate::source::Lines;
use memchr::memmem;

const MARK: &str = "hush:allow";

/// One valid inline suppression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Allow {
    pub line: usize,
    pub rules: Vec<Rule>,
    pub reason: String,
    /// `hush:allow-file`.
    pub file_wide: bool,
    /// The comment is alone on its line.
    pub own_line: bool,
}

/// A malformed suppression, reported as `invalid-suppression`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

fn is_comment_line(l: &str) -> bool {
    let t = l.trim_start();
    t.starts_with('#') || t.starts_with("//")
}

/// Reads every `hush:allow` comment of a file. A marker inside one of
/// `scalars` (byte ranges of the file's values and keys) is text, not a
/// comment.
pub(crate) fn parse(text: &str, scalars: &[(usize, usize)]) -> (Vec<Allow>, Vec<Invalid>) {
    let (mut allows, mut invalid) = (Vec::new(), Vec::new());
    let bytes = text.as_bytes();
    let hits: Vec<usize> = memmem::find_iter(bytes, MARK.as_bytes()).collect();
    if hits.is_empty() {
        return (allows, invalid);
    }
    let lines = Lines::new(bytes);
    for at in hits {
        if scalars.iter().any(|&(s, e)| s <= at && at < e) {
            continue;
        }
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let before = text[line_start..at].trim_end();
        // Only a comment counts: `#` or `//` right before the marker.
        let Some(prefix) = before
            .strip_suffix('#')
            .or_else(|| before.strip_suffix("//"))
        else {
            continue;
        };
        let (line, col) = lines.pos(at);
        let rest = &text[at + MARK.len()..line_end];
        let (file_wide, rest) = match rest.strip_prefix("-file") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if !(rest.is_empty() || rest.starts_with([' ', '\t', '\r'])) {
            continue;
        }
        let rest = rest.trim();
        let (ids, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let reason = reason.trim();
        // Prose about the syntax (`hush:allow <rule-id>`) is not a suppression.
        let id_like = ids
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b',');
        if !id_like {
            continue;
        }
        let mut bad = |message: String| {
            invalid.push(Invalid { line, col, message });
        };
        if ids.is_empty() {
            bad("`hush:allow` names no rule".into());
            continue;
        }
        let parsed: Result<Vec<Rule>, _> = ids.split(',').map(str::parse::<Rule>).collect();
        let rules = match parsed {
            Ok(r) => r,
            Err(e) => {
                bad(format!("`hush:allow` names an {e}"));
                continue;
            }
        };
        if reason.is_empty() {
            bad(format!(
                "`hush:allow {ids}` has no reason; a suppression must say why"
            ));
            continue;
        }
        allows.push(Allow {
            line,
            rules,
            reason: reason.to_string(),
            file_wide,
            own_line: prefix.trim().is_empty(),
        });
    }
    (allows, invalid)
}

/// The suppression that covers a finding of `rule` at `line`, if any.
pub(crate) fn covering<'a>(
    allows: &'a [Allow],
    text: &str,
    rule: Rule,
    line: usize,
) -> Option<&'a Allow> {
    allows.iter().find(|a| {
        if !a.rules.contains(&rule) {
            return false;
        }
        if a.file_wide || a.line == line {
            return true;
        }
        a.own_line
            && a.line < line
            && text
                .lines()
                .skip(a.line)
                .take(line - a.line - 1)
                .all(is_comment_line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppressions_need_a_known_rule_and_a_reason() {
        // `@` stands for the marker, so this file holds no suppression itself.
        let t = "# @ plaintext-secret fake values for the demo\nstringData:\n  a: b # @ plaintext-secret\n# @ no-such-rule because\n# @-file private-key test key, never used\nx: 1 # mentions @ance in prose\n# see `@ <rule-id> <reason>`\n"
            .replace('@', MARK);
        let t = t.as_str();
        let (allows, invalid) = parse(t, &[]);
        assert_eq!(allows.len(), 2);
        assert!(allows[0].own_line && !allows[0].file_wide);
        assert!(allows[1].file_wide);
        let got: Vec<_> = invalid.iter().map(|i| (i.line, i.col)).collect();
        assert_eq!(got, vec![(3, 10), (4, 3)]);
        assert!(covering(&allows, t, Rule::PlaintextSecret, 2).is_some());
        assert!(covering(&allows, t, Rule::PlaintextSecret, 3).is_none());
        assert!(covering(&allows, t, Rule::PrivateKey, 99).is_some());
        assert!(covering(&allows, t, Rule::UnencryptedFile, 2).is_none());
    }

    #[test]
    fn only_real_comments_suppress() {
        let t = "a: |\n  # @-file plaintext-secret in a block scalar\nb: \"x # @-file plaintext-secret in quotes\"\nc: 1 # @-file private-key a comment\n"
            .replace('@', MARK);
        let spans = crate::yaml::scalar_spans(&t).unwrap();
        let (allows, invalid) = parse(&t, &spans);
        assert!(invalid.is_empty());
        assert_eq!(allows.len(), 1);
        assert_eq!(allows[0].rules, vec![Rule::PrivateKey]);
        assert_eq!(parse(&t, &[]).0.len(), 3);
    }
}
