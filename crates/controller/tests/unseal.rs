//! MAC verification on the API server's copy, scope binding and key policy,
//! on objects sealed with real age keys.

mod common;
use common::*;
use hush_controller::policy::Policy;
use hush_controller::unseal::{unseal, Failure, Payload};

fn ok(p: Result<Payload, Failure>) -> Payload {
    p.unwrap_or_else(|f| panic!("expected success, got {f}"))
}

fn reason(p: Result<Payload, Failure>) -> &'static str {
    match p {
        Ok(_) => "Ok",
        Err(f) => {
            assert!(!f.message().contains("hunter2"), "secret in message: {f}");
            f.reason()
        }
    }
}

fn sealed_db() -> (hush_core::keys::age::Identities, String, serde_json::Value) {
    let (ids, recipient) = age_key();
    let plain = plaintext(
        "prod",
        "db",
        "strict:prod/db",
        &[("password", "aHVudGVyMg=="), ("user", "YWRtaW4=")],
        &[("url", "postgres://hunter2@db")],
    );
    let served = served(&seal(&plain, &recipient), "uid-1", 1);
    (ids, recipient, served)
}

#[tokio::test]
async fn server_copy_with_extra_fields_and_sorted_keys_verifies() {
    let (ids, _, served) = sealed_db();
    let payload = ok(unseal(&object(&served), &ids, None).await);
    let got: Vec<(&str, &[u8])> = payload
        .0
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("password", &b"hunter2"[..]),
            ("url", &b"postgres://hunter2@db"[..]),
            ("user", &b"admin"[..])
        ]
    );
}

#[tokio::test]
async fn removed_added_or_swapped_values_fail_the_mac() {
    let (ids, _, served) = sealed_db();
    let mut removed = served.clone();
    removed["spec"]["data"]
        .as_object_mut()
        .unwrap()
        .remove("user");
    assert_eq!(
        reason(unseal(&object(&removed), &ids, None).await),
        "MacMismatch"
    );

    // An extra value copied from elsewhere in the file fails GCM at its new path.
    let mut added = served.clone();
    let url = served["spec"]["stringData"]["url"].clone();
    added["spec"]["stringData"]
        .as_object_mut()
        .unwrap()
        .insert("zz".into(), url);
    let r = reason(unseal(&object(&added), &ids, None).await);
    assert!(r == "DecryptFailed" || r == "MacMismatch", "{r}");

    let mut swapped = served.clone();
    let (a, b) = (
        served["spec"]["data"]["password"].clone(),
        served["spec"]["data"]["user"].clone(),
    );
    swapped["spec"]["data"]["password"] = b;
    swapped["spec"]["data"]["user"] = a;
    assert_eq!(
        reason(unseal(&object(&swapped), &ids, None).await),
        "DecryptFailed"
    );
}

#[tokio::test]
async fn copied_or_renamed_objects_do_not_decrypt() {
    let (ids, _, served) = sealed_db();
    let mut other_ns = served.clone();
    other_ns["metadata"]["namespace"] = "dev".into();
    assert_eq!(
        reason(unseal(&object(&other_ns), &ids, None).await),
        "ScopeMismatch"
    );
    let mut renamed = served.clone();
    renamed["metadata"]["name"] = "db2".into();
    assert_eq!(
        reason(unseal(&object(&renamed), &ids, None).await),
        "ScopeMismatch"
    );
    // Rewriting the scope value needs the data key: authentication fails.
    let mut rebound = served.clone();
    rebound["spec"]["scope"] = served["spec"]["data"]["user"].clone();
    assert_eq!(
        reason(unseal(&object(&rebound), &ids, None).await),
        "DecryptFailed"
    );
}

#[tokio::test]
async fn namespace_and_cluster_scopes() {
    let (ids, recipient) = age_key();
    for (scope, ns, name, want) in [
        ("namespace:prod", "prod", "other", "Ok"),
        ("namespace:prod", "dev", "db", "ScopeMismatch"),
        ("cluster", "anywhere", "any", "Ok"),
    ] {
        let plain = plaintext("prod", "db", scope, &[("k", "dg==")], &[]);
        let mut served = served(&seal(&plain, &recipient), "u", 1);
        served["metadata"]["namespace"] = ns.into();
        served["metadata"]["name"] = name.into();
        assert_eq!(
            reason(unseal(&object(&served), &ids, None).await),
            want,
            "{scope} as {ns}/{name}"
        );
    }
}

#[tokio::test]
async fn policy_limits_keys_per_namespace() {
    let (ids, recipient, served) = sealed_db();
    let allow = |ns: &str| {
        Policy::from_yaml(&format!("namespaces:\n  {ns}:\n    age: [{recipient}]\n")).unwrap()
    };
    ok(unseal(&object(&served), &ids, Some(&allow("prod"))).await);
    assert_eq!(
        reason(unseal(&object(&served), &ids, Some(&allow("team-b"))).await),
        "KeyNotAllowed"
    );
}

