//! `discovery.kubernetes` against the stand-in API server, over real HTTP
//! with real object JSON: the exact label set of each role, selectors and
//! namespaces on the wire, watch events and a 410 changing the targets,
//! and health following the API.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value as Json};
use solder_syntax::{Scope, Value};

use super::{Target, REGISTRATION};
use crate::component::{HealthState, Options};
use crate::harness::{build_error, until, Harness};
use crate::kubernetes::standin::{Kind, KubeStandin};

const POD: &str = include_str!("../../kubernetes/testdata/pod-checkout.json");
const NODE: &str = include_str!("../../kubernetes/testdata/node-a.json");
const NAMESPACE: &str = include_str!("../../kubernetes/testdata/namespace-shop.json");
const SERVICE: &str = include_str!("testdata/service-checkout.json");
const ENDPOINTS: &str = include_str!("testdata/endpoints-checkout.json");
const SLICE: &str = include_str!("testdata/endpointslice-checkout.json");

fn sample(text: &str) -> Json {
    serde_json::from_str(text).expect("sample JSON")
}

/// A target written one `name=value` per line (values may be empty).
fn target(text: &str) -> Target {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The labels Prometheus gives the checkout pod itself.
const CHECKOUT_POD: &str = "
    __meta_kubernetes_pod_name=checkout-7d9f8c6b5d-x2kqp
    __meta_kubernetes_pod_ip=10.244.1.17
    __meta_kubernetes_pod_ready=true
    __meta_kubernetes_pod_phase=Running
    __meta_kubernetes_pod_node_name=node-a
    __meta_kubernetes_pod_host_ip=10.0.0.11
    __meta_kubernetes_pod_uid=5b7c1e2a-8f1d-4c33-9a0e-2f6d1b9c4a10
    __meta_kubernetes_pod_label_app_kubernetes_io_name=checkout
    __meta_kubernetes_pod_labelpresent_app_kubernetes_io_name=true
    __meta_kubernetes_pod_label_app_kubernetes_io_version=1.4.2
    __meta_kubernetes_pod_labelpresent_app_kubernetes_io_version=true
    __meta_kubernetes_pod_label_pod_template_hash=7d9f8c6b5d
    __meta_kubernetes_pod_labelpresent_pod_template_hash=true
    __meta_kubernetes_pod_annotation_kubectl_kubernetes_io_restartedAt=2026-11-30T09:12:40Z
    __meta_kubernetes_pod_annotationpresent_kubectl_kubernetes_io_restartedAt=true
    __meta_kubernetes_pod_annotation_prometheus_io_scrape=true
    __meta_kubernetes_pod_annotationpresent_prometheus_io_scrape=true
    __meta_kubernetes_pod_controller_kind=ReplicaSet
    __meta_kubernetes_pod_controller_name=checkout-7d9f8c6b5d";

/// The labels the checkout service gives what it backs.
const CHECKOUT_SERVICE: &str = "
    __meta_kubernetes_namespace=shop
    __meta_kubernetes_service_name=checkout
    __meta_kubernetes_service_label_app_kubernetes_io_name=checkout
    __meta_kubernetes_service_labelpresent_app_kubernetes_io_name=true
    __meta_kubernetes_service_annotation_prometheus_io_scrape=true
    __meta_kubernetes_service_annotationpresent_prometheus_io_scrape=true";

fn targets_of(h: &Harness) -> Vec<Target> {
    let Value::Object(exports) = h.exports() else { panic!("exports are not an object") };
    let Some(Value::Array(items)) = exports.get("targets") else { panic!("no targets list") };
    items
        .iter()
        .map(|t| {
            let Value::Object(labels) = t else { panic!("a target is not an object") };
            labels.iter().map(|(k, v)| (k.clone(), v.as_str().expect("string label").to_string())).collect()
        })
        .collect()
}

/// Runs the component against `api`, counting exports changes.
fn start(api: &KubeStandin, args: &str) -> (Harness, Arc<AtomicUsize>) {
    let changes = Arc::new(AtomicUsize::new(0));
    let mut opts = Options::standalone("discovery.kubernetes.test");
    let c = changes.clone();
    opts.on_exports_changed = Arc::new(move || {
        c.fetch_add(1, Ordering::SeqCst);
    });
    let args = format!("api_server = {:?}\n{args}", api.url());
    let h = Harness::start_with(&REGISTRATION, opts, &args, &Scope::default()).expect("builds");
    (h, changes)
}

async fn wait_targets(h: &Harness, n: usize) -> Vec<Target> {
    until(&format!("{n} targets"), || targets_of(h).len() == n).await;
    targets_of(h)
}

#[tokio::test]
async fn pod_role_gives_a_target_per_container_port_and_per_portless_container() {
    let api = KubeStandin::start().await.expect("stand-in");
    api.apply(sample(POD));
    let mut pending = sample(POD);
    pending["metadata"]["name"] = json!("checkout-pending");
    pending["metadata"]["uid"] = json!("uid-pending");
    pending["status"] = json!({"phase": "Pending"});
    api.apply(pending);
    let (h, changes) = start(&api, "role = \"pod\"");
    let got = wait_targets(&h, 2).await;
    let container = "__meta_kubernetes_namespace=shop
        __meta_kubernetes_pod_container_id=containerd://9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b
        __meta_kubernetes_pod_container_image=ghcr.io/example/checkout:1.4.2
        __meta_kubernetes_pod_container_init=false
        __meta_kubernetes_pod_container_name=checkout";
    let with_port = "__address__=10.244.1.17:8080
        __meta_kubernetes_pod_container_port_name=
        __meta_kubernetes_pod_container_port_number=8080
        __meta_kubernetes_pod_container_port_protocol=TCP";
    assert_eq!(got[0], target(&format!("{CHECKOUT_POD}\n{container}\n{with_port}")));
    let envoy = "__address__=10.244.1.17
        __meta_kubernetes_namespace=shop
        __meta_kubernetes_pod_container_id=containerd://1f2e3d4c5b6a79880f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978
        __meta_kubernetes_pod_container_image=envoyproxy/envoy:v1.31.2
        __meta_kubernetes_pod_container_init=false
        __meta_kubernetes_pod_container_name=envoy";
    assert_eq!(got[1], target(&format!("{CHECKOUT_POD}\n{envoy}")), "a container without ports is a target at the pod's IP");
    assert_eq!(h.health().state, HealthState::Healthy);
    assert_eq!(changes.load(Ordering::SeqCst), 1, "one exports change for the first list");
}

#[tokio::test]
async fn service_role_gives_a_target_per_port_at_the_dns_name() {
    let api = KubeStandin::start().await.expect("stand-in");
    api.apply_object(Kind::Service, sample(SERVICE));
    let (h, _) = start(&api, "role = \"service\"");
    let got = wait_targets(&h, 2).await;
    let port = |addr: &str, name: &str, number: &str| {
        target(&format!(
            "{CHECKOUT_SERVICE}\n__address__={addr}\n__meta_kubernetes_service_port_name={name}
            __meta_kubernetes_service_port_number={number}\n__meta_kubernetes_service_port_protocol=TCP
            __meta_kubernetes_service_type=ClusterIP\n__meta_kubernetes_service_cluster_ip=10.96.14.201"
        ))
    };
    assert_eq!(got, vec![port("checkout.shop.svc:80", "http", "80"), port("checkout.shop.svc:9901", "admin", "9901")]);
}

/// A LoadBalancer service also names its requested IP, and the service
/// role takes namespace metadata like the others.
#[tokio::test]
async fn service_role_names_a_load_balancer_ip_and_attaches_the_namespace() {
    let api = KubeStandin::start().await.expect("stand-in");
    let mut svc = sample(SERVICE);
    svc["spec"]["type"] = json!("LoadBalancer");
    svc["spec"]["loadBalancerIP"] = json!("203.0.113.7");
    api.apply_object(Kind::Service, svc);
    api.apply_object(Kind::Namespace, sample(NAMESPACE));
    let (h, _) = start(&api, "role = \"service\"\nattach_metadata {\n namespace = true\n}");
    let got = wait_targets(&h, 2).await;
    let get = |k: &str| got[0].get(k).map(String::as_str);
    assert_eq!(get("__meta_kubernetes_service_type"), Some("LoadBalancer"));
    assert_eq!(get("__meta_kubernetes_service_loadbalancer_ip"), Some("203.0.113.7"));
    assert_eq!(get("__meta_kubernetes_service_cluster_ip"), Some("10.96.14.201"));
    assert_eq!(get("__meta_kubernetes_namespace_label_team"), Some("payments"));
}

#[tokio::test]
async fn node_role_targets_the_kubelet_at_the_internal_ip() {
    let api = KubeStandin::start().await.expect("stand-in");
    api.put_node(sample(NODE));
    let (h, _) = start(&api, "role = \"node\"");
    let got = wait_targets(&h, 1).await;
    let mut want = target(
        "__address__=10.0.0.11:10250
        instance=node-a
        __meta_kubernetes_node_name=node-a
        __meta_kubernetes_node_provider_id=aws:///eu-west-1a/i-0a1b2c3d4e5f60718
        __meta_kubernetes_node_address_InternalIP=10.0.0.11
        __meta_kubernetes_node_address_Hostname=node-a",
    );
    for (kind, map) in [("label", "labels"), ("annotation", "annotations")] {
        for (k, v) in sample(NODE)["metadata"][map].as_object().expect("map") {
            let name: String = k.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
            want.insert(format!("__meta_kubernetes_node_{kind}_{name}"), v.as_str().expect("string").to_string());
            want.insert(format!("__meta_kubernetes_node_{kind}present_{name}"), "true".into());
        }
    }
    assert_eq!(got, vec![want]);
}

/// The checkout pod with a second, named port on its envoy container that
/// no endpoint names.
fn pod_with_admin_port() -> Json {
    let mut pod = sample(POD);
    pod["spec"]["containers"][1]["ports"] = json!([{"name": "admin", "containerPort": 9901, "protocol": "TCP"}]);
    pod
}

const ENDPOINTS_GROUP: &str = "
    __meta_kubernetes_endpoints_name=checkout
    __meta_kubernetes_endpoints_label_app_kubernetes_io_name=checkout
    __meta_kubernetes_endpoints_labelpresent_app_kubernetes_io_name=true
    __meta_kubernetes_endpoints_annotation_endpoints_kubernetes_io_last_change_trigger_time=2026-11-30T09:12:45Z
    __meta_kubernetes_endpoints_annotationpresent_endpoints_kubernetes_io_last_change_trigger_time=true";

/// The envoy admin port: a target from the backing pod, not the endpoint.
const ENVOY_ADMIN: &str = "__address__=10.244.1.17:9901
    __meta_kubernetes_pod_container_name=envoy
    __meta_kubernetes_pod_container_image=envoyproxy/envoy:v1.31.2
    __meta_kubernetes_pod_container_init=false
    __meta_kubernetes_pod_container_port_name=admin
    __meta_kubernetes_pod_container_port_number=9901
    __meta_kubernetes_pod_container_port_protocol=TCP";

const CHECKOUT_CONTAINER: &str = "__meta_kubernetes_pod_container_name=checkout
    __meta_kubernetes_pod_container_image=ghcr.io/example/checkout:1.4.2
    __meta_kubernetes_pod_container_init=false
    __meta_kubernetes_pod_container_port_name=
    __meta_kubernetes_pod_container_port_number=8080
    __meta_kubernetes_pod_container_port_protocol=TCP";

#[tokio::test]
async fn endpoints_role_joins_the_service_and_the_backing_pods() {
    let api = KubeStandin::start().await.expect("stand-in");
    api.apply_object(Kind::Service, sample(SERVICE));
    api.apply_object(Kind::Endpoints, sample(ENDPOINTS));
    api.apply(pod_with_admin_port());
    let (h, _) = start(&api, "role = \"endpoints\"");
    let got = wait_targets(&h, 3).await;
    let ready = "__address__=10.244.1.17:8080
        __meta_kubernetes_endpoint_port_name=http
        __meta_kubernetes_endpoint_port_protocol=TCP
        __meta_kubernetes_endpoint_ready=true
        __meta_kubernetes_endpoint_address_target_kind=Pod
        __meta_kubernetes_endpoint_address_target_name=checkout-7d9f8c6b5d-x2kqp
        __meta_kubernetes_endpoint_node_name=node-a";
    assert_eq!(got[0], target(&format!("{CHECKOUT_SERVICE}\n{ENDPOINTS_GROUP}\n{ready}\n{CHECKOUT_POD}\n{CHECKOUT_CONTAINER}")));
    let not_ready = "__address__=10.244.2.9:8080
        __meta_kubernetes_endpoint_port_name=http
        __meta_kubernetes_endpoint_port_protocol=TCP
        __meta_kubernetes_endpoint_ready=false
        __meta_kubernetes_endpoint_address_target_kind=Pod
        __meta_kubernetes_endpoint_address_target_name=checkout-7d9f8c6b5d-pq7rs
        __meta_kubernetes_endpoint_node_name=node-b";
    assert_eq!(got[1], target(&format!("{CHECKOUT_SERVICE}\n{ENDPOINTS_GROUP}\n{not_ready}")), "a pod not (yet) watched adds no pod labels");
    assert_eq!(got[2], target(&format!("{CHECKOUT_SERVICE}\n{ENDPOINTS_GROUP}\n{CHECKOUT_POD}\n{ENVOY_ADMIN}")));
}

#[tokio::test]
async fn endpointslice_role_joins_the_service_named_by_its_label() {
    let api = KubeStandin::start().await.expect("stand-in");
    api.apply_object(Kind::Service, sample(SERVICE));
    api.apply_object(Kind::EndpointSlice, sample(SLICE));
    api.apply(pod_with_admin_port());
    let (h, _) = start(&api, "role = \"endpointslice\"");
    let got = wait_targets(&h, 2).await;
    let group = "__meta_kubernetes_endpointslice_name=checkout-8fz2q
        __meta_kubernetes_endpointslice_address_type=IPv4
        __meta_kubernetes_endpointslice_label_endpointslice_kubernetes_io_managed_by=endpointslice-controller.k8s.io
        __meta_kubernetes_endpointslice_labelpresent_endpointslice_kubernetes_io_managed_by=true
        __meta_kubernetes_endpointslice_label_kubernetes_io_service_name=checkout
        __meta_kubernetes_endpointslice_labelpresent_kubernetes_io_service_name=true
        __meta_kubernetes_endpointslice_annotation_endpoints_kubernetes_io_last_change_trigger_time=2026-11-30T09:12:45Z
        __meta_kubernetes_endpointslice_annotationpresent_endpoints_kubernetes_io_last_change_trigger_time=true";
    let endpoint = "__address__=10.244.1.17:8080
        __meta_kubernetes_endpointslice_address_target_kind=Pod
        __meta_kubernetes_endpointslice_address_target_name=checkout-7d9f8c6b5d-x2kqp
        __meta_kubernetes_endpointslice_endpoint_node_name=node-a
        __meta_kubernetes_endpointslice_endpoint_zone=eu-west-1a
        __meta_kubernetes_endpointslice_endpoint_conditions_ready=true
        __meta_kubernetes_endpointslice_endpoint_conditions_serving=true
        __meta_kubernetes_endpointslice_endpoint_conditions_terminating=false
        __meta_kubernetes_endpointslice_port=8080
        __meta_kubernetes_endpointslice_port_name=http
        __meta_kubernetes_endpointslice_port_protocol=TCP";
    assert_eq!(got[0], target(&format!("{CHECKOUT_SERVICE}\n{group}\n{endpoint}\n{CHECKOUT_POD}\n{CHECKOUT_CONTAINER}")));
    assert_eq!(got[1], target(&format!("{CHECKOUT_SERVICE}\n{group}\n{CHECKOUT_POD}\n{ENVOY_ADMIN}")));
}

/// Every address of an endpoint is a target (endpoint, then port, then
/// address, as Prometheus walks them), and an endpoint that is a node (the
/// API server's own slice on some clusters) gets that node's labels.
#[tokio::test]
async fn endpointslice_role_targets_every_address_and_node_endpoints() {
    let api = KubeStandin::start().await.expect("stand-in");
    api.put_node(sample(NODE));
    let mut slice = sample(SLICE);
    slice["metadata"]["name"] = json!("kubelets-1");
    slice["endpoints"] = json!([{
        "addresses": ["10.0.0.5", "10.0.0.6"],
        "conditions": {"ready": true},
        "targetRef": {"kind": "Node", "name": "node-a"}
    }]);
    slice["ports"] = json!([{"name": "metrics", "protocol": "TCP", "port": 10250}, {"name": "health", "protocol": "TCP", "port": 10248}]);
    api.apply_object(Kind::EndpointSlice, slice);
    let (h, _) = start(&api, "role = \"endpointslice\"\nattach_metadata {\n node = true\n}");
    let got = wait_targets(&h, 4).await;
    let addresses: Vec<&str> = got.iter().map(|t| t["__address__"].as_str()).collect();
    assert_eq!(addresses, ["10.0.0.5:10250", "10.0.0.6:10250", "10.0.0.5:10248", "10.0.0.6:10248"]);
    for t in &got {
        assert_eq!(t.get("__meta_kubernetes_node_name").map(String::as_str), Some("node-a"), "{t:?}");
        assert_eq!(t.get("__meta_kubernetes_endpointslice_address_target_kind").map(String::as_str), Some("Node"));
        assert!(!t.contains_key("__meta_kubernetes_endpointslice_endpoint_node_name"), "the endpoint has no nodeName: {t:?}");
    }
}

#[tokio::test]
async fn attach_metadata_adds_the_node_and_namespace_labels() {
    let api = KubeStandin::start().await.expect("stand-in");
    api.apply(sample(POD));
    api.put_node(sample(NODE));
    api.apply_object(Kind::Namespace, sample(NAMESPACE));
    let (h, _) = start(&api, "role = \"pod\"\nattach_metadata {\n node = true\n namespace = true\n}");
    let got = wait_targets(&h, 2).await;
    let t = &got[0];
    assert_eq!(t.get("__meta_kubernetes_node_name").map(String::as_str), Some("node-a"));
    assert_eq!(t.get("__meta_kubernetes_node_label_topology_kubernetes_io_zone").map(String::as_str), Some("eu-west-1a"));
    assert_eq!(t.get("__meta_kubernetes_node_labelpresent_kubernetes_io_hostname").map(String::as_str), Some("true"));
    assert_eq!(t.get("__meta_kubernetes_namespace_label_team").map(String::as_str), Some("payments"));
    assert_eq!(t.get("__meta_kubernetes_namespace_labelpresent_team").map(String::as_str), Some("true"));
    assert!(api.requests().iter().any(|r| r.starts_with("/api/v1/nodes?")), "nodes are watched");
}

#[tokio::test]
async fn selectors_and_namespaces_go_to_the_api_server() {
    let api = KubeStandin::start().await.expect("stand-in");
    api.apply_object(Kind::Endpoints, sample(ENDPOINTS));
    let mut elsewhere = sample(ENDPOINTS);
    elsewhere["metadata"]["namespace"] = json!("default");
    elsewhere["metadata"]["uid"] = json!("uid-elsewhere");
    api.apply_object(Kind::Endpoints, elsewhere);
    let args = "role = \"endpoints\"
        namespaces {\n names = [\"shop\", \"billing\"]\n}
        selectors {\n role = \"pod\"\n field = \"spec.nodeName=node-a\"\n}
        selectors {\n role = \"service\"\n label = \"app.kubernetes.io/name=checkout\"\n}";
    let (h, _) = start(&api, args);
    let got = wait_targets(&h, 2).await;
    assert!(got.iter().all(|t| t["__meta_kubernetes_namespace"] == "shop"), "only the named namespaces: {got:?}");
    let reqs = api.requests();
    let asked = |prefix: &str, query: &str| reqs.iter().any(|r| r.starts_with(prefix) && r.contains(query));
    for ns in ["shop", "billing"] {
        assert!(asked(&format!("/api/v1/namespaces/{ns}/pods?"), "fieldSelector=spec.nodeName%3Dnode-a"), "{reqs:?}");
        assert!(asked(&format!("/api/v1/namespaces/{ns}/services?"), "labelSelector=app.kubernetes.io%2Fname%3Dcheckout"), "{reqs:?}");
        assert!(asked(&format!("/api/v1/namespaces/{ns}/endpoints?"), ""), "{reqs:?}");
    }
    assert!(!reqs.iter().any(|r| r.starts_with("/api/v1/pods?") || r.starts_with("/api/v1/endpoints?")), "no cluster-wide watch: {reqs:?}");
}

#[tokio::test]
async fn watch_events_and_a_relist_after_410_change_the_targets() {
    let api = KubeStandin::start().await.expect("stand-in");
    api.apply(sample(POD));
    let (h, changes) = start(&api, "role = \"pod\"");
    wait_targets(&h, 2).await;
    until("the watch to open", || api.watches() == 1).await;

    let mut second = sample(POD);
    second["metadata"]["name"] = json!("checkout-2");
    second["metadata"]["uid"] = json!("uid-2");
    second["status"]["podIP"] = json!("10.244.1.18");
    api.apply(second.clone());
    let got = wait_targets(&h, 4).await;
    assert!(got.iter().any(|t| t["__address__"] == "10.244.1.18:8080"), "{got:?}");
    assert!(changes.load(Ordering::SeqCst) >= 2, "downstream is told");

    // Lost to compaction: only the relist after the 410 shows it gone.
    api.forget_object(Kind::Pod, "shop", "checkout-2");
    api.gone();
    let got = wait_targets(&h, 2).await;
    assert!(got.iter().all(|t| t["__meta_kubernetes_pod_name"] == "checkout-7d9f8c6b5d-x2kqp"), "{got:?}");

    api.delete(sample(POD)["metadata"]["uid"].as_str().expect("uid"));
    wait_targets(&h, 0).await;
}

#[tokio::test]
async fn health_follows_the_api_and_keeps_the_last_error() {
    let api = KubeStandin::start().await.expect("stand-in");
    api.set_failing(true);
    let (h, _) = start(&api, "role = \"service\"");
    until("the failure in health", || h.health().message.contains("failing")).await;
    assert_eq!(h.health().state, HealthState::Unhealthy);
    assert!(h.health().message.contains("the services watch is failing"), "{}", h.health().message);
    api.apply_object(Kind::Service, sample(SERVICE));
    api.set_failing(false);
    wait_targets(&h, 2).await;
    until("healthy", || h.health().state == HealthState::Healthy).await;
    let Value::Array(informers) = h.debug("informers") else { panic!("informers") };
    let Value::Object(first) = &informers[0] else { panic!("an informer") };
    let Some(Value::Object(state)) = first.get("state") else { panic!("its state") };
    assert!(state["last_error"].as_str().is_some_and(|e| !e.is_empty()), "the last error stays visible: {state:?}");
}

#[test]
fn arguments_are_checked_as_prometheus_checks_them() {
    let scope = Scope::default();
    let err = |args: &str| build_error(&REGISTRATION, args, &scope);
    assert!(err("role = \"ingress\"").contains("not supported yet"));
    assert!(err("role = \"pods\"").contains("invalid role"));
    assert!(err("role = \"pod\"\napi_server = \"http://a\"\nkubeconfig_file = \"/k\"").contains("simultaneously"));
    assert!(err("role = \"pod\"\nselectors {\n role = \"pod\"\n}\nselectors {\n role = \"pod\"\n}").contains("duplicated selector role: pod"));
    assert!(err("role = \"pod\"\nselectors {\n role = \"service\"\n}").contains("pod role supports only pod selectors"));
    assert!(err("role = \"pod\"\nbearer_token = \"t\"").contains("provide the 'api_server' URL"));
    let two = "role = \"pod\"\napi_server = \"http://a\"\nbearer_token = \"t\"\nbasic_auth {\n username = \"u\"\n}";
    assert!(err(two).contains("at most one of"));
    // Prometheus takes attach_metadata for every role and uses what the
    // role can use, so a config that sets it where it does nothing runs.
    assert!(crate::harness::Harness::build(&REGISTRATION, "role = \"node\"\nattach_metadata {\n node = true\n}", &scope).is_ok());
}

#[test]
fn http_client_blocks_reach_the_kube_client_config() {
    let scope = Scope::default();
    let text = "role = \"pod\"\napi_server = \"https://10.0.0.1:6443\"\nbearer_token_file = \"/var/run/token\"
        proxy_url = \"http://proxy:3128\"\ntls_config {\n insecure_skip_verify = true\n server_name = \"kubernetes\"\n}";
    let body = crate::harness::evaluate("discovery.kubernetes", text, &scope).expect("evaluates");
    let args: super::Arguments = crate::decode::decode(&body).expect("decodes");
    let mut config = kube::Config::new("https://10.0.0.1:6443".parse().expect("uri"));
    args.configure(&mut config).expect("configures");
    assert_eq!(config.auth_info.token_file.as_deref(), Some("/var/run/token"));
    assert_eq!(config.proxy_url.map(|u| u.to_string()), Some("http://proxy:3128/".to_string()));
    assert!(config.accept_invalid_certs);
    assert_eq!(config.tls_server_name.as_deref(), Some("kubernetes"));
    assert_eq!(args.auth(), crate::kubernetes::AuthType::None { url: Some("https://10.0.0.1:6443".into()) });
    let err = build_error(&REGISTRATION, "role = \"pod\"\napi_server = \"http://a\"\ntls_config {\n cert_file = \"/c\"\n}", &scope);
    assert!(err.contains("key_pem or key_file"), "{err}");
}

#[tokio::test]
async fn an_update_restarts_the_watches_with_the_new_selectors() {
    let api = KubeStandin::start().await.expect("stand-in");
    api.apply(sample(POD));
    let mut other = sample(POD);
    other["metadata"]["name"] = json!("checkout-b");
    other["metadata"]["uid"] = json!("uid-b");
    other["spec"]["nodeName"] = json!("node-b");
    other["status"]["podIP"] = json!("10.244.2.30");
    api.apply(other);
    let (h, _) = start(&api, "role = \"pod\"");
    wait_targets(&h, 4).await;
    let node_b = format!("api_server = {:?}\nrole = \"pod\"\nselectors {{\n role = \"pod\"\n field = \"spec.nodeName=node-b\"\n}}", api.url());
    h.update(&node_b).expect("updates");
    let got = wait_targets(&h, 2).await;
    assert!(got.iter().all(|t| t["__meta_kubernetes_pod_node_name"] == "node-b"), "{got:?}");
    assert!(api.requests().iter().any(|r| r.starts_with("/api/v1/pods?") && r.contains("spec.nodeName%3Dnode-b")));
}
