//! Reconcile against a mock API server (tower-test), asserting every
//! request in order: method, path, query and body. Keys are real age keys.

mod common;
use common::*;
use http::{Request, Response};
use hush_controller::cache::{CachingUnwrapper, ExpiringKeyCache};
use hush_controller::controller::{reconcile, Context};
use hush_controller::metrics::Metrics;
use hush_controller::resource::EncryptedSecret;
use kube::client::Body;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tower_test::mock;

struct Setup {
    ctx: Arc<Context>,
    handle: ApiHandle,
    object: EncryptedSecret,
    served: Value,
}

fn setup(scope: &str, name_on_server: &str) -> Setup {
    let (ids, recipient) = age_key();
    let plain = plaintext(
        "prod",
        "db",
        scope,
        &[("password", "aHVudGVyMg==")],
        &[("user", "admin")],
    );
    let mut served = served(&seal(&plain, &recipient), "uid-1", 2);
    served["metadata"]["name"] = name_on_server.into();
    let (svc, handle) = mock::pair::<Request<Body>, Response<Body>>();
    let client = kube::Client::new(svc, "default");
    let metrics = Arc::new(Metrics::default());
    let keys = CachingUnwrapper::new(
        vec![Box::new(ids)],
        Arc::new(ExpiringKeyCache::new(8, Duration::from_secs(60))),
        metrics.clone(),
    );
    let ctx = Arc::new(Context::new(
        client,
        keys,
        None,
        metrics,
        Some("test-pod".into()),
    ));
    Setup {
        object: object(&served),
        ctx,
        handle,
        served,
    }
}

/// Takes the next request, checks method and path+query, replies, and
/// returns the JSON body.
async fn expect(
    handle: &mut ApiHandle,
    method: &str,
    uri: &str,
    reply: impl FnOnce(&Value) -> Response<Body>,
) -> Value {
    let (req, send) = tokio::time::timeout(Duration::from_secs(10), handle.next_request())
        .await
        .unwrap_or_else(|_| panic!("no request; expected {method} {uri}"))
        .expect("service dropped");
    assert_eq!(req.method().as_str(), method, "{}", req.uri());
    assert_eq!(req.uri().to_string(), uri);
    let bytes = req.into_body().collect_bytes().await.unwrap();
    let body: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    send.send_response(reply(&body));
    body
}

/// Asserts the reconcile made no further request.
async fn expect_no_more(handle: &mut ApiHandle) {
    if let Ok(Some((req, _))) =
        tokio::time::timeout(Duration::from_millis(200), handle.next_request()).await
    {
        panic!("unexpected request {} {}", req.method(), req.uri());
    }
}

const SECRET: &str = "/api/v1/namespaces/prod/secrets/db";
const APPLY: &str = "?&force=true&fieldManager=hush-controller";
const OBJECT: &str = "/apis/hush.dev/v1alpha1/namespaces/prod/encryptedsecrets/db";
const STATUS: &str = "/apis/hush.dev/v1alpha1/namespaces/prod/encryptedsecrets/db/status";
const EVENTS: &str = "/apis/events.k8s.io/v1/namespaces/prod/events?";
const CREATE: &str = "/api/v1/namespaces/prod/secrets?&fieldManager=hush-controller";

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn ready(status_body: &Value) -> (String, String) {
    let c = &status_body["status"]["conditions"][0];
    (
        c["status"].as_str().unwrap().into(),
        c["reason"].as_str().unwrap().into(),
    )
}

fn echo(b: &Value) -> Response<Body> {
    respond(200, b)
}

/// The API server's answer to a create: the object with a resourceVersion.
fn created(b: &Value) -> Response<Body> {
    let mut b = b.clone();
    b["metadata"]["resourceVersion"] = "100".into();
    respond(201, &b)
}

