//! `discovery.kubernetes` in the real `solder` binary, pointed at the
//! stand-in API server running in this test process: the node-local pod
//! discovery a DaemonSet agent runs, checked through the agent's API.

mod support;

use serde_json::{json, Value};
use solder_components::kubernetes::standin::KubeStandin;

const POD: &str = include_str!("../components/src/kubernetes/testdata/pod-checkout.json");

fn pod(name: &str, node: &str, ip: &str) -> Value {
    let mut p: Value = serde_json::from_str(POD).unwrap();
    p["metadata"]["name"] = json!(name);
    p["metadata"]["uid"] = json!(format!("uid-{name}"));
    p["spec"]["nodeName"] = json!(node);
    p["status"]["podIP"] = json!(ip);
    p
}

/// The `__address__` of each exported target.
fn addresses(component: &Value) -> Vec<String> {
    let targets = component["exports"]["targets"].as_array().cloned().unwrap_or_default();
    targets.iter().filter_map(|t| t["__address__"].as_str().map(str::to_string)).collect()
}

#[test]
fn a_node_agent_discovers_the_pods_of_its_node_only() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(KubeStandin::start()).unwrap();
    api.apply(pod("here", "node-a", "10.244.1.17"));
    api.apply(pod("there", "node-b", "10.244.2.30"));
    let config = format!("{}/tests/discovery_kubernetes/node-pods.alloy", env!("CARGO_MANIFEST_DIR"));
    let agent = support::Agent::start_with_env(&[&config], &[("KUBE_API", &api.url()), ("K8S_NODE_NAME", "node-a")]);
    let id = "discovery.kubernetes.pods";
    agent.wait_for("the first list", || agent.component(id)["health"]["state"] == "healthy");
    // The checkout container's port, and the envoy container without one.
    assert_eq!(addresses(&agent.component(id)), ["10.244.1.17:8080", "10.244.1.17"]);
    let c = agent.component(id);
    assert_eq!(c["exports"]["targets"][0]["__meta_kubernetes_pod_name"], "here");
    assert_eq!(c["exports"]["targets"][0]["__meta_kubernetes_pod_node_name"], "node-a");
    assert!(api.requests().iter().any(|r| r.starts_with("/api/v1/pods?") && r.contains("spec.nodeName%3Dnode-a")), "{:?}", api.requests());

    // A new pod on the node is discovered from the watch.
    api.apply(pod("new", "node-a", "10.244.1.18"));
    agent.wait_for("the new pod's targets", || addresses(&agent.component(id)).len() == 4);
    drop(agent);
    drop(api);
}
