use solder_syntax::Value;

use super::merge::{self, Detected};
use super::{env, kubernetes_node, system, KubernetesNode, System, REGISTRATION};
use crate::harness::{build_error, traces, Harness, Recorder};
use crate::otelcol::processor::testing::POD_IP;
use crate::otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::ResourceSpans;
use crate::otlp::proto::ExportTraceServiceRequest;
use crate::otlp::{Encoded, Traces};

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue { key: k.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.into())) }), ..Default::default() }
}

/// The string attributes of each resource of `data`.
fn resources(data: &Traces) -> Vec<Vec<(String, String)>> {
    let req = data.decode().expect("decodes");
    req.resource_spans
        .iter()
        .map(|rs| {
            rs.resource
                .iter()
                .flat_map(|r| &r.attributes)
                .map(|a| match a.value.as_ref().and_then(|v| v.value.as_ref()) {
                    Some(any_value::Value::StringValue(s)) => (a.key.clone(), s.clone()),
                    _ => (a.key.clone(), String::new()),
                })
                .collect()
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn env_parses_pairs_and_percent_decodes() {
    assert_eq!(
        env::parse("service.name=checkout, k8s.pod.name = p%201 ,x=a%3Db%2Cc").unwrap(),
        pairs(&[("service.name", "checkout"), ("k8s.pod.name", "p 1"), ("x", "a=b,c")])
    );
    assert_eq!(env::parse("").unwrap(), vec![]);
    assert_eq!(env::parse("a=1,").unwrap(), pairs(&[("a", "1")]), "a trailing comma is not an entry");
    assert_eq!(env::parse("a=").unwrap(), pairs(&[("a", "")]), "an empty value is a value");
    assert_eq!(env::parse("caf%C3%A9=%E2%9C%93").unwrap(), pairs(&[("café", "✓")]));
}

#[test]
fn env_reports_malformed_values_whole() {
    assert_eq!(env::parse("a=1,b").unwrap_err(), "entry \"b\" is not key=value");
    assert_eq!(env::parse("=1").unwrap_err(), "entry \"=1\" has an empty key");
    assert!(env::parse("a=%zz").unwrap_err().contains("invalid percent-encoding"));
    assert!(env::parse("a=%+1").unwrap_err().contains("invalid percent-encoding"), "only hex digits follow %");
    assert!(env::parse("a=50%").unwrap_err().contains("invalid percent-encoding"));
    assert!(env::parse("a=%FF").unwrap_err().contains("invalid UTF-8"));
    let var = |_: &str| Some("ok=1,broken".to_string());
    let err = env::detect(&var).unwrap_err();
    assert!(err.starts_with("OTEL_RESOURCE_ATTRIBUTES: "), "{err}");
    assert_eq!(env::detect(&|_| None).unwrap(), vec![], "unset is nothing detected");
}

#[test]
fn the_first_detector_wins_a_key_both_detect() {
    let var = |_: &str| Some("host.name=from-env,deployment=prod".to_string());
    let found = merge::run(&["env".into(), "system".into()], &System::default(), &KubernetesNode::default(), &var).unwrap();
    let got: Vec<_> = found.pairs().collect();
    assert_eq!(got[0], ("host.name", "from-env"));
    assert_eq!(got[1], ("deployment", "prod"));
    assert_eq!(got[2].0, "os.type");
    assert_eq!(got.len(), 3);
}

#[test]
fn system_detects_host_name_and_os_type_by_default() {
    let found = system::detect(&System::default()).unwrap();
    let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["host.name", "os.type"], "Alloy's defaults enable only these");
    assert!(!found[0].1.is_empty());
    assert_eq!(found[1].1, "linux");
}

#[test]
fn system_toggles_choose_the_attributes() {
    let mut config = System::default();
    config.resource_attributes.host_name.enabled = false;
    config.resource_attributes.host_arch.enabled = true;
    config.resource_attributes.host_id.enabled = true;
    let found = system::detect(&config).unwrap();
    let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
    let with_id = std::path::Path::new("/etc/machine-id").exists() || std::path::Path::new("/var/lib/dbus/machine-id").exists();
    let expected: &[&str] = if with_id { &["host.id", "os.type", "host.arch"] } else { &["os.type", "host.arch"] };
    assert_eq!(keys, expected);
    assert_eq!(system::arch("x86_64"), "amd64");
    assert_eq!(system::arch("aarch64"), "arm64");
}

#[test]
fn dns_source_takes_the_qualified_name_from_etc_hosts() {
    let hosts = "127.0.0.1 localhost\n# 10.0.0.9 web1.old.example web1\n10.0.0.2 web1.example.com web1 # the box\n";
    assert_eq!(system::fqdn("web1", hosts).as_deref(), Some("web1.example.com"));
    assert_eq!(system::fqdn("db", hosts), None);
    assert_eq!(system::fqdn("localhost", hosts), None, "an unqualified name falls through to the next source");
}

/// Each batch without its resource.
fn data_spans(data: &Traces) -> Vec<ResourceSpans> {
    data.decode().expect("decodes").resource_spans.iter().map(|rs| ResourceSpans { resource: None, ..rs.clone() }).collect()
}

fn one_resource(existing: &[(&str, &str)]) -> Traces {
    let resource = Resource { attributes: existing.iter().map(|(k, v)| kv(k, v)).collect(), ..Default::default() };
    let span = crate::otlp::proto::trace::v1::Span { name: "GET /".into(), span_id: vec![1; 8], ..Default::default() };
    let scope = crate::otlp::proto::trace::v1::ScopeSpans { spans: vec![span], schema_url: "s".into(), ..Default::default() };
    let bare = ResourceSpans { scope_spans: vec![scope], schema_url: "r".into(), ..Default::default() };
    Encoded::from_message(ExportTraceServiceRequest { resource_spans: vec![ResourceSpans { resource: Some(resource), ..Default::default() }, bare] })
}

#[test]
fn override_decides_who_wins_a_key_the_resource_has() {
    let data = one_resource(&[("host.name", "sdk"), ("service.name", "cart")]);
    let on = Detected::of(&[("host.name", "agent"), ("os.type", "linux")], true).apply(data.clone()).unwrap();
    assert_eq!(resources(&on)[0], pairs(&[("host.name", "agent"), ("service.name", "cart"), ("os.type", "linux")]));
    assert_eq!(resources(&on)[1], pairs(&[("host.name", "agent"), ("os.type", "linux")]), "a batch without a resource gets one");
    let off = Detected::of(&[("host.name", "agent"), ("os.type", "linux")], false).apply(data.with_peer(POD_IP)).unwrap();
    assert_eq!(off.peer(), POD_IP, "enriched data is still from the client that sent it");
    assert_eq!(resources(&off)[0], pairs(&[("host.name", "sdk"), ("service.name", "cart"), ("os.type", "linux")]));
    let (before, after) = (data_spans(&one_resource(&[("service.name", "cart")])), data_spans(&off));
    assert_eq!(before, after, "everything but the resources is kept");
}

#[test]
fn nothing_detected_forwards_the_same_bytes() {
    let data = traces(3);
    let out = Detected::default().apply(data.clone()).unwrap();
    assert_eq!(out.bytes().as_ptr(), data.bytes().as_ptr(), "not re-encoded");
}

#[tokio::test]
async fn enriches_every_signal_through_the_pipeline_and_passes_refusals_back() {
    let rec = Recorder::new();
    let args = "detectors = [\"system\"]\nsystem {\n hostname_sources = [\"os\"]\n resource_attributes {\n  host.arch { enabled = true }\n }\n}\noutput {\n traces = [sink]\n metrics = [sink]\n logs = [sink]\n}";
    let h = Harness::start(&REGISTRATION, args, &rec.scope("sink")).unwrap();
    let input = h.input();
    input.0.consume_traces(traces(2)).await.unwrap();
    input.0.consume_metrics(crate::harness::metrics(2)).await.unwrap();
    input.0.consume_logs(crate::harness::logs(2)).await.unwrap();
    assert_eq!(rec.items(), 6);
    let got = resources(&rec.traces()[0]);
    let keys: Vec<&str> = got[0].iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["host.name", "os.type", "host.arch"]);
    let m = rec.metrics()[0].decode().unwrap();
    assert_eq!(m.resource_metrics[0].resource.as_ref().map(|r| r.attributes.len()), Some(3));
    let l = rec.logs()[0].decode().unwrap();
    assert_eq!(l.resource_logs[0].resource.as_ref().map(|r| r.attributes.len()), Some(3));
    assert_eq!(h.debug_count("count"), 3);
    assert!(matches!(h.debug("attributes"), Value::Object(_)));

    rec.answer_next([crate::harness::Answer::Refuse(crate::consumer::ConsumeError::retryable("full"))]);
    let err = input.0.consume_traces(traces(1)).await.unwrap_err();
    assert_eq!(err.kind, crate::consumer::ErrorKind::Retryable, "a refusal downstream is the sender's");
    h.stop().await;
}

#[test]
fn arguments_follow_alloys_names_defaults_and_errors() {
    let scope = Recorder::new().scope("sink");
    let out = "output { traces = [sink] }";
    assert_eq!(build_error(&REGISTRATION, &format!("detectors = [\"nope\"]\n{out}"), &scope), "invalid detector: nope");
    assert_eq!(build_error(&REGISTRATION, &format!("detectors = []\n{out}"), &scope), "at least one detector must be specified");
    assert_eq!(build_error(&REGISTRATION, &format!("detectors = [\"ec2\"]\n{out}"), &scope), "detector ec2 is not supported yet");
    // Building detects nothing (validate must not call the API server), so
    // a node detector that cannot work still builds.
    let node = format!("detectors = [\"kubernetes_node\"]\nkubernetes_node {{ node_from_env_var = \"SOLDER_TEST_NO_SUCH_NODE_VAR\" }}\n{out}");
    Harness::build(&REGISTRATION, &node, &scope).unwrap();
    assert_eq!(
        build_error(&REGISTRATION, &format!("detectors = [\"system\"]\nsystem {{ hostname_sources = [\"dsn\"] }}\n{out}"), &scope),
        "invalid hostname source: dsn"
    );
    assert!(build_error(&REGISTRATION, &format!("kubernetes_node {{ auth_type = \"token\" }}\n{out}"), &scope).contains("unknown auth_type"));
    // The kubernetes_node block alone loads, with env the default detector.
    let ok = "kubernetes_node {\n auth_type = \"serviceAccount\"\n node_from_env_var = \"NODE\"\n resource_attributes {\n  k8s.node.uid { enabled = false }\n }\n}\n";
    Harness::build(&REGISTRATION, &format!("{ok}{out}"), &scope).unwrap();
}

/// `kubernetes_node` reads the node named by `node_from_env_var` from the
/// API server (the stand-in, over loopback) and adds its name and UID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_node_reads_the_node_from_the_api_server() {
    let api = crate::kubernetes::standin::KubeStandin::start().await.unwrap();
    let node: serde_json::Value = serde_json::from_str(include_str!("testdata/node.json")).unwrap();
    api.put_node(node);
    let url = api.url();
    let var = move |name: &str| match name {
        "K8S_NODE_NAME" => Some("node-1".to_string()),
        crate::kubernetes::API_SERVER_ENV => Some(url.clone()),
        _ => None,
    };
    let found = tokio::task::spawn_blocking(move || kubernetes_node::detect(&KubernetesNode::default(), &var)).await.unwrap().unwrap();
    assert_eq!(
        found,
        vec![("k8s.node.name".to_string(), "node-1".to_string()), ("k8s.node.uid".to_string(), "9f0b5a1e-3c44-4b8e-9d2a-6f1e2c7d8a10".to_string())]
    );
    assert!(api.requests().iter().any(|r| r == "/api/v1/nodes/node-1"), "{:?}", api.requests());

    let missing = |name: &str| (name == "K8S_NODE_NAME").then(|| "node-2".to_string());
    let url = api.url();
    let err = tokio::task::spawn_blocking(move || {
        kubernetes_node::detect(&KubernetesNode::default(), &|n| missing(n).or_else(|| (n == crate::kubernetes::API_SERVER_ENV).then(|| url.clone())))
    })
    .await
    .unwrap()
    .unwrap_err();
    assert!(err.contains("cannot read node \"node-2\""), "{err}");
    let unset = tokio::task::spawn_blocking(|| kubernetes_node::detect(&KubernetesNode::default(), &|_| None)).await.unwrap().unwrap_err();
    assert!(unset.contains("K8S_NODE_NAME is not set"), "{unset}");
}

/// A detector that fails when the agent starts (the API server is down)
/// makes the component unhealthy and is tried again; data waits for the
/// first attempt only, then passes on without the attributes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_detection_is_unhealthy_retried_and_lets_data_through() {
    let rec = Recorder::new();
    let args = "detectors = [\"kubernetes_node\"]\nkubernetes_node { node_from_env_var = \"SOLDER_TEST_NO_SUCH_NODE_VAR\" }\noutput { traces = [sink] }";
    let h = Harness::start(&REGISTRATION, args, &rec.scope("sink")).unwrap();
    h.input().0.consume_traces(traces(1)).await.unwrap();
    assert_eq!(rec.items(), 1, "data is not held once the first attempt ended");
    let health = h.health();
    assert_eq!(health.state, crate::component::HealthState::Unhealthy);
    assert!(health.message.contains("SOLDER_TEST_NO_SUCH_NODE_VAR is not set"), "{}", health.message);
    assert!(health.message.contains("retrying"), "{}", health.message);
    h.stop().await;
}
