//! `aggregate_on_attributes` and `aggregate_on_attribute_value`: points
//! that agree on their attributes (and on what must agree for them to add
//! up: time, a delta's start, a histogram's bounds and shape) become one.
//!
//! As in the Collector: a number point's value is combined by the function
//! asked for, with the type of the group's first point; histograms and
//! exponential histograms are always summed (the only function the
//! Collector supports for them); the earliest start time is kept;
//! summaries are refused. Unlike the Collector, groups keep the order in
//! which their first points came (Go's map order is random), and `count`
//! of a lone point is 1 (the Collector leaves its value).

use std::collections::HashMap;
use std::mem::take;

use solder_syntax::ottl::metric_edit::Aggregation;

use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, KeyValue};
use crate::otlp::proto::metrics::v1::exponential_histogram_data_point::Buckets;
use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::number_data_point::Value as Number;
use crate::otlp::proto::metrics::v1::{ExponentialHistogramDataPoint, HistogramDataPoint, Metric, NumberDataPoint};

const DELTA: i32 = 1;

pub(super) fn on_attributes(metric: &mut Metric, how: Aggregation, keep: Option<&[String]>) -> Result<(), String> {
    refuse_summary(metric, "aggregate_on_attributes")?;
    if let Some(keep) = keep {
        each_attributes(metric, |attrs| attrs.retain(|kv| keep.contains(&kv.key)));
    }
    merge(metric, how);
    Ok(())
}

pub(super) fn on_attribute_value(metric: &mut Metric, how: Aggregation, attribute: &str, values: &[String], new_value: &str) -> Result<(), String> {
    refuse_summary(metric, "aggregate_on_attribute_value")?;
    each_attributes(metric, |attrs| {
        let Some(kv) = attrs.iter_mut().find(|kv| kv.key == attribute) else { return };
        // pdata reads a value of another type as the empty string.
        let text = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(V::StringValue(s)) => s.as_str(),
            _ => "",
        };
        if values.iter().any(|v| v == text) {
            kv.value = Some(AnyValue { value: Some(V::StringValue(new_value.to_string())) });
        }
    });
    merge(metric, how);
    Ok(())
}

/// Summary points have no way to add up: the Collector refuses them in
/// `aggregate_on_attributes`, and drops their points in
/// `aggregate_on_attribute_value`; both refuse here.
fn refuse_summary(metric: &Metric, function: &str) -> Result<(), String> {
    match metric.data {
        Some(Data::Summary(_)) => Err(format!("{function} does not support aggregating Summary metrics")),
        _ => Ok(()),
    }
}

fn each_attributes(metric: &mut Metric, mut f: impl FnMut(&mut Vec<KeyValue>)) {
    match &mut metric.data {
        Some(Data::Gauge(g)) => g.data_points.iter_mut().for_each(|p| f(&mut p.attributes)),
        Some(Data::Sum(s)) => s.data_points.iter_mut().for_each(|p| f(&mut p.attributes)),
        Some(Data::Histogram(h)) => h.data_points.iter_mut().for_each(|p| f(&mut p.attributes)),
        Some(Data::ExponentialHistogram(h)) => h.data_points.iter_mut().for_each(|p| f(&mut p.attributes)),
        Some(Data::Summary(s)) => s.data_points.iter_mut().for_each(|p| f(&mut p.attributes)),
        None => {}
    }
}

fn merge(metric: &mut Metric, how: Aggregation) {
    match &mut metric.data {
        Some(Data::Gauge(g)) => g.data_points = numbers(take(&mut g.data_points), how, false),
        Some(Data::Sum(s)) => s.data_points = numbers(take(&mut s.data_points), how, s.aggregation_temporality == DELTA),
        Some(Data::Histogram(h)) => h.data_points = histograms(take(&mut h.data_points), h.aggregation_temporality == DELTA),
        Some(Data::ExponentialHistogram(h)) => h.data_points = exponentials(take(&mut h.data_points), h.aggregation_temporality == DELTA),
        Some(Data::Summary(_)) | None => {}
    }
}

