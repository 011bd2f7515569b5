//! Reconcile decisions as pure functions: the object, the decrypt outcome
//! and the existing Secret go in; the Secret to apply, the status and the
//! Event come out. The async shell in `controller` only performs them.

use crate::resource::{
    Condition, EncryptedSecret, EncryptedSecretStatus, ADOPT, MANAGED_BY, MANAGER,
};
use crate::unseal::{Failure, Payload};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::ByteString;
use kube::{Resource, ResourceExt};
use std::collections::BTreeMap;
use std::time::Duration;

/// What one reconcile should do.
#[derive(Debug, PartialEq)]
pub struct Plan {
    /// The Secret to server-side apply, if it is missing or has drifted.
    pub apply: Option<Secret>,
    /// The status to write, if it changed.
    pub status: Option<EncryptedSecretStatus>,
    /// An Event to record.
    pub event: Option<Note>,
}

/// An Event: `warning` or normal, a reason and a one-line message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Warning (true) or Normal.
    pub warning: bool,
    /// CamelCase reason.
    pub reason: String,
    /// One line; never a secret value.
    pub message: String,
}

/// How hush may write the Secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    /// No Secret existed: create it, and never take over one that appears
    /// meanwhile (a conflict is `SecretNotManaged`).
    Create,
    /// The Secret carries this object's ownerReference, or adoption was
    /// asked for: server-side apply with force.
    Force,
}

/// Whether hush may write the existing Secret, and how: create when absent;
/// force only when it carries this object's ownerReference (uid match) or
/// adoption is annotated and no other controller owns it. The `managed-by`
/// label alone is not ownership: anyone who can create a Secret can set it.
pub fn check_ownership(obj: &EncryptedSecret, existing: Option<&Secret>) -> Result<Write, Failure> {
    let Some(secret) = existing else {
        return Ok(Write::Create);
    };
    let adopt = obj.annotations().get(ADOPT).map(String::as_str) == Some("true");
    let other_controller = secret
        .owner_references()
        .iter()
        .any(|o| o.controller == Some(true) && Some(&o.uid) != obj.uid().as_ref());
    if owned(obj, secret) || (adopt && !other_controller) {
        return Ok(Write::Force);
    }
    Err(not_managed(&secret.name_any()))
}

/// Whether `secret` carries `obj`'s ownerReference.
pub fn owned(obj: &EncryptedSecret, secret: &Secret) -> bool {
    let uid = obj.uid();
    secret
        .owner_references()
        .iter()
        .any(|o| Some(&o.uid) == uid.as_ref() && o.kind == "EncryptedSecret")
}

fn not_managed(name: &str) -> Failure {
    Failure::SecretNotManaged(format!(
        "Secret {name} exists and is not owned by this EncryptedSecret; annotate the EncryptedSecret with {ADOPT}=\"true\" to take it over"
    ))
}

/// The failure a refused write becomes. A create that finds a Secret means
/// someone else created it meanwhile; a 403 while taking a Secret over is
/// most likely OwnerReferencesPermissionEnforcement (changing
/// ownerReferences needs `delete` on the Secret).
pub fn refused(
    obj: &EncryptedSecret,
    existing: Option<&Secret>,
    write: Write,
    code: Option<u16>,
    reason: &str,
) -> Failure {
    let name = obj.name_any();
    let adopting = existing.is_some_and(|s| !owned(obj, s));
    match (write, code) {
        (Write::Create, Some(409)) => not_managed(&name),
        (Write::Force, Some(403)) if adopting => Failure::OwnerReferencesForbidden(format!(
            "the API server refused to set the ownerReference of Secret {name} (HTTP 403): taking a Secret over needs `delete` on secrets where OwnerReferencesPermissionEnforcement is on (OpenShift); set the chart value rbac.adoptSecrets=true"
        )),
        // The Secret changed or went away since it was read (the apply's
        // preconditions): read it again soon.
        (Write::Force, Some(409 | 404)) => Failure::ApplyFailed(format!(
            "the Secret changed while it was being written: {reason} (HTTP {code:?}); retrying"
        )),
        (_, Some(code)) if code == 429 || code >= 500 => Failure::ApplyFailed(format!(
            "the API server could not write the Secret: {reason} (HTTP {code})"
        )),
        (_, Some(code)) => Failure::ApplyRejected(format!(
            "the API server refused the Secret: {reason} (HTTP {code})"
        )),
        (_, None) => Failure::ApplyFailed("the Secret could not be written".into()),
    }
}

