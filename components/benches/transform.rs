//! Cost per span of `otelcol.processor.transform` with five typical span
//! statements, against the same processor with none, on a realistic
//! 100-span request (about ten attributes a span), through what the
//! processor does with a request ([`process`]): span statements run on the
//! wire bytes. Target: at most 200 ns/span over the empty processor (which
//! passes requests on undecoded). These five are plain steps, so they run
//! as a compiled plan (`ottl::wire::Plan`); `evaluated_five_*` runs them
//! through the evaluator on the wire instead, as statements beyond the
//! plain steps run. The `decoded_*` cases force the third path (decode,
//! run, re-encode), which programs beyond the span take; `reencode_only`
//! is what decoding and encoding alone cost there, and
//! `resource_two_statements` what a `resource` block of plain steps costs
//! (a plan too, over each resource); `copies` two copies onto each span
//! (from the resource and from the name) as a plan, and
//! `evaluated_copies` through the evaluator, as they ran before plans
//! took them; `name_from_route` the route as the name (a plan), and
//! `evaluated_name_from_route` the same through the evaluator;
//! `string_condition` a string attribute compared with a literal;
//! `stamp_then_copy` a `resource` block, then a span block copying what
//! it set onto each span (a plan; `decoded_stamp_then_copy` the path such
//! programs took before). The `other_signals` group runs the same
//! `resource` block over a log request of 100 records and a metric
//! request of 100 metrics (`support/requests.rs`): as a plan on the bytes,
//! and decoded (the path those took before); and two metric functions
//! over the same metrics (`aggregate_on_attributes`,
//! `convert_sum_to_gauge`), which always decode; and two log statements
//! beyond the plain steps (`log_functions`), through the evaluator on the
//! records' bytes and decoded; and two that write the records' times and
//! ids (`log_times`), the same two ways.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use solder_components::otelcol::output::Output;
use solder_components::otelcol::processor::rewrite::{process, rewrite, try_rewrite, Rewrite};
use solder_components::otelcol::processor::transform::{Arguments, ContextStatements, Rules};
use solder_components::otlp::proto::common::v1::any_value::Value as V;
use solder_components::otlp::proto::common::v1::{AnyValue, KeyValue};
use solder_components::otlp::proto::ExportTraceServiceRequest;
use solder_components::otlp::{synthetic, Encoded};
use solder_components::ottl::wire::WireBlock;
use solder_components::ottl::{self, Group};
use solder_syntax::ottl::{funcs, ErrorMode, Statements};

#[path = "support/requests.rs"]
mod requests;
use requests::{log_request, metric_request};

const SPANS: usize = 100;

const STATEMENTS: [&str; 5] = [
    r#"replace_pattern(name, "/api/orders/[0-9]+", "/api/orders/{id}")"#,
    r#"set(attributes["deployment.environment"], "production")"#,
    r#"delete_key(attributes, "user_agent.original")"#,
    r#"set(status.code, STATUS_CODE_ERROR) where attributes["http.response.status_code"] >= 500"#,
    r#"truncate_all(attributes, 256)"#,
];

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue { key: k.to_string(), value: Some(AnyValue { value: Some(V::StringValue(v.to_string())) }), ..Default::default() }
}

/// The synthetic request, with the attributes a real HTTP server span
/// carries on top of the generator's five or six.
fn payload() -> Encoded<ExportTraceServiceRequest> {
    let mut req = synthetic::request(7, SPANS);
    for span in req.resource_spans.iter_mut().flat_map(|r| &mut r.scope_spans).flat_map(|s| &mut s.spans) {
        span.attributes.extend([
            kv("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"),
            kv("url.scheme", "https"),
            kv("network.protocol.version", "1.1"),
            kv("client.address", "10.1.2.3"),
        ]);
    }
    Encoded::from_message(req)
}

fn rules(statements: &[&str]) -> Rules {
    rules_in("span", statements)
}

fn rules_in(context: &str, statements: &[&str]) -> Rules {
    let block = [(context, statements)];
    rules_of(if statements.is_empty() { &[] } else { &block })
}

/// Rules of trace blocks, each a context and its statements.
fn rules_of(blocks: &[(&str, &[&str])]) -> Rules {
    rules_for(blocks, Signal::Traces)
}