/// A create as the API server records it: hush's fields under `Update`.
fn created_by_update(b: &Value) -> Response<Body> {
    let mut b = b.clone();
    b["metadata"]["resourceVersion"] = "100".into();
    b["metadata"]["managedFields"] = json!([{"manager": "hush-controller", "operation": "Update",
        "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {}}}]);
    respond(201, &b)
}

/// The API server's answer to an apply that changed nothing.
fn unchanged(existing: Value) -> impl FnOnce(&Value) -> Response<Body> {
    move |_| respond(200, &existing)
}

fn conflict(reason: &str, code: u16) -> Response<Body> {
    respond(
        code,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": reason, "code": code}),
    )
}

/// The API server's answer to a status patch: the whole object.
fn object_with(served: &Value) -> impl FnOnce(&Value) -> Response<Body> {
    let mut obj = served.clone();
    move |patch| {
        obj["status"] = patch["status"].clone();
        respond(200, &obj)
    }
}

fn managed_secret(password: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": "prod",
            "labels": {"app.kubernetes.io/managed-by": "hush-controller", "team": "a"},
            "resourceVersion": "100",
            "ownerReferences": [{"apiVersion": "hush.dev/v1alpha1", "kind": "EncryptedSecret", "name": "db", "uid": "uid-1", "controller": true, "blockOwnerDeletion": true}]},
        "type": "Opaque",
        "data": {"password": b64(password), "user": b64("admin")}
    })
}

/// The status of an object already Ready at generation 2.
fn ready_status() -> Value {
    json!({"observedGeneration": 2, "conditions": [{
        "type": "Ready", "status": "True", "reason": "Decrypted", "message": "Secret db holds 2 key(s)",
        "lastTransitionTime": "2026-11-29T00:00:00Z", "observedGeneration": 2}]})
}

