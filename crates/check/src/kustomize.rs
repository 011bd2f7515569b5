//! kustomize `secretGenerator` (in a kustomization, or a `kind:
//! SecretGenerator` file named under `generators:`): literals, and env
//! files or files it turns into Secrets; and every file a kustomization
//! reads as manifests (`resources`, `generators`, `components`, patches),
//! whatever its name.
//!
//! Literals are reported where they are written. Referenced files are
//! reported in the file, and only when this run checks that file too, so a
//! gitignored env file that CI writes at deploy time is not a finding.

use crate::yaml::{Node, Pos};
use std::path::{Component, Path, PathBuf};

/// File names kustomize reads as a kustomization.
pub(crate) fn is_kustomization(name: &str) -> bool {
    matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

/// A generator with plaintext literals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Literals {
    pub generator: String,
    /// The first plaintext literal.
    pub pos: Pos,
    pub keys: Vec<String>,
}

/// How a generator uses a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefKind {
    /// `envs:`/`env:`: `KEY=value` lines.
    Env,
    /// `files:`: the whole file is one value.
    File,
    /// Read as manifests (`resources:`, `generators:`, patches…).
    Manifest,
}

/// A file a generator reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileRef {
    /// Absolute, lexically normalised.
    pub target: PathBuf,
    pub kind: RefKind,
    pub generator: String,
    /// The kustomization that names it.
    pub from: PathBuf,
}

/// Fields of a kustomization that name files read as manifests.
const MANIFEST_FIELDS: [&str; 6] = [
    "resources",
    "generators",
    "components",
    "transformers",
    "patchesStrategicMerge",
    "bases",
];

/// Reads the `secretGenerator` list of a kustomization, and the files it
/// reads as manifests.
pub(crate) fn generators(
    docs: &[Node<'_>],
    dir_abs: &Path,
    from: &Path,
) -> (Vec<Literals>, Vec<FileRef>) {
    let mut lits = Vec::new();
    let mut refs = Vec::new();
    let Some(k) = docs.first() else {
        return (lits, refs);
    };
    let mut manifest = |p: &str| {
        // URLs and inline patches are not files here.
        if !p.contains("://") && !p.contains('\n') && !p.starts_with("git@") {
            refs.push(FileRef {
                target: normalize(&dir_abs.join(p)),
                kind: RefKind::Manifest,
                generator: String::new(),
                from: from.to_path_buf(),
            });
        }
    };
    for field in MANIFEST_FIELDS {
        if let Some(Node::Seq(items, _)) = k.get(field) {
            items
                .iter()
                .filter_map(Node::as_str)
                .for_each(&mut manifest);
        }
    }
    for field in ["patches", "patchesJson6902"] {
        if let Some(Node::Seq(items, _)) = k.get(field) {
            for i in items {
                match i.get("path").and_then(Node::as_str) {
                    Some(p) => manifest(p),
                    None => {
                        if let Some(p) = i.as_str() {
                            manifest(p)
                        }
                    }
                }
            }
        }
    }
    if let Some(Node::Seq(gens, _)) = k.get("secretGenerator") {
        for g in gens {
            let name = g.get("name").and_then(Node::as_str);
            generator(g, name, dir_abs, from, &mut lits, &mut refs);
        }
    }
    (lits, refs)
}

/// Reads the documents of a file that are `kind: SecretGenerator`
/// (kustomize's generator plugin config).
pub(crate) fn generator_docs(
    docs: &[Node<'_>],
    dir_abs: &Path,
    from: &Path,
) -> (Vec<Literals>, Vec<FileRef>) {
    let (mut lits, mut refs) = (Vec::new(), Vec::new());
    for d in docs {
        if crate::secret::kind_of(d) == Some("SecretGenerator") {
            let name = d
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Node::as_str);
            generator(d, name, dir_abs, from, &mut lits, &mut refs);
        }
    }
    (lits, refs)
}

/// One secret generator: its plaintext literals and the files it reads.
fn generator(
    g: &Node<'_>,
    name: Option<&str>,
    dir_abs: &Path,
    from: &Path,
    lits: &mut Vec<Literals>,
    refs: &mut Vec<FileRef>,
) {
    {
        let name = name.unwrap_or("(unnamed)").to_string();
        if let Some(Node::Seq(items, _)) = g.get("literals") {
            let plain: Vec<(&str, Pos)> = items
                .iter()
                .filter_map(|i| match i {
                    Node::Scalar(s) => {
                        let (k, v) = s.text.split_once('=')?;
                        (!v.is_empty()).then_some((k, s.pos))
                    }
                    _ => None,
                })
                .collect();
            if let Some((_, pos)) = plain.first() {
                lits.push(Literals {
                    generator: name.clone(),
                    pos: *pos,
                    keys: plain.iter().map(|(k, _)| k.to_string()).collect(),
                });
            }
        }
        let mut add = |node: Option<&Node<'_>>, kind| {
            let paths: Vec<&str> = match node {
                Some(Node::Seq(items, _)) => items.iter().filter_map(Node::as_str).collect(),
                Some(Node::Scalar(s)) => vec![&s.text],
                _ => Vec::new(),
            };
            for p in paths {
                // `files:` entries may be `key=path`.
                let p = p.rsplit_once('=').map_or(p, |(_, p)| p);
                refs.push(FileRef {
                    target: normalize(&dir_abs.join(p)),
                    kind,
                    generator: name.clone(),
                    from: from.to_path_buf(),
                });
            }
        };
        add(g.get("envs"), RefKind::Env);
        add(g.get("env"), RefKind::Env);
        add(g.get("files"), RefKind::File);
    }
}

/// Removes `.` and `..` without touching the file system.
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// The first `KEY=value` line with a value, as (1-based line, key).
pub(crate) fn first_env_value(text: &str) -> Option<(usize, String)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let l = l.trim();
        if l.starts_with('#') {
            return None;
        }
        let (k, v) = l.split_once('=')?;
        let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
        (!v.is_empty()).then(|| (i + 1, k.trim().to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    #[test]
    fn literals_and_file_references_are_read() {
        let k = "secretGenerator:\n- name: db\n  literals:\n  - user=\n  - password=hunter2\n  envs:\n  - ../env/db.env\n  files:\n  - tls.key=certs/tls.key\n";
        let docs = parse(k).unwrap();
        let (lits, refs) = generators(
            &docs,
            Path::new("/r/app"),
            Path::new("app/kustomization.yaml"),
        );
        assert_eq!(lits[0].keys, vec!["password"]);
        assert_eq!(lits[0].pos.line, 5);
        assert_eq!(refs[0].target, PathBuf::from("/r/env/db.env"));
        assert_eq!(refs[1].target, PathBuf::from("/r/app/certs/tls.key"));
        assert_eq!(refs[1].kind, RefKind::File);
        assert_eq!(first_env_value("# c\nA=\nB=x\n"), Some((3, "B".into())));
    }
}
