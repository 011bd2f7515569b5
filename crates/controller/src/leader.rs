//! Leader election on a `coordination.k8s.io` Lease, so two replicas can
//! run with one reconciling.
//!
//! kube-lease-manager stops a second claim through a server-side-apply
//! conflict between *different* field managers, so each holder uses its
//! own. The leader steps down as soon as a renewal fails (another replica
//! may take the Lease once it expires) and releases the Lease on shutdown,
//! so a rollout does not wait for it to expire.

use crate::resource::MANAGER;
use crate::{Error, Result};
use kube::Client;
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};
use std::time::Duration;
use tracing::warn;

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
    /// How long before expiry the holder renews.
    pub grace: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            duration: 30,
            grace: 5,
        }
    }
}

/// This replica, holding the Lease.
pub struct Leader {
    manager: LeaseManager,
}

/// Waits until this replica holds the Lease.
pub async fn acquire(
    client: Client,
    namespace: &str,
    lease: &str,
    holder: &str,
    timing: Timing,
) -> Result<Leader> {
    let manager = LeaseManagerBuilder::new(client, lease)
        .with_namespace(namespace)
        .with_identity(holder)
        .with_field_manager(field_manager(holder))
        .with_duration(timing.duration)
        .with_grace(timing.grace)
        .build()
        .await
        .map_err(|e| Error::Config(format!("leader election: {e}")))?;
    loop {
        match manager.changed().await {
            Ok(true) => return Ok(Leader { manager }),
            Ok(false) => {}
            Err(e) => {
                warn!(error = %e, "leader election; retrying");
                tokio::time::sleep(Duration::from_secs(timing.grace)).await;
            }
        }
    }
}

impl Leader {
    /// Keeps renewing the Lease; returns why this replica stopped leading:
    /// another holder took it, or a renewal failed (step down rather than
    /// risk two leaders once the Lease expires).
    pub async fn lost(&self) -> String {
        loop {
            match self.manager.changed().await {
                Ok(true) => {}
                Ok(false) => return "another replica holds the Lease".into(),
                Err(e) => return format!("renewing the Lease failed: {e}"),
            }
        }
    }

    /// Gives the Lease up, so another replica takes over at once.
    pub async fn release(self) -> Result<()> {
        self.manager
            .release()
            .await
            .map_err(|e| Error::Config(format!("releasing the Lease: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
