//! Turning an `EncryptedSecret`, as the API server returns it, into the
//! bytes of its Secret: policy check, data-key unwrap, MAC verification,
//! value decryption and the scope check.

use crate::policy::Policy;
use crate::resource::EncryptedSecret;
use base64::Engine as _;
use hush_core::encrypted_secret::{self as contract, MetadataFault, Scope};
use hush_core::keys::{BoxFuture, Unwrapper};
use hush_core::metadata::KeyEntry;
use hush_core::{Ciphertext, DecryptOptions, Format};
use kube::ResourceExt;
use secrecy::SecretSlice;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use zeroize::Zeroizing;

/// Why an object could not be turned into a Secret. The variant is the
/// condition reason; the text never contains a secret value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The existing Secret is not hush's, and adoption was not asked for.
    SecretNotManaged(String),
    /// None of the file's master keys is allowed in this namespace.
    KeyNotAllowed(String),
    /// No key could unwrap the data key yet (KMS throttled, unreachable or
    /// timed out; an age key not mounted yet): retried soon.
    NoDataKey(String),
    /// Every KMS key tried refused for good (access denied, a bad
    /// ciphertext or context, no such key), or the object lists more KMS
    /// keys than are tried: retried only at the resync or on a change.
    KeyUnavailable(String),
    /// The MAC does not match the values.
    MacMismatch(String),
    /// The file cannot be verified on the API server's copy.
    MacNotVerifiable(String),
    /// The ciphertext is bound to another namespace or name.
    ScopeMismatch(String),
    /// A value failed authentication.
    DecryptFailed(String),
    /// The object is malformed.
    InvalidSpec(String),
    /// The Secret could not be written, for a reason that may pass: HTTP
    /// 429 or 5xx, a network error or a timeout.
    ApplyFailed(String),
    /// The API server refused the Secret (another 4xx): reason
    /// `ApplyFailed`, retried only at the resync or on a change.
    ApplyRejected(String),
    /// Taking a Secret over was refused: changing its ownerReferences
    /// needs `delete` under OwnerReferencesPermissionEnforcement.
    OwnerReferencesForbidden(String),
}

impl Failure {
    /// The condition reason.
    pub fn reason(&self) -> &'static str {
        match self {
            Failure::SecretNotManaged(_) => "SecretNotManaged",
            Failure::KeyNotAllowed(_) => "KeyNotAllowed",
            Failure::NoDataKey(_) => "NoDataKey",
            Failure::KeyUnavailable(_) => "KeyUnavailable",
            Failure::MacMismatch(_) => "MacMismatch",
            Failure::MacNotVerifiable(_) => "MacNotVerifiable",
            Failure::ScopeMismatch(_) => "ScopeMismatch",
            Failure::DecryptFailed(_) => "DecryptFailed",
            Failure::InvalidSpec(_) => "InvalidSpec",
            Failure::ApplyFailed(_) | Failure::ApplyRejected(_) => "ApplyFailed",
            Failure::OwnerReferencesForbidden(_) => "OwnerReferencesForbidden",
        }
    }

    /// The one-line message.
    pub fn message(&self) -> &str {
        match self {
            Failure::SecretNotManaged(m)
            | Failure::KeyNotAllowed(m)
            | Failure::NoDataKey(m)
            | Failure::KeyUnavailable(m)
            | Failure::MacMismatch(m)
            | Failure::MacNotVerifiable(m)
            | Failure::ScopeMismatch(m)
            | Failure::DecryptFailed(m)
            | Failure::InvalidSpec(m)
            | Failure::ApplyFailed(m)
            | Failure::ApplyRejected(m)
            | Failure::OwnerReferencesForbidden(m) => m,
        }
    }

    /// Whether the failure may heal without a change to the object (a
    /// throttled or unreachable KMS, a refused write), so it is retried
    /// with a short backoff.
    pub fn retryable(&self) -> bool {
        matches!(self, Failure::NoDataKey(_) | Failure::ApplyFailed(_))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason(), self.message())
    }
}

/// The Secret's data, decrypted. `Debug` shows only the keys.
#[derive(Default, PartialEq)]
pub struct Payload(pub BTreeMap<String, Zeroizing<Vec<u8>>>);

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Stands between a file's key entries and the providers: refuses, before
/// any unwrap, keys the policy does not allow, and strips the KMS settings
/// the (unauthenticated) sops block must not choose: `aws_profile` always,
/// `role` unless the namespace's policy lists it.
struct Gate<'a> {
    policy: Option<&'a Policy>,
    namespace: &'a str,
    inner: &'a dyn Unwrapper,
    /// KMS entries tried so far (at most [`KMS_ENTRIES_TRIED`]).
    kms_tried: AtomicUsize,
    /// Whether a KMS key refused for good.
    refused: AtomicBool,
    /// Whether a KMS failure may heal by itself.
    transient: AtomicBool,
}

