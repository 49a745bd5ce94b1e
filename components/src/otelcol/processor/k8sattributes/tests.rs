//! Enrichment rules against a fixed set of pods: association, every
//! extracted field, the naming of label and annotation attributes, and
//! the argument errors a config gets at validate time.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use solder_syntax::Scope;

use super::lookup::Fixed;
use super::{enrich, split_image, Arguments, Outcome, Rules, REGISTRATION};
use crate::decode::decode;
use crate::harness::{build_error, evaluate, Recorder};
use crate::kubernetes::{ObjectMeta, OwnerRef, PodCache, PodMeta};
use crate::otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use crate::otlp::proto::ExportTraceServiceRequest;
use crate::otlp::{Encoded, Traces};

const CHECKOUT: &str = include_str!("../../../kubernetes/testdata/pod-checkout.json");

fn checkout() -> PodMeta {
    PodMeta::from_pod(serde_json::from_str(CHECKOUT).expect("pod JSON")).expect("a pod with a UID")
}

/// The checkout pod, and a second pod of a StatefulSet on another IP.
fn cluster() -> Fixed {
    let mut db = checkout();
    db.name = "db-0".into();
    db.uid = "uid-db-0".into();
    db.ips = vec!["10.244.1.30".parse().expect("ip")];
    db.labels = BTreeMap::from([("app".into(), "db".into())]);
    db.owners = vec![OwnerRef { kind: "StatefulSet".into(), name: "db".into(), uid: "uid-sts-db".into() }];
    db.annotations = BTreeMap::from([("resource.opentelemetry.io/team".into(), "storage".into())]);
    let mut jaeger = checkout();
    jaeger.name = "jaeger-agent-x1".into();
    jaeger.uid = "uid-jaeger".into();
    jaeger.ips = vec!["10.244.1.40".parse().expect("ip")];
    let namespace =
        ObjectMeta { name: "shop".into(), uid: "uid-ns-shop".into(), labels: BTreeMap::from([("team".into(), "payments".into())]), ..ObjectMeta::default() };
    let rs = ObjectMeta {
        name: "checkout-7d9f8c6b5d".into(),
        namespace: "shop".into(),
        uid: "0c5d8e3f-1a2b-4c5d-8e9f-a0b1c2d3e4f5".into(),
        owners: vec![OwnerRef { kind: "Deployment".into(), name: "checkout".into(), uid: "uid-deploy-checkout".into() }],
        ..ObjectMeta::default()
    };
    Fixed {
        pods: PodCache::from_pods([checkout(), db, jaeger]),
        namespaces: [("shop".to_string(), Arc::new(namespace))].into(),
        replicasets: [(("shop".to_string(), "checkout-7d9f8c6b5d".to_string()), Arc::new(rs))].into(),
        ..Fixed::default()
    }
}

fn rules(body: &str) -> Result<Rules, String> {
    let ev = evaluate("otelcol.processor.k8sattributes", &format!("{body}\noutput {{}}"), &Scope::default()).map_err(|d| d.message)?;
    let args: Arguments = decode(&ev).map_err(|d| d.message)?;
    Rules::compile(&args).map_err(|e| e.message)
}

fn string(k: &str, v: &str) -> KeyValue {
    KeyValue { key: k.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.into())) }), ..Default::default() }
}

/// A one-span request whose resource has `attrs`, sent from `peer`.
fn request(attrs: &[(&str, &str)], peer: Option<&str>) -> Traces {
    let resource = Resource { attributes: attrs.iter().map(|(k, v)| string(k, v)).collect(), ..Default::default() };
    let span = Span { name: "GET /cart".into(), trace_id: vec![1; 16], span_id: vec![2; 8], ..Default::default() };
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource),
            scope_spans: vec![ScopeSpans { spans: vec![span], ..Default::default() }],
            ..Default::default()
        }],
    };
    let bytes = bytes::Bytes::from(prost::Message::encode_to_vec(&req));
    Encoded::from_bytes(bytes).expect("valid").with_peer(peer.map(|p| p.parse::<IpAddr>().expect("ip")))
}

