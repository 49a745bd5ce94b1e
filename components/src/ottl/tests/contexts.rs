//! The `resource`, `scope`, `metric`, `datapoint` and `log` contexts.

use solder_syntax::ottl::{Key, Value};

use super::{get, k, kv, set, sv, Above};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, ArrayValue};
use crate::otlp::proto::logs::v1::LogRecord;
use crate::otlp::proto::metrics::v1::exponential_histogram_data_point::Buckets;
use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::number_data_point::Value as Number;
use crate::otlp::proto::metrics::v1::*;
use crate::ottl::datapoint::Point;
use crate::ottl::*;

#[test]
fn resource_and_scope_contexts() {
    let mut above = Above::new();
    let (resource, scope) = above.views();
    let mut ctx = ScopeContext { resource, scope };
    assert_eq!(get(&ctx, &SCOPE, "name", &[]), Ok(Value::str("lib")));
    assert_eq!(get(&ctx, &SCOPE, "schema_url", &[]), Ok(Value::str("https://s")));
    assert_eq!(get(&ctx, &SCOPE, "resource.attributes", &[k("host")]), Ok(Value::str("a")));
    set(&mut ctx, &SCOPE, "version", &[], Value::str("2")).unwrap();
    set(&mut ctx, &SCOPE, "attributes", &[], Value::Map(vec![("a".into(), Value::Int(1))])).unwrap();
    set(&mut ctx, &SCOPE, "resource.schema_url", &[], Value::str("r2")).unwrap();
    let (resource, _) = above.views();
    let mut ctx = ResourceContext { resource };
    assert_eq!(get(&ctx, &RESOURCE, "schema_url", &[]), Ok(Value::str("r2")));
    assert_eq!(get(&ctx, &RESOURCE, "dropped_attributes_count", &[]), Ok(Value::Int(1)));
    set(&mut ctx, &RESOURCE, "attributes", &[k("host")], Value::Nil).unwrap();
    assert_eq!(get(&ctx, &RESOURCE, "attributes", &[k("host")]), Ok(Value::Nil));
    assert_eq!(set(&mut ctx, &RESOURCE, "schema_url", &[], Value::Int(1)), Err("expects string but got int64".into()));
    let scope = above.scope.unwrap();
    assert_eq!((scope.version.as_str(), scope.attributes), ("2", vec![kv("a", V::IntValue(1))]));
}

fn sum() -> Metric {
    let point = NumberDataPoint {
        attributes: vec![kv("p", sv("1"))],
        start_time_unix_nano: 10,
        time_unix_nano: 20,
        flags: 1,
        value: Some(Number::AsInt(4)),
        ..Default::default()
    };
    Metric {
        name: "requests".into(),
        description: "d".into(),
        unit: "1".into(),
        metadata: vec![kv("m", sv("v"))],
        data: Some(Data::Sum(Sum { data_points: vec![point], aggregation_temporality: 2, is_monotonic: true })),
    }
}

