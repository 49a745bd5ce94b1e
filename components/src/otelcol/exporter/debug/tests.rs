//! Golden outputs for every signal at every verbosity (in `testdata/`,
//! one file per case, in the Collector's layout), the Go-style value
//! rendering, sampling, and the component writing through its input.
//!
//! `SOLDER_BLESS=1 cargo test ...` rewrites the golden files from the
//! current output, for review in the diff. Those goldens only hold the
//! output still; the `collector_*` tests hold it to the Collector's own
//! expected text (`testdata/collector/`, never blessed), for the inputs of
//! the Collector's tests.

use std::path::PathBuf;

use prost::Message;

use super::*;
use crate::otlp::proto::common::v1::{any_value::Value as V, AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::{
    self as pm, exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point, summary_data_point::ValueAtQuantile, Exemplar,
    ExponentialHistogramDataPoint, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, SummaryDataPoint,
};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::text::go::{as_string, go_f, go_v, json_float, timestamp};

/// 2020-02-11 20:26:12.000000321 UTC and a second later plus a bit.
const START: u64 = 1_581_452_772_000_000_321;
const END: u64 = 1_581_452_773_000_000_789;

fn kv(k: &str, v: V) -> KeyValue {
    KeyValue { key: k.into(), value: Some(AnyValue { value: Some(v) }), ..Default::default() }
}

fn s(v: &str) -> V {
    V::StringValue(v.into())
}

fn resource() -> Option<Resource> {
    Some(Resource { attributes: vec![kv("service.name", s("checkout")), kv("host.cpus", V::IntValue(4))], ..Default::default() })
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope { name: "io.opentelemetry.http".into(), version: "1.2.0".into(), attributes: vec![kv("lib", s("http"))], ..Default::default() })
}

fn traces() -> ExportTraceServiceRequest {
    let server = Span {
        trace_id: (1..=16).collect(),
        span_id: (17..=24).collect(),
        trace_state: "ot=th:0".into(),
        name: "GET /cart".into(),
        kind: span::SpanKind::Server as i32,
        start_time_unix_nano: START,
        end_time_unix_nano: END,
        attributes: vec![kv("http.method", s("GET")), kv("http.status_code", V::IntValue(500)), kv("retry", V::BoolValue(false))],
        dropped_attributes_count: 1,
        events: vec![
            span::Event {
                time_unix_nano: START + 500,
                name: "exception".into(),
                attributes: vec![kv("exception.type", s("IOError"))],
                dropped_attributes_count: 2,
            },
            span::Event { time_unix_nano: START + 600, name: "retry".into(), ..Default::default() },
        ],
        dropped_events_count: 3,
        links: vec![span::Link {
            trace_id: vec![0xab; 16],
            span_id: vec![0xcd; 8],
            trace_state: "k=v".into(),
            attributes: vec![kv("link", s("yes"))],
            ..Default::default()
        }],
        status: Some(Status { message: "upstream failed".into(), code: 2 }),
        ..Default::default()
    };
    let client = Span {
        trace_id: (1..=16).collect(),
        span_id: vec![0x42; 8],
        parent_span_id: (17..=24).collect(),
        name: "SELECT carts".into(),
        kind: span::SpanKind::Client as i32,
        start_time_unix_nano: START,
        end_time_unix_nano: START + 1_500_000,
        ..Default::default()
    };
    let bare = ResourceSpans {
        scope_spans: vec![ScopeSpans { spans: vec![Span { name: "bare".into(), ..Default::default() }], ..Default::default() }],
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                resource: resource(),
                scope_spans: vec![ScopeSpans { scope: scope(), spans: vec![server, client], schema_url: "https://opentelemetry.io/schemas/1.21.0".into() }],
                schema_url: "https://opentelemetry.io/schemas/1.24.0".into(),
            },
            bare,
        ],
    }
}

fn number(v: number_data_point::Value, attrs: Vec<KeyValue>) -> NumberDataPoint {
    NumberDataPoint { attributes: attrs, start_time_unix_nano: START, time_unix_nano: END, value: Some(v), ..Default::default() }
}

fn metric(name: &str, data: Data) -> Metric {
    Metric { name: name.into(), description: format!("{name} description"), unit: "1".into(), data: Some(data), ..Default::default() }
}

