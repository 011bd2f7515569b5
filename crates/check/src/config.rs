//! `.hush-check.yaml`: which rules run, which paths are skipped, and
//! path-based suppressions, each with a reason.
//!
//! ```yaml
//! enable: [likely-secret]
//! disable:
//!   - rule: stale-recipients
//!     reason: keys are rotated by a scheduled job, not per commit
//! exclude:
//!   - paths: ["vendor/**"]
//!     reason: third-party code, checked upstream
//! allow:
//!   - rule: plaintext-secret
//!     paths: ["tests/fixtures/**"]
//!     reason: fake values used by the test suite
//! ```

use crate::error::Error;
use crate::rules::{Rule, RuleSet};
use crate::yaml::{self, Node, Pos};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

/// The file name looked for from the working directory upwards.
pub const FILE_NAME: &str = ".hush-check.yaml";

/// A path suppression from the config.
#[derive(Clone, Debug)]
pub struct PathAllow {
    /// The rule it covers.
    pub rule: Rule,
    /// Globs, relative to the config's directory.
    pub globs: GlobSet,
    /// Why.
    pub reason: String,
}

/// A malformed `allow:` entry, reported as `invalid-suppression`.
#[derive(Clone, Debug)]
pub struct InvalidAllow {
    /// Where the entry starts in the config file.
    pub line: usize,
    /// Column of the entry.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// A parsed `.hush-check.yaml`.
#[derive(Clone, Debug, Default)]
pub struct CheckConfig {
    /// Where it was read from; paths in it are relative to its directory.
    pub path: Option<PathBuf>,
    /// Rules turned on beyond the defaults.
    pub enable: Vec<Rule>,
    /// Rules turned off.
    pub disable: Vec<Rule>,
    /// Paths never checked.
    pub exclude: Option<GlobSet>,
    /// Path suppressions.
    pub allow: Vec<PathAllow>,
    /// Broken suppressions.
    pub invalid: Vec<InvalidAllow>,
    /// The config's directory, absolute, for matching globs.
    dir: Option<PathBuf>,
}

fn glob_set(path: &Path, globs: &[&str]) -> Result<GlobSet, Error> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob = GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| config_err(path, format!("glob `{g}`: {e}")))?;
        b.add(glob);
    }
    b.build()
        .map_err(|e| config_err(path, format!("globs: {e}")))
}

