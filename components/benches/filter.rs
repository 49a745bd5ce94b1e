//! Cost per span of `otelcol.processor.filter` dropping health checks
//! (`attributes["http.route"] == "/health"`, a fifth of the spans), on
//! the 100-span request of the transform bench's generator, through what
//! the processor does with a request: a `span` list alone runs on the
//! wire bytes, its comparisons answered from a plan's notes
//! (`health_on_wire`) or, with a function in them, through the evaluator
//! (`health_regex_on_wire`, `IsMatch` for the same spans);
//! `health_decoded` forces the path filters took before (decode, filter,
//! encode again), as a list beside a `spanevent` one still does.
//!
//! The `logs` group does the same for a `log_record` list on 100 log
//! records as an SDK's log bridge sends them (a one-line body, five
//! attributes, trace context; a fifth of them below INFO):
//! `debug_on_wire` drops those by severity, `health_body_on_wire` by a
//! match on the body, on the wire through the evaluator; the `decoded_`
//! cases force decoding, filtering and encoding again.
//!
//! The `metrics` group does the same for a `metric` list on 100 metrics
//! of an instrumented service (five points each, three attributes a
//! point; a third of them the runtime's `go_*` metrics): `go_runtime`
//! drops those by `IsMatch(name, "^go_")`, `one_name` drops one metric by
//! its name.
//!
//! `cargo bench -p solder-components --bench filter`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use solder_components::otelcol::output::Output;
use solder_components::otelcol::processor::filter::{Arguments, LogConditions, MetricConditions, Rules, TraceConditions};
use solder_components::otelcol::processor::rewrite::{process, try_rewrite, Rewrite};
use solder_components::otlp::proto::common::v1::any_value::Value as V;
use solder_components::otlp::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use solder_components::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use solder_components::otlp::proto::metrics::v1::{metric::Data, number_data_point, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum};
use solder_components::otlp::proto::resource::v1::Resource;
use solder_components::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest};
use solder_components::otlp::{synthetic, Encoded};

const SPANS: usize = 100;

const HEALTH: &str = r#"attributes["http.route"] == "/health""#;
const HEALTH_REGEX: &str = r#"IsMatch(attributes["http.route"], "^/health$")"#;

const DEBUG: &str = r#"severity_number < SEVERITY_NUMBER_INFO"#;
const HEALTH_BODY: &str = r#"IsMatch(body, "^GET /health")"#;

const GO_RUNTIME: &str = r#"IsMatch(name, "^go_")"#;
const ONE_NAME: &str = r#"name == "http.server.active_requests""#;

fn rules(span: &[&str]) -> Rules {
    compile(Some(TraceConditions { span: strings(span), spanevent: vec![] }), None, None)
}

fn log_rules(log_record: &[&str]) -> Rules {
    compile(None, None, Some(LogConditions { log_record: strings(log_record) }))
}

fn metric_rules(metric: &[&str]) -> Rules {
    compile(None, Some(MetricConditions { metric: strings(metric), datapoint: vec![] }), None)
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn compile(traces: Option<TraceConditions>, metrics: Option<MetricConditions>, logs: Option<LogConditions>) -> Rules {
    let args = Arguments { error_mode: "ignore".into(), traces, metrics, logs, output: Output::default(), compiled: Default::default() };
    <Rules as Rewrite>::compile(&args).expect("valid conditions")
}

fn kv(key: &str, v: &str) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(V::StringValue(v.into())) }), ..Default::default() }
}

/// 100 records of an HTTP service's log: every fifth a DEBUG line, every
/// seventh a health check's access line.
fn log_request() -> ExportLogsServiceRequest {
    let record = |i: u64| LogRecord {
        time_unix_nano: 1_700_000_000_000_000_000 + i * 1_000_000,
        observed_time_unix_nano: 1_700_000_000_000_000_000 + i * 1_000_000 + 500,
        severity_number: if i.is_multiple_of(5) { 5 } else { 9 },
        severity_text: if i.is_multiple_of(5) { "DEBUG" } else { "INFO" }.into(),
        body: Some(AnyValue {
            value: Some(V::StringValue(if i.is_multiple_of(7) {
                "GET /health 200 0.4ms".into()
            } else {
                format!("POST /api/orders/{i} 201 {}ms user=u-{} items=3 total=41.90 EUR", 10 + i % 40, i % 13)
            })),
        }),
        attributes: vec![
            kv("http.route", if i.is_multiple_of(7) { "/health" } else { "/api/orders/{id}" }),
            kv("http.request.method", if i.is_multiple_of(7) { "GET" } else { "POST" }),
            kv("thread.name", "http-nio-8080-exec-4"),
            kv("code.function", "com.example.orders.OrderController.create"),
            kv("enduser.id", "u-1234"),
        ],
        trace_id: (i as u8..i as u8 + 16).collect(),
        span_id: (i as u8..i as u8 + 8).collect(),
        flags: 1,
        ..Default::default()
    };
    let resource =
        Resource { attributes: vec![kv("service.name", "orders"), kv("k8s.pod.name", "orders-7d9f-x2"), kv("host.name", "node-3")], ..Default::default() };
    let scope = InstrumentationScope { name: "org.apache.logging.log4j".into(), ..Default::default() };
    let scope_logs = vec![ScopeLogs { scope: Some(scope), log_records: (0..SPANS as u64).map(record).collect(), ..Default::default() }];
    ExportLogsServiceRequest { resource_logs: vec![ResourceLogs { resource: Some(resource), scope_logs, ..Default::default() }] }
}

