//! Splitting by key: every unit exactly once, with its owner, inside the
//! envelopes it came in.

use bytes::Bytes;
use prost::Message;

use super::ring::Ring;
use super::route::{RouteError, Routed, RoutingKey, Splitter};
use crate::otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::{
    metric::Data, number_data_point, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::Signal;

fn ring(n: usize) -> Ring {
    Ring::new((0..n).map(|i| format!("gw-{i}:4317")).collect())
}

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue { key: k.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.into())) }), ..Default::default() }
}

fn trace_id(i: u32) -> Vec<u8> {
    let mut id = vec![0u8; 16];
    id[..4].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_le_bytes());
    id[12..].copy_from_slice(&i.to_be_bytes());
    id
}

/// Two resources of two scopes each; spans of 40 traces interleaved.
fn traces_request() -> ExportTraceServiceRequest {
    let resource = |svc: &str| Resource { attributes: vec![kv("service.name", svc), kv("host", "h1")], dropped_attributes_count: 3, ..Default::default() };
    let scope = |name: &str, first: u32| ScopeSpans {
        scope: Some(InstrumentationScope { name: name.into(), version: "1.0".into(), ..Default::default() }),
        spans: (first..first + 30)
            .map(|i| Span { trace_id: trace_id(i % 40), span_id: i.to_be_bytes().repeat(2), name: format!("s{i}"), ..Default::default() })
            .collect(),
        schema_url: format!("scope-url-{name}"),
    };
    let rs = |svc: &str, first: u32| ResourceSpans {
        resource: Some(resource(svc)),
        scope_spans: vec![scope("a", first), scope("b", first + 30)],
        schema_url: format!("resource-url-{svc}"),
    };
    ExportTraceServiceRequest { resource_spans: vec![rs("checkout", 0), rs("frontend", 60)] }
}

fn split(signal: Signal, key: RoutingKey, bytes: &[u8], ring: &Ring) -> Result<Routed, RouteError> {
    Splitter::new().split(signal, key, &Bytes::copy_from_slice(bytes), ring)
}

fn parts(routed: Routed) -> Vec<(usize, Bytes, Option<usize>)> {
    match routed {
        Routed::Whole(o) => panic!("expected a split, all went to {o}"),
        Routed::Parts(p) => p.into_iter().map(|p| (p.owner, p.bytes, p.items)).collect(),
    }
}

#[test]
fn traces_by_trace_id_each_span_once_with_its_owner_and_envelopes() {
    let request = traces_request();
    let ring = ring(3);
    let parts = parts(split(Signal::Traces, RoutingKey::TraceId, &request.encode_to_vec(), &ring).unwrap());
    assert!(parts.len() > 1);
    let mut seen = Vec::new();
    for (owner, bytes, items) in parts {
        let got = ExportTraceServiceRequest::decode(bytes).unwrap();
        let mut count = 0;
        for rs in &got.resource_spans {
            let svc = &rs.resource.as_ref().unwrap().attributes[0];
            let original = request.resource_spans.iter().find(|o| o.resource.as_ref().unwrap().attributes[0] == *svc).unwrap();
            // The resource and its fields come along whole.
            assert_eq!(rs.resource, original.resource);
            assert_eq!(rs.schema_url, original.schema_url);
            for ss in &rs.scope_spans {
                let scope_original = original.scope_spans.iter().find(|o| o.scope == ss.scope).unwrap();
                assert_eq!(ss.schema_url, scope_original.schema_url);
                assert!(!ss.spans.is_empty(), "no empty scopes are sent");
                for span in &ss.spans {
                    assert!(scope_original.spans.contains(span), "a span stays in its scope");
                    assert_eq!(ring.owner(&span.trace_id), Some(owner), "span {} went to its trace's owner", span.name);
                    seen.push(span.name.clone());
                    count += 1;
                }
            }
        }
        assert_eq!(items, Some(count));
    }
    seen.sort();
    let mut all: Vec<String> = request.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans).map(|s| s.name.clone()).collect();
    all.sort();
    assert_eq!(seen, all, "every span exactly once");
}