#[tokio::test]
async fn happy_path_applies_secret_then_status_then_event() {
    let Setup {
        ctx,
        mut handle,
        object,
        served,
    } = setup("strict:prod/db", "db");
    let server = tokio::spawn(async move {
        expect(&mut handle, "GET", SECRET, |_| not_found()).await;
        expect(&mut handle, "GET", OBJECT, |_| respond(200, &served)).await;
        let secret = expect(&mut handle, "POST", CREATE, created_by_update).await;
        // The create's Update entry becomes hush's Apply entry, so later
        // applies can drop keys.
        let fields = expect(&mut handle, "PATCH", &format!("{SECRET}?"), echo).await;
        assert_eq!(fields["metadata"]["resourceVersion"], "100");
        assert_eq!(
            fields["metadata"]["managedFields"],
            json!([{"manager": "hush-controller", "operation": "Apply", "apiVersion": "v1",
                "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {}}}])
        );
        let status = expect(
            &mut handle,
            "PATCH",
            &format!("{STATUS}{APPLY}"),
            object_with(&served),
        )
        .await;
        let event = expect(&mut handle, "POST", EVENTS, echo).await;
        expect_no_more(&mut handle).await;
        (secret, status, event)
    });
    reconcile(Arc::new(object), ctx.clone()).await.unwrap();
    let (secret, status, event) = server.await.unwrap();
    assert_eq!(
        secret["data"],
        json!({"password": b64("hunter2"), "user": b64("admin")})
    );
    assert_eq!(
        secret["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "hush-controller"
    );
    assert_eq!(secret["metadata"]["labels"]["team"], "a");
    assert_eq!(secret["metadata"]["ownerReferences"][0]["uid"], "uid-1");
    assert_eq!(secret["metadata"]["ownerReferences"][0]["controller"], true);
    assert_eq!(ready(&status), ("True".into(), "Decrypted".into()));
    assert_eq!(status["status"]["observedGeneration"], 2);
    assert_eq!(event["reason"], "SecretCreated");
    assert_eq!(event["type"], "Normal");
    assert_eq!(ctx.metrics.reconciles.get(), 1);
}

#[tokio::test]
async fn unmanaged_secret_is_left_alone() {
    let Setup {
        ctx,
        mut handle,
        object,
        served,
    } = setup("strict:prod/db", "db");
    let server = tokio::spawn(async move {
        let foreign = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "prod"}, "data": {"password": b64("theirs")}});
        expect(&mut handle, "GET", SECRET, |_| respond(200, &foreign)).await;
        let status = expect(
            &mut handle,
            "PATCH",
            &format!("{STATUS}{APPLY}"),
            object_with(&served),
        )
        .await;
        let event = expect(&mut handle, "POST", EVENTS, echo).await;
        expect_no_more(&mut handle).await;
        (status, event)
    });
    reconcile(Arc::new(object), ctx.clone()).await.unwrap();
    let (status, event) = server.await.unwrap();
    assert_eq!(ready(&status), ("False".into(), "SecretNotManaged".into()));
    assert_eq!(
        (event["type"].as_str(), event["reason"].as_str()),
        (Some("Warning"), Some("SecretNotManaged"))
    );
    assert_eq!(
        ctx.metrics.cache_misses.get(),
        0,
        "no unwrap for a Secret we may not write"
    );
}

#[tokio::test]
async fn decrypt_failure_keeps_the_last_good_secret() {
    let Setup {
        ctx,
        mut handle,
        served,
        ..
    } = setup("strict:prod/db", "db");
    let mut tampered = served.clone();
    tampered["spec"]["data"]
        .as_object_mut()
        .unwrap()
        .remove("password");
    let server = tokio::spawn(async move {
        expect(&mut handle, "GET", SECRET, |_| {
            respond(200, &managed_secret("hunter2"))
        })
        .await;
        let status = expect(
            &mut handle,
            "PATCH",
            &format!("{STATUS}{APPLY}"),
            object_with(&served),
        )
        .await;
        let event = expect(&mut handle, "POST", EVENTS, echo).await;
        expect_no_more(&mut handle).await;
        (status, event)
    });
    reconcile(Arc::new(object(&tampered)), ctx).await.unwrap();
    let (status, event) = server.await.unwrap();
    assert_eq!(ready(&status), ("False".into(), "MacMismatch".into()));
    assert_eq!(event["reason"], "MacMismatch");
    let all = format!("{status}{event}");
    assert!(
        !all.contains("hunter2") && !all.contains(&b64("hunter2")),
        "secret leaked: {all}"
    );
}

#[tokio::test]
async fn scope_mismatch_creates_nothing() {
    let Setup {
        ctx,
        mut handle,
        object,
        served,
    } = setup("strict:prod/db", "db");
    // The same ciphertext, applied under another name.
    let mut renamed = object.clone();
    renamed.metadata.name = Some("copy".into());
    let server = tokio::spawn(async move {
        expect(
            &mut handle,
            "GET",
            "/api/v1/namespaces/prod/secrets/copy",
            |_| not_found(),
        )
        .await;
        let status = expect(
            &mut handle,
            "PATCH",
            &format!("/apis/hush.dev/v1alpha1/namespaces/prod/encryptedsecrets/copy/status{APPLY}"),
            object_with(&served),
        )
        .await;
        let event = expect(&mut handle, "POST", EVENTS, echo).await;
        expect_no_more(&mut handle).await;
        (status, event)
    });
    reconcile(Arc::new(renamed), ctx).await.unwrap();
    let (status, event) = server.await.unwrap();
    assert_eq!(ready(&status), ("False".into(), "ScopeMismatch".into()));
    assert_eq!(event["type"], "Warning");
}

#[tokio::test]
async fn drift_is_repaired_without_touching_status() {
    let Setup {
        ctx,
        mut handle,
        served,
        ..
    } = setup("strict:prod/db", "db");
    // Already Ready for this generation.
    let mut ready_obj = served.clone();
    ready_obj["status"] = ready_status();
    let server = tokio::spawn(async move {
        expect(&mut handle, "GET", SECRET, |_| {
            respond(200, &managed_secret("edited-by-hand"))
        })
        .await;
        // A real API server bumps the resourceVersion of a changed object.
        let secret = expect(&mut handle, "PATCH", &format!("{SECRET}{APPLY}"), |b| {
            let mut b = b.clone();
            b["metadata"]["resourceVersion"] = "101".into();
            respond(200, &b)
        })
        .await;
        let event = expect(&mut handle, "POST", EVENTS, echo).await;
        expect_no_more(&mut handle).await;
        (secret, event)
    });
    reconcile(Arc::new(object(&ready_obj)), ctx).await.unwrap();
    let (secret, event) = server.await.unwrap();
    assert_eq!(secret["data"]["password"], b64("hunter2"));
    assert_eq!(
        secret["metadata"]["resourceVersion"], "100",
        "applied on the condition that it is the Secret read (a re-created one gets 409)"
    );
    assert_eq!(event["reason"], "SecretUpdated");
}

/// The handover after a create failed once: the next reconcile turns
/// hush's `Update` entry into its `Apply` entry (other managers' entries
/// kept), guarded by the resourceVersion, before anything else.
#[tokio::test]
async fn a_missed_applier_handover_is_retried() {
    let Setup {
        ctx,
        mut handle,
        served,
        ..
    } = setup("strict:prod/db", "db");
    let mut ready_obj = served.clone();
    ready_obj["status"] = ready_status();
    let mut stored = managed_secret("hunter2");
    stored["metadata"]["managedFields"] = json!([
        {"manager": "hush-controller", "operation": "Update", "apiVersion": "v1",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {}}},
        {"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}]);
    let server = tokio::spawn(async move {
        let reply = stored.clone();
        expect(&mut handle, "GET", SECRET, |_| respond(200, &reply)).await;
        let patch = expect(&mut handle, "PATCH", &format!("{SECRET}?"), |_| {
            respond(200, &stored)
        })
        .await;
        expect_no_more(&mut handle).await;
        patch
    });
    reconcile(Arc::new(object(&ready_obj)), ctx).await.unwrap();
    let patch = server.await.unwrap();
    assert_eq!(patch["metadata"]["resourceVersion"], "100");
    let fields = &patch["metadata"]["managedFields"];
    assert_eq!(fields[0]["manager"], "hush-controller");
    assert_eq!(fields[0]["operation"], "Apply");
    assert_eq!(fields[1]["manager"], "kubectl");
    assert_eq!(fields[1]["operation"], "Update", "others' entries kept");
}

#[tokio::test]
async fn in_sync_secret_costs_one_read() {
    let Setup {
        ctx,
        mut handle,
        served,
        ..
    } = setup("strict:prod/db", "db");
    let mut ready_obj = served.clone();
    ready_obj["status"] = ready_status();
    let server = tokio::spawn(async move {
        expect(&mut handle, "GET", SECRET, |_| {
            respond(200, &managed_secret("hunter2"))
        })
        .await;
        expect_no_more(&mut handle).await;
    });
    reconcile(Arc::new(object(&ready_obj)), ctx).await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn refused_apply_is_reported_on_the_object() {
    let Setup {
        ctx,
        mut handle,
        object,
        served,
    } = setup("strict:prod/db", "db");
    let server = tokio::spawn(async move {
        expect(&mut handle, "GET", SECRET, |_| not_found()).await;
        expect(&mut handle, "GET", OBJECT, |_| respond(200, &served)).await;
        expect(&mut handle, "POST", CREATE, |_| {
            respond(422, &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                "message": "Secret \"db\" is invalid: type: field is immutable", "reason": "Invalid", "code": 422}))
        })
        .await;
        let status = expect(
            &mut handle,
            "PATCH",
            &format!("{STATUS}{APPLY}"),
            object_with(&served),
        )
        .await;
        let event = expect(&mut handle, "POST", EVENTS, echo).await;
        expect_no_more(&mut handle).await;
        (status, event)
    });
    let action = reconcile(Arc::new(object), ctx.clone()).await.unwrap();
    assert_eq!(
        action,
        kube::runtime::controller::Action::requeue(ctx.requeue),
        "a 422 waits for the resync, not the short backoff"
    );
    let (status, event) = server.await.unwrap();
    assert_eq!(ready(&status), ("False".into(), "ApplyFailed".into()));
    assert_eq!(
        (event["type"].as_str(), event["reason"].as_str()),
        (Some("Warning"), Some("ApplyFailed"))
    );
    assert!(status["status"]["conditions"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Invalid (HTTP 422)"));
}

#[tokio::test]
async fn a_secret_created_meanwhile_is_not_taken_over() {
    let Setup {
        ctx,
        mut handle,
        object,
        served,
    } = setup("strict:prod/db", "db");
    let server = tokio::spawn(async move {
        expect(&mut handle, "GET", SECRET, |_| not_found()).await;
        expect(&mut handle, "GET", OBJECT, |_| respond(200, &served)).await;
        // Between the read and the write, someone else created it.
        expect(&mut handle, "POST", CREATE, |_| {
            conflict("AlreadyExists", 409)
        })
        .await;
        let status = expect(
            &mut handle,
            "PATCH",
            &format!("{STATUS}{APPLY}"),
            object_with(&served),
        )
        .await;
        expect(&mut handle, "POST", EVENTS, echo).await;
        expect_no_more(&mut handle).await;
        status
    });
    reconcile(Arc::new(object), ctx).await.unwrap();
    let status = server.await.unwrap();
    assert_eq!(ready(&status), ("False".into(), "SecretNotManaged".into()));
}

#[tokio::test]
async fn the_managed_by_label_alone_is_not_ownership() {
    let Setup {
        ctx,
        mut handle,
        object,
        served,
    } = setup("strict:prod/db", "db");
    let server = tokio::spawn(async move {
        let mut labelled = managed_secret("theirs");
        labelled["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("ownerReferences");
        expect(&mut handle, "GET", SECRET, |_| respond(200, &labelled)).await;
        let status = expect(
            &mut handle,
            "PATCH",
            &format!("{STATUS}{APPLY}"),
            object_with(&served),
        )
        .await;
        expect(&mut handle, "POST", EVENTS, echo).await;
        expect_no_more(&mut handle).await;
        status
    });
    reconcile(Arc::new(object), ctx.clone()).await.unwrap();
    assert_eq!(
        ready(&server.await.unwrap()),
        ("False".into(), "SecretNotManaged".into())
    );
    assert_eq!(ctx.metrics.cache_misses.get(), 0, "no unwrap");
}

#[tokio::test]
async fn forbidden_adoption_names_owner_references_enforcement() {
    let Setup {
        ctx,
        mut handle,
        mut object,
        served,
    } = setup("strict:prod/db", "db");
    object.metadata.annotations = Some([("hush.dev/adopt".to_string(), "true".to_string())].into());
    let server = tokio::spawn(async move {
        let foreign = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "prod", "resourceVersion": "7"}, "data": {"password": b64("theirs")}});
        expect(&mut handle, "GET", SECRET, |_| respond(200, &foreign)).await;
        expect(&mut handle, "PATCH", &format!("{SECRET}{APPLY}"), |_| {
            conflict("Forbidden", 403)
        })
        .await;
        let status = expect(
            &mut handle,
            "PATCH",
            &format!("{STATUS}{APPLY}"),
            object_with(&served),
        )
        .await;
        let event = expect(&mut handle, "POST", EVENTS, echo).await;
        expect_no_more(&mut handle).await;
        (status, event)
    });
    assert!(reconcile(Arc::new(object), ctx).await.is_err(), "retried");
    let (status, event) = server.await.unwrap();
    assert_eq!(
        ready(&status),
        ("False".into(), "OwnerReferencesForbidden".into())
    );
    let message = status["status"]["conditions"][0]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("rbac.adoptSecrets"), "{message}");
    assert_eq!(event["reason"], "OwnerReferencesForbidden");
}

#[tokio::test]
async fn an_object_being_deleted_gets_no_apply() {
    let Setup {
        ctx,
        mut handle,
        mut object,
        ..
    } = setup("strict:prod/db", "db");
    object.metadata.deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            "2026-12-01T00:00:00Z".parse().unwrap(),
        ));
    let server = tokio::spawn(async move { expect_no_more(&mut handle).await });
    reconcile(Arc::new(object), ctx).await.unwrap();
    server.await.unwrap();
}

