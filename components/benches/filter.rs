//! Cost per span of `otelcol.processor.filter` dropping health checks
//! (`attributes["http.route"] == "/health"`, a fifth of the spans), on
//! the 100-span request of the transform bench's generator, through what
//! the processor does with a request: a `span` list alone runs on the
//! wire bytes, its comparisons answered from a plan's notes
//! (`health_on_wire`) or, with a function in them, through the evaluator
//! (`health_regex_on_wire`, `IsMatch` for the same spans);
//! `health_decoded` forces the path filters took before (decode, filter,
//! encode again). `exception_events` drops one of the two events on every
//! span (a `spanevent` list), on the wire and decoded.
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
//! its name. `datapoint` lists on the same request: `one_route` drops the
//! points of one route (a fifth), `route_of_one_metric` the points of one
//! metric with one method, both as plans on the wire;
//! `go_runtime_then_one_route` runs both kinds of list, on the wire and
//! decoded.
//!
//! `cargo bench -p solder-components --bench filter`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use solder_components::otelcol::output::Output;
use solder_components::otelcol::processor::filter::{Arguments, LogConditions, MetricConditions, Rules, TraceConditions};
use solder_components::otelcol::processor::rewrite::{process, try_rewrite, Rewrite};
use solder_components::otlp::proto::common::v1::any_value::Value as V;
use solder_components::otlp::proto::common::v1::{AnyValue, KeyValue};
use solder_components::otlp::proto::trace::v1::span::Event;
use solder_components::otlp::proto::ExportTraceServiceRequest;
use solder_components::otlp::{synthetic, Encoded};

#[path = "support/requests.rs"]
mod requests;
use requests::{log_request, metric_request};

const SPANS: usize = 100;

const HEALTH: &str = r#"attributes["http.route"] == "/health""#;
const HEALTH_REGEX: &str = r#"IsMatch(attributes["http.route"], "^/health$")"#;

const EXCEPTION: &str = r#"name == "exception" and attributes["exception.type"] == "TimeoutError""#;

/// `req` with two events on each span: an exception and a retry.
fn with_events(mut req: ExportTraceServiceRequest) -> ExportTraceServiceRequest {
    let text = |k: &str, v: &str| KeyValue { key: k.into(), value: Some(AnyValue { value: Some(V::StringValue(v.into())) }), ..Default::default() };
    for span in req.resource_spans.iter_mut().flat_map(|r| &mut r.scope_spans).flat_map(|s| &mut s.spans) {
        let at = span.start_time_unix_nano + 1_000;
        span.events = vec![
            Event {
                name: "exception".into(),
                time_unix_nano: at,
                attributes: vec![text("exception.type", "TimeoutError"), text("exception.message", "upstream timed out")],
                ..Default::default()
            },
            Event { name: "retry".into(), time_unix_nano: at + 500, attributes: vec![text("attempt", "2")], ..Default::default() },
        ];
    }
    req
}

const DEBUG: &str = r#"severity_number < SEVERITY_NUMBER_INFO"#;
const HEALTH_BODY: &str = r#"IsMatch(body, "^GET /health")"#;

const GO_RUNTIME: &str = r#"IsMatch(name, "^go_")"#;
const ONE_NAME: &str = r#"name == "http.server.active_requests""#;

const ONE_ROUTE: &str = r#"attributes["http.route"] == "/api/v0/orders""#;
const ROUTE_OF_ONE_METRIC: &str = r#"metric.name == "http.server.active_requests" and attributes["http.request.method"] == "POST""#;

fn rules(span: &[&str]) -> Rules {
    compile(Some(TraceConditions { span: strings(span), spanevent: vec![] }), None, None)
}

fn log_rules(log_record: &[&str]) -> Rules {
    compile(None, None, Some(LogConditions { log_record: strings(log_record) }))
}

fn metric_rules(metric: &[&str]) -> Rules {
    compile(None, Some(MetricConditions { metric: strings(metric), datapoint: vec![] }), None)
}

fn point_rules(datapoint: &[&str]) -> Rules {
    compile(None, Some(MetricConditions { metric: vec![], datapoint: strings(datapoint) }), None)
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn compile(traces: Option<TraceConditions>, metrics: Option<MetricConditions>, logs: Option<LogConditions>) -> Rules {
    let args = Arguments { error_mode: "ignore".into(), traces, metrics, logs, output: Output::default(), compiled: Default::default() };
    <Rules as Rewrite>::compile(&args).expect("valid conditions")
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
    // Span events: every span with an exception and a retry event; the
    // exceptions go, the spans stay.
    let with_events = Encoded::from_message(with_events(synthetic::request(7, SPANS)));
    let exceptions = compile(Some(TraceConditions { span: vec![], spanevent: strings(&[EXCEPTION]) }), None, None);
    group.bench_function("exception_events_on_wire_100_spans", |b| {
        b.iter(|| process(&exceptions, with_events.clone(), |r| exceptions.try_traces(r)).expect("runs"))
    });
    group.bench_function("exception_events_decoded_100_spans", |b| b.iter(|| try_rewrite(with_events.clone(), |r| exceptions.try_traces(r)).expect("runs")));
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
    for (name, list) in [("one_route", ONE_ROUTE), ("route_of_one_metric", ROUTE_OF_ONE_METRIC)] {
        let rules = point_rules(&[list]);
        group.bench_function(format!("{name}_on_wire_100_metrics"), |b| b.iter(|| process(&rules, metrics.clone(), |r| rules.try_metrics(r)).expect("runs")));
        group.bench_function(format!("decoded_{name}_100_metrics"), |b| b.iter(|| try_rewrite(metrics.clone(), |r| rules.try_metrics(r)).expect("runs")));
    }
    // Both lists: the runtime's metrics, then one route's points of what
    // is left.
    let both = compile(None, Some(MetricConditions { metric: strings(&[GO_RUNTIME]), datapoint: strings(&[ONE_ROUTE]) }), None);
    group.bench_function("go_runtime_then_one_route_on_wire_100_metrics", |b| {
        b.iter(|| process(&both, metrics.clone(), |r| both.try_metrics(r)).expect("runs"))
    });
    group.bench_function("decoded_go_runtime_then_one_route_100_metrics", |b| b.iter(|| try_rewrite(metrics.clone(), |r| both.try_metrics(r)).expect("runs")));
    group.finish();
}

criterion_group!(benches, filter);
criterion_main!(benches);
