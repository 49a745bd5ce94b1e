//! The gateway tier as shipped: the node agent's config from
//! examples/kubernetes/gateway/agent-configmap.yaml, unchanged but for its
//! listen addresses and the gateways' port, finds the gateways from the
//! EndpointSlices of the headless `solder-gateway` Service, served by the
//! API stand-in over the real list/watch protocol. A rolling update is an
//! EndpointSlice change, as the endpoint controller makes it: the leaving
//! gateway turns terminating (not ready), the joining one appears ready.

use serde_json::{json, Value};
use solder_components::kubernetes::standin::{Kind, KubeStandin};
use solder_components::kubernetes::API_SERVER_ENV;
use yaml_rust2::YamlLoader;

use crate::fleet::Fleet;
use crate::ring::Ring;
use crate::rolling::{roll, AFTER, BEFORE};
use crate::support::free_port;

/// The gateway pods' addresses, one loopback address each, as pods have
/// one IP each and the resolver's endpoints are `ip:port`.
pub const PODS: [&str; 4] = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"];

const EXPORTER: &str = "otelcol.exporter.loadbalancing.gateway";

/// The agents' config in front of the gateways, as the ConfigMap has it.
fn shipped_agent_config() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/kubernetes/gateway/agent-configmap.yaml");
    let docs = YamlLoader::load_from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    docs[0]["data"]["config.alloy"].as_str().expect("config.alloy in the ConfigMap").to_string()
}

/// The shipped config with its listeners on loopback (the receiver's gRPC
/// on `grpc`) and the gateways' port `port` for 4317.
fn agent_config(grpc: u16, port: u16) -> String {
    let mut text = shipped_agent_config();
    for (from, to) in [
        ("\"0.0.0.0:4317\"", format!("\"127.0.0.1:{grpc}\"")),
        ("\"0.0.0.0:4318\"", format!("\"127.0.0.1:{}\"", free_port())),
        ("\"0.0.0.0:9464\"", format!("\"127.0.0.1:{}\"", free_port())),
        ("ports   = [4317]", format!("ports   = [{port}]")),
    ] {
        assert!(text.contains(from), "the shipped config has {from}");
        text = text.replace(from, &to);
    }
    text
}

/// A port free on every pod address whose ring over the first three pods
/// is within 5% of even (see `ring::balanced_ports` for why choose).
pub fn gateway_port() -> u16 {
    for _ in 0..500 {
        let port = free_port();
        let free = PODS.iter().all(|ip| std::net::TcpListener::bind((*ip, port)).is_ok());
        let ring = Ring::new(&BEFORE.map(|i| format!("{}:{port}", PODS[i])));
        if free && ring.shares().values().all(|s| (s - 1.0 / 3.0).abs() * 3.0 <= 0.05) {
            return port;
        }
    }
    panic!("no port makes an even ring over {PODS:?}");
}

/// The Service's EndpointSlice as the endpoint controller writes it, with
/// the pods at `ready` and `terminating` by their index in [`PODS`].
fn slice(port: u16, ready: &[usize], terminating: &[usize]) -> Value {
    let endpoint = |i: usize, ready: bool, terminating: bool| {
        json!({
            "addresses": [PODS[i]],
            "conditions": {"ready": ready, "serving": true, "terminating": terminating},
            "targetRef": {"kind": "Pod", "namespace": "solder", "name": format!("solder-gateway-7d9f8-{i}")},
        })
    };
    let endpoints: Vec<Value> = ready.iter().map(|i| endpoint(*i, true, false)).chain(terminating.iter().map(|i| endpoint(*i, false, true))).collect();
    json!({
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "solder-gateway-x7k2p",
            "namespace": "solder",
            "uid": "9a1c2b7e-0000-4000-8000-00000000e51c",
            "labels": {"kubernetes.io/service-name": "solder-gateway", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": [
            {"name": "otlp-grpc", "port": port, "protocol": "TCP"},
            {"name": "otlp-http", "port": 4318, "protocol": "TCP"},
        ],
    })
}

#[test]
fn the_shipped_agent_config_follows_the_gateways_endpointslices_through_a_roll() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(KubeStandin::start()).unwrap();
    let port = gateway_port();
    api.apply_object(Kind::EndpointSlice, slice(port, &BEFORE, &[]));
    let addrs: Vec<String> = PODS.iter().map(|ip| format!("{ip}:{port}")).collect();
    let url = api.url();
    let env = [
        ("K8S_NODE_NAME", "node-1"),
        ("POD_NAME", "solder-x7k2p"),
        ("POD_NAMESPACE", "solder"),
        ("SOLDER_KUBERNETES_AUTH_TYPE", "none"),
        (API_SERVER_ENV, url.as_str()),
    ];
    let fleet = Fleet::start_with(&addrs, EXPORTER, |grpc| agent_config(grpc, port), &env);
    roll(fleet, |_| {
        // The agent has found the gateways by then, reading only what
        // gateway/rbac.yaml grants: the slices of the Service's namespace.
        let asked: Vec<String> = api.requests().into_iter().filter(|r| r.contains("endpointslices")).collect();
        assert!(!asked.is_empty() && asked.iter().all(|r| r.contains("/namespaces/solder/endpointslices")), "only the Service's namespace: {asked:?}");
        // The leaving pod is terminating (its preStop running); the surge
        // pod is ready.
        api.apply_object(Kind::EndpointSlice, slice(port, &AFTER, &[BEFORE[2]]));
    });
    drop(api);
}
