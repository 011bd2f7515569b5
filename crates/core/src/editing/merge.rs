//! Three-way merge of encrypted files (the git merge driver).
//!
//! The ancestor, ours and theirs are decrypted, their plaintext trees are
//! merged value by value, and theirs' changes are spliced into ours' text,
//! which is then re-encrypted with ours' data key: values that did not
//! change keep their exact ciphertext and IV, changed ones get new
//! ciphertext, and the MAC and `lastmodified` are renewed. A value changed
//! on both sides to different results is a conflict: only its key path is
//! reported, and nothing is written.
//!
//! Keys are not merged: the `sops:` key metadata is not covered by the
//! MAC, so anyone who can push could add a recipient (or drop one) on a
//! branch. Theirs must keep the ancestor's keys (or have ours' keys); any
//! other key change on theirs refuses the merge, naming the keys, and the
//! user merges by hand and runs `hush updatekeys` or `hush rotate`. Ours'
//! keys (the user's own working copy) are kept as they are.
//!
//! When either side's data key differs from the ancestor's (a side ran
//! `hush rotate`), the merged file gets a new data key, wrapped for ours'
//! keys, so that no earlier data key can read it.

use crate::editing::update::{open, Opened};
use crate::engine::document::{Ciphertext, DecryptOptions, Plaintext};
use crate::engine::format::Format;
use crate::engine::parsed::parse;
use crate::error::{Error, Result};
use crate::keys::Unwrapper;
use crate::metadata::Metadata;
use crate::path::Step;
use crate::stores::scalar::Resolved;
use crate::tree::{Item, Node};
use std::collections::{BTreeSet, HashMap};
use zeroize::Zeroizing;

/// What a merge produced.
#[derive(Debug)]
pub enum Outcome {
    /// The merged file, and whether its data key had to be rotated.
    Merged {
        /// The merged encrypted file.
        file: Ciphertext,
        /// A side had rotated the data key, so every value was
        /// re-encrypted under a new one.
        rotated: bool,
    },
    /// Values changed on both sides: their key paths (`["a"]["b"]`), never
    /// their values.
    Conflicts(Vec<String>),
}

/// Merges theirs into ours. `base` is `None` when the file has no common
/// ancestor (added on both sides).
pub async fn merge(
    base: Option<&Ciphertext>,
    ours: &Ciphertext,
    theirs: &Ciphertext,
    unwrappers: &[&dyn Unwrapper],
    opts: &DecryptOptions,
) -> Result<Outcome> {
    let o = open(ours, unwrappers, opts).await?;
    let t = open(theirs, unwrappers, opts).await?;
    let b = match base {
        Some(b) => Some(open(b, unwrappers, opts).await?),
        None => None,
    };
    check_keys(b.as_ref().map(Opened::metadata), o.metadata(), t.metadata())?;
    let empty = Plaintext::new(String::new(), ours.format);
    let base_plain = b.as_ref().map_or(&empty, Opened::plaintext);
    let merged = match merge_plaintext(base_plain, o.plaintext(), t.plaintext())? {
        Text::Merged(m) => m,
        Text::Conflicts(c) => return Ok(Outcome::Conflicts(c)),
    };
    let rotated = match &b {
        Some(b) => !b.same_data_key(&o) || !b.same_data_key(&t),
        None => !o.same_data_key(&t),
    };
    let file = if rotated {
        let groups = o.master_keys()?;
        o.seal_fresh(&merged, &groups, o.metadata().shamir_threshold)
            .await?
    } else {
        o.reseal(&merged)?
    };
    Ok(Outcome::Merged { file, rotated })
}

/// The merged plaintext, or the conflicting paths.
pub enum Text {
    /// Ours with theirs' changes.
    Merged(Plaintext),
    /// Paths changed differently on both sides.
    Conflicts(Vec<String>),
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Text::Merged(p) => write!(f, "Merged({p:?})"),
            Text::Conflicts(c) => write!(f, "Conflicts({c:?})"),
        }
    }
}

