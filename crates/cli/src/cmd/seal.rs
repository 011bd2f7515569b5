//! `hush seal`: a plaintext `kind: Secret` manifest in, an `EncryptedSecret`
//! out, in canonical key order and bound to its scope.

use crate::args::{ScopeKind, SealArgs};
use crate::failure::{core, fail, Failure};
use crate::io::{read_input, write_atomic, write_stdout};
use crate::keys::{load_config, rule_keys};
use crate::runtime::runtime;
use hush_core::encrypted_secret::{self as contract, Scope, SecretParts};
use hush_core::error::exit;
use hush_core::{Format, Plaintext};
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;
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

impl SecretManifest {
    fn into_parts(self) -> SecretParts {
        SecretParts {
            name: self.metadata.name,
            namespace: self.metadata.namespace,
            type_: self.type_,
            labels: self.metadata.labels,
            annotations: self.metadata.annotations,
            data: self.data,
            string_data: self.string_data,
        }
    }
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
    let doc = contract::document(&secret.into_parts(), &scope)
        .map_err(|m| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {m}")))?;
    let groups = keys(&a)?;
    let plain = Plaintext::new(doc.to_string(), Format::Yaml);
    let enc = runtime()?
        .block_on(hush_core::encrypt(
            &plain,
            &groups,
            &contract::encrypt_options(),
        ))
        .map_err(core(&name))?;
    if let Some(w) = contract::size_warning(enc.as_str().len()) {
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

fn keys(a: &SealArgs) -> Result<hush_core::KeyGroups> {
    let groups = keys_of(a)?;
    // hush-controller runs no gpg (docs/controller.md).
    contract::check_key_groups(&groups).map_err(|e| fail(exit::ERROR_GENERIC, e.to_string()))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_v1_secret_is_read() {
        let one = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  a: true\n";
        let parts = parse(one).unwrap().into_parts();
        assert_eq!(
            (parts.name.as_str(), parts.namespace.as_deref()),
            ("db", Some("prod"))
        );
        assert!(parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n").is_err());
        assert!(parse("apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n").is_err());
    }
}
