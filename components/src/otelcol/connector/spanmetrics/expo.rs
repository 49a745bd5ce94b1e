//! Base-2 exponential histograms, as OpenTelemetry defines them: bucket
//! `i` at scale `s` holds the values in `(2^(i·2^-s), 2^((i+1)·2^-s)]`.
//! A histogram starts at the finest scale and halves its resolution
//! whenever the values seen would need more than `max_size` buckets, so
//! it follows any range of durations with bounded memory and a relative
//! error of at most `2^(2^-s) - 1`.

use crate::otlp::proto::metrics::v1::exponential_histogram_data_point::Buckets;

/// The finest scale a histogram starts at, as in the collector.
pub const MAX_SCALE: i32 = 20;
/// The coarsest scale: below it, buckets would span more than the
/// exponent range of a double.
const MIN_SCALE: i32 = -10;

#[derive(Debug, Clone, PartialEq)]
pub struct ExpoHistogram {
    max_size: usize,
    scale: i32,
    /// The index of `counts[0]`.
    offset: i32,
    counts: Vec<u64>,
    zero_count: u64,
    min: f64,
    max: f64,
}

impl ExpoHistogram {
    pub fn new(max_size: usize) -> ExpoHistogram {
        ExpoHistogram { max_size: max_size.max(2), scale: MAX_SCALE, offset: 0, counts: Vec::new(), zero_count: 0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }

    /// Counts one value. Durations are never negative; a zero (or a
    /// value too small to index) goes to the zero bucket.
    pub fn record(&mut self, value: f64) {
        if !value.is_finite() || value < 0.0 {
            return;
        }
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        if value < f64::MIN_POSITIVE {
            self.zero_count += 1;
            return;
        }
        let mut index = index_of(value, self.scale);
        if self.counts.is_empty() {
            self.offset = index;
            self.counts.push(1);
            return;
        }
        let last = self.offset + self.counts.len() as i32 - 1;
        let (low, high) = (self.offset.min(index), last.max(index));
        let change = downscale_needed(low, high, self.max_size).min(self.scale - MIN_SCALE);
        if change > 0 {
            self.downscale(change);
            index >>= change;
        }
        if index < self.offset {
            let grow = (self.offset - index) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = index;
        }
        let at = (index - self.offset) as usize;
        if at >= self.counts.len() {
            self.counts.resize(at + 1, 0);
        }
        if let Some(c) = self.counts.get_mut(at) {
            *c += 1;
        }
    }

    /// Halves the resolution `change` times, merging neighbouring buckets.
    fn downscale(&mut self, change: i32) {
        self.scale -= change;
        if self.counts.is_empty() {
            return;
        }
        let new_offset = self.offset >> change;
        let mut merged: Vec<u64> = Vec::with_capacity(self.counts.len());
        for (i, c) in self.counts.iter().enumerate() {
            let at = (((self.offset + i as i32) >> change) - new_offset) as usize;
            if at >= merged.len() {
                merged.resize(at + 1, 0);
            }
            if let Some(m) = merged.get_mut(at) {
                *m += c;
            }
        }
        self.offset = new_offset;
        self.counts = merged;
    }

    /// Forgets every value (a delta window ended); the scale stays, as
    /// the next window's values are likely alike.
    pub fn clear(&mut self) {
        self.counts.clear();
        self.zero_count = 0;
        self.min = f64::INFINITY;
        self.max = f64::NEG_INFINITY;
    }

    pub fn scale(&self) -> i32 {
        self.scale
    }

    pub fn zero_count(&self) -> u64 {
        self.zero_count
    }

    pub fn positive(&self) -> Buckets {
        Buckets { offset: self.offset, bucket_counts: self.counts.clone() }
    }

    /// The smallest and largest value recorded, if any.
    pub fn range(&self) -> Option<(f64, f64)> {
        (self.min <= self.max).then_some((self.min, self.max))
    }
}

/// How many halvings make `low..=high` fit in `max_size` buckets.
fn downscale_needed(low: i32, high: i32, max_size: usize) -> i32 {
    let (mut low, mut high) = (i64::from(low), i64::from(high));
    let mut change = 0;
    while (high - low + 1) as u64 > max_size as u64 {
        low >>= 1;
        high >>= 1;
        change += 1;
    }
    change
}

/// The bucket of a positive, normal `value` at `scale`. Exact powers of
/// two are computed exactly (they are bucket boundaries and belong to the
/// bucket below); others use the logarithm.
pub fn index_of(value: f64, scale: i32) -> i32 {
    let bits = value.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32 - 1023;
    let exact_power = bits & ((1u64 << 52) - 1) == 0;
    if scale <= 0 {
        let e = if exact_power { exponent - 1 } else { exponent };
        return e >> -scale;
    }
    if exact_power {
        return (exponent << scale) - 1;
    }
    let factor = std::f64::consts::LOG2_E * f64::from(1u32 << scale);
    let index = (value.ln() * factor).floor() as i32;
    // The logarithm can land one bucket off next to a boundary; the
    // boundary itself decides.
    if value <= lower_boundary(index, scale) {
        index - 1
    } else if value > lower_boundary(index + 1, scale) {
        index + 1
    } else {
        index
    }
}

/// The lower (exclusive) boundary of bucket `index` at a positive scale.
fn lower_boundary(index: i32, scale: i32) -> f64 {
    (f64::from(index) / f64::from(1u32 << scale)).exp2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_two_are_upper_bounds_of_their_bucket() {
        // At scale 0 bucket i is (2^i, 2^(i+1)]: 4 is in bucket 1, 4.1 in 2.
        assert_eq!(index_of(4.0, 0), 1);
        assert_eq!(index_of(4.1, 0), 2);
        assert_eq!(index_of(1.0, 0), -1);
        assert_eq!(index_of(1.5, 0), 0);
        // At scale 1 the base is √2: (√2, 2] is bucket 1.
        assert_eq!(index_of(2.0, 1), 1);
        assert_eq!(index_of(1.5, 1), 1);
        assert_eq!(index_of(1.4, 1), 0);
        // Negative scales merge 2^-s buckets of scale 0.
        assert_eq!(index_of(4.1, -1), 1);
        assert_eq!(index_of(16.0, -1), 1);
        assert_eq!(index_of(17.0, -1), 2);
    }

    #[test]
    fn every_value_lies_within_its_buckets_bounds() {
        for scale in [1, 3, 8, 20] {
            for v in [0.001, 0.5, 1.0001, 3.0, 7.999, 1234.5, 9.9e6] {
                let i = index_of(v, scale);
                assert!(lower_boundary(i, scale) < v && v <= lower_boundary(i + 1, scale), "{v} at scale {scale}: bucket {i}");
            }
        }
    }

    #[test]
    fn downscales_to_fit_max_size_and_keeps_every_count() {
        let mut h = ExpoHistogram::new(4);
        for v in [1.5, 3.0, 6.0, 12.0, 24.0, 48.0, 0.0] {
            h.record(v);
        }
        let b = h.positive();
        assert!(b.bucket_counts.len() <= 4, "{b:?}");
        assert_eq!(b.bucket_counts.iter().sum::<u64>() + h.zero_count(), 7);
        assert_eq!(h.zero_count(), 1);
        // 1.5 (scale 0: bucket 0) to 48 (bucket 5) need 6 buckets at scale
        // 0, 3 at scale -1.
        assert_eq!(h.scale(), -1);
        assert_eq!((b.offset, b.bucket_counts), (0, vec![2, 2, 2]));
        assert_eq!(h.range(), Some((0.0, 48.0)));
    }

    #[test]
    fn one_value_stays_at_the_finest_scale() {
        let mut h = ExpoHistogram::new(160);
        h.record(12.5);
        h.record(12.5);
        assert_eq!(h.scale(), MAX_SCALE);
        assert_eq!(h.positive().bucket_counts, vec![2]);
        h.clear();
        assert_eq!((h.positive().bucket_counts.len(), h.range()), (0, None));
    }
}
