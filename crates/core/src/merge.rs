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
//! Recipients merge the same way: what either side added is added, what
//! either side removed is removed. When that leaves out a key ours was
//! encrypted to, the data key is rotated, so the removed key cannot read
//! the merged values. Different numbers of key groups, or thresholds, are
//! refused as ambiguous.

use crate::engine::{parse, Ciphertext, DecryptOptions, Format, KeyGroups, Plaintext};
use crate::error::{Error, Result};
use crate::keys::Unwrapper;
use crate::metadata::Metadata;
use crate::path::Step;
use crate::scalar::Resolved;
use crate::tree::{Item, Node};
use crate::update::{open, Opened};
use std::collections::{BTreeSet, HashMap};
use zeroize::Zeroizing;

/// What a merge produced.
#[derive(Debug)]
pub enum Outcome {
    /// The merged file, and whether its data key had to be rotated.
    Merged {
        /// The merged encrypted file.
        file: Ciphertext,
        /// A recipient was removed, so every value was re-encrypted under
        /// a new data key.
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
    let empty = Plaintext::new(String::new(), ours.format);
    let base_plain = b.as_ref().map_or(&empty, Opened::plaintext);
    let merged = match merge_plaintext(base_plain, o.plaintext(), t.plaintext())? {
        Text::Merged(m) => m,
        Text::Conflicts(c) => return Ok(Outcome::Conflicts(c)),
    };
    let meta_b = b.as_ref().map(Opened::metadata);
    match merge_keys(meta_b, o.metadata(), t.metadata())? {
        Keys::Ours => Ok(Outcome::Merged {
            file: o.reseal(&merged)?,
            rotated: false,
        }),
        Keys::Rewrap(groups) => {
            let groups = key_objects(&groups, &o, &t)?;
            let threshold = o.metadata().shamir_threshold;
            Ok(Outcome::Merged {
                file: o.reseal_with_keys(&merged, &groups, threshold).await?,
                rotated: false,
            })
        }
        Keys::Rotate(groups) => {
            let groups = key_objects(&groups, &o, &t)?;
            let threshold = o.metadata().shamir_threshold;
            let reopened = o.reseal(&merged)?;
            let again = open(&reopened, unwrappers, opts).await?;
            Ok(Outcome::Merged {
                file: again.rotate(&groups, threshold).await?,
                rotated: true,
            })
        }
    }
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
        Node::Alias(id) => anchors.get(id).map_or(n, |t| resolve(t, anchors)),
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
        Node::Leaf(_) => crate::path::scalar_json(n),
        _ => crate::path::render(n, anchors, Format::Json),
    }
}

/// Applies one edit to ours' text.
fn apply(plain: &Plaintext, e: &Edit) -> Result<Plaintext> {
    match plain.format {
        Format::Yaml | Format::Json => {
            let steps: Vec<Step> = e.path.iter().cloned().map(Step::Key).collect();
            match &e.value {
                Some(v) => crate::patch::set(plain, e.doc, &steps, v),
                None => crate::patch::unset(plain, e.doc, &steps),
            }
        }
        Format::Dotenv | Format::Ini => {
            crate::merge_flat::apply(plain, &e.path, e.value.as_ref().map(|v| v.as_str()))
        }
        Format::Binary => Err(Error::Unsupported("binary files merge as a whole".into())),
    }
}

/// How the recipients merge.
enum Keys {
    /// Ours' keys, unchanged.
    Ours,
    /// The same data key wrapped for these keys (by description).
    Rewrap(Vec<Vec<String>>),
    /// A key ours was encrypted to is gone: a new data key for these.
    Rotate(Vec<Vec<String>>),
}

fn key_sets(m: &Metadata) -> Vec<BTreeSet<String>> {
    m.groups
        .iter()
        .map(|g| g.keys.iter().map(|k| k.describe()).collect())
        .collect()
}

