//! The wire metric filter against the decoded one: each list of `metric`
//! conditions runs both ways over metric requests of every layout (every
//! data type, fields shuffled, empty scopes and resources, random
//! mutations), and both must drop the same metrics, count the same data
//! points, prune the same scopes and resources, and report or refuse the
//! same errors.

use prost::Message;
use solder_syntax::ottl::{funcs, Conditions, ErrorMode};

use super::filter::{filter_metrics, supports_metrics, Outcome};
use super::filter_tests::{agree, on_every_layout, one_item, over_mutations, shuffled_levels};
use super::WireFailure;
use crate::otlp::data_points;
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::{
    exponential_histogram_data_point::Buckets, number_data_point, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::ExportMetricsServiceRequest;
use crate::ottl;

const LISTS: &[&[&str]] = &[
    // What metric filters are written for: metrics nobody charts.
    &[r#"name == "http.server.request.duration""#],
    &[r#"IsMatch(name, "^go_")"#, r#"IsMatch(name, "^process_")"#],
    &[r#"type == METRIC_DATA_TYPE_SUM and is_monotonic == true"#],
    &[r#"aggregation_temporality == AGGREGATION_TEMPORALITY_DELTA"#, r#"type == METRIC_DATA_TYPE_HISTOGRAM"#],
    &[r#"type == METRIC_DATA_TYPE_SUMMARY or type == METRIC_DATA_TYPE_NONE"#],
    &[r#"unit == "ms" or description == "Heap in use.""#, r#"metadata["source"] == "jmx""#],
    &[r#"resource.attributes["service.name"] == "cart" and instrumentation_scope.version == "1.2""#],
    &[r#"is_monotonic == nil"#],
    // Every metric: the request is emptied.
    &[r#"instrumentation_scope.name != "never""#],
    // No metric: the request goes on as it came.
    &[r#"name == "absent""#],
    // Fails on short names: reported (ignore) or refusing (propagate) as
    // decoding does.
    &[r#"Substring(name, 0, 12) == "http.server.""#],
];

fn conditions(list: &[&str]) -> Conditions {
    Conditions::compile(&ottl::METRIC, funcs::table(), list).unwrap_or_else(|e| panic!("{list:?}: {e:?}"))
}

fn kv(key: &str, v: &str) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(V::StringValue(v.into())) }), ..Default::default() }
}

fn number(v: f64) -> NumberDataPoint {
    NumberDataPoint { time_unix_nano: 1_700_000_000_000_000_000, value: Some(number_data_point::Value::AsDouble(v)), ..Default::default() }
}

fn metric(name: &str, unit: &str, data: Option<Data>) -> Metric {
    Metric { name: name.into(), unit: unit.into(), data, ..Default::default() }
}

/// Metrics of every data type (and one of none), over two resources and
/// three scopes.
fn request() -> ExportMetricsServiceRequest {
    let sum = |monotonic, temporality, points: usize| {
        Some(Data::Sum(Sum { data_points: (0..points).map(|i| number(i as f64)).collect(), aggregation_temporality: temporality, is_monotonic: monotonic }))
    };
    let histogram = Histogram {
        data_points: vec![HistogramDataPoint { count: 3, bucket_counts: vec![1, 2], explicit_bounds: vec![0.5], ..Default::default() }; 2],
        aggregation_temporality: 2,
    };
    let exponential = ExponentialHistogram {
        data_points: vec![ExponentialHistogramDataPoint { count: 1, positive: Some(Buckets { offset: 1, bucket_counts: vec![1] }), ..Default::default() }],
        aggregation_temporality: 1,
    };
    let metrics = vec![
        metric("http.server.request.duration", "s", Some(Data::Histogram(histogram))),
        metric("http.server.active_requests", "{request}", sum(false, 2, 3)),
        metric("requests", "1", sum(true, 2, 2)),
        Metric {
            description: "Heap in use.".into(),
            ..metric("go_memstats_heap_inuse_bytes", "By", Some(Data::Gauge(Gauge { data_points: vec![number(1.0)] })))
        },
        metric("process_cpu_seconds_total", "s", sum(true, 1, 1)),
        metric("rpc.latency", "ms", Some(Data::ExponentialHistogram(exponential))),
        metric("rpc.summary", "ms", Some(Data::Summary(Summary { data_points: vec![SummaryDataPoint { count: 4, ..Default::default() }] }))),
        metric("jvm.threads", "", Some(Data::Gauge(Gauge { data_points: vec![number(40.0), number(2.0)] }))),
        Metric { metadata: vec![kv("source", "jmx")], ..metric("jvm.gc", "", sum(true, 1, 1)) },
        metric("nothing", "", None),
        metric("up", "", Some(Data::Gauge(Gauge { data_points: vec![] }))),
    ];
    let scope = |name: &str, version: &str| Some(InstrumentationScope { name: name.into(), version: version.into(), ..Default::default() });
    let resource = |service: &str| Some(Resource { attributes: vec![kv("service.name", service)], ..Default::default() });
    ExportMetricsServiceRequest {
        resource_metrics: vec![
            ResourceMetrics {
                resource: resource("checkout"),
                scope_metrics: vec![
                    ScopeMetrics { scope: scope("http", "1.2"), metrics: metrics[..5].to_vec(), ..Default::default() },
                    ScopeMetrics { scope: scope("rpc", "0.9"), metrics: metrics[5..8].to_vec(), ..Default::default() },
                ],
                ..Default::default()
            },
            ResourceMetrics {
                resource: resource("cart"),
                scope_metrics: vec![ScopeMetrics { scope: scope("http", "1.2"), metrics: metrics[8..].to_vec(), ..Default::default() }],
                ..Default::default()
            },
        ],
    }
}

/// The request with every level's fields shuffled, now and then a name
/// written twice (the last counts) or an unknown field.
fn shuffled(req: &ExportMetricsServiceRequest, seed: u64) -> Vec<u8> {
    shuffled_levels(&req.encode_to_vec(), seed, |next| Metric { name: format!("late_{}", next() % 3), ..Default::default() }.encode_to_vec())
}

fn with_empty_parts(mut req: ExportMetricsServiceRequest) -> ExportMetricsServiceRequest {
    req.resource_metrics[0].scope_metrics.insert(0, ScopeMetrics::default());
    req.resource_metrics.push(ResourceMetrics::default());
    req
}

fn points(req: &ExportMetricsServiceRequest) -> u64 {
    req.resource_metrics.iter().flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics).map(|m| data_points(m) as u64).sum()
}

fn receivable(bytes: &[u8]) -> bool {
    use crate::otlp::{wire::validate, Signal};
    validate(Signal::Metrics, bytes).is_ok() && ExportMetricsServiceRequest::decode(bytes).is_ok()
}

/// Runs `list` both ways over `bytes`; whether the wire path ran.
fn same_as_decoded(list: &[&str], bytes: &[u8], mode: ErrorMode) -> bool {
    let conds = conditions(list);
    let none = Conditions::compile(&ottl::DATAPOINT, funcs::table(), &[]).expect("no conditions");
    let mut decoded = ExportMetricsServiceRequest::decode(bytes).expect("valid request");
    let before = points(&decoded);
    let (mut decoded_errors, mut wire_errors) = (Vec::new(), Vec::new());
    let by_decoding = ottl::filter_metrics(&conds, &none, &mut decoded, mode, &mut decoded_errors);
    let on_wire = filter_metrics(&conds, mode, bytes, &mut wire_errors);
    // A metric without points may go while the count of points stays.
    if let (Ok(f), Ok(Outcome::Unchanged)) = (&by_decoding, &on_wire) {
        assert_eq!(f.metrics, 0, "{list:?}: decoding dropped metrics the wire kept");
    }
    let by_decoding = by_decoding.map(|_| before - points(&decoded));
    let emptied = decoded.resource_metrics.is_empty();
    agree(list, (by_decoding, &decoded, emptied), on_wire, (decoded_errors.len(), wire_errors.len()))
}

#[test]
fn every_list_drops_what_decoding_drops() {
    let plain = request();
    let layouts = [
        plain.encode_to_vec(),
        with_empty_parts(plain.clone()).encode_to_vec(),
        shuffled(&plain, 1),
        shuffled(&plain, 2),
        shuffled(&with_empty_parts(plain.clone()), 3),
    ];
    assert!(LISTS.iter().all(|list| supports_metrics(&conditions(list))), "every list should run on the wire");
    on_every_layout(LISTS, &layouts, same_as_decoded);
}

/// What the lists do to the plain request: each kind of outcome happens,
/// and the count is of data points.
#[test]
fn the_lists_drop_some_all_or_none_and_count_points() {
    let bytes = with_empty_parts(request()).encode_to_vec();
    let run = |list: &[&str], mode| filter_metrics(&conditions(list), mode, &bytes, &mut Vec::new());
    let Ok(Outcome::Changed { bytes: out, dropped }) = run(LISTS[2], ErrorMode::Propagate) else { panic!("the monotonic sums") };
    assert_eq!(dropped, 4, "requests (2 points), process_cpu_seconds_total and jvm.gc (1 each)");
    let left = ExportMetricsServiceRequest::decode(&out[..]).expect("valid");
    assert_eq!(points(&left) + 4, points(&request()));
    assert!(left.resource_metrics.iter().flat_map(|r| &r.scope_metrics).all(|s| !s.metrics.is_empty()), "the empty scope is pruned");
    assert_eq!(left.resource_metrics.len(), 2, "the empty resource is pruned");
    let Ok(Outcome::Changed { dropped, .. }) = run(LISTS[1], ErrorMode::Propagate) else { panic!("go_ and process_") };
    assert_eq!(dropped, 2);
    let Ok(Outcome::Changed { dropped, bytes: out }) = run(LISTS[4], ErrorMode::Propagate) else { panic!("the summary and the metric of no type") };
    assert_eq!(dropped, 1, "the metric of no type has no points");
    assert_eq!(ExportMetricsServiceRequest::decode(&out[..]).map(|r| points(&r)).ok(), Some(points(&request()) - 1));
    assert!(matches!(run(LISTS[8], ErrorMode::Propagate), Ok(Outcome::Emptied { dropped }) if dropped as u64 == points(&request())));
    assert!(matches!(run(LISTS[9], ErrorMode::Propagate), Ok(Outcome::Unchanged)));
    let mut errors = Vec::new();
    assert!(filter_metrics(&conditions(LISTS[10]), ErrorMode::Ignore, &bytes, &mut errors).is_ok());
    assert!(!errors.is_empty(), "Substring fails on short names");
    assert!(matches!(run(LISTS[10], ErrorMode::Propagate), Err(WireFailure::Run(..))));
}

/// Conditions on what the wire context does not serve, and a metric with
/// two data fields (prost keeps the last, or merges two of a type), go
/// the decoded way.
#[test]
fn what_the_wire_context_cannot_say_is_left_to_decoding() {
    assert!(!supports_metrics(&conditions(&[r#"resource.dropped_attributes_count > 0"#])));
    let mut metric = metric("twice", "", Some(Data::Gauge(Gauge { data_points: vec![number(1.0)] }))).encode_to_vec();
    metric.extend(Metric { data: Some(Data::Gauge(Gauge { data_points: vec![number(2.0)] })), ..Default::default() }.encode_to_vec());
    let bytes = one_item(&metric);
    assert!(matches!(filter_metrics(&conditions(LISTS[0]), ErrorMode::Propagate, &bytes, &mut Vec::new()), Err(WireFailure::Decode(_))));
}

/// Mutated requests: no panic on any bytes; on those the receiver passes
/// on, a wire run agrees with decoding.
#[test]
fn mutated_requests_never_panic_and_valid_ones_agree_with_decoding() {
    let seeds = [with_empty_parts(request()).encode_to_vec(), shuffled(&request(), 4)];
    let run = |list: &[&str], bytes: &[u8]| drop(filter_metrics(&conditions(list), ErrorMode::Ignore, bytes, &mut Vec::new()));
    over_mutations(&seeds, 0x3E7_F117, LISTS, run, receivable, same_as_decoded);
}
