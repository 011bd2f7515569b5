//! The SARIF output validates against the SARIF 2.1.0 JSON schema.
//!
//! `sarif/sarif-2.1.0-rtm.5.json` is the SARIF 2.1.0 schema (rtm.5) as
//! shipped in the npm package `@microsoft/jest-sarif` 1.0.0-beta.0 (MIT),
//! file `lib/schemas/sarif-2.1.0-rtm.5.json`; see `sarif/README.md`.

use hush_check::{output, Finding, Note, Report, Rule, Suppression, SuppressionKind};
use serde_json::Value;

/// The stray `]` in the language-tag patterns of rtm.5.
const BAD_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";

/// Escapes the stray `]` of [`BAD_PATTERN`] wherever it is used.
fn fix_patterns(v: &mut Value, fixed: &mut usize) {
    match v {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if k == "pattern" && v == BAD_PATTERN {
                    *v = Value::from(BAD_PATTERN.replace("]?$", "\\]?$"));
                    *fixed += 1;
                } else {
                    fix_patterns(v, fixed);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| fix_patterns(v, fixed)),
        _ => {}
    }
}

/// The schema, with one fix made in memory: the language-tag pattern
/// `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$` has a stray `]`, a literal in
/// ECMA-262 but an error for Rust's regex engines, so the schema would fail
/// the meta-schema's `format: regex`. Escaping it keeps its meaning and
/// every other check.
fn schema() -> Value {
    let text = include_str!("sarif/sarif-2.1.0-rtm.5.json");
    let mut schema: Value = serde_json::from_str(text).unwrap();
    let mut fixed = 0;
    fix_patterns(&mut schema, &mut fixed);
    assert!(
        fixed > 0,
        "the vendored schema changed; revisit fix_patterns"
    );
    schema
}

fn sample() -> Report {
    let mut suppressed = Finding::new(
        Rule::PlaintextSecret,
        "examples/demo secret.yaml".into(),
        5,
        1,
        "Secret `x` has 1 plaintext value in `stringData`".into(),
    );
    suppressed.suppressed = Some(Suppression {
        kind: SuppressionKind::InSource,
        reason: "demo values".into(),
    });
    Report {
        findings: vec![
            Finding::new(
                Rule::UnencryptedFile,
                "secrets/plain.yaml".into(),
                1,
                1,
                "not encrypted".into(),
            ),
            suppressed,
        ],
        notes: vec![Note {
            path: "charts/t.yaml".into(),
            message: "Go template: checked line by line".into(),
        }],
        errors: Vec::new(),
        files_checked: 3,
    }
}

#[test]
fn sarif_output_is_valid_against_the_2_1_0_schema() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let log = output::sarif(&sample(), Some(std::path::Path::new("/work/repo")));
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And an empty report, with no base URI.
    let empty = output::sarif(&Report::default(), None);
    assert!(validator.is_valid(&empty));
}

#[test]
fn the_schema_check_rejects_a_broken_log() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let mut log = output::sarif(&sample(), None);
    log["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&log));
}

#[test]
fn sarif_carries_rules_with_help_and_relative_locations() {
    let log = output::sarif(&sample(), None);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Rule::ALL.len());
    assert!(rules
        .iter()
        .all(|r| r["help"]["text"].as_str().is_some_and(|t| !t.is_empty())));
    let r0 = &run["results"][0];
    assert_eq!(r0["ruleId"], "unencrypted-file");
    assert_eq!(
        rules[r0["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "unencrypted-file"
    );
    let loc = &r0["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "secrets/plain.yaml");
    assert_eq!(loc["region"]["startLine"], 1);
    assert_eq!(
        run["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "examples/demo%20secret.yaml"
    );
    assert_eq!(run["results"][1]["suppressions"][0]["kind"], "inSource");
}