fn metrics() -> ExportMetricsServiceRequest {
    let exemplar = Exemplar {
        filtered_attributes: vec![kv("user", s("u1"))],
        time_unix_nano: START + 123,
        span_id: vec![0x11; 8],
        trace_id: vec![0x22; 16],
        value: Some(exemplar::Value::AsDouble(15.0)),
    };
    let mut gauge =
        metric("queue.depth", Data::Gauge(pm::Gauge { data_points: vec![number(number_data_point::Value::AsInt(123), vec![kv("queue", s("a"))])] }));
    gauge.metadata = vec![kv("owner", s("platform"))];
    let metrics = vec![
        gauge,
        metric(
            "requests",
            Data::Sum(pm::Sum {
                data_points: vec![
                    number(number_data_point::Value::AsDouble(1.23), vec![kv("code", s("200")), kv("method", s("GET"))]),
                    number(number_data_point::Value::AsDouble(2_500_000.0), vec![]),
                ],
                aggregation_temporality: 2,
                is_monotonic: true,
            }),
        ),
        metric(
            "latency",
            Data::Histogram(pm::Histogram {
                data_points: vec![HistogramDataPoint {
                    attributes: vec![kv("route", s("/cart"))],
                    start_time_unix_nano: START,
                    time_unix_nano: END,
                    count: 3,
                    sum: Some(15.5),
                    bucket_counts: vec![1, 2, 0],
                    explicit_bounds: vec![5.0, 10.0],
                    exemplars: vec![exemplar],
                    min: Some(0.5),
                    max: Some(9.0),
                    ..Default::default()
                }],
                aggregation_temporality: 1,
            }),
        ),
        metric(
            "sizes",
            Data::ExponentialHistogram(pm::ExponentialHistogram {
                data_points: vec![ExponentialHistogramDataPoint {
                    start_time_unix_nano: START,
                    time_unix_nano: END,
                    count: 5,
                    sum: Some(0.15),
                    scale: 1,
                    zero_count: 1,
                    positive: Some(Buckets { offset: 1, bucket_counts: vec![1, 1] }),
                    negative: Some(Buckets { offset: 0, bucket_counts: vec![1, 1] }),
                    zero_threshold: 0.001,
                    ..Default::default()
                }],
                aggregation_temporality: 1,
            }),
        ),
        metric(
            "rtt",
            Data::Summary(pm::Summary {
                data_points: vec![SummaryDataPoint {
                    start_time_unix_nano: START,
                    time_unix_nano: END,
                    count: 4,
                    sum: 12.5,
                    quantile_values: vec![ValueAtQuantile { quantile: 0.5, value: 3.0 }, ValueAtQuantile { quantile: 0.99, value: 4.25 }],
                    ..Default::default()
                }],
            }),
        ),
        Metric { name: "nothing".into(), ..Default::default() },
    ];
    let mut resource = resource();
    if let Some(r) = resource.as_mut() {
        r.entity_refs = vec![EntityRef { r#type: "service".into(), id_keys: vec!["service.name".into()], ..Default::default() }];
    }
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource,
            scope_metrics: vec![ScopeMetrics { scope: scope(), metrics, schema_url: String::new() }],
            schema_url: String::new(),
        }],
    }
}

fn logs() -> ExportLogsServiceRequest {
    let structured = V::KvlistValue(KeyValueList {
        values: vec![
            kv("z", V::DoubleValue(1.5)),
            kv("a", V::ArrayValue(ArrayValue { values: vec![AnyValue { value: Some(s("<b>")) }, AnyValue { value: Some(V::BytesValue(vec![1, 2, 3])) }] })),
        ],
    });
    let records = vec![
        LogRecord {
            time_unix_nano: END,
            severity_number: 9,
            severity_text: "Info".into(),
            body: Some(AnyValue { value: Some(s("user logged in")) }),
            attributes: vec![kv("user.id", V::IntValue(42)), kv("ok", V::BoolValue(true))],
            trace_id: vec![0x08, 0x04, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            span_id: vec![1, 2, 4, 8, 0, 0, 0, 0],
            flags: 1,
            event_name: "login".into(),
            ..Default::default()
        },
        LogRecord { observed_time_unix_nano: START, severity_number: 17, body: Some(AnyValue { value: Some(structured) }), ..Default::default() },
    ];
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(),
            scope_logs: vec![ScopeLogs { scope: scope(), log_records: records, schema_url: String::new() }],
            schema_url: String::new(),
        }],
    }
}

fn golden(name: &str, got: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/otelcol/exporter/debug/testdata").join(name);
    if std::env::var_os("SOLDER_BLESS").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(got == want, "{name} differs from its golden file:\n--- want\n{want}\n--- got\n{got}");
}

