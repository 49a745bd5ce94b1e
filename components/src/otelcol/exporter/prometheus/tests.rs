//! The Collector's naming rules as a table, and whole requests translated
//! and rendered: spanmetrics names, `job`/`instance`, `target_info`,
//! resource labels, delta accumulation and exemplars.

use std::collections::BTreeMap;
use std::time::Instant;

use super::accumulate::Accumulator;
use super::*;
use crate::otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::metrics::v1::{
    metric::Data, number_data_point, AggregationTemporality, Exemplar, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
    ScopeMetrics, Sum,
};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::ExportMetricsServiceRequest;
use crate::prometheus::expose::{Format, Store};

#[test]
fn metric_names_follow_the_collector() {
    use NameKind::*;
    let cases = [
        ("traces.span.metrics.calls", "", Counter, "traces_span_metrics_calls_total"),
        ("traces.span.metrics.duration", "ms", Other, "traces_span_metrics_duration_milliseconds"),
        ("http.server.duration", "s", Other, "http_server_duration_seconds"),
        ("system.memory.usage", "By", Gauge, "system_memory_usage_bytes"),
        ("network.io", "By/s", Counter, "network_io_bytes_per_second_total"),
        ("cpu.utilization", "1", Gauge, "cpu_utilization_ratio"),
        ("cpu.utilization", "1", Other, "cpu_utilization"),
        ("disk.usage", "%", Gauge, "disk_usage_percent"),
        ("uptime", "h", Gauge, "uptime_hours"),
        ("cache.size", "KiBy", Gauge, "cache_size_kibibytes"),
        ("elapsed", "min", Gauge, "elapsed_minutes"),
        ("age", "d", Gauge, "age_days"),
        ("http.requests", "{request}", Counter, "http_requests_total"),
        ("requests.total", "", Counter, "requests_total"),
        ("latency_seconds", "s", Other, "latency_seconds"),
        ("2xx.responses", "", Counter, "_2xx_responses_total"),
        ("weird--name..x", "", Gauge, "weird_name_x"),
    ];
    for (name, unit, kind, want) in cases {
        assert_eq!(metric_name(name, unit, kind, true), want, "{name} [{unit}] {kind:?}");
    }
    assert_eq!(metric_name("traces.span.metrics.calls", "", Counter, false), "traces_span_metrics_calls");
    assert_eq!(metric_name("a-b:c", "ms", Other, false), "a_b:c");
}

#[test]
fn label_and_unit_names() {
    for (key, want) in
        [("service.name", "service_name"), ("http.status-code", "http_status_code"), ("1abc", "key_1abc"), ("_private", "key_private"), ("__meta", "__meta")]
    {
        assert_eq!(label_name(key), want, "{key}");
    }
    for (unit, want) in [("ms", "milliseconds"), ("By/s", "bytes_per_second"), ("{req}", ""), ("1", ""), ("/s", "per_second")] {
        assert_eq!(unit_name(unit), want, "{unit}");
    }
}

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue { key: k.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.into())) }), ..Default::default() }
}

const T: u64 = 1_700_000_000_000_000_000;

fn exemplar(value: f64) -> Exemplar {
    Exemplar {
        trace_id: (1..=16).collect(),
        span_id: (17..=24).collect(),
        time_unix_nano: T,
        value: Some(crate::otlp::proto::metrics::v1::exemplar::Value::AsDouble(value)),
        ..Default::default()
    }
}

/// What the spanmetrics connector sends for one span kind of one service,
/// under the metric namespace `namespace`.
fn spanmetrics(namespace: &str, temporality: AggregationTemporality) -> ExportMetricsServiceRequest {
    let attrs = vec![kv("service.name", "checkout"), kv("span.name", "GET /cart"), kv("span.kind", "SPAN_KIND_SERVER"), kv("status.code", "STATUS_CODE_UNSET")];
    let calls = Metric {
        name: format!("{namespace}.calls"),
        data: Some(Data::Sum(Sum {
            data_points: vec![NumberDataPoint {
                attributes: attrs.clone(),
                time_unix_nano: T,
                value: Some(number_data_point::Value::AsInt(3)),
                exemplars: vec![exemplar(4.0)],
                ..Default::default()
            }],
            aggregation_temporality: temporality as i32,
            is_monotonic: true,
        })),
        ..Default::default()
    };
    let duration = Metric {
        name: format!("{namespace}.duration"),
        unit: "ms".into(),
        data: Some(Data::Histogram(Histogram {
            data_points: vec![HistogramDataPoint {
                attributes: attrs,
                time_unix_nano: T,
                count: 3,
                sum: Some(16.0),
                bucket_counts: vec![1, 1, 1],
                explicit_bounds: vec![2.0, 10.0],
                exemplars: vec![exemplar(1.5), exemplar(12.0)],
                ..Default::default()
            }],
            aggregation_temporality: temporality as i32,
        })),
        ..Default::default()
    };
    let resource = Resource { attributes: vec![kv("service.name", "checkout")], ..Default::default() };
    let scope = ScopeMetrics { metrics: vec![calls, duration], ..Default::default() };
    ExportMetricsServiceRequest { resource_metrics: vec![ResourceMetrics { resource: Some(resource), scope_metrics: vec![scope], ..Default::default() }] }
}

