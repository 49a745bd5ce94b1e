//! Plans with `datapoint` and `log` blocks against the decoded path: each
//! program runs as a plan and decoded over metric requests with points of
//! every type and log requests, in plain and shuffled layouts (every
//! level's fields in any order, unknown fields, attributes among the
//! other fields), and the two results must be the same request.

use prost::Message;
use solder_syntax::ottl::ErrorMode;

use super::filter_tests::shuffled_levels;
use super::plan_tests::mutated;
use super::resource_tests::{groups, plan_agrees, Program};
use super::tests::rng;
use super::{run_plan, Plan};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, ArrayValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, number_data_point, summary_data_point::ValueAtQuantile, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint,
};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest};
use crate::ottl::{self, Group};

/// What the Kubernetes monitoring chart and most Prometheus setups write:
/// resource attributes copied onto every data point, so they become
/// labels.
const COPY_LABELS: &[&str] = &[
    r#"set(attributes["k8s.namespace.name"], resource.attributes["k8s.namespace.name"])"#,
    r#"set(attributes["service.name"], resource.attributes["service.name"])"#,
    r#"set(attributes["absent"], resource.attributes["not.there"])"#,
];

/// Steps of every kind a plan runs on attributes, for either context.
const EDITS: &[&str] = &[
    r#"set(attributes["cluster"], "prod-eu-1")"#,
    r#"delete_key(attributes, "drop.me")"#,
    r#"set(attributes["copy"], attributes["http.route"])"#,
    r#"replace_pattern(attributes["http.route"], "/[0-9]+", "/{id}")"#,
    r#"set(attributes["big"], true) where attributes["n"] > 2"#,
    r#"set(attributes["svc"], "x") where resource.attributes["service.name"] == "checkout""#,
    r#"set(attributes["dup.seen"], true) where attributes["dup"] == "one""#,
];