/// The resource attributes after enrichment, as `key=value` (lists as
/// `[a,b]`), and what enrichment counted.
fn enriched(rules: &Rules, data: Traces) -> (Vec<String>, Outcome) {
    let (out, outcome) = enrich(rules, &cluster(), data).expect("enriches");
    let req = out.decode().expect("decodes");
    let attrs = req.resource_spans[0].resource.as_ref().map(|r| r.attributes.clone()).unwrap_or_default();
    let shown = attrs
        .iter()
        .map(|a| {
            let v = match a.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                Some(any_value::Value::ArrayValue(l)) => {
                    let items: Vec<String> = l.values.iter().filter_map(|v| v.value.as_ref()).map(|v| format!("{v:?}")).collect();
                    format!("[{}]", items.join(","))
                }
                other => format!("{other:?}"),
            };
            format!("{}={v}", a.key)
        })
        .collect();
    (shown, outcome)
}

fn keys(attrs: &[String]) -> Vec<&str> {
    attrs.iter().map(|a| a.split_once('=').map_or(a.as_str(), |(k, _)| k)).collect()
}

#[test]
fn the_default_rules_find_the_pod_by_the_connection_and_add_alloys_default_fields() {
    let r = rules("").unwrap();
    let (attrs, outcome) = enriched(&r, request(&[("service.name", "checkout")], Some("10.244.1.17")));
    assert_eq!(
        attrs,
        [
            "service.name=checkout",
            "k8s.pod.ip=10.244.1.17",
            "k8s.deployment.name=checkout",
            "k8s.namespace.name=shop",
            "k8s.node.name=node-a",
            "k8s.pod.name=checkout-7d9f8c6b5d-x2kqp",
            "k8s.pod.start_time=2026-11-30T09:12:41Z",
            "k8s.pod.uid=5b7c1e2a-8f1d-4c33-9a0e-2f6d1b9c4a10",
        ],
        "container fields need the resource to name its container"
    );
    assert_eq!(outcome, Outcome { matched: 1, missed: 0 });
}

#[test]
fn the_first_association_rule_with_every_source_present_decides() {
    let r = rules(
        "pod_association {\n source {\n  from = \"resource_attribute\"\n  name = \"k8s.pod.ip\"\n }\n}\n\
         pod_association {\n source {\n  from = \"resource_attribute\"\n  name = \"k8s.pod.uid\"\n }\n}\n\
         pod_association {\n source {\n  from = \"connection\"\n }\n}",
    )
    .unwrap();
    let name = |data| enriched(&r, data).0.into_iter().find(|a| a.starts_with("k8s.pod.name=")).unwrap_or_default();
    // The attribute wins over the connection: a pod sending through a
    // node-local proxy is still itself.
    assert_eq!(name(request(&[("k8s.pod.ip", "10.244.1.30")], Some("10.244.1.17"))), "k8s.pod.name=db-0");
    assert_eq!(name(request(&[("k8s.pod.uid", "uid-db-0")], Some("10.244.1.17"))), "k8s.pod.name=db-0");
    // An IP no pod has is a miss: the connection's pod (a relay) is not
    // the one the resource names.
    assert_eq!(name(request(&[("k8s.pod.ip", "10.9.9.9")], Some("10.244.1.17"))), "");
    // Without the attribute, the connection decides.
    assert_eq!(name(request(&[], Some("10.244.1.17"))), "k8s.pod.name=checkout-7d9f8c6b5d-x2kqp");
    let (attrs, outcome) = enriched(&r, request(&[], Some("10.9.9.9")));
    assert_eq!(attrs, ["k8s.pod.ip=10.9.9.9"], "the sender's IP is recorded even when no pod has it, as the Collector does");
    assert_eq!(outcome, Outcome { matched: 0, missed: 1 });
    let (attrs, outcome) = enriched(&r, request(&[], None));
    assert!(attrs.is_empty());
    assert_eq!(outcome, Outcome::default(), "no identifier at all is not a miss");
}