/// Three-way merge of plaintext files of one format: theirs' changes
/// relative to `base`, applied to ours' text.
pub fn merge_plaintext(base: &Plaintext, ours: &Plaintext, theirs: &Plaintext) -> Result<Text> {
    let (b, o, t) = (
        base.expose_bytes(),
        ours.expose_bytes(),
        theirs.expose_bytes(),
    );
    if t == b || t == o {
        return Ok(Text::Merged(copy(ours)));
    }
    if o == b {
        return Ok(Text::Merged(copy(theirs)));
    }
    if ours.format == Format::Binary {
        return Ok(Text::Conflicts(vec!["(the binary content)".into()]));
    }
    let pb = parse(base.expose(), base.format)?;
    let po = parse(ours.expose(), ours.format)?;
    let pt = parse(theirs.expose(), theirs.format)?;
    let docs = po.docs.len();
    if pt.docs.len() != docs || (pb.docs.len() != docs && !base.expose().trim().is_empty()) {
        return Ok(Text::Conflicts(vec!["(the number of documents)".into()]));
    }
    let mut edits = Vec::new();
    let mut conflicts = Vec::new();
    for d in 0..docs {
        let trees = Trees {
            b: &pb.anchors,
            o: &po.anchors,
            t: &pt.anchors,
        };
        let mut walk = Walk {
            doc: d,
            flat: matches!(ours.format, Format::Dotenv | Format::Ini),
            trees,
            path: Vec::new(),
            edits: &mut edits,
            conflicts: &mut conflicts,
        };
        let base_root = pb.docs.get(d).map(|x| &x.root);
        walk.node(base_root, Some(&po.docs[d].root), Some(&pt.docs[d].root));
    }
    if !conflicts.is_empty() {
        return Ok(Text::Conflicts(conflicts));
    }
    let mut plain = copy(ours);
    for e in &edits {
        plain = apply(&plain, e)?;
    }
    Ok(Text::Merged(plain))
}

fn copy(p: &Plaintext) -> Plaintext {
    Plaintext::from_bytes(p.expose_bytes().to_vec(), p.format).expect("already checked")
}

/// One change of theirs to carry into ours.
struct Edit {
    doc: usize,
    path: Vec<String>,
    /// Theirs' value, as typed JSON (YAML, JSON) or as text (dotenv, INI);
    /// `None` removes the key.
    value: Option<Zeroizing<String>>,
}

struct Trees<'a> {
    b: &'a HashMap<usize, Node>,
    o: &'a HashMap<usize, Node>,
    t: &'a HashMap<usize, Node>,
}

struct Walk<'a, 'e> {
    doc: usize,
    /// dotenv or INI: values are strings, edited per key.
    flat: bool,
    trees: Trees<'a>,
    path: Vec<String>,
    edits: &'e mut Vec<Edit>,
    conflicts: &'e mut Vec<String>,
}

impl<'a> Walk<'a, '_> {
    fn node(&mut self, b: Option<&'a Node>, o: Option<&'a Node>, t: Option<&'a Node>) {
        let (b, o, t) = (
            b.map(|n| resolve(n, self.trees.b)),
            o.map(|n| resolve(n, self.trees.o)),
            t.map(|n| resolve(n, self.trees.t)),
        );
        let (tb, to, tt) = (self.trees.b, self.trees.o, self.trees.t);
        if same(o, to, t, tt) || same(b, tb, t, tt) {
            return;
        }
        let t_map = matches!(t, Some(Node::Map(_)));
        // dotenv and INI edits are per key, so a section of theirs is walked.
        if same(b, tb, o, to) && !self.path.is_empty() && !(self.flat && t_map) {
            let value = t.map(|n| match n {
                Node::Leaf(l) if self.flat => Zeroizing::new(l.text.to_string()),
                _ => Zeroizing::new(typed_json(n, tt)),
            });
            self.edits.push(Edit {
                doc: self.doc,
                path: self.path.clone(),
                value,
            });
            return;
        }
        let maps = [b, o, t].map(|n| match n {
            None => Some(&[][..]),
            Some(Node::Map(m)) => Some(&m[..]),
            _ => None,
        });
        let o_map = matches!(o, Some(Node::Map(_)));
        match maps {
            [Some(bm), Some(om), Some(tm)] if t_map && (o_map || self.flat) => {
                let mut keys: Vec<&str> = Vec::new();
                for i in om.iter().chain(tm.iter()).chain(bm.iter()) {
                    if let Some(k) = i.key.as_deref() {
                        if !keys.contains(&k) {
                            keys.push(k);
                        }
                    }
                }
                for k in keys {
                    self.path.push(k.to_string());
                    self.node(child(bm, k), child(om, k), child(tm, k));
                    self.path.pop();
                }
            }
            _ => self.conflicts.push(self.shown()),
        }
    }

    fn shown(&self) -> String {
        let p: String = self.path.iter().map(|k| format!("[{k:?}]")).collect();
        let p = if p.is_empty() {
            "(the whole document)".into()
        } else {
            p
        };
        match self.doc {
            0 => p,
            n => format!("document {}: {p}", n + 1),
        }
    }
}

fn child<'a>(items: &'a [Item], key: &str) -> Option<&'a Node> {
    items
        .iter()
        .find(|i| i.key.as_deref() == Some(key))
        .map(|i| &i.node)
}

