//! Cost of `otelcol.processor.k8sattributes` per span, with 10,000 pods
//! cached and five fields extracted (namespace, pod name and UID,
//! deployment, node), found by the sending connection's IP.
//!
//! Two shapes: an SDK's usual export (100 spans under one resource), and
//! the worst case for this processor (100 resources of one span each,
//! so every span pays a lookup and a resource rewrite).

use std::collections::BTreeMap;
use std::net::IpAddr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use solder_components::decode::decode;
use solder_components::harness::evaluate;
use solder_components::kubernetes::{OwnerRef, PodCache, PodMeta};
use solder_components::otelcol::processor::k8sattributes::{enrich, Arguments, Fixed, Rules};
use solder_components::otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use solder_components::otlp::proto::resource::v1::Resource;
use solder_components::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use solder_components::otlp::proto::ExportTraceServiceRequest;
use solder_components::otlp::{Encoded, Traces};
use solder_syntax::Scope;

const PODS: u32 = 10_000;
const SPANS: usize = 100;

fn pod(i: u32) -> PodMeta {
    PodMeta {
        name: format!("checkout-7d9f8c6b5d-{i:05}"),
        namespace: "shop".into(),
        uid: format!("5b7c1e2a-8f1d-4c33-9a0e-{i:012}"),
        start_time: Some("2026-11-30T09:12:41Z".into()),
        created: Some("2026-11-30T09:12:40Z".into()),
        node_name: Some("node-a".into()),
        labels: BTreeMap::from([("app.kubernetes.io/name".into(), "checkout".into()), ("pod-template-hash".into(), "7d9f8c6b5d".into())]),
        owners: vec![OwnerRef { kind: "ReplicaSet".into(), name: "checkout-7d9f8c6b5d".into(), uid: "rs".into() }],
        ips: vec![IpAddr::from([10, 244, (i / 250) as u8, (i % 250) as u8 + 1])],
        ..PodMeta::default()
    }
}

fn payload(resources: usize, spans_each: usize) -> Traces {
    let attr =
        |k: &str, v: &str| KeyValue { key: k.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.into())) }), ..Default::default() };
    let batch = |r: usize| {
        let spans = (0..spans_each)
            .map(|i| Span {
                name: format!("GET /item/{i}"),
                span_id: vec![1; 8],
                trace_id: vec![2; 16],
                attributes: vec![attr("http.route", "/item/:id")],
                ..Default::default()
            })
            .collect();
        let resource = Resource { attributes: vec![attr("service.name", &format!("checkout-{r}"))], ..Default::default() };
        ResourceSpans { resource: Some(resource), scope_spans: vec![ScopeSpans { spans, ..Default::default() }], ..Default::default() }
    };
    let req = ExportTraceServiceRequest { resource_spans: (0..resources).map(batch).collect() };
    // Received payloads arrive as bytes only, without a decoded view.
    Encoded::from_message(req).detached().with_peer(Some(IpAddr::from([10, 244, 20, 7])))
}

fn rules() -> Rules {
    let body = "extract {\n metadata = [\"k8s.namespace.name\", \"k8s.pod.name\", \"k8s.pod.uid\", \"k8s.deployment.name\", \"k8s.node.name\"]\n}\noutput {}";
    let ev = evaluate("otelcol.processor.k8sattributes", body, &Scope::default()).expect("valid arguments");
    let args: Arguments = decode(&ev).expect("decodes");
    Rules::compile(&args).expect("compiles")
}

fn bench(c: &mut Criterion) {
    let lookup = Fixed { pods: PodCache::from_pods((0..PODS).map(pod)), ..Fixed::default() };
    let rules = rules();
    let mut group = c.benchmark_group("k8sattributes");
    group.throughput(Throughput::Elements(SPANS as u64));
    for (name, data) in [("5_fields_100_spans_1_resource", payload(1, SPANS)), ("5_fields_100_resources_of_1_span", payload(SPANS, 1))] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let (out, outcome) = enrich(&rules, &lookup, data.clone()).expect("the payload is valid");
                assert_eq!(out.items(), SPANS);
                assert!(outcome.matched > 0);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