fn defaults() -> Rules {
    Rules {
        include_target_info: true,
        include_scope_info: false,
        include_scope_labels: true,
        add_metric_suffixes: true,
        resource_to_telemetry_conversion: false,
    }
}

fn render(req: &ExportMetricsServiceRequest, rules: Rules, namespace: &str, format: Format) -> String {
    let (batch, dropped) = translate(req, rules, &mut Accumulator::default(), Instant::now());
    assert_eq!(dropped, 0);
    let mut store = Store::new(namespace, &BTreeMap::new());
    store.append(&batch, Instant::now());
    let mut out = String::new();
    store.render(format, &mut out);
    out
}

const LABELS: &str = "job=\"checkout\",service_name=\"checkout\",span_kind=\"SPAN_KIND_SERVER\",span_name=\"GET /cart\",status_code=\"STATUS_CODE_UNSET\"";

#[test]
fn seed_004_spanmetrics_names() {
    let text = render(&spanmetrics("traces.span.metrics", AggregationTemporality::Cumulative), defaults(), "", Format::Text);
    assert!(text.contains(&format!("\ntraces_span_metrics_calls_total{{{LABELS}}} 3\n")), "{text}");
    assert!(text.contains("# TYPE traces_span_metrics_calls_total counter\n"), "{text}");
    assert!(text.contains("# TYPE traces_span_metrics_duration_milliseconds histogram\n"), "{text}");
    for (le, n) in [("2", 1), ("10", 2), ("+Inf", 3)] {
        assert!(text.contains(&format!("traces_span_metrics_duration_milliseconds_bucket{{{LABELS},le=\"{le}\"}} {n}\n")), "{le}: {text}");
    }
    assert!(text.contains(&format!("traces_span_metrics_duration_milliseconds_sum{{{LABELS}}} 16\n")), "{text}");
    assert!(text.contains(&format!("traces_span_metrics_duration_milliseconds_count{{{LABELS}}} 3\n")), "{text}");
    assert!(!text.contains("trace_id"), "no exemplars in text 0.0.4: {text}");
    assert!(!text.contains("target_info"), "service.name alone makes no target_info: {text}");
}

#[test]
fn seed_000_namespaced_names() {
    let text = render(&spanmetrics("span.metrics", AggregationTemporality::Cumulative), defaults(), "otel_collector", Format::Text);
    assert!(text.contains(&format!("\notel_collector_span_metrics_calls_total{{{LABELS}}} 3\n")), "{text}");
    assert!(text.contains("otel_collector_span_metrics_duration_milliseconds_bucket{"), "{text}");
}

#[test]
fn exemplars_reach_open_metrics() {
    let om = render(&spanmetrics("traces.span.metrics", AggregationTemporality::Cumulative), defaults(), "", Format::OpenMetrics);
    let ex = "# {trace_id=\"0102030405060708090a0b0c0d0e0f10\",span_id=\"1112131415161718\"}";
    assert!(om.contains(&format!("traces_span_metrics_calls_total{{{LABELS}}} 3 {ex} 4 1700000000.000\n")), "{om}");
    assert!(om.contains(&format!("le=\"2\"}} 1 {ex} 1.5 1700000000.000\n")), "{om}");
    assert!(om.contains(&format!("le=\"+Inf\"}} 3 {ex} 12 1700000000.000\n")), "{om}");
    assert!(om.contains("# UNIT traces_span_metrics_duration_milliseconds milliseconds\n"), "{om}");
    assert!(om.contains("# TYPE traces_span_metrics_calls counter\n"), "{om}");
}