/// The second reconcile after a create sees the cached object without the
/// new status: it must write nothing (no apply, status or Event).
#[tokio::test]
async fn the_pass_after_a_create_writes_nothing() {
    let Setup {
        ctx,
        mut handle,
        object,
        served,
    } = setup("strict:prod/db", "db");
    let stale = Arc::new(object);
    let server = tokio::spawn(async move {
        expect(&mut handle, "GET", SECRET, |_| not_found()).await;
        expect(&mut handle, "GET", OBJECT, |_| respond(200, &served)).await;
        let secret = expect(&mut handle, "POST", CREATE, created).await;
        expect(
            &mut handle,
            "PATCH",
            &format!("{STATUS}{APPLY}"),
            object_with(&served),
        )
        .await;
        expect(&mut handle, "POST", EVENTS, echo).await;
        // The owned-Secret watch fires: second pass on the stale object.
        let mut stored = secret.clone();
        stored["metadata"]["resourceVersion"] = "100".into();
        expect(&mut handle, "GET", SECRET, |_| respond(200, &stored)).await;
        expect_no_more(&mut handle).await;
    });
    reconcile(stale.clone(), ctx.clone()).await.unwrap();
    reconcile(stale, ctx).await.unwrap();
    server.await.unwrap();
}

/// A new generation is re-applied; when that changes nothing (same
/// resourceVersion) the status moves on but no Event is recorded.
#[tokio::test]
async fn an_apply_that_changes_nothing_records_no_event() {
    let Setup {
        ctx,
        mut handle,
        served,
        ..
    } = setup("strict:prod/db", "db");
    let mut obj = served.clone();
    obj["status"] = ready_status();
    obj["metadata"]["generation"] = 3.into();
    let server = tokio::spawn(async move {
        let existing = managed_secret("hunter2");
        expect(&mut handle, "GET", SECRET, |_| respond(200, &existing)).await;
        expect(
            &mut handle,
            "PATCH",
            &format!("{SECRET}{APPLY}"),
            unchanged(existing.clone()),
        )
        .await;
        let status = expect(
            &mut handle,
            "PATCH",
            &format!("{STATUS}{APPLY}"),
            object_with(&served),
        )
        .await;
        expect_no_more(&mut handle).await;
        status
    });
    reconcile(Arc::new(object(&obj)), ctx).await.unwrap();
    let status = server.await.unwrap();
    assert_eq!(status["status"]["observedGeneration"], 3);
}

