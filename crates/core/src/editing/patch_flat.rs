//! `set` and `unset` on dotenv and INI files, as sops 3.11 does them: a
//! dotenv value is `["KEY"]`, an INI value `["section"]["key"]` and a
//! section `["section"]` (set from a JSON object of scalars). A JSON number
//! or bool keeps its type, as sops stores it: a number reads back as a
//! float (`5.0`). What sops would write but then could not read (a nested
//! value, a null, a key holding `=`) is refused, and nothing is written.

use super::merge_flat::{self, find};
use super::patch::not_found;
use crate::engine::document::{FlatValue, Plaintext};
use crate::engine::format::Format;
use crate::engine::parsed::{flat_leaves, parse};
use crate::error::{Error, Result};
use crate::path::Step;
use crate::stores::scalar::Resolved;
use crate::tree::{aad, Item, Node};
use zeroize::Zeroizing;

/// Sets the value at `steps` to the JSON value `value`.
pub(super) fn set(plain: &Plaintext, steps: &[Step], value: Node) -> Result<Plaintext> {
    match (plain.format, keys(plain.format, steps)?.as_slice()) {
        (Format::Dotenv, [k]) => {
            dotenv_key(k)?;
            set_key(plain, &[k], &value)
        }
        (Format::Dotenv, [k, ..]) => Err(complex_env(k)),
        (Format::Ini, [_, ""]) | (Format::Ini, [""]) => Err(Error::Dump(
            "an INI key or section cannot be empty (go-ini refuses it)".into(),
        )),
        (Format::Ini, [section, k]) => set_key(plain, &[section, k], &value),
        (Format::Ini, [section]) => set_section(plain, section, &value),
        (Format::Ini, [_, k, ..]) => Err(nested(k)),
        _ => Err(Error::TreePath("an empty path".into())),
    }
}

/// Removes the value or INI section at `steps`.
pub(super) fn unset(plain: &Plaintext, steps: &[Step]) -> Result<Plaintext> {
    let keys = keys(plain.format, steps)?;
    let parsed = parse(plain.expose(), plain.format)?;
    let mut items: &[Item] = root(&parsed.docs.first().map(|d| &d.root));
    for (i, k) in keys.iter().enumerate() {
        let item = find(items, k).ok_or_else(|| not_found(&steps[i]))?;
        items = match &item.node {
            Node::Map(m) => m,
            _ if i + 1 < keys.len() => return Err(not_found(&steps[i + 1])),
            _ => &[],
        };
    }
    let path: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let out = merge_flat::apply(plain, &path, None)?;
    held(out, plain, &[], Some(&aad(&keys)))
}

/// The keys of a path; a flat file has no lists.
fn keys(fmt: Format, steps: &[Step]) -> Result<Vec<&str>> {
    if !matches!(fmt, Format::Dotenv | Format::Ini) {
        return Err(Error::Unsupported(format!(
            "set and unset do not work on {} files",
            fmt.name()
        )));
    }
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => Ok(k.as_str()),
            Step::Index(_) => Err(Error::TreePath(format!(
                "component {s} not found: a {} file has no lists",
                fmt.name()
            ))),
        })
        .collect()
}

fn root<'a>(node: &Option<&'a Node>) -> &'a [Item] {
    match node {
        Some(Node::Map(items)) => items,
        _ => &[],
    }
}

/// sops's words for a list or map in a dotenv file (exit 4).
fn complex_env(k: &str) -> Error {
    Error::Dump(format!(
        "cannot use complex value in dotenv file; offending key {k}"
    ))
}

fn nested(k: &str) -> Error {
    Error::Dump(format!(
        "cannot use a list or map as an INI value; offending key {k}"
    ))
}

/// A dotenv key sops would write but not read back is refused.
fn dotenv_key(k: &str) -> Result<()> {
    let why = if k.is_empty() {
        "an empty key"
    } else if k.contains(['=', '\n', '\r']) {
        "a key holding `=` or a line break"
    } else if k.starts_with('#') {
        "a key starting with `#`"
    } else if k.starts_with(crate::stores::dotenv::PREFIX) {
        "a key starting with `sops_` (the metadata's prefix)"
    } else {
        return Ok(());
    };
    Err(Error::Dump(format!(
        "cannot set {why} in a dotenv file: it would not read back"
    )))
}

