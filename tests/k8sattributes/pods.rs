//! Pods for the stand-in: the real Pod JSON of the informer's test data
//! (a Deployment's pod, two containers, dual-stack), renamed and
//! readdressed per test.

use serde_json::{json, Value};

/// The pod as captured: `checkout-7d9f8c6b5d-x2kqp` in `shop`, on
/// `node-a`, at 10.244.1.17, `app.kubernetes.io/version` 1.4.2.
pub fn checkout() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/components/src/kubernetes/testdata/pod-checkout.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub const CHECKOUT_UID: &str = "5b7c1e2a-8f1d-4c33-9a0e-2f6d1b9c4a10";
pub const CHECKOUT_IP: &str = "10.244.1.17";

/// A pod of Deployment `app` (its ReplicaSet `app-7d9f8c6b5d`) named
/// `app-7d9f8c6b5d-suffix`, with UID `uid`, at `ip`, on `node`.
pub fn pod(app: &str, suffix: &str, uid: &str, ip: &str, node: &str) -> Value {
    let mut p = checkout();
    let meta = &mut p["metadata"];
    meta["name"] = json!(format!("{app}-7d9f8c6b5d-{suffix}"));
    meta["generateName"] = json!(format!("{app}-7d9f8c6b5d-"));
    meta["uid"] = json!(uid);
    meta["labels"]["app.kubernetes.io/name"] = json!(app);
    meta["ownerReferences"][0]["name"] = json!(format!("{app}-7d9f8c6b5d"));
    p["spec"]["nodeName"] = json!(node);
    p["status"]["podIP"] = json!(ip);
    p["status"]["podIPs"] = json!([{ "ip": ip }]);
    p
}

/// `pod` with its `app.kubernetes.io/version` label set to `version`.
pub fn versioned(mut pod: Value, version: &str) -> Value {
    pod["metadata"]["labels"]["app.kubernetes.io/version"] = json!(version);
    pod
}

/// `pod` created at `time` (RFC 3339): which of two pods claiming one IP
/// is the newer.
pub fn created(mut pod: Value, time: &str) -> Value {
    pod["metadata"]["creationTimestamp"] = json!(time);
    pod
}

/// A resource attribute the processor added, or "" when it added none.
pub fn attr<'a>(resource: &'a Value, key: &str) -> &'a str {
    resource[key].as_str().unwrap_or_default()
}