/// 100 metrics of an instrumented service: every third a Go runtime
/// metric, each with five points of three attributes.
fn metric_request() -> ExportMetricsServiceRequest {
    let point = |i: u64, j: u64| NumberDataPoint {
        attributes: vec![kv("http.route", &format!("/api/v{j}/orders")), kv("http.request.method", "POST"), kv("http.response.status_code", "200")],
        start_time_unix_nano: 1_700_000_000_000_000_000,
        time_unix_nano: 1_700_000_060_000_000_000,
        value: Some(number_data_point::Value::AsInt((i * 7 + j) as i64)),
        ..Default::default()
    };
    let metric = |i: u64| Metric {
        name: if i.is_multiple_of(3) {
            format!("go_memstats_{i}_bytes")
        } else if i == 1 {
            "http.server.active_requests".into()
        } else {
            format!("orders.metric_{i}")
        },
        unit: "1".into(),
        data: Some(Data::Sum(Sum { data_points: (0..5).map(|j| point(i, j)).collect(), aggregation_temporality: 2, is_monotonic: true })),
        ..Default::default()
    };
    let resource = Resource { attributes: vec![kv("service.name", "orders"), kv("k8s.pod.name", "orders-7d9f-x2")], ..Default::default() };
    let scope_metrics = vec![ScopeMetrics { metrics: (0..SPANS as u64).map(metric).collect(), ..Default::default() }];
    ExportMetricsServiceRequest { resource_metrics: vec![ResourceMetrics { resource: Some(resource), scope_metrics, ..Default::default() }] }
}

fn filter(c: &mut Criterion) {
    let data = Encoded::from_message(synthetic::request(7, SPANS));
    let health = rules(&[HEALTH]);
    let mut group = c.benchmark_group("filter");
    group.throughput(Throughput::Elements(SPANS as u64));
    group.bench_function("health_on_wire_100_spans", |b| b.iter(|| process(&health, data.clone(), |r| health.try_traces(r)).expect("runs")));
    let regex = rules(&[HEALTH_REGEX]);
    group.bench_function("health_regex_on_wire_100_spans", |b| b.iter(|| process(&regex, data.clone(), |r| regex.try_traces(r)).expect("runs")));
    group.bench_function("health_decoded_100_spans", |b| b.iter(|| try_rewrite(data.clone(), |r| health.try_traces(r)).expect("runs")));
    group.finish();

    let logs = Encoded::from_message(log_request());
    let mut group = c.benchmark_group("logs");
    group.throughput(Throughput::Elements(SPANS as u64));
    for (name, list) in [("debug", DEBUG), ("health_body", HEALTH_BODY)] {
        let rules = log_rules(&[list]);
        group.bench_function(format!("{name}_on_wire_100_records"), |b| b.iter(|| process(&rules, logs.clone(), |r| rules.try_logs(r)).expect("runs")));
        group.bench_function(format!("decoded_{name}_100_records"), |b| b.iter(|| try_rewrite(logs.clone(), |r| rules.try_logs(r)).expect("runs")));
    }
    group.finish();

    let metrics = Encoded::from_message(metric_request());
    let mut group = c.benchmark_group("metrics");
    group.throughput(Throughput::Elements(SPANS as u64));
    for (name, list) in [("go_runtime", GO_RUNTIME), ("one_name", ONE_NAME)] {
        let rules = metric_rules(&[list]);
        group.bench_function(format!("{name}_on_wire_100_metrics"), |b| b.iter(|| process(&rules, metrics.clone(), |r| rules.try_metrics(r)).expect("runs")));
        group.bench_function(format!("decoded_{name}_100_metrics"), |b| b.iter(|| try_rewrite(metrics.clone(), |r| rules.try_metrics(r)).expect("runs")));
    }
    group.finish();
}

criterion_group!(benches, filter);
criterion_main!(benches);
