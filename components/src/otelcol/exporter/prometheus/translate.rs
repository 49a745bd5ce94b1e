//! OTLP metrics to Prometheus families, by the Collector's translation
//! rules: names and labels made valid, `job` and `instance` from the
//! resource, `target_info`, exemplars with trace and span IDs.

use std::collections::BTreeMap;
use std::time::Instant;

use super::accumulate::Accumulator;
use super::naming::{label_name, metric_name, unit_name, NameKind};
use crate::otlp::proto::common::v1::{any_value::Value as Any, AnyValue, KeyValue};
use crate::otlp::proto::metrics::v1::{self as pm, metric::Data, number_data_point, AggregationTemporality};
use crate::otlp::proto::ExportMetricsServiceRequest;
use crate::prometheus::{Batch, Bucket, Exemplar, Family, Metadata, MetricType, SampleValue, Series};

/// The arguments that shape the translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub include_target_info: bool,
    pub include_scope_info: bool,
    pub include_scope_labels: bool,
    pub add_metric_suffixes: bool,
    pub resource_to_telemetry_conversion: bool,
}

/// Resource attributes that become `job` and `instance` rather than
/// `target_info` labels.
const IDENTIFYING: [&str; 3] = ["service.name", "service.namespace", "service.instance.id"];

/// The translated batch and how many data points could not be translated
/// (exponential histograms, or a name reused with another type).
pub fn translate(req: &ExportMetricsServiceRequest, rules: Rules, acc: &mut Accumulator, now: Instant) -> (Batch, usize) {
    let mut t = Translation { rules, acc, now, families: BTreeMap::new(), dropped: 0 };
    for rm in &req.resource_metrics {
        let attrs = rm.resource.as_ref().map_or(&[][..], |r| &r.attributes[..]);
        let get = |k: &str| attrs.iter().find(|kv| kv.key == k).map(|kv| value_string(kv.value.as_ref())).unwrap_or_default();
        let (name, namespace, instance) = (get("service.name"), get("service.namespace"), get("service.instance.id"));
        let job = if namespace.is_empty() { name } else { format!("{namespace}/{name}") };
        let mut identity = Vec::new();
        if !job.is_empty() {
            identity.push(("job".to_string(), job));
        }
        if !instance.is_empty() {
            identity.push(("instance".to_string(), instance));
        }
        let others: Vec<&KeyValue> = attrs.iter().filter(|kv| !IDENTIFYING.contains(&kv.key.as_str())).collect();
        if rules.include_target_info && !others.is_empty() {
            let labels = merge(&others, &[], &identity);
            t.push("target_info", gauge("Target metadata"), series(labels, 1.0, None, vec![]));
        }
        let resource_labels: Vec<&KeyValue> = if rules.resource_to_telemetry_conversion { attrs.iter().collect() } else { vec![] };
        for sm in &rm.scope_metrics {
            let mut extra = identity.clone();
            let scope = sm.scope.clone().unwrap_or_default();
            if !scope.name.is_empty() && (rules.include_scope_labels || rules.include_scope_info) {
                extra.push(("otel_scope_name".into(), scope.name.clone()));
                extra.push(("otel_scope_version".into(), scope.version.clone()));
            }
            if rules.include_scope_info && !scope.name.is_empty() {
                let scope_attrs: Vec<&KeyValue> = scope.attributes.iter().collect();
                t.push("otel_scope_info", gauge("Instrumentation Scope metadata"), series(merge(&scope_attrs, &[], &extra), 1.0, None, vec![]));
            }
            for m in &sm.metrics {
                t.metric(m, &resource_labels, &extra);
            }
        }
    }
    let dropped = t.dropped;
    (Batch::new(t.families.into_values().collect()), dropped)
}

struct Translation<'a> {
    rules: Rules,
    acc: &'a mut Accumulator,
    now: Instant,
    families: BTreeMap<String, Family>,
    dropped: usize,
}