/// Which signal's blocks the rules hold.
#[derive(Clone, Copy, PartialEq)]
enum Signal {
    Traces,
    Metrics,
    Logs,
}

fn rules_for(blocks: &[(&str, &[&str])], signal: Signal) -> Rules {
    let block = |(context, statements): &(&str, &[&str])| ContextStatements {
        context: context.to_string(),
        statements: statements.iter().map(|s| s.to_string()).collect(),
        conditions: vec![],
        error_mode: None,
    };
    let args = Arguments {
        error_mode: "ignore".into(),
        statements: None,
        trace_statements: if signal == Signal::Traces { blocks.iter().map(block).collect() } else { vec![] },
        metric_statements: if signal == Signal::Metrics { blocks.iter().map(block).collect() } else { vec![] },
        log_statements: if signal == Signal::Logs { blocks.iter().map(block).collect() } else { vec![] },
        output: Output::default(),
        compiled: Default::default(),
    };
    <Rules as Rewrite>::compile(&args).expect("valid statements")
}

/// glibc's thresholds as the agent sets them at start (src/memory.rs,
/// `keep_hot_buffers`): without them each iteration's output buffer goes
/// back to the kernel and comes back zeroed, a cost the agent never pays.
fn allocator_as_in_the_agent() {
    // SAFETY: sets allocator parameters before any other thread runs.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 8 << 20);
    }
}