/// A JSON scalar as a flat value: its text and, unless a string, its type.
fn scalar(value: &Node, key: &str, fmt: Format) -> Result<(Zeroizing<String>, Resolved)> {
    let Node::Leaf(l) = value else {
        return Err(match fmt {
            Format::Dotenv => complex_env(key),
            _ => nested(key),
        });
    };
    let t = match l.resolved.unwrap_or(Resolved::Str) {
        // JSON numbers are float64 to sops.
        Resolved::Int | Resolved::Float => Resolved::Float,
        Resolved::Null => {
            return Err(Error::Dump(format!(
                "cannot set null in a {} file: it would not read back; offending key {key}",
                fmt.name()
            )))
        }
        other => other,
    };
    Ok((Zeroizing::new(l.text.to_string()), t))
}

fn set_key(plain: &Plaintext, path: &[&str], value: &Node) -> Result<Plaintext> {
    let last = path.last().expect("a key");
    let (text, t) = scalar(value, last, plain.format)?;
    let owned: Vec<String> = path.iter().map(|k| k.to_string()).collect();
    let out = merge_flat::apply(plain, &owned, Some(&text))?;
    held(out, plain, &[(path.to_vec(), t, text)], None)
}

/// A value `set` writes: its path, type and text.
type NewFlat<'a> = (Vec<&'a str>, Resolved, Zeroizing<String>);

/// The edited text with the values it was given, each of which must read
/// back at its path, with no other value gained or lost: a key that the
/// format reads otherwise (`[k]`, `k:x`, `#k`, ` k`) is refused. The exact
/// values of `before` on other lines (and outside `cleared`) are kept.
fn held(
    out: Plaintext,
    before: &Plaintext,
    set: &[NewFlat],
    cleared: Option<&str>,
) -> Result<Plaintext> {
    let reads = values(&out)?;
    let old = values(before)?;
    let paths: Vec<String> = set.iter().map(|(p, _, _)| aad(p)).collect();
    let gone = |p: &str| cleared.is_some_and(|c| p.starts_with(c));
    let expected = old.iter().filter(|(p, _)| !gone(p)).count()
        + paths
            .iter()
            .filter(|p| !old.iter().any(|(o, _)| o == *p && !gone(o)))
            .count();
    let name = out.format.name();
    let wrong = || {
        Error::Dump(format!(
            "the key would not read back as written (a {name} file reads it otherwise); nothing was written"
        ))
    };
    if reads.len() != expected {
        return Err(wrong());
    }
    let kept: Vec<FlatValue> = before
        .exact()
        .iter()
        .filter(|e| !paths.contains(&e.path) && !gone(&e.path))
        .cloned()
        .collect();
    let mut out = kept.into_iter().fold(out, Plaintext::with_value);
    for ((_, t, text), path) in set.iter().zip(paths) {
        let read = reads
            .iter()
            .find(|(p, _)| *p == path)
            .ok_or_else(wrong)?
            .1
            .clone();
        out = out.with_value(FlatValue {
            path,
            t: *t,
            text: text.clone(),
            read,
        });
    }
    Ok(out)
}

/// Every value of a flat file as its line reads, by AAD path.
fn values(plain: &Plaintext) -> Result<Vec<(String, Zeroizing<String>)>> {
    let mut parsed = parse(plain.expose(), plain.format)?;
    let mut out = Vec::new();
    for doc in &mut parsed.docs {
        flat_leaves(&mut doc.root, &mut |path, l| {
            out.push((path, l.text.clone()))
        });
    }
    Ok(out)
}