/// KMS entries tried per object: each may cost a KMS call, and the
/// entries are the tenant's to write.
pub const KMS_ENTRIES_TRIED: usize = 4;

impl Unwrapper for Gate<'_> {
    fn unwrap<'a>(
        &'a self,
        entry: &'a KeyEntry,
    ) -> BoxFuture<'a, Option<hush_core::Result<SecretSlice<u8>>>> {
        Box::pin(async move {
            if self
                .policy
                .is_some_and(|p| !p.permits(self.namespace, entry))
            {
                return Some(Err(hush_core::Error::Key {
                    provider: "policy",
                    reason: format!("not allowed in namespace {}", self.namespace),
                }));
            }
            let kms = matches!(entry, KeyEntry::Kms(_));
            if kms && self.kms_tried.fetch_add(1, Ordering::SeqCst) >= KMS_ENTRIES_TRIED {
                self.refused.store(true, Ordering::SeqCst);
                return Some(Err(hush_core::Error::Key {
                    provider: "kms",
                    reason: format!(
                        "not tried: at most {KMS_ENTRIES_TRIED} KMS keys are tried per object"
                    ),
                }));
            }
            let res = self
                .inner
                .unwrap(&controller_settings(entry, self.policy.is_some()))
                .await;
            if let (true, Some(Err(e))) = (kms, &res) {
                let flag = match crate::kms::transient(e) {
                    true => &self.transient,
                    false => &self.refused,
                };
                flag.store(true, Ordering::SeqCst);
            }
            res
        })
    }
}

/// The entry as the controller uses it: its own credentials (no profile),
/// and a role only when a policy vetted it.
pub fn controller_settings(entry: &KeyEntry, role_vetted: bool) -> KeyEntry {
    let mut entry = entry.clone();
    if let KeyEntry::Kms(k) = &mut entry {
        k.aws_profile = String::new();
        if !role_vetted {
            k.role = None;
        }
    }
    entry
}

/// Decrypts `obj` with the keys `policy` allows in its namespace.
pub async fn unseal(
    obj: &EncryptedSecret,
    keys: &dyn Unwrapper,
    policy: Option<&Policy>,
) -> Result<Payload, Failure> {
    let namespace = obj.namespace().unwrap_or_default();
    let name = obj.name_any();
    let enc = verifiable_copy(obj)?;
    let meta = hush_core::metadata(&enc).map_err(classify)?;
    // The selector decides which values are decrypted and hashed; the file's
    // own (unauthenticated) choice must not widen what passes as plaintext.
    match contract::metadata_fault(&meta) {
        Some(MetadataFault::Selector) => {
            return Err(Failure::MacNotVerifiable(format!(
                "the sops metadata must select `encrypted_regex: {}`; seal it with `hush seal`",
                contract::ENCRYPTED_REGEX
            )))
        }
        Some(MetadataFault::MacNotOnlyEncrypted) => {
            return Err(Failure::MacNotVerifiable(
                "the sops metadata lacks `mac_only_encrypted: true`, so the MAC cannot be checked on the \
                 API server's copy; seal it with `hush seal`"
                    .into(),
            ))
        }
        None => {}
    }
    check_types(obj)?;
    if let Some(p) = policy {
        let allowed = meta
            .groups
            .iter()
            .flat_map(|g| &g.keys)
            .any(|e| p.permits(&namespace, e));
        if !allowed {
            return Err(Failure::KeyNotAllowed(format!(
                "none of the file's master keys is allowed in namespace {namespace}"
            )));
        }
    }
    let gate = Gate {
        policy,
        namespace: &namespace,
        inner: keys,
        kms_tried: AtomicUsize::new(0),
        refused: AtomicBool::new(false),
        transient: AtomicBool::new(false),
    };
    let keys: &dyn Unwrapper = &gate;
    let plain = hush_core::decrypt(&enc, &[keys], &DecryptOptions::default())
        .await
        .map_err(|e| match classify(e) {
            // Only KMS refusals are known to be final; an age key may
            // still be mounted.
            Failure::NoDataKey(m)
                if gate.refused.load(Ordering::SeqCst)
                    && !gate.transient.load(Ordering::SeqCst) =>
            {
                Failure::KeyUnavailable(m)
            }
            f => f,
        })?;
    let doc: serde_json::Value = serde_json::from_str(plain.expose())
        .map_err(|_| Failure::InvalidSpec("decrypted object is not JSON".into()))?;
    check_scope(&doc, &namespace, &name)?;
    payload(&doc)
}

