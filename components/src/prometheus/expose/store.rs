//! The latest state of every series `prometheus.expose` has received,
//! kept rendered in both formats so that a scrape is a copy.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::render::{self, Format};
use crate::prometheus::{Batch, Exemplar, Family, Metadata, SampleValue, Series};

/// Labels sorted by name: a series' identity within its family.
type LabelSet = Vec<(String, String)>;

/// Every family by its name (before the namespace), in name order, so
/// output is sorted and stable.
#[derive(Default)]
pub struct Store {
    namespace: String,
    const_labels: LabelSet,
    families: BTreeMap<String, FamilyState>,
}

struct FamilyState {
    metadata: Metadata,
    /// The name as exposed: namespace and family name.
    exposed: String,
    series: BTreeMap<LabelSet, SeriesState>,
}

struct SeriesState {
    series: Series,
    updated: Instant,
    text: String,
    open_metrics: String,
}

impl Store {
    pub fn new(namespace: &str, const_labels: &BTreeMap<String, String>) -> Store {
        let mut store = Store::default();
        store.configure(namespace, const_labels);
        store
    }

    /// Applies a new namespace and constant labels, re-rendering what is
    /// held when they changed. Series keep their values.
    pub fn configure(&mut self, namespace: &str, const_labels: &BTreeMap<String, String>) {
        let const_labels: LabelSet = const_labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        if self.namespace == namespace && self.const_labels == const_labels {
            return;
        }
        self.namespace = namespace.to_string();
        self.const_labels = const_labels;
        for (name, family) in &mut self.families {
            family.exposed = exposed_name(&self.namespace, name);
            for state in family.series.values_mut() {
                state.render(&family.exposed, &family.metadata, &self.const_labels);
            }
        }
    }

    /// Records a batch: each series' latest value replaces the one held.
    /// A family whose type changed starts over.
    pub fn append(&mut self, batch: &Batch, now: Instant) {
        for family in &batch.families {
            self.append_family(family, now);
        }
    }

    fn append_family(&mut self, family: &Family, now: Instant) {
        let state = self.families.entry(family.name.clone()).or_insert_with(|| FamilyState {
            metadata: family.metadata.clone(),
            exposed: exposed_name(&self.namespace, &family.name),
            series: BTreeMap::new(),
        });
        if state.metadata.kind != family.metadata.kind {
            state.series.clear();
        }
        state.metadata = family.metadata.clone();
        for s in &family.series {
            let mut s = s.clone();
            if let Some(previous) = state.series.get(&s.labels) {
                carry_exemplars(&previous.series, &mut s);
            }
            let mut series = SeriesState { series: s, updated: now, text: String::new(), open_metrics: String::new() };
            series.render(&state.exposed, &state.metadata, &self.const_labels);
            state.series.insert(series.series.labels.clone(), series);
        }
    }

    /// Drops series not updated within `ttl`, and families left empty.
    pub fn expire(&mut self, now: Instant, ttl: Duration) {
        for family in self.families.values_mut() {
            family.series.retain(|_, s| now.saturating_duration_since(s.updated) < ttl);
        }
        self.families.retain(|_, f| !f.series.is_empty());
    }

    pub fn series_count(&self) -> usize {
        self.families.values().map(|f| f.series.len()).sum()
    }

    /// Writes the whole exposition into `out` (cleared first), families
    /// and series in sorted order.
    pub fn render(&self, format: Format, out: &mut String) {
        out.clear();
        for family in self.families.values() {
            let m = &family.metadata;
            render::header(out, &family.exposed, m.kind, &m.help, &m.unit, format);
            for s in family.series.values() {
                out.push_str(match format {
                    Format::Text => &s.text,
                    Format::OpenMetrics => &s.open_metrics,
                });
            }
        }
        if format == Format::OpenMetrics {
            out.push_str("# EOF\n");
        }
    }
}

/// Keeps an exemplar on its bucket (or counter) until a newer one takes
/// its place, as Prometheus client libraries do. Producers such as span
/// metrics send each exemplar once, then send the series without it; a
/// scraper that came between two updates would otherwise never see it.
/// A reset series (its count went down) keeps nothing from before.
fn carry_exemplars(old: &Series, new: &mut Series) {
    let (old_count, new_count) = (observations(&old.value), observations(&new.value));
    if old.exemplars.is_empty() || new_count < old_count {
        return;
    }
    let bounds: Vec<f64> = match &new.value {
        SampleValue::Histogram { buckets, .. } => buckets.iter().map(|b| b.upper_bound).collect(),
        _ => Vec::new(),
    };
    // The index of the bucket an exemplar belongs to; one slot for counters.
    let slot = |value: f64| bounds.iter().position(|b| value <= *b).unwrap_or(bounds.len());
    let mut newest: BTreeMap<usize, Exemplar> = BTreeMap::new();
    for e in old.exemplars.iter().chain(new.exemplars.iter()) {
        let held = newest.entry(slot(e.value)).or_insert_with(|| e.clone());
        if e.timestamp_ms >= held.timestamp_ms {
            *held = e.clone();
        }
    }
    new.exemplars = newest.into_values().collect();
}

/// How many observations a series has counted: a histogram's count, a
/// counter's value.
fn observations(v: &SampleValue) -> f64 {
    match v {
        SampleValue::Number(n) => *n,
        SampleValue::Histogram { count, .. } | SampleValue::Summary { count, .. } => *count as f64,
    }
}

impl SeriesState {
    fn render(&mut self, name: &str, metadata: &Metadata, const_labels: &[(String, String)]) {
        // Series labels arrive sorted; only constant labels need a merge.
        let merged;
        let labels: &[(String, String)] = if const_labels.is_empty() {
            &self.series.labels
        } else {
            let mut all = self.series.labels.clone();
            for (k, v) in const_labels {
                if !all.iter().any(|(have, _)| have == k) {
                    all.push((k.clone(), v.clone()));
                }
            }
            all.sort();
            merged = all;
            &merged
        };
        self.text.clear();
        self.open_metrics.clear();
        render::series(&mut self.text, name, metadata.kind, labels, &self.series, Format::Text);
        render::series(&mut self.open_metrics, name, metadata.kind, labels, &self.series, Format::OpenMetrics);
    }
}

fn exposed_name(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        name.to_string()
    } else {
        format!("{namespace}_{name}")
    }
}
