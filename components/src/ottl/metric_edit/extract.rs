//! The functions that make a new metric from parts of another's points:
//! `extract_sum_metric`, `extract_count_metric`, the summary conversions
//! and `convert_summary_quantile_val_to_gauge`. The new metric takes the
//! old one's name with a suffix, its description, and each point's
//! attributes and times.

use solder_syntax::ottl::metric_edit::{Part, Temporality};

use super::type_name;
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, KeyValue};
use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::number_data_point::Value as Number;
use crate::otlp::proto::metrics::v1::{ExponentialHistogramDataPoint, Gauge, HistogramDataPoint, Metric, NumberDataPoint, Sum};

/// `extract_sum_metric` and `extract_count_metric`: a sum of each point's
/// sum (points without one are passed over) or count, with the source's
/// temporality (a summary's counts as cumulative). `None` when no point
/// gave one: no metric is made then.
pub(super) fn extract(metric: &Metric, part: Part, monotonic: bool, suffix: &str, function: &str) -> Result<Option<Metric>, String> {
    let refused = || format!("{function} requires an input metric of type Histogram, ExponentialHistogram or Summary, got {}", type_name(metric));
    let (temporality, points): (i32, Vec<NumberDataPoint>) = match &metric.data {
        Some(Data::Histogram(h)) => (h.aggregation_temporality, histogram_points(&h.data_points, part)),
        Some(Data::ExponentialHistogram(h)) => (h.aggregation_temporality, histogram_points(&h.data_points, part)),
        // Summaries have no temporality; by OpenMetrics they are cumulative.
        Some(Data::Summary(s)) => (Temporality::Cumulative as i32, summary_points(s, part)),
        _ => return Err(refused()),
    };
    if temporality == 0 {
        return Err(refused());
    }
    if points.is_empty() {
        return Ok(None);
    }
    // A count has no unit of its source's.
    let unit = match part {
        Part::Sum => metric.unit.clone(),
        Part::Count => "1".to_string(),
    };
    let sum = Sum { data_points: points, aggregation_temporality: temporality, is_monotonic: monotonic };
    Ok(Some(made(metric, suffix, unit, Data::Sum(sum))))
}

/// `convert_summary_sum_val_to_sum` and `convert_summary_count_val_to_sum`:
/// a sum of a summary's sums or counts, with the temporality given; made
/// even when the summary has no points. `None` for any other type.
pub(super) fn summary_to_sum(metric: &Metric, part: Part, temporality: Temporality, monotonic: bool, suffix: &str) -> Option<Metric> {
    let Some(Data::Summary(s)) = &metric.data else { return None };
    let sum = Sum { data_points: summary_points(s, part), aggregation_temporality: temporality as i32, is_monotonic: monotonic };
    Some(made(metric, suffix, metric.unit.clone(), Data::Sum(sum)))
}

/// `convert_summary_quantile_val_to_gauge`: a gauge with a point for each
/// quantile of each summary point, the quantile as a double attribute.
/// `None` for any other type.
pub(super) fn quantiles(metric: &Metric, attribute: &str, suffix: &str) -> Option<Metric> {
    let Some(Data::Summary(s)) = &metric.data else { return None };
    let mut data_points = Vec::new();
    for p in &s.data_points {
        for q in &p.quantile_values {
            let mut out = point(&p.attributes, p.start_time_unix_nano, p.time_unix_nano, Number::AsDouble(q.value));
            let quantile = Some(AnyValue { value: Some(V::DoubleValue(q.quantile)) });
            match out.attributes.iter_mut().find(|kv| kv.key == attribute) {
                Some(kv) => kv.value = quantile,
                None => out.attributes.push(KeyValue { key: attribute.to_string(), value: quantile, ..Default::default() }),
            }
            data_points.push(out);
        }
    }
    Some(made(metric, suffix, metric.unit.clone(), Data::Gauge(Gauge { data_points })))
}

/// What the two histogram point types share that extraction reads.
trait HistogramPoint {
    fn sum(&self) -> Option<f64>;
    fn count(&self) -> u64;
    fn attributes(&self) -> &[KeyValue];
    fn times(&self) -> (u64, u64);
}

macro_rules! histogram_point {
    ($t:ty) => {
        impl HistogramPoint for $t {
            fn sum(&self) -> Option<f64> {
                self.sum
            }
            fn count(&self) -> u64 {
                self.count
            }
            fn attributes(&self) -> &[KeyValue] {
                &self.attributes
            }
            fn times(&self) -> (u64, u64) {
                (self.start_time_unix_nano, self.time_unix_nano)
            }
        }
    };
}

histogram_point!(HistogramDataPoint);
histogram_point!(ExponentialHistogramDataPoint);

/// Each point's sum (points without one are passed over) or count.
fn histogram_points<P: HistogramPoint>(points: &[P], part: Part) -> Vec<NumberDataPoint> {
    let made = |p: &P| {
        let value = match part {
            Part::Sum => Number::AsDouble(p.sum()?),
            Part::Count => count(p.count()),
        };
        let (start, time) = p.times();
        Some(point(p.attributes(), start, time, value))
    };
    points.iter().filter_map(made).collect()
}

fn summary_points(s: &crate::otlp::proto::metrics::v1::Summary, part: Part) -> Vec<NumberDataPoint> {
    let value = |p: &crate::otlp::proto::metrics::v1::SummaryDataPoint| match part {
        Part::Sum => Number::AsDouble(p.sum),
        Part::Count => count(p.count),
    };
    s.data_points.iter().map(|p| point(&p.attributes, p.start_time_unix_nano, p.time_unix_nano, value(p))).collect()
}

/// A count as pdata stores it in an int point: the same 64 bits, signed.
fn count(n: u64) -> Number {
    Number::AsInt(n as i64)
}

pub(super) fn point(attributes: &[KeyValue], start: u64, time: u64, value: Number) -> NumberDataPoint {
    NumberDataPoint { attributes: attributes.to_vec(), start_time_unix_nano: start, time_unix_nano: time, value: Some(value), ..Default::default() }
}

fn made(from: &Metric, suffix: &str, unit: String, data: Data) -> Metric {
    Metric { name: format!("{}{suffix}", from.name), description: from.description.clone(), unit, data: Some(data), ..Default::default() }
}
