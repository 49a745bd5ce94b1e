//! The Kubernetes resolver against the stand-in API server (real HTTP, the
//! real list and watch protocol), run as the exporter runs it: a task
//! sending into a watch channel.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use serde_json::{json, Value};

use super::*;
use crate::harness::until;
use crate::kubernetes::standin::{Kind, KubeStandin};
use crate::otelcol::exporter::loadbalancing::resolver::running::Running;
use crate::otelcol::exporter::loadbalancing::resolver::ResolverArgs;

const GATEWAY: &str = include_str!("testdata/endpointslice-gateway.json");

fn args(service: &str, ports: &[u16]) -> Arguments {
    Arguments { service: service.to_string(), ports: ports.to_vec(), timeout: Duration(StdDuration::from_secs(1)), return_hostnames: false }
}

/// The sample slice with its own name, UID and endpoints.
fn slice(name: &str, endpoints: Value) -> Value {
    let mut s: Value = serde_json::from_str(GATEWAY).unwrap();
    s["metadata"]["name"] = json!(name);
    s["metadata"]["uid"] = json!(format!("uid-{name}"));
    s["endpoints"] = endpoints;
    s
}

/// An endpoint with explicit conditions.
fn ep(ip: &str, ready: bool, serving: bool, terminating: bool) -> Value {
    json!({"addresses": [ip], "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
        "targetRef": {"kind": "Pod", "namespace": "obs", "name": format!("gateway-{ip}")}, "nodeName": "node-a"})
}

fn ready(ip: &str) -> Value {
    ep(ip, true, true, false)
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A resolver watching `standin`, run as the exporter runs it.
fn start(standin: &KubeStandin, args: &Arguments) -> Running {
    let metrics = ComponentMetrics::new(&format!("otelcol.exporter.loadbalancing.k8s_{}", standin.url()));
    let resolver = KubernetesResolver::with_namespace_file(args, &metrics, Path::new("/nonexistent/namespace")).unwrap();
    Running::start(Arc::new(resolver.with_auth(AuthType::None { url: Some(standin.url()) })), metrics)
}

#[tokio::test]
async fn the_first_list_gives_every_ready_endpoint_once_per_port() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply_object(Kind::EndpointSlice, serde_json::from_str(GATEWAY).unwrap());
    let mut r = start(&standin, &args("gateway-headless.obs", &[4317, 4318]));
    r.wait_for(&["10.244.1.17:4317", "10.244.1.17:4318", "10.244.2.9:4317", "10.244.2.9:4318", "10.244.3.4:4317", "10.244.3.4:4318"]).await;
    assert_eq!(r.updates(), 1);
    assert!(r.resolver.error().is_none());

    let requests = standin.requests();
    let list = requests.iter().find(|q| !q.contains("watch=true")).unwrap();
    assert!(list.starts_with("/apis/discovery.k8s.io/v1/namespaces/obs/endpointslices?"), "{list}");
    assert!(list.contains("labelSelector=kubernetes.io%2Fservice-name%3Dgateway-headless"), "{list}");
}

#[tokio::test]
async fn a_pod_leaves_the_ring_when_not_ready_when_terminating_and_when_removed() {
    let standin = KubeStandin::start().await.unwrap();
    let put = |endpoints: Value| standin.apply_object(Kind::EndpointSlice, slice("gateway-headless-a", endpoints));
    put(json!([ready("10.0.0.1"), ready("10.0.0.2"), ready("10.0.0.3")]));
    let mut r = start(&standin, &args("gateway-headless.obs", &[4317]));
    r.wait_for(&["10.0.0.1:4317", "10.0.0.2:4317", "10.0.0.3:4317"]).await;

    // Its readiness probe fails.
    put(json!([ready("10.0.0.1"), ep("10.0.0.2", false, false, false), ready("10.0.0.3")]));
    r.wait_for(&["10.0.0.1:4317", "10.0.0.3:4317"]).await;
    put(json!([ready("10.0.0.1"), ready("10.0.0.2"), ready("10.0.0.3")]));
    r.wait_for(&["10.0.0.1:4317", "10.0.0.2:4317", "10.0.0.3:4317"]).await;

    // Terminating behind a Service with publishNotReadyAddresses: still
    // ready and serving, as the Collector's resolver reads it (#50436).
    put(json!([ready("10.0.0.1"), ready("10.0.0.2"), ep("10.0.0.3", true, true, true)]));
    r.wait_for(&["10.0.0.1:4317", "10.0.0.2:4317"]).await;
    // Terminating as a plain Service shows it, draining.
    put(json!([ready("10.0.0.1"), ep("10.0.0.2", false, true, true), ep("10.0.0.3", false, false, true)]));
    r.wait_for(&["10.0.0.1:4317"]).await;
    // Gone from the slice.
    put(json!([ready("10.0.0.1")]));
    let updates = r.updates();
    put(json!([ready("10.0.0.1"), ready("10.0.0.4")]));
    r.wait_for(&["10.0.0.1:4317", "10.0.0.4:4317"]).await;
    assert_eq!(r.updates(), updates + 1, "a change that leaves the set as it was is no update");
}

