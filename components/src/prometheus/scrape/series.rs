//! From a parsed body to the batch a scrape forwards: target labels
//! merged as Prometheus merges them, limits enforced, samples grouped into
//! families, and the series seen tracked for staleness.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher};

use super::parse::{Exposition, FamilyMeta, RawSample};
use super::target::Target;
use crate::prometheus::{Batch, Exemplar, Family, Metadata, MetricType, SampleValue, Series};

/// The per-series limits, post metric relabelling; 0 means none.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    pub sample_limit: u64,
    pub label_limit: u64,
    pub label_name_length_limit: u64,
    pub label_value_length_limit: u64,
}

/// How samples become series.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SeriesRules {
    pub honor_labels: bool,
    pub honor_timestamps: bool,
    pub track_timestamps_staleness: bool,
    pub limits: Limits,
}

/// A scrape's series, and the identity of each for staleness: `None` for
/// a series that is not tracked (an explicit timestamp, unless
/// `track_timestamps_staleness`).
pub struct Scraped {
    pub families: Vec<Family>,
    pub identities: Vec<Option<u64>>,
    pub samples: usize,
}

/// Merges a target's labels into a sample's. With `honor_labels` the
/// scraped value wins; without it the target's does, and a clashing
/// scraped label is kept as `exported_<name>`.
fn merge(sample: Vec<(String, String)>, target: &[(String, String)], honor: bool) -> Vec<(String, String)> {
    let mut labels = sample;
    for (k, v) in target {
        match labels.iter().position(|(n, _)| n == k) {
            Some(i) if honor => {
                if labels[i].1.is_empty() {
                    labels[i].1 = v.clone();
                }
            }
            Some(i) => {
                let mut exported = format!("exported_{k}");
                while labels.iter().any(|(n, _)| *n == exported) {
                    exported.insert_str(0, "exported_");
                }
                labels[i].0 = exported;
                labels.push((k.clone(), v.clone()));
            }
            None => labels.push((k.clone(), v.clone())),
        }
    }
    labels.retain(|(_, v)| !v.is_empty());
    labels.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    labels
}

fn check_limits(name: &str, labels: &[(String, String)], l: &Limits) -> Result<(), String> {
    if l.label_limit > 0 && labels.len() as u64 + 1 > l.label_limit {
        return Err(format!("label_limit exceeded (metric: {name}, number of labels: {}, limit: {})", labels.len() + 1, l.label_limit));
    }
    for (k, v) in labels {
        if l.label_name_length_limit > 0 && k.len() as u64 > l.label_name_length_limit {
            return Err(format!(
                "label_name_length_limit exceeded (metric: {name}, label name: {k}, length: {}, limit: {})",
                k.len(),
                l.label_name_length_limit
            ));
        }
        if l.label_value_length_limit > 0 && v.len() as u64 > l.label_value_length_limit {
            return Err(format!("label_value_length_limit exceeded (metric: {name}, label name: {k}, value: {v:?}, limit: {})", l.label_value_length_limit));
        }
    }
    Ok(())
}

/// The identity of a series: its name and labels. foldhash's quality
/// variant: as collision-resistant as a 64-bit identity needs (two series
/// sharing one would merge), at a fraction of SipHash's cost, which was a
/// tenth of the scrape's CPU. Identities only need to agree within one
/// process, so a fixed seed is fine.
pub fn identity(name: &str, labels: &[(String, String)]) -> u64 {
    let mut h = foldhash::quality::FixedState::with_seed(IDENTITY_SEED).build_hasher();
    name.hash(&mut h);
    labels.hash(&mut h);
    h.finish()
}

const IDENTITY_SEED: u64 = 0x5eed_501d_e2c0_ffee;

/// A set of identities, which are hashes already: hashing them again would
/// only cost.
pub type IdentitySet = HashSet<u64, std::hash::BuildHasherDefault<PassThrough>>;

