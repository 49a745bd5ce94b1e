//! The transform processor as a user configures it: argument errors at the
//! right place, statements run on the way through, and each error mode.

use super::*;
use crate::component::Options;
use crate::consumer::ErrorKind;
use crate::harness::{build_error, evaluate, Harness, Recorder};
use crate::otelcol::processor::testing::{attrs, compiled, Attrs};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::{Metric, ResourceMetrics, ScopeMetrics};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use crate::otlp::Traces;

fn rules(body: &str) -> Result<Rules, String> {
    compiled(REGISTRATION.name, body)
}

/// One resource, one scope, spans with these names and attributes.
fn spans(list: &[(&str, Attrs)]) -> Traces {
    let spans = list.iter().map(|(name, a)| Span { name: name.to_string(), attributes: attrs(a), ..Default::default() }).collect();
    let rs = ResourceSpans { scope_spans: vec![ScopeSpans { spans, ..Default::default() }], ..Default::default() };
    Traces::from_message(ExportTraceServiceRequest { resource_spans: vec![rs] })
}

fn names(t: &Traces) -> Vec<String> {
    let req = t.decode().unwrap();
    req.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans).map(|s| s.name.clone()).collect()
}

/// Where the error building `body` points, as the text it spans in `body`.
fn pointed_at(body: &str) -> (String, String) {
    let ev = evaluate(REGISTRATION.name, &format!("{body}\noutput {{}}"), &Default::default()).unwrap();
    let d = REGISTRATION.decode(&ev).err().unwrap_or_else(|| panic!("accepted: {body}"));
    let offset = format!("{} \"test\" {{\n", REGISTRATION.name).len();
    (d.message.clone(), body[d.span.start - offset..d.span.end - offset].to_string())
}

#[test]
fn error_mode_defaults_to_propagate_as_in_alloy_and_a_block_may_override_it() {
    let r = rules(
        "trace_statements {\ncontext = \"span\"\nstatements = []\n}\ntrace_statements {\ncontext = \"resource\"\nstatements = []\nerror_mode = \"silent\"\n}",
    )
    .unwrap();
    assert_eq!(r.traces.iter().map(|b| b.mode).collect::<Vec<_>>(), [ErrorMode::Propagate, ErrorMode::Silent]);
    let r = rules("error_mode = \"ignore\"\nmetric_statements {\ncontext = \"datapoint\"\nstatements = []\n}").unwrap();
    assert_eq!(r.metrics[0].mode, ErrorMode::Ignore);
}

#[test]
fn a_wrong_error_mode_or_context_points_at_its_value() {
    assert_eq!(pointed_at("error_mode = \"loud\"").1, "\"loud\"");
    assert!(pointed_at("error_mode = \"loud\"").0.contains("unknown error mode loud"));
    let (message, at) =
        pointed_at("trace_statements {\ncontext = \"span\"\nstatements = []\n}\ntrace_statements {\ncontext = \"datapoint\"\nstatements = []\n}");
    assert_eq!(at, "\"datapoint\"");
    assert!(message.contains("unknown context \"datapoint\" for trace_statements"), "{message}");
    assert!(rules("log_statements {\ncontext = \"LOG\"\nstatements = []\n}").is_ok(), "contexts are read case-insensitively, as Alloy does");
    assert!(build_error(&REGISTRATION, "trace_statements {\nstatements = []\n}\noutput {}", &Default::default()).contains("context"));
}

#[tokio::test]
async fn with_no_statements_requests_go_on_as_their_bytes() {
    let rec = Recorder::new();
    let h = Harness::start(&REGISTRATION, "output { traces = [sink] }", &rec.scope("sink")).unwrap();
    let t = spans(&[("GET /users/1", vec![])]);
    h.input().0.consume_traces(t.clone()).await.unwrap();
    assert_eq!(rec.traces()[0].bytes().as_ptr(), t.bytes().as_ptr());
    h.stop().await;
}

// What follows runs real OTTL: it needs the language core, the function
// table and the OTLP contexts (issue 20's other parts) merged.