#[test]
fn one_owner_means_the_bytes_go_unchanged() {
    let mut request = traces_request();
    for span in request.resource_spans.iter_mut().flat_map(|r| &mut r.scope_spans).flat_map(|s| &mut s.spans) {
        span.trace_id = trace_id(7);
    }
    let ring = ring(3);
    let owner = ring.owner(&trace_id(7)).unwrap();
    assert_eq!(split(Signal::Traces, RoutingKey::TraceId, &request.encode_to_vec(), &ring).unwrap(), Routed::Whole(owner));
    // One backend owns everything.
    assert_eq!(split(Signal::Traces, RoutingKey::TraceId, &traces_request().encode_to_vec(), &Ring::new(vec!["only:4317".into()])).unwrap(), Routed::Whole(0));
}

#[test]
fn traces_by_service_keep_resources_whole() {
    let request = traces_request();
    // Find a ring on which the two services have different owners.
    let ring = (2..10).map(ring).find(|r| r.owner(b"checkout") != r.owner(b"frontend")).unwrap();
    let parts = parts(split(Signal::Traces, RoutingKey::Service, &request.encode_to_vec(), &ring).unwrap());
    assert_eq!(parts.len(), 2);
    for (owner, bytes, _) in parts {
        let got = ExportTraceServiceRequest::decode(bytes).unwrap();
        assert_eq!(got.resource_spans.len(), 1);
        let rs = &got.resource_spans[0];
        let svc = match &rs.resource.as_ref().unwrap().attributes[0].value.as_ref().unwrap().value {
            Some(any_value::Value::StringValue(s)) => s.clone(),
            _ => panic!(),
        };
        assert_eq!(ring.owner(svc.as_bytes()), Some(owner));
        assert!(request.resource_spans.contains(rs), "the resource goes whole");
    }
    // A resource without service.name refuses the request, as the Collector does.
    let mut bad = request.clone();
    bad.resource_spans[1].resource.as_mut().unwrap().attributes.remove(0);
    assert_eq!(split(Signal::Traces, RoutingKey::Service, &bad.encode_to_vec(), &ring), Err(RouteError::NoServiceName));
}

#[test]
fn logs_by_trace_id_and_keyless_records_together() {
    let records = (0..60u32)
        .map(|i| LogRecord { trace_id: if i % 3 == 0 { Vec::new() } else { trace_id(i % 10) }, event_name: format!("l{i}"), ..Default::default() })
        .collect();
    let request = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs { scope_logs: vec![ScopeLogs { log_records: records, ..Default::default() }], ..Default::default() }],
    };
    let ring = ring(3);
    let mut splitter = Splitter::new();
    let routed = splitter.split(Signal::Logs, RoutingKey::TraceId, &Bytes::from(request.encode_to_vec()), &ring).unwrap();
    let mut seen = 0;
    let mut keyless_owner = None;
    for (owner, bytes, items) in parts(routed) {
        let got = ExportLogsServiceRequest::decode(bytes).unwrap();
        let records: Vec<&LogRecord> = got.resource_logs.iter().flat_map(|r| &r.scope_logs).flat_map(|s| &s.log_records).collect();
        assert_eq!(items, Some(records.len()));
        for r in records {
            seen += 1;
            // An all-zero trace ID is no trace ID, as in the Collector.
            match r.trace_id.iter().all(|&b| b == 0) {
                false => assert_eq!(ring.owner(&r.trace_id), Some(owner)),
                true => assert_eq!(*keyless_owner.get_or_insert(owner), owner, "records without a trace ID stay together"),
            }
        }
    }
    assert_eq!(seen, 60);
}

fn gauge(name: &str, points: Vec<NumberDataPoint>) -> Metric {
    Metric { name: name.into(), unit: "ms".into(), data: Some(Data::Gauge(Gauge { data_points: points })), ..Default::default() }
}

fn point(attrs: Vec<KeyValue>, v: i64) -> NumberDataPoint {
    NumberDataPoint { attributes: attrs, value: Some(number_data_point::Value::AsInt(v)), ..Default::default() }
}