/// Replaces an INI section's keys with a JSON object's (a new section
/// goes at the end of the file).
fn set_section(plain: &Plaintext, section: &str, value: &Node) -> Result<Plaintext> {
    let Node::Map(entries) = value else {
        return Err(Error::Dump(format!(
            "section values should always be maps of keys; offending section {section}"
        )));
    };
    let mut values = Vec::new();
    for e in entries.iter().filter(|e| e.key.is_some()) {
        let k = e.key.as_deref().expect("a key");
        values.push((k, scalar(&e.node, k, Format::Ini)?));
    }
    let values: Vec<(&str, (Zeroizing<String>, Resolved))> = values;
    let mut out = clear_section(plain, section)?;
    let mut set = Vec::new();
    for (k, (text, t)) in values {
        let path = [section.to_string(), k.to_string()];
        out = merge_flat::apply(&out, &path, Some(&text))?;
        set.push((vec![section, k], t, text));
    }
    held(out, plain, &set, Some(&aad(&[section])))
}

/// The file with a section's own lines (after its header) removed; the
/// header stays, or is added at the end for a new section.
fn clear_section(plain: &Plaintext, section: &str) -> Result<Plaintext> {
    let src = plain.expose();
    let parsed = parse(src, plain.format)?;
    let Some(item) = find(root(&parsed.docs.first().map(|d| &d.root)), section) else {
        let sep = match src {
            "" => "",
            s if s.ends_with("\n\n") => "",
            s if s.ends_with('\n') => "\n",
            _ => "\n\n",
        };
        return Ok(Plaintext::new(
            format!("{src}{sep}[{section}]\n"),
            plain.format,
        ));
    };
    let own = match &item.node {
        Node::Map(items) => items.iter().filter(|i| i.at > item.at).collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    let (Some(first), Some(last)) = (own.first(), own.last()) else {
        return Plaintext::from_bytes(src.as_bytes().to_vec(), plain.format);
    };
    let range = merge_flat::lines_of(src, first.at, merge_flat::end_of(last));
    Ok(Plaintext::new(
        crate::engine::splice::apply(src, vec![(range, Zeroizing::new(String::new()))]),
        plain.format,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::parse as path;

    fn exact(p: &Plaintext) -> Vec<(&str, Resolved, &str)> {
        p.exact()
            .iter()
            .map(|e| (e.path.as_str(), e.t, e.text.as_str()))
            .collect()
    }

    fn run(f: Format, src: &str, p: &str, json: &str) -> Result<Plaintext> {
        let node = super::super::patch::json_node(json)?;
        set(&Plaintext::new(src.into(), f), &path(p).unwrap(), node)
    }

    #[test]
    fn dotenv_values_are_set_with_their_json_type() {
        let src = "# c\nA=1\nB=x\n";
        let out = run(Format::Dotenv, src, r#"["A"]"#, "5").unwrap();
        assert_eq!(out.expose(), "# c\nA=5\nB=x\n");
        assert_eq!(exact(&out), [("A:", Resolved::Float, "5")]);
        let out = run(Format::Dotenv, src, r#"["N"]"#, r#""a\nb""#).unwrap();
        assert_eq!(out.expose(), "# c\nA=1\nB=x\nN=a\\nb\n");
        assert!(out.exact().is_empty());
        let out = run(Format::Dotenv, src, r#"["B"]"#, "true").unwrap();
        assert_eq!(exact(&out), [("B:", Resolved::Bool, "true")]);
    }

    #[test]
    fn what_sops_could_not_read_back_is_refused() {
        let src = "A=1\n";
        for (p, v) in [
            (r#"["A"]"#, "null"),
            (r#"["A"]"#, r#"{"x":1}"#),
            (r#"["A"]["x"]"#, "1"),
            (r#"["A=B"]"#, r#""x""#),
            (r#"["sops_x"]"#, r#""x""#),
        ] {
            let e = run(Format::Dotenv, src, p, v).err().unwrap();
            assert!(matches!(e, Error::Dump(_)), "{p} {v}: {e}");
        }
        let ini = "[s]\na = 1\n";
        for (p, v) in [
            (r#"["s"]["a"]"#, "null"),
            (r#"["s"]["a"]"#, "[1]"),
            (r#"["s"]["a"]["x"]"#, "1"),
            (r#"["s"]"#, r#""v""#),
            (r#"["s"]"#, r#"{"k":{"x":1}}"#),
        ] {
            let e = run(Format::Ini, ini, p, v).err().unwrap();
            assert!(matches!(e, Error::Dump(_)), "{p} {v}: {e}");
        }
        let e = run(Format::Ini, ini, "[0]", "1").err().unwrap();
        assert!(matches!(e, Error::TreePath(_)));
    }

    #[test]
    fn a_key_the_format_would_read_otherwise_is_refused() {
        let ini = "[s]\na = 1\n";
        for k in ["[k]", "k:x", "k=x", "#k", ";k", " k", "k ", "", "`b`"] {
            let p = format!("[{}]", crate::stores::scalar::json_string(k));
            let e = run(Format::Ini, ini, &format!("[\"s\"]{p}"), r#""v""#).err();
            assert!(matches!(e, Some(Error::Dump(_))), "{k:?}: {e:?}");
        }
        for k in ["k x", "é", "k.x"] {
            let p = format!("[\"s\"][{}]", crate::stores::scalar::json_string(k));
            assert!(run(Format::Ini, ini, &p, r#""v""#).is_ok(), "{k:?}");
        }
    }

    #[test]
    fn a_value_its_line_would_read_otherwise_is_held_exactly() {
        // A literal backslash-n in dotenv; quotes around an INI value.
        let out = run(Format::Dotenv, "A=1\n", r#"["B"]"#, r#""C:\\new""#).unwrap();
        assert_eq!(exact(&out), [("B:", Resolved::Str, "C:\\new")]);
        let parsed = crate::engine::parsed::parse_plain(&out).unwrap();
        let Node::Map(items) = &parsed.docs[0].root else {
            panic!()
        };
        let Node::Leaf(l) = &items[1].node else {
            panic!()
        };
        assert_eq!(l.text.as_str(), "C:\\new");
        let out = run(Format::Ini, "[s]\na = 1\n", r#"["s"]["q"]"#, r#""\"q\"""#).unwrap();
        assert_eq!(exact(&out), [("s:q:", Resolved::Str, "\"q\"")]);
    }

    #[test]
    fn an_ini_section_is_replaced_in_place_or_added_at_the_end() {
        let src = "[s]\na = 1\n; inner\nb = 2\n\n; before t\n[t]\nc = 3\n";
        let out = run(Format::Ini, src, r#"["s"]"#, r#"{"z":"1","y":2}"#).unwrap();
        assert_eq!(
            out.expose(),
            "[s]\nz = 1\ny = 2\n\n; before t\n[t]\nc = 3\n"
        );
        assert_eq!(exact(&out), [("s:y:", Resolved::Float, "2")]);
        let out = run(Format::Ini, src, r#"["n"]"#, r#"{"k":"v"}"#).unwrap();
        assert_eq!(out.expose(), format!("{src}\n[n]\nk = v\n"));
        let out = run(Format::Ini, src, r#"["t"]["d"]"#, "false").unwrap();
        assert_eq!(out.expose(), format!("{src}d = false\n"));
    }

    #[test]
    fn unset_removes_a_key_or_a_section_and_reports_a_missing_one() {
        let ini = Plaintext::new("[s]\na = 1\nb = 2\n\n[t]\nc = 3\n".into(), Format::Ini);
        let out = unset(&ini, &path(r#"["s"]["a"]"#).unwrap()).unwrap();
        assert_eq!(out.expose(), "[s]\nb = 2\n\n[t]\nc = 3\n");
        let out = unset(&ini, &path(r#"["t"]"#).unwrap()).unwrap();
        assert_eq!(out.expose(), "[s]\na = 1\nb = 2\n\n");
        for p in [r#"["s"]["x"]"#, r#"["x"]"#, r#"["s"]["a"]["y"]"#] {
            let e = unset(&ini, &path(p).unwrap()).err().unwrap();
            assert!(matches!(e, Error::TreePath(_)), "{p}");
        }
        let env = Plaintext::new("A=1\nB=2\n".into(), Format::Dotenv);
        let out = unset(&env, &path(r#"["A"]"#).unwrap()).unwrap();
        assert_eq!(out.expose(), "B=2\n");
    }
}