fn config_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Config {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn strings<'n>(node: Option<&'n Node<'_>>) -> Vec<&'n str> {
    match node {
        Some(Node::Seq(items, _)) => items.iter().filter_map(Node::as_str).collect(),
        Some(Node::Scalar(s)) if !s.is_null() => vec![&s.text],
        _ => Vec::new(),
    }
}

/// The map entries of a `disable:`/`exclude:` list that give a reason;
/// the others (a bare string, an empty reason) are reported and ignored.
fn reasoned<'n, 'a>(
    node: Option<&'n Node<'a>>,
    key: &str,
    invalid: &mut Vec<InvalidAllow>,
) -> Vec<(&'n Node<'a>, String)> {
    let items: Vec<&Node<'a>> = match node {
        Some(Node::Seq(items, _)) => items.iter().collect(),
        Some(n @ Node::Scalar(s)) if !s.is_null() => vec![n],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for e in items {
        let reason = e.get("reason").and_then(Node::as_str).unwrap_or("").trim();
        if reason.is_empty() {
            let Pos { line, col } = e.pos();
            let what = e.as_str().map_or(String::new(), |s| format!(" `{s}`"));
            invalid.push(InvalidAllow {
                line,
                column: col,
                message: format!(
                    "{key} entry{what} has no reason; write `- {{{}: …, reason: …}}`, a suppression must say why",
                    if key == "disable" { "rule" } else { "paths" }
                ),
            });
            continue;
        }
        out.push((e, reason.to_string()));
    }
    out
}

impl CheckConfig {
    /// Reads a config file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| config_err(path, e.to_string()))?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` anchors relative globs and names errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, Error> {
        let docs = yaml::parse(text).map_err(|e| {
            config_err(
                path,
                format!("line {}: invalid YAML: {}", e.pos.line, e.message),
            )
        })?;
        let mut cfg = CheckConfig {
            path: Some(path.to_path_buf()),
            dir: std::path::absolute(match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            })
            .ok(),
            ..Default::default()
        };
        let Some(root) = docs.first() else {
            return Ok(cfg);
        };
        let rules = |key: &str| -> Result<Vec<Rule>, Error> {
            strings(root.get(key))
                .into_iter()
                .map(|s| {
                    s.parse::<Rule>()
                        .map_err(|e| config_err(path, format!("{key}: {e}")))
                })
                .collect()
        };
        cfg.enable = rules("enable")?;
        // Turning a rule off or skipping paths hides findings: each entry
        // must say why, as a suppression does.
        for (e, _) in reasoned(root.get("disable"), "disable", &mut cfg.invalid) {
            let id = e.get("rule").and_then(Node::as_str).unwrap_or("");
            let rule = id
                .parse::<Rule>()
                .map_err(|err| config_err(path, format!("disable: {err}")))?;
            cfg.disable.push(rule);
        }
        let mut exclude = Vec::new();
        for (e, _) in reasoned(root.get("exclude"), "exclude", &mut cfg.invalid) {
            exclude.extend(strings(e.get("paths").or_else(|| e.get("path"))));
        }
        if !exclude.is_empty() {
            cfg.exclude = Some(glob_set(path, &exclude)?);
        }
        if let Some(Node::Seq(entries, _)) = root.get("allow") {
            for e in entries {
                let Pos { line, col } = e.pos();
                let mut invalid = |message: String| {
                    cfg.invalid.push(InvalidAllow {
                        line,
                        column: col,
                        message,
                    })
                };
                let id = e.get("rule").and_then(Node::as_str).unwrap_or("");
                let rule = match id.parse::<Rule>() {
                    Ok(r) => r,
                    Err(err) => {
                        invalid(format!("allow entry names an {err}"));
                        continue;
                    }
                };
                let reason = e.get("reason").and_then(Node::as_str).unwrap_or("").trim();
                if reason.is_empty() {
                    invalid(format!(
                        "allow entry for `{id}` has no reason; a suppression must say why"
                    ));
                    continue;
                }
                let paths = strings(e.get("paths").or_else(|| e.get("path")));
                if paths.is_empty() {
                    invalid(format!("allow entry for `{id}` lists no paths"));
                    continue;
                }
                cfg.allow.push(PathAllow {
                    rule,
                    globs: glob_set(path, &paths)?,
                    reason: reason.to_string(),
                });
            }
        }
        Ok(cfg)
    }

    /// Finds `.hush-check.yaml` from `start` upwards.
    pub fn find(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .take(100)
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file())
    }

    /// The rules that run under this config.
    pub fn apply(&self, set: &mut RuleSet) {
        self.enable.iter().for_each(|r| set.enable(*r));
        self.disable.iter().for_each(|r| set.disable(*r));
    }

    /// `path` (absolute) relative to the config's directory, for globs.
    fn relative<'p>(&self, abs: &'p Path) -> Option<&'p Path> {
        abs.strip_prefix(self.dir.as_deref()?).ok()
    }

    /// Whether `abs` is excluded from checking.
    pub fn excluded(&self, abs: &Path) -> bool {
        match (&self.exclude, self.relative(abs)) {
            (Some(ex), Some(rel)) => ex.is_match(rel),
            _ => false,
        }
    }

    /// The path suppression covering a finding of `rule` in `abs`.
    pub fn allowed(&self, rule: Rule, abs: &Path) -> Option<&PathAllow> {
        let rel = self.relative(abs)?;
        self.allow
            .iter()
            .find(|a| a.rule == rule && a.globs.is_match(rel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_entries_need_a_reason_and_globs_are_relative_to_the_config() {
        let t = "enable: [likely-secret]\nexclude:\n- {paths: [\"vendor/**\"], reason: upstream}\nallow:\n  - rule: plaintext-secret\n    paths: [\"fixtures/*.yaml\"]\n    reason: fake\n  - rule: private-key\n    paths: [\"x\"]\n";
        let cfg = CheckConfig::parse(t, Path::new("/repo/.hush-check.yaml")).unwrap();
        assert_eq!(cfg.enable, vec![Rule::LikelySecret]);
        assert!(cfg.excluded(Path::new("/repo/vendor/a/b.yaml")));
        assert!(!cfg.excluded(Path::new("/repo/src/b.yaml")));
        assert!(cfg
            .allowed(Rule::PlaintextSecret, Path::new("/repo/fixtures/s.yaml"))
            .is_some());
        assert!(cfg
            .allowed(
                Rule::PlaintextSecret,
                Path::new("/repo/fixtures/sub/s.yaml")
            )
            .is_none());
        assert_eq!(cfg.invalid.len(), 1);
        assert_eq!(cfg.invalid[0].line, 8);
        assert!(CheckConfig::parse("enable: [nope]\n", Path::new("c")).is_err());
    }

    #[test]
    fn disable_and_exclude_entries_without_a_reason_are_invalid_and_ignored() {
        let t = "disable:\n- private-key\n- {rule: stale-recipients, reason: ''}\n- {rule: broken-encryption, reason: rotated by a job}\nexclude: [\"vendor/**\"]\n";
        let cfg = CheckConfig::parse(t, Path::new("/repo/.hush-check.yaml")).unwrap();
        assert_eq!(cfg.disable, vec![Rule::BrokenEncryption]);
        assert!(!cfg.excluded(Path::new("/repo/vendor/a.yaml")));
        let lines: Vec<usize> = cfg.invalid.iter().map(|i| i.line).collect();
        assert_eq!(lines, vec![2, 3, 5]);
    }
}