#[tokio::test]
async fn wrong_key_and_unverifiable_files() {
    let (ids, _, served_ok) = sealed_db();
    let (other_ids, other_recipient) = age_key();
    assert_eq!(
        reason(unseal(&object(&served_ok), &other_ids, None).await),
        "NoDataKey"
    );

    // Without mac_only_encrypted the API server's copy cannot be verified.
    let plain = plaintext("prod", "db", "strict:prod/db", &[("k", "dg==")], &[]);
    let mut opts = seal_options();
    opts.mac_only_encrypted = false;
    let r: hush_core::keys::age::Recipient = other_recipient.parse().unwrap();
    let groups = vec![vec![
        std::sync::Arc::new(r) as std::sync::Arc<dyn hush_core::keys::MasterKey>
    ]];
    let enc = hush_core::block_on(hush_core::encrypt(
        &hush_core::Plaintext::new(plain, hush_core::Format::Yaml),
        &groups,
        &opts,
    ))
    .unwrap();
    let full_mac = served(enc.as_str(), "u", 1);
    assert_eq!(
        reason(unseal(&object(&full_mac), &other_ids, None).await),
        "MacNotVerifiable"
    );

    let mut empty = served_ok.clone();
    empty["spec"]["stringData"]["extra"] = "".into();
    assert_eq!(
        reason(unseal(&object(&empty), &ids, None).await),
        "InvalidSpec"
    );

    let mut bad = full_mac.clone();
    bad["sops"] = serde_json::json!({});
    assert_eq!(
        reason(unseal(&object(&bad), &other_ids, None).await),
        "InvalidSpec"
    );
}