impl Translation<'_> {
    fn metric(&mut self, m: &pm::Metric, resource: &[&KeyValue], extra: &[(String, String)]) {
        let (kind, name_kind) = match &m.data {
            Some(Data::Gauge(_)) => (MetricType::Gauge, NameKind::Gauge),
            Some(Data::Sum(s)) if s.is_monotonic => (MetricType::Counter, NameKind::Counter),
            Some(Data::Sum(_)) => (MetricType::Gauge, NameKind::Other),
            Some(Data::Histogram(_)) => (MetricType::Histogram, NameKind::Other),
            Some(Data::Summary(_)) => (MetricType::Summary, NameKind::Other),
            Some(Data::ExponentialHistogram(h)) => {
                self.dropped += h.data_points.len();
                return;
            }
            None => return,
        };
        let name = metric_name(&m.name, &m.unit, name_kind, self.rules.add_metric_suffixes);
        let meta = Metadata { kind, help: m.description.clone(), unit: unit_name(&m.unit) };
        let labels_of = |attrs: &[KeyValue]| merge(&attrs.iter().collect::<Vec<_>>(), resource, extra);
        match &m.data {
            Some(Data::Gauge(g)) => {
                for p in g.data_points.iter().filter(|p| !no_value(p.flags)) {
                    let s = series(labels_of(&p.attributes), number(p.value), Some(p.time_unix_nano), exemplars(&p.exemplars));
                    self.push(&name, meta.clone(), s);
                }
            }
            Some(Data::Sum(sum)) => {
                let delta = sum.aggregation_temporality == AggregationTemporality::Delta as i32;
                for p in sum.data_points.iter().filter(|p| !no_value(p.flags)) {
                    let labels = labels_of(&p.attributes);
                    let mut v = number(p.value);
                    if delta {
                        v = self.acc.add_number(key(&name, &labels), v, self.now);
                    }
                    self.push(&name, meta.clone(), series(labels, v, Some(p.time_unix_nano), exemplars(&p.exemplars)));
                }
            }
            Some(Data::Histogram(h)) => {
                let delta = h.aggregation_temporality == AggregationTemporality::Delta as i32;
                for p in h.data_points.iter().filter(|p| !no_value(p.flags)) {
                    let labels = labels_of(&p.attributes);
                    let (mut counts, mut count, mut sum) = (p.bucket_counts.clone(), p.count, p.sum.unwrap_or(0.0));
                    if delta {
                        (counts, count, sum) = self.acc.add_histogram(key(&name, &labels), &p.explicit_bounds, &counts, count, sum, self.now);
                    }
                    let value = SampleValue::Histogram { buckets: buckets(&p.explicit_bounds, &counts, count), count, sum };
                    let s = Series { labels, value, timestamp_ms: millis(p.time_unix_nano), exemplars: exemplars(&p.exemplars) };
                    self.push(&name, meta.clone(), s);
                }
            }
            Some(Data::Summary(summary)) => {
                for p in summary.data_points.iter().filter(|p| !no_value(p.flags)) {
                    let quantiles = p.quantile_values.iter().map(|q| (q.quantile, q.value)).collect();
                    let value = SampleValue::Summary { quantiles, count: p.count, sum: p.sum };
                    let s = Series { labels: labels_of(&p.attributes), value, timestamp_ms: millis(p.time_unix_nano), exemplars: vec![] };
                    self.push(&name, meta.clone(), s);
                }
            }
            Some(Data::ExponentialHistogram(_)) | None => {}
        }
    }

    /// Adds a series to its family. A name already used with another type
    /// keeps the first type; the series is counted as dropped.
    fn push(&mut self, name: &str, meta: Metadata, s: Series) {
        let family = self.families.entry(name.to_string()).or_insert_with(|| Family { name: name.to_string(), metadata: meta.clone(), series: vec![] });
        if family.metadata.kind != meta.kind {
            self.dropped += 1;
            return;
        }
        family.series.push(s);
    }
}

/// Labels from point attributes, then resource attributes not already
/// set, then `extra` (job, instance, scope), which wins. Attributes whose
/// names clean up to the same label are joined with `;`, in key order.
fn merge(attrs: &[&KeyValue], resource: &[&KeyValue], extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut sorted: Vec<&KeyValue> = attrs.to_vec();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for kv in sorted {
        let v = value_string(kv.value.as_ref());
        labels
            .entry(label_name(&kv.key))
            .and_modify(|have| {
                have.push(';');
                have.push_str(&v);
            })
            .or_insert(v);
    }
    for kv in resource {
        labels.entry(label_name(&kv.key)).or_insert_with(|| value_string(kv.value.as_ref()));
    }
    for (k, v) in extra {
        labels.insert(k.clone(), v.clone());
    }
    labels.into_iter().filter(|(_, v)| !v.is_empty()).collect()
}

