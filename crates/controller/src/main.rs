//! The `hush-controller` binary: `run` (the default) or `crd`.

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand};
use hush_controller::age_keys::AgeKeys;
use hush_controller::cache::{CachingUnwrapper, ExpiringKeyCache};
use hush_controller::controller::{self, Context};
use hush_controller::kms::KmsKeys;
use hush_controller::leader;
use hush_controller::metrics::{self, Metrics};
use hush_controller::policy::Policy;
use hush_core::keys::Unwrapper;
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

/// KMS clients kept at most (one per region and vetted role).
const KMS_CLIENTS: usize = 32;

#[derive(Parser)]
#[command(
    name = "hush-controller",
    version,
    about = "Decrypts EncryptedSecrets into Kubernetes Secrets"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the controller (the default).
    Run,
    /// Print the EncryptedSecret CustomResourceDefinition as YAML.
    Crd,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Address for /metrics, /healthz and /readyz.
    #[arg(
        long,
        env = "HUSH_METRICS_ADDR",
        default_value = "0.0.0.0:8080",
        global = true
    )]
    metrics_addr: std::net::SocketAddr,
    /// Per-namespace key policy (YAML). Without it every key works everywhere.
    #[arg(long, env = "HUSH_POLICY", global = true)]
    policy: Option<std::path::PathBuf>,
    /// Only reconcile while holding the Lease (for several replicas).
    #[arg(long, env = "HUSH_LEADER_ELECTION", global = true)]
    leader_election: bool,
    /// Name of the Lease.
    #[arg(long, default_value = "hush-controller", global = true)]
    lease_name: String,
    /// Namespace of the Lease (the controller's own).
    #[arg(long, env = "POD_NAMESPACE", global = true)]
    lease_namespace: Option<String>,
    /// This replica's identity in the Lease and in Events.
    #[arg(long, env = "POD_NAME", global = true)]
    holder_id: Option<String>,
    /// Only watch this namespace (default: all).
    #[arg(long, env = "HUSH_WATCH_NAMESPACE", global = true)]
    watch_namespace: Option<String>,
    /// Resync interval for healthy objects (e.g. 30m, 1h).
    #[arg(long, default_value = "1h", value_parser = duration, global = true)]
    requeue: Duration,
    /// How long an unwrapped data key stays cached; longer than --requeue,
    /// so a resync finds it cached.
    #[arg(long, default_value = "3h", value_parser = duration, global = true)]
    cache_ttl: Duration,
    /// How many reconciles run at once.
    #[arg(long, default_value_t = 8, global = true)]
    concurrency: u16,
    /// How many unwrapped data keys are cached at most.
    #[arg(long, default_value_t = 1024, global = true)]
    cache_size: usize,
    /// Log format.
    #[arg(long, env = "HUSH_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"], global = true)]
    log_format: String,
}

fn duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 90s, 30m or 1h"))?;
    let secs = match unit {
        "s" | "" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("`{s}`: unit must be s, m or h")),
    };
    Ok(Duration::from_secs(secs))
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Crd) = cli.command {
        print!("{}", hush_controller::resource::crd_yaml());
        return Ok(());
    }
    logging(&cli.run.log_format);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(cli.run))
}

fn logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt().with_env_filter(filter);
    if format == "json" {
        fmt.json().init();
    } else {
        fmt.init();
    }
}

async fn run(args: RunArgs) -> Result<()> {
    if args.cache_ttl <= args.requeue {
        bail!(
            "--cache-ttl must be longer than --requeue, or every resync unwraps every data key again"
        );
    }
    let policy = match &args.policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(Policy::from_yaml(&text)?)
        }
        None => None,
    };
    let ids = AgeKeys::from_env()?;
    info!(
        age_identities = ids.len(),
        policy = policy.is_some(),
        "keys loaded"
    );
    let providers: Vec<Box<dyn Unwrapper>> =
        vec![Box::new(ids), Box::new(KmsKeys::new(KMS_CLIENTS))];
    let metrics = Arc::new(Metrics::default());
    let cache = Arc::new(ExpiringKeyCache::new(args.cache_size, args.cache_ttl));
    let keys = CachingUnwrapper::new(providers, cache, metrics.clone());
    let listener = tokio::net::TcpListener::bind(args.metrics_addr)
        .await
        .with_context(|| format!("binding {}", args.metrics_addr))?;
    tokio::spawn(metrics::serve(listener, metrics.clone()));

    let client = kube::Client::try_default()
        .await
        .context("connecting to the API server")?;
    let mut ctx = Context::new(
        client.clone(),
        keys,
        policy,
        metrics.clone(),
        args.holder_id.clone(),
    );
    ctx.requeue = args.requeue;
    let ctx = Arc::new(ctx);
    let config = controller::RunConfig {
        namespace: args.watch_namespace.clone(),
        concurrency: args.concurrency.max(1),
    };
    if !args.leader_election {
        controller::run(ctx, config).await;
        return Ok(());
    }
    let (Some(ns), Some(holder)) = (&args.lease_namespace, &args.holder_id) else {
        bail!(
            "--leader-election needs --lease-namespace (POD_NAMESPACE) and --holder-id (POD_NAME)"
        );
    };
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        info!(lease = %args.lease_name, "waiting for leadership");
        metrics.health.set_standby(true);
        metrics.health.set_synced(false);
        let timing = leader::Timing::default();
        // As PID 1 the process gets no default SIGTERM handling: a standby
        // must listen too, or a rollout waits for SIGKILL.
        let leader = tokio::select! {
            l = leader::acquire(client.clone(), ns, &args.lease_name, holder, timing) => l?,
            () = &mut stop => return Ok(()),
        };
        metrics.health.set_standby(false);
        info!("leading");
        let lost = tokio::select! {
            _ = controller::run(ctx.clone(), config.clone()) => None,
            reason = leader.lost() => Some(reason),
            () = &mut stop => None,
        };
        if let Err(e) = leader.release().await {
            warn!(error = %e, "could not release the Lease");
        }
        match lost {
            // Back to standby, not a restart (no CrashLoopBackOff).
            Some(reason) => warn!(%reason, "stepped down; waiting for the Lease again"),
            None => return Ok(()),
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "cannot listen for SIGTERM");
            return std::future::pending().await;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    info!("shutting down");
}