/// A bad statement is an error at its exact list element, with the caret
/// under its bad token (here the misspelt path), however it is quoted.
#[test]
fn a_bad_statement_points_at_its_bad_token() {
    let body = "trace_statements {\ncontext = \"span\"\nstatements = [`set(name, \"a\")`]\n}\ntrace_statements {\ncontext = \"span\"\nstatements = [`set(name, \"b\")`, \"set(attributes[\\\"k\\\"], nmae)\"]\n}";
    let (message, at) = pointed_at(body);
    assert_eq!(at, "nmae", "{message}");
    let (_, at) = pointed_at("statements {\ntrace = [`set(span.name, \"x\")`, `set(span.atributes[\"k\"], \"v\")`]\n}");
    assert_eq!(at, "atributes");
}

#[tokio::test]
async fn statements_rename_spans_on_the_way_through() {
    let rec = Recorder::new();
    let body = r#"trace_statements {
  context = "span"
  statements = [`replace_pattern(name, "/users/[0-9]+", "/users/{id}")`]
}
statements {
  trace = [`set(span.attributes["normalised"], true) where span.name == "GET /users/{id}"`]
}
output { traces = [sink] }"#;
    let h = Harness::start(&REGISTRATION, body, &rec.scope("sink")).unwrap();
    h.input().0.consume_traces(spans(&[("GET /users/123", vec![]), ("GET /healthz", vec![])])).await.unwrap();
    let got = rec.traces();
    assert_eq!(names(&got[0]), ["GET /users/{id}", "GET /healthz"]);
    let req = got[0].decode().unwrap();
    let first = &req.resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(first.attributes, attrs(&[("normalised", crate::otlp::proto::common::v1::any_value::Value::BoolValue(true))]));
    h.stop().await;
}

/// `Substring` past the end of the name fails at run time: `propagate`
/// refuses the request permanently; `ignore` and `silent` go on with the
/// next statement. Every failure is counted.
#[tokio::test]
async fn each_error_mode_handles_a_failing_statement() {
    let statements = r#"statements = [`set(attributes["s"], Substring(name, 0, 100))`, `set(name, "after")`]"#;
    for (mode, refused) in [("propagate", true), ("ignore", false), ("silent", false)] {
        let rec = Recorder::new();
        let id = format!("otelcol.processor.transform.modes_{mode}");
        let body = format!("error_mode = \"{mode}\"\ntrace_statements {{\ncontext = \"span\"\n{statements}\n}}\noutput {{ traces = [sink] }}");
        let h = Harness::start_with(&REGISTRATION, Options::standalone(&id), &body, &rec.scope("sink")).unwrap();
        let result = h.input().0.consume_traces(spans(&[("short", vec![])])).await;
        if refused {
            assert_eq!(result.unwrap_err().kind, ErrorKind::Permanent, "{mode}");
            assert!(rec.traces().is_empty(), "{mode}: nothing goes on");
        } else {
            result.unwrap();
            assert_eq!(names(&rec.traces()[0]), ["after"], "{mode}: the next statement ran");
        }
        let line = crate::selfmetrics::render().lines().find(|l| l.starts_with("solder_ottl_failures_total") && l.contains(&id)).map(str::to_string);
        assert!(line.is_some_and(|l| l.ends_with(" 1")), "{mode}: the failure is counted");
        h.stop().await;
    }
}

