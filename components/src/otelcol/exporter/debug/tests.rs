//! Golden outputs for every signal at every verbosity (in `testdata/`,
//! one file per case, in the Collector's layout), the Go-style value
//! rendering, sampling, and the component writing through its input.
//!
//! `SOLDER_BLESS=1 cargo test ...` rewrites the golden files from the
//! current output, for review in the diff.

use std::path::PathBuf;

use super::text::{as_string, go_f, go_v, json_float, timestamp};
use super::*;
use crate::otlp::proto::common::v1::{any_value::Value as V, AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::{
    self as pm, exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point, summary_data_point::ValueAtQuantile, Exemplar,
    ExponentialHistogramDataPoint, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, SummaryDataPoint,
};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};

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

#[test]
fn arguments_default_as_in_alloy() {
    let body = crate::harness::evaluate(REGISTRATION.name, "", &solder_syntax::Scope::new()).unwrap();
    assert_eq!(crate::decode::decode::<Arguments>(&body).unwrap(), arguments(2, 1));
}