#[test]
fn a_rule_of_two_sources_needs_both_to_agree() {
    let r = rules("pod_association {\n source {\n  from = \"resource_attribute\"\n  name = \"k8s.pod.uid\"\n }\n source {\n  from = \"connection\"\n }\n}")
        .unwrap();
    let (attrs, _) = enriched(&r, request(&[("k8s.pod.uid", "uid-db-0")], Some("10.244.1.30")));
    assert!(attrs.contains(&"k8s.pod.name=db-0".to_string()), "{attrs:?}");
    let (attrs, outcome) = enriched(&r, request(&[("k8s.pod.uid", "uid-db-0")], Some("10.244.1.17")));
    assert!(!attrs.iter().any(|a| a.starts_with("k8s.pod.name")), "the UID's pod does not have the sender's IP: {attrs:?}");
    assert_eq!(outcome.missed, 1);
}

#[test]
fn existing_attributes_are_never_overwritten() {
    let r = rules("").unwrap();
    let (attrs, _) = enriched(&r, request(&[("k8s.pod.name", "from-the-sdk"), ("k8s.namespace.name", "sdk-ns")], Some("10.244.1.17")));
    assert_eq!(attrs.iter().filter(|a| a.starts_with("k8s.pod.name=")).collect::<Vec<_>>(), ["k8s.pod.name=from-the-sdk"]);
    assert_eq!(attrs.iter().filter(|a| a.starts_with("k8s.namespace.name=")).collect::<Vec<_>>(), ["k8s.namespace.name=sdk-ns"]);
}

#[test]
fn excluded_pods_are_left_alone_and_jaeger_is_excluded_by_default() {
    let r = rules("").unwrap();
    let (attrs, _) = enriched(&r, request(&[], Some("10.244.1.40")));
    assert_eq!(attrs, ["k8s.pod.ip=10.244.1.40"]);
    let r = rules("exclude {\n pod {\n  name = \"^checkout-\"\n }\n}").unwrap();
    let (attrs, _) = enriched(&r, request(&[], Some("10.244.1.17")));
    assert_eq!(attrs, ["k8s.pod.ip=10.244.1.17"]);
    let (attrs, _) = enriched(&r, request(&[], Some("10.244.1.40")));
    assert!(attrs.contains(&"k8s.pod.name=jaeger-agent-x1".to_string()), "an exclude block replaces the default list: {attrs:?}");
}

#[test]
fn workload_and_container_fields_follow_owners_and_the_named_container() {
    let all = "extract {\n metadata = [\"k8s.replicaset.name\", \"k8s.replicaset.uid\", \"k8s.deployment.name\", \"k8s.deployment.uid\", \"k8s.statefulset.name\", \"k8s.statefulset.uid\", \"k8s.container.name\", \"container.id\", \"container.image.name\", \"container.image.tags\", \"container.image.tag\"]\n}";
    let r = rules(all).unwrap();
    let (attrs, _) = enriched(&r, request(&[("k8s.container.name", "envoy")], Some("10.244.1.17")));
    assert_eq!(
        attrs,
        [
            "k8s.container.name=envoy",
            "k8s.pod.ip=10.244.1.17",
            "k8s.replicaset.name=checkout-7d9f8c6b5d",
            "k8s.replicaset.uid=0c5d8e3f-1a2b-4c5d-8e9f-a0b1c2d3e4f5",
            "k8s.deployment.name=checkout",
            "k8s.deployment.uid=uid-deploy-checkout",
            "container.id=1f2e3d4c5b6a79880f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978",
            "container.image.name=envoyproxy/envoy",
            "container.image.tags=[StringValue(\"v1.31.2\")]",
        ]
    );
    let (attrs, _) = enriched(&r, request(&[], Some("10.244.1.30")));
    assert!(attrs.contains(&"k8s.statefulset.name=db".to_string()) && attrs.contains(&"k8s.statefulset.uid=uid-sts-db".to_string()), "{attrs:?}");
    assert!(!keys(&attrs).contains(&"k8s.deployment.name"), "a StatefulSet's pod has no Deployment");
    // By container ID instead of name.
    let id = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b";
    let (attrs, _) = enriched(&r, request(&[("container.id", id)], Some("10.244.1.17")));
    assert!(attrs.contains(&"k8s.container.name=checkout".to_string()), "{attrs:?}");
}

