//! Leader election on a `coordination.k8s.io` Lease, so two replicas can
//! run with one reconciling.
//!
//! kube-lease-manager stops a second claim through a server-side-apply
//! conflict between *different* field managers, so each holder uses its
//! own. The leader steps down when a renewal fails, and also when it has
//! seen no renewal of its own Lease before `renewTime + duration − grace`
//! (kube's client has no read timeout, so a renewal can hang without an
//! error reply); every Lease read of its own is bounded by `grace`. It
//! releases the Lease on shutdown, and a standby polls the Lease, so a
//! released Lease is claimed within a poll, not at its old expiry.

use crate::resource::MANAGER;
use crate::{Error, Result};
use k8s_openapi::api::coordination::v1::Lease;
use kube::{Api, Client};
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};
use std::time::{Duration, SystemTime};
use tokio::time::{sleep, sleep_until, timeout, Instant};
use tracing::{info, warn};

/// Field manager names are limited to 128 bytes.
const FIELD_MANAGER_MAX: usize = 128;

/// The Lease's field manager for `holder`: unique per holder.
pub fn field_manager(holder: &str) -> String {
    let name = format!("{MANAGER}-{holder}");
    if name.len() <= FIELD_MANAGER_MAX {
        return name;
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, holder.as_bytes());
    let hex: String = digest.as_ref()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{MANAGER}-{hex}")
}

/// Lease timing, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// How long a Lease is valid after its last renewal.
    pub duration: u64,
    /// How long before expiry the holder renews; also the bound on each
    /// Lease read and the safety margin of the step-down deadline.
    pub grace: u64,
    /// How often the Lease is read: by a standby (to see a release), and
    /// by the leader (to see its renewals).
    pub poll: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            duration: 30,
            grace: 5,
            poll: 2,
        }
    }
}

/// How long before the Lease's expiry a leader that saw no renewal stops.
/// The renewal is due `grace` before expiry and seen within `poll`, so
/// `poll` + a read must stay under `grace − MARGIN`.
pub const MARGIN: Duration = Duration::from_secs(1);

/// This replica, holding the Lease.
pub struct Leader {
    manager: LeaseManager,
    leases: Api<Lease>,
    name: String,
    holder: String,
    timing: Timing,
}

/// Waits until this replica holds the Lease.
pub async fn acquire(
    client: Client,
    namespace: &str,
    lease: &str,
    holder: &str,
    timing: Timing,
) -> Result<Leader> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), namespace);
    loop {
        let manager = LeaseManagerBuilder::new(client.clone(), lease)
            .with_namespace(namespace)
            .with_identity(holder)
            .with_field_manager(field_manager(holder))
            .with_duration(timing.duration)
            .with_grace(timing.grace)
            .build()
            .await
            .map_err(|e| Error::Config(format!("leader election: {e}")))?;
        // The manager sleeps until the holder's Lease expires; a release
        // is seen by polling, and a fresh manager claims the Lease.
        tokio::select! {
            got = manager.changed() => match got {
                Ok(true) => {
                    return Ok(Leader {
                        manager,
                        leases,
                        name: lease.into(),
                        holder: holder.into(),
                        timing,
                    })
                }
                Ok(false) => {}
                Err(e) => {
                    warn!(error = %e, "leader election; retrying");
                    sleep(Duration::from_secs(timing.grace)).await;
                }
            },
            () = released(&leases, lease, holder, timing) => {
                info!("the Lease was released; claiming it");
            }
        }
    }
}

/// Returns once the Lease, seen held by another replica, is seen free.
async fn released(leases: &Api<Lease>, name: &str, me: &str, timing: Timing) {
    let mut seen_held = false;
    loop {
        sleep(Duration::from_secs(timing.poll)).await;
        let Ok(Ok(lease)) = timeout(Duration::from_secs(timing.grace), leases.get_opt(name)).await
        else {
            continue;
        };
        let holder = lease
            .and_then(|l| l.spec)
            .and_then(|s| s.holder_identity)
            .filter(|h| !h.is_empty());
        match holder {
            Some(h) if h != me => seen_held = true,
            None if seen_held => return,
            _ => {}
        }
    }
}

