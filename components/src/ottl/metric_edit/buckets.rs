//! `merge_histogram_buckets` on one histogram point: the bucket ending at
//! a bound merged into the next, or neighbouring buckets merged evenly
//! down to a limit. A point whose buckets and bounds do not agree (one
//! more count than bounds), or whose bounds do not rise, is left alone:
//! merging it would invent a shape.

use solder_syntax::ottl::metric_edit::BucketMerge;

use crate::otlp::proto::metrics::v1::HistogramDataPoint;

/// How close a bound must be to the one named to be it.
const EPSILON: f64 = 1e-12;

pub(super) fn merge(p: &mut HistogramDataPoint, how: BucketMerge) {
    let counts = p.bucket_counts.len();
    if p.explicit_bounds.len() + 1 != counts || counts <= 1 {
        return;
    }
    match how {
        BucketMerge::RemoveBound(bound) => {
            let Some(i) = p.explicit_bounds.iter().position(|b| (b - bound).abs() < EPSILON) else { return };
            p.bucket_counts[i + 1] = p.bucket_counts[i + 1].wrapping_add(p.bucket_counts[i]);
            p.bucket_counts.remove(i);
            p.explicit_bounds.remove(i);
        }
        BucketMerge::Limit(max) => {
            if counts as u64 <= max || !p.explicit_bounds.windows(2).all(|w| w[1] > w[0]) {
                return;
            }
            // The smallest even group size that leaves at most `max`
            // buckets; a last group may be short.
            let size = counts.div_ceil(usize::try_from(max).unwrap_or(usize::MAX));
            // Counts wrap as the Collector's uint64s do, rather than panic.
            p.bucket_counts = p.bucket_counts.chunks(size).map(|c| c.iter().fold(0u64, |a, b| a.wrapping_add(*b))).collect();
            p.explicit_bounds = p.explicit_bounds.iter().skip(size - 1).step_by(size).copied().collect();
        }
    }
}