#[tokio::test]
async fn every_slice_of_the_service_counts_and_no_other() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply_object(Kind::EndpointSlice, slice("gateway-headless-a", json!([ready("10.0.0.1"), ready("10.0.0.2")])));
    let mut other = slice("checkout-x", json!([ready("10.9.9.9")]));
    other["metadata"]["labels"]["kubernetes.io/service-name"] = json!("checkout");
    standin.apply_object(Kind::EndpointSlice, other);
    let mut elsewhere = slice("gateway-headless-prod", json!([ready("10.8.8.8")]));
    elsewhere["metadata"]["namespace"] = json!("prod");
    standin.apply_object(Kind::EndpointSlice, elsewhere);
    let mut r = start(&standin, &args("gateway-headless.obs", &[4317]));
    r.wait_for(&["10.0.0.1:4317", "10.0.0.2:4317"]).await;

    // A scale-up spills into a second slice; an endpoint moving between
    // slices may show in both for a moment.
    standin.apply_object(Kind::EndpointSlice, slice("gateway-headless-b", json!([ready("10.0.0.3"), ready("10.0.0.2")])));
    r.wait_for(&["10.0.0.1:4317", "10.0.0.2:4317", "10.0.0.3:4317"]).await;
    standin.apply_object(Kind::EndpointSlice, slice("gateway-headless-a", json!([ready("10.0.0.1")])));
    let mut more_elsewhere = slice("checkout-y", json!([ready("10.9.9.8")]));
    more_elsewhere["metadata"]["labels"]["kubernetes.io/service-name"] = json!("checkout");
    standin.apply_object(Kind::EndpointSlice, more_elsewhere);
    standin.delete_object(Kind::EndpointSlice, "obs", "gateway-headless-b");
    r.wait_for(&["10.0.0.1:4317"]).await;
    until("the last event", || r.resolutions("true") >= 3).await;
    assert_eq!(r.current(), Some(strings(&["10.0.0.1:4317"])), "other services' slices never count");
}

#[tokio::test]
async fn a_failing_watch_keeps_the_last_set_and_records_the_failure_until_it_recovers() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply_object(Kind::EndpointSlice, slice("gateway-headless-a", json!([ready("10.0.0.1"), ready("10.0.0.2")])));
    let mut r = start(&standin, &args("gateway-headless.obs", &[4317]));
    r.wait_for(&["10.0.0.1:4317", "10.0.0.2:4317"]).await;
    until("the watch to open", || standin.watches() == 1).await;

    standin.set_failing(true);
    standin.end_watches();
    until("a failed resolution", || r.resolutions("false") >= 1).await;
    let error = r.resolver.error().unwrap_or_default();
    assert!(error.contains("obs/gateway-headless") && error.contains("failing on request"), "{error}");
    assert_eq!(r.current(), Some(strings(&["10.0.0.1:4317", "10.0.0.2:4317"])), "the last set stays");

    standin.set_failing(false);
    until("the watch to reopen", || standin.watches() == 1).await;
    standin.apply_object(Kind::EndpointSlice, slice("gateway-headless-a", json!([ready("10.0.0.2"), ready("10.0.0.3")])));
    r.wait_for(&["10.0.0.2:4317", "10.0.0.3:4317"]).await;
    assert!(r.resolver.error().is_none(), "a good set clears the error");
}

#[tokio::test]
async fn a_change_lost_to_compaction_is_seen_by_the_relist() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply_object(Kind::EndpointSlice, slice("gateway-headless-a", json!([ready("10.0.0.1")])));
    standin.apply_object(Kind::EndpointSlice, slice("gateway-headless-b", json!([ready("10.0.0.2")])));
    let mut r = start(&standin, &args("gateway-headless.obs", &[4317]));
    r.wait_for(&["10.0.0.1:4317", "10.0.0.2:4317"]).await;
    until("the watch to open", || standin.watches() == 1).await;

    standin.forget_object(Kind::EndpointSlice, "obs", "gateway-headless-b");
    standin.gone();
    r.wait_for(&["10.0.0.1:4317"]).await;
}

#[tokio::test]
async fn the_first_list_is_bounded_by_timeout() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply_object(Kind::EndpointSlice, slice("gateway-headless-a", json!([ready("10.0.0.1")])));
    standin.set_failing(true);
    let mut a = args("gateway-headless.obs", &[4317]);
    a.timeout = Duration(StdDuration::from_millis(200));
    let mut r = start(&standin, &a);
    until("the timeout", || r.resolver.error().is_some_and(|e| e.contains("not listed within 200ms"))).await;
    assert_eq!(r.current(), None, "nothing listed yet is None, not an empty ring");

    standin.set_failing(false);
    r.wait_for(&["10.0.0.1:4317"]).await;
    assert!(r.resolver.error().is_none());
}

