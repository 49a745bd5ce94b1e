//! The edges the conformance table does not reach: the room for added
//! metrics, points that disagree with their own shape, numbers at their
//! limits, and the Collector's per-point summary conversion.

use solder_syntax::ottl::metric_edit::{Aggregation, BucketMerge, Distribution, Part, Temporality};
use solder_syntax::ottl::{ErrorMode, MetricEdit};

use super::*;
use crate::otlp::proto::metrics::v1::exponential_histogram_data_point::Buckets;
use crate::otlp::proto::metrics::v1::number_data_point::Value as N;
use crate::otlp::proto::metrics::v1::{
    Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, NumberDataPoint, ResourceMetrics, ScopeMetrics,
    Summary, SummaryDataPoint,
};
use crate::otlp::proto::ExportMetricsServiceRequest;
use crate::ottl::{schema_named, transform_metrics, Group};
use solder_syntax::ottl::{funcs, Statements};

fn gauge(name: &str, values: &[N]) -> Metric {
    let data_points = values.iter().map(|v| NumberDataPoint { value: Some(*v), ..Default::default() }).collect();
    Metric { name: name.into(), data: Some(Data::Gauge(Gauge { data_points })), ..Default::default() }
}

fn request(metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics { scope_metrics: vec![ScopeMetrics { metrics, ..Default::default() }], ..Default::default() }],
    }
}

/// Runs `statements` in `context` over `req` under `mode`; the run's result.
fn run(context: &str, statements: &[&str], mode: ErrorMode, req: &mut ExportMetricsServiceRequest) -> Result<usize, String> {
    let schema = schema_named(context).ok_or("no such context")?;
    let group = Group { schema, statements: Statements::compile(schema, funcs::table(), statements).map_err(|e| format!("{e:?}"))? };
    let mut errors = Vec::new();
    transform_metrics(std::slice::from_ref(&group), req, mode, &mut errors).map_err(|e| e.message)?;
    Ok(errors.len())
}

fn names(req: &ExportMetricsServiceRequest) -> Vec<String> {
    req.resource_metrics[0].scope_metrics[0].metrics.iter().map(|m| m.name.clone()).collect()
}