#[test]
fn metric_paths_follow_the_metric_type() {
    let mut above = Above::new();
    let mut m = sum();
    let (resource, scope) = above.views();
    let mut ctx = MetricContext { resource, scope, metric: &mut m, added: None };
    for (name, want) in [
        ("name", Value::str("requests")),
        ("description", Value::str("d")),
        ("unit", Value::str("1")),
        ("type", Value::Int(2)),
        ("aggregation_temporality", Value::Int(2)),
        ("is_monotonic", Value::Bool(true)),
        ("metadata", Value::Map(vec![("m".into(), Value::str("v"))])),
        ("instrumentation_scope.name", Value::str("lib")),
    ] {
        assert_eq!(get(&ctx, &METRIC, name, &[]), Ok(want), "{name}");
    }
    set(&mut ctx, &METRIC, "aggregation_temporality", &[], Value::Int(1)).unwrap();
    set(&mut ctx, &METRIC, "is_monotonic", &[], Value::Bool(false)).unwrap();
    set(&mut ctx, &METRIC, "unit", &[], Value::str("s")).unwrap();
    set(&mut ctx, &METRIC, "metadata", &[k("n")], Value::Int(1)).unwrap();
    set(&mut ctx, &METRIC, "type", &[], Value::Int(1)).unwrap();
    assert_eq!(get(&ctx, &METRIC, "type", &[]), Ok(Value::Int(2)), "the Collector ignores writes to type");
    assert_eq!(set(&mut ctx, &METRIC, "is_monotonic", &[], Value::Int(1)), Err("expects bool but got int64".into()));
    let Some(Data::Sum(s)) = &m.data else { panic!() };
    assert_eq!((s.aggregation_temporality, s.is_monotonic, m.unit.as_str(), m.metadata.len()), (1, false, "s", 2));

    let mut gauge = Metric { data: Some(Data::Gauge(Gauge::default())), ..Default::default() };
    let (resource, scope) = above.views();
    let mut ctx = MetricContext { resource, scope, metric: &mut gauge, added: None };
    assert_eq!(get(&ctx, &METRIC, "aggregation_temporality", &[]), Ok(Value::Nil));
    assert_eq!(get(&ctx, &METRIC, "is_monotonic", &[]), Ok(Value::Nil));
    assert_eq!(set(&mut ctx, &METRIC, "aggregation_temporality", &[], Value::Int(1)), Ok(()));
    assert_eq!(gauge, Metric { data: Some(Data::Gauge(Gauge::default())), ..Default::default() });
}

#[test]
fn number_points_and_their_metric() {
    let mut above = Above::new();
    let mut m = sum();
    let mut points = match &mut m.data {
        Some(Data::Sum(s)) => std::mem::take(&mut s.data_points),
        _ => unreachable!(),
    };
    let (resource, scope) = above.views();
    let mut ctx = DatapointContext { resource, scope, metric: &mut m, point: Point::Number(&mut points[0]), added: None };
    for (name, want) in [
        ("attributes", Value::Map(vec![("p".into(), Value::str("1"))])),
        ("start_time_unix_nano", Value::Int(10)),
        ("time", Value::Time(20)),
        ("flags", Value::Int(1)),
        ("value_int", Value::Int(4)),
        ("value_double", Value::Double(0.0)),
        ("count", Value::Nil),
        ("bucket_counts", Value::Nil),
        ("metric.name", Value::str("requests")),
        ("metric.aggregation_temporality", Value::Int(2)),
        ("resource.attributes", Value::Map(vec![("host".into(), Value::str("a"))])),
    ] {
        assert_eq!(get(&ctx, &DATAPOINT, name, &[]), Ok(want), "{name}");
    }
    set(&mut ctx, &DATAPOINT, "value_double", &[], Value::Double(1.5)).unwrap();
    assert_eq!(get(&ctx, &DATAPOINT, "value_int", &[]), Ok(Value::Int(0)));
    set(&mut ctx, &DATAPOINT, "attributes", &[k("q")], Value::str("2")).unwrap();
    set(&mut ctx, &DATAPOINT, "time_unix_nano", &[], Value::Int(30)).unwrap();
    set(&mut ctx, &DATAPOINT, "start_time", &[], Value::Time(5)).unwrap();
    set(&mut ctx, &DATAPOINT, "count", &[], Value::Int(3)).unwrap();
    set(&mut ctx, &DATAPOINT, "metric.name", &[], Value::str("renamed")).unwrap();
    assert_eq!(set(&mut ctx, &DATAPOINT, "value_int", &[], Value::Double(1.0)), Err("expects int64 but got float64".into()));
    let p = &points[0];
    assert_eq!((p.value, p.time_unix_nano, p.start_time_unix_nano, p.attributes.len()), (Some(Number::AsDouble(1.5)), 30, 5, 2));
    assert_eq!(m.name, "renamed");
}