fn resolve<'a>(n: &'a Node, anchors: &'a HashMap<usize, Node>) -> &'a Node {
    match n {
        Node::Alias(id, _) => anchors.get(id).map_or(n, |t| resolve(t, anchors)),
        _ => n,
    }
}

fn is_comment(n: &Node) -> bool {
    matches!(n, Node::Leaf(l) if l.is_comment())
}

/// Whether two values are equal: same scalars of the same type, maps with
/// the same keys (in any order), lists item by item; comments ignored.
fn same(
    a: Option<&Node>,
    aa: &HashMap<usize, Node>,
    b: Option<&Node>,
    ba: &HashMap<usize, Node>,
) -> bool {
    let (a, b) = match (a, b) {
        (None, None) => return true,
        (Some(a), Some(b)) => (resolve(a, aa), resolve(b, ba)),
        _ => return false,
    };
    let values = |items: &'_ [Item]| -> Vec<(Option<String>, usize)> {
        items
            .iter()
            .enumerate()
            .filter(|(_, i)| !is_comment(&i.node))
            .map(|(n, i)| (i.key.clone(), n))
            .collect()
    };
    match (a, b) {
        (Node::Leaf(x), Node::Leaf(y)) => {
            let t = |r: Option<Resolved>| r.map(|r| r == Resolved::Str);
            x.text.as_str() == y.text.as_str()
                && (x.resolved == y.resolved
                    || t(x.resolved) == t(y.resolved) && x.resolved != Some(Resolved::Null))
        }
        (Node::Map(x), Node::Map(y)) => {
            let (vx, vy) = (values(x), values(y));
            vx.len() == vy.len()
                && vx.iter().all(|(k, n)| {
                    let k = k.as_deref().unwrap_or("");
                    same(Some(&x[*n].node), aa, child(y, k), ba)
                })
        }
        (Node::Seq(x), Node::Seq(y)) => {
            let (vx, vy) = (values(x), values(y));
            vx.len() == vy.len()
                && vx
                    .iter()
                    .zip(&vy)
                    .all(|((_, i), (_, j))| same(Some(&x[*i].node), aa, Some(&y[*j].node), ba))
        }
        _ => false,
    }
}

/// A value as typed JSON, as `patch::set` takes it.
fn typed_json(n: &Node, anchors: &HashMap<usize, Node>) -> String {
    match n {
        Node::Leaf(_) => crate::stores::emit::scalar_json(n),
        _ => crate::stores::emit::render(n, anchors, Format::Json),
    }
}

/// Applies one edit to ours' text.
fn apply(plain: &Plaintext, e: &Edit) -> Result<Plaintext> {
    match plain.format {
        Format::Yaml | Format::Json => {
            let steps: Vec<Step> = e.path.iter().cloned().map(Step::Key).collect();
            match &e.value {
                Some(v) => crate::editing::patch::set(plain, e.doc, &steps, v),
                None => crate::editing::patch::unset(plain, e.doc, &steps),
            }
        }
        Format::Dotenv | Format::Ini => {
            crate::editing::merge_flat::apply(plain, &e.path, e.value.as_ref().map(|v| v.as_str()))
        }
        Format::Binary => Err(Error::Unsupported("binary files merge as a whole".into())),
    }
}

fn key_sets(m: &Metadata) -> Vec<BTreeSet<String>> {
    m.groups
        .iter()
        .map(|g| g.keys.iter().map(|k| k.describe()).collect())
        .collect()
}

