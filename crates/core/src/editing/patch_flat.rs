//! `set` and `unset` on dotenv and INI files, as sops 3.11 does them: a
//! dotenv value is `["KEY"]`, an INI value `["section"]["key"]` and a
//! section `["section"]` (set from a JSON object of scalars). A JSON number
//! or bool keeps its type, as sops stores it: a number reads back as a
//! float (`5.0`). What sops would write but then could not read (a nested
//! value, a null, a key holding `=`) is refused, and nothing is written.

use super::merge_flat::{self, find};
use super::patch::not_found;
use crate::engine::document::Plaintext;
use crate::engine::format::Format;
use crate::engine::parsed::parse;
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
    merge_flat::apply(plain, &path, None)
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
    Ok(typed(out, plain, &[(aad(path), t)]))
}

/// The edited text, keeping the types already set and adding `new`.
fn typed(out: Plaintext, before: &Plaintext, new: &[(String, Resolved)]) -> Plaintext {
    let all = before.types().iter().chain(new).cloned();
    all.fold(out, |p, (path, t)| p.with_type(path, t))
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
    let mut out = clear_section(plain, section)?;
    let mut types = Vec::new();
    for (k, (text, t)) in &values {
        let path = [section.to_string(), k.to_string()];
        out = merge_flat::apply(&out, &path, Some(text))?;
        types.push((aad(&[section, k]), *t));
    }
    Ok(typed(out, plain, &types))
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

    fn run(f: Format, src: &str, p: &str, json: &str) -> Result<Plaintext> {
        let node = super::super::patch::json_node(json)?;
        set(&Plaintext::new(src.into(), f), &path(p).unwrap(), node)
    }

    #[test]
    fn dotenv_values_are_set_with_their_json_type() {
        let src = "# c\nA=1\nB=x\n";
        let out = run(Format::Dotenv, src, r#"["A"]"#, "5").unwrap();
        assert_eq!(out.expose(), "# c\nA=5\nB=x\n");
        assert_eq!(out.types(), &[("A:".to_string(), Resolved::Float)]);
        let out = run(Format::Dotenv, src, r#"["N"]"#, r#""a\nb""#).unwrap();
        assert_eq!(out.expose(), "# c\nA=1\nB=x\nN=a\\nb\n");
        assert!(out.types().is_empty());
        let out = run(Format::Dotenv, src, r#"["B"]"#, "true").unwrap();
        assert_eq!(out.types(), &[("B:".to_string(), Resolved::Bool)]);
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
    fn an_ini_section_is_replaced_in_place_or_added_at_the_end() {
        let src = "[s]\na = 1\n; inner\nb = 2\n\n; before t\n[t]\nc = 3\n";
        let out = run(Format::Ini, src, r#"["s"]"#, r#"{"z":"1","y":2}"#).unwrap();
        assert_eq!(
            out.expose(),
            "[s]\nz = 1\ny = 2\n\n; before t\n[t]\nc = 3\n"
        );
        assert_eq!(out.types(), &[("s:y:".to_string(), Resolved::Float)]);
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
