//! The transform processor's metric functions: `convert_sum_to_gauge`,
//! `extract_sum_metric`, `aggregate_on_attributes` and the rest. Each one
//! checks its literal arguments at load (a temporality word, an
//! aggregation name, a method), and at run time hands the context a
//! [`MetricEdit`] to carry out on the metric itself.
//!
//! Which context a function belongs to is the Collector's: most work on a
//! whole metric, and only in the `metric` context (a path every metric
//! context has and no other does, `type`, keeps them there); the two
//! summary conversions and `merge_histogram_buckets` are the `datapoint`
//! context's (`bucket_counts`). The filter processor's two converters
//! that look into a metric's points, `HasAttrKeyOnDatapoint` and
//! `HasAttrOnDatapoint`, live here too.

use super::super::function::{Args, CompileArgs, FunctionDef, Param, ParamKind, ParamKind::*};
use super::super::metric_edit::{Aggregation, BucketMerge, Distribution, MetricEdit, Part, PointQuery, Temporality};
use super::super::value::Value;
use super::common::{func, go_float, lit_str, lit_str_list, opt_str, Made};

/// The path that makes a function the `metric` context's.
const METRIC: Param = Param::optional("metric", Context("type"));
/// The path that makes a function the `datapoint` context's.
const POINT: Param = Param::optional("datapoint", Context("bucket_counts"));

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "convert_sum_to_gauge", params: &[METRIC], make: |_| fixed(MetricEdit::SumToGauge) },
    FunctionDef {
        name: "convert_gauge_to_sum",
        params: &[Param::required("aggregation_temporality", Str), Param::required("is_monotonic", Bool), METRIC],
        make: |c| fixed(MetricEdit::GaugeToSum { temporality: temporality(c, 0)?, monotonic: lit_bool(c, 1) }),
    },
    FunctionDef {
        name: "extract_sum_metric",
        params: &[Param::required("is_monotonic", Bool), Param::optional("suffix", Str), METRIC],
        make: |c| extract(c, Part::Sum),
    },
    FunctionDef {
        name: "extract_count_metric",
        params: &[Param::required("is_monotonic", Bool), Param::optional("suffix", Str), METRIC],
        make: |c| extract(c, Part::Count),
    },
    FunctionDef {
        name: "convert_summary_sum_val_to_sum",
        params: &[Param::required("aggregation_temporality", Str), Param::required("is_monotonic", Bool), Param::optional("suffix", Str), POINT],
        make: |c| summary_to_sum(c, Part::Sum),
    },
    FunctionDef {
        name: "convert_summary_count_val_to_sum",
        params: &[Param::required("aggregation_temporality", Str), Param::required("is_monotonic", Bool), Param::optional("suffix", Str), POINT],
        make: |c| summary_to_sum(c, Part::Count),
    },
    FunctionDef {
        name: "convert_summary_quantile_val_to_gauge",
        params: &[Param::optional("attributeKey", Str), Param::optional("suffix", Str), METRIC],
        make: |c| {
            let attribute = lit_str(c, 0).unwrap_or("quantile").to_string();
            fixed(MetricEdit::SummaryQuantiles { attribute, suffix: lit_str(c, 1).unwrap_or(".quantiles").to_string() })
        },
    },
    FunctionDef {
        name: "copy_metric",
        params: &[
            Param::optional("name", ParamKind::Value),
            Param::optional("description", ParamKind::Value),
            Param::optional("unit", ParamKind::Value),
            METRIC,
        ],
        make: |_| {
            func(|args| {
                let edit = MetricEdit::Copy { name: opt_str(args, 0)?, description: opt_str(args, 1)?, unit: opt_str(args, 2)? };
                run(args, edit)
            })
        },
    },
    FunctionDef {
        name: "scale_metric",
        params: &[Param::required("factor", Float), Param::optional("unit", ParamKind::Value), METRIC],
        make: |c| {
            let factor = lit_float(c, 0);
            func(move |args| {
                let unit = opt_str(args, 1).map_err(|e| format!("could not get unit from ScaleArguments: {e}"))?;
                run(args, MetricEdit::Scale { factor, unit })
            })
        },
    },
    FunctionDef {
        name: "aggregate_on_attributes",
        params: &[Param::required("function", Str), Param::optional("attributes", StrList), METRIC],
        make: |c| {
            let keep = c.literals.get(1).is_some_and(Option::is_some).then(|| lit_str_list(c, 1));
            fixed(MetricEdit::AggregateOnAttributes { function: aggregation(c, 0)?, keep })
        },
    },
    FunctionDef {
        name: "aggregate_on_attribute_value",
        params: &[
            Param::required("function", Str),
            Param::required("attribute", Str),
            Param::required("values", StrList),
            Param::required("newValue", Str),
            METRIC,
        ],
        make: |c| {
            fixed(MetricEdit::AggregateOnAttributeValue {
                function: aggregation(c, 0)?,
                attribute: lit_str(c, 1).unwrap_or_default().to_string(),
                values: lit_str_list(c, 2),
                new_value: lit_str(c, 3).unwrap_or_default().to_string(),
            })
        },
    },
    FunctionDef {
        name: "convert_exponential_histogram_to_histogram",
        params: &[Param::required("distribution", Str), Param::required("explicitBounds", FloatList), METRIC],
        make: |c| {
            let distribution = Distribution::parse(lit_str(c, 0).unwrap_or_default()).map_err(|e| (0, e))?;
            let bounds: Vec<f64> = match c.literals.get(1) {
                Some(Some(Value::List(items))) => items.iter().filter_map(|v| if let Value::Double(f) = v { Some(*f) } else { None }).collect(),
                _ => Vec::new(),
            };
            if bounds.is_empty() {
                return Err((1, "explicit bounds cannot be empty: []".into()));
            }
            // Bounds out of order would make a histogram no reader can use.
            if !bounds.windows(2).all(|w| w[0] < w[1]) || bounds.iter().any(|b| !b.is_finite()) {
                return Err((1, format!("explicit bounds must be finite and strictly increasing: {bounds:?}")));
            }
            fixed(MetricEdit::ExponentialToExplicit { distribution, bounds })
        },
    },
    FunctionDef {
        name: "extract_percentile_metric",
        params: &[Param::required("percentile", Float), Param::optional("suffix", Str), METRIC],
        make: |c| {
            let percentile = lit_float(c, 0);
            if !(0.0..=100.0).contains(&percentile) {
                return Err((0, format!("percentile must be between 0 and 100, got {percentile:.6}")));
            }
            let suffix = lit_str(c, 1).map_or_else(|| format!("_p{}", go_float(percentile)), str::to_string);
            fixed(MetricEdit::Percentile { percentile, suffix })
        },
    },
    FunctionDef {
        name: "HasAttrKeyOnDatapoint",
        params: &[Param::required("key", Str), METRIC],
        make: |c| {
            let key = lit_str(c, 0).unwrap_or_default().to_string();
            func(move |args| args.query_points(PointQuery::HasKey(&key)).map(Value::Bool))
        },
    },
    FunctionDef {
        name: "HasAttrOnDatapoint",
        params: &[Param::required("key", Str), Param::required("expectedVal", Str), METRIC],
        make: |c| {
            let (key, value) = (lit_str(c, 0).unwrap_or_default().to_string(), lit_str(c, 1).unwrap_or_default().to_string());
            func(move |args| args.query_points(PointQuery::Has { key: &key, value: &value }).map(Value::Bool))
        },
    },
    FunctionDef {
        name: "merge_histogram_buckets",
        params: &[Param::required("target_value", ParamKind::Value), Param::optional("method", Str), POINT],
        make: merge_histogram_buckets,
    },
];

