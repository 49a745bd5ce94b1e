//! The metric functions' side of the work: what each one hands the context
//! for the arguments it is given, its defaults, and the arguments it
//! refuses. What the context does with the edit is tested over OTLP in
//! `solder-components` (the conformance table's metric rows).

use super::super::testing::{compile, run_opt, s, strs};
use crate::ottl::metric_edit::{Aggregation, BucketMerge, Distribution, MetricEdit, Part, Temporality};
use crate::ottl::value::Value;

/// The one edit a call hands over.
fn edit(name: &str, args: Vec<Option<Value>>) -> MetricEdit {
    let (out, fake) = run_opt(name, args);
    out.unwrap_or_else(|e| panic!("{name} failed: {e}"));
    assert_eq!(fake.edits.len(), 1, "{name}");
    fake.edits.into_iter().next().unwrap_or(MetricEdit::SumToGauge)
}

fn load_error(name: &str, args: Vec<Option<Value>>) -> (usize, String) {
    compile(name, &args).err().unwrap_or_else(|| panic!("{name} compiled"))
}

#[test]
fn conversions_between_sum_and_gauge() {
    assert_eq!(edit("convert_sum_to_gauge", vec![]), MetricEdit::SumToGauge);
    assert_eq!(
        edit("convert_gauge_to_sum", vec![Some(s("delta")), Some(Value::Bool(true))]),
        MetricEdit::GaugeToSum { temporality: Temporality::Delta, monotonic: true }
    );
    assert_eq!(load_error("convert_gauge_to_sum", vec![Some(s("hourly")), Some(Value::Bool(true))]), (0, "unknown aggregation temporality: hourly".into()));
}

#[test]
fn extraction_suffixes_default_as_the_collector_keeps_them() {
    let sum = edit("extract_sum_metric", vec![Some(Value::Bool(false))]);
    assert_eq!(sum, MetricEdit::Extract { part: Part::Sum, monotonic: false, suffix: "_sum".into() });
    let count = edit("extract_count_metric", vec![Some(Value::Bool(true)), Some(s(".count"))]);
    assert_eq!(count, MetricEdit::Extract { part: Part::Count, monotonic: true, suffix: ".count".into() });
    let summary = edit("convert_summary_count_val_to_sum", vec![Some(s("cumulative")), Some(Value::Bool(false))]);
    assert_eq!(summary, MetricEdit::SummaryToSum { part: Part::Count, temporality: Temporality::Cumulative, monotonic: false, suffix: "_count".into() });
    let quantiles = edit("convert_summary_quantile_val_to_gauge", vec![]);
    assert_eq!(quantiles, MetricEdit::SummaryQuantiles { attribute: "quantile".into(), suffix: ".quantiles".into() });
}

#[test]
fn copy_and_scale_read_their_expressions_when_they_run() {
    let copy = edit("copy_metric", vec![Some(s("new")), None, Some(s("s"))]);
    assert_eq!(copy, MetricEdit::Copy { name: Some("new".into()), description: None, unit: Some("s".into()) });
    let (out, _) = run_opt("copy_metric", vec![Some(Value::Int(3))]);
    assert!(out.is_err_and(|e| e.contains("expected string")));
    let scale = edit("scale_metric", vec![Some(Value::Double(0.5)), Some(s("kWh"))]);
    assert_eq!(scale, MetricEdit::Scale { factor: 0.5, unit: Some("kWh".into()) });
}

#[test]
fn aggregation_functions_are_named_case_sensitively() {
    let keep = edit("aggregate_on_attributes", vec![Some(s("sum")), Some(strs(&["a"]))]);
    assert_eq!(keep, MetricEdit::AggregateOnAttributes { function: Aggregation::Sum, keep: Some(vec!["a".into()]) });
    // Left out, every attribute stays; an empty list keeps none.
    assert_eq!(edit("aggregate_on_attributes", vec![Some(s("max"))]), MetricEdit::AggregateOnAttributes { function: Aggregation::Max, keep: None });
    let none = edit("aggregate_on_attributes", vec![Some(s("min")), Some(strs(&[]))]);
    assert_eq!(none, MetricEdit::AggregateOnAttributes { function: Aggregation::Min, keep: Some(vec![]) });
    assert!(load_error("aggregate_on_attributes", vec![Some(s("Sum"))]).1.contains("valid options: sum, mean, min, max, median, count"));
    let value = edit("aggregate_on_attribute_value", vec![Some(s("median")), Some(s("k")), Some(strs(&["a", "b"])), Some(s("ab"))]);
    assert_eq!(
        value,
        MetricEdit::AggregateOnAttributeValue {
            function: Aggregation::Median,
            attribute: "k".into(),
            values: vec!["a".into(), "b".into()],
            new_value: "ab".into()
        }
    );
}

#[test]
fn merge_histogram_buckets_reads_its_target_by_method() {
    assert_eq!(edit("merge_histogram_buckets", vec![Some(Value::Double(0.5))]), MetricEdit::MergeBuckets(BucketMerge::RemoveBound(0.5)));
    assert_eq!(edit("merge_histogram_buckets", vec![Some(Value::Int(4)), Some(s("limit_buckets"))]), MetricEdit::MergeBuckets(BucketMerge::Limit(4)));
    for bad in [Value::Double(2.5), Value::Int(0), Value::Double(-3.0)] {
        let (out, fake) = run_opt("merge_histogram_buckets", vec![Some(bad.clone()), Some(s("limit_buckets"))]);
        assert!(out.is_err_and(|e| e.contains("must be a positive integer")), "{bad:?}");
        assert!(fake.edits.is_empty());
    }
    let (out, _) = run_opt("merge_histogram_buckets", vec![Some(Value::Nil)]);
    assert_eq!(out, Err("target_value must not be nil".into()));
    assert_eq!(load_error("merge_histogram_buckets", vec![None, Some(s("halve"))]).0, 1);
}

#[test]
fn exponential_conversion_checks_its_bounds_at_load() {
    let bounds = |b: &[f64]| Some(Value::List(b.iter().map(|f| Value::Double(*f)).collect()));
    let made = edit("convert_exponential_histogram_to_histogram", vec![Some(s("uniform")), bounds(&[1.0, 2.0])]);
    assert_eq!(made, MetricEdit::ExponentialToExplicit { distribution: Distribution::Uniform, bounds: vec![1.0, 2.0] });
    // The Collector's default for an empty word.
    let made = edit("convert_exponential_histogram_to_histogram", vec![Some(s("")), bounds(&[1.0])]);
    assert_eq!(made, MetricEdit::ExponentialToExplicit { distribution: Distribution::Random, bounds: vec![1.0] });
    for bad in [&[][..], &[2.0, 1.0], &[1.0, 1.0], &[f64::INFINITY]] {
        assert_eq!(load_error("convert_exponential_histogram_to_histogram", vec![Some(s("upper")), bounds(bad)]).0, 1, "{bad:?}");
    }
}

#[test]
fn percentile_suffixes_print_as_go_prints_the_number() {
    let made = |p: f64| edit("extract_percentile_metric", vec![Some(Value::Double(p))]);
    assert_eq!(made(50.0), MetricEdit::Percentile { percentile: 50.0, suffix: "_p50".into() });
    assert_eq!(made(99.9), MetricEdit::Percentile { percentile: 99.9, suffix: "_p99.9".into() });
    assert_eq!(load_error("extract_percentile_metric", vec![Some(Value::Double(-1.0))]).1, "percentile must be between 0 and 100, got -1.000000");
}