#[test]
fn golden_outputs() {
    for (verbosity, suffix) in [(Verbosity::Basic, "basic"), (Verbosity::Normal, "normal"), (Verbosity::Detailed, "detailed")] {
        golden(&format!("traces_{suffix}.txt"), &render_traces(&traces(), verbosity));
        golden(&format!("metrics_{suffix}.txt"), &render_metrics(&metrics(), verbosity));
        golden(&format!("logs_{suffix}.txt"), &render_logs(&logs(), verbosity));
    }
}

#[test]
fn values_render_as_go_renders_them() {
    assert_eq!(timestamp(0), "1970-01-01 00:00:00 +0000 UTC");
    assert_eq!(timestamp(START), "2020-02-11 20:26:12.000000321 +0000 UTC");
    assert_eq!(timestamp(951_782_400_500_000_000), "2000-02-29 00:00:00.5 +0000 UTC");
    assert_eq!(
        [go_v(1.0), go_v(0.5), go_v(123456.0), go_v(1e6), go_v(1234567.0), go_v(0.0001), go_v(0.00001)],
        ["1", "0.5", "123456", "1e+06", "1.234567e+06", "0.0001", "1e-05"]
    );
    assert_eq!([go_f(1.23), go_f(f64::INFINITY), go_f(f64::NAN)], ["1.230000", "+Inf", "NaN"]);
    assert_eq!([json_float(1e21), json_float(1e20), json_float(1e-7), json_float(-0.5)], ["1e+21", "100000000000000000000", "1e-7", "-0.5"]);
    let any = |v| Some(AnyValue { value: Some(v) });
    assert_eq!(as_string(any(V::BytesValue(b"hello".to_vec())).as_ref()), "aGVsbG8=");
    assert_eq!(as_string(any(V::DoubleValue(2.0)).as_ref()), "2");
    let map = V::KvlistValue(KeyValueList { values: vec![kv("b", s("x\"y\n")), kv("a", V::IntValue(1)), kv("b", V::BoolValue(true))] });
    assert_eq!(as_string(any(map).as_ref()), r#"{"a":1,"b":true}"#, "sorted keys, the last duplicate wins");
    assert_eq!(as_string(None), "");
}

fn arguments(initial: u32, thereafter: u32) -> Arguments {
    Arguments { verbosity: Verbosity::Basic, sampling_initial: initial, sampling_thereafter: thereafter, use_internal_logger: true }
}

#[test]
fn sampling_writes_the_first_n_per_second_then_every_mth() {
    let t0 = Instant::now();
    let pattern = |s: &mut Sampler, at: Instant| (0..8).map(|_| s.admit(Signal::Traces, at)).collect::<Vec<_>>();
    let mut s = Sampler::new(&arguments(2, 3));
    assert_eq!(pattern(&mut s, t0), [true, true, false, false, true, false, false, true]);
    // Each signal counts on its own.
    assert!(s.admit(Signal::Logs, t0));
    // A new second starts over.
    assert_eq!(pattern(&mut s, t0 + Duration::from_secs(1)), [true, true, false, false, true, false, false, true]);
    // The defaults write everything; thereafter = 0 writes only the first.
    assert!(pattern(&mut Sampler::new(&arguments(2, 1)), t0).iter().all(|w| *w));
    assert_eq!(pattern(&mut Sampler::new(&arguments(1, 0)), t0), [true, false, false, false, false, false, false, false]);
}

#[tokio::test]
async fn the_component_writes_what_its_input_receives() {
    let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
    let writer: Writer = buffer.clone();
    let exporter = DebugExporter::new(Arguments { verbosity: Verbosity::Normal, ..arguments(1, 0) }, Some(writer));
    let input = exporter.exports().input.downcast::<ConsumerHandle>().unwrap().clone();
    assert!([Signal::Traces, Signal::Metrics, Signal::Logs].iter().all(|s| input.0.accepts(*s)));

    input.0.consume_traces(Encoded::from_message(traces())).await.unwrap();
    input.0.consume_metrics(Encoded::from_message(metrics())).await.unwrap();
    input.0.consume_logs(Encoded::from_message(logs())).await.unwrap();
    // Sampled out: the second batch of traces in the same second.
    input.0.consume_traces(Encoded::from_message(traces())).await.unwrap();

    let written = String::from_utf8(lock(&buffer).clone()).unwrap();
    let want = [render_traces(&traces(), Verbosity::Normal), render_metrics(&metrics(), Verbosity::Normal), render_logs(&logs(), Verbosity::Normal)].concat();
    assert_eq!(written, want);
    let Value::Object(info) = exporter.debug_info() else { panic!() };
    assert_eq!((info.get("batches_written"), info.get("batches_sampled_out")), (Some(&Value::int(3)), Some(&Value::int(1))));
    assert_eq!(exporter.health().state, HealthState::Healthy);
}

/// `basic` reads its counts from the wire: a batch that prost cannot
/// decode (a span name that is not UTF-8) still gets its summary, the same
/// text as rendering the decoded request; `normal`, which needs the
/// decode, refuses it.
#[tokio::test]
async fn basic_never_decodes() {
    let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
    let writer: Writer = buffer.clone();
    let basic = DebugExporter::new(arguments(10, 1), Some(writer.clone()));
    let input = basic.exports().input.downcast::<ConsumerHandle>().unwrap().clone();
    input.0.consume_traces(Encoded::from_message(traces())).await.unwrap();
    input.0.consume_metrics(Encoded::from_message(metrics())).await.unwrap();
    input.0.consume_logs(Encoded::from_message(logs())).await.unwrap();
    let want = [render_traces(&traces(), Verbosity::Basic), render_metrics(&metrics(), Verbosity::Basic), render_logs(&logs(), Verbosity::Basic)].concat();
    assert_eq!(String::from_utf8(std::mem::take(&mut *lock(&buffer))).unwrap(), want);

    let mut bytes = traces().encode_to_vec();
    let at = bytes.windows(9).position(|w| w == b"GET /cart").unwrap();
    bytes[at] = 0xff;
    let malformed = Traces::from_validated_part(bytes.into(), Some(3), None);
    assert!(malformed.decode().is_err(), "the payload must not decode for this test to mean anything");
    let malformed = Traces::from_validated_part(malformed.bytes().clone(), Some(3), None);
    input.0.consume_traces(malformed.clone()).await.unwrap();
    assert_eq!(String::from_utf8(lock(&buffer).clone()).unwrap(), "Traces {\"resource spans\": 2, \"spans\": 3}\n");

    let normal = DebugExporter::new(Arguments { verbosity: Verbosity::Normal, ..arguments(10, 1) }, Some(writer));
    let input = normal.exports().input.downcast::<ConsumerHandle>().unwrap().clone();
    assert!(input.0.consume_traces(malformed).await.is_err());
}

#[test]
fn arguments_default_as_in_alloy() {
    let body = crate::harness::evaluate(REGISTRATION.name, "", &solder_syntax::Scope::new()).unwrap();
    assert_eq!(crate::decode::decode::<Arguments>(&body).unwrap(), arguments(2, 1));
}

// ---------------------------------------------------------------- the Collector's own expectations

/// `testdata/collector/NAME.txt` is what the Collector's debug exporter
/// writes for an input the caller rebuilt from the Collector's tests (see
/// the README there). Solder's first line, the batch summary, is the
/// message of the Collector's log entry rather than part of its text, so
/// only what follows it is compared.
fn matches_collector(name: &str, rendered: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/otelcol/exporter/debug/testdata/collector").join(format!("{name}.txt"));
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (summary, got) = rendered.split_once('\n').unwrap_or((rendered, ""));
    assert!(summary.ends_with('}'), "{name}: the first line should be the batch summary, got {summary:?}");
    assert!(got == want, "{name} differs from the Collector's output:\n--- Collector\n{want}\n--- Solder\n{got}");
}

/// `pdata/testdata`'s resource: one attribute.
fn collector_resource() -> Option<Resource> {
    Some(Resource { attributes: vec![kv("resource-attr", s("resource-attr-val-1"))], ..Default::default() })
}

/// 2020-02-11 20:26:12.000000321, 20:26:13.000000123 and 20:26:13.000000789.
const SPAN_START: u64 = 1_581_452_772_000_000_321;
const SPAN_EVENT: u64 = 1_581_452_773_000_000_123;
const SPAN_END: u64 = 1_581_452_773_000_000_789;

#[test]
fn collector_detailed_traces() {
    // testdata.GenerateTraces(2): operationA with events, operationB with links.
    let a = Span {
        name: "operationA".into(),
        start_time_unix_nano: SPAN_START,
        end_time_unix_nano: SPAN_END,
        dropped_attributes_count: 1,
        trace_state: "ot=th:0".into(),
        trace_id: (1..=16).collect(),
        span_id: (0x11..=0x18).collect(),
        events: vec![
            span::Event {
                time_unix_nano: SPAN_EVENT,
                name: "event-with-attr".into(),
                attributes: vec![kv("span-event-attr", s("span-event-attr-val"))],
                dropped_attributes_count: 2,
            },
            span::Event { time_unix_nano: SPAN_EVENT, name: "event".into(), attributes: vec![], dropped_attributes_count: 2 },
        ],
        dropped_events_count: 1,
        status: Some(Status { message: "status-cancelled".into(), code: 2 }),
        ..Default::default()
    };
    let b = Span {
        name: "operationB".into(),
        start_time_unix_nano: SPAN_START,
        end_time_unix_nano: SPAN_END,
        links: vec![
            span::Link { attributes: vec![kv("span-link-attr", s("span-link-attr-val"))], dropped_attributes_count: 4, ..Default::default() },
            span::Link { dropped_attributes_count: 4, ..Default::default() },
        ],
        dropped_links_count: 3,
        ..Default::default()
    };
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: collector_resource(),
            scope_spans: vec![ScopeSpans { spans: vec![a, b], ..Default::default() }],
            ..Default::default()
        }],
    };
    matches_collector("detailed_traces_two_spans", &render_traces(&req, Verbosity::Detailed));
}

