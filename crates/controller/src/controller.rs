//! The async shell: read the existing Secret, decide with
//! [`crate::reconcile::plan`], then write, patch status and record Events.

use crate::cache::CachingUnwrapper;
use crate::metrics::{Metrics, Watch};
use crate::policy::Policy;
use crate::reconcile::{
    check_ownership, plan, refused, requeue_after, write_changed, Note, Plan, Write,
};
use crate::resource::{EncryptedSecret, EncryptedSecretStatus, MANAGED_BY, MANAGER};
use crate::unseal::{unseal, Failure};
use crate::{Error, Result};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Patch, PatchParams, PostParams};
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{self as krc, Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::{reflector, watcher, WatchStreamExt};
use kube::{Api, Client, Resource, ResourceExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// The annotation `kubectl apply` (client-side) stores the whole object in.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What every reconcile shares.
pub struct Context {
    /// The API client.
    pub client: Client,
    /// Key providers behind the data-key cache.
    pub keys: CachingUnwrapper,
    /// Per-namespace key policy; `None` allows every key.
    pub policy: Option<Policy>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Event recorder.
    pub recorder: Recorder,
    /// Resync interval for healthy objects.
    pub requeue: Duration,
    /// The status last written per object uid, until the watch cache shows
    /// it (so a reconcile on a stale cached object writes nothing again).
    written: Mutex<HashMap<String, EncryptedSecretStatus>>,
    /// Consecutive retryable failures per object uid (the backoff).
    attempts: Mutex<HashMap<String, u32>>,
}

impl Context {
    /// A context whose Events are reported as `instance` of hush-controller.
    pub fn new(
        client: Client,
        keys: CachingUnwrapper,
        policy: Option<Policy>,
        metrics: Arc<Metrics>,
        instance: Option<String>,
    ) -> Self {
        let reporter = Reporter {
            controller: MANAGER.into(),
            instance,
        };
        Context {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            keys,
            policy,
            metrics,
            requeue: Duration::from_secs(3600),
            written: Mutex::default(),
            attempts: Mutex::default(),
        }
    }

    /// `obj` with the status this controller last wrote for its
    /// generation, when the cached copy does not show it yet.
    fn with_known_status(&self, obj: Arc<EncryptedSecret>) -> Arc<EncryptedSecret> {
        let uid = obj.uid().unwrap_or_default();
        let mut written = self.written.lock().expect("status lock");
        let Some(known) = written.get(&uid) else {
            return obj;
        };
        if obj.status.as_ref() == Some(known) || known.observed_generation != obj.meta().generation
        {
            // The cache caught up, or the object moved on.
            written.remove(&uid);
            return obj;
        }
        let mut fresh = (*obj).clone();
        fresh.status = Some(known.clone());
        Arc::new(fresh)
    }

    fn remember_status(&self, obj: &EncryptedSecret, status: &EncryptedSecretStatus) {
        let uid = obj.uid().unwrap_or_default();
        self.written
            .lock()
            .expect("status lock")
            .insert(uid, status.clone());
    }

    /// Drops what is kept per object, for one being deleted.
    fn forget(&self, obj: &EncryptedSecret) {
        let uid = obj.uid().unwrap_or_default();
        self.written.lock().expect("status lock").remove(&uid);
        self.attempts.lock().expect("attempts lock").remove(&uid);
    }

    /// Counts a retryable failure (or clears the count) and returns the
    /// number of consecutive ones before it.
    fn attempt(&self, obj: &EncryptedSecret, failed: bool) -> u32 {
        let uid = obj.uid().unwrap_or_default();
        let mut attempts = self.attempts.lock().expect("attempts lock");
        if !failed {
            attempts.remove(&uid);
            return 0;
        }
        let n = attempts.entry(uid).or_insert(0);
        *n = n.saturating_add(1);
        *n - 1
    }
}

/// How long one reconcile may take: kube's client has no read timeout, so
/// a hung API call would otherwise hold a concurrency slot for ever.
pub const RECONCILE_TIMEOUT: Duration = Duration::from_secs(60);

/// Reconciles one `EncryptedSecret`, within [`RECONCILE_TIMEOUT`] (a
/// timeout is an error: retried with backoff).
pub async fn reconcile(obj: Arc<EncryptedSecret>, ctx: Arc<Context>) -> Result<Action> {
    tokio::time::timeout(RECONCILE_TIMEOUT, reconcile_once(obj, ctx))
        .await
        .unwrap_or(Err(Error::Timeout(RECONCILE_TIMEOUT.as_secs())))
}

async fn reconcile_once(obj: Arc<EncryptedSecret>, ctx: Arc<Context>) -> Result<Action> {
    // Being deleted (foreground deletion, Argo CD prune): the garbage
    // collector removes the Secret; re-creating it would churn.
    if obj.meta().deletion_timestamp.is_some() {
        ctx.forget(&obj);
        return Ok(Action::await_change());
    }
    let started = Instant::now();
    ctx.metrics.reconciles.inc();
    let obj = ctx.with_known_status(obj);
    let ns = obj
        .namespace()
        .ok_or_else(|| Error::Object("EncryptedSecret has no namespace".into()))?;
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &ns);
    let existing = secrets.get_opt(&obj.name_any()).await?;
    let write = check_ownership(&obj, existing.as_ref());
    let outcome = match &write {
        Ok(_) => unseal(&obj, &ctx.keys, ctx.policy.as_ref()).await,
        Err(f) => Err(f.clone()),
    };
    if let Err(f) = &outcome {
        not_ready(&obj, &ctx, f);
    }
    let now = hush_core::time::now_rfc3339();
    let mut decided = plan(&obj, existing.as_ref(), outcome.as_ref(), &now);
    let owned_write = matches!(write, Ok(Write::Force));
    let mode = write.unwrap_or(Write::Force);
    if mode == Write::Create && decided.apply.is_some() && !still_current(&obj, &ctx).await? {
        // Deleted meanwhile (the garbage collector may just have removed
        // its Secret): creating it again would churn.
        ctx.forget(&obj);
        return Ok(Action::await_change());
    }
    if let (Some(e), true) = (&existing, owned_write) {
        // A create whose fields were not recorded as applied: try again,
        // or a key dropped from the EncryptedSecret would stay.
        if applier_fields(e).is_some() {
            own_as_applier(&secrets, e.clone()).await;
        }
    }
    let result = match write_secret(
        &obj,
        &secrets,
        decided.apply.as_ref(),
        mode,
        existing.as_ref(),
    )
    .await
    {
        Ok(written) => {
            if written.is_some_and(|w| !write_changed(existing.as_ref(), &w)) {
                decided.event = None;
            }
            report(&obj, &ctx, &decided).await.map(|()| outcome.err())
        }
        Err(e) => {
            let (code, reason) = match &e {
                kube::Error::Api(s) => (Some(s.code), s.reason.as_str()),
                _ => (None, ""),
            };
            let f = refused(&obj, existing.as_ref(), mode, code, reason);
            not_ready(&obj, &ctx, &f);
            report(&obj, &ctx, &plan(&obj, existing.as_ref(), Err(&f), &now)).await?;
            match f {
                // Someone else's Secret appeared, or the API server refused
                // the Secret as written: wait for a change or the resync.
                Failure::SecretNotManaged(_) | Failure::ApplyRejected(_) => Ok(Some(f)),
                _ => Err(Error::Kube(e)),
            }
        }
    };
    ctx.metrics
        .duration
        .observe(started.elapsed().as_secs_f64());
    let failure = result?;
    let attempts = ctx.attempt(&obj, failure.as_ref().is_some_and(Failure::retryable));
    Ok(Action::requeue(requeue_after(
        failure.as_ref(),
        attempts,
        ctx.requeue,
    )))
}

fn not_ready(obj: &EncryptedSecret, ctx: &Context, f: &Failure) {
    ctx.metrics.failed(f.reason());
    warn!(namespace = ?obj.namespace(), name = %obj.name_any(), reason = f.reason(), message = f.message(), "not ready");
}

/// Whether `obj`, read live, still exists as the same object and is not
/// being deleted (the cached copy may be behind).
async fn still_current(obj: &EncryptedSecret, ctx: &Context) -> Result<bool> {
    let api: Api<EncryptedSecret> =
        Api::namespaced(ctx.client.clone(), &obj.namespace().unwrap_or_default());
    let live = api.get_opt(&obj.name_any()).await?;
    Ok(live.is_some_and(|l| l.uid() == obj.uid() && l.meta().deletion_timestamp.is_none()))
}

/// Creates the Secret (never taking over one that appeared meanwhile) or
/// server-side applies it with force, on the condition that it is still
/// the Secret that was read (`read`'s uid and resourceVersion: a Secret
/// deleted and re-created meanwhile gets a conflict, not a takeover);
/// returns the Secret as written.
async fn write_secret(
    obj: &EncryptedSecret,
    secrets: &Api<Secret>,
    secret: Option<&Secret>,
    mode: Write,
    read: Option<&Secret>,
) -> Result<Option<Secret>, kube::Error> {
    let Some(secret) = secret else {
        return Ok(None);
    };
    let written = match mode {
        Write::Create => {
            let params = PostParams {
                field_manager: Some(MANAGER.into()),
                ..PostParams::default()
            };
            let created = secrets.create(&params, secret).await?;
            own_as_applier(secrets, created).await
        }
        Write::Force => {
            let params = PatchParams::apply(MANAGER).force();
            let body = preconditioned(secret, read);
            secrets
                .patch(&obj.name_any(), &params, &Patch::Apply(&body))
                .await?
        }
    };
    info!(namespace = ?obj.namespace(), name = %obj.name_any(), "secret written");
    Ok(Some(written))
}

/// `secret` to apply, carrying `read`'s uid and resourceVersion as
/// preconditions.
pub fn preconditioned(secret: &Secret, read: Option<&Secret>) -> Secret {
    let mut body = secret.clone();
    if let Some(read) = read {
        body.metadata.uid = read.metadata.uid.clone();
        body.metadata.resource_version = read.metadata.resource_version.clone();
    }
    body
}

/// A create records hush's fields under an `Update` entry, which later
/// applies do not clear: a key dropped from the EncryptedSecret would stay.
/// Turn the entry into hush's `Apply` entry (guarded by resourceVersion);
/// on any failure the Secret is kept as created.
async fn own_as_applier(secrets: &Api<Secret>, created: Secret) -> Secret {
    let Some(body) = applier_fields(&created) else {
        return created;
    };
    match secrets
        .patch(
            &created.name_any(),
            &PatchParams::default(),
            &Patch::Merge(body),
        )
        .await
    {
        Ok(patched) => patched,
        Err(e) => {
            warn!(error = %e, "could not record the created Secret's fields as applied");
            created
        }
    }
}

/// The merge patch that turns hush's one `Update` entry into `Apply`
/// (other managers' entries kept), when hush has no `Apply` entry yet.
pub fn applier_fields(secret: &Secret) -> Option<serde_json::Value> {
    let entries = secret.metadata.managed_fields.as_deref()?;
    let ours = |op: &str| {
        entries
            .iter()
            .filter(|e| e.manager.as_deref() == Some(MANAGER) && e.operation.as_deref() == Some(op))
            .count()
    };
    if ours("Update") != 1 || ours("Apply") != 0 {
        return None;
    }
    let mut entries = entries.to_vec();
    for e in &mut entries {
        if e.manager.as_deref() == Some(MANAGER) {
            e.operation = Some("Apply".into());
        }
    }
    Some(serde_json::json!({"metadata": {
        "resourceVersion": secret.resource_version(),
        "managedFields": entries,
    }}))
}

/// Writes the status and records the Event of a plan.
async fn report(obj: &EncryptedSecret, ctx: &Context, plan: &Plan) -> Result<()> {
    let params = PatchParams::apply(MANAGER).force();
    if let Some(status) = &plan.status {
        let api: Api<EncryptedSecret> =
            Api::namespaced(ctx.client.clone(), &obj.namespace().unwrap_or_default());
        let body = serde_json::json!({
            "apiVersion": EncryptedSecret::api_version(&()),
            "kind": EncryptedSecret::kind(&()),
            "status": status,
        });
        api.patch_status(&obj.name_any(), &params, &Patch::Apply(body))
            .await?;
        ctx.remember_status(obj, status);
    }
    if let Some(note) = &plan.event {
        record(obj, ctx, note).await;
    }
    Ok(())
}

/// Records an Event; a failure to record is logged, not fatal.
async fn record(obj: &EncryptedSecret, ctx: &Context, note: &Note) {
    let event = Event {
        type_: if note.warning {
            EventType::Warning
        } else {
            EventType::Normal
        },
        reason: note.reason.clone(),
        note: Some(note.message.clone()),
        action: "Reconcile".into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&event, &obj.object_ref(&())).await {
        warn!(error = %e, "could not record event");
    }
}

/// Backs off after an API error: 5 s doubling to 5 min per object.
pub fn error_policy(obj: Arc<EncryptedSecret>, err: &Error, ctx: Arc<Context>) -> Action {
    warn!(namespace = ?obj.namespace(), name = %obj.name_any(), error = %err, "reconcile failed; retrying");
    Action::requeue(crate::reconcile::backoff(ctx.attempt(&obj, true)))
}

/// Drops what the controller never reads but a cache would hold for every
/// object: managedFields and `kubectl apply`'s copy of the whole object.
pub fn strip(obj: &mut EncryptedSecret) {
    obj.meta_mut().managed_fields = None;
    if let Some(a) = obj.meta_mut().annotations.as_mut() {
        a.remove(LAST_APPLIED);
    }
}

/// The watch on owned Secrets: only hush's, metadata only, and a relist
/// may be served from the API server's cache.
pub fn secret_watch() -> watcher::Config {
    watcher::Config::default()
        .labels(&format!("{MANAGED_BY}={MANAGER}"))
        .any_semantic()
}

/// Runtime settings of [`run`].
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Only this namespace (default: all).
    pub namespace: Option<String>,
    /// Reconciles running at once.
    pub concurrency: u16,
}

