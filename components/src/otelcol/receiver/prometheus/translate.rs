//! Prometheus samples to OTLP metrics, by the Collector's
//! prometheusreceiver rules: one resource per (`job`, `instance`),
//! `target_info` folded into it, counters as cumulative monotonic sums,
//! unknown-typed families as gauges, staleness markers as points flagged
//! "no recorded value". Names are kept as scraped (`_total` stays), as the
//! Collector does with `trim_metric_suffixes` at its default, false.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::metrics::v1::{
    exemplar, metric::Data, number_data_point, summary_data_point::ValueAtQuantile, AggregationTemporality, DataPointFlags, Exemplar as OtlpExemplar, Gauge,
    Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use crate::otlp::proto::resource::v1::Resource;
use crate::prometheus::is_stale;
use crate::prometheus::{Bucket, Exemplar, Family, MetricType, SampleValue, Series};

use super::start_time::{Previous, StartTimes};

/// The scope the Collector's receiver names its metrics with.
pub const SCOPE_NAME: &str = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver";
const SCOPE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Labels that name the target or the scope, never point attributes.
const JOB: &str = "job";
const INSTANCE: &str = "instance";
const SCOPE_NAME_LABEL: &str = "otel_scope_name";
const SCOPE_VERSION_LABEL: &str = "otel_scope_version";
const TARGET_INFO: &str = "target_info";
const NO_RECORDED_VALUE: u32 = DataPointFlags::NoRecordedValueMask as u32;

/// One translated batch.
#[derive(Debug, Default)]
pub struct Translated {
    pub resource_metrics: Vec<ResourceMetrics>,
    /// Data points made (staleness markers included).
    pub points: usize,
    /// Series whose value does not fit their family's type.
    pub dropped: usize,
}

#[derive(Default)]
struct Target {
    info: Vec<KeyValue>,
    /// Metrics by (scope name, scope version).
    scopes: BTreeMap<(String, String), Vec<Metric>>,
}

/// Translates one batch; `now_ns` stamps series that carry no timestamp.
/// `discovered` is the scraped target's labels before relabelling, when
/// the batch came from a scrape.
pub fn translate(families: &[Family], discovered: Option<&BTreeMap<String, String>>, now_ns: u64, starts: &mut StartTimes, at: Instant) -> Translated {
    let mut targets: BTreeMap<(String, String), Target> = BTreeMap::new();
    let mut out = Translated::default();
    let mut key = String::new();
    for family in families {
        for series in &family.series {
            let who = Who::of(series);
            let target = targets.entry((who.job.to_owned(), who.instance.to_owned())).or_default();
            if family.name == TARGET_INFO {
                target.info.extend(series.labels.iter().filter(|(k, _)| k != JOB && k != INSTANCE).map(|(k, v)| string_kv(k, v)));
                continue;
            }
            let time_ns = series.timestamp_ms.map_or(now_ns, |ms| u64::try_from(ms).unwrap_or(0).saturating_mul(1_000_000));
            series_key(&mut key, &who, &family.name, series);
            let scope = target.scopes.entry((who.scope_name.to_owned(), who.scope_version.to_owned())).or_default();
            if scope.last().is_none_or(|m| m.name != family.name) {
                scope.push(empty_metric(family));
            }
            let Some(metric) = scope.last_mut() else { continue };
            if add_point(metric, series, time_ns, &key, starts, at) {
                out.points += 1;
            } else {
                out.dropped += 1;
            }
        }
    }
    out.resource_metrics = targets.into_iter().filter_map(|((job, instance), t)| resource_metrics(&job, &instance, t, discovered)).collect();
    out
}

/// Who a series belongs to: its target and scope.
struct Who<'a> {
    job: &'a str,
    instance: &'a str,
    scope_name: &'a str,
    scope_version: &'a str,
}

impl<'a> Who<'a> {
    fn of(series: &'a Series) -> Who<'a> {
        let get = |name: &str| series.labels.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str());
        Who { job: get(JOB), instance: get(INSTANCE), scope_name: get(SCOPE_NAME_LABEL), scope_version: get(SCOPE_VERSION_LABEL) }
    }
}

fn is_attribute(label: &str) -> bool {
    !matches!(label, JOB | INSTANCE | SCOPE_NAME_LABEL | SCOPE_VERSION_LABEL)
}

/// The series' identity for start times, written into a reused buffer.
fn series_key(buf: &mut String, who: &Who, name: &str, series: &Series) {
    buf.clear();
    for part in [who.job, who.instance, name] {
        buf.push_str(part);
        buf.push('\u{1}');
    }
    for (k, v) in &series.labels {
        buf.push_str(k);
        buf.push('=');
        buf.push_str(v);
        buf.push('\u{1}');
    }
}