/// The hasher of [`IdentitySet`]: a `u64` key is its own hash.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys use this hasher; fold anything else in anyway.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What a family's metadata is, from `# TYPE` of its name or, for a
/// counter's `_total` and a histogram's or summary's parts, of its base.
fn metadata(name: &str, families: &HashMap<String, FamilyMeta>) -> Metadata {
    if let Some(m) = families.get(name) {
        return Metadata { kind: m.kind.unwrap_or(MetricType::Unknown), help: m.help.clone(), unit: m.unit.clone() };
    }
    for suffix in ["_total", "_bucket", "_sum", "_count", "_created", "_info"] {
        if let Some(m) = name.strip_suffix(suffix).and_then(|base| families.get(base)) {
            let kind = if suffix == "_total" && m.kind == Some(MetricType::Counter) { MetricType::Counter } else { MetricType::Unknown };
            return Metadata { kind, help: m.help.clone(), unit: m.unit.clone() };
        }
    }
    Metadata { kind: MetricType::Unknown, help: String::new(), unit: String::new() }
}

/// Turns a parsed body into series. Every sample is a family member of
/// its own name (`_bucket`, `_sum` and `_count` stay separate), as
/// Prometheus appends samples.
pub fn build(body: Exposition<'_>, target: &Target, rules: &SeriesRules, now_ms: i64) -> Result<Scraped, String> {
    let samples = body.samples.len();
    let limit = rules.limits.sample_limit;
    if limit > 0 && samples as u64 > limit {
        return Err(format!("sample limit exceeded: {samples} samples, limit {limit}"));
    }
    let mut families: Vec<Family> = Vec::new();
    let mut identities = Vec::with_capacity(samples);
    let mut seen = IdentitySet::with_capacity_and_hasher(samples, Default::default());
    for RawSample { name, labels, value, timestamp_ms, exemplar } in body.samples {
        let labels = merge(labels, &target.labels, rules.honor_labels);
        check_limits(name, &labels, &rules.limits)?;
        let id = identity(name, &labels);
        if !seen.insert(id) {
            // Prometheus counts and skips a duplicate series in one scrape.
            continue;
        }
        let explicit = timestamp_ms.is_some() && rules.honor_timestamps;
        identities.push(if explicit && !rules.track_timestamps_staleness { None } else { Some(id) });
        let ts = if rules.honor_timestamps { timestamp_ms.unwrap_or(now_ms) } else { now_ms };
        // An exemplar without its own time takes the sample's, as in
        // Prometheus.
        let exemplars = exemplar.map(|e| Exemplar { timestamp_ms: e.timestamp_ms.or(Some(ts)), ..e }).into_iter().collect();
        let series = Series { labels, value: SampleValue::Number(value), timestamp_ms: Some(ts), exemplars };
        match families.last_mut() {
            Some(f) if f.name == name => f.series.push(series),
            _ => {
                let metadata = metadata(name, &body.families);
                families.push(Family { name: name.to_string(), metadata, series: vec![series] });
            }
        }
    }
    Ok(Scraped { families, identities, samples })
}

/// Staleness markers at `now_ms` for the tracked series of `previous`
/// whose identity is not in `current`.
pub fn stale_markers(previous: &Batch, identities: &[Option<u64>], current: &IdentitySet, now_ms: i64) -> Vec<Family> {
    let mut out: Vec<Family> = Vec::new();
    let mut ids = identities.iter();
    for f in &previous.families {
        for s in &f.series {
            let Some(id) = ids.next() else { return out };
            let Some(id) = id else { continue };
            if current.contains(id) {
                continue;
            }
            let marker = Series {
                labels: s.labels.clone(),
                value: SampleValue::Number(crate::prometheus::stale_nan()),
                timestamp_ms: Some(now_ms),
                exemplars: Vec::new(),
            };
            match out.last_mut() {
                Some(last) if last.name == f.name => last.series.push(marker),
                _ => out.push(Family { name: f.name.clone(), metadata: f.metadata.clone(), series: vec![marker] }),
            }
        }
    }
    out
}

/// One gauge series with the target's labels: the `up` and `scrape_*`
/// series each scrape reports.
pub fn report(name: &str, help: &str, value: f64, target: &Target, now_ms: i64) -> Family {
    Family {
        name: name.to_string(),
        metadata: Metadata { kind: MetricType::Gauge, help: help.to_string(), unit: String::new() },
        series: vec![Series { labels: target.labels.clone(), value: SampleValue::Number(value), timestamp_ms: Some(now_ms), exemplars: Vec::new() }],
    }
}