#[test]
fn collector_detailed_logs() {
    let at = 1_581_452_773_000_000_789;
    let one = LogRecord {
        time_unix_nano: at,
        dropped_attributes_count: 1,
        severity_number: 9,
        severity_text: "Info".into(),
        span_id: vec![1, 2, 4, 8, 0, 0, 0, 0],
        trace_id: [vec![8, 4, 2, 1], vec![0; 12]].concat(),
        attributes: vec![kv("app", s("server")), kv("instance_num", V::IntValue(1))],
        body: Some(AnyValue { value: Some(s("This is a log message")) }),
        ..Default::default()
    };
    let two = LogRecord {
        time_unix_nano: at,
        dropped_attributes_count: 1,
        severity_number: 9,
        severity_text: "Info".into(),
        attributes: vec![kv("customer", s("acme")), kv("env", s("dev"))],
        body: Some(AnyValue { value: Some(s("something happened")) }),
        ..Default::default()
    };
    let req = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: collector_resource(),
            scope_logs: vec![ScopeLogs { log_records: vec![one, two], ..Default::default() }],
            ..Default::default()
        }],
    };
    matches_collector("detailed_logs_two_records", &render_logs(&req, Verbosity::Detailed));
}

/// The resource and scope of the Collector's normal-verbosity tests.
fn normal_resource_and_scope() -> (Option<Resource>, Option<InstrumentationScope>) {
    let resource = Resource { attributes: vec![kv("resourceKey1", s("resourceValue1")), kv("resourceKey2", V::BoolValue(false))], ..Default::default() };
    let scope = InstrumentationScope {
        name: "scope-name".into(),
        version: "1.2.3".into(),
        attributes: vec![kv("scopeKey1", s("scopeValue1")), kv("scopeKey2", V::BoolValue(true))],
        ..Default::default()
    };
    (Some(resource), Some(scope))
}