#[test]
fn service_fields_follow_the_semantic_conventions_order() {
    let r = rules("extract {\n metadata = [\"service.name\", \"service.namespace\", \"service.version\", \"service.instance.id\"]\n}").unwrap();
    let (attrs, _) = enriched(&r, request(&[("k8s.container.name", "checkout")], Some("10.244.1.17")));
    assert_eq!(
        attrs,
        [
            "k8s.container.name=checkout",
            "k8s.pod.ip=10.244.1.17",
            "service.name=checkout",
            "service.namespace=shop",
            "service.version=1.4.2",
            "service.instance.id=shop.checkout-7d9f8c6b5d-x2kqp.checkout",
        ]
    );
    // db-0 has no well-known labels: its StatefulSet names the service,
    // and without a named container there is no instance ID.
    let (attrs, _) = enriched(&r, request(&[], Some("10.244.1.30")));
    assert_eq!(attrs, ["k8s.pod.ip=10.244.1.30", "service.name=db", "service.namespace=shop"]);
}

#[test]
fn labels_and_annotations_are_named_by_tag_name_key_or_pattern() {
    let r = rules(
        "extract {\n metadata = []\n otel_annotations = true\n\
         label {\n  key = \"app.kubernetes.io/version\"\n }\n\
         label {\n  key_regex = \"app\\\\.kubernetes\\\\.io/(.*)\"\n  tag_name = \"app.$1\"\n }\n\
         label {\n  from = \"namespace\"\n  key = \"team\"\n }\n\
         annotation {\n  key = \"prometheus.io/scrape\"\n  tag_name = \"scraped\"\n }\n\
         annotation {\n  key_regex = \"kubectl\\\\..*\"\n }\n}",
    )
    .unwrap();
    let (attrs, _) = enriched(&r, request(&[], Some("10.244.1.17")));
    assert_eq!(
        attrs,
        [
            "k8s.pod.ip=10.244.1.17",
            "k8s.pod.label.app.kubernetes.io/version=1.4.2",
            "app.name=checkout",
            "app.version=1.4.2",
            "k8s.namespace.label.team=payments",
            "scraped=true",
            "k8s.pod.annotation.kubectl.kubernetes.io/restartedAt=2026-11-30T09:12:40Z",
        ]
    );
    let (attrs, _) = enriched(&r, request(&[], Some("10.244.1.30")));
    assert!(attrs.contains(&"team=storage".to_string()), "otel_annotations: {attrs:?}");
}

#[test]
fn passthrough_adds_only_the_senders_ip() {
    let r = rules("passthrough = true").unwrap();
    let (attrs, outcome) = enriched(&r, request(&[], Some("10.244.1.17")));
    assert_eq!(attrs, ["k8s.pod.ip=10.244.1.17"]);
    assert_eq!(outcome, Outcome::default());
}

/// A payload nothing is added to is passed on as the very same bytes.
#[test]
fn a_payload_without_a_match_keeps_its_bytes() {
    let r = rules("pod_association {\n source {\n  from = \"resource_attribute\"\n  name = \"k8s.pod.ip\"\n }\n}").unwrap();
    let data = request(&[("k8s.pod.ip", "10.9.9.9")], Some("10.244.1.17"));
    let (out, _) = enrich(&r, &cluster(), data.clone()).unwrap();
    assert_eq!(out.bytes().as_ptr(), data.bytes().as_ptr());
    let (out, _) = enrich(&r, &cluster(), request(&[("k8s.pod.ip", "10.244.1.17")], Some("10.1.1.1"))).unwrap();
    assert_eq!(out.peer(), Some("10.1.1.1".parse().unwrap()), "the sender's address survives enrichment");
}

