//! Which pod a resource is found to come from: by its `k8s.pod.ip` or
//! `k8s.pod.uid` attribute, or by the address its connection came from;
//! and never a pod of another node.

use crate::harness::E2e;
use crate::pods::{self, attr, CHECKOUT_IP, CHECKOUT_UID};

const VERSION: &str = "k8s.pod.label.app.kubernetes.io/version";

#[test]
fn a_pod_ip_attribute_finds_the_pod() {
    let e = E2e::start(&[pods::checkout()]);
    let mut by_ip = e.grpc_app(&format!("k8s.pod.ip={CHECKOUT_IP}"));
    let mut by_uid = e.http_app(&format!("k8s.pod.uid={CHECKOUT_UID}"), "127.0.0.1");
    let spans = [e.send(&mut by_ip, "by-ip", 5), e.send(&mut by_uid, "by-uid", 5)].concat();
    for s in &spans {
        let r = &s["resource"];
        assert_eq!(attr(r, "k8s.pod.name"), "checkout-7d9f8c6b5d-x2kqp", "{s}");
        assert_eq!(attr(r, "k8s.pod.uid"), CHECKOUT_UID, "{s}");
        assert_eq!(attr(r, "k8s.namespace.name"), "shop", "{s}");
        assert_eq!(attr(r, "k8s.deployment.name"), "checkout", "{s}");
        assert_eq!(attr(r, "k8s.node.name"), "node-a", "{s}");
        assert_eq!(attr(r, VERSION), "1.4.2", "{s}");
        assert_eq!(attr(r, "service.name"), "k8s-e2e", "what the app set is kept: {s}");
    }
    e.assert_balance();
}

/// A pod that sets no attribute is found by the address it sends from:
/// 127.0.0.2 is its pod IP here, 127.0.0.1 another pod's, and 127.0.0.3
/// no pod's.
#[test]
fn the_connections_address_finds_the_pod() {
    let cart = pods::pod("cart", "c4rt1", "uid-cart", "127.0.0.2", "node-a");
    let web = pods::pod("web", "w3b01", "uid-web", "127.0.0.1", "node-a");
    let e = E2e::start(&[cart, web]);
    let mut from_cart = e.http_app("", "127.0.0.2");
    let mut from_web_http = e.http_app("", "127.0.0.1");
    let mut from_web_grpc = e.grpc_app("");
    for s in e.send(&mut from_cart, "cart", 5) {
        let r = &s["resource"];
        assert_eq!((attr(r, "k8s.pod.name"), attr(r, "k8s.pod.ip")), ("cart-7d9f8c6b5d-c4rt1", "127.0.0.2"), "{s}");
        assert_eq!((attr(r, "k8s.pod.uid"), attr(r, "k8s.deployment.name")), ("uid-cart", "cart"), "{s}");
    }
    let web = [e.send(&mut from_web_http, "web-http", 5), e.send(&mut from_web_grpc, "web-grpc", 5)].concat();
    for s in web {
        let r = &s["resource"];
        assert_eq!((attr(r, "k8s.pod.name"), attr(r, "k8s.pod.ip")), ("web-7d9f8c6b5d-w3b01", "127.0.0.1"), "{s}");
        assert_eq!(attr(r, "k8s.pod.uid"), "uid-web", "{s}");
    }
    // An address no pod has: the address is still said, and no pod named.
    let mut from_nowhere = e.http_app("", "127.0.0.3");
    for s in e.send(&mut from_nowhere, "nowhere", 5) {
        let r = &s["resource"];
        assert_eq!((attr(r, "k8s.pod.name"), attr(r, "k8s.pod.uid"), attr(r, "k8s.pod.ip")), ("", "", "127.0.0.3"), "{s}");
    }
    e.assert_balance();
}

/// `filter { node = "node-a" }` goes to the API as a field selector, on
/// the list and on the watch, so a pod of node-b is never known.
#[test]
fn the_node_filter_is_sent_and_other_nodes_pods_are_never_used() {
    let on_b = pods::pod("batch", "b0b01", "uid-b1", "10.244.2.9", "node-b");
    let e = E2e::start(&[pods::checkout(), on_b]);
    // One more of each node by watch; the node-a pod, sent after, shows
    // the node-b one has been passed over.
    e.api.apply(pods::pod("batch", "b0b02", "uid-b2", "10.244.2.10", "node-b"));
    e.api.apply(pods::pod("late", "l4t01", "uid-late", "10.244.1.50", "node-a"));
    let mut late = e.grpc_app("k8s.pod.ip=10.244.1.50");
    e.send_until(&mut late, "the node-a pod added by watch", |r| attr(r, "k8s.pod.name") == "late-7d9f8c6b5d-l4t01");
    for ip in ["10.244.2.9", "10.244.2.10"] {
        let mut app = e.grpc_app(&format!("k8s.pod.ip={ip}"));
        for s in e.send(&mut app, "node-b", 3) {
            let r = &s["resource"];
            assert_eq!((attr(r, "k8s.pod.name"), attr(r, "k8s.node.name")), ("", ""), "a node-b pod was used: {s}");
            assert_eq!(attr(r, "k8s.pod.ip"), ip, "{s}");
        }
    }
    let requests = e.api.requests();
    let pods: Vec<String> = requests.iter().filter(|r| r.starts_with("/api/v1/pods")).map(|r| r.replace("%3D", "=").replace("%2C", ",")).collect();
    let (watches, lists): (Vec<&String>, Vec<&String>) = pods.iter().partition(|r| r.contains("watch=true"));
    assert!(!lists.is_empty() && !watches.is_empty(), "a list and a watch of pods: {requests:?}");
    for r in &pods {
        assert!(r.contains("fieldSelector=spec.nodeName=node-a"), "every pods request selects node-a: {r}");
    }
    e.assert_balance();
}

/// The Collector uses the first `pod_association` whose sources are all
/// present (`extractPodID`), and a pod it does not find means no
/// enrichment. Solder tries the next rule on a miss, so a resource that
/// names its own pod IP (here one on node-b, which this agent does not
/// cache) is given the pod that relayed it: `k8s.pod.ip` says one pod,
/// `k8s.pod.name` another.
#[test]
fn a_resource_naming_an_unknown_pod_is_not_given_the_relaying_pod() {
    let relay = pods::pod("relay", "r3l4y", "uid-relay", "127.0.0.1", "node-a");
    let e = E2e::start(&[relay, pods::pod("batch", "b0b01", "uid-b1", "10.244.2.9", "node-b")]);
    let mut relayed = e.grpc_app("k8s.pod.ip=10.244.2.9");
    for s in e.send(&mut relayed, "relayed", 3) {
        let r = &s["resource"];
        assert_eq!((attr(r, "k8s.pod.ip"), attr(r, "k8s.pod.name")), ("10.244.2.9", ""), "attributed to the relay: {s}");
    }
    e.assert_balance();
}