const RESOURCE_SCHEMA: &str = "https://opentelemetry.io/resource-schema-url";
const SCOPE_SCHEMA: &str = "http://opentelemetry.io/scope-schema-url";

#[test]
fn collector_normal_traces() {
    let span = Span {
        name: "span-name".into(),
        trace_id: (1..=16).collect(),
        span_id: (0x11..=0x18).collect(),
        attributes: vec![kv("key1", s("value1")), kv("key2", s("value2"))],
        ..Default::default()
    };
    let (resource, scope) = normal_resource_and_scope();
    let with = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource,
            scope_spans: vec![ScopeSpans { scope, spans: vec![span.clone()], schema_url: SCOPE_SCHEMA.into() }],
            schema_url: RESOURCE_SCHEMA.into(),
        }],
    };
    matches_collector("normal_traces_with_resource_and_scope", &render_traces(&with, Verbosity::Normal));
    let bare = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans { scope_spans: vec![ScopeSpans { spans: vec![span], ..Default::default() }], ..Default::default() }],
    };
    matches_collector("normal_traces_one_span", &render_traces(&bare, Verbosity::Normal));
}

#[test]
fn collector_normal_logs() {
    // 2024-01-23 17:54:41.000000153 UTC; normal verbosity does not show it.
    let at = 1_706_032_481_000_000_153;
    let record = |body: V, attributes: Vec<KeyValue>| LogRecord {
        time_unix_nano: at,
        severity_number: 9,
        severity_text: "INFO".into(),
        body: Some(AnyValue { value: Some(body) }),
        attributes,
        ..Default::default()
    };
    let key12 = || vec![kv("key1", s("value1")), kv("key2", s("value2"))];
    let bare = |records: Vec<LogRecord>| ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs { scope_logs: vec![ScopeLogs { log_records: records, ..Default::default() }], ..Default::default() }],
    };
    let single = record(s("Single line log message"), key12());

    matches_collector("normal_logs_one_record", &render_logs(&bare(vec![single.clone()]), Verbosity::Normal));

    let (resource, scope) = normal_resource_and_scope();
    let with = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource,
            scope_logs: vec![ScopeLogs { scope, log_records: vec![single.clone()], schema_url: SCOPE_SCHEMA.into() }],
            schema_url: RESOURCE_SCHEMA.into(),
        }],
    };
    matches_collector("normal_logs_with_resource_and_scope", &render_logs(&with, Verbosity::Normal));

    let multiline = record(s("First line of the log message\n  second line of the log message"), key12());
    matches_collector("normal_logs_multiline", &render_logs(&bare(vec![multiline]), Verbosity::Normal));

    let second = LogRecord {
        body: Some(AnyValue { value: Some(s("Multi-line\nlog message")) }),
        attributes: vec![kv("mykey2", s("myvalue2")), kv("mykey1", s("myvalue1"))],
        ..Default::default()
    };
    matches_collector("normal_logs_two_records", &render_logs(&bare(vec![single, second]), Verbosity::Normal));

    let map = |fields: Vec<KeyValue>| V::KvlistValue(KeyValueList { values: fields });
    let body = map(vec![kv("app", s("CurrencyConverter")), kv("event", map(vec![kv("operation", s("convert")), kv("result", s("success"))]))]);
    let conversion = map(vec![
        kv("source", map(vec![kv("currency", s("USD")), kv("amount", V::DoubleValue(34.22))])),
        kv("destination", map(vec![kv("currency", s("EUR"))])),
    ]);
    let maps = LogRecord { time_unix_nano: SPAN_END, ..record(body, vec![kv("conversion", conversion), kv("service", s("payments"))]) };
    matches_collector("normal_logs_maps", &render_logs(&bare(vec![maps]), Verbosity::Normal));
}

