//! The component against the stand-in API server, over real HTTP: health
//! follows the informers, `wait_for_metadata` holds data until the first
//! list, namespace and ReplicaSet rules start their informers, and an
//! update that changes the filter restarts them with the new selector.
//!
//! `auth_type = "none"` reads the API server's URL from the process's
//! environment, which every test in this binary shares, so the scenarios
//! run in one test, against one stand-in.

use std::net::IpAddr;

use serde_json::Value;

use super::REGISTRATION;
use crate::component::HealthState;
use crate::harness::{until, Harness, Recorder};
use crate::kubernetes::standin::{Kind, KubeStandin};
use crate::kubernetes::API_SERVER_ENV;
use crate::otlp::proto::common::v1::any_value;
use crate::otlp::Traces;

const CHECKOUT: &str = include_str!("../../../kubernetes/testdata/pod-checkout.json");
const NAMESPACE: &str = include_str!("../../../kubernetes/testdata/namespace-shop.json");
const REPLICASET: &str = include_str!("../../../kubernetes/testdata/replicaset-checkout.json");

fn sample(text: &str) -> Value {
    serde_json::from_str(text).expect("sample JSON")
}

/// A one-span payload from `peer`.
fn from(peer: &str) -> Traces {
    crate::harness::traces(1).with_peer(Some(peer.parse::<IpAddr>().expect("ip")))
}

/// The string resource attributes the recorder's last traces carry.
fn last_resource(rec: &Recorder) -> Vec<(String, String)> {
    let Some(last) = rec.traces().pop() else { return vec![] };
    let req = last.decode().expect("decodes");
    req.resource_spans[0]
        .resource
        .iter()
        .flat_map(|r| &r.attributes)
        .filter_map(|a| match a.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some((a.key.clone(), s.clone())),
            _ => None,
        })
        .collect()
}

fn value<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

const RULES: &str = "auth_type = \"none\"\nwait_for_metadata = true\nfilter {\n node = \"node-a\"\n}\n\
    extract {\n metadata = [\"k8s.pod.name\", \"k8s.deployment.uid\"]\n label {\n  from = \"namespace\"\n  key = \"team\"\n }\n}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_component_follows_the_api_server() {
    let api = KubeStandin::start().await.expect("stand-in");
    // SAFETY: only this test reads or writes the variable in this binary.
    unsafe { std::env::set_var(API_SERVER_ENV, api.url()) };
    api.set_failing(true);
    let rec = Recorder::new();
    let args = format!("{RULES}output {{\n traces = [sink]\n}}");
    let h = Harness::start(&REGISTRATION, &args, &rec.scope("sink")).expect("builds");

    // The API fails: unhealthy with the error, and data is held.
    until("the failure in health", || h.health().message.contains("failing")).await;
    assert_eq!(h.health().state, HealthState::Unhealthy);
    let input = h.input();
    let held = tokio::spawn(async move { input.0.consume_traces(from("10.244.1.17")).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(rec.items(), 0, "wait_for_metadata holds data until the first list");

    // The API answers: the first lists complete, held data goes on enriched.
    api.apply_object(Kind::Namespace, sample(NAMESPACE));
    api.apply_object(Kind::ReplicaSet, sample(REPLICASET));
    api.apply(sample(CHECKOUT));
    api.set_failing(false);
    held.await.expect("joins").expect("accepted");
    until("health after the first lists", || h.health().state == HealthState::Healthy).await;
    assert!(h.health().message.starts_with("1 pods cached on node node-a"), "{}", h.health().message);
    let attrs = last_resource(&rec);
    assert_eq!(value(&attrs, "k8s.pod.name"), Some("checkout-7d9f8c6b5d-x2kqp"));
    let team = sample(NAMESPACE)["metadata"]["labels"]["team"].as_str().map(str::to_string);
    assert!(team.is_some(), "the namespace sample has a team label");
    assert_eq!(value(&attrs, "k8s.namespace.label.team").map(str::to_string), team);
    let deploy_uid = sample(REPLICASET)["metadata"]["ownerReferences"][0]["uid"].as_str().map(str::to_string);
    assert_eq!(value(&attrs, "k8s.deployment.uid").map(str::to_string), deploy_uid);
    let reqs = api.requests();
    for path in ["/api/v1/pods?", "/api/v1/namespaces?", "/apis/apps/v1/replicasets?"] {
        assert!(reqs.iter().any(|r| r.starts_with(path)), "{path} listed: {reqs:?}");
    }
    assert!(reqs.iter().any(|r| r.starts_with("/api/v1/pods?") && r.contains("spec.nodeName")), "the node filter goes to the API: {reqs:?}");

    // An update to the filter restarts the informers with it; the pod on
    // node-a is no longer watched.
    let moved = format!("{}output {{\n traces = [sink]\n}}", RULES.replace("node-a", "node-b"));
    h.update(&moved).expect("updates");
    until("a pods watch for node-b", || api.requests().iter().any(|r| r.starts_with("/api/v1/pods?") && r.contains("node-b"))).await;
    until("an empty cache", || h.health().message.starts_with("0 pods cached on node node-b")).await;
    h.input().0.consume_traces(from("10.244.1.17")).await.expect("accepted");
    assert_eq!(value(&last_resource(&rec), "k8s.pod.name"), None);
    assert_eq!(h.debug_count("ip_lookup_misses"), 1);
    h.stop().await;
}
