//! The async shell: read the existing Secret, decide with
//! [`crate::reconcile::plan`], then apply, patch status and record Events.

use crate::cache::CachingUnwrapper;
use crate::metrics::Metrics;
use crate::policy::Policy;
use crate::reconcile::{check_ownership, plan, Note, Plan};
use crate::resource::{EncryptedSecret, MANAGED_BY, MANAGER};
use crate::unseal::{unseal, Failure};
use crate::{Error, Result};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::watcher;
use kube::{Api, Client, Resource, ResourceExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{info, warn};

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
        }
    }
}

/// Reconciles one `EncryptedSecret`.
pub async fn reconcile(obj: Arc<EncryptedSecret>, ctx: Arc<Context>) -> Result<Action> {
    let started = Instant::now();
    ctx.metrics.reconciles.inc();
    let ns = obj
        .namespace()
        .ok_or_else(|| Error::Object("EncryptedSecret has no namespace".into()))?;
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &ns);
    let existing = secrets.get_opt(&obj.name_any()).await?;
    let outcome = match check_ownership(&obj, existing.as_ref()) {
        Ok(()) => unseal(&obj, &ctx.keys, ctx.policy.as_ref()).await,
        Err(f) => Err(f),
    };
    if let Err(f) = &outcome {
        ctx.metrics.failed(f.reason());
        warn!(namespace = %ns, name = %obj.name_any(), reason = f.reason(), message = f.message(), "not ready");
    }
    let now = hush_core::time::now_rfc3339();
    let decided = plan(&obj, existing.as_ref(), outcome.as_ref(), &now);
    let result = match apply(&obj, &secrets, &decided).await {
        Ok(()) => report(&obj, &ctx, &decided).await,
        Err(e) => {
            // The Secret was refused (an immutable type, a webhook): say so
            // on the object, then retry with backoff.
            let f = Failure::ApplyFailed(refusal(&e));
            ctx.metrics.failed(f.reason());
            warn!(namespace = %ns, name = %obj.name_any(), reason = f.reason(), message = f.message(), "not ready");
            report(&obj, &ctx, &plan(&obj, existing.as_ref(), Err(&f), &now)).await?;
            Err(Error::Kube(e))
        }
    };
    ctx.metrics
        .duration
        .observe(started.elapsed().as_secs_f64());
    result.map(|()| Action::requeue(ctx.requeue))
}

/// The API server's refusal, without its message (an admission webhook's
/// message may quote the object).
fn refusal(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => format!(
            "the API server refused the Secret: {} (HTTP {})",
            s.reason, s.code
        ),
        _ => "the Secret could not be written".into(),
    }
}

async fn apply(
    obj: &EncryptedSecret,
    secrets: &Api<Secret>,
    plan: &Plan,
) -> Result<(), kube::Error> {
    if let Some(secret) = &plan.apply {
        let params = PatchParams::apply(MANAGER).force();
        secrets
            .patch(&obj.name_any(), &params, &Patch::Apply(secret))
            .await?;
        info!(namespace = ?obj.namespace(), name = %obj.name_any(), "secret applied");
    }
    Ok(())
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

/// Backs off after an API error.
pub fn error_policy(obj: Arc<EncryptedSecret>, err: &Error, _ctx: Arc<Context>) -> Action {
    warn!(namespace = ?obj.namespace(), name = %obj.name_any(), error = %err, "reconcile failed; retrying");
    Action::requeue(Duration::from_secs(30))
}

/// Runs the controller until a shutdown signal: watches `EncryptedSecret`s
/// and the Secrets it manages (so edited or deleted ones are restored).
pub async fn run(ctx: Arc<Context>, namespace: Option<&str>) {
    let client = ctx.client.clone();
    let (objects, secrets): (Api<EncryptedSecret>, Api<Secret>) = match namespace {
        Some(ns) => (
            Api::namespaced(client.clone(), ns),
            Api::namespaced(client, ns),
        ),
        None => (Api::all(client.clone()), Api::all(client)),
    };
    let managed = watcher::Config::default().labels(&format!("{MANAGED_BY}={MANAGER}"));
    Controller::new(objects, watcher::Config::default().any_semantic())
        .owns(secrets, managed)
        .shutdown_on_signal()
        .run(reconcile, error_policy, ctx)
        .for_each(|res| async move {
            if let Err(e) = res {
                warn!(error = %e, "controller");
            }
        })
        .await;
}