/// A load decodes (validating, which compiles) and then builds: the build
/// takes what validation compiled rather than compiling every statement
/// again, and only once.
#[test]
fn validation_compiles_once_for_the_build_that_follows() {
    let args = Arguments {
        error_mode: "propagate".into(),
        statements: None,
        trace_statements: vec![ContextStatements {
            context: "span".into(),
            statements: vec![r#"set(name, "x")"#.into()],
            conditions: vec![],
            error_mode: None,
        }],
        metric_statements: vec![],
        log_statements: vec![],
        output: Output::default(),
        compiled: Default::default(),
    };
    component::Arguments::validate(&args).expect("valid");
    let shared = args.clone();
    assert!(shared.compiled.take().is_some(), "validation left its rules for the build");
    assert!(args.compiled.take().is_none(), "and they are taken once");
}

/// A block's `conditions` (ORed) choose the items its statements run on;
/// each statement's own `where` still applies. The span block runs on the
/// wire, the one that also writes a resource attribute on the decoded
/// request: both honour the conditions.
#[tokio::test]
async fn block_conditions_choose_the_items_the_statements_run_on() {
    use crate::otlp::proto::common::v1::any_value::Value as V;
    for extra in ["", "\n  `set(resource.attributes[\"touched\"], true)`,"] {
        let rec = Recorder::new();
        let body = format!(
            r#"trace_statements {{
  context    = "span"
  conditions = [`name == "GET /a"`, `attributes["force"] == true`]
  statements = [{extra}
    `set(attributes["chosen"], true)`,
    `set(name, "renamed") where attributes["force"] == true`,
  ]
}}
output {{ traces = [sink] }}"#
        );
        let h = Harness::start(&REGISTRATION, &body, &rec.scope("sink")).unwrap();
        let input = spans(&[("GET /a", vec![]), ("GET /b", vec![]), ("GET /c", vec![("force", V::BoolValue(true))])]);
        h.input().0.consume_traces(input).await.unwrap();
        let got = rec.traces();
        assert_eq!(names(&got[0]), ["GET /a", "GET /b", "renamed"], "{extra}");
        let req = got[0].decode().unwrap();
        let chosen: Vec<bool> = req.resource_spans[0].scope_spans[0].spans.iter().map(|s| s.attributes.iter().any(|kv| kv.key == "chosen")).collect();
        assert_eq!(chosen, [true, false, true], "{extra}");
        h.stop().await;
    }
}

/// A bad condition is an error at its own list element and token.
#[test]
fn a_bad_block_condition_points_at_its_bad_token() {
    let (message, at) =
        pointed_at("trace_statements {\ncontext = \"span\"\nconditions = [`name == \"a\"`, `nmae == \"b\"`]\nstatements = [`set(name, \"x\")`]\n}");
    assert_eq!(at, "nmae", "{message}");
    assert!(message.contains("not a valid path"), "{message}");
}

/// A `resource` block as the Kubernetes monitoring chart writes it, beside
/// a `span` block: both run as a plan on the request's bytes, so a field
/// the agent does not know (here one at the top of the request) goes on
/// as it came, where decoding and encoding again would drop it.
#[tokio::test]
async fn resource_and_span_blocks_of_plain_steps_run_on_the_bytes() {
    use crate::otlp::proto::common::v1::any_value::Value as V;
    use crate::otlp::proto::resource::v1::Resource;
    use prost::Message;
    let rec = Recorder::new();
    let body = r#"trace_statements {
  context    = "resource"
  statements = [`set(attributes["k8s.cluster.name"], "prod-eu-1")`, `delete_key(attributes, "host.name")`]
}
trace_statements {
  context    = "span"
  statements = [`replace_pattern(name, "/users/[0-9]+", "/users/{id}")`]
}
output { traces = [sink] }"#;
    let h = Harness::start(&REGISTRATION, body, &rec.scope("sink")).unwrap();
    let mut req = spans(&[("GET /users/12", vec![])]).decode().unwrap().as_ref().clone();
    req.resource_spans[0].resource = Some(Resource { attributes: attrs(&[("host.name", V::StringValue("node-1".into()))]), ..Default::default() });
    let mut bytes = req.encode_to_vec();
    let unknown = [0xc8, 0x01, 0x07]; // field 25, varint 7
    bytes.extend_from_slice(&unknown);
    h.input().0.consume_traces(Traces::from_bytes(bytes.into()).unwrap()).await.unwrap();
    let got = rec.traces();
    assert_eq!(names(&got[0]), ["GET /users/{id}"]);
    let resource = got[0].decode().unwrap().resource_spans[0].resource.clone().unwrap_or_default();
    let keys: Vec<&str> = resource.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["k8s.cluster.name"]);
    assert!(got[0].bytes().ends_with(&unknown), "the unknown field is kept: the request was not decoded");
    h.stop().await;
}