/// `pdata/testdata`'s data point labels: `label-N = label-value-N` for each N.
fn labels(ns: &[u8]) -> Vec<KeyValue> {
    ns.iter().map(|n| kv(&format!("label-{n}"), s(&format!("label-value-{n}")))).collect()
}

/// `pdata/testdata`'s metric points share the span timestamps: start,
/// time, and the exemplar at SPAN_EVENT.
fn collector_number(attributes: Vec<KeyValue>, value: number_data_point::Value) -> NumberDataPoint {
    NumberDataPoint { attributes, start_time_unix_nano: SPAN_START, time_unix_nano: SPAN_END, value: Some(value), ..Default::default() }
}

fn collector_exemplar(value: exemplar::Value) -> Exemplar {
    Exemplar {
        filtered_attributes: vec![kv("exemplar-attachment", s("exemplar-attachment-value"))],
        time_unix_nano: SPAN_EVENT,
        span_id: (0x11..=0x18).collect(),
        trace_id: (1..=16).collect(),
        value: Some(value),
    }
}

/// `pdata/testdata`'s `initMetric`: no description, unit `1`; sums are
/// monotonic and cumulative, histograms cumulative, exponential
/// histograms delta.
fn collector_metric(name: &str, data: Data) -> Metric {
    Metric { name: name.into(), unit: "1".into(), data: Some(data), ..Default::default() }
}

