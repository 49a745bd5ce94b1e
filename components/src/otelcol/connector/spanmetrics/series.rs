//! One aggregated series: the calls count, the duration histogram and the
//! exemplars of one attribute set, and how it becomes OTLP data points.

use crate::otlp::proto::common::v1::KeyValue;
use crate::otlp::proto::metrics::v1::{exemplar, number_data_point, Exemplar, ExponentialHistogramDataPoint, HistogramDataPoint, NumberDataPoint};

use super::expo::ExpoHistogram;

/// What duration histogram a series keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// Calls only: histograms disabled, or an events series.
    Count,
    /// This many explicit buckets (bounds plus the overflow bucket).
    Explicit(usize),
    /// An exponential histogram of at most this many buckets.
    Exponential(usize),
}

/// A span sampled onto a data point, so a dashboard can jump from a
/// latency bucket to a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub trace_id: Vec<u8>,
    pub span_id: Vec<u8>,
    pub value: f64,
    pub time: u64,
}

/// The state of one series between flushes. Attributes are built once,
/// when the series is first seen; every later span only adds numbers.
#[derive(Debug, Clone)]
pub struct Series {
    pub attributes: Vec<KeyValue>,
    /// The start of the current aggregation window (unix nanos).
    pub start: u64,
    /// When a span last landed here (unix nanos), for `metrics_expiration`.
    pub last_seen: u64,
    pub count: u64,
    pub sum: f64,
    /// One count per explicit bound plus the overflow bucket; empty when
    /// the histogram is disabled or for event series.
    pub buckets: Vec<u64>,
    pub expo: Option<ExpoHistogram>,
    pub exemplars: Vec<Sample>,
}

impl Series {
    pub fn new(attributes: Vec<KeyValue>, now: u64, shape: Shape) -> Series {
        let (buckets, expo) = match shape {
            Shape::Count => (Vec::new(), None),
            Shape::Explicit(n) => (vec![0; n], None),
            Shape::Exponential(max) => (Vec::new(), Some(ExpoHistogram::new(max))),
        };
        Series { attributes, start: now, last_seen: now, count: 0, sum: 0.0, buckets, expo, exemplars: Vec::new() }
    }

    /// Counts one span of `value` (in the histogram's unit). `bounds` are
    /// the upper bounds: a value equal to a bound falls in that bound's
    /// bucket, as Prometheus `le` buckets do.
    pub fn observe(&mut self, value: f64, bounds: &[f64], now: u64) {
        self.count += 1;
        self.last_seen = now;
        if !self.buckets.is_empty() {
            self.sum += value;
            let i = bounds.partition_point(|b| *b < value);
            if let Some(b) = self.buckets.get_mut(i) {
                *b += 1;
            }
        } else if let Some(h) = &mut self.expo {
            self.sum += value;
            h.record(value);
        }
    }

    /// Keeps the span as an exemplar unless `max` are already held
    /// (0 means no cap, as in the collector).
    pub fn sample(&mut self, trace_id: &[u8], span_id: &[u8], value: f64, now: u64, max: usize) {
        if trace_id.is_empty() || trace_id.iter().all(|b| *b == 0) || (max > 0 && self.exemplars.len() >= max) {
            return;
        }
        self.exemplars.push(Sample { trace_id: trace_id.to_vec(), span_id: span_id.to_vec(), value, time: now });
    }

    /// Starts a new delta window at `now`: counts go back to zero, the
    /// series (and its built attributes) stay.
    pub fn reset_window(&mut self, now: u64) {
        self.start = now;
        self.count = 0;
        self.sum = 0.0;
        self.buckets.iter_mut().for_each(|b| *b = 0);
        if let Some(h) = &mut self.expo {
            h.clear();
        }
        self.exemplars.clear();
    }

    fn exemplars(&self) -> Vec<Exemplar> {
        self.exemplars
            .iter()
            .map(|s| Exemplar {
                filtered_attributes: Vec::new(),
                time_unix_nano: s.time,
                span_id: s.span_id.clone(),
                trace_id: s.trace_id.clone(),
                value: Some(exemplar::Value::AsDouble(s.value)),
            })
            .collect()
    }

    pub fn count_point(&self, now: u64) -> NumberDataPoint {
        NumberDataPoint {
            attributes: self.attributes.clone(),
            start_time_unix_nano: self.start,
            time_unix_nano: now,
            exemplars: self.exemplars(),
            flags: 0,
            value: Some(number_data_point::Value::AsInt(i64::try_from(self.count).unwrap_or(i64::MAX))),
        }
    }

    pub fn histogram_point(&self, bounds: &[f64], now: u64) -> HistogramDataPoint {
        HistogramDataPoint {
            attributes: self.attributes.clone(),
            start_time_unix_nano: self.start,
            time_unix_nano: now,
            count: self.count,
            sum: Some(self.sum),
            bucket_counts: self.buckets.clone(),
            explicit_bounds: bounds.to_vec(),
            exemplars: self.exemplars(),
            flags: 0,
            min: None,
            max: None,
        }
    }

    /// The exponential histogram point; `None` for a series without one.
    pub fn exponential_point(&self, now: u64) -> Option<ExponentialHistogramDataPoint> {
        let h = self.expo.as_ref()?;
        let range = h.range();
        Some(ExponentialHistogramDataPoint {
            attributes: self.attributes.clone(),
            start_time_unix_nano: self.start,
            time_unix_nano: now,
            count: self.count,
            sum: Some(self.sum),
            scale: h.scale(),
            zero_count: h.zero_count(),
            positive: Some(h.positive()),
            negative: None,
            flags: 0,
            exemplars: self.exemplars(),
            min: range.map(|r| r.0),
            max: range.map(|r| r.1),
            zero_threshold: 0.0,
        })
    }
}