#[test]
fn images_split_into_name_and_tag() {
    assert_eq!(split_image("ghcr.io/acme/checkout:1.4@sha256:abc"), ("ghcr.io/acme/checkout", Some("1.4")));
    assert_eq!(split_image("localhost:5000/app"), ("localhost:5000/app", Some("latest")));
    assert_eq!(split_image("nginx"), ("nginx", Some("latest")));
    assert_eq!(split_image("nginx@sha256:abc"), ("nginx", None));
}

#[test]
fn argument_errors_name_what_is_wrong() {
    let err = |body: &str| rules(body).unwrap_err();
    assert!(err("extract {\n metadata = [\"k8s.pod.nmae\"]\n}").starts_with("unknown metadata key \"k8s.pod.nmae\""));
    assert_eq!(err("extract {\n label {\n  key = \"a\"\n  key_regex = \"b\"\n }\n}"), "a label block takes key or key_regex, not both");
    assert_eq!(err("extract {\n annotation {\n  tag_name = \"x\"\n }\n}"), "a annotation block needs key or key_regex");
    assert!(err("extract {\n label {\n  key_regex = \"(\"\n }\n}").starts_with("label key_regex \"(\""));
    assert!(err("extract {\n label {\n  key = \"a\"\n  from = \"deployment\"\n }\n}").contains("expected \"pod\", \"namespace\" or \"node\""));
    let twice = "pod_association {\n source {\n  from = \"connection\"\n }\n}\n";
    assert_eq!(err(&format!("{twice}{twice}")), "duplicate pod association");
    assert!(err("pod_association {\n source {\n  from = \"header\"\n }\n}").starts_with("unknown association source \"header\""));
    assert!(err("pod_association {\n source {\n  from = \"resource_attribute\"\n  name = \"host.name\"\n }\n}").contains("\"host.name\""));
    assert!(err("filter {\n field {\n  key = \"a\"\n  value = \"b\"\n  op = \"exists\"\n }\n}").contains("\"exists\""));
    let scope = Recorder::new().scope("sink");
    assert_eq!(build_error(&REGISTRATION, "auth_type = \"tls\"\noutput { traces = [sink] }", &scope), "auth_type \"tls\" is not supported yet");
    assert!(build_error(&REGISTRATION, "auth_type = \"token\"\noutput { traces = [sink] }", &scope).contains("unknown auth_type"));
}

/// The pod cache keeps what the rules read, and drops the rest as each
/// pod is read.
#[test]
fn the_pod_cache_keeps_only_the_keys_the_rules_read() {
    let r = rules("extract {\n label {\n  key = \"team\"\n }\n annotation {\n  key_regex = \"prometheus\\\\.io/.*\"\n }\n label {\n  from = \"namespace\"\n  key = \"tier\"\n }\n}").unwrap();
    let (labels, annotations) = r.pod_keys();
    for kept in ["team", "pod-template-hash", "app.kubernetes.io/name", "app.kubernetes.io/version", "app.kubernetes.io/instance"] {
        assert!(labels.keeps(kept), "{kept}");
    }
    assert!(!labels.keeps("tier"), "a namespace rule reads the namespace's labels, not the pod's");
    assert!(!labels.keeps("controller-revision-hash"));
    assert!(annotations.keeps("prometheus.io/scrape") && annotations.keeps("resource.opentelemetry.io/service.name"));
    assert!(!annotations.keeps("kubectl.kubernetes.io/restartedAt") && !annotations.keeps("xprometheus.io/scrape"));
    let mut pod = checkout();
    annotations.retain(&mut pod.annotations);
    assert_eq!(pod.annotations.keys().collect::<Vec<_>>(), ["prometheus.io/scrape"]);
}
