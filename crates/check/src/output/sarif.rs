//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning and GitLab read
//! it: every rule in `tool.driver.rules` with help text, each result with
//! `ruleId`, `level` and a physical location relative to `%SRCROOT%`.
//! Suppressed findings are included with their `suppressions`, so the
//! review trail survives in the scanning UI.

use crate::finding::{Report, SuppressionKind};
use crate::rules::{Level, Rule};
use serde_json::{json, Value};

/// The SARIF schema URI written into `$schema`.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn rule_descriptor(r: Rule) -> Value {
    let severity = match r.level() {
        Level::Error => "8.0",
        Level::Warning => "5.0",
    };
    json!({
        "id": r.id(),
        "name": r.name(),
        "shortDescription": {"text": r.summary()},
        "fullDescription": {"text": r.summary()},
        "help": {
            "text": r.help(),
            "markdown": format!("**{}**\n\n{}", r.summary(), r.help()),
        },
        "defaultConfiguration": {"level": r.level().as_str(), "enabled": r.default_enabled()},
        "properties": {
            "tags": ["security", "secrets"],
            "precision": "high",
            "security-severity": severity,
        },
    })
}

/// The report as a SARIF 2.1.0 log. `root` is the directory the paths are
/// relative to (an absolute `file://` URI ending in `/`), if known.
pub fn sarif(report: &Report, root: Option<&std::path::Path>) -> Value {
    let rules: Vec<Value> = Rule::ALL.iter().map(|r| rule_descriptor(*r)).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = Rule::ALL.iter().position(|r| *r == f.rule).unwrap_or(0);
            let mut result = json!({
                "ruleId": f.rule.id(),
                "ruleIndex": index,
                "level": f.rule.level().as_str(),
                "message": {"text": format!("{}. Fix: {}", f.message, f.fix)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri_path(&f.path), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }],
            });
            if let Some(s) = &f.suppressed {
                result["suppressions"] = json!([{
                    "kind": match s.kind {
                        SuppressionKind::InSource => "inSource",
                        SuppressionKind::Config => "external",
                    },
                    "justification": s.reason,
                }]);
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = report
        .notes
        .iter()
        .map(|n| (n, "note"))
        .map(|(n, level)| (uri_path(&n.path), n.message.clone(), level))
        .chain(
            report
                .errors
                .iter()
                .map(|e| (uri_path(&e.path), e.message.clone(), "error")),
        )
        .map(|(uri, message, level)| {
            json!({
                "level": level,
                "message": {"text": message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}
                    }
                }],
            })
        })
        .collect();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "hush",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
        "invocations": [{
            "executionSuccessful": report.errors.is_empty(),
            "toolExecutionNotifications": notifications,
        }],
    });
    if let Some(root) = root {
        let mut uri = format!("file://{}", uri_path(root));
        if !uri.ends_with('/') {
            uri.push('/');
        }
        run["originalUriBaseIds"] = json!({"%SRCROOT%": {"uri": uri}});
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    })
}

/// Percent-encodes a relative path as a URI reference (SARIF
/// `artifactLocation.uri`), with `/` separators.
fn uri_path(p: &std::path::Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
