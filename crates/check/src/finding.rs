//! What a check produces: findings, notes about files it could only check
//! partly, and errors that make the result incomplete.

use crate::rules::Rule;
use std::path::PathBuf;

/// One problem at one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What is wrong.
    pub rule: Rule,
    /// The file, as the user named it or as the walk found it.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong here, naming keys but never values.
    pub message: String,
    /// How to fix this finding.
    pub fix: String,
    /// Set when a reviewed suppression covers the finding.
    pub suppressed: Option<Suppression>,
}

impl Finding {
    /// A finding with the rule's generic fix hint.
    pub fn new(rule: Rule, path: PathBuf, line: usize, column: usize, message: String) -> Self {
        Finding {
            rule,
            path,
            line,
            column,
            message,
            fix: rule.help().to_string(),
            suppressed: None,
        }
    }

    /// Replaces the fix hint with one specific to this finding.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }
}

/// Where a suppression came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuppressionKind {
    /// A `# hush:allow` comment in the file.
    InSource,
    /// An `allow:` entry of `.hush-check.yaml`.
    Config,
}

/// A reviewed reason to accept a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// Where it was written.
    pub kind: SuppressionKind,
    /// The reviewer-facing reason.
    pub reason: String,
}

/// Something the user should know that is not a finding: a file checked
/// only leniently, or skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The file it is about.
    pub path: PathBuf,
    /// What happened.
    pub message: String,
}

/// A file that could not be checked; the result is incomplete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// Why, in one line.
    pub message: String,
}

/// Everything one run found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Findings, sorted by path, line, column and rule; suppressed ones included.
    pub findings: Vec<Finding>,
    /// Notes, sorted by path.
    pub notes: Vec<Note>,
    /// Files that could not be read.
    pub errors: Vec<FileError>,
    /// How many files were looked at.
    pub files_checked: usize,
}

impl Report {
    /// Findings not covered by a suppression.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    /// `0` clean, `1` findings, `2` when a file could not be checked.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            2
        } else if self.active().next().is_some() {
            1
        } else {
            0
        }
    }

    pub(crate) fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.path, a.line, a.column, a.rule).cmp(&(&b.path, b.line, b.column, b.rule))
        });
        self.findings.dedup();
        self.notes.sort_by(|a, b| a.path.cmp(&b.path));
        self.errors.sort_by(|a, b| a.path.cmp(&b.path));
    }
}