/// An attribute value as a label value: strings as they are, other
/// scalars as their literal, arrays and maps as JSON.
fn value_string(v: Option<&AnyValue>) -> String {
    match v.and_then(|v| v.value.as_ref()) {
        None => String::new(),
        Some(Any::StringValue(s)) => s.clone(),
        Some(Any::BoolValue(b)) => b.to_string(),
        Some(Any::IntValue(i)) => i.to_string(),
        Some(Any::DoubleValue(d)) => d.to_string(),
        Some(Any::BytesValue(b)) => hex::encode(b),
        Some(other) => json(other).to_string(),
    }
}

fn json(v: &Any) -> serde_json::Value {
    use serde_json::Value as J;
    let inner = |v: &AnyValue| v.value.as_ref().map_or(J::Null, json);
    match v {
        Any::StringValue(s) => J::from(s.as_str()),
        Any::BoolValue(b) => J::from(*b),
        Any::IntValue(i) => J::from(*i),
        Any::DoubleValue(d) => J::from(*d),
        Any::BytesValue(b) => J::from(hex::encode(b)),
        Any::ArrayValue(a) => J::Array(a.values.iter().map(inner).collect()),
        Any::KvlistValue(l) => J::Object(l.values.iter().map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(J::Null, inner))).collect()),
        #[allow(unreachable_patterns)]
        _ => J::Null,
    }
}

/// Per-bucket counts made cumulative, ending in `+Inf` at `count`.
fn buckets(bounds: &[f64], counts: &[u64], count: u64) -> Vec<Bucket> {
    let mut cumulative = 0u64;
    let mut out: Vec<Bucket> = bounds
        .iter()
        .zip(counts)
        .map(|(b, c)| {
            cumulative = cumulative.saturating_add(*c);
            Bucket { upper_bound: *b, cumulative_count: cumulative }
        })
        .collect();
    out.push(Bucket { upper_bound: f64::INFINITY, cumulative_count: count });
    out
}

fn exemplars(list: &[pm::Exemplar]) -> Vec<Exemplar> {
    list.iter()
        .map(|e| {
            let mut labels = Vec::new();
            if !e.trace_id.is_empty() {
                labels.push(("trace_id".to_string(), hex::encode(&e.trace_id)));
            }
            if !e.span_id.is_empty() {
                labels.push(("span_id".to_string(), hex::encode(&e.span_id)));
            }
            let value = match e.value {
                Some(pm::exemplar::Value::AsDouble(d)) => d,
                Some(pm::exemplar::Value::AsInt(i)) => i as f64,
                None => 0.0,
            };
            Exemplar { labels, value, timestamp_ms: millis(e.time_unix_nano) }
        })
        .collect()
}

fn series(labels: Vec<(String, String)>, v: f64, time: Option<u64>, exemplars: Vec<Exemplar>) -> Series {
    Series { labels, value: SampleValue::Number(v), timestamp_ms: time.and_then(millis), exemplars }
}

fn gauge(help: &str) -> Metadata {
    Metadata { kind: MetricType::Gauge, help: help.into(), unit: String::new() }
}

fn number(v: Option<number_data_point::Value>) -> f64 {
    match v {
        Some(number_data_point::Value::AsDouble(d)) => d,
        Some(number_data_point::Value::AsInt(i)) => i as f64,
        None => 0.0,
    }
}

fn millis(nanos: u64) -> Option<i64> {
    (nanos != 0).then(|| i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX))
}

/// The OTLP flag saying a point holds no value (a staleness marker).
fn no_value(flags: u32) -> bool {
    flags & (pm::DataPointFlags::NoRecordedValueMask as u32) != 0
}

/// A series' identity for accumulation.
fn key(name: &str, labels: &[(String, String)]) -> String {
    let mut k = String::from(name);
    for (n, v) in labels {
        k.push('\u{0}');
        k.push_str(n);
        k.push('\u{0}');
        k.push_str(v);
    }
    k
}