/// How long `holder` may still lead on `lease` as read at `now`: until
/// `renewTime + leaseDurationSeconds − margin`; zero when it does not
/// hold it.
pub fn validity(lease: &Lease, holder: &str, now: SystemTime, margin: Duration) -> Duration {
    let Some(spec) = &lease.spec else {
        return Duration::ZERO;
    };
    let (Some(h), Some(renewed), Some(secs)) = (
        spec.holder_identity.as_deref(),
        spec.renew_time.as_ref(),
        spec.lease_duration_seconds,
    ) else {
        return Duration::ZERO;
    };
    if h != holder {
        return Duration::ZERO;
    }
    let renewed: SystemTime = renewed.0.into();
    let expiry = renewed + Duration::from_secs(u64::try_from(secs).unwrap_or(0));
    expiry
        .duration_since(now)
        .unwrap_or(Duration::ZERO)
        .saturating_sub(margin)
}

impl Leader {
    /// Keeps renewing the Lease; returns why this replica stopped leading:
    /// another holder took it, a renewal failed, or no renewal was seen
    /// before the Lease could expire (step down rather than risk two
    /// leaders).
    pub async fn lost(&self) -> String {
        let (duration, grace) = (
            Duration::from_secs(self.timing.duration),
            Duration::from_secs(self.timing.grace),
        );
        // Acquired just now: the Lease runs for `duration` from about here.
        let mut deadline = Instant::now() + duration.saturating_sub(MARGIN);
        let changed = self.manager.changed();
        tokio::pin!(changed);
        loop {
            tokio::select! {
                got = &mut changed => match got {
                    Ok(true) => changed.set(self.manager.changed()),
                    Ok(false) => return "another replica holds the Lease".into(),
                    Err(e) => return format!("renewing the Lease failed: {e}"),
                },
                () = sleep_until(deadline) => {
                    return "no renewal of the Lease was seen before it could expire".into();
                }
                () = sleep(Duration::from_secs(self.timing.poll)) => {
                    if let Ok(Ok(lease)) = timeout(grace, self.leases.get(&self.name)).await {
                        let left = validity(&lease, &self.holder, SystemTime::now(), MARGIN);
                        deadline = Instant::now() + left;
                    }
                }
            }
        }
    }

    /// Gives the Lease up (bounded by `grace`), so a standby takes over
    /// within its poll.
    pub async fn release(self) -> Result<()> {
        timeout(
            Duration::from_secs(self.timing.grace),
            self.manager.release(),
        )
        .await
        .map_err(|_| Error::Config("releasing the Lease timed out".into()))?
        .map_err(|e| Error::Config(format!("releasing the Lease: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_runs_to_renewal_plus_duration_less_the_margin() {
        let lease: Lease = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "l"},
            "spec": {"holderIdentity": "pod-a", "leaseDurationSeconds": 30,
                "renewTime": "2026-12-01T10:00:00.000000Z"}
        }))
        .unwrap();
        let renewed = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_119_200);
        let at = |s| renewed + Duration::from_secs(s);
        assert_eq!(
            validity(&lease, "pod-a", at(10), MARGIN),
            Duration::from_secs(19)
        );
        assert_eq!(validity(&lease, "pod-a", at(29), MARGIN), Duration::ZERO);
        assert_eq!(validity(&lease, "pod-a", at(40), MARGIN), Duration::ZERO);
        assert_eq!(
            validity(&lease, "pod-b", at(0), MARGIN),
            Duration::ZERO,
            "not ours"
        );
    }

    #[test]
    fn field_managers_are_unique_per_holder_and_bounded() {
        assert_eq!(field_manager("pod-a"), "hush-controller-pod-a");
        assert_ne!(field_manager("pod-a"), field_manager("pod-b"));
        let long_a = format!("{}a", "x".repeat(200));
        let long_b = format!("{}b", "x".repeat(200));
        assert!(field_manager(&long_a).len() <= FIELD_MANAGER_MAX);
        assert_ne!(field_manager(&long_a), field_manager(&long_b));
    }
}