fn gauge_request(resource: Vec<KeyValue>, scope: Option<InstrumentationScope>) -> ExportMetricsServiceRequest {
    let point = NumberDataPoint { attributes: vec![kv("queue", "a")], value: Some(number_data_point::Value::AsDouble(1.5)), ..Default::default() };
    let m = Metric {
        name: "queue.size".into(),
        description: "Items queued.".into(),
        data: Some(Data::Gauge(Gauge { data_points: vec![point] })),
        ..Default::default()
    };
    let sm = ScopeMetrics { scope, metrics: vec![m], ..Default::default() };
    let resource = Some(Resource { attributes: resource, ..Default::default() });
    ExportMetricsServiceRequest { resource_metrics: vec![ResourceMetrics { resource, scope_metrics: vec![sm], ..Default::default() }] }
}

#[test]
fn job_instance_and_target_info() {
    let attrs = vec![kv("service.namespace", "shop"), kv("service.name", "cart"), kv("service.instance.id", "i-1"), kv("host.name", "h1")];
    let text = render(&gauge_request(attrs.clone(), None), defaults(), "", Format::Text);
    assert!(
        text.contains("# HELP queue_size Items queued.\n# TYPE queue_size gauge\nqueue_size{instance=\"i-1\",job=\"shop/cart\",queue=\"a\"} 1.5\n"),
        "{text}"
    );
    assert!(
        text.contains("# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info{host_name=\"h1\",instance=\"i-1\",job=\"shop/cart\"} 1\n"),
        "{text}"
    );

    let rules = Rules { include_target_info: false, resource_to_telemetry_conversion: true, ..defaults() };
    let text = render(&gauge_request(attrs, None), rules, "", Format::Text);
    assert!(!text.contains("target_info"), "{text}");
    let want = "queue_size{host_name=\"h1\",instance=\"i-1\",job=\"shop/cart\",queue=\"a\",service_instance_id=\"i-1\",service_name=\"cart\",service_namespace=\"shop\"} 1.5";
    assert!(text.contains(want), "{text}");
}

#[test]
fn scope_labels_and_scope_info() {
    let scope = Some(InstrumentationScope { name: "io.lib".into(), version: "1.0".into(), attributes: vec![kv("lib.kind", "http")], ..Default::default() });
    let text = render(&gauge_request(vec![], scope.clone()), defaults(), "", Format::Text);
    assert!(text.contains("queue_size{otel_scope_name=\"io.lib\",otel_scope_version=\"1.0\",queue=\"a\"} 1.5"), "{text}");
    let rules = Rules { include_scope_info: true, include_scope_labels: false, ..defaults() };
    let text = render(&gauge_request(vec![], scope), rules, "", Format::Text);
    assert!(text.contains("otel_scope_info{lib_kind=\"http\",otel_scope_name=\"io.lib\",otel_scope_version=\"1.0\"} 1"), "{text}");
}

#[test]
fn delta_sums_and_histograms_accumulate() {
    let mut acc = Accumulator::default();
    let req = spanmetrics("calls", AggregationTemporality::Delta);
    let now = Instant::now();
    let _ = translate(&req, defaults(), &mut acc, now);
    let (batch, _) = translate(&req, defaults(), &mut acc, now);
    let mut store = Store::new("", &BTreeMap::new());
    store.append(&batch, now);
    let mut text = String::new();
    store.render(Format::Text, &mut text);
    assert!(text.contains(&format!("calls_calls_total{{{LABELS}}} 6\n")), "{text}");
    assert!(text.contains(&format!("calls_duration_milliseconds_bucket{{{LABELS},le=\"10\"}} 4\n")), "{text}");
    assert!(text.contains(&format!("calls_duration_milliseconds_count{{{LABELS}}} 6\n")), "{text}");
    assert_eq!(acc.tracked(), 2);
    acc.gc(now + std::time::Duration::from_secs(301), std::time::Duration::from_secs(300));
    assert_eq!(acc.tracked(), 0);
}

#[test]
fn attribute_collisions_join_values() {
    let point = NumberDataPoint { attributes: vec![kv("a.b", "1"), kv("a_b", "2")], value: Some(number_data_point::Value::AsInt(1)), ..Default::default() };
    let m = Metric { name: "m".into(), data: Some(Data::Gauge(Gauge { data_points: vec![point] })), ..Default::default() };
    let req = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics { scope_metrics: vec![ScopeMetrics { metrics: vec![m], ..Default::default() }], ..Default::default() }],
    };
    let text = render(&req, defaults(), "", Format::Text);
    assert!(text.contains("m{a_b=\"1;2\"} 1\n"), "{text}");
}