const POINT_PROGRAMS: &[Program] = &[
    &[("datapoint", COPY_LABELS)],
    &[("datapoint", EDITS)],
    &[("datapoint", &[r#"keep_keys(attributes, ["http.route", "dup", "n"])"#, r#"set(attributes["kept"], 1)"#])],
    &[("datapoint", &[r#"delete_matching_keys(attributes, "^(tmp|drop)\\.")"#])],
    &[("datapoint", &[r#"truncate_all(attributes, 4)"#])],
    // Conditions on the metric's name (written twice in some layouts:
    // the last counts).
    &[(
        "datapoint",
        &[
            r#"set(attributes["is_sum"], true) where metric.name == "sum""#,
            r#"delete_key(attributes, "dup") where metric.name != "histogram" and attributes["n"] < 3"#,
            r#"set(attributes["late"], 1) where metric.name == "late_1""#,
        ],
    )],
    // Nothing to do on most points: the request goes on as it came.
    &[("datapoint", &[r#"delete_key(attributes, "never")"#])],
    // Resource steps first: the copies see what they left.
    &[("resource", &[r#"set(attributes["k8s.namespace.name"], "set-here")"#, r#"delete_key(attributes, "service.name")"#]), ("datapoint", COPY_LABELS)],
    // Point steps first: they see the resource as received.
    &[("datapoint", COPY_LABELS), ("resource", &[r#"set(attributes["k8s.cluster.name"], "c")"#])],
];

const LOG_PROGRAMS: &[Program] = &[
    &[("log", COPY_LABELS)],
    &[("log", EDITS)],
    &[("log", &[r#"keep_keys(attributes, ["http.route", "n"])"#])],
    &[("log", &[r#"delete_matching_keys(attributes, "^(tmp|drop)\\.")"#, r#"truncate_all(attributes, 3)"#])],
    &[("resource", &[r#"set(attributes["k8s.namespace.name"], "set-here")"#]), ("log", COPY_LABELS)],
];

/// Programs a plan leaves to the other paths: paths of the metric, the
/// body, fields other than attributes.
const NOT_PLANNED: &[Program] = &[
    &[("datapoint", &[r#"set(attributes["metric"], metric.name)"#])],
    &[("datapoint", &[r#"set(attributes["a"], "b") where metric.unit == "s""#])],
    &[("datapoint", &[r#"set(attributes["a"], "b") where flags == 0"#])],
    &[("metric", &[r#"set(description, "d")"#])],
    &[("log", &[r#"set(body, "redacted")"#])],
    &[("log", &[r#"set(attributes["level"], severity_text)"#])],
    &[("log", &[r#"set(severity_number, 9)"#])],
];

fn kv(key: &str, value: V) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }), ..Default::default() }
}

fn text(key: &str, value: &str) -> KeyValue {
    kv(key, V::StringValue(value.into()))
}

/// Attributes of every kind a step reads or writes: a route with ids, a
/// number, a key written twice (the first counts), a list, ones to drop,
/// one without a value, one long enough for a cut.
fn attributes(i: usize) -> Vec<KeyValue> {
    let mut attrs = vec![text("http.route", &format!("/users/{}", 120 + i)), kv("n", V::IntValue(i as i64)), text("dup", "one"), kv("dup", V::IntValue(2))];
    if i.is_multiple_of(2) {
        attrs.push(text("drop.me", "x"));
        attrs.push(text("tmp.id", "abcdef"));
        attrs.push(kv("list", V::ArrayValue(ArrayValue { values: vec![AnyValue { value: Some(V::StringValue("long enough".into())) }] })));
    }
    if i.is_multiple_of(3) {
        attrs.push(KeyValue { key: "nothing".into(), value: None, ..Default::default() });
        attrs.push(text("service.name", "own"));
    }
    attrs
}

fn resource(service: &str) -> Option<Resource> {
    Some(Resource {
        attributes: vec![text("service.name", service), text("k8s.namespace.name", "shop"), text("k8s.namespace.name", "second")],
        dropped_attributes_count: 1,
        ..Default::default()
    })
}

/// Metrics of every data type, with points that carry exemplars (whose
/// own attributes no step touches), over resources with and without
/// attributes, and without a resource.
pub(super) fn metrics() -> ExportMetricsServiceRequest {
    let exemplar = Exemplar { filtered_attributes: vec![text("drop.me", "kept")], value: Some(exemplar::Value::AsInt(3)), ..Default::default() };
    let number = |i: usize| NumberDataPoint {
        attributes: attributes(i),
        time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
        value: Some(number_data_point::Value::AsDouble(i as f64)),
        exemplars: if i == 1 { vec![exemplar.clone()] } else { vec![] },
        ..Default::default()
    };
    let histogram = HistogramDataPoint { attributes: attributes(2), count: 3, bucket_counts: vec![1, 2], explicit_bounds: vec![0.5], ..Default::default() };
    let exponential = ExponentialHistogramDataPoint {
        attributes: attributes(3),
        count: 1,
        positive: Some(Buckets { offset: 1, bucket_counts: vec![1] }),
        ..Default::default()
    };
    let summary =
        SummaryDataPoint { attributes: attributes(4), count: 4, quantile_values: vec![ValueAtQuantile { quantile: 0.5, value: 1.0 }], ..Default::default() };
    let metric = |name: &str, data: Option<Data>| Metric { name: name.into(), unit: "s".into(), data, ..Default::default() };
    let all = vec![
        metric("gauge", Some(Data::Gauge(Gauge { data_points: vec![number(0), number(1)] }))),
        metric("sum", Some(Data::Sum(Sum { data_points: vec![number(2), number(3), number(5)], aggregation_temporality: 2, is_monotonic: true }))),
        metric("histogram", Some(Data::Histogram(Histogram { data_points: vec![histogram.clone(), histogram], aggregation_temporality: 1 }))),
        metric("exponential", Some(Data::ExponentialHistogram(ExponentialHistogram { data_points: vec![exponential], aggregation_temporality: 2 }))),
        metric("summary", Some(Data::Summary(Summary { data_points: vec![summary] }))),
        metric("none", None),
        metric("empty", Some(Data::Gauge(Gauge::default()))),
    ];
    let scope = |name: &str| Some(InstrumentationScope { name: name.into(), ..Default::default() });
    ExportMetricsServiceRequest {
        resource_metrics: vec![
            ResourceMetrics {
                resource: resource("checkout"),
                scope_metrics: vec![
                    ScopeMetrics { scope: scope("a"), metrics: all[..3].to_vec(), ..Default::default() },
                    ScopeMetrics { scope: scope("b"), metrics: all[3..].to_vec(), ..Default::default() },
                ],
                ..Default::default()
            },
            ResourceMetrics { resource: None, scope_metrics: vec![ScopeMetrics { metrics: all.clone(), ..Default::default() }], ..Default::default() },
            ResourceMetrics { resource: resource("cart"), scope_metrics: vec![ScopeMetrics::default()], ..Default::default() },
        ],
    }
}

fn logs() -> ExportLogsServiceRequest {
    let record = |i: usize| LogRecord {
        time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
        severity_number: 9,
        severity_text: "INFO".into(),
        body: Some(AnyValue { value: Some(V::StringValue(format!("GET /users/{i}"))) }),
        attributes: attributes(i),
        trace_id: vec![7; 16],
        span_id: vec![8; 8],
        ..Default::default()
    };
    let scope = |records: Vec<LogRecord>| ScopeLogs { log_records: records, ..Default::default() };
    ExportLogsServiceRequest {
        resource_logs: vec![
            ResourceLogs { resource: resource("checkout"), scope_logs: vec![scope((0..4).map(record).collect()), scope(vec![])], ..Default::default() },
            ResourceLogs { resource: None, scope_logs: vec![scope((4..7).map(record).collect())], ..Default::default() },
        ],
    }
}

/// A message's bytes with its fields shuffled and, now and then, an
/// unknown field among them.
fn shuffled_fields(bytes: &[u8], next: &mut dyn FnMut() -> u64) -> Vec<u8> {
    let mut fields = Vec::new();
    let mut buf = bytes;
    while !buf.is_empty() {
        let before = buf.len();
        let (tag, wire_type) = prost::encoding::decode_key(&mut buf).expect("key");
        prost::encoding::skip_field(wire_type, tag, &mut buf, Default::default()).expect("field");
        let at = bytes.len() - before;
        fields.push(bytes[at..at + before - buf.len()].to_vec());
    }
    if next().is_multiple_of(3) {
        let mut unknown = Vec::new();
        prost::encoding::uint64::encode(100, &next(), &mut unknown);
        fields.push(unknown);
    }
    for i in (1..fields.len()).rev() {
        fields.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    fields.concat()
}

/// The metric request with each data point's and each data message's
/// fields shuffled (attributes among the rest), then every level above
/// shuffled as [`shuffled_levels`] does (a metric's name now and then
/// written twice).
pub(super) fn shuffled_metrics(req: &ExportMetricsServiceRequest, seed: u64) -> Vec<u8> {
    let mut next = rng(seed);
    let mut bytes = Vec::new();
    for rm in &req.resource_metrics {
        let mut rm_body = Vec::new();
        if let Some(r) = &rm.resource {
            prost::encoding::message::encode(1, r, &mut rm_body);
        }
        for sm in &rm.scope_metrics {
            let mut sm_body = Vec::new();
            if let Some(s) = &sm.scope {
                prost::encoding::message::encode(1, s, &mut sm_body);
            }
            for m in &sm.metrics {
                let mut m_body = Metric { data: None, ..m.clone() }.encode_to_vec();
                if let Some(data) = &m.data {
                    let (tag, whole) = match data {
                        Data::Gauge(d) => (5, d.encode_to_vec()),
                        Data::Sum(d) => (7, d.encode_to_vec()),
                        Data::Histogram(d) => (9, d.encode_to_vec()),
                        Data::ExponentialHistogram(d) => (10, d.encode_to_vec()),
                        Data::Summary(d) => (11, d.encode_to_vec()),
                    };
                    // Each point (field 1 of the data message) shuffled,
                    // then the data message's own fields.
                    let mut data_body = Vec::new();
                    let mut buf = &whole[..];
                    while !buf.is_empty() {
                        let start = whole.len() - buf.len();
                        let (t, wire_type) = prost::encoding::decode_key(&mut buf).expect("key");
                        let mut field = Vec::new();
                        if t == 1 {
                            let len = prost::encoding::decode_varint(&mut buf).expect("length") as usize;
                            let point = shuffled_fields(&buf[..len], &mut next);
                            buf = &buf[len..];
                            prost::encoding::bytes::encode(1, &point, &mut field);
                        } else {
                            prost::encoding::skip_field(wire_type, t, &mut buf, Default::default()).expect("field");
                            field.extend_from_slice(&whole[start..whole.len() - buf.len()]);
                        }
                        data_body.push(field);
                    }
                    for i in (1..data_body.len()).rev() {
                        data_body.swap(i, (next() % (i as u64 + 1)) as usize);
                    }
                    prost::encoding::bytes::encode(tag, &data_body.concat(), &mut m_body);
                }
                prost::encoding::bytes::encode(2, &m_body, &mut sm_body);
            }
            prost::encoding::bytes::encode(2, &sm_body, &mut rm_body);
        }
        prost::encoding::bytes::encode(1, &rm_body, &mut bytes);
    }
    shuffled_levels(&bytes, seed, |next| Metric { name: format!("late_{}", next() % 3), ..Default::default() }.encode_to_vec())
}

/// The log request with every level's fields shuffled (attributes among
/// the rest), a severity now and then written twice (the last counts).
fn shuffled_logs(req: &ExportLogsServiceRequest, seed: u64) -> Vec<u8> {
    shuffled_levels(&req.encode_to_vec(), seed, |next| LogRecord { severity_number: (next() % 20) as i32 + 1, ..Default::default() }.encode_to_vec())
}

fn transform_metrics(gs: &[Group], r: &mut ExportMetricsServiceRequest) {
    ottl::transform_metrics(gs, r, ErrorMode::Propagate, &mut Vec::new()).expect("plain steps do not fail");
}

fn transform_logs(gs: &[Group], r: &mut ExportLogsServiceRequest) {
    ottl::transform_logs(gs, r, ErrorMode::Propagate, &mut Vec::new()).expect("plain steps do not fail");
}

#[test]
fn every_datapoint_plan_gives_what_decoding_gives() {
    let req = metrics();
    for program in POINT_PROGRAMS {
        assert!(plan_agrees(program, &req.encode_to_vec(), transform_metrics), "{program:?}: the plan should run on a plain request");
        for seed in 1..=24 {
            assert!(plan_agrees(program, &shuffled_metrics(&req, seed), transform_metrics), "seed {seed}, {program:?}: the plan should run");
        }
    }
}

#[test]
fn every_log_plan_gives_what_decoding_gives() {
    let req = logs();
    for program in LOG_PROGRAMS {
        assert!(plan_agrees(program, &req.encode_to_vec(), transform_logs), "{program:?}: the plan should run on a plain request");
        for seed in 1..=24 {
            assert!(plan_agrees(program, &shuffled_logs(&req, seed), transform_logs), "seed {seed}, {program:?}: the plan should run");
        }
    }
}

#[test]
fn other_metric_and_log_programs_get_no_plan() {
    for program in NOT_PLANNED {
        assert!(Plan::compile(&groups(program)).is_none(), "{program:?} should be left to the evaluator");
    }
}

/// The labels copied onto a point of each type land in that type's
/// attributes field: a number point's 7, a histogram point's 9, an
/// exponential histogram point's 1, a summary point's 7.
#[test]
fn copied_labels_land_on_points_of_every_type() {
    let plan = Plan::compile(&groups(&[("datapoint", COPY_LABELS)])).expect("a plan");
    let out = run_plan(&plan, &metrics().encode_to_vec()).expect("runs").expect("changed");
    let got = ExportMetricsServiceRequest::decode(&out[..]).expect("valid");
    let mut seen = 0;
    for m in &got.resource_metrics[0].scope_metrics.iter().flat_map(|s| &s.metrics).collect::<Vec<_>>() {
        let points: Vec<&[KeyValue]> = match &m.data {
            Some(Data::Gauge(d)) => d.data_points.iter().map(|p| &p.attributes[..]).collect(),
            Some(Data::Sum(d)) => d.data_points.iter().map(|p| &p.attributes[..]).collect(),
            Some(Data::Histogram(d)) => d.data_points.iter().map(|p| &p.attributes[..]).collect(),
            Some(Data::ExponentialHistogram(d)) => d.data_points.iter().map(|p| &p.attributes[..]).collect(),
            Some(Data::Summary(d)) => d.data_points.iter().map(|p| &p.attributes[..]).collect(),
            None => vec![],
        };
        for attrs in points {
            let namespace = attrs.iter().find(|a| a.key == "k8s.namespace.name").and_then(|a| a.value.clone());
            assert_eq!(namespace, Some(AnyValue { value: Some(V::StringValue("shop".into())) }), "{}: the resource's first entry", m.name);
            seen += 1;
        }
    }
    assert_eq!(seen, 9, "every point of the first resource");
}

/// prost keeps the last of two data fields (or merges two of one type);
/// a plan leaves such a metric to decoding, as it does a point field of
/// a wire type decoding refuses.
#[test]
fn odd_metrics_are_left_to_decoding() {
    let plan = Plan::compile(&groups(&[("datapoint", COPY_LABELS)])).expect("a plan");
    let gauge = Gauge { data_points: vec![NumberDataPoint { attributes: attributes(0), ..Default::default() }] };
    let mut two = Metric { name: "twice".into(), data: Some(Data::Gauge(gauge.clone())), ..Default::default() }.encode_to_vec();
    prost::encoding::message::encode(7, &Sum { data_points: gauge.data_points.clone(), ..Default::default() }, &mut two);
    // A point whose time (fixed64) is written as a varint.
    let mut point = NumberDataPoint { attributes: attributes(1), ..Default::default() }.encode_to_vec();
    prost::encoding::uint64::encode(3, &5, &mut point);
    let mut data = Vec::new();
    prost::encoding::bytes::encode(1, &point, &mut data);
    let mut wrong = Metric { name: "wrong".into(), ..Default::default() }.encode_to_vec();
    prost::encoding::bytes::encode(5, &data, &mut wrong);
    for metric in [two, wrong] {
        let bytes = super::filter_tests::one_item(&metric);
        assert!(run_plan(&plan, &bytes).is_err(), "left to decoding");
    }
}

/// Byte-level mutations of metric and log requests: no panic on any
/// bytes, and on those the receiver passes on, a plan that runs gives
/// what decoding gives.
#[test]
fn mutated_metric_and_log_requests_never_panic_and_valid_ones_agree() {
    use crate::otlp::{wire::validate, Signal};
    let (m, l) = (metrics(), logs());
    let metric_seeds = [m.encode_to_vec(), shuffled_metrics(&m, 3), shuffled_metrics(&m, 11)];
    let log_seeds = [l.encode_to_vec(), shuffled_logs(&l, 5)];
    let mut next = rng(0xD47A_0017);
    let (mut valid, mut ran) = (0, 0);
    for round in 0..3000 {
        let (program, bytes, signal) = if round % 2 == 0 {
            (POINT_PROGRAMS[round / 2 % POINT_PROGRAMS.len()], mutated(&metric_seeds[round % 3], &mut next), Signal::Metrics)
        } else {
            (LOG_PROGRAMS[round / 2 % LOG_PROGRAMS.len()], mutated(&log_seeds[round % 2], &mut next), Signal::Logs)
        };
        let plan = Plan::compile(&groups(program)).expect("a plan");
        let planned = run_plan(&plan, &bytes);
        let receivable = validate(signal, &bytes).is_ok()
            && match signal {
                Signal::Metrics => ExportMetricsServiceRequest::decode(&bytes[..]).is_ok(),
                _ => ExportLogsServiceRequest::decode(&bytes[..]).is_ok(),
            };
        if !receivable {
            continue;
        }
        valid += 1;
        if planned.is_ok() {
            ran += 1;
            let agrees = match signal {
                Signal::Metrics => plan_agrees(program, &bytes, transform_metrics),
                _ => plan_agrees(program, &bytes, transform_logs),
            };
            assert!(agrees, "round {round}");
        }
    }
    eprintln!("{valid} valid mutations, {ran} run by the plan");
    assert!(valid >= 100 && ran >= 50, "{valid} valid mutations, {ran} run by the plan");
}