fn metrics_request() -> ExportMetricsServiceRequest {
    let metrics: Vec<Metric> =
        (0..12).map(|i| gauge(&format!("m{i}"), (0..4).map(|j| point(vec![kv("a", &j.to_string()), kv("b", "x")], j)).collect())).collect();
    let sum = Metric {
        name: "requests".into(),
        data: Some(Data::Sum(Sum {
            data_points: (0..6).map(|j| point(vec![kv("route", &format!("/{j}"))], j)).collect(),
            aggregation_temporality: 2,
            is_monotonic: true,
        })),
        ..Default::default()
    };
    let histogram = Metric {
        name: "latency".into(),
        data: Some(Data::Histogram(Histogram {
            data_points: (0..6).map(|j| HistogramDataPoint { attributes: vec![kv("route", &format!("/{j}"))], count: j, ..Default::default() }).collect(),
            aggregation_temporality: 1,
        })),
        ..Default::default()
    };
    let scope = ScopeMetrics { metrics: [metrics, vec![sum, histogram]].concat(), ..Default::default() };
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource { attributes: vec![kv("service.name", "api")], ..Default::default() }),
            scope_metrics: vec![scope],
            ..Default::default()
        }],
    }
}

fn all_points(r: &ExportMetricsServiceRequest) -> usize {
    r.resource_metrics.iter().flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics).map(crate::otlp::data_points).sum()
}

#[test]
fn metrics_by_name_keep_each_metric_whole() {
    let request = metrics_request();
    let ring = ring(3);
    let mut total = 0;
    for (owner, bytes, items) in parts(split(Signal::Metrics, RoutingKey::Metric, &request.encode_to_vec(), &ring).unwrap()) {
        let got = ExportMetricsServiceRequest::decode(bytes).unwrap();
        assert_eq!(items, None, "points are counted by the caller");
        for m in got.resource_metrics.iter().flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics) {
            assert_eq!(ring.owner(m.name.as_bytes()), Some(owner));
            assert!(request.resource_metrics[0].scope_metrics[0].metrics.contains(m), "metric {} goes whole", m.name);
        }
        total += all_points(&got);
    }
    assert_eq!(total, all_points(&request));
}

#[test]
fn metrics_by_stream_keep_the_metric_envelope_and_ignore_attribute_order() {
    let request = metrics_request();
    let ring = ring(5);
    let mut total = 0;
    for (_, bytes, _) in parts(split(Signal::Metrics, RoutingKey::StreamId, &request.encode_to_vec(), &ring).unwrap()) {
        let got = ExportMetricsServiceRequest::decode(bytes).unwrap();
        for m in got.resource_metrics.iter().flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics) {
            match &m.data {
                Some(Data::Sum(s)) => assert!(s.is_monotonic && s.aggregation_temporality == 2, "the sum's fields come along"),
                Some(Data::Histogram(h)) => assert_eq!(h.aggregation_temporality, 1),
                _ => assert_eq!(m.unit, "ms"),
            }
        }
        total += all_points(&got);
    }
    assert_eq!(total, all_points(&request));
    // The same series with its attributes in another order has the same owner.
    let one = |attrs: Vec<KeyValue>| {
        let mut r = metrics_request();
        r.resource_metrics[0].scope_metrics[0].metrics = vec![gauge("g", vec![point(attrs, 1)])];
        split(Signal::Metrics, RoutingKey::StreamId, &r.encode_to_vec(), &ring).unwrap()
    };
    assert_eq!(one(vec![kv("a", "1"), kv("b", "2")]), one(vec![kv("b", "2"), kv("a", "1")]));
}

#[test]
fn keys_refuse_the_signals_the_collector_refuses() {
    let ring = ring(2);
    let empty = Vec::new();
    for (signal, key) in [
        (Signal::Metrics, RoutingKey::TraceId),
        (Signal::Traces, RoutingKey::Resource),
        (Signal::Traces, RoutingKey::Metric),
        (Signal::Traces, RoutingKey::StreamId),
        (Signal::Logs, RoutingKey::Metric),
        (Signal::Logs, RoutingKey::StreamId),
    ] {
        let err = split(signal, key, &empty, &ring).unwrap_err();
        assert_eq!(err, RouteError::Unsupported(key, signal));
        assert!(err.to_string().contains("does not route"), "{err}");
    }
    assert!(RoutingKey::Service.routes(Signal::Traces) && RoutingKey::Service.routes(Signal::Logs) && RoutingKey::Service.routes(Signal::Metrics));
}