/// `testdata.GenerateMetricsAllTypes()`: each of the seven metrics with
/// its two data points, flags never set.
fn collector_all_types() -> Vec<Metric> {
    use number_data_point::Value::{AsDouble, AsInt};
    let ints = || vec![collector_number(labels(&[1]), AsInt(123)), collector_number(labels(&[2]), AsInt(456))];
    let doubles = || vec![collector_number(labels(&[1, 2]), AsDouble(1.23)), collector_number(labels(&[1, 3]), AsDouble(4.56))];
    let sum = |data_points| Data::Sum(pm::Sum { data_points, aggregation_temporality: 2, is_monotonic: true });
    let point_times = |attributes| HistogramDataPoint { attributes, start_time_unix_nano: SPAN_START, time_unix_nano: SPAN_END, ..Default::default() };
    let histogram = vec![
        HistogramDataPoint { count: 1, sum: Some(15.0), ..point_times(labels(&[1, 3])) },
        HistogramDataPoint {
            count: 1,
            sum: Some(15.0),
            min: Some(15.0),
            max: Some(15.0),
            bucket_counts: vec![0, 1],
            explicit_bounds: vec![1.0],
            exemplars: vec![collector_exemplar(exemplar::Value::AsDouble(15.0))],
            ..point_times(labels(&[2]))
        },
    ];
    let exponential = vec![
        ExponentialHistogramDataPoint {
            attributes: labels(&[1, 3]),
            start_time_unix_nano: SPAN_START,
            time_unix_nano: SPAN_END,
            count: 5,
            sum: Some(0.15),
            zero_count: 1,
            scale: 1,
            positive: Some(Buckets { offset: 1, bucket_counts: vec![1, 1] }),
            negative: Some(Buckets { offset: -1, bucket_counts: vec![1, 1] }),
            ..Default::default()
        },
        ExponentialHistogramDataPoint {
            attributes: labels(&[2]),
            start_time_unix_nano: SPAN_START,
            time_unix_nano: SPAN_END,
            count: 3,
            sum: Some(1.25),
            min: Some(0.0),
            max: Some(1.0),
            zero_count: 1,
            scale: -1,
            positive: Some(Buckets { offset: -1, bucket_counts: vec![1, 1] }),
            exemplars: vec![collector_exemplar(exemplar::Value::AsInt(15))],
            ..Default::default()
        },
    ];
    let summary = |attributes, quantile_values| SummaryDataPoint {
        attributes,
        start_time_unix_nano: SPAN_START,
        time_unix_nano: SPAN_END,
        count: 1,
        sum: 15.0,
        quantile_values,
        ..Default::default()
    };
    vec![
        collector_metric("gauge-int", Data::Gauge(pm::Gauge { data_points: ints() })),
        collector_metric("gauge-double", Data::Gauge(pm::Gauge { data_points: doubles() })),
        collector_metric("sum-int", sum(ints())),
        collector_metric("sum-double", sum(doubles())),
        collector_metric("histogram", Data::Histogram(pm::Histogram { data_points: histogram, aggregation_temporality: 2 })),
        collector_metric(
            "exponential-histogram",
            Data::ExponentialHistogram(pm::ExponentialHistogram { data_points: exponential, aggregation_temporality: 1 }),
        ),
        collector_metric(
            "summary",
            Data::Summary(pm::Summary {
                data_points: vec![summary(labels(&[1, 3]), vec![]), summary(labels(&[2]), vec![ValueAtQuantile { quantile: 0.01, value: 15.0 }])],
            }),
        ),
    ]
}

/// One resource and one scope holding `metrics`.
fn one_scope(resource: Option<Resource>, scope: Option<InstrumentationScope>, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics { resource, scope_metrics: vec![ScopeMetrics { scope, metrics, ..Default::default() }], ..Default::default() }],
    }
}