/// Points grouped by `key`, groups in the order of their first points.
fn groups<P>(points: Vec<P>, key: impl Fn(&P) -> String) -> Vec<Vec<P>> {
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Vec<P>> = Vec::new();
    for p in points {
        let k = key(&p);
        match at.get(&k) {
            Some(&i) => out[i].push(p),
            None => {
                at.insert(k, out.len());
                out.push(vec![p]);
            }
        }
    }
    out
}

/// The attributes as a set: order does not part points.
fn attributes_key(attrs: &[KeyValue]) -> String {
    let mut pairs: Vec<(&str, &Option<AnyValue>)> = attrs.iter().map(|kv| (kv.key.as_str(), &kv.value)).collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    format!("{pairs:?}")
}

/// What every point type's key starts with: attributes, time, and a
/// delta's start (cumulative points of different starts still add up).
fn common_key(attrs: &[KeyValue], time: u64, start: u64, delta: bool) -> String {
    let start = if delta { start.to_string() } else { String::new() };
    format!("{}|{time}|{start}", attributes_key(attrs))
}

/// Each group's first point, the others' start times and values folded
/// into it.
fn numbers(points: Vec<NumberDataPoint>, how: Aggregation, delta: bool) -> Vec<NumberDataPoint> {
    let grouped = groups(points, |p| common_key(&p.attributes, p.time_unix_nano, p.start_time_unix_nano, delta));
    grouped
        .into_iter()
        .filter_map(|group| {
            let mut rest = group.into_iter();
            let mut first = rest.next()?;
            let rest: Vec<NumberDataPoint> = rest.collect();
            if let Some(start) = rest.iter().map(|p| p.start_time_unix_nano).min() {
                first.start_time_unix_nano = first.start_time_unix_nano.min(start);
            }
            first.value = match first.value {
                Some(Number::AsDouble(d)) => Some(Number::AsDouble(doubles(how, d, rest.iter().map(as_double)))),
                Some(Number::AsInt(i)) => Some(Number::AsInt(ints(how, i, rest.iter().map(as_int)))),
                None => None,
            };
            Some(first)
        })
        .collect()
}

fn as_double(p: &NumberDataPoint) -> f64 {
    match p.value {
        Some(Number::AsDouble(d)) => d,
        Some(Number::AsInt(i)) => i as f64,
        None => 0.0,
    }
}

fn as_int(p: &NumberDataPoint) -> i64 {
    match p.value {
        Some(Number::AsDouble(d)) => d as i64,
        Some(Number::AsInt(i)) => i,
        None => 0,
    }
}

fn doubles(how: Aggregation, first: f64, rest: impl Iterator<Item = f64>) -> f64 {
    let mut all: Vec<f64> = std::iter::once(first).chain(rest).collect();
    let n = all.len() as f64;
    match how {
        Aggregation::Sum => all.iter().sum(),
        Aggregation::Mean => all.iter().sum::<f64>() / n,
        Aggregation::Min => all.iter().copied().fold(first, f64::min),
        Aggregation::Max => all.iter().copied().fold(first, f64::max),
        Aggregation::Count => n,
        Aggregation::Median => {
            all.sort_by(f64::total_cmp);
            let mid = all.len() / 2;
            if all.len() % 2 == 1 {
                all[mid]
            } else {
                (all[mid - 1] + all[mid]) / 2.0
            }
        }
    }
}

/// Ints wrap on overflow, as Go's int64 does.
fn ints(how: Aggregation, first: i64, rest: impl Iterator<Item = i64>) -> i64 {
    let mut all: Vec<i64> = std::iter::once(first).chain(rest).collect();
    let n = all.len() as i64;
    let sum = || all.iter().fold(0i64, |a, b| a.wrapping_add(*b));
    match how {
        Aggregation::Sum => sum(),
        Aggregation::Mean => sum() / n,
        Aggregation::Min => all.iter().copied().min().unwrap_or(first),
        Aggregation::Max => all.iter().copied().max().unwrap_or(first),
        Aggregation::Count => n,
        Aggregation::Median => {
            all.sort_unstable();
            let mid = all.len() / 2;
            if all.len() % 2 == 1 {
                all[mid]
            } else {
                ((i128::from(all[mid - 1]) + i128::from(all[mid])) / 2) as i64
            }
        }
    }
}