#[tokio::test]
async fn return_hostnames_gives_pod_names_under_the_service() {
    let standin = KubeStandin::start().await.unwrap();
    let named = |ip: &str, host: &str| {
        let mut e = ready(ip);
        e["hostname"] = json!(host);
        e
    };
    let endpoints = json!([named("10.0.0.1", "gateway-0"), named("10.0.0.2", "gateway-1"), ready("10.0.0.3")]);
    standin.apply_object(Kind::EndpointSlice, slice("gateway-headless-a", endpoints));
    let mut a = args("gateway-headless.obs", &[4317]);
    a.return_hostnames = true;
    let mut r = start(&standin, &a);
    r.wait_for(&["gateway-0.gateway-headless.obs:4317", "gateway-1.gateway-headless.obs:4317"]).await;
    let error = r.resolver.error().unwrap_or_default();
    assert!(error.contains("1 ready endpoint(s) of obs/gateway-headless have no hostname"), "{error}");
}

#[tokio::test]
async fn ipv6_addresses_are_bracketed() {
    let standin = KubeStandin::start().await.unwrap();
    let mut v6 = slice("gateway-headless-v6", json!([ready("fd00:10:244::5"), ready("fd00:10:244::4")]));
    v6["addressType"] = json!("IPv6");
    standin.apply_object(Kind::EndpointSlice, v6);
    let mut r = start(&standin, &args("gateway-headless.obs", &[4317]));
    r.wait_for(&["[fd00:10:244::4]:4317", "[fd00:10:244::5]:4317"]).await;
}

#[test]
fn the_namespace_is_the_services_else_the_pods_own_else_default() {
    let metrics = ComponentMetrics::new("otelcol.exporter.loadbalancing.k8s_namespace");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("namespace");
    std::fs::write(&file, "observability\n").unwrap();
    let ns = |service: &str, path: &Path| KubernetesResolver::with_namespace_file(&args(service, &[4317]), &metrics, path).unwrap().namespace().to_string();
    assert_eq!(ns("gateway.obs", &file), "obs");
    assert_eq!(ns("gateway", &file), "observability");
    assert_eq!(ns("gateway", &dir.path().join("missing")), "default");
}

#[test]
fn arguments_that_cannot_name_a_service_are_refused() {
    let refused = |service: &str, ports: &[u16]| args(service, ports).validate().err().map(|e| e.message).unwrap_or_default();
    assert!(refused("gateway.obs.svc.cluster.local", &[4317]).contains("is not a namespace name"));
    assert!(refused("Gateway", &[4317]).contains("is not a Service name"));
    assert!(refused("", &[4317]).contains("required"));
    assert!(refused("gateway", &[]).contains("at least one port"));
    assert!(refused("gateway", &[0]).contains("port 0"));
    assert!(args("gateway-headless.obs", &[4317, 4318]).validate().is_ok());
}

#[test]
fn building_opens_no_connection() {
    let metrics = ComponentMetrics::new("otelcol.exporter.loadbalancing.k8s_build");
    let resolver = ResolverArgs { kubernetes: Some(args("gateway-headless.obs", &[4317])), ..ResolverArgs::default() }.build(&metrics).unwrap();
    assert_eq!(resolver.name(), "k8s");
    assert!(resolver.error().is_none());
}

#[test]
fn hosts_join_ports_as_go_does() {
    assert_eq!(join_host_port("10.0.0.1", 4317), "10.0.0.1:4317");
    assert_eq!(join_host_port("fd00::1", 4317), "[fd00::1]:4317");
    assert_eq!(join_host_port("gateway-0.gateway-headless.obs", 4317), "gateway-0.gateway-headless.obs:4317");
}

#[tokio::test]
async fn no_client_is_a_failure_and_sends_nothing() {
    let metrics = ComponentMetrics::new("otelcol.exporter.loadbalancing.k8s_no_client");
    let resolver = KubernetesResolver::with_namespace_file(&args("gateway-headless.obs", &[4317]), &metrics, Path::new("/nonexistent/namespace")).unwrap();
    let auth = AuthType::KubeConfig { path: Some("/nonexistent/kubeconfig".into()), context: None };
    let r = Running::start(Arc::new(resolver.with_auth(auth)), metrics);
    until("the failure", || r.resolutions("false") >= 1).await;
    let error = r.resolver.error().unwrap_or_default();
    assert!(error.contains("no client for the API server") && error.contains("kubeConfig"), "{error}");
    assert_eq!(r.current(), None);
}
