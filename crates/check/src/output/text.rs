//! `path:line:col: rule-id: message`, one finding per line, each followed
//! by an indented fix hint; colour only when asked (on a terminal).

use crate::finding::Report;
use crate::rules::Level;
use std::io::{self, Write};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[36m";

/// Writes active findings to `out`; suppressed ones are left out.
pub fn text(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let paint = |code: &'static str| if color { code } else { "" };
    for f in report.active() {
        let rule_color = match f.rule.level() {
            Level::Error => RED,
            Level::Warning => YELLOW,
        };
        writeln!(
            out,
            "{}{}{}:{}:{}: {}{}{}: {}",
            paint(BOLD),
            f.path.display(),
            paint(RESET),
            f.line,
            f.column,
            paint(rule_color),
            f.rule.id(),
            paint(RESET),
            f.message
        )?;
        writeln!(out, "    {}fix:{} {}", paint(CYAN), paint(RESET), f.fix)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Finding;
    use crate::rules::Rule;

    #[test]
    fn plain_lines_have_the_grep_format() {
        let report = Report {
            findings: vec![Finding::new(
                Rule::PrivateKey,
                "k/keys.txt".into(),
                3,
                1,
                "an age secret key is committed".into(),
            )],
            ..Default::default()
        };
        let mut buf = Vec::new();
        text(&report, false, &mut buf).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert!(
            s.starts_with("k/keys.txt:3:1: private-key: an age secret key is committed\n    fix: ")
        );
        let mut buf = Vec::new();
        text(&report, true, &mut buf).unwrap();
        assert!(String::from_utf8(buf)
            .unwrap()
            .contains("\x1b[1;31mprivate-key\x1b[0m"));
    }
}