/// Merges the key groups: additions and removals of either side.
fn merge_keys(base: Option<&Metadata>, ours: &Metadata, theirs: &Metadata) -> Result<Keys> {
    let (o, t) = (key_sets(ours), key_sets(theirs));
    // Without an ancestor, only keys on both sides are "kept": the rest were added.
    let b = base.map(key_sets).unwrap_or_else(|| {
        if o.len() != t.len() {
            return o.clone();
        }
        o.iter()
            .zip(&t)
            .map(|(x, y)| x.intersection(y).cloned().collect())
            .collect()
    });
    if t == b || t == o {
        return Ok(Keys::Ours);
    }
    let thresholds = [
        base.map_or(ours.shamir_threshold, |m| m.shamir_threshold),
        ours.shamir_threshold,
        theirs.shamir_threshold,
    ];
    if o.len() != t.len() || b.len() != o.len() || thresholds.iter().any(|x| *x != thresholds[0]) {
        return Err(Error::Unsupported(
            "both sides changed the key groups or their threshold differently; merge the keys by hand (hush updatekeys) and retry".into(),
        ));
    }
    let mut removed_from_ours = false;
    let mut groups = Vec::with_capacity(o.len());
    for ((bg, og), tg) in b.iter().zip(&o).zip(&t) {
        let kept: BTreeSet<String> = og
            .iter()
            .filter(|k| tg.contains(*k) || !bg.contains(*k))
            .chain(tg.iter().filter(|k| !bg.contains(*k)))
            .cloned()
            .collect();
        removed_from_ours |= og.iter().any(|k| !kept.contains(k));
        if kept.is_empty() {
            return Err(Error::Unsupported(
                "the merged key group would be empty; merge the keys by hand".into(),
            ));
        }
        groups.push(kept);
    }
    let groups: Vec<Vec<String>> = groups
        .into_iter()
        .map(|g| g.into_iter().collect())
        .collect();
    if groups
        .iter()
        .map(|g| g.iter().collect::<BTreeSet<_>>())
        .eq(o.iter().map(|g| g.iter().collect()))
    {
        return Ok(Keys::Ours);
    }
    Ok(if removed_from_ours {
        Keys::Rotate(groups)
    } else {
        Keys::Rewrap(groups)
    })
}

/// The key objects for described keys, from ours' or theirs' metadata.
fn key_objects(groups: &[Vec<String>], o: &Opened, t: &Opened) -> Result<KeyGroups> {
    let mut known = HashMap::new();
    for side in [o, t] {
        for (meta_group, objects) in side.metadata().groups.iter().zip(side.master_keys()?) {
            for (entry, object) in meta_group.keys.iter().zip(objects) {
                known.entry(entry.describe()).or_insert(object);
            }
        }
    }
    Ok(groups
        .iter()
        .map(|g| g.iter().filter_map(|k| known.get(k).cloned()).collect())
        .collect())
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
            shamir_threshold: None,
            lastmodified: String::new(),
            mac: String::new(),
            version: String::new(),
            selector: Default::default(),
            mac_only_encrypted: false,
        }
    }

    fn described(k: Keys) -> (&'static str, Vec<Vec<String>>) {
        match k {
            Keys::Ours => ("ours", vec![]),
            Keys::Rewrap(g) => ("rewrap", g),
            Keys::Rotate(g) => ("rotate", g),
        }
    }

    #[test]
    fn recipients_merge_additions_and_removals_and_rotate_on_removal() {
        let k = |g: &[&str]| g.iter().map(|r| format!("age {r}")).collect::<Vec<_>>();
        let b = meta(&[&["a", "b"]]);
        // Theirs added c, ours added d: both.
        let r = merge_keys(
            Some(&b),
            &meta(&[&["a", "b", "d"]]),
            &meta(&[&["a", "b", "c"]]),
        );
        assert_eq!(
            described(r.unwrap()),
            ("rewrap", vec![k(&["a", "b", "c", "d"])])
        );
        // Theirs removed b: the data key must change.
        let r = merge_keys(Some(&b), &meta(&[&["a", "b", "d"]]), &meta(&[&["a"]]));
        assert_eq!(described(r.unwrap()), ("rotate", vec![k(&["a", "d"])]));
        // Theirs unchanged: ours.
        let r = merge_keys(Some(&b), &meta(&[&["a"]]), &b);
        assert_eq!(described(r.unwrap()).0, "ours");
        // No ancestor: a union.
        let r = merge_keys(None, &meta(&[&["a", "x"]]), &meta(&[&["a", "y"]]));
        assert_eq!(described(r.unwrap()), ("rewrap", vec![k(&["a", "x", "y"])]));
        // A new key group on one side and a change on the other: ambiguous.
        let r = merge_keys(Some(&b), &meta(&[&["a", "b"], &["z"]]), &meta(&[&["a"]]));
        assert!(r.is_err());
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
