//! The `EncryptedSecret` custom resource: a sops file the API server stores.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// API group of hush's resources (the contract's, see
/// [`hush_core::encrypted_secret`]).
pub const GROUP: &str = hush_core::encrypted_secret::GROUP;
/// The label every Secret hush manages carries, with value [`MANAGER`].
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Field manager and `managed-by` value.
pub const MANAGER: &str = "hush-controller";
/// Annotation on an `EncryptedSecret` that lets hush take over an existing Secret.
pub const ADOPT: &str = "hush.dev/adopt";

/// An encrypted Kubernetes Secret that is also a valid sops file.
///
/// `spec.data` / `spec.stringData` hold `ENC[…]` values and `spec.scope` the
/// encrypted binding; the `sops:` block sits at the top level, where every
/// sops version puts it. Its schema keeps unknown fields, so files written
/// by any sops version pass strict field validation.
// One `printcolumn` per column: not a duplicated attribute.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema, PartialEq)]
#[kube(
    group = "hush.dev",
    version = "v1alpha1",
    kind = "EncryptedSecret",
    namespaced,
    no_spec,
    status = "EncryptedSecretStatus",
    shortname = "esec",
    category = "hush",
    derive = "PartialEq",
    doc = "A Secret kept encrypted in the SOPS format; hush-controller decrypts it into a Secret of the same name.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
pub struct EncryptedSecretFields {
    /// The encrypted content.
    pub spec: EncryptedSecretSpec,
    /// The sops metadata (data key wrapped per master key, MAC, …).
    #[schemars(schema_with = "open_object")]
    pub sops: serde_json::Map<String, serde_json::Value>,
}

/// What the Secret will hold, encrypted.
#[derive(Deserialize, Serialize, Clone, Debug, Default, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EncryptedSecretSpec {
    /// Like `Secret.data`: base64 plaintext, each value encrypted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "encrypted_map")]
    pub data: BTreeMap<String, String>,
    /// Like `Secret.stringData`: plaintext, each value encrypted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "encrypted_map")]
    pub string_data: BTreeMap<String, String>,
    /// The encrypted binding: `strict:NS/NAME`, `namespace:NS` or `cluster`.
    #[schemars(schema_with = "encrypted_value")]
    pub scope: String,
    /// The Secret's type, labels and annotations (not encrypted).
    #[serde(default)]
    pub template: SecretTemplate,
}

/// The plaintext parts of the generated Secret.
#[derive(Deserialize, Serialize, Clone, Debug, Default, JsonSchema, PartialEq)]
pub struct SecretTemplate {
    /// `Secret.type` (default `Opaque`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Labels and annotations for the Secret.
    #[serde(default)]
    pub metadata: TemplateMetadata,
}

/// Labels and annotations copied onto the Secret.
#[derive(Deserialize, Serialize, Clone, Debug, Default, JsonSchema, PartialEq)]
pub struct TemplateMetadata {
    /// Labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// What the controller last did with the resource.
#[derive(Deserialize, Serialize, Clone, Debug, Default, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EncryptedSecretStatus {
    /// The generation the conditions describe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, with a reason naming the failure class.
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// A standard Kubernetes condition.
#[derive(Deserialize, Serialize, Clone, Debug, Default, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Always `Ready`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True` or `False`.
    pub status: String,
    /// CamelCase failure class, such as `ScopeMismatch`.
    pub reason: String,
    /// One line for humans; never a secret value.
    pub message: String,
    /// When `status` last changed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    /// The generation this condition was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

fn open_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
        "description": "sops metadata: the data key wrapped for each master key, the MAC and settings."
    })
}

fn encrypted_value(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "pattern": "^ENC\\[",
        "description": "An ENC[...] value; plaintext is refused so a decrypted file cannot be applied."
    })
}

fn encrypted_map(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": {"type": "string", "pattern": "^ENC\\["},
        "description": "Keys in sorted order; each value an ENC[...] value."
    })
}

/// The CRD, as YAML, exactly as committed under `charts/`.
pub fn crd_yaml() -> String {
    use kube::CustomResourceExt;
    let yaml = serde_yaml_ng::to_string(&EncryptedSecret::crd()).expect("CRD serializes");
    format!("# Generated by `hush-controller crd`; do not edit.\n{yaml}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::Resource;

    #[test]
    fn the_resource_is_the_contracts() {
        use hush_core::encrypted_secret as contract;
        assert_eq!(EncryptedSecret::group(&()), contract::GROUP);
        assert_eq!(EncryptedSecret::version(&()), contract::VERSION);
        assert_eq!(EncryptedSecret::kind(&()), contract::KIND);
        assert_eq!(EncryptedSecret::api_version(&()), contract::API_VERSION);
    }
}
