//! `--format json`: one object with every finding (suppressed ones carry
//! their suppression), the notes, the errors and a summary.

use crate::finding::{Report, SuppressionKind};
use serde_json::{json, Value};

/// The report as JSON.
pub fn json(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "rule": f.rule.id(),
                "level": f.rule.level().as_str(),
                "path": f.path.to_string_lossy(),
                "line": f.line,
                "column": f.column,
                "message": f.message,
                "fix": f.fix,
                "suppressed": f.suppressed.as_ref().map(|s| json!({
                    "kind": match s.kind {
                        SuppressionKind::InSource => "inline",
                        SuppressionKind::Config => "config",
                    },
                    "reason": s.reason,
                })),
            })
        })
        .collect();
    let notes: Vec<Value> = report
        .notes
        .iter()
        .map(|n| json!({"path": n.path.to_string_lossy(), "message": n.message}))
        .collect();
    let errors: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({"path": e.path.to_string_lossy(), "message": e.message}))
        .collect();
    json!({
        "version": 1,
        "files_checked": report.files_checked,
        "findings": findings,
        "active": report.active().count(),
        "suppressed": report.findings.len() - report.active().count(),
        "notes": notes,
        "errors": errors,
        "exit_code": report.exit_code(),
    })
}