#[test]
fn sealed_file_matches_the_crd_schema_and_plaintext_does_not() {
    let crd: serde_json::Value = serde_json::to_value(
        <hush_controller::resource::EncryptedSecret as kube::CustomResourceExt>::crd(),
    )
    .unwrap();
    let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    let validator = jsonschema::validator_for(schema).unwrap();
    let (_, _, served) = sealed_db();
    assert!(
        validator.is_valid(&served),
        "{:?}",
        validator
            .iter_errors(&served)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    let mut plain = served.clone();
    plain["spec"]["data"]["password"] = "aHVudGVyMg==".into();
    assert!(
        !validator.is_valid(&plain),
        "a decrypted value must be refused"
    );
    let mut no_sops = served.clone();
    no_sops.as_object_mut().unwrap().remove("sops");
    assert!(!validator.is_valid(&no_sops), "the sops block is required");
}

/// An EncryptedSecret written by the real sops (sorted keys, the hush
/// selector, `--mac-only-encrypted`) verifies on the API server's copy.
#[tokio::test]
async fn sops_written_object_verifies() {
    let Some(sops) = std::env::var_os("HUSH_TEST_SOPS") else {
        panic!("HUSH_TEST_SOPS is not set: run ./scripts/test, which installs sops");
    };
    let (ids, recipient) = age_key();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("db.yaml");
    let plain = plaintext(
        "prod",
        "db",
        "strict:prod/db",
        &[("password", "aHVudGVyMg==")],
        &[("user", "admin")],
    );
    std::fs::write(&file, plain).unwrap();
    let out = std::process::Command::new(sops)
        .args([
            "--encrypt",
            "--age",
            &recipient,
            "--encrypted-regex",
            hush_core::encrypted_secret::ENCRYPTED_REGEX,
            "--mac-only-encrypted",
        ])
        .arg(&file)
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let served = served(std::str::from_utf8(&out.stdout).unwrap(), "uid-1", 1);
    let payload = ok(unseal(&object(&served), &ids, None).await);
    assert_eq!(payload.0["password"].as_slice(), b"hunter2");
    assert_eq!(payload.0["user"].as_slice(), b"admin");
}

/// Narrowing the file's own selector must not let a plaintext value in:
/// the controller pins `encrypted_regex`.
#[tokio::test]
async fn edited_selector_cannot_smuggle_values() {
    let (ids, _, served) = sealed_db();
    let mut smuggled = served.clone();
    smuggled["sops"]["encrypted_regex"] = "^(data|scope)$".into();
    smuggled["spec"]["stringData"]["url"] = "ENC[evil".into();
    assert_eq!(
        reason(unseal(&object(&smuggled), &ids, None).await),
        "MacNotVerifiable"
    );
    let mut widened = served.clone();
    widened["sops"]["encrypted_regex"] = ".*".into();
    assert_eq!(
        reason(unseal(&object(&widened), &ids, None).await),
        "MacNotVerifiable"
    );
}

/// A tenant relabels another tenant's age entry with a recipient their
/// namespace may use: the controller must not try the other identity.
#[tokio::test]
async fn relabelled_recipient_does_not_unlock_another_tenants_file() {
    use hush_controller::age_keys::AgeKeys;
    let (secret_a, recipient_a) = age_secret();
    let (secret_b, recipient_b) = age_secret();
    let keys =
        AgeKeys::from_text(&format!("# tenant a\n{secret_a}\n# tenant b\n{secret_b}\n")).unwrap();
    assert_eq!(keys.len(), 2);
    let plain = plaintext(
        "team-a",
        "db",
        "cluster",
        &[("password", "aHVudGVyMg==")],
        &[],
    );
    let served = served(&seal(&plain, &recipient_a), "u", 1);
    let policy = Policy::from_yaml(&format!(
        "namespaces:\n  team-a:\n    age: [{recipient_a}]\n  team-b:\n    age: [{recipient_b}]\n"
    ))
    .unwrap();
    ok(unseal(&object(&served), &keys, Some(&policy)).await);

    let mut copied = served.clone();
    copied["metadata"]["namespace"] = "team-b".into();
    assert_eq!(
        reason(unseal(&object(&copied), &keys, Some(&policy)).await),
        "KeyNotAllowed"
    );

    let mut relabelled = copied.clone();
    relabelled["sops"]["age"][0]["recipient"] = recipient_b.clone().into();
    assert_eq!(
        reason(unseal(&object(&relabelled), &keys, Some(&policy)).await),
        "NoDataKey"
    );
}

/// Changing a value's type tag gives one message, whatever the plaintext
/// (a canonical integer or not): no bit leaks through the status.
#[tokio::test]
async fn retyped_values_give_one_message_whatever_the_plaintext() {
    let (ids, recipient) = age_key();
    let plain = plaintext(
        "prod",
        "db",
        "strict:prod/db",
        &[],
        &[("a", "123"), ("b", "hunter2")],
    );
    let served = served(&seal(&plain, &recipient), "uid-1", 1);
    let mut messages = Vec::new();
    for key in ["a", "b"] {
        for tag in ["int", "float", "bool"] {
            let mut retyped = served.clone();
            let v = retyped["spec"]["stringData"][key]
                .as_str()
                .unwrap()
                .to_string();
            retyped["spec"]["stringData"][key] =
                v.replace(",type:str]", &format!(",type:{tag}]")).into();
            let f = unseal(&object(&retyped), &ids, None).await.unwrap_err();
            messages.push(
                f.to_string()
                    .replace(&format!("stringData.{key}"), "stringData.KEY"),
            );
        }
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("does not decode to its declared type"),
        "{}",
        messages[0]
    );
}

/// Records the entries that reach the providers.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<hush_core::metadata::KeyEntry>>);

impl hush_core::keys::Unwrapper for Recorder {
    fn unwrap<'a>(
        &'a self,
        entry: &'a hush_core::metadata::KeyEntry,
    ) -> hush_core::keys::BoxFuture<'a, Option<hush_core::Result<secrecy::SecretSlice<u8>>>> {
        self.0.lock().unwrap().push(entry.clone());
        Box::pin(async { None })
    }
}

/// A sealed object whose only master key is a KMS entry naming a role, an
/// AWS profile and an encryption context.
fn kms_object(role: &str, context: serde_json::Value) -> serde_json::Value {
    let (_, _, mut served) = sealed_db();
    let sops = served["sops"].as_object_mut().unwrap();
    sops.remove("age");
    sops.insert(
        "kms".into(),
        serde_json::json!([{
            "arn": "arn:aws:kms:eu-west-1:111122223333:key/k",
            "role": role,
            "aws_profile": "admin",
            "context": context,
            "created_at": "2026-11-29T00:00:00Z",
            "enc": "AAAA",
        }]),
    );
    served
}

fn kms_seen(rec: &Recorder) -> (Option<String>, String) {
    let seen = rec.0.lock().unwrap();
    match seen.as_slice() {
        [hush_core::metadata::KeyEntry::Kms(k)] => (k.role.clone(), k.aws_profile.clone()),
        other => panic!("expected one KMS unwrap, got {other:?}"),
    }
}