/// A data key that cannot be unwrapped yet (KMS throttling, a network
/// error) is retried within seconds, backing off; not after the resync.
#[tokio::test]
async fn no_data_key_is_retried_with_a_short_backoff() {
    use hush_controller::reconcile::backoff;
    use kube::runtime::controller::Action;
    let Setup {
        ctx,
        mut handle,
        served,
        ..
    } = setup("strict:prod/db", "db");
    // Sealed for a key the controller does not hold.
    let (_, other) = age_key();
    let plain = plaintext("prod", "db", "strict:prod/db", &[("password", "aGk=")], &[]);
    let foreign = object(&common::served(&seal(&plain, &other), "uid-1", 2));
    let server = tokio::spawn(async move {
        expect(&mut handle, "GET", SECRET, |_| not_found()).await;
        expect(
            &mut handle,
            "PATCH",
            &format!("{STATUS}{APPLY}"),
            object_with(&served),
        )
        .await;
        expect(&mut handle, "POST", EVENTS, echo).await;
        expect(&mut handle, "GET", SECRET, |_| not_found()).await;
        expect_no_more(&mut handle).await;
    });
    let obj = Arc::new(foreign);
    let first = reconcile(obj.clone(), ctx.clone()).await.unwrap();
    assert_eq!(first, Action::requeue(backoff(0)));
    let second = reconcile(obj, ctx.clone()).await.unwrap();
    assert_eq!(second, Action::requeue(backoff(1)));
    assert!(backoff(1) > backoff(0) && backoff(30) < ctx.requeue);
    server.await.unwrap();
}