/// The same `resource` block in `metric_statements` and `log_statements`
/// (the chart writes it for every signal) runs as a plan on the bytes of
/// metric and log requests: the unknown field at the top goes on as it
/// came, and the resource is changed as decoding would change it.
#[tokio::test]
async fn resource_blocks_of_metrics_and_logs_run_on_the_bytes() {
    use crate::otlp::proto::common::v1::any_value::Value as V;
    use crate::otlp::proto::metrics::v1::{metric::Data, Gauge, NumberDataPoint};
    let rec = Recorder::new();
    let block = |signal: &str| {
        format!("{signal}_statements {{\n  context = \"resource\"\n  statements = [`set(attributes[\"k8s.cluster.name\"], \"prod-eu-1\")`, `delete_key(attributes, \"host.name\")`]\n}}\n")
    };
    let body = format!("{}{}output {{\n  metrics = [sink]\n  logs = [sink]\n}}", block("metric"), block("log"));
    let h = Harness::start(&REGISTRATION, &body, &rec.scope("sink")).unwrap();
    let resource = Some(Resource { attributes: attrs(&[("host.name", V::StringValue("node-1".into()))]), ..Default::default() });
    let metric = Metric { name: "up".into(), data: Some(Data::Gauge(Gauge { data_points: vec![NumberDataPoint::default()] })), ..Default::default() };
    send_metric_and_log(&h, resource, metric, LogRecord { severity_number: 9, ..Default::default() }).await;
    let keys = |r: Option<&Resource>| r.map(|r| r.attributes.iter().map(|kv| kv.key.clone()).collect::<Vec<_>>()).unwrap_or_default();
    let (m, l) = (rec.metrics(), rec.logs());
    assert_eq!(keys(m[0].decode().unwrap().resource_metrics[0].resource.as_ref()), ["k8s.cluster.name"]);
    assert_eq!(keys(l[0].decode().unwrap().resource_logs[0].resource.as_ref()), ["k8s.cluster.name"]);
    assert!(m[0].bytes().ends_with(&UNKNOWN) && l[0].bytes().ends_with(&UNKNOWN), "the unknown fields are kept: neither request was decoded");
    assert_eq!((m[0].items(), l[0].items()), (1, 1));
    h.stop().await;
}

/// Resource attributes copied onto every data point (so Prometheus gets
/// them as labels) and onto every log record, in `datapoint` and `log`
/// blocks: plans on the bytes too. The unknown field at the top goes on
/// as it came; the point and the record carry the copies.
#[tokio::test]
async fn datapoint_and_log_blocks_of_plain_steps_run_on_the_bytes() {
    use crate::otlp::proto::common::v1::any_value::Value as V;
    use crate::otlp::proto::metrics::v1::{metric::Data, Histogram, HistogramDataPoint};
    let rec = Recorder::new();
    let block = |signal: &str, context: &str| {
        format!(
            "{signal}_statements {{\n  context = \"{context}\"\n  statements = [`set(attributes[\"k8s.namespace.name\"], resource.attributes[\"k8s.namespace.name\"])`]\n}}\n"
        )
    };
    let body = format!("{}{}output {{\n  metrics = [sink]\n  logs = [sink]\n}}", block("metric", "datapoint"), block("log", "log"));
    let h = Harness::start(&REGISTRATION, &body, &rec.scope("sink")).unwrap();
    let resource = Some(Resource { attributes: attrs(&[("k8s.namespace.name", V::StringValue("shop".into()))]), ..Default::default() });
    let point = HistogramDataPoint { count: 2, bucket_counts: vec![1, 1], explicit_bounds: vec![0.1], ..Default::default() };
    let metric = Metric {
        name: "latency".into(),
        data: Some(Data::Histogram(Histogram { data_points: vec![point; 2], aggregation_temporality: 2 })),
        ..Default::default()
    };
    send_metric_and_log(&h, resource, metric, LogRecord { severity_number: 9, ..Default::default() }).await;
    let (m, l) = (rec.metrics(), rec.logs());
    let got = m[0].decode().unwrap();
    let Some(Data::Histogram(histogram)) = &got.resource_metrics[0].scope_metrics[0].metrics[0].data else { panic!("a histogram") };
    for p in &histogram.data_points {
        assert_eq!(p.attributes, attrs(&[("k8s.namespace.name", V::StringValue("shop".into()))]));
        assert_eq!(p.bucket_counts, [1, 1], "the rest of the point as it came");
    }
    assert_eq!(
        l[0].decode().unwrap().resource_logs[0].scope_logs[0].log_records[0].attributes,
        attrs(&[("k8s.namespace.name", V::StringValue("shop".into()))])
    );
    assert!(m[0].bytes().ends_with(&UNKNOWN) && l[0].bytes().ends_with(&UNKNOWN), "the unknown fields are kept: neither request was decoded");
    assert_eq!((m[0].items(), l[0].items()), (2, 1));
    h.stop().await;
}