#[tokio::test]
async fn kms_role_and_profile_from_the_object_are_not_used() {
    let tenant_role = "arn:aws:iam::111122223333:role/admin";
    let obj = object(&kms_object(tenant_role, serde_json::json!({})));
    // No policy: the controller's own credentials, no role, no profile.
    let rec = Recorder::default();
    assert_eq!(reason(unseal(&obj, &rec, None).await), "NoDataKey");
    assert_eq!(kms_seen(&rec), (None, String::new()));

    // A policy that does not list the role: never tried.
    let arn = "arn:aws:kms:eu-west-1:111122223333:key/k";
    let p = Policy::from_yaml(&format!(
        "namespaces:\n  prod:\n    kms: [{arn}]\n    kms_roles: [arn:aws:iam::111122223333:role/prod]\n"
    ))
    .unwrap();
    let rec = Recorder::default();
    assert_eq!(reason(unseal(&obj, &rec, Some(&p)).await), "KeyNotAllowed");
    assert!(rec.0.lock().unwrap().is_empty());

    // A listed role is assumed; the profile is still dropped.
    let p = Policy::from_yaml(&format!(
        "namespaces:\n  prod:\n    kms: [{arn}]\n    kms_roles: [{tenant_role}]\n"
    ))
    .unwrap();
    let rec = Recorder::default();
    assert_eq!(reason(unseal(&obj, &rec, Some(&p)).await), "NoDataKey");
    assert_eq!(kms_seen(&rec), (Some(tenant_role.into()), String::new()));
}

#[tokio::test]
async fn pinned_kms_context_keeps_another_namespaces_file_out() {
    let arn = "arn:aws:kms:eu-west-1:111122223333:key/k";
    let p = Policy::from_yaml(&format!(
        "namespaces:\n  prod:\n    kms: [{arn}]\n    kms_context: {{namespace: prod}}\n"
    ))
    .unwrap();
    let theirs = object(&kms_object("", serde_json::json!({"namespace": "staging"})));
    let rec = Recorder::default();
    assert_eq!(
        reason(unseal(&theirs, &rec, Some(&p)).await),
        "KeyNotAllowed"
    );
    assert!(
        rec.0.lock().unwrap().is_empty(),
        "no KMS call for a foreign context"
    );
    let ours = object(&kms_object("", serde_json::json!({"namespace": "prod"})));
    let rec = Recorder::default();
    assert_eq!(reason(unseal(&ours, &rec, Some(&p)).await), "NoDataKey");
    assert_eq!(rec.0.lock().unwrap().len(), 1);
}

/// Counts KMS calls and fails each with `reason`, transient or not.
struct RefusingKms(std::sync::atomic::AtomicUsize, &'static str, bool);
impl hush_core::keys::Unwrapper for RefusingKms {
    fn unwrap<'a>(
        &'a self,
        e: &'a hush_core::metadata::KeyEntry,
    ) -> hush_core::keys::BoxFuture<'a, Option<hush_core::Result<secrecy::SecretSlice<u8>>>> {
        Box::pin(async move {
            let hush_core::metadata::KeyEntry::Kms(_) = e else {
                return None;
            };
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let (provider, reason) = ("kms", self.1.into());
            Some(Err(match self.2 {
                true => hush_core::Error::KeyTransient { provider, reason },
                false => hush_core::Error::Key { provider, reason },
            }))
        })
    }
}

/// The sealed object with its age entry replaced by `n` KMS entries.
fn with_kms_entries(served: &serde_json::Value, n: usize) -> serde_json::Value {
    let mut v = served.clone();
    let sops = v["sops"].as_object_mut().unwrap();
    sops.remove("age");
    let kms: Vec<_> = (0..n)
        .map(|i| {
            serde_json::json!({"arn": format!("arn:aws:kms:eu-west-1:111122223333:key/k{i}"),
            "created_at": "2026-11-29T00:00:00Z", "enc": "AAAA", "aws_profile": ""})
        })
        .collect();
    sops.insert("kms".into(), kms.into());
    v
}

#[tokio::test]
async fn kms_refusals_are_final_throttling_is_retried_and_entries_are_capped() {
    use hush_controller::unseal::KMS_ENTRIES_TRIED;
    use std::sync::atomic::Ordering;
    let (_, _, served) = sealed_db();
    let many = object(&with_kms_entries(&served, 50));
    let denied = RefusingKms(
        Default::default(),
        "access denied (AccessDeniedException)",
        false,
    );
    let f = unseal(&many, &denied, None).await.unwrap_err();
    assert_eq!(f.reason(), "KeyUnavailable", "{f}");
    assert!(!f.retryable());
    assert_eq!(
        denied.0.load(Ordering::SeqCst),
        KMS_ENTRIES_TRIED,
        "a tenant's 50 entries cost at most {KMS_ENTRIES_TRIED} KMS calls"
    );

    let one = object(&with_kms_entries(&served, 1));
    let throttled = RefusingKms(
        Default::default(),
        "ThrottlingException: Rate exceeded",
        true,
    );
    let f = unseal(&one, &throttled, None).await.unwrap_err();
    assert_eq!(f.reason(), "NoDataKey", "{f}");
    assert!(f.retryable());
}
