//! `extract_percentile_metric`: a new gauge of each point's estimated
//! percentile, `<name>_p<percentile>`, as the Collector estimates it.
//!
//! - A histogram interpolates linearly inside the bucket the target count
//!   falls in: the first bucket from 0, the overflow bucket up to `max`
//!   (its lower bound when there is no larger max).
//! - An exponential histogram interpolates logarithmically inside its
//!   bucket, linearly inside the zero bucket. Like the Collector, it counts
//!   the negative buckets first, from the one nearest zero.
//! - A summary gives the quantile it reported, if it reported exactly
//!   that one; otherwise the call fails.
//!
//! A point that counted nothing gives NaN. A point whose buckets add up
//! to less than its count fails the call, and no metric is made.

use crate::otlp::proto::metrics::v1::exponential_histogram_data_point::Buckets;
use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::number_data_point::Value as Number;
use crate::otlp::proto::metrics::v1::{ExponentialHistogramDataPoint, Gauge, HistogramDataPoint, Metric, NumberDataPoint, SummaryDataPoint};

use super::extract::point;
use super::type_name;

const FUNCTION: &str = "extract_percentile_metric";

/// The gauge, or `None` when the metric has no points.
pub(super) fn extract(metric: &Metric, percentile: f64, suffix: &str) -> Result<Option<Metric>, String> {
    let point = |attributes: &[_], start, time, value| point(attributes, start, time, Number::AsDouble(value));
    let data_points: Vec<NumberDataPoint> = match &metric.data {
        Some(Data::Histogram(h)) => h
            .data_points
            .iter()
            .map(|p| Ok(point(&p.attributes, p.start_time_unix_nano, p.time_unix_nano, histogram(p, percentile)?)))
            .collect::<Result<_, String>>()?,
        Some(Data::ExponentialHistogram(h)) => h
            .data_points
            .iter()
            .map(|p| Ok(point(&p.attributes, p.start_time_unix_nano, p.time_unix_nano, exponential(p, percentile)?)))
            .collect::<Result<_, String>>()?,
        Some(Data::Summary(s)) => s
            .data_points
            .iter()
            .map(|p| Ok(point(&p.attributes, p.start_time_unix_nano, p.time_unix_nano, summary(p, percentile)?)))
            .collect::<Result<_, String>>()?,
        _ => return Err(format!("{FUNCTION} requires an input metric of type Histogram, ExponentialHistogram or Summary, got {}", type_name(metric))),
    };
    if data_points.is_empty() {
        return Ok(None);
    }
    Ok(Some(Metric {
        name: format!("{}{suffix}", metric.name),
        description: format!("{} (p{percentile})", metric.description),
        unit: metric.unit.clone(),
        data: Some(Data::Gauge(Gauge { data_points })),
        ..Default::default()
    }))
}

/// The count the percentile reaches: rounded up, as the Collector does.
fn target(count: u64, percentile: f64) -> u64 {
    (count as f64 * (percentile / 100.0)).ceil() as u64
}

fn linear(lower: f64, upper: f64, ratio: f64) -> f64 {
    lower + ratio * (upper - lower)
}

fn logarithmic(lower: f64, upper: f64, ratio: f64) -> f64 {
    let (lo, hi) = (lower.log2(), upper.log2());
    (lo + (hi - lo) * ratio).exp2()
}

fn histogram(p: &HistogramDataPoint, percentile: f64) -> Result<f64, String> {
    if p.count == 0 || p.bucket_counts.is_empty() || p.explicit_bounds.is_empty() {
        return Ok(f64::NAN);
    }
    let want = target(p.count, percentile);
    let bounds = &p.explicit_bounds;
    let mut cumulative = 0u64;
    for (i, &n) in p.bucket_counts.iter().enumerate() {
        let before = cumulative;
        cumulative = cumulative.saturating_add(n);
        if cumulative < want {
            continue;
        }
        let (lower, upper) = match i {
            0 => (0.0, bounds[0]),
            _ => {
                let lower = bounds[i - 1];
                match (bounds.get(i), p.max) {
                    (Some(&upper), _) => (lower, upper),
                    // The overflow bucket ends at the largest value seen.
                    (None, Some(max)) if max > lower => (lower, max),
                    (None, _) => return Ok(lower),
                }
            }
        };
        return Ok(linear(lower, upper, (want - before) as f64 / n as f64));
    }
    Err(format!(
        "percentile p{percentile:.2} not found in histogram buckets: targetCount={want}, totalCount={}, total cumulative count={cumulative} \
         (malformed data: cumulative count doesn't reach target)",
        p.count
    ))
}

/// The lower bound of exponential bucket `index` at `scale`.
fn bound(index: i64, scale: i32) -> f64 {
    if scale <= 0 {
        // 2^(index * 2^-scale), exactly.
        2f64.powf(index as f64 * 2f64.powi(-scale))
    } else {
        (index as f64 * std::f64::consts::LN_2 * 2f64.powi(-scale)).exp()
    }
}

fn counts(b: &Option<Buckets>) -> &[u64] {
    b.as_ref().map_or(&[], |b| b.bucket_counts.as_slice())
}

fn exponential(p: &ExponentialHistogramDataPoint, percentile: f64) -> Result<f64, String> {
    let offset = |b: &Option<Buckets>| i64::from(b.as_ref().map_or(0, |b| b.offset));
    let (negative, positive) = (counts(&p.negative), counts(&p.positive));
    if p.count == 0 || (negative.is_empty() && positive.is_empty() && p.zero_count == 0) {
        return Ok(f64::NAN);
    }
    let want = target(p.count, percentile);
    let mut cumulative = 0u64;
    for (i, &n) in negative.iter().enumerate() {
        let before = cumulative;
        cumulative = cumulative.saturating_add(n);
        if cumulative >= want {
            let index = offset(&p.negative) + i as i64;
            let ratio = (want as f64 - before as f64) / n as f64;
            // From less negative to more negative: the ratio runs the other way.
            return Ok(-logarithmic(bound(index, p.scale), bound(index + 1, p.scale), 1.0 - ratio));
        }
    }
    let after_negative = cumulative;
    cumulative = cumulative.saturating_add(p.zero_count);
    if cumulative >= want {
        let mut lower = -p.zero_threshold;
        let mut upper = p.zero_threshold;
        if negative.is_empty() && !positive.is_empty() {
            lower = 0.0;
        }
        if positive.is_empty() && !negative.is_empty() {
            upper = 0.0;
        }
        return Ok(linear(lower, upper, (want - after_negative) as f64 / p.zero_count as f64));
    }
    for (i, &n) in positive.iter().enumerate() {
        let before = cumulative;
        cumulative = cumulative.saturating_add(n);
        if cumulative >= want {
            let index = offset(&p.positive) + i as i64;
            return Ok(logarithmic(bound(index, p.scale), bound(index + 1, p.scale), (want - before) as f64 / n as f64));
        }
    }
    Err(format!(
        "percentile p{percentile:.2} not found in positive buckets for exponential histogram: targetCount={want}, total count={cumulative} \
         (malformed data: cumulative count doesn't reach target count corresponding to percentile)"
    ))
}

fn summary(p: &SummaryDataPoint, percentile: f64) -> Result<f64, String> {
    let wanted = percentile / 100.0;
    if let Some(q) = p.quantile_values.iter().find(|q| q.quantile == wanted) {
        return Ok(q.value);
    }
    let available: Vec<String> = p.quantile_values.iter().map(|q| format!("{}", q.quantile * 100.0)).collect();
    Err(format!("percentile p{percentile} not found in summary metric, available quantiles: [{}]", available.join(" ")))
}