/// Whether a write changed the Secret (an Event is worth recording): a
/// create always does, an apply only when the resourceVersion moved.
pub fn write_changed(existing: Option<&Secret>, written: &Secret) -> bool {
    existing.is_none_or(|e| e.resource_version() != written.resource_version())
}

/// How long until the next reconcile. Failures that may heal by
/// themselves (no data key yet: KMS throttling, a network error, a key
/// Secret not mounted yet) back off from 5 s, doubling to at most 5 min;
/// the rest wait for a change or the resync.
pub fn requeue_after(failure: Option<&Failure>, attempts: u32, resync: Duration) -> Duration {
    match failure {
        Some(f) if f.retryable() => backoff(attempts).min(resync),
        _ => resync,
    }
}

/// 5 s, 10 s, 20 s, … capped at 5 min.
pub fn backoff(attempts: u32) -> Duration {
    const BASE: u64 = 5;
    const CAP: u64 = 300;
    Duration::from_secs(BASE.saturating_mul(1u64 << attempts.min(16)).min(CAP))
}

/// The Secret an object's payload becomes.
pub fn desired_secret(obj: &EncryptedSecret, payload: &Payload) -> Secret {
    let tpl = &obj.spec.spec.template;
    let mut labels = tpl.metadata.labels.clone();
    labels.insert(MANAGED_BY.into(), MANAGER.into());
    Secret {
        metadata: ObjectMeta {
            name: Some(obj.name_any()),
            namespace: obj.namespace(),
            labels: Some(labels),
            annotations: (!tpl.metadata.annotations.is_empty())
                .then(|| tpl.metadata.annotations.clone()),
            owner_references: Some(vec![owner_reference(obj)]),
            ..ObjectMeta::default()
        },
        type_: Some(tpl.type_.clone().unwrap_or_else(|| "Opaque".into())),
        data: Some(
            payload
                .0
                .iter()
                .map(|(k, v)| (k.clone(), ByteString(v.to_vec())))
                .collect(),
        ),
        ..Secret::default()
    }
}

