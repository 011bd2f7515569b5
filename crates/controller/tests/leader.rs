//! Leader election against a mock Lease API (tower-test) that keeps the
//! Lease and records every request: each holder's own field manager, a
//! release on shutdown, and stepping down when a renewal fails.

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
}

fn reply(status: u16, body: &Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

impl FakeLease {
    fn lease(&self) -> Value {
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "hush-controller", "namespace": "hush-system", "resourceVersion": "1"},
            "spec": self.spec.lock().unwrap().clone().unwrap_or(json!({}))})
    }

    async fn serve(self, mut handle: Handle<Request<Body>, Response<Body>>) {
        while let Some((req, send)) = handle.next_request().await {
            let method = req.method().to_string();
            let uri = req.uri().to_string();
            let bytes = req.into_body().collect_bytes().await.unwrap();
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            self.seen
                .lock()
                .unwrap()
                .push((method.clone(), uri.clone(), body.clone()));
            let exists = self.spec.lock().unwrap().is_some();
            let resp = match method.as_str() {
                "GET" if exists => reply(200, &self.lease()),
                "GET" => reply(
                    404,
                    &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}),
                ),
                "POST" => {
                    *self.spec.lock().unwrap() = Some(json!({}));
                    reply(201, &self.lease())
                }
                "PATCH" if self.fail_patches.load(Ordering::SeqCst) => reply(
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
                    reply(200, &self.lease())
                }
                _ => reply(405, &json!({})),
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

const QUICK: Timing = Timing {
    duration: 2,
    grace: 1,
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