/// Runs the controller until a shutdown signal: watches `EncryptedSecret`s
/// and the Secrets it manages (so edited or deleted ones are restored).
pub async fn run(ctx: Arc<Context>, config: RunConfig) {
    let client = ctx.client.clone();
    let (objects, secrets): (Api<EncryptedSecret>, Api<PartialObjectMeta<Secret>>) =
        match &config.namespace {
            Some(ns) => (
                Api::namespaced(client.clone(), ns),
                Api::namespaced(client, ns),
            ),
            None => (Api::all(client.clone()), Api::all(client)),
        };
    let health = ctx.metrics.clone();
    let (reader, writer) = reflector::store();
    let objects = watch_objects(objects, writer, health.clone()).applied_objects();
    let owned = watch_secrets(secrets, health.clone()).touched_objects();
    let synced = reader.clone();
    tokio::spawn(async move {
        if synced.wait_until_ready().await.is_ok() {
            health.health.set_synced(true);
        }
    });
    Controller::for_stream(objects, reader)
        .owns_stream(owned)
        .with_config(krc::Config::default().concurrency(config.concurrency))
        .shutdown_on_signal()
        .run(reconcile, error_policy, ctx)
        .for_each(|res| async move {
            if let Err(e) = res {
                warn!(error = %e, "controller");
            }
        })
        .await;
}