fn empty_metric(family: &Family) -> Metric {
    let data = match family.metadata.kind {
        MetricType::Counter => {
            Data::Sum(Sum { data_points: Vec::new(), aggregation_temporality: AggregationTemporality::Cumulative as i32, is_monotonic: true })
        }
        MetricType::Histogram => Data::Histogram(Histogram { data_points: Vec::new(), aggregation_temporality: AggregationTemporality::Cumulative as i32 }),
        MetricType::Summary => Data::Summary(Summary { data_points: Vec::new() }),
        MetricType::Gauge | MetricType::Unknown => Data::Gauge(Gauge { data_points: Vec::new() }),
    };
    Metric { name: family.name.clone(), description: family.metadata.help.clone(), unit: family.metadata.unit.clone(), data: Some(data), ..Default::default() }
}

/// Adds the series' point to `metric`; false if its value does not fit.
fn add_point(metric: &mut Metric, series: &Series, time_ns: u64, key: &str, starts: &mut StartTimes, at: Instant) -> bool {
    let attributes: Vec<KeyValue> = series.labels.iter().filter(|(k, _)| is_attribute(k)).map(|(k, v)| string_kv(k, v)).collect();
    let stale = match &series.value {
        SampleValue::Number(v) => is_stale(*v),
        SampleValue::Histogram { sum, .. } | SampleValue::Summary { sum, .. } => is_stale(*sum),
    };
    let exemplars = || series.exemplars.iter().map(|e| exemplar(e, time_ns)).collect();
    match (&mut metric.data, &series.value) {
        (Some(Data::Gauge(g)), SampleValue::Number(v)) => {
            let value = (!stale).then_some(number_data_point::Value::AsDouble(*v));
            let flags = if stale { NO_RECORDED_VALUE } else { 0 };
            g.data_points.push(NumberDataPoint { attributes, time_unix_nano: time_ns, value, flags, exemplars: exemplars(), ..Default::default() });
        }
        (Some(Data::Sum(s)), SampleValue::Number(v)) => {
            let (start, value, flags) = if stale {
                (starts.stale(key, time_ns), None, NO_RECORDED_VALUE)
            } else {
                (starts.observe(key, time_ns, Previous::Number(*v), at), Some(number_data_point::Value::AsDouble(*v)), 0)
            };
            s.data_points.push(NumberDataPoint { attributes, start_time_unix_nano: start, time_unix_nano: time_ns, value, flags, exemplars: exemplars() });
        }
        (Some(Data::Histogram(h)), _) if stale => {
            let start = starts.stale(key, time_ns);
            h.data_points.push(HistogramDataPoint {
                attributes,
                start_time_unix_nano: start,
                time_unix_nano: time_ns,
                flags: NO_RECORDED_VALUE,
                ..Default::default()
            });
        }
        (Some(Data::Histogram(h)), SampleValue::Histogram { buckets, count, sum }) => {
            let (explicit_bounds, bucket_counts) = otlp_buckets(buckets, *count);
            let seen = Previous::Histogram { count: *count, sum: *sum, bounds: explicit_bounds.clone(), buckets: bucket_counts.clone() };
            let start = starts.observe(key, time_ns, seen, at);
            h.data_points.push(HistogramDataPoint {
                attributes,
                start_time_unix_nano: start,
                time_unix_nano: time_ns,
                count: *count,
                sum: Some(*sum),
                bucket_counts,
                explicit_bounds,
                exemplars: exemplars(),
                ..Default::default()
            });
        }
        (Some(Data::Summary(s)), _) if stale => {
            let start = starts.stale(key, time_ns);
            s.data_points.push(SummaryDataPoint {
                attributes,
                start_time_unix_nano: start,
                time_unix_nano: time_ns,
                flags: NO_RECORDED_VALUE,
                ..Default::default()
            });
        }
        (Some(Data::Summary(s)), SampleValue::Summary { quantiles, count, sum }) => {
            let start = starts.observe(key, time_ns, Previous::Summary { count: *count, sum: *sum }, at);
            s.data_points.push(SummaryDataPoint {
                attributes,
                start_time_unix_nano: start,
                time_unix_nano: time_ns,
                count: *count,
                sum: *sum,
                quantile_values: quantiles.iter().map(|&(quantile, value)| ValueAtQuantile { quantile, value }).collect(),
                flags: 0,
            });
        }
        _ => return false,
    }
    true
}

/// Prometheus's cumulative buckets as OTLP's per-bucket counts; the
/// `+Inf` bound is implied by OTLP, so it is left out of the bounds.
fn otlp_buckets(buckets: &[Bucket], count: u64) -> (Vec<f64>, Vec<u64>) {
    let mut bounds = Vec::with_capacity(buckets.len());
    let mut counts = Vec::with_capacity(buckets.len() + 1);
    let mut below = 0u64;
    for b in buckets.iter().filter(|b| b.upper_bound != f64::INFINITY) {
        bounds.push(b.upper_bound);
        counts.push(b.cumulative_count.saturating_sub(below));
        below = below.max(b.cumulative_count);
    }
    counts.push(count.saturating_sub(below));
    (bounds, counts)
}