/// What the Kubernetes monitoring chart's trace pipelines do in the
/// `resource` context: stamp the cluster, drop an attribute.
const RESOURCE_STATEMENTS: [&str; 2] = [r#"set(attributes["k8s.cluster.name"], "prod-eu-1")"#, r#"delete_key(attributes, "telemetry.sdk.language")"#];

/// The resource stamped, then what the span needs of it copied onto each
/// span: span steps that read the resource as resource steps left it.
const STAMP_THEN_COPY: [(&str, &[&str]); 2] =
    [("resource", &RESOURCE_STATEMENTS), ("span", &[r#"set(attributes["k8s.cluster.name"], resource.attributes["k8s.cluster.name"])"#])];

/// Resource attributes copied onto each data point or log record.
const COPY_LABELS: [&str; 2] =
    [r#"set(attributes["service.name"], resource.attributes["service.name"])"#, r#"set(attributes["k8s.pod.name"], resource.attributes["k8s.pod.name"])"#];

/// A step that reads every key: a plan notes every attribute for it.
const KEEP_KEYS: &str = r#"keep_keys(attributes, ["http.route", "http.request.method", "http.response.status_code"])"#;

/// Copies onto each span: the service from the resource (a span-metrics
/// dimension some backends want on the span) and the name before it is
/// normalised.
const COPIES: [&str; 2] = [r#"set(attributes["service"], resource.attributes["service.name"])"#, r#"set(attributes["original_name"], name)"#];

/// The span-name normalisation users write before span metrics: the
/// route as the name, where the span has one.
const NAME_FROM_ROUTE: &str = r#"set(name, attributes["http.route"]) where attributes["http.route"] != nil"#;

/// A condition comparing a string attribute with a string literal, as
/// filters of health checks write it.
const STRING_CONDITION: &str = r#"set(attributes["health_check"], true) where attributes["http.route"] == "/health""#;

/// A statement whose condition reads one span field and is never true:
/// the cost of finding every span's fields and running a program at all.
const WALK_ONLY: &str = r#"set(name, "never") where dropped_links_count == 999"#;

/// `statements` through the evaluator on the wire, as statements beyond
/// the plain steps run (and as these ran before plans took them).
fn evaluated(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, statements: &[&str], bytes: &[u8]) {
    let groups = [Group { schema: &ottl::SPAN, statements: Statements::compile(&ottl::SPAN, funcs::table(), statements).expect("valid statements") }];
    let blocks: Vec<WireBlock<'_>> = groups.iter().map(|group| WireBlock { group, mode: ErrorMode::Ignore }).collect();
    group.bench_function(format!("evaluated_{name}_100_spans"), |b| b.iter(|| ottl::wire::transform_traces(&blocks, bytes, &mut Vec::new()).expect("runs")));
}

fn transform(c: &mut Criterion) {
    allocator_as_in_the_agent();
    let data = payload();
    let (empty, five) = (rules(&[]), rules(&STATEMENTS));
    let mut group = c.benchmark_group("transform");
    group.throughput(Throughput::Elements(SPANS as u64));
    group.bench_function("empty_100_spans", |b| b.iter(|| process(&empty, data.clone(), |r| empty.try_traces(r)).expect("runs")));
    group.bench_function("five_statements_100_spans", |b| b.iter(|| process(&five, data.clone(), |r| five.try_traces(r)).expect("runs")));
    let walk = rules(&[WALK_ONLY]);
    group.bench_function("walk_only_100_spans", |b| b.iter(|| process(&walk, data.clone(), |r| walk.try_traces(r)).expect("runs")));
    let keep = rules(&[KEEP_KEYS]);
    group.bench_function("keep_keys_100_spans", |b| b.iter(|| process(&keep, data.clone(), |r| keep.try_traces(r)).expect("runs")));
    let resource = rules_in("resource", &RESOURCE_STATEMENTS);
    group.bench_function("resource_two_statements_100_spans", |b| b.iter(|| process(&resource, data.clone(), |r| resource.try_traces(r)).expect("runs")));
    // Each statement alone, to see where the five's cost goes.
    for (i, statement) in STATEMENTS.iter().enumerate() {
        let one = rules(&[statement]);
        group.bench_function(format!("statement_{i}_100_spans"), |b| b.iter(|| process(&one, data.clone(), |r| one.try_traces(r)).expect("runs")));
    }
    let bytes: &[u8] = data.bytes();
    evaluated(&mut group, "five_statements", &STATEMENTS, bytes);
    evaluated(&mut group, "keep_keys", &[KEEP_KEYS], bytes);
    let copies = rules(&COPIES);
    group.bench_function("copies_100_spans", |b| b.iter(|| process(&copies, data.clone(), |r| copies.try_traces(r)).expect("runs")));
    evaluated(&mut group, "copies", &COPIES, bytes);
    let route = rules(&[NAME_FROM_ROUTE]);
    group.bench_function("name_from_route_100_spans", |b| b.iter(|| process(&route, data.clone(), |r| route.try_traces(r)).expect("runs")));
    evaluated(&mut group, "name_from_route", &[NAME_FROM_ROUTE], bytes);
    let health = rules(&[STRING_CONDITION]);
    group.bench_function("string_condition_100_spans", |b| b.iter(|| process(&health, data.clone(), |r| health.try_traces(r)).expect("runs")));
    let stamp = rules_of(&STAMP_THEN_COPY);
    group.bench_function("stamp_then_copy_100_spans", |b| b.iter(|| process(&stamp, data.clone(), |r| stamp.try_traces(r)).expect("runs")));
    group.bench_function("decoded_stamp_then_copy_100_spans", |b| b.iter(|| try_rewrite(data.clone(), |r| stamp.try_traces(r)).expect("runs")));
    group.bench_function("decoded_reencode_only_100_spans", |b| b.iter(|| rewrite(data.clone(), |_| true).expect("decodes")));
    group.bench_function("decoded_five_statements_100_spans", |b| b.iter(|| try_rewrite(data.clone(), |r| five.try_traces(r)).expect("runs")));
    group.finish();

    let mut group = c.benchmark_group("other_signals");
    group.throughput(Throughput::Elements(SPANS as u64));
    let block: [(&str, &[&str]); 1] = [("resource", &RESOURCE_STATEMENTS)];
    let (logs, log_rules) = (Encoded::from_message(log_request()), rules_for(&block, Signal::Logs));
    group.bench_function("resource_two_statements_100_records", |b| b.iter(|| process(&log_rules, logs.clone(), |r| log_rules.try_logs(r)).expect("runs")));
    group.bench_function("decoded_resource_two_statements_100_records", |b| b.iter(|| try_rewrite(logs.clone(), |r| log_rules.try_logs(r)).expect("runs")));
    let (metrics, metric_rules) = (Encoded::from_message(metric_request()), rules_for(&block, Signal::Metrics));
    group.bench_function("resource_two_statements_100_metrics", |b| {
        b.iter(|| process(&metric_rules, metrics.clone(), |r| metric_rules.try_metrics(r)).expect("runs"))
    });
    group.bench_function("decoded_resource_two_statements_100_metrics", |b| {
        b.iter(|| try_rewrite(metrics.clone(), |r| metric_rules.try_metrics(r)).expect("runs"))
    });
    // The resource's service and pod copied onto every point (labels for
    // Prometheus) and every log record: 500 points, 100 records.
    let points: [(&str, &[&str]); 1] = [("datapoint", &COPY_LABELS)];
    let records: [(&str, &[&str]); 1] = [("log", &COPY_LABELS)];
    let point_rules = rules_for(&points, Signal::Metrics);
    group.bench_function("datapoint_copy_labels_100_metrics", |b| {
        b.iter(|| process(&point_rules, metrics.clone(), |r| point_rules.try_metrics(r)).expect("runs"))
    });
    group.bench_function("decoded_datapoint_copy_labels_100_metrics", |b| {
        b.iter(|| try_rewrite(metrics.clone(), |r| point_rules.try_metrics(r)).expect("runs"))
    });
    let record_rules = rules_for(&records, Signal::Logs);
    group.bench_function("log_copy_labels_100_records", |b| b.iter(|| process(&record_rules, logs.clone(), |r| record_rules.try_logs(r)).expect("runs")));
    group.bench_function("decoded_log_copy_labels_100_records", |b| b.iter(|| try_rewrite(logs.clone(), |r| record_rules.try_logs(r)).expect("runs")));
    // Log statements beyond the plain steps (a function on the body, a
    // severity set where a pattern matches): through the evaluator on the
    // records' bytes, and decoded, as they ran before.
    let functions: [(&str, &[&str]); 1] =
        [("log", &[r#"replace_pattern(body, "user=u-[0-9]+", "user=***")"#, r#"set(severity_text, "WARN") where IsMatch(body, "^POST")"#])];
    let function_rules = rules_for(&functions, Signal::Logs);
    group.bench_function("log_functions_100_records", |b| b.iter(|| process(&function_rules, logs.clone(), |r| function_rules.try_logs(r)).expect("runs")));
    group.bench_function("decoded_log_functions_100_records", |b| b.iter(|| try_rewrite(logs.clone(), |r| function_rules.try_logs(r)).expect("runs")));
    // The record's times and ids written (every record's observed time set
    // from its time, the span id cleared on the health checks): fields
    // beyond severity, body and attributes, on the bytes and decoded.
    let times: [(&str, &[&str]); 1] =
        [("log", &[r#"set(observed_time, time)"#, r#"set(span_id.string, "0000000000000000") where attributes["http.route"] == "/health""#])];
    let time_rules = rules_for(&times, Signal::Logs);
    group.bench_function("log_times_100_records", |b| b.iter(|| process(&time_rules, logs.clone(), |r| time_rules.try_logs(r)).expect("runs")));
    group.bench_function("decoded_log_times_100_records", |b| b.iter(|| try_rewrite(logs.clone(), |r| time_rules.try_logs(r)).expect("runs")));
    // Metric functions, which always decode: the route label aggregated
    // away (five points to one on every metric), and every sum a gauge.
    let aggregate: [(&str, &[&str]); 1] = [("metric", &[r#"aggregate_on_attributes("sum", ["http.request.method"])"#])];
    let aggregate = rules_for(&aggregate, Signal::Metrics);
    group.bench_function("aggregate_on_attributes_100_metrics", |b| {
        b.iter(|| process(&aggregate, metrics.clone(), |r| aggregate.try_metrics(r)).expect("runs"))
    });
    let gauge: [(&str, &[&str]); 1] = [("metric", &["convert_sum_to_gauge()"])];
    let gauge = rules_for(&gauge, Signal::Metrics);
    group.bench_function("convert_sum_to_gauge_100_metrics", |b| b.iter(|| process(&gauge, metrics.clone(), |r| gauge.try_metrics(r)).expect("runs")));
    group.finish();
}

criterion_group!(benches, transform);
criterion_main!(benches);