/// The EncryptedSecret watch: stripped objects into the cache, each
/// result into the readiness state.
pub fn watch_objects(
    api: Api<EncryptedSecret>,
    writer: reflector::store::Writer<EncryptedSecret>,
    metrics: Arc<Metrics>,
) -> impl futures::Stream<Item = Result<watcher::Event<EncryptedSecret>, watcher::Error>> {
    watcher(api, watcher::Config::default().any_semantic())
        .default_backoff()
        .modify(strip)
        .reflect(writer)
        .map(watched(metrics, Watch::Objects))
}

/// The owned-Secret watch, each result into the readiness state. An
/// `Api<PartialObjectMeta<_>>` makes kube 5 send the
/// `as=PartialObjectMetadataList` Accept header, so the API server sends
/// no Secret data (tests/readiness.rs checks the header).
pub fn watch_secrets(
    api: Api<PartialObjectMeta<Secret>>,
    metrics: Arc<Metrics>,
) -> impl futures::Stream<Item = Result<watcher::Event<PartialObjectMeta<Secret>>, watcher::Error>>
{
    watcher(api, secret_watch())
        .default_backoff()
        .map(watched(metrics, Watch::Secrets))
}

/// Records each watch result in the readiness state.
fn watched<T>(
    metrics: Arc<Metrics>,
    watch: Watch,
) -> impl FnMut(Result<T, watcher::Error>) -> Result<T, watcher::Error> {
    move |r| {
        metrics.health.watch_result(watch, r.is_ok());
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::runtime::watcher::ListSemantic;

    #[test]
    fn secret_relists_may_come_from_the_api_server_cache() {
        let c = secret_watch();
        assert_eq!(c.list_semantic, ListSemantic::Any);
        assert_eq!(
            c.label_selector.as_deref(),
            Some("app.kubernetes.io/managed-by=hush-controller")
        );
    }

    #[test]
    fn cached_objects_drop_managed_fields_and_last_applied() {
        let mut o: EncryptedSecret = serde_json::from_value(serde_json::json!({
            "apiVersion": "hush.dev/v1alpha1", "kind": "EncryptedSecret",
            "metadata": {"name": "db", "namespace": "prod",
                "annotations": {LAST_APPLIED: "{\"huge\": true}", "team": "a"},
                "managedFields": [{"manager": "kubectl", "operation": "Update"}]},
            "spec": {"scope": "ENC[x]"}, "sops": {"version": "3.11.0"}
        }))
        .unwrap();
        strip(&mut o);
        assert_eq!(o.metadata.managed_fields, None);
        let annotations = o.metadata.annotations.unwrap();
        assert!(!annotations.contains_key(LAST_APPLIED));
        assert_eq!(annotations["team"], "a", "other annotations stay");
    }
}