/// The object as a sops JSON file: `spec` and `sops`, keys in the order the
/// API server returns them (sorted). `metadata` is not part of the MAC.
fn verifiable_copy(obj: &EncryptedSecret) -> Result<Ciphertext, Failure> {
    let spec = &obj.spec.spec;
    if obj.spec.sops.is_empty() {
        return Err(Failure::InvalidSpec(
            "the object has no sops metadata".into(),
        ));
    }
    // sops leaves empty values in plaintext: refuse them (and any other
    // value that is not ciphertext).
    let fields = [("data", &spec.data), ("stringData", &spec.string_data)];
    for (field, map) in fields {
        if let Some(key) = map.keys().find(|k| !map[*k].starts_with("ENC[")) {
            return Err(Failure::InvalidSpec(format!(
                "spec.{field}.{key} is not encrypted; every value must be ENC[...]"
            )));
        }
    }
    let doc = serde_json::json!({ "spec": obj.spec.spec, "sops": obj.spec.sops });
    let text =
        serde_json::to_string(&api_order(doc)).map_err(|e| Failure::InvalidSpec(e.to_string()))?;
    Ok(Ciphertext::new(text, Format::Json))
}

/// Every value is a string: a value declared as another type is refused
/// before it is decrypted, so no message depends on the plaintext.
fn check_types(obj: &EncryptedSecret) -> Result<(), Failure> {
    let spec = &obj.spec.spec;
    for (field, map) in [("data", &spec.data), ("stringData", &spec.string_data)] {
        if let Some(key) = map.keys().find(|k| !contract::declared_str(&map[*k])) {
            return Err(not_its_type(&format!("spec.{field}.{key}")));
        }
    }
    if !contract::declared_str(&spec.scope) {
        return Err(not_its_type("spec.scope"));
    }
    Ok(())
}

/// The one message for every value that is not a string as declared,
/// whatever its plaintext (a per-value difference would be an oracle).
fn not_its_type(path: &str) -> Failure {
    Failure::InvalidSpec(format!(
        "{path} does not decode to its declared type; every value must be ENC[...,type:str]"
    ))
}

/// Every map's keys in byte order, as the API server (Go's JSON encoder)
/// returns them, whether or not serde_json preserves insertion order.
pub fn api_order(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let mut items: Vec<_> = m.into_iter().collect();
            items.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(items.into_iter().map(|(k, v)| (k, api_order(v))).collect())
        }
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(api_order).collect())
        }
        other => other,
    }
}

fn classify(e: hush_core::Error) -> Failure {
    use hush_core::Error as E;
    let msg = e.to_string();
    match e {
        E::NoDataKey(_) | E::Key { .. } => Failure::NoDataKey(msg),
        E::MacMismatch | E::MacNotFound => Failure::MacMismatch(format!(
            "{msg}; a value was added, removed, swapped or changed, or the file was not in canonical \
             key order when sealed (see `hush check`)"
        )),
        E::ValueDecrypt { .. } => Failure::DecryptFailed(msg),
        _ => Failure::InvalidSpec(msg),
    }
}

fn check_scope(doc: &serde_json::Value, namespace: &str, name: &str) -> Result<(), Failure> {
    let text = doc["spec"]["scope"]
        .as_str()
        .ok_or_else(|| Failure::InvalidSpec("spec.scope is missing".into()))?;
    let scope: Scope = text
        .parse()
        .map_err(|e| Failure::InvalidSpec(format!("spec.scope: {e}")))?;
    match scope.refusal(namespace, name) {
        Some(m) => Err(Failure::ScopeMismatch(m)),
        None => Ok(()),
    }
}

fn payload(doc: &serde_json::Value) -> Result<Payload, Failure> {
    let mut out = BTreeMap::new();
    let spec = &doc["spec"];
    for (field, base64) in [("data", true), ("stringData", false)] {
        let Some(map) = spec[field].as_object() else {
            continue;
        };
        for (key, value) in map {
            valid_key(key)?;
            let text = value
                .as_str()
                .ok_or_else(|| not_its_type(&format!("spec.{field}.{key}")))?;
            let bytes = if base64 {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|_| {
                        Failure::InvalidSpec(format!("spec.data.{key} is not valid base64"))
                    })?
            } else {
                text.as_bytes().to_vec()
            };
            out.insert(key.clone(), Zeroizing::new(bytes));
        }
    }
    Ok(Payload(out))
}

/// Secret keys: `[-._a-zA-Z0-9]+`, as the API server requires.
fn valid_key(key: &str) -> Result<(), Failure> {
    contract::valid_secret_key(key)
        .then_some(())
        .ok_or_else(|| Failure::InvalidSpec(format!("`{key}` is not a valid Secret key")))
}
