//! What `exec-env` and `exec-file` hand to a command: the first document's
//! top-level values as sops prints them, or the decrypted file itself.
//!
//! sops builds the environment from its decrypted tree, where every value
//! has a Go type: the `type:` of its `ENC[…]` form when it was encrypted,
//! else the type its store read (yaml.v3, or float64 for every JSON number
//! in sops 3.11). hush reads those types from the encrypted file, with the
//! selector decryption used, and the texts from the decrypted one.

use crate::crypto::cipher::{EncValue, ValueType};
use crate::engine::{convert, parse, Ciphertext, Format, Plaintext};
use crate::error::{Error, Result};
use crate::metadata::Metadata;
use crate::stores::scalar::{
    parse_go_bool, parse_go_int, parse_time, parse_yaml_float, sops_float, Resolved,
};
use crate::tree::{walk, Node, Redacted};
use std::collections::HashMap;
use zeroize::Zeroizing;

/// One variable of the environment: a top-level key and its value as sops
/// prints it. Its `Debug` shows the name, never the value.
pub struct EnvVar {
    /// The top-level key.
    pub name: String,
    /// The value, as sops's `ValToString` writes it.
    pub value: Zeroizing<String>,
}

impl std::fmt::Debug for EnvVar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvVar")
            .field("name", &self.name)
            .field("value", &Redacted(self.value.len()))
            .finish()
    }
}

/// The variables `exec-env` sets, in file order: `plain` is `enc` decrypted.
/// Strings go as they are, booleans as `true`/`false`, null as `<nil>`,
/// floats in Go's `%G` form with at least one decimal, times in RFC 3339
/// without fraction. A list or map, or a key with `=`, is refused, naming
/// the key only.
pub fn env_vars(enc: &Ciphertext, plain: &Plaintext) -> Result<Vec<EnvVar>> {
    match plain.format {
        // sops reads a binary file as one string, `data`.
        Format::Binary => {
            let text = std::str::from_utf8(plain.expose_bytes()).map_err(|_| {
                Error::Unsupported(
                    "binary content that is not UTF-8 cannot go in an environment".into(),
                )
            })?;
            return Ok(vec![EnvVar {
                name: "data".into(),
                value: Zeroizing::new(text.to_string()),
            }]);
        }
        // go-ini lists its DEFAULT section first, even an empty one: to
        // sops an INI file's first top-level value is always that map.
        Format::Ini => return Err(Error::ComplexEnvValue("DEFAULT".into())),
        Format::Yaml | Format::Json | Format::Dotenv => {}
    }
    let sealed = sealed_types(enc)?;
    let parsed = crate::engine::parsed::parse_plain(plain)?;
    let Some(doc) = parsed.docs.first() else {
        return Ok(Vec::new());
    };
    let items = match &doc.root {
        Node::Map(items) => items,
        Node::Leaf(l) if l.resolved == Some(Resolved::Null) => return Ok(Vec::new()),
        _ => return Err(Error::Unsupported("the top level is not a map".into())),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(name) = &item.key else { continue };
        let leaf = match resolve(&item.node, &parsed.anchors) {
            Node::Leaf(l) if l.is_comment() => continue,
            Node::Leaf(l) => l,
            _ => return Err(Error::ComplexEnvValue(name.clone())),
        };
        if name.contains('=') {
            return Err(Error::EnvKeyWithEquals(name.clone()));
        }
        let kind = match sealed.get(name.as_str()) {
            Some(vtype) => Kind::Sealed(*vtype),
            None => Kind::Read(leaf.resolved.unwrap_or(Resolved::Str), plain.format),
        };
        out.push(EnvVar {
            name: name.clone(),
            value: Zeroizing::new(kind.text(&leaf.text)),
        });
    }
    Ok(out)
}

/// The file `exec-file` hands to its command: the decrypted file as it is,
/// or re-emitted in `to` (`--output-type`) when that is another format.
pub fn file(plain: Plaintext, to: Option<Format>) -> Result<Plaintext> {
    match to {
        Some(to) if to != plain.format => convert(&plain, to),
        _ => Ok(plain),
    }
}

