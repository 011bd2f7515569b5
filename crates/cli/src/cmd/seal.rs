//! `hush seal`: a plaintext `kind: Secret` manifest in, an `EncryptedSecret`
//! out, in canonical key order and bound to its scope.

use crate::args::{ScopeKind, SealArgs};
use crate::failure::{core, fail, Failure};
use crate::io::{read_input, write_atomic, write_stdout};
use crate::keys::{load_config, rule_keys};
use crate::runtime::runtime;
use hush_core::error::exit;
use hush_core::scope::{Scope, ENCRYPTED_REGEX};
use hush_core::{EncryptOptions, Format, Plaintext, Selector};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use zeroize::Zeroizing;

type Result<T> = std::result::Result<T, Failure>;

/// The parts of a Secret manifest that matter; values stay secret.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SecretManifest {
    api_version: String,
    kind: String,
    metadata: Meta,
    #[serde(default, rename = "type")]
    type_: Option<String>,
    #[serde(default)]
    data: BTreeMap<String, SecretString>,
    #[serde(default)]
    string_data: BTreeMap<String, SecretString>,
}

#[derive(Deserialize)]
struct Meta {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

pub fn run(a: SealArgs) -> Result<()> {
    let name = a
        .file
        .as_ref()
        .map_or("<stdin>".into(), |p| p.display().to_string());
    let bytes = Zeroizing::new(
        read_input(a.file.as_deref())
            .map_err(|e| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {e}")))?,
    );
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        fail(
            exit::COULD_NOT_READ_INPUT_FILE,
            format!("{name}: not UTF-8 text"),
        )
    })?;
    let secret =
        parse(text).map_err(|m| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {m}")))?;
    let scope =
        scope(&a, &secret).map_err(|m| fail(exit::ERROR_GENERIC, format!("{name}: {m}")))?;
    let doc = document(&secret, &scope)
        .map_err(|m| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {m}")))?;
    let groups = keys(&a)?;
    let opts = EncryptOptions {
        selector: Selector::from_key("encrypted_regex", ENCRYPTED_REGEX).map_err(core(&name))?,
        mac_only_encrypted: true,
        ..EncryptOptions::default()
    };
    let plain = Plaintext::new(doc.to_string(), Format::Yaml);
    let enc = runtime()?
        .block_on(hush_core::encrypt(&plain, &groups, &opts))
        .map_err(core(&name))?;
    if let Some(w) = size_warning(enc.as_str().len()) {
        eprintln!("hush: {name}: warning: {w}");
    }
    let target = if a.in_place {
        a.file.as_deref()
    } else {
        a.output.as_deref()
    };
    match target {
        Some(t) => write_atomic(t, enc.as_str().as_bytes()).map_err(|e| {
            fail(
                exit::COULD_NOT_WRITE_OUTPUT_FILE,
                format!("{}: {e}", t.display()),
            )
        }),
        None => write_stdout(enc.as_str().as_bytes())
            .map_err(|e| fail(exit::COULD_NOT_WRITE_OUTPUT_FILE, format!("stdout: {e}"))),
    }
}

fn parse(text: &str) -> std::result::Result<SecretManifest, String> {
    if serde_yaml_ng::Deserializer::from_str(text).count() > 1 {
        return Err("one Secret per file: split the documents, then seal each".into());
    }
    let s: SecretManifest = serde_yaml_ng::from_str(text).map_err(|e| {
        format!(
            "not a Secret manifest: {}",
            e.location()
                .map_or(String::new(), |l| format!("line {}", l.line()))
        )
    })?;
    if s.kind != "Secret" || s.api_version != "v1" {
        return Err(format!(
            "expected `apiVersion: v1`, `kind: Secret`; got {} {}",
            s.api_version, s.kind
        ));
    }
    Ok(s)
}

fn scope(a: &SealArgs, s: &SecretManifest) -> std::result::Result<Scope, String> {
    let namespace = a
        .namespace
        .clone()
        .or_else(|| s.metadata.namespace.clone())
        .ok_or("the manifest has no metadata.namespace; give --namespace (or --scope cluster)");
    let text = match a.scope {
        ScopeKind::Cluster => "cluster".to_string(),
        ScopeKind::Namespace => format!("namespace:{}", namespace?),
        ScopeKind::Strict => format!("strict:{}/{}", namespace?, s.metadata.name),
    };
    text.parse::<Scope>().map_err(|e| e.to_string())
}

/// The EncryptedSecret in plaintext, keys sorted (the canonical order).
fn document(s: &SecretManifest, scope: &Scope) -> std::result::Result<Zeroizing<String>, String> {
    let re = regex::Regex::new(ENCRYPTED_REGEX).expect("valid regex");
    let mut plain_keys = s
        .metadata
        .labels
        .keys()
        .chain(s.metadata.annotations.keys());
    if let Some(k) = plain_keys.find(|k| re.is_match(k)) {
        return Err(format!(
            "label or annotation key `{k}` would be encrypted; rename it"
        ));
    }
    let mut all = s
        .data
        .iter()
        .map(|e| ("data", e))
        .chain(s.string_data.iter().map(|e| ("stringData", e)));
    if let Some((field, (k, _))) = all.find(|(_, (_, v))| v.expose_secret().is_empty()) {
        return Err(format!(
            "{field}.{k} is empty: sops leaves empty values unencrypted and outside the MAC, so an EncryptedSecret cannot carry them"
        ));
    }
    for (k, v) in &s.data {
        use base64::Engine as _;
        if base64::engine::general_purpose::STANDARD
            .decode(v.expose_secret())
            .is_err()
        {
            return Err(format!(
                "data.{k} is not valid base64 (use stringData for plain text)"
            ));
        }
    }
    // Sized up front so the plaintext is never left behind by a reallocation.
    let values: usize = s
        .data
        .values()
        .chain(s.string_data.values())
        .map(|v| v.expose_secret().len())
        .sum();
    let mut out = Zeroizing::new(String::with_capacity(4096 + 8 * values));
    let o = &mut *out;
    o.push_str("apiVersion: hush.dev/v1alpha1\nkind: EncryptedSecret\nmetadata:\n");
    let _ = writeln!(o, "  name: {}", key(&s.metadata.name));
    if let Some(ns) = scope_namespace(scope).or(s.metadata.namespace.as_deref()) {
        let _ = writeln!(o, "  namespace: {}", key(ns));
    }
    o.push_str("spec:\n");
    secret_map(o, "data", &s.data);
    let _ = writeln!(o, "  scope: {}", quote(&scope.to_string()).as_str());
    secret_map(o, "stringData", &s.string_data);
    o.push_str("  template:\n");
    let _ = writeln!(
        o,
        "    type: {}",
        quote(s.type_.as_deref().unwrap_or("Opaque")).as_str()
    );
    if !s.metadata.labels.is_empty() || !s.metadata.annotations.is_empty() {
        o.push_str("    metadata:\n");
        plain_map(o, "labels", &s.metadata.labels);
        plain_map(o, "annotations", &s.metadata.annotations);
    }
    Ok(out)
}

fn scope_namespace(scope: &Scope) -> Option<&str> {
    match scope {
        Scope::Strict { namespace, .. } | Scope::Namespace { namespace } => Some(namespace),
        Scope::Cluster => None,
    }
}

fn secret_map(o: &mut String, field: &str, map: &BTreeMap<String, SecretString>) {
    if map.is_empty() {
        return;
    }
    let _ = writeln!(o, "  {field}:");
    for (k, v) in map {
        let _ = writeln!(o, "    {}: {}", key(k), quote(v.expose_secret()).as_str());
    }
}

fn plain_map(o: &mut String, field: &str, map: &BTreeMap<String, String>) {
    if map.is_empty() {
        return;
    }
    let _ = writeln!(o, "      {field}:");
    for (k, v) in map {
        let _ = writeln!(o, "        {}: {}", key(k), quote(v).as_str());
    }
}

/// A double-quoted YAML scalar (JSON string syntax), so every value is a
/// string whatever it looks like.
fn quote(v: &str) -> Zeroizing<String> {
    Zeroizing::new(serde_json::to_string(v).expect("strings serialize"))
}

/// A mapping key: plain when that reads back as the same string.
fn key(k: &str) -> String {
    let plain = k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._/".contains(c))
        && !["true", "false", "null", "yes", "no", "on", "off", "y", "n"]
            .contains(&k.to_ascii_lowercase().as_str());
    if plain {
        k.to_string()
    } else {
        serde_json::to_string(k).expect("strings serialize")
    }
}

fn keys(a: &SealArgs) -> Result<hush_core::KeyGroups> {
    let groups = keys_of(a)?;
    // hush-controller runs no gpg (docs/controller.md).
    if let Some(i) = groups
        .iter()
        .position(|g| !g.is_empty() && g.iter().all(|k| k.kind() == "pgp"))
    {
        return Err(fail(
            exit::ERROR_GENERIC,
            format!(
                "key group {} has only PGP keys, which hush-controller cannot use; add an age or KMS key",
                i + 1
            ),
        ));
    }
    Ok(groups)
}

fn keys_of(a: &SealArgs) -> Result<hush_core::KeyGroups> {
    if let Some(keys) = a.keys.group()? {
        return Ok(vec![keys]);
    }
    let config = load_config(a.config.as_deref())?;
    let rule_path = a
        .output
        .clone()
        .or_else(|| a.file.clone())
        .unwrap_or_else(|| "-".into());
    match config.as_ref().and_then(|c| c.rule_for(&rule_path)) {
        Some(rule) => rule_keys(rule),
        None => Err(fail(
            exit::ERROR_GENERIC,
            "no master keys were provided: give --age or --kms, or add a .sops.yaml creation rule",
        )),
    }
}

/// `kubectl apply` (client-side) copies the object into the
/// last-applied-configuration annotation, and annotations are capped at
/// 256 KiB in total.
const CLIENT_SIDE_APPLY_MAX: usize = 256 * 1024;
/// etcd's default request limit; the API server refuses larger objects.
const OBJECT_MAX: usize = 1536 * 1024;
/// Room for the object's other metadata (managedFields, labels, status).
const OBJECT_MARGIN: usize = 16 * 1024;

/// A warning when an EncryptedSecret of `len` bytes would not apply:
/// ciphertext is about 1.78 times the raw data (base64 twice).
fn size_warning(len: usize) -> Option<String> {
    let kib = len.div_ceil(1024);
    if len + OBJECT_MARGIN > OBJECT_MAX {
        Some(format!(
            "the EncryptedSecret is {kib} KiB; the API server refuses objects over about 1.5 MiB \
             (about 850 KiB of raw Secret data): split the Secret"
        ))
    } else if len + OBJECT_MARGIN > CLIENT_SIDE_APPLY_MAX {
        Some(format!(
            "the EncryptedSecret is {kib} KiB; client-side `kubectl apply` stores a copy in a \
             256 KiB annotation and will fail (about 135 KiB of raw Secret data): use \
             `kubectl apply --server-side` or `kubectl create`"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(extra: &str) -> SecretManifest {
        parse(&format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\n{extra}"
        ))
        .unwrap()
    }

    #[test]
    fn document_is_sorted_and_typed_as_strings() {
        let s = manifest("stringData:\n  z: \"1\"\n  a: true\ndata:\n  b: aGk=\n");
        let scope: Scope = "strict:prod/db".parse().unwrap();
        let doc = document(&s, &scope).unwrap();
        let v = hush_core::scope::order_violation_in(&doc, Format::Yaml).unwrap();
        assert_eq!(v, None, "{}", doc.as_str());
        assert!(doc.contains("    a: \"true\"\n"), "{}", doc.as_str());
        assert!(doc.find("  data:").unwrap() < doc.find("  scope:").unwrap());
        assert!(doc.find("  scope:").unwrap() < doc.find("  stringData:").unwrap());
    }

    #[test]
    fn refusals() {
        let scope = Scope::Cluster;
        let bad64 = manifest("data:\n  k: not base64!\n");
        assert!(document(&bad64, &scope).unwrap_err().contains("base64"));
        let label = manifest("  labels:\n    data: x\n");
        assert!(document(&label, &scope).unwrap_err().contains("`data`"));
        let empty = manifest("stringData:\n  k: \"\"\n");
        assert!(document(&empty, &scope)
            .unwrap_err()
            .contains("stringData.k is empty"));
        assert!(parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n").is_err());
        assert!(parse("apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n").is_err());
    }

    #[test]
    fn sizes_past_the_apply_limits_warn() {
        assert_eq!(size_warning(10 * 1024), None);
        assert!(size_warning(250 * 1024).unwrap().contains("--server-side"));
        assert!(size_warning(1600 * 1024)
            .unwrap()
            .contains("split the Secret"));
    }

    #[test]
    fn odd_keys_are_quoted() {
        assert_eq!(key("password"), "password");
        assert_eq!(key("tls.crt"), "tls.crt");
        assert_eq!(key("yes"), "\"yes\"");
        assert_eq!(key("1st"), "\"1st\"");
    }
}
