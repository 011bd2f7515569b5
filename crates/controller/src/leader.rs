//! Leader election on a `coordination.k8s.io` Lease, so two replicas can
//! run with one reconciling.

use crate::{Error, Result};
use kube::Client;
use kube_lease_manager::LeaseManagerBuilder;
use tokio::sync::watch;

/// Waits until this replica holds the Lease; the receiver then reports
/// `false` when leadership is lost.
pub async fn acquire(
    client: Client,
    namespace: &str,
    lease: &str,
    holder: &str,
) -> Result<watch::Receiver<bool>> {
    let manager = LeaseManagerBuilder::new(client, lease)
        .with_namespace(namespace)
        .with_identity(holder)
        .with_field_manager(crate::resource::MANAGER)
        .build()
        .await
        .map_err(|e| Error::Config(format!("leader election: {e}")))?;
    let (mut leading, _task) = manager.watch().await;
    while !*leading.borrow_and_update() {
        leading
            .changed()
            .await
            .map_err(|_| Error::Config("leader election stopped".into()))?;
    }
    Ok(leading)
}
