//! A [`Batch`] as Remote-Write series: one series per sample, histograms
//! and summaries spelled out as Prometheus stores them, each encoded once.

use crate::prometheus::{Batch, Exemplar as SampleExemplar, Family, MetricType, SampleValue, Series};

use super::proto::{EncodedSeries, Exemplar, Label, MetadataType, MetricMetadata, Sample};

/// A batch ready to queue: shared by every endpoint's queue.
#[derive(Debug)]
pub struct Converted {
    pub series: Vec<EncodedSeries>,
    /// One entry per family, indexed by [`EncodedSeries::family`].
    pub metadata: Vec<MetricMetadata>,
}

impl Converted {
    pub fn len(&self) -> usize {
        self.series.len()
    }
}

/// Converts `batch`. Samples without a timestamp get `now_ms`; each
/// `external` label is added to series that do not have it.
pub fn convert(batch: &Batch, external: &[(String, String)], now_ms: i64) -> Converted {
    let mut out = Converted { series: Vec::with_capacity(batch.series_count()), metadata: Vec::with_capacity(batch.families.len()) };
    for family in &batch.families {
        let index = u32::try_from(out.metadata.len()).unwrap_or(u32::MAX);
        out.metadata.push(metadata(family));
        for series in &family.series {
            let mut writer = SeriesWriter { out: &mut out.series, family: index, base: base_labels(series, external), now_ms, series };
            writer.write(&family.name);
        }
    }
    out
}

fn metadata(family: &Family) -> MetricMetadata {
    let kind = match family.metadata.kind {
        MetricType::Counter => MetadataType::Counter,
        MetricType::Gauge => MetadataType::Gauge,
        MetricType::Histogram => MetadataType::Histogram,
        MetricType::Summary => MetadataType::Summary,
        MetricType::Unknown => MetadataType::Unknown,
    };
    MetricMetadata { r#type: kind as i32, metric_family_name: family.name.clone(), help: family.metadata.help.clone(), unit: family.metadata.unit.clone() }
}

/// A series' own labels and the external labels it lacks. Labels
/// starting with `__` and labels with empty values are dropped, as Alloy
/// and Prometheus drop them.
fn base_labels(series: &Series, external: &[(String, String)]) -> Vec<Label> {
    let keep = |(k, v): &&(String, String)| !k.starts_with("__") && !v.is_empty();
    let own = series.labels.iter().filter(keep);
    let missing = external.iter().filter(keep).filter(|(k, _)| !series.labels.iter().any(|(name, _)| name == k));
    own.chain(missing).map(|(k, v)| Label { name: k.clone(), value: v.clone() }).collect()
}

struct SeriesWriter<'a> {
    out: &'a mut Vec<EncodedSeries>,
    family: u32,
    base: Vec<Label>,
    now_ms: i64,
    series: &'a Series,
}

impl SeriesWriter<'_> {
    fn write(&mut self, name: &str) {
        let s = self.series;
        match &s.value {
            SampleValue::Number(v) => self.push(name, None, *v, &s.exemplars.iter().collect::<Vec<_>>()),
            SampleValue::Histogram { buckets, count, sum } => {
                let bucket_name = format!("{name}_bucket");
                let mut lower = f64::NEG_INFINITY;
                let mut saw_inf = false;
                for b in buckets {
                    let upper = b.upper_bound;
                    let last = upper == f64::INFINITY;
                    // An exemplar goes with the bucket whose bound contains
                    // its value; anything left over goes with +Inf.
                    let here: Vec<&SampleExemplar> = s.exemplars.iter().filter(|e| above(e.value, lower) && (last || e.value <= upper)).collect();
                    self.push(&bucket_name, Some(("le", upper)), b.cumulative_count as f64, &here);
                    saw_inf |= last;
                    lower = upper;
                }
                if !saw_inf {
                    let here: Vec<&SampleExemplar> = s.exemplars.iter().filter(|e| above(e.value, lower)).collect();
                    self.push(&bucket_name, Some(("le", f64::INFINITY)), *count as f64, &here);
                }
                self.push(&format!("{name}_sum"), None, *sum, &[]);
                self.push(&format!("{name}_count"), None, *count as f64, &[]);
            }
            SampleValue::Summary { quantiles, count, sum } => {
                for (q, v) in quantiles {
                    self.push(name, Some(("quantile", *q)), *v, &[]);
                }
                self.push(&format!("{name}_sum"), None, *sum, &[]);
                self.push(&format!("{name}_count"), None, *count as f64, &[]);
            }
        }
    }

    /// One series: `__name__`, the base labels and `extra`, sorted by name
    /// with the first of any duplicate kept.
    fn push(&mut self, name: &str, extra: Option<(&str, f64)>, value: f64, exemplars: &[&SampleExemplar]) {
        let mut labels = Vec::with_capacity(self.base.len() + 2);
        labels.push(Label { name: "__name__".into(), value: name.to_string() });
        if let Some((k, v)) = extra {
            labels.push(Label { name: k.into(), value: label_number(v) });
        }
        labels.extend(self.base.iter().cloned());
        labels.sort_by(|a, b| a.name.cmp(&b.name));
        labels.dedup_by(|later, first| later.name == first.name);
        let sample = Sample { value, timestamp: self.series.timestamp_ms.unwrap_or(self.now_ms) };
        let exemplars = exemplars.iter().map(|e| exemplar(e, self.now_ms)).collect();
        self.out.push(EncodedSeries::new(labels, sample, exemplars, self.family));
    }
}

/// Above a bucket's lower bound; NaN is above every bound, so it lands
/// in `+Inf`.
fn above(v: f64, lower: f64) -> bool {
    v > lower || v.is_nan()
}

fn exemplar(e: &SampleExemplar, now_ms: i64) -> Exemplar {
    Exemplar {
        labels: e.labels.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| Label { name: k.clone(), value: v.clone() }).collect(),
        value: e.value,
        timestamp: e.timestamp_ms.unwrap_or(now_ms),
    }
}

/// A bound or quantile as a label value, as the exposition writes it:
/// `"1"`, `"0.25"`, `"+Inf"`.
fn label_number(v: f64) -> String {
    match v {
        f64::INFINITY => "+Inf".into(),
        f64::NEG_INFINITY => "-Inf".into(),
        v if v.is_nan() => "NaN".into(),
        v if v.fract() == 0.0 && v.abs() < 1e15 => (v as i64).to_string(),
        v => format!("{v:?}"),
    }
}