/// A function whose edit is known at load.
fn fixed(edit: MetricEdit) -> Made {
    func(move |args| run(args, edit.clone()))
}

fn run(args: &mut dyn Args, edit: MetricEdit) -> Result<Value, String> {
    args.edit_metric(edit)?;
    Ok(Value::Nil)
}

fn extract(c: &CompileArgs<'_>, part: Part) -> Made {
    let suffix = lit_str(c, 1).map_or_else(|| default_suffix(part), str::to_string);
    fixed(MetricEdit::Extract { part, monotonic: lit_bool(c, 0), suffix })
}

fn summary_to_sum(c: &CompileArgs<'_>, part: Part) -> Made {
    let suffix = lit_str(c, 2).map_or_else(|| default_suffix(part), str::to_string);
    fixed(MetricEdit::SummaryToSum { part, temporality: temporality(c, 0)?, monotonic: lit_bool(c, 1), suffix })
}

/// `_sum` and `_count`: the Collector keeps these for compatibility,
/// although its naming conventions would say `.sum` and `.count`.
fn default_suffix(part: Part) -> String {
    match part {
        Part::Sum => "_sum".into(),
        Part::Count => "_count".into(),
    }
}

const REMOVE_BOUND: &str = "remove_explicit_bound";
const LIMIT_BUCKETS: &str = "limit_buckets";

fn merge_histogram_buckets(c: &CompileArgs<'_>) -> Made {
    let limit = match lit_str(c, 1).unwrap_or(REMOVE_BOUND) {
        REMOVE_BOUND => false,
        LIMIT_BUCKETS => true,
        other => return Err((1, format!("unsupported method {other:?}, expected {REMOVE_BOUND:?} or {LIMIT_BUCKETS:?}"))),
    };
    func(move |args| {
        let target = match args.get(0)? {
            Value::Double(f) => f,
            Value::Int(n) => n as f64,
            Value::Nil => return Err("target_value must not be nil".into()),
            other => return Err(format!("expected float64 but got {}", other.type_name())),
        };
        let merge = if limit { BucketMerge::Limit(max_buckets(target)?) } else { BucketMerge::RemoveBound(target) };
        run(args, MetricEdit::MergeBuckets(merge))
    })
}

/// `limit_buckets`' target: a whole number of buckets, one or more.
fn max_buckets(target: f64) -> Result<u64, String> {
    if target < 1.0 || target.trunc() != target || target > i64::MAX as f64 {
        return Err(format!("target_value must be a positive integer when method is {LIMIT_BUCKETS:?}, got {target}"));
    }
    Ok(target as u64)
}

fn temporality(c: &CompileArgs<'_>, i: usize) -> Result<Temporality, (usize, String)> {
    Temporality::parse(lit_str(c, i).unwrap_or_default()).map_err(|e| (i, e))
}

fn aggregation(c: &CompileArgs<'_>, i: usize) -> Result<Aggregation, (usize, String)> {
    Aggregation::parse(lit_str(c, i).unwrap_or_default()).map_err(|e| (i, e))
}

fn lit_bool(c: &CompileArgs<'_>, i: usize) -> bool {
    matches!(c.literals.get(i), Some(Some(Value::Bool(true))))
}

fn lit_float(c: &CompileArgs<'_>, i: usize) -> f64 {
    match c.literals.get(i) {
        Some(Some(Value::Double(f))) => *f,
        _ => 0.0,
    }
}
