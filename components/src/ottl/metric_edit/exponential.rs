//! `convert_exponential_histogram_to_histogram`: each exponential point
//! becomes a histogram point of the bounds given, its buckets' counts
//! spread over the explicit buckets they overlap by the distribution asked
//! for.
//!
//! Unlike the Collector's code, the result is a well-formed OTLP
//! histogram: one more count than bounds (values above the last bound
//! go to the overflow bucket), and every count placed, so the bucket
//! counts add up to what the exponential buckets held: zero counts where 0
//! falls (the Collector keeps them only when the bounds start at 0), and
//! the negative buckets too (the Collector drops them).

use std::f64::consts::LN_2;
use std::mem::take;

use solder_syntax::ottl::metric_edit::Distribution;

use crate::otlp::proto::metrics::v1::exponential_histogram_data_point::Buckets;
use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::{ExponentialHistogramDataPoint, Histogram, HistogramDataPoint, Metric};

/// Converts an exponential histogram; any other type stays.
pub(super) fn to_explicit(metric: &mut Metric, how: Distribution, bounds: &[f64]) {
    let Some(Data::ExponentialHistogram(e)) = &mut metric.data else { return };
    let data_points = take(&mut e.data_points).into_iter().map(|p| point(p, how, bounds)).collect();
    metric.data = Some(Data::Histogram(Histogram { data_points, aggregation_temporality: e.aggregation_temporality }));
}

fn point(p: ExponentialHistogramDataPoint, how: Distribution, bounds: &[f64]) -> HistogramDataPoint {
    let mut counts = vec![0u64; bounds.len() + 1];
    add(&mut counts, bucket(bounds, 0.0), p.zero_count);
    // Bucket `i` of scale `s` covers (base^i, base^(i+1)], base = 2^(2^-s).
    let factor = LN_2 * 2f64.powi(-p.scale);
    let mut seed = p.time_unix_nano ^ p.count.rotate_left(32);
    for (side, negative) in [(&p.positive, false), (&p.negative, true)] {
        let Some(Buckets { offset, bucket_counts }) = side else { continue };
        for (k, &count) in bucket_counts.iter().enumerate() {
            let index = i64::from(*offset) + k as i64;
            let (near, far) = ((index as f64 * factor).exp(), ((index + 1) as f64 * factor).exp());
            let (lower, upper) = if negative { (-far, -near) } else { (near, far) };
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            spread(&mut counts, bounds, how, (lower, upper), count, seed);
        }
    }
    HistogramDataPoint {
        attributes: p.attributes,
        start_time_unix_nano: p.start_time_unix_nano,
        time_unix_nano: p.time_unix_nano,
        count: p.count,
        sum: p.sum,
        bucket_counts: counts,
        explicit_bounds: bounds.to_vec(),
        exemplars: p.exemplars,
        flags: p.flags,
        min: p.min,
        max: p.max,
    }
}

/// The explicit bucket a value falls in: the first whose bound it does
/// not exceed, or the overflow bucket.
fn bucket(bounds: &[f64], v: f64) -> usize {
    bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len())
}

fn add(counts: &mut [u64], at: usize, n: u64) {
    if let Some(c) = counts.get_mut(at) {
        *c = c.wrapping_add(n);
    }
}

/// Places the `count` of the exponential bucket (lower, upper].
fn spread(counts: &mut [u64], bounds: &[f64], how: Distribution, (lower, upper): (f64, f64), count: u64, seed: u64) {
    if count == 0 {
        return;
    }
    // The explicit buckets the range overlaps: from the one just above
    // `lower` to the one `upper` falls in.
    let first = bounds.iter().position(|b| lower < *b).unwrap_or(bounds.len());
    let last = bucket(bounds, upper).max(first);
    let span = (last - first + 1) as u64;
    match how {
        Distribution::Upper => add(counts, last, count),
        Distribution::Midpoint => add(counts, bucket(bounds, (lower + upper) / 2.0), count),
        Distribution::Uniform => even(counts, first..=last, count),
        Distribution::Random => {
            let width = upper - lower;
            if span == 1 || !width.is_finite() || width <= 0.0 {
                return even(counts, first..=last, count);
            }
            let mut placed = 0u64;
            for j in first..=last {
                let lo = if j == 0 { lower } else { bounds[j - 1].max(lower) };
                let hi = bounds.get(j).map_or(upper, |b| b.min(upper));
                let share = (count as f64 * ((hi - lo).max(0.0) / width)) as u64;
                let share = share.min(count - placed);
                add(counts, j, share);
                placed += share;
            }
            // What rounding left (fewer than the buckets overlapped, but
            // for float error), each unit to a bucket picked at random.
            let mut rest = count - placed;
            if rest > span {
                even(counts, first..=last, rest - rest % span);
                rest %= span;
            }
            let mut state = seed;
            for _ in 0..rest {
                state = splitmix(state);
                add(counts, first + (state % span) as usize, 1);
            }
        }
    }
}

/// `count` over the buckets, evenly, the remainder one each to the first.
fn even(counts: &mut [u64], range: std::ops::RangeInclusive<usize>, count: u64) {
    let n = (range.end() - range.start() + 1) as u64;
    let (each, mut rest) = (count / n, count % n);
    for j in range {
        add(counts, j, each + u64::from(rest > 0));
        rest = rest.saturating_sub(1);
    }
}

/// A step of SplitMix64: pseudo-random, and the same for the same point.
fn splitmix(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