/// Field 25, varint 7: a field the agent does not know, which a plan on
/// the bytes keeps and decoding and encoding again would drop.
const UNKNOWN: [u8; 3] = [0xc8, 0x01, 0x07];

/// A metric request of `metric` and a log request of `record`, each under
/// `resource` and with [`UNKNOWN`] at the top, sent to the harness.
async fn send_metric_and_log(h: &Harness, resource: Option<Resource>, metric: Metric, record: LogRecord) {
    use crate::otlp::{Logs, Metrics};
    use prost::Message;
    let metrics = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource.clone(),
            scope_metrics: vec![ScopeMetrics { metrics: vec![metric], ..Default::default() }],
            ..Default::default()
        }],
    };
    let logs = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs { resource, scope_logs: vec![ScopeLogs { log_records: vec![record], ..Default::default() }], ..Default::default() }],
    };
    let with_unknown = |mut bytes: Vec<u8>| {
        bytes.extend_from_slice(&UNKNOWN);
        bytes
    };
    h.input().0.consume_metrics(Metrics::from_bytes(with_unknown(metrics.encode_to_vec()).into()).unwrap()).await.unwrap();
    h.input().0.consume_logs(Logs::from_bytes(with_unknown(logs.encode_to_vec()).into()).unwrap()).await.unwrap();
}

/// The metric functions as a config writes them, in the flat form whose
/// context is inferred (from `metric.` paths, or from the function alone):
/// a sum becomes a gauge, and a histogram's counts become a new sum that
/// the sink receives beside it, counted as items.
#[tokio::test]
async fn metric_functions_change_and_add_metrics_in_the_flat_form() {
    use crate::otlp::proto::metrics::v1::{metric::Data, number_data_point::Value as N, Histogram, HistogramDataPoint, NumberDataPoint, Sum};
    use crate::otlp::Metrics;
    let rec = Recorder::new();
    let body = r#"statements {
  metric = [
    `convert_sum_to_gauge() where metric.name == "requests"`,
    `extract_count_metric(true)`,
  ]
}
error_mode = "ignore"
output { metrics = [sink] }"#;
    let h = Harness::start(&REGISTRATION, body, &rec.scope("sink")).unwrap();
    let sum = Metric {
        name: "requests".into(),
        data: Some(Data::Sum(Sum {
            data_points: vec![NumberDataPoint { value: Some(N::AsInt(3)), ..Default::default() }],
            aggregation_temporality: 2,
            is_monotonic: true,
        })),
        ..Default::default()
    };
    let point = HistogramDataPoint { count: 4, bucket_counts: vec![1, 3], explicit_bounds: vec![0.1], ..Default::default() };
    let histogram = Metric {
        name: "latency".into(),
        data: Some(Data::Histogram(Histogram { data_points: vec![point], aggregation_temporality: 2 })),
        ..Default::default()
    };
    let req = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics { metrics: vec![sum, histogram], ..Default::default() }],
            ..Default::default()
        }],
    };
    h.input().0.consume_metrics(Metrics::from_message(req)).await.unwrap();
    let got = rec.metrics();
    let metrics = &got[0].decode().unwrap().resource_metrics[0].scope_metrics[0].metrics;
    let shapes: Vec<(&str, Option<i64>)> = metrics
        .iter()
        .map(|m| match &m.data {
            Some(Data::Gauge(g)) => (m.name.as_str(), g.data_points[0].value.map(|v| if let N::AsInt(i) = v { i } else { -1 })),
            Some(Data::Sum(s)) => (m.name.as_str(), s.data_points[0].value.map(|v| if let N::AsInt(i) = v { i } else { -1 })),
            _ => (m.name.as_str(), None),
        })
        .collect();
    // The gauge and the new sum; extract_count_metric fails on the gauge
    // and on the sum it made itself (ignored), as in the Collector.
    assert_eq!(shapes, [("requests", Some(3)), ("latency", None), ("latency_count", Some(4))]);
    assert_eq!(got[0].items(), 3, "the added point is counted as an item");
    h.stop().await;
}