#[test]
fn histogram_exponential_and_summary_points() {
    let mut above = Above::new();
    let mut m = Metric::default();
    let mut h = HistogramDataPoint { count: 3, sum: Some(6.0), bucket_counts: vec![1, 2], explicit_bounds: vec![5.0], ..Default::default() };
    let (resource, scope) = above.views();
    let mut ctx = DatapointContext { resource, scope, metric: &mut m, point: Point::Histogram(&mut h), added: None };
    assert_eq!(get(&ctx, &DATAPOINT, "count", &[]), Ok(Value::Int(3)));
    assert_eq!(get(&ctx, &DATAPOINT, "sum", &[]), Ok(Value::Double(6.0)));
    assert_eq!(get(&ctx, &DATAPOINT, "bucket_counts", &[]), Ok(Value::List(vec![Value::Int(1), Value::Int(2)])));
    assert_eq!(get(&ctx, &DATAPOINT, "explicit_bounds", &[]), Ok(Value::List(vec![Value::Double(5.0)])));
    assert_eq!(get(&ctx, &DATAPOINT, "value_int", &[]), Ok(Value::Nil));
    set(&mut ctx, &DATAPOINT, "bucket_counts", &[], Value::List(vec![Value::Int(3), Value::Int(0)])).unwrap();
    set(&mut ctx, &DATAPOINT, "explicit_bounds", &[], Value::List(vec![Value::Double(1.0)])).unwrap();
    set(&mut ctx, &DATAPOINT, "sum", &[], Value::Double(9.0)).unwrap();
    set(&mut ctx, &DATAPOINT, "value_int", &[], Value::Int(1)).unwrap();
    assert!(set(&mut ctx, &DATAPOINT, "explicit_bounds", &[], Value::List(vec![Value::Int(1)])).is_err());
    assert!(set(&mut ctx, &DATAPOINT, "bucket_counts", &[], Value::Int(1)).is_err());
    assert_eq!((h.bucket_counts.as_slice(), h.explicit_bounds.as_slice(), h.sum), (&[3, 0][..], &[1.0][..], Some(9.0)));

    let mut e = ExponentialHistogramDataPoint { scale: 2, zero_count: 1, positive: Some(Buckets { offset: -1, bucket_counts: vec![4] }), ..Default::default() };
    let (resource, scope) = above.views();
    let mut ctx = DatapointContext { resource, scope, metric: &mut m, point: Point::Exponential(&mut e), added: None };
    assert_eq!(get(&ctx, &DATAPOINT, "scale", &[]), Ok(Value::Int(2)));
    assert_eq!(get(&ctx, &DATAPOINT, "zero_count", &[]), Ok(Value::Int(1)));
    assert_eq!(get(&ctx, &DATAPOINT, "positive.offset", &[]), Ok(Value::Int(-1)));
    assert_eq!(get(&ctx, &DATAPOINT, "positive.bucket_counts", &[]), Ok(Value::List(vec![Value::Int(4)])));
    assert_eq!(get(&ctx, &DATAPOINT, "negative.bucket_counts", &[]), Ok(Value::List(vec![])));
    set(&mut ctx, &DATAPOINT, "negative.offset", &[], Value::Int(3)).unwrap();
    set(&mut ctx, &DATAPOINT, "negative.bucket_counts", &[], Value::List(vec![Value::Int(7)])).unwrap();
    set(&mut ctx, &DATAPOINT, "scale", &[], Value::Int(1)).unwrap();
    assert_eq!(e.negative, Some(Buckets { offset: 3, bucket_counts: vec![7] }));
    assert_eq!(e.scale, 1);

    let mut s = SummaryDataPoint { count: 2, sum: 1.5, ..Default::default() };
    let (resource, scope) = above.views();
    let mut ctx = DatapointContext { resource, scope, metric: &mut m, point: Point::Summary(&mut s), added: None };
    assert_eq!(get(&ctx, &DATAPOINT, "sum", &[]), Ok(Value::Double(1.5)));
    assert_eq!(get(&ctx, &DATAPOINT, "explicit_bounds", &[]), Ok(Value::Nil));
    set(&mut ctx, &DATAPOINT, "count", &[], Value::Int(5)).unwrap();
    assert_eq!(s.count, 5);
}

fn record(body: V) -> LogRecord {
    LogRecord {
        time_unix_nano: 1,
        observed_time_unix_nano: 2,
        severity_number: 9,
        severity_text: "INFO".into(),
        body: Some(AnyValue { value: Some(body) }),
        attributes: vec![kv("a", sv("b"))],
        flags: 1,
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        event_name: "e".into(),
        ..Default::default()
    }
}