/// Histogram points of the same bounds and shape, summed: counts, sums,
/// buckets; the smaller min and larger max; every exemplar. Points that
/// counted nothing add nothing.
fn histograms(points: Vec<HistogramDataPoint>, delta: bool) -> Vec<HistogramDataPoint> {
    let key = |p: &HistogramDataPoint| {
        let base = common_key(&p.attributes, p.time_unix_nano, p.start_time_unix_nano, delta);
        format!("{base}|{:?}|{}|{}|{}", p.explicit_bounds, p.min.is_some(), p.max.is_some(), p.flags)
    };
    fold_groups(groups(points, key), |into, p| {
        into.count = into.count.wrapping_add(p.count);
        into.sum = Some(into.sum.unwrap_or(0.0) + p.sum.unwrap_or(0.0));
        into.min = lesser(into.min, p.min);
        into.max = greater(into.max, p.max);
        add_counts(&mut into.bucket_counts, &p.bucket_counts);
        into.exemplars.extend(p.exemplars);
        into.start_time_unix_nano = into.start_time_unix_nano.min(p.start_time_unix_nano);
    })
}

/// Exponential histogram points of the same scale, offsets and shape,
/// summed as histograms are, and their zero counts.
fn exponentials(points: Vec<ExponentialHistogramDataPoint>, delta: bool) -> Vec<ExponentialHistogramDataPoint> {
    let offset = |b: &Option<Buckets>| b.as_ref().map_or(0, |b| b.offset);
    let key = |p: &ExponentialHistogramDataPoint| {
        let base = common_key(&p.attributes, p.time_unix_nano, p.start_time_unix_nano, delta);
        format!("{base}|{}|{}|{}|{}|{}|{}", p.scale, p.min.is_some(), p.max.is_some(), p.flags, offset(&p.negative), offset(&p.positive))
    };
    fold_groups(groups(points, key), |into, p| {
        into.count = into.count.wrapping_add(p.count);
        into.sum = Some(into.sum.unwrap_or(0.0) + p.sum.unwrap_or(0.0));
        into.zero_count = into.zero_count.wrapping_add(p.zero_count);
        into.min = lesser(into.min, p.min);
        into.max = greater(into.max, p.max);
        for (mine, theirs) in [(&mut into.negative, p.negative), (&mut into.positive, p.positive)] {
            match (mine.as_mut(), theirs) {
                (Some(m), Some(t)) => add_counts(&mut m.bucket_counts, &t.bucket_counts),
                (None, Some(t)) => *mine = Some(t),
                (_, None) => {}
            }
        }
        into.exemplars.extend(p.exemplars);
        into.start_time_unix_nano = into.start_time_unix_nano.min(p.start_time_unix_nano);
    })
}

/// Each group's first point with the others that counted something
/// folded in by `add`.
fn fold_groups<P: HasCount>(grouped: Vec<Vec<P>>, mut add: impl FnMut(&mut P, P)) -> Vec<P> {
    grouped
        .into_iter()
        .filter_map(|group| {
            let mut rest = group.into_iter();
            let mut first = rest.next()?;
            for p in rest.filter(|p| p.count() != 0) {
                add(&mut first, p);
            }
            Some(first)
        })
        .collect()
}

trait HasCount {
    fn count(&self) -> u64;
}

impl HasCount for HistogramDataPoint {
    fn count(&self) -> u64 {
        self.count
    }
}

impl HasCount for ExponentialHistogramDataPoint {
    fn count(&self) -> u64 {
        self.count
    }
}

/// Bucket counts added index by index; a longer list adds its extra
/// buckets.
fn add_counts(into: &mut Vec<u64>, from: &[u64]) {
    for (i, n) in from.iter().enumerate() {
        match into.get_mut(i) {
            Some(c) => *c = c.wrapping_add(*n),
            None => into.push(*n),
        }
    }
}

/// Only a point that has a min can lower the group's, and only when the
/// group has one: points of both kinds never share a group.
fn lesser(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, _) => a,
    }
}

fn greater(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, _) => a,
    }
}