/// Refuses key changes on theirs: theirs must have the ancestor's keys
/// (ours' without an ancestor), or exactly ours'.
fn check_keys(base: Option<&Metadata>, ours: &Metadata, theirs: &Metadata) -> Result<()> {
    let reference = base.unwrap_or(ours);
    let same = |a: &Metadata, b: &Metadata| {
        key_sets(a) == key_sets(b) && a.shamir_threshold == b.shamir_threshold
    };
    if same(theirs, reference) || same(theirs, ours) {
        return Ok(());
    }
    let (r, t) = (key_sets(reference), key_sets(theirs));
    let all = |g: &[BTreeSet<String>]| g.iter().flatten().cloned().collect::<BTreeSet<_>>();
    let (r_all, t_all) = (all(&r), all(&t));
    let mut changes: Vec<String> = Vec::new();
    let added: Vec<&String> = t_all.difference(&r_all).collect();
    let removed: Vec<&String> = r_all.difference(&t_all).collect();
    let list = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    if !added.is_empty() {
        changes.push(format!("added {}", list(&added)));
    }
    if !removed.is_empty() {
        changes.push(format!("removed {}", list(&removed)));
    }
    if changes.is_empty() {
        changes.push("changed the key groups or their threshold".into());
    }
    let side = if base.is_some() {
        "the other branch changed the file's keys"
    } else {
        "the other branch's file has other keys"
    };
    Err(Error::MergeRefused(format!(
        "{side} ({}); a merge never takes key changes, as the keys are not covered by the MAC: merge the values by hand, then run `hush updatekeys` or `hush rotate` yourself",
        changes.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Plaintext {
        Plaintext::new(s.into(), Format::Yaml)
    }

    fn merged(b: &str, o: &str, t: &str, f: Format) -> String {
        let p = |s: &str| Plaintext::new(s.into(), f);
        match merge_plaintext(&p(b), &p(o), &p(t)).unwrap() {
            Text::Merged(m) => m.expose().to_string(),
            Text::Conflicts(c) => panic!("conflicts: {c:?}"),
        }
    }

    #[test]
    fn changes_to_different_values_merge_into_ours_text() {
        let b = "# db\ndb:\n  user: admin # who\n  password: old\nport: 1\n";
        let o = "# db\ndb:\n  user: root # who\n  password: old\nport: 1\n";
        let t = "# db\ndb:\n  user: admin # who\n  password: new\nport: 1\nextra: x\n";
        assert_eq!(
            merged(b, o, t, Format::Yaml),
            "# db\ndb:\n  user: root # who\n  password: new\nport: 1\nextra: x\n"
        );
        let t2 = "# db\ndb:\n  user: admin # who\n  password: old\n";
        assert_eq!(
            merged(b, o, t2, Format::Yaml),
            "# db\ndb:\n  user: root # who\n  password: old\n"
        );
    }

    #[test]
    fn a_type_change_is_a_change() {
        assert_eq!(
            merged(
                "a: 1\nb: x\n",
                "a: 1\nb: y\n",
                "a: \"1\"\nb: x\n",
                Format::Yaml
            ),
            "a: \"1\"\nb: y\n"
        );
    }

    #[test]
    fn the_same_value_changed_differently_is_a_conflict_named_by_path_only() {
        let r = merge_plaintext(
            &y("a:\n  p: old\nq: 1\n"),
            &y("a:\n  p: ours-secret\nq: 1\n"),
            &y("a:\n  p: theirs-secret\nq: 2\n"),
        )
        .unwrap();
        let Text::Conflicts(c) = r else {
            panic!("merged")
        };
        assert_eq!(c, vec![r#"["a"]["p"]"#.to_string()]);
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"));
    }

    fn meta(groups: &[&[&str]]) -> Metadata {
        use crate::metadata::{AgeEntry, KeyEntry, KeyGroup};
        Metadata {
            groups: groups
                .iter()
                .map(|g| KeyGroup {
                    keys: g
                        .iter()
                        .map(|r| {
                            KeyEntry::Age(AgeEntry {
                                recipient: r.to_string(),
                                enc: String::new(),
                            })
                        })
                        .collect(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn key_changes_on_theirs_are_refused_and_ours_are_kept() {
        let b = meta(&[&["a", "b"]]);
        let refused = |r: Result<()>| match r {
            Err(Error::MergeRefused(m)) => m,
            other => panic!("not refused: {other:?}"),
        };
        // Theirs added c: refused, naming it.
        let m = refused(check_keys(Some(&b), &b, &meta(&[&["a", "b", "c"]])));
        assert!(m.contains("added age c") && !m.contains("removed"), "{m}");
        // Theirs removed b: refused too.
        let m = refused(check_keys(Some(&b), &b, &meta(&[&["a"]])));
        assert!(m.contains("removed age b"), "{m}");
        // A new group on theirs.
        let m = refused(check_keys(Some(&b), &b, &meta(&[&["a", "b"], &[]])));
        assert!(m.contains("key groups"), "{m}");
        // Ours changed keys, theirs did not: ours is kept.
        assert!(check_keys(Some(&b), &meta(&[&["a", "d"]]), &b).is_ok());
        // Both made the same change: nothing is taken from theirs.
        let d = meta(&[&["a", "d"]]);
        assert!(check_keys(Some(&b), &d, &d).is_ok());
        // No ancestor: theirs must have ours' keys.
        assert!(check_keys(None, &b, &b).is_ok());
        let m = refused(check_keys(None, &b, &meta(&[&["a", "b", "y"]])));
        assert!(m.contains("added age y"), "{m}");
    }

    #[test]
    fn json_merges_too() {
        let b = "{\n  \"a\": \"1\",\n  \"b\": \"2\"\n}\n";
        let o = "{\n  \"a\": \"x\",\n  \"b\": \"2\"\n}\n";
        let t = "{\n  \"a\": \"1\",\n  \"b\": \"y\"\n}\n";
        assert_eq!(
            merged(b, o, t, Format::Json),
            "{\n  \"a\": \"x\",\n  \"b\": \"y\"\n}\n"
        );
    }
}