/// A function of the `metric` context in a statement list that names a
/// data point path infers the `datapoint` context, where the function is
/// not: refused at load, pointing at the function, saying where it runs.
#[test]
fn a_metric_function_beside_a_datapoint_path_is_refused_at_its_name() {
    let (message, at) = pointed_at("statements {\nmetric = [`convert_sum_to_gauge()`, `limit(datapoint.attributes, 100, [])`]\n}");
    assert_eq!(at, "convert_sum_to_gauge", "{message}");
    assert!(message.contains("in the datapoint context"), "{message}");
    // Alone, with no path to go by, the function names its context.
    let r = rules("statements {\nmetric = [`convert_sum_to_gauge()`]\n}").unwrap();
    assert_eq!(r.metrics[0].group.schema.name, "metric");
    let r = rules("statements {\nmetric = [`merge_histogram_buckets(0.5)`]\n}").unwrap();
    assert_eq!(r.metrics[0].group.schema.name, "datapoint");
}

/// A metric function's literal that its factory refuses is a load error
/// at that argument, in the Collector's words.
#[test]
fn a_metric_functions_bad_literal_points_at_the_argument() {
    let block = |statement: &str| format!("metric_statements {{\ncontext = \"metric\"\nstatements = [`{statement}`]\n}}");
    let cases = [
        (r#"convert_gauge_to_sum("weekly", true)"#, r#""weekly""#, "unknown aggregation temporality: weekly"),
        (r#"aggregate_on_attributes("avg", ["a"])"#, r#""avg""#, "valid options: sum, mean, min, max, median, count"),
        (r#"extract_percentile_metric(101)"#, "101", "percentile must be between 0 and 100"),
        (r#"convert_exponential_histogram_to_histogram("upper", [2.0, 1.0])"#, "[2.0, 1.0]", "strictly increasing"),
        (r#"extract_sum_metric("yes")"#, r#""yes""#, "expected true or false"),
    ];
    for (statement, at, says) in cases {
        let (message, pointed) = pointed_at(&block(statement));
        assert_eq!(pointed, at, "{statement}: {message}");
        assert!(message.contains(says), "{statement}: {message}");
    }
}

/// Log statements beyond the plain steps (a function on the body, a
/// severity set) run on the request's bytes too: the unknown top-level
/// field comes through, so the request was not decoded, and the record
/// changed as decoding would change it.
#[tokio::test]
async fn log_statements_with_functions_run_on_the_bytes() {
    use crate::otlp::proto::common::v1::any_value::Value as V;
    use crate::otlp::proto::common::v1::AnyValue;
    use crate::otlp::Logs;
    use prost::Message;
    let rec = Recorder::new();
    let body = r#"log_statements {
  context    = "log"
  statements = [
    `replace_pattern(body, "token=[a-z0-9]+", "token=***")`,
    `set(severity_text, "ERROR") where IsMatch(body, "failed")`,
  ]
}
output { logs = [sink] }"#;
    let h = Harness::start(&REGISTRATION, body, &rec.scope("sink")).unwrap();
    let record = LogRecord { body: Some(AnyValue { value: Some(V::StringValue("login failed token=abc123".into())) }), ..Default::default() };
    let logs = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs { scope_logs: vec![ScopeLogs { log_records: vec![record], ..Default::default() }], ..Default::default() }],
    };
    let mut bytes = logs.encode_to_vec();
    bytes.extend_from_slice(&UNKNOWN);
    h.input().0.consume_logs(Logs::from_bytes(bytes.into()).unwrap()).await.unwrap();
    let got = rec.logs();
    assert!(got[0].bytes().ends_with(&UNKNOWN), "the unknown field is kept: the request was not decoded");
    let out = &got[0].decode().unwrap().resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(out.body, Some(AnyValue { value: Some(V::StringValue("login failed token=***".into())) }));
    assert_eq!(out.severity_text, "ERROR");
    h.stop().await;
}