#[test]
fn log_paths() {
    let mut above = Above::new();
    let mut r = record(sv("hello"));
    let (resource, scope) = above.views();
    let mut ctx = LogContext { resource, scope, record: &mut r };
    for (name, want) in [
        ("body", Value::str("hello")),
        ("body.string", Value::str("hello")),
        ("attributes", Value::Map(vec![("a".into(), Value::str("b"))])),
        ("time_unix_nano", Value::Int(1)),
        ("observed_time", Value::Time(2)),
        ("severity_number", Value::Int(9)),
        ("severity_text", Value::str("INFO")),
        ("flags", Value::Int(1)),
        ("trace_id.string", Value::str("01".repeat(16))),
        ("span_id", Value::Bytes(vec![2; 8])),
        ("event_name", Value::str("e")),
        ("dropped_attributes_count", Value::Int(0)),
    ] {
        assert_eq!(get(&ctx, &LOG, name, &[]), Ok(want), "{name}");
    }
    assert_eq!(get(&ctx, &LOG, "body", &[k("x")]), Err("log bodies of type Str cannot be indexed".into()));
    set(&mut ctx, &LOG, "severity_text", &[], Value::str("WARN")).unwrap();
    set(&mut ctx, &LOG, "severity_number", &[], Value::Int(13)).unwrap();
    set(&mut ctx, &LOG, "observed_time_unix_nano", &[], Value::Int(3)).unwrap();
    set(&mut ctx, &LOG, "time", &[], Value::Time(4)).unwrap();
    set(&mut ctx, &LOG, "span_id.string", &[], Value::str("0303030303030303")).unwrap();
    set(&mut ctx, &LOG, "event_name", &[], Value::str("f")).unwrap();
    set(&mut ctx, &LOG, "body", &[], Value::Map(vec![("msg".into(), Value::str("hi"))])).unwrap();
    set(&mut ctx, &LOG, "body", &[k("level")], Value::Int(2)).unwrap();
    assert_eq!(get(&ctx, &LOG, "body", &[k("msg")]), Ok(Value::str("hi")));
    assert_eq!(get(&ctx, &LOG, "body", &[k("absent")]), Ok(Value::Nil));
    assert_eq!(get(&ctx, &LOG, "body.string", &[]), Ok(Value::str(r#"{"level":2,"msg":"hi"}"#)));
    assert_eq!(set(&mut ctx, &LOG, "body", &[Key::Int(0)], Value::Int(1)).unwrap_err(), "unable to resolve a string index in map: invalid key type");
    assert_eq!(set(&mut ctx, &LOG, "body.string", &[], Value::Int(1)), Err("expects string but got int64".into()));
    assert_eq!((r.severity_text.as_str(), r.severity_number, r.observed_time_unix_nano, r.time_unix_nano), ("WARN", 13, 3, 4));
    assert_eq!((r.span_id.clone(), r.event_name.as_str()), (vec![3; 8], "f"));
}

#[test]
fn list_and_empty_log_bodies() {
    let mut above = Above::new();
    let list = V::ArrayValue(ArrayValue { values: vec![AnyValue { value: Some(sv("x")) }] });
    let mut r = record(list);
    let (resource, scope) = above.views();
    let mut ctx = LogContext { resource, scope, record: &mut r };
    assert_eq!(get(&ctx, &LOG, "body", &[Key::Int(0)]), Ok(Value::str("x")));
    set(&mut ctx, &LOG, "body", &[Key::Int(0)], Value::str("y")).unwrap();
    assert_eq!(set(&mut ctx, &LOG, "body", &[Key::Int(1)], Value::str("z")), Err("index 1 out of bounds".into()));
    set(&mut ctx, &LOG, "body.string", &[], Value::str("plain")).unwrap();
    set(&mut ctx, &LOG, "body", &[], Value::Nil).unwrap();
    assert_eq!(get(&ctx, &LOG, "body", &[]), Ok(Value::Nil));
    assert_eq!(get(&ctx, &LOG, "body.string", &[]), Ok(Value::str("")));
    assert_eq!(set(&mut ctx, &LOG, "body", &[k("a")], Value::Int(1)), Err("log bodies of type Empty cannot be indexed".into()));
}
