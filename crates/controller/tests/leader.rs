//! Leader election against a mock Lease API (tower-test) that keeps the
//! Lease and records every request: each holder's own field manager, a
//! release on shutdown, and stepping down when a renewal fails.

mod common;
use common::respond;
use http::{Request, Response};
use hush_controller::leader::{self, Timing};
use kube::client::Body;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tower_test::mock::{self, Handle};

const LEASE: &str = "/apis/coordination.k8s.io/v1/namespaces/hush-system/leases/hush-controller";

/// One request: method, path and query, body.
type Seen = (String, String, Value);

#[derive(Clone, Default)]
struct FakeLease {
    spec: Arc<Mutex<Option<Value>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    fail_patches: Arc<AtomicBool>,
    /// PATCHes get no reply at all (kube's client has no read timeout).
    hang_patches: Arc<AtomicBool>,
}

impl FakeLease {
    fn lease(&self) -> Value {
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "hush-controller", "namespace": "hush-system", "resourceVersion": "1"},
            "spec": self.spec.lock().unwrap().clone().unwrap_or(json!({}))})
    }

    async fn serve(self, mut handle: Handle<Request<Body>, Response<Body>>) {
        let mut hung = Vec::new();
        while let Some((req, send)) = handle.next_request().await {
            let method = req.method().to_string();
            if method == "PATCH" && self.hang_patches.load(Ordering::SeqCst) {
                hung.push(send);
                continue;
            }
            let uri = req.uri().to_string();
            let bytes = req.into_body().collect_bytes().await.unwrap();
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            self.seen
                .lock()
                .unwrap()
                .push((method.clone(), uri.clone(), body.clone()));
            let exists = self.spec.lock().unwrap().is_some();
            let resp = match method.as_str() {
                "GET" if exists => respond(200, &self.lease()),
                "GET" => respond(
                    404,
                    &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}),
                ),
                "POST" => {
                    *self.spec.lock().unwrap() = Some(json!({}));
                    respond(201, &self.lease())
                }
                "PATCH" if self.fail_patches.load(Ordering::SeqCst) => respond(
                    500,
                    &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "InternalError", "code": 500}),
                ),
                "PATCH" => {
                    let mut spec = self.spec.lock().unwrap();
                    let s = spec.get_or_insert(json!({}));
                    for (k, v) in body["spec"].as_object().cloned().unwrap_or_default() {
                        if v.is_null() {
                            s.as_object_mut().unwrap().remove(&k);
                        } else {
                            s[k] = v;
                        }
                    }
                    drop(spec);
                    respond(200, &self.lease())
                }
                _ => respond(405, &json!({})),
            };
            send.send_response(resp);
        }
    }

    fn patches(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _, _)| m == "PATCH")
            .cloned()
            .collect()
    }

    fn holder(&self) -> Option<String> {
        self.spec.lock().unwrap().as_ref()?["holderIdentity"]
            .as_str()
            .map(Into::into)
    }
}

fn start() -> (kube::Client, FakeLease) {
    let (svc, handle) = mock::pair::<Request<Body>, Response<Body>>();
    let fake = FakeLease::default();
    tokio::spawn(fake.clone().serve(handle));
    (kube::Client::new(svc, "default"), fake)
}

/// Renewal due 3 s before expiry, seen within a 1 s poll, before the
/// step-down deadline 1 s before expiry.
const QUICK: Timing = Timing {
    duration: 6,
    grace: 3,
    poll: 1,
};

#[tokio::test]
async fn each_holder_claims_with_its_own_field_manager_and_releases() {
    let (client, fake) = start();
    let leader = leader::acquire(client, "hush-system", "hush-controller", "pod-a", QUICK)
        .await
        .unwrap();
    assert_eq!(fake.holder().as_deref(), Some("pod-a"));
    let claims = fake.patches();
    assert!(!claims.is_empty());
    for (_, uri, _) in &claims {
        assert!(uri.starts_with(LEASE), "{uri}");
        assert!(
            uri.contains("fieldManager=hush-controller-pod-a"),
            "a shared field manager lets two replicas both claim the Lease: {uri}"
        );
    }
    let before = fake.patches().len();
    leader.release().await.unwrap();
    let after = fake.patches();
    assert!(after.len() > before, "release patches the Lease");
    let (_, _, body) = after.last().unwrap();
    assert!(body["spec"]["holderIdentity"].is_null(), "{body}");
    assert_eq!(fake.holder(), None, "released on shutdown");
}

#[tokio::test]
async fn a_failed_renewal_steps_down() {
    let (client, fake) = start();
    let leader = leader::acquire(client, "hush-system", "hush-controller", "pod-a", QUICK)
        .await
        .unwrap();
    fake.fail_patches.store(true, Ordering::SeqCst);
    let reason = leader.lost().await;
    assert!(reason.contains("renewing the Lease failed"), "{reason}");
}

/// A renewal that never gets a reply must not keep this replica leading
/// past the Lease's expiry.
#[tokio::test]
async fn a_hung_renewal_steps_down_before_the_lease_expires() {
    let (client, fake) = start();
    let leader = leader::acquire(client, "hush-system", "hush-controller", "pod-a", QUICK)
        .await
        .unwrap();
    let lost = tokio::spawn(async move { leader.lost().await });
    // Renewals keep the lead while they succeed.
    tokio::time::sleep(std::time::Duration::from_secs(QUICK.duration + 2)).await;
    assert!(!lost.is_finished(), "stepped down while renewals succeed");
    fake.hang_patches.store(true, Ordering::SeqCst);
    let reason = tokio::time::timeout(std::time::Duration::from_secs(3 * QUICK.duration), lost)
        .await
        .expect("still leading on a Lease nobody renews")
        .unwrap();
    assert!(reason.contains("no renewal"), "{reason}");
}

/// A standby claims a released Lease within its poll, not at the old
/// expiry.
#[tokio::test]
async fn a_standby_claims_a_released_lease_without_waiting_for_expiry() {
    let (client, fake) = start();
    let long = Timing {
        duration: 60,
        grace: 3,
        poll: 1,
    };
    let a = leader::acquire(
        client.clone(),
        "hush-system",
        "hush-controller",
        "pod-a",
        long,
    )
    .await
    .unwrap();
    let b = tokio::spawn(leader::acquire(
        client,
        "hush-system",
        "hush-controller",
        "pod-b",
        long,
    ));
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(
        !b.is_finished(),
        "pod-b must not lead while pod-a holds the Lease"
    );
    a.release().await.unwrap();
    let b = tokio::time::timeout(std::time::Duration::from_secs(long.duration / 3), b)
        .await
        .expect("pod-b waited for the released Lease to expire")
        .unwrap()
        .unwrap();
    assert_eq!(fake.holder().as_deref(), Some("pod-b"));
    drop(b);
}