/// An exemplar: `trace_id` and `span_id` labels become its trace
/// context, the other labels its filtered attributes.
fn exemplar(e: &Exemplar, point_ns: u64) -> OtlpExemplar {
    let mut out = OtlpExemplar {
        time_unix_nano: e.timestamp_ms.map_or(point_ns, |ms| u64::try_from(ms).unwrap_or(0).saturating_mul(1_000_000)),
        value: Some(exemplar::Value::AsDouble(e.value)),
        ..Default::default()
    };
    for (k, v) in &e.labels {
        match (k.as_str(), hex::decode(v)) {
            ("trace_id", Ok(id)) if id.len() == 16 => out.trace_id = id,
            ("span_id", Ok(id)) if id.len() == 8 => out.span_id = id,
            _ => out.filtered_attributes.push(string_kv(k, v)),
        }
    }
    out
}

/// The resource the Collector makes for a target, with `target_info`'s
/// labels added; `None` when the target has no metrics.
fn resource_metrics(job: &str, instance: &str, target: Target, discovered: Option<&BTreeMap<String, String>>) -> Option<ResourceMetrics> {
    if target.scopes.is_empty() {
        return None;
    }
    let (host, port) = split_host_port(instance);
    let mut attributes = vec![string_kv("service.name", job)];
    if is_discernible(host) {
        attributes.push(string_kv("server.address", host));
    }
    attributes.push(string_kv("service.instance.id", instance));
    attributes.push(string_kv("server.port", port));
    let found = |label: &str| discovered.and_then(|d| d.get(label)).map_or("", String::as_str);
    attributes.push(string_kv("url.scheme", found("__scheme__")));
    kubernetes_attributes(&mut attributes, found);
    for kv in target.info {
        match attributes.iter_mut().find(|a| a.key == kv.key) {
            Some(a) => *a = kv,
            None => attributes.push(kv),
        }
    }
    let scope_metrics = target
        .scopes
        .into_iter()
        .map(|((name, version), metrics)| {
            let scope = if name.is_empty() {
                InstrumentationScope { name: SCOPE_NAME.to_owned(), version: SCOPE_VERSION.to_owned(), ..Default::default() }
            } else {
                InstrumentationScope { name, version, ..Default::default() }
            };
            ScopeMetrics { scope: Some(scope), metrics, schema_url: String::new() }
        })
        .collect();
    Some(ResourceMetrics { resource: Some(Resource { attributes, ..Default::default() }), scope_metrics, schema_url: String::new() })
}

/// `host:port` split as Go's `net.SplitHostPort` does; without a port the
/// whole instance is the host and the port is empty.
/// What Kubernetes service discovery said about the target, as the
/// Collector's receiver names it. Only one of the node name labels is
/// ever present.
const FROM_DISCOVERY: [(&str, &str); 7] = [
    ("__meta_kubernetes_pod_name", "k8s.pod.name"),
    ("__meta_kubernetes_pod_uid", "k8s.pod.uid"),
    ("__meta_kubernetes_pod_container_name", "k8s.container.name"),
    ("__meta_kubernetes_namespace", "k8s.namespace.name"),
    ("__meta_kubernetes_pod_node_name", "k8s.node.name"),
    ("__meta_kubernetes_node_name", "k8s.node.name"),
    ("__meta_kubernetes_endpoint_node_name", "k8s.node.name"),
];

fn kubernetes_attributes<'a>(attributes: &mut Vec<KeyValue>, found: impl Fn(&str) -> &'a str) {
    for (label, key) in FROM_DISCOVERY {
        let value = found(label);
        if !value.is_empty() && !attributes.iter().any(|a| a.key == key) {
            attributes.push(string_kv(key, value));
        }
    }
    let (kind, name) = (found("__meta_kubernetes_pod_controller_kind"), found("__meta_kubernetes_pod_controller_name"));
    let key = match kind {
        "ReplicaSet" => "k8s.replicaset.name",
        "DaemonSet" => "k8s.daemonset.name",
        "StatefulSet" => "k8s.statefulset.name",
        "Job" => "k8s.job.name",
        "CronJob" => "k8s.cronjob.name",
        _ => return,
    };
    if !name.is_empty() {
        attributes.push(string_kv(key, name));
    }
}

fn split_host_port(instance: &str) -> (&str, &str) {
    if let Some(rest) = instance.strip_prefix('[') {
        if let Some((host, port)) = rest.split_once("]:") {
            return (host, port);
        }
        return (instance, "");
    }
    match instance.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port),
        _ => (instance, ""),
    }
}

/// Whether a host names a machine others can tell apart: not loopback,
/// not unspecified, not `localhost`.
fn is_discernible(host: &str) -> bool {
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => !ip.is_loopback() && !ip.is_unspecified(),
        Err(_) => host != "localhost",
    }
}

fn string_kv(k: &str, v: &str) -> KeyValue {
    KeyValue { key: k.to_owned(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.to_owned())) }), ..Default::default() }
}