/// An unguarded `copy_metric` copies its copies; under `ignore` it stops
/// once the scope's room is used up, and the request goes on.
#[test]
fn copies_of_copies_stop_at_the_room() {
    let mut req = request(vec![gauge("a", &[N::AsInt(1)]), gauge("b", &[N::AsInt(2)])]);
    let failures = run("metric", &["copy_metric()"], ErrorMode::Ignore, &mut req).unwrap();
    assert_eq!(names(&req).len(), 2 + 2 * ADDED_PER_METRIC);
    assert!(failures > 0);
    // Guarded, the same call adds one copy per metric.
    let mut req = request(vec![gauge("a", &[N::AsInt(1)]), gauge("b", &[N::AsInt(2)])]);
    run("metric", &[r#"copy_metric(Concat([name, "copy"], "_")) where not IsMatch(name, "_copy$")"#], ErrorMode::Propagate, &mut req).unwrap();
    assert_eq!(names(&req), ["a", "b", "a_copy", "b_copy"]);
}

/// From the `datapoint` context, a summary conversion runs once per point
/// that reaches it, each making a sum of all the summary's points: the
/// Collector's behaviour, kept (a `where` on one point's attributes
/// makes one).
#[test]
fn a_summary_conversion_runs_once_per_point() {
    let point = |m: &str| SummaryDataPoint {
        count: 2,
        sum: 3.0,
        attributes: vec![crate::otlp::proto::common::v1::KeyValue {
            key: "m".into(),
            value: Some(crate::otlp::proto::common::v1::AnyValue { value: Some(crate::otlp::proto::common::v1::any_value::Value::StringValue(m.into())) }),
            ..Default::default()
        }],
        ..Default::default()
    };
    let summary = Metric { name: "rpc".into(), data: Some(Data::Summary(Summary { data_points: vec![point("get"), point("put")] })), ..Default::default() };
    let mut req = request(vec![summary.clone()]);
    run("datapoint", &[r#"convert_summary_sum_val_to_sum("cumulative", true)"#], ErrorMode::Propagate, &mut req).unwrap();
    assert_eq!(names(&req), ["rpc", "rpc_sum", "rpc_sum"]);
    let mut req = request(vec![summary]);
    run("datapoint", &[r#"convert_summary_sum_val_to_sum("cumulative", true) where attributes["m"] == "get""#], ErrorMode::Propagate, &mut req).unwrap();
    assert_eq!(names(&req), ["rpc", "rpc_sum"]);
    let Some(Data::Sum(sum)) = &req.resource_metrics[0].scope_metrics[0].metrics[1].data else { panic!("a sum") };
    assert_eq!(sum.data_points.len(), 2, "every point of the summary");
}

#[test]
fn exponential_histograms_sum_their_buckets_and_zero_counts() {
    let point = |pos: Vec<u64>, neg: Option<Vec<u64>>| ExponentialHistogramDataPoint {
        count: 5,
        sum: Some(1.0),
        zero_count: 1,
        scale: 3,
        positive: Some(Buckets { offset: 2, bucket_counts: pos }),
        negative: neg.map(|b| Buckets { offset: 0, bucket_counts: b }),
        exemplars: vec![Exemplar::default()],
        ..Default::default()
    };
    let data = ExponentialHistogram { data_points: vec![point(vec![1, 2], None), point(vec![3, 4, 5], None)], aggregation_temporality: 2 };
    let mut m = Metric { name: "e".into(), data: Some(Data::ExponentialHistogram(data)), ..Default::default() };
    on_metric(&mut m, MetricEdit::AggregateOnAttributes { function: Aggregation::Sum, keep: None }, &mut Added::for_scope(1)).unwrap();
    let Some(Data::ExponentialHistogram(h)) = &m.data else { panic!("the type stays") };
    assert_eq!(h.data_points.len(), 1);
    let p = &h.data_points[0];
    assert_eq!((p.count, p.sum, p.zero_count, p.exemplars.len()), (10, Some(2.0), 2, 2));
    assert_eq!(p.positive.as_ref().map(|b| b.bucket_counts.clone()), Some(vec![4, 6, 5]), "the longer list's extra bucket kept");
}

/// Points of different bounds, and points that counted nothing, do not
/// add into a group.
#[test]
fn histograms_merge_only_what_adds_up() {
    let point = |bounds: Vec<f64>, count: u64| HistogramDataPoint {
        count,
        bucket_counts: vec![count; bounds.len() + 1],
        explicit_bounds: bounds,
        sum: Some(count as f64),
        ..Default::default()
    };
    let data = Histogram { data_points: vec![point(vec![1.0], 1), point(vec![2.0], 2), point(vec![1.0], 0), point(vec![1.0], 3)], aggregation_temporality: 2 };
    let mut m = Metric { name: "h".into(), data: Some(Data::Histogram(data)), ..Default::default() };
    on_metric(&mut m, MetricEdit::AggregateOnAttributes { function: Aggregation::Max, keep: Some(vec![]) }, &mut Added::for_scope(1)).unwrap();
    let Some(Data::Histogram(h)) = &m.data else { panic!("the type stays") };
    let shape: Vec<(Vec<f64>, u64, Vec<u64>)> = h.data_points.iter().map(|p| (p.explicit_bounds.clone(), p.count, p.bucket_counts.clone())).collect();
    assert_eq!(shape, [(vec![1.0], 4, vec![4, 4]), (vec![2.0], 2, vec![2, 2])], "summed whatever the function, as the Collector does");
}

/// Values at the edges of their types wrap or order as Go's would; none
/// panics.
#[test]
fn numbers_at_their_limits() {
    let mut m = gauge("m", &[N::AsInt(i64::MAX), N::AsInt(1)]);
    on_metric(&mut m, MetricEdit::AggregateOnAttributes { function: Aggregation::Sum, keep: None }, &mut Added::for_scope(1)).unwrap();
    assert_eq!(first_value(&m), Some(N::AsInt(i64::MIN)));
    let mut m = gauge("m", &[N::AsDouble(f64::NAN), N::AsDouble(1.0), N::AsDouble(2.0)]);
    on_metric(&mut m, MetricEdit::AggregateOnAttributes { function: Aggregation::Median, keep: None }, &mut Added::for_scope(1)).unwrap();
    assert_eq!(first_value(&m), Some(N::AsDouble(2.0)), "NaN sorts last");
    let mut m = gauge("m", &[N::AsInt(i64::MAX)]);
    on_metric(&mut m, MetricEdit::Scale { factor: 4.0, unit: None }, &mut Added::for_scope(1)).unwrap();
    assert_eq!(first_value(&m), Some(N::AsInt(i64::MAX)), "saturates where Go's conversion is undefined");
    let mut p = HistogramDataPoint { bucket_counts: vec![u64::MAX, 2, 1], explicit_bounds: vec![1.0, 2.0], ..Default::default() };
    buckets::merge(&mut p, BucketMerge::RemoveBound(1.0));
    assert_eq!(p.bucket_counts, [1, 1]);
}

fn first_value(m: &Metric) -> Option<N> {
    match &m.data {
        Some(Data::Gauge(g)) => g.data_points.first().and_then(|p| p.value),
        _ => None,
    }
}

/// A point whose counts and bounds disagree, or whose bounds do not rise,
/// is left as it came.
#[test]
fn malformed_histogram_points_are_left_alone() {
    let cases = [
        HistogramDataPoint { bucket_counts: vec![1, 2, 3], explicit_bounds: vec![1.0], ..Default::default() },
        HistogramDataPoint { bucket_counts: vec![], explicit_bounds: vec![], ..Default::default() },
        HistogramDataPoint { bucket_counts: vec![1, 2, 3], explicit_bounds: vec![2.0, 1.0], ..Default::default() },
    ];
    for case in cases {
        for how in [BucketMerge::RemoveBound(1.0), BucketMerge::Limit(1)] {
            let mut p = case.clone();
            buckets::merge(&mut p, how);
            let untouched = matches!(how, BucketMerge::RemoveBound(_)) && case.explicit_bounds == [2.0, 1.0];
            if !untouched {
                assert_eq!(p, case, "{how:?} on {case:?}");
            }
        }
    }
}

/// Extraction from a histogram of no temporality is refused, as the
/// Collector refuses it: a sum needs one.
#[test]
fn a_histogram_without_temporality_has_nothing_to_extract_into() {
    let data = Histogram { data_points: vec![HistogramDataPoint { count: 1, ..Default::default() }], aggregation_temporality: 0 };
    let m = Metric { name: "h".into(), data: Some(Data::Histogram(data)), ..Default::default() };
    let err = extract::extract(&m, Part::Count, true, "_count", "extract_count_metric").unwrap_err();
    assert!(err.contains("got Histogram"), "{err}");
    assert!(extract::summary_to_sum(&m, Part::Sum, Temporality::Delta, true, "_sum").is_none());
}

fn exponential(point: ExponentialHistogramDataPoint) -> Metric {
    let data = ExponentialHistogram { data_points: vec![point], aggregation_temporality: 2 };
    Metric { name: "e".into(), data: Some(Data::ExponentialHistogram(data)), ..Default::default() }
}

fn converted(m: &mut Metric, distribution: Distribution, bounds: &[f64]) -> Vec<u64> {
    let edit = MetricEdit::ExponentialToExplicit { distribution, bounds: bounds.to_vec() };
    on_metric(m, edit, &mut Added::for_scope(1)).unwrap();
    match &m.data {
        Some(Data::Histogram(h)) => h.data_points[0].bucket_counts.clone(),
        _ => panic!("a histogram"),
    }
}

/// `random` places every count, in proportion to the overlap, and only in
/// buckets the exponential bucket overlaps; a count of billions costs no
/// more than a count of one (the Collector places the remainder one unit
/// at a time).
#[test]
fn random_distribution_places_every_count_where_it_overlaps() {
    // Scale 0: (4, 8] overlaps (2.5, 7] by 3 and (7, 10] by 1.
    let point =
        |count: u64| ExponentialHistogramDataPoint { count, scale: 0, positive: Some(Buckets { offset: 2, bucket_counts: vec![count] }), ..Default::default() };
    let counts = converted(&mut exponential(point(1000)), Distribution::Random, &[0.0, 2.5, 7.0, 10.0]);
    assert_eq!(counts.iter().sum::<u64>(), 1000);
    assert_eq!((counts[0], counts[1], counts[4]), (0, 0, 0));
    assert!((749..=751).contains(&counts[2]) && (249..=251).contains(&counts[3]), "{counts:?}");
    let big = u64::MAX / 3;
    let counts = converted(&mut exponential(point(big)), Distribution::Random, &[0.0, 2.5, 7.0, 10.0]);
    assert_eq!(counts.iter().fold(0u64, |a, b| a.wrapping_add(*b)), big);
}

/// Scales and offsets at their extremes give buckets of zero or infinite
/// width; every count still lands, in the first or the overflow bucket.
#[test]
fn extreme_scales_still_place_every_count() {
    for (scale, offset) in [(20, i32::MAX - 4), (-10, 3), (20, i32::MIN), (-10, -40)] {
        let point = ExponentialHistogramDataPoint {
            count: 12,
            scale,
            zero_count: 2,
            positive: Some(Buckets { offset, bucket_counts: vec![1, 2, 3] }),
            negative: Some(Buckets { offset, bucket_counts: vec![4, 2] }),
            ..Default::default()
        };
        for how in [Distribution::Upper, Distribution::Midpoint, Distribution::Uniform, Distribution::Random] {
            let counts = converted(&mut exponential(point.clone()), how, &[-1.0, 0.0, 1.0]);
            assert_eq!(counts.len(), 4);
            assert_eq!(counts.iter().sum::<u64>(), 14, "scale {scale} offset {offset} {how:?}: {counts:?}");
        }
    }
}

/// The zero bucket is read linearly between the thresholds (from 0 when
/// only positive buckets exist); negative buckets, counted first from the
/// one nearest zero as the Collector counts them, logarithmically.
#[test]
fn exponential_percentiles_in_the_zero_and_negative_buckets() {
    let point = |zero: u64, negative: Option<Vec<u64>>, positive: Option<Vec<u64>>, count: u64| ExponentialHistogramDataPoint {
        count,
        scale: 0,
        zero_count: zero,
        zero_threshold: 0.5,
        negative: negative.map(|b| Buckets { offset: 0, bucket_counts: b }),
        positive: positive.map(|b| Buckets { offset: 0, bucket_counts: b }),
        ..Default::default()
    };
    let p = |m: &Metric, percentile: f64| -> f64 {
        let made = percentile::extract(m, percentile, "_p").unwrap().unwrap();
        match made.data {
            Some(Data::Gauge(g)) => match g.data_points[0].value {
                Some(N::AsDouble(d)) => d,
                _ => f64::NAN,
            },
            _ => f64::NAN,
        }
    };
    let m = exponential(point(2, None, Some(vec![2]), 4));
    assert_eq!(p(&m, 25.0), 0.25, "halfway through a zero bucket from 0 to 0.5");
    let m = exponential(point(0, Some(vec![4]), None, 4));
    assert_eq!(p(&m, 50.0), -std::f64::consts::SQRT_2);
    let m = exponential(point(2, Some(vec![2]), Some(vec![2]), 6));
    assert_eq!(p(&m, 50.0), 0.0, "the zero bucket from -0.5 to 0.5, halfway");
}
