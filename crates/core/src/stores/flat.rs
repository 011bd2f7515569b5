//! sops's flattened metadata, for the stores that hold only flat strings
//! (dotenv and INI): nested maps and lists become one key per leaf, joined
//! with `__map_` and `__list_N` (`stores/flatten.go`), and line breaks in
//! values are written as `\n`.

use super::scalar::{mac_bytes, sops_float};
use crate::crypto::cipher::ValueType;
use crate::error::{Error, Result};
use crate::tree::Value;
use std::borrow::Cow;

const MAP: &str = "__map_";
const LIST: &str = "__list_";

/// A decrypted value as sops's dotenv and INI stores write it
/// (`stores.ValToString`): a float as `5.0`, a bool as `true`. Values
/// hush or sops encrypted from a flat file are strings and stay as they are.
pub(crate) fn value_text(vtype: ValueType, text: &str) -> Cow<'_, str> {
    let canonical = || mac_bytes(vtype, text).and_then(|b| String::from_utf8(b.into_owned()).ok());
    match vtype {
        ValueType::Float => canonical()
            .and_then(|s| s.parse::<f64>().ok())
            .map_or(Cow::Borrowed(text), |v| Cow::Owned(sops_float(v))),
        ValueType::Int => canonical().map_or(Cow::Borrowed(text), Cow::Owned),
        ValueType::Bool => {
            canonical().map_or(Cow::Borrowed(text), |s| Cow::Owned(s.to_lowercase()))
        }
        _ => Cow::Borrowed(text),
    }
}

/// Flattens a metadata value into `(key, value)` pairs sorted by key, as
/// sops 3.11 writes them. Values have their line breaks escaped; nulls and
/// empty lists leave no entry.
pub(crate) fn flatten(meta: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Value::Map(m) = meta {
        for (k, v) in m {
            descend(k, v, &mut out);
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn descend(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Null => {}
        Value::Scalar(s) => out.push((prefix.to_string(), s.replace('\n', "\\n"))),
        Value::Map(m) => {
            for (k, v) in m {
                descend(&format!("{prefix}{MAP}{k}"), v, out);
            }
        }
        Value::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                descend(&format!("{prefix}{LIST}{i}"), v, out);
            }
        }
    }
}

/// One step of a flattened key.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `age__list_0__map_enc` into `age`, `0`, `enc` (sops's `tokenize`).
fn tokenize(path: &str) -> Result<Vec<Token<'_>>> {
    let mut tokens = Vec::new();
    let mut rest = path;
    let mut kind = None::<&str>;
    loop {
        let next = [MAP, LIST]
            .iter()
            .filter_map(|sep| rest.find(sep).map(|i| (i, *sep)))
            .min_by_key(|(i, _)| *i);
        let (text, after) = match next {
            Some((i, sep)) => (&rest[..i], Some((sep, &rest[i + sep.len()..]))),
            None => (rest, None),
        };
        tokens.push(match kind {
            Some(LIST) => Token::Index(text.parse().map_err(|_| {
                Error::corrupt(format!("bad list index in the metadata key `{path}`"))
            })?),
            _ => Token::Key(text),
        });
        match after {
            Some((sep, r)) => {
                kind = Some(sep);
                rest = r;
            }
            None => return Ok(tokens),
        }
    }
}

/// Rebuilds the metadata value from flattened pairs (in any order), the
/// way sops's `Unflatten` does; `\n` in values becomes a line break.
pub(crate) fn unflatten(pairs: &[(String, String)]) -> Result<Value> {
    let mut root = Value::Map(Vec::new());
    for (k, v) in pairs {
        let tokens = tokenize(k)?;
        place(&mut root, &tokens, v.replace("\\n", "\n"))
            .map_err(|why| Error::corrupt(format!("the metadata key `{k}` {why}")))?;
    }
    Ok(root)
}