fn owner_reference(obj: &EncryptedSecret) -> OwnerReference {
    OwnerReference {
        api_version: EncryptedSecret::api_version(&()).into_owned(),
        kind: EncryptedSecret::kind(&()).into_owned(),
        name: obj.name_any(),
        uid: obj.uid().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Whether `existing` already has everything `desired` sets.
///
/// Compared by reference: both hold plaintext, and copies are not zeroized.
pub fn in_sync(existing: &Secret, desired: &Secret) -> bool {
    let subset = |want: &Option<BTreeMap<String, String>>, have: &BTreeMap<String, String>| {
        want.iter().flatten().all(|(k, v)| have.get(k) == Some(v))
    };
    let owner = desired.owner_references().first();
    // Keys other managers added stay (server-side apply never removes them),
    // so they must not count as drift; keys hush dropped go on a new generation.
    let have = existing.data.as_ref();
    let data_ok = desired
        .data
        .iter()
        .flatten()
        .all(|(k, v)| have.and_then(|h| h.get(k)) == Some(v));
    data_ok
        && existing.type_ == desired.type_
        && subset(&desired.metadata.labels, existing.labels())
        && subset(&desired.metadata.annotations, existing.annotations())
        && owner.is_some_and(|o| existing.owner_references().iter().any(|e| e.uid == o.uid))
}

/// Decides a reconcile. `now` is an RFC 3339 timestamp for new transitions.
pub fn plan(
    obj: &EncryptedSecret,
    existing: Option<&Secret>,
    outcome: Result<&Payload, &Failure>,
    now: &str,
) -> Plan {
    match outcome {
        Ok(payload) => {
            let desired = desired_secret(obj, payload);
            // A new generation re-applies even when in sync, so labels or
            // annotations removed from the template leave the Secret too.
            let seen = obj.status.as_ref().and_then(|s| s.observed_generation);
            let fresh = seen.is_some() && seen == obj.metadata.generation;
            let synced = fresh && existing.is_some_and(|e| in_sync(e, &desired));
            let apply = (!synced).then_some(desired);
            let message = format!("Secret {} holds {} key(s)", obj.name_any(), payload.0.len());
            let event = apply.as_ref().map(|_| Note {
                warning: false,
                reason: if existing.is_some() {
                    "SecretUpdated"
                } else {
                    "SecretCreated"
                }
                .into(),
                message: message.clone(),
            });
            let status = next_status(obj, true, "Decrypted", &message, now);
            Plan {
                apply,
                status,
                event,
            }
        }
        Err(failure) => {
            let message = one_line(failure.message());
            let changed = ready_condition(obj)
                .is_none_or(|c| c.status != "False" || c.reason != failure.reason());
            let status = next_status(obj, false, failure.reason(), &message, now);
            let event = changed.then(|| Note {
                warning: true,
                reason: failure.reason().into(),
                message: message.clone(),
            });
            Plan {
                apply: None,
                status,
                event,
            }
        }
    }
}

fn ready_condition(obj: &EncryptedSecret) -> Option<&Condition> {
    obj.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == "Ready")
}

/// Events and conditions take one line of at most 1 KiB (the Events API limit).
fn one_line(message: &str) -> String {
    let mut line = message
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ");
    if line.len() > 1000 {
        let mut cut = 997;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
        line.push_str("...");
    }
    line
}

/// The new status, or `None` when it would not change.
fn next_status(
    obj: &EncryptedSecret,
    ready: bool,
    reason: &str,
    message: &str,
    now: &str,
) -> Option<EncryptedSecretStatus> {
    let old = obj.status.as_ref();
    let old_ready = old.and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready"));
    let status = if ready { "True" } else { "False" };
    let since = match old_ready {
        Some(c) if c.status == status => c.last_transition_time.clone(),
        _ => Some(now.to_string()),
    };
    let generation = obj.metadata.generation;
    let next = EncryptedSecretStatus {
        observed_generation: generation,
        conditions: vec![Condition {
            type_: "Ready".into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
            last_transition_time: since,
            observed_generation: generation,
        }],
    };
    (old != Some(&next)).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{EncryptedSecretFields, EncryptedSecretSpec};
    use zeroize::Zeroizing;

    const NOW: &str = "2026-11-29T00:00:00Z";

    fn obj() -> EncryptedSecret {
        let mut spec = EncryptedSecretSpec::default();
        spec.template
            .metadata
            .labels
            .insert("team".into(), "a".into());
        let mut o = EncryptedSecret::new(
            "db",
            EncryptedSecretFields {
                spec,
                sops: Default::default(),
            },
        );
        o.metadata.namespace = Some("prod".into());
        o.metadata.uid = Some("uid-1".into());
        o.metadata.generation = Some(3);
        o
    }

    fn payload() -> Payload {
        Payload([("password".to_string(), Zeroizing::new(b"hunter2".to_vec()))].into())
    }

    fn with_status(mut o: EncryptedSecret, plan: &Plan) -> EncryptedSecret {
        o.status = plan.status.clone();
        o
    }

    #[test]
    fn fresh_object_creates_secret_with_owner_and_label() {
        let o = obj();
        let p = plan(&o, None, Ok(&payload()), NOW);
        let s = p.apply.expect("secret applied");
        assert_eq!(s.metadata.name.as_deref(), Some("db"));
        assert_eq!(s.metadata.namespace.as_deref(), Some("prod"));
        assert_eq!(s.labels()[MANAGED_BY], MANAGER);
        assert_eq!(s.labels()["team"], "a");
        let owner = &s.owner_references()[0];
        assert_eq!(
            (owner.uid.as_str(), owner.controller),
            ("uid-1", Some(true))
        );
        assert_eq!(s.type_.as_deref(), Some("Opaque"));
        assert_eq!(s.data.unwrap()["password"].0, b"hunter2");
        let status = p.status.expect("status written");
        assert_eq!(status.observed_generation, Some(3));
        assert_eq!(
            (
                status.conditions[0].status.as_str(),
                status.conditions[0].reason.as_str()
            ),
            ("True", "Decrypted")
        );
        assert_eq!(p.event.unwrap().reason, "SecretCreated");
    }

    #[test]
    fn steady_state_writes_nothing() {
        let o = obj();
        let first = plan(&o, None, Ok(&payload()), NOW);
        let existing = first.apply.clone().unwrap();
        let o = with_status(o, &first);
        let again = plan(&o, Some(&existing), Ok(&payload()), "2027-01-01T00:00:00Z");
        assert_eq!(
            again,
            Plan {
                apply: None,
                status: None,
                event: None
            }
        );
    }

    #[test]
    fn drift_is_repaired() {
        let o = obj();
        let first = plan(&o, None, Ok(&payload()), NOW);
        let mut edited = first.apply.clone().unwrap();
        edited
            .data
            .as_mut()
            .unwrap()
            .insert("password".into(), ByteString(b"changed".to_vec()));
        let o = with_status(o, &first);
        let p = plan(&o, Some(&edited), Ok(&payload()), NOW);
        assert_eq!(p.apply.unwrap().data.unwrap()["password"].0, b"hunter2");
        assert_eq!(p.status, None, "still Ready, no status write");
        assert_eq!(p.event.unwrap().reason, "SecretUpdated");
    }

    #[test]
    fn failure_keeps_secret_and_reports_once() {
        let o = obj();
        let good = plan(&o, None, Ok(&payload()), NOW);
        let existing = good.apply.clone().unwrap();
        let o = with_status(o, &good);
        let f = Failure::ScopeMismatch("sealed for another namespace".into());
        let p = plan(&o, Some(&existing), Err(&f), "2026-12-01T00:00:00Z");
        assert!(p.apply.is_none(), "the last good Secret stays");
        let c = &p.status.as_ref().unwrap().conditions[0];
        assert_eq!(
            (c.status.as_str(), c.reason.as_str()),
            ("False", "ScopeMismatch")
        );
        assert_eq!(
            c.last_transition_time.as_deref(),
            Some("2026-12-01T00:00:00Z")
        );
        let e = p.event.as_ref().unwrap();
        assert!(e.warning && e.reason == "ScopeMismatch");
        // The same failure again: no new status, no new Event.
        let o = with_status(o, &p);
        let again = plan(&o, Some(&existing), Err(&f), "2026-12-02T00:00:00Z");
        assert_eq!(
            again,
            Plan {
                apply: None,
                status: None,
                event: None
            }
        );
    }

    #[test]
    fn every_failure_class_has_its_reason() {
        let o = obj();
        let cases = [
            (Failure::KeyNotAllowed("x".into()), "KeyNotAllowed"),
            (Failure::NoDataKey("x".into()), "NoDataKey"),
            (Failure::MacMismatch("x".into()), "MacMismatch"),
            (Failure::MacNotVerifiable("x".into()), "MacNotVerifiable"),
            (Failure::DecryptFailed("x".into()), "DecryptFailed"),
            (Failure::InvalidSpec("x".into()), "InvalidSpec"),
            (Failure::ScopeMismatch("x".into()), "ScopeMismatch"),
            (Failure::ApplyFailed("x".into()), "ApplyFailed"),
            (Failure::SecretNotManaged("x".into()), "SecretNotManaged"),
            (
                Failure::OwnerReferencesForbidden("x".into()),
                "OwnerReferencesForbidden",
            ),
        ];
        for (f, reason) in cases {
            let p = plan(&o, None, Err(&f), NOW);
            assert!(p.apply.is_none());
            assert_eq!(p.status.unwrap().conditions[0].reason, reason);
        }
    }

    #[test]
    fn ownership_rules() {
        let o = obj();
        let foreign = Secret {
            metadata: ObjectMeta {
                name: Some("db".into()),
                ..ObjectMeta::default()
            },
            ..Secret::default()
        };
        let err = check_ownership(&o, Some(&foreign)).unwrap_err();
        assert_eq!(err.reason(), "SecretNotManaged");
        assert!(check_ownership(&o, None).is_ok());

        assert_eq!(check_ownership(&o, None), Ok(Write::Create));

        // Anyone who can create a Secret can set the label: not ownership.
        let mut labelled = foreign.clone();
        labelled.metadata.labels = Some([(MANAGED_BY.to_string(), MANAGER.to_string())].into());
        assert!(check_ownership(&o, Some(&labelled)).is_err());

        let owned = desired_secret(&o, &payload());
        let mut owned_unlabelled = owned.clone();
        owned_unlabelled.metadata.labels = None;
        assert_eq!(
            check_ownership(&o, Some(&owned_unlabelled)),
            Ok(Write::Force)
        );
        // Another object's ownerReference (a re-created EncryptedSecret
        // has a new uid) is not this one's.
        let mut other_uid = o.clone();
        other_uid.metadata.uid = Some("uid-2".into());
        assert!(check_ownership(&other_uid, Some(&owned)).is_err());

        let mut adopting = o.clone();
        adopting.metadata.annotations = Some([(ADOPT.to_string(), "true".to_string())].into());
        assert!(check_ownership(&adopting, Some(&foreign)).is_ok());
        adopting.metadata.annotations = Some([(ADOPT.to_string(), "yes".to_string())].into());
        assert!(check_ownership(&adopting, Some(&foreign)).is_err());

        // A Secret another controller owns is never taken over.
        adopting.metadata.annotations = Some([(ADOPT.to_string(), "true".to_string())].into());
        let mut controlled = foreign.clone();
        controlled.metadata.owner_references = Some(vec![OwnerReference {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            name: "x".into(),
            uid: "other".into(),
            controller: Some(true),
            block_owner_deletion: None,
        }]);
        assert!(check_ownership(&adopting, Some(&controlled)).is_err());
    }

    #[test]
    fn new_generation_reapplies_and_long_messages_fit_one_line() {
        let o = obj();
        let first = plan(&o, None, Ok(&payload()), NOW);
        let existing = first.apply.clone().unwrap();
        let mut o = with_status(o, &first);
        o.metadata.generation = Some(4);
        let p = plan(&o, Some(&existing), Ok(&payload()), NOW);
        assert!(
            p.apply.is_some(),
            "a spec change is applied even if the data matches"
        );
        let long = Failure::NoDataKey(format!(
            "no key could unwrap it\n  {}",
            "age1x: failed\n  ".repeat(100)
        ));
        let p = plan(&o, None, Err(&long), NOW);
        let msg = &p.status.unwrap().conditions[0].message;
        assert!(!msg.contains('\n') && msg.len() <= 1000, "{}", msg.len());
        assert!(p.event.unwrap().message.len() <= 1000);
    }

    #[test]
    fn refusals_become_clear_reasons() {
        let o = obj();
        let foreign = Secret {
            metadata: ObjectMeta {
                name: Some("db".into()),
                ..ObjectMeta::default()
            },
            ..Secret::default()
        };
        let owned = desired_secret(&o, &payload());
        let r = |e: Option<&Secret>, w, code| refused(&o, e, w, code, "X").reason();
        assert_eq!(r(None, Write::Create, Some(409)), "SecretNotManaged");
        assert_eq!(
            r(Some(&foreign), Write::Force, Some(403)),
            "OwnerReferencesForbidden"
        );
        assert_eq!(r(Some(&owned), Write::Force, Some(403)), "ApplyFailed");
        assert_eq!(r(Some(&owned), Write::Force, Some(422)), "ApplyFailed");
        assert_eq!(r(None, Write::Create, None), "ApplyFailed");
        // Only 429, 5xx and no reply at all are worth a quick retry.
        let retry = |code| refused(&o, Some(&owned), Write::Force, code, "X").retryable();
        assert!(retry(Some(429)) && retry(Some(503)) && retry(None));
        assert!(!retry(Some(422)) && !retry(Some(403)) && !retry(Some(400)));
        assert!(retry(Some(409)), "a failed precondition is read again soon");
    }

    #[test]
    fn only_a_moved_resource_version_is_a_change() {
        let mut before = desired_secret(&obj(), &payload());
        before.metadata.resource_version = Some("5".into());
        let mut after = before.clone();
        assert!(!write_changed(Some(&before), &after));
        after.metadata.resource_version = Some("6".into());
        assert!(write_changed(Some(&before), &after));
        assert!(write_changed(None, &after), "a create");
    }

    #[test]
    fn retryable_failures_back_off_briefly() {
        let hour = Duration::from_secs(3600);
        let kms = Failure::NoDataKey("kms: throttled".into());
        assert_eq!(requeue_after(Some(&kms), 0, hour), Duration::from_secs(5));
        assert_eq!(requeue_after(Some(&kms), 1, hour), Duration::from_secs(10));
        assert_eq!(
            requeue_after(Some(&kms), 99, hour),
            Duration::from_secs(300)
        );
        let mac = Failure::MacMismatch("x".into());
        assert_eq!(requeue_after(Some(&mac), 0, hour), hour);
        assert_eq!(requeue_after(None, 3, hour), hour);
    }

    #[test]
    fn payload_debug_shows_keys_only() {
        let text = format!("{:?}", payload());
        assert!(
            text.contains("password") && !text.contains("hunter2"),
            "{text}"
        );
    }
}