/// The `type:` of each top-level value of the first document that
/// decryption opens, found with the file's own selector as decrypt does.
fn sealed_types(enc: &Ciphertext) -> Result<HashMap<String, ValueType>> {
    let parsed = parse(enc.as_str(), enc.format)?;
    let doc = parsed.docs.first().ok_or(Error::NotEncrypted)?;
    let meta = Metadata::from_value(&doc.sops.as_ref().ok_or(Error::NotEncrypted)?.0)?;
    let mut types = HashMap::new();
    walk(&doc.root, &parsed.anchors, &meta.selector, &mut |v| {
        let top = v.path.len() == 1 && !v.in_seq && !v.leaf.is_comment();
        if top && v.encrypt && EncValue::looks_encrypted(&v.leaf.text) {
            types.insert(v.path[0].to_string(), EncValue::parse(&v.leaf.text)?.vtype);
        }
        Ok(())
    })?;
    Ok(types)
}

fn resolve<'a>(n: &'a Node, anchors: &'a HashMap<usize, Node>) -> &'a Node {
    match n {
        Node::Alias(id, _) => anchors.get(id).map_or(n, |t| resolve(t, anchors)),
        _ => n,
    }
}

/// The Go type sops holds a top-level value as.
enum Kind {
    /// Decrypted: its `ENC[…]` form's type, read with Go's strconv.
    Sealed(ValueType),
    /// Never encrypted: what the store read.
    Read(Resolved, Format),
}

impl Kind {
    /// sops's `ValToString` of the value whose decrypted text is `text`.
    fn text(&self, text: &str) -> String {
        let parsed = match *self {
            Kind::Sealed(ValueType::Int) => text.parse::<i64>().ok().map(|i| i.to_string()),
            Kind::Sealed(ValueType::Float) => parse_yaml_float(text).map(sops_float),
            Kind::Sealed(ValueType::Bool) => parse_go_bool(text).map(|b| b.to_string()),
            Kind::Sealed(ValueType::Time) => parse_time(text).map(|t| drop_fraction(&t)),
            // `bytes` never decrypts (sops panics on it), comments are not values.
            Kind::Sealed(ValueType::Str | ValueType::Bytes | ValueType::Comment) => None,
            Kind::Read(Resolved::Null, _) => Some("<nil>".into()),
            // sops 3.11's JSON store reads every number as a float64.
            Kind::Read(Resolved::Int | Resolved::Float, Format::Json) => {
                text.parse::<f64>().ok().map(sops_float)
            }
            Kind::Read(Resolved::Int, _) => parse_go_int(text).map(|i| i.to_string()),
            Kind::Read(Resolved::Float, _) => parse_yaml_float(text).map(sops_float),
            Kind::Read(Resolved::Bool, _) => parse_go_bool(text).map(|b| b.to_string()),
            Kind::Read(Resolved::Time, _) => parse_time(text).map(|t| drop_fraction(&t)),
            Kind::Read(Resolved::Str, _) => None,
        };
        parsed.unwrap_or_else(|| text.to_string())
    }
}