fn place(
    node: &mut Value,
    tokens: &[Token],
    value: String,
) -> std::result::Result<(), &'static str> {
    let Some((first, rest)) = tokens.split_first() else {
        return match node {
            Value::Null => {
                *node = Value::Scalar(value);
                Ok(())
            }
            _ => Err("is set twice"),
        };
    };
    let fresh = || match rest.first() {
        None => Value::Null,
        Some(Token::Key(_)) => Value::Map(Vec::new()),
        Some(Token::Index(_)) => Value::Seq(Vec::new()),
    };
    let child = match (first, &mut *node) {
        (Token::Key(k), Value::Map(m)) => {
            let i = match m.iter().position(|(name, _)| name == k) {
                Some(i) => i,
                None => {
                    m.push((k.to_string(), fresh()));
                    m.len() - 1
                }
            };
            &mut m[i].1
        }
        (Token::Index(n), Value::Seq(items)) => {
            if *n > 4096 {
                return Err("has an implausible list index");
            }
            while items.len() <= *n {
                items.push(Value::Null);
            }
            &mut items[*n]
        }
        _ => return Err("mixes a map and a list"),
    };
    if matches!(child, Value::Null) && !rest.is_empty() {
        *child = fresh();
    }
    place(child, rest, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Scalar(x.into())
    }

    #[test]
    fn flattens_like_sops() {
        let meta = Value::Map(vec![
            (
                "age".into(),
                Value::Seq(vec![Value::Map(vec![
                    ("recipient".into(), s("age1x")),
                    ("enc".into(), s("-----BEGIN\nabc\n")),
                ])]),
            ),
            ("lastmodified".into(), s("2024-01-01T00:00:00Z")),
            (
                "kms".into(),
                Value::Seq(vec![Value::Map(vec![(
                    "context".into(),
                    Value::Map(vec![("app".into(), s("x"))]),
                )])]),
            ),
            ("empty".into(), Value::Seq(vec![])),
            ("nothing".into(), Value::Null),
        ]);
        let flat = flatten(&meta);
        let keys: Vec<(&str, &str)> = flat.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(
            keys,
            vec![
                ("age__list_0__map_enc", "-----BEGIN\\nabc\\n"),
                ("age__list_0__map_recipient", "age1x"),
                ("kms__list_0__map_context__map_app", "x"),
                ("lastmodified", "2024-01-01T00:00:00Z"),
            ]
        );
        let back = unflatten(&flat).unwrap();
        assert_eq!(
            back.get("age").unwrap().as_seq().unwrap()[0]
                .get("enc")
                .unwrap()
                .as_str(),
            Some("-----BEGIN\nabc\n")
        );
        assert_eq!(
            back.get("kms").unwrap().as_seq().unwrap()[0]
                .get("context")
                .unwrap()
                .get("app")
                .unwrap()
                .as_str(),
            Some("x")
        );
    }

    #[test]
    fn key_groups_unflatten_in_index_order_whatever_the_input_order() {
        let pairs = vec![
            (
                "key_groups__list_1__map_age__list_0__map_recipient".to_string(),
                "b".to_string(),
            ),
            (
                "key_groups__list_0__map_age__list_0__map_recipient".to_string(),
                "a".to_string(),
            ),
        ];
        let v = unflatten(&pairs).unwrap();
        let groups = v.get("key_groups").unwrap().as_seq().unwrap();
        let r = |g: &Value| {
            g.get("age").unwrap().as_seq().unwrap()[0]
                .get("recipient")
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!((r(&groups[0]), r(&groups[1])), ("a".into(), "b".into()));
    }

    #[test]
    fn conflicting_keys_are_corrupt() {
        let pairs = vec![
            ("a".to_string(), "1".to_string()),
            ("a__map_b".to_string(), "2".to_string()),
        ];
        assert!(matches!(unflatten(&pairs), Err(Error::Corrupt(_))));
        let dup = vec![
            ("a".to_string(), "1".to_string()),
            ("a".to_string(), "2".to_string()),
        ];
        assert!(unflatten(&dup).is_err());
    }
}