#[test]
fn collector_detailed_metrics() {
    let all = collector_all_types();
    matches_collector("detailed_metrics_all_types", &render_metrics(&one_scope(collector_resource(), None, all.clone()), Verbosity::Detailed));
    // testdata.GenerateMetrics(2): the first two of the same seven.
    let two = all[..2].to_vec();
    matches_collector("detailed_metrics_two_metrics", &render_metrics(&one_scope(collector_resource(), None, two), Verbosity::Detailed));

    // generateMetricsWithEntityRefs(): setupResourceWithEntityRefs and a
    // gauge with no timestamps.
    let resource = Resource {
        attributes: vec![kv("service.name", s("my-service")), kv("service.version", s("1.0.0")), kv("host.name", s("server-01"))],
        entity_refs: vec![
            EntityRef {
                r#type: "service".into(),
                schema_url: "https://opentelemetry.io/schemas/1.21.0".into(),
                id_keys: vec!["service.name".into()],
                description_keys: vec!["service.version".into()],
            },
            EntityRef { r#type: "host".into(), id_keys: vec!["host.name".into()], ..Default::default() },
        ],
        ..Default::default()
    };
    let scope = InstrumentationScope { name: "test-scope".into(), ..Default::default() };
    let gauge = Metric {
        name: "test-metric".into(),
        description: "A test metric".into(),
        unit: "1".into(),
        data: Some(Data::Gauge(pm::Gauge {
            data_points: vec![NumberDataPoint {
                attributes: vec![kv("test.attribute", s("test-value"))],
                value: Some(number_data_point::Value::AsDouble(123.45)),
                ..Default::default()
            }],
        })),
        ..Default::default()
    };
    matches_collector("detailed_metrics_with_entity_refs", &render_metrics(&one_scope(Some(resource), Some(scope.clone()), vec![gauge]), Verbosity::Detailed));

    // metrics_with_metadata.out: every field is visible in the expected
    // text (the Go test that builds it is not in the index; see README).
    let resource = Resource { attributes: vec![kv("service.name", s("test-service"))], ..Default::default() };
    let with_metadata = Metric {
        name: "test-metric-metadata".into(),
        description: "A test metric with metadata".into(),
        unit: "1".into(),
        metadata: vec![kv("meta.key", s("meta-value")), kv("meta.id", V::IntValue(101))],
        data: Some(Data::Gauge(pm::Gauge { data_points: vec![NumberDataPoint { value: Some(number_data_point::Value::AsInt(1)), ..Default::default() }] })),
    };
    matches_collector("detailed_metrics_with_metadata", &render_metrics(&one_scope(Some(resource), Some(scope), vec![with_metadata]), Verbosity::Detailed));
}

#[test]
fn collector_normal_metrics() {
    let point_attrs = |a: &str, b: &str| vec![kv("state", s(a)), kv("cpu", s(b))];
    let http = || vec![kv("http.response.status_code", V::IntValue(200)), kv("http.request.method", s("GET"))];
    let bare = |metric: Metric| one_scope(None, None, vec![metric]);
    let normal = |name: &str, metric: Metric| matches_collector(name, &render_metrics(&bare(metric), Verbosity::Normal));
    let named = |name: &str, data: Data| Metric { name: name.into(), data: Some(data), ..Default::default() };

    matches_collector("normal_metrics_empty", &render_metrics(&ExportMetricsServiceRequest::default(), Verbosity::Normal));

    let cpu_time = named(
        "system.cpu.time",
        Data::Sum(pm::Sum {
            data_points: vec![NumberDataPoint {
                attributes: point_attrs("user", "0"),
                value: Some(number_data_point::Value::AsDouble(123.456)),
                ..Default::default()
            }],
            ..Default::default()
        }),
    );
    normal("normal_metrics_sum", cpu_time.clone());

    let (resource, scope) = normal_resource_and_scope();
    let with = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource,
            scope_metrics: vec![ScopeMetrics { scope, metrics: vec![cpu_time], schema_url: SCOPE_SCHEMA.into() }],
            schema_url: RESOURCE_SCHEMA.into(),
        }],
    };
    matches_collector("normal_metrics_with_resource_and_scope", &render_metrics(&with, Verbosity::Normal));

    // The documented difference (see the component's page): scope lines
    // are numbered by scope. The Collector's `normal/metrics.go` (90ed7dd)
    // writes the resource's number instead, `ScopeMetrics #0` twice here.
    let scopes = ResourceMetrics { scope_metrics: vec![ScopeMetrics::default(), ScopeMetrics::default()], ..Default::default() };
    let rendered = render_metrics(&ExportMetricsServiceRequest { resource_metrics: vec![scopes] }, Verbosity::Normal);
    assert_eq!(rendered.split_once('\n').map(|(_, text)| text), Some("ResourceMetrics #0\nScopeMetrics #0\nScopeMetrics #1\n"));

    let utilization =
        NumberDataPoint { attributes: point_attrs("free", "8"), value: Some(number_data_point::Value::AsDouble(78.901234567)), ..Default::default() };
    normal("normal_metrics_gauge", named("system.cpu.utilization", Data::Gauge(pm::Gauge { data_points: vec![utilization] })));

    let histogram = HistogramDataPoint {
        attributes: http(),
        explicit_bounds: vec![0.125, 0.5, 1.0, 3.0],
        bucket_counts: vec![1324, 13, 0, 2, 1],
        count: 1340,
        sum: Some(99.573),
        min: Some(0.017),
        max: Some(8.13),
        ..Default::default()
    };
    normal(
        "normal_metrics_histogram",
        named("http.server.request.duration", Data::Histogram(pm::Histogram { data_points: vec![histogram], ..Default::default() })),
    );

    // No buckets set: the Collector (at the commit in the README) prints
    // none for exponential histograms at normal verbosity.
    let exponential =
        ExponentialHistogramDataPoint { attributes: http(), count: 1340, sum: Some(99.573), min: Some(0.017), max: Some(8.13), ..Default::default() };
    let exponential = pm::ExponentialHistogram { data_points: vec![exponential], ..Default::default() };
    normal("normal_metrics_exponential_histogram", named("http.server.request.duration", Data::ExponentialHistogram(exponential)));

    let summary = SummaryDataPoint {
        attributes: http(),
        count: 1340,
        sum: 99.573,
        quantile_values: vec![ValueAtQuantile { quantile: 0.01, value: 15.0 }],
        ..Default::default()
    };
    normal("normal_metrics_summary", named("summary", Data::Summary(pm::Summary { data_points: vec![summary] })));
}