/// Go's `time.RFC3339` from its `RFC3339Nano` form: no fraction of a second
/// (`…T21:59:43.1-05:00` → `…T21:59:43-05:00`).
fn drop_fraction(t: &str) -> String {
    match t.find('.') {
        Some(dot) => {
            let digits = t[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
            format!("{}{}", &t[..dot], &t[dot + 1 + digits..])
        }
        None => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::age::{Identities, Recipient};
    use crate::keys::MasterKey;
    use crate::EncryptOptions;
    use std::sync::Arc;

    /// `text` encrypted with a fresh age key, and decrypted again.
    fn sealed(text: &str, format: Format) -> (Ciphertext, Plaintext) {
        use secrecy::ExposeSecret;
        let id = ::age::x25519::Identity::generate();
        let r: Recipient = id.to_public().to_string().parse().unwrap();
        let mut ids = Identities::default();
        ids.add_text(id.to_string().expose_secret().as_bytes(), "t")
            .unwrap();
        let groups = vec![vec![Arc::new(r) as Arc<dyn MasterKey>]];
        let plain = Plaintext::from_bytes(text.as_bytes().to_vec(), format).unwrap();
        let opts = EncryptOptions {
            selector: crate::Selector::UnencryptedSuffix("_u".into()),
            ..Default::default()
        };
        let enc = crate::block_on(crate::encrypt(&plain, &groups, &opts)).unwrap();
        let back = crate::block_on(crate::decrypt(&enc, &[&ids], &Default::default())).unwrap();
        (enc, back)
    }

    fn env(text: &str, format: Format) -> Result<Vec<(String, String)>> {
        let (enc, plain) = sealed(text, format);
        Ok(env_vars(&enc, &plain)?
            .into_iter()
            .map(|v| (v.name, v.value.to_string()))
            .collect())
    }

    /// Each case as `sops exec-env` 3.11 printed it, for the value encrypted
    /// and for it kept in plaintext (`_u`).
    #[test]
    fn yaml_values_print_like_sops_encrypted_or_not() {
        let cases = [
            ("7", "7"),
            ("-12", "-12"),
            ("0x1F", "31"),
            ("0o17", "15"),
            ("1_000", "1000"),
            ("1.50", "1.5"),
            ("1e3", "1000.0"),
            ("1.0e21", "1E+21"),
            ("0.0000001", "1E-07"),
            (".inf", "+Inf"),
            ("-.inf", "-Inf"),
            (".nan", "NaN"),
            ("true", "true"),
            ("True", "true"),
            ("hello world", "hello world"),
            ("'7'", "7"),
            ("2024-01-02", "2024-01-02T00:00:00Z"),
            ("2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43-05:00"),
            ("2001-12-14T21:59:43+00:00", "2001-12-14T21:59:43Z"),
            ("null", "<nil>"),
            ("~", "<nil>"),
            ("\"\"", ""),
            ("|\n  line1\n  line2", "line1\nline2\n"),
        ];
        for suffix in ["", "_u"] {
            let text: String = cases
                .iter()
                .enumerate()
                .map(|(i, (v, _))| format!("k{i}{suffix}: {v}\n"))
                .collect();
            let got = env(&format!("# a comment\n{text}"), Format::Yaml).unwrap();
            assert_eq!(got.len(), cases.len());
            for ((v, want), (name, value)) in cases.iter().zip(&got) {
                assert_eq!(value, want, "{name}: {v}");
            }
        }
    }

    #[test]
    fn json_numbers_are_floats_unless_sealed_as_int() {
        let text =
            r#"{"a": 1, "a_u": 1, "f": 1.50, "f_u": 1e3, "t": true, "n": null, "s": "2024-01-02"}"#;
        let got = env(text, Format::Json).unwrap();
        let want = [
            ("a", "1"),
            ("a_u", "1.0"),
            ("f", "1.5"),
            ("f_u", "1000.0"),
            ("t", "true"),
            ("n", "<nil>"),
            ("s", "2024-01-02"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn dotenv_binary_and_ini_read_like_sops() {
        let got = env("# c\nA=1e3\nB=a\\nb\nC_u=true\n", Format::Dotenv).unwrap();
        let want = [("A", "1e3"), ("B", "a\nb"), ("C_u", "true")];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want);
        let got = env("hello\nworld 1.5\n", Format::Binary).unwrap();
        assert_eq!(
            got,
            [("data".to_string(), "hello\nworld 1.5\n".to_string())]
        );
        let err = env("[sec]\nk = 1\n", Format::Ini).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot use complex value in environment; offending key DEFAULT"
        );
    }

    #[test]
    fn lists_maps_and_keys_with_equals_are_refused_naming_the_key_only() {
        for (text, msg) in [
            (
                "a: 1\nz: {k: secret}\nb: [1]\n",
                "cannot use complex value in environment; offending key z",
            ),
            (
                "a: 1\nl:\n  - secret\n",
                "cannot use complex value in environment; offending key l",
            ),
            (
                "x_u: &m {k: v}\ny_u: *m\n",
                "cannot use complex value in environment; offending key x_u",
            ),
            (
                "\"a=b\": secret\nz: {k: v}\n",
                "cannot use keys with '=' in environment: a=b",
            ),
        ] {
            let err = env(text, Format::Yaml).unwrap_err();
            assert_eq!(err.to_string(), msg);
            assert_eq!(err.exit_code(), crate::error::exit::ERROR_GENERIC);
        }
    }

    #[test]
    fn an_alias_reads_as_its_anchor_and_debug_hides_values() {
        // hush and sops encrypt no alias: only a plaintext one is left.
        let got = env("a_u: &x 1e3\nb_u: *x\n", Format::Yaml).unwrap();
        assert_eq!(got[1], ("b_u".to_string(), "1000.0".to_string()));
        let (enc, plain) = sealed("k: CANARY-exec-77\n", Format::Yaml);
        let shown = format!("{:?}", env_vars(&enc, &plain).unwrap());
        assert!(
            shown.contains("\"k\"") && !shown.contains("CANARY"),
            "{shown}"
        );
    }

    #[test]
    fn exec_file_converts_only_to_another_format() {
        let p = Plaintext::new("a: 1 # c\n".into(), Format::Yaml);
        assert_eq!(file(p, Some(Format::Yaml)).unwrap().expose(), "a: 1 # c\n");
        let p = Plaintext::new("a: 1 # c\n".into(), Format::Yaml);
        assert_eq!(file(p, Some(Format::Json)).unwrap().format, Format::Json);
    }
}