/// A hung API call (kube's client has no read timeout) ends the reconcile
/// with a retryable error instead of holding its slot for ever.
#[tokio::test(start_paused = true)]
async fn a_hung_api_call_times_out() {
    let Setup {
        ctx,
        mut handle,
        object,
        ..
    } = setup("strict:prod/db", "db");
    let server = tokio::spawn(async move {
        // Take the Secret GET and never answer it.
        let held = handle.next_request().await;
        std::future::pending::<()>().await;
        drop(held);
    });
    let err = tokio::time::timeout(Duration::from_secs(600), reconcile(Arc::new(object), ctx))
        .await
        .expect("the reconcile never ended")
        .unwrap_err();
    assert!(matches!(err, hush_controller::Error::Timeout(_)), "{err}");
    server.abort();
}

/// The cache may be behind: before creating a Secret the object is read
/// live, and one deleted meanwhile (or being deleted) gets no Secret.
#[tokio::test]
async fn no_create_for_an_object_deleted_meanwhile() {
    let Setup {
        ctx,
        mut handle,
        object,
        served,
    } = setup("strict:prod/db", "db");
    let server = tokio::spawn(async move {
        expect(&mut handle, "GET", SECRET, |_| not_found()).await;
        let mut deleting = served.clone();
        deleting["metadata"]["deletionTimestamp"] = "2026-12-01T00:00:00Z".into();
        expect(&mut handle, "GET", OBJECT, |_| respond(200, &deleting)).await;
        expect_no_more(&mut handle).await;
    });
    let action = reconcile(Arc::new(object), ctx).await.unwrap();
    assert_eq!(action, kube::runtime::controller::Action::await_change());
    server.await.unwrap();
}
