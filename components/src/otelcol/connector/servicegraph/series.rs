//! The metrics: one series per edge shape (client, server, connection
//! type, failed, dimensions), cumulative since the series was first seen,
//! rendered as the collector's servicegraph connector names them.

use std::collections::BTreeMap;
use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use super::edges::{ConnectionType, Edge};
use crate::otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::metrics::v1::{
    metric::Data, number_data_point, AggregationTemporality, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::ExportMetricsServiceRequest;

/// Series not updated for this long are forgotten by the cache loop, as
/// the collector does, so that vanished services stop being exported.
pub(super) const STALE_AFTER: StdDuration = StdDuration::from_secs(15 * 60);

/// What tells one series from another. `failed` is part of it, so a
/// series' `failed` label never changes under it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct SeriesKey {
    pub client: String,
    pub server: String,
    pub connection_type: ConnectionType,
    pub failed: bool,
    pub dimensions: Vec<(String, String)>,
}

impl SeriesKey {
    fn of(edge: Edge) -> SeriesKey {
        SeriesKey {
            client: edge.client,
            server: edge.server,
            connection_type: edge.connection_type,
            failed: edge.failed,
            dimensions: edge.dimensions.into_iter().collect(),
        }
    }

    fn attributes(&self) -> Vec<KeyValue> {
        let kv = |k: &str, v: &str| KeyValue {
            key: k.to_string(),
            value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.to_string())) }),
            ..Default::default()
        };
        let mut out = vec![
            kv("client", &self.client),
            kv("server", &self.server),
            kv("connection_type", self.connection_type.as_str()),
            kv("failed", if self.failed { "true" } else { "false" }),
        ];
        out.extend(self.dimensions.iter().map(|(k, v)| kv(k, v)));
        out
    }
}

/// A latency histogram in seconds over fixed bounds (inclusive upper).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LatencyHistogram {
    pub buckets: Vec<u64>,
    pub count: u64,
    pub sum: f64,
}

impl LatencyHistogram {
    fn new(bounds: &[f64]) -> LatencyHistogram {
        LatencyHistogram { buckets: vec![0; bounds.len() + 1], count: 0, sum: 0.0 }
    }

    fn observe(&mut self, bounds: &[f64], seconds: f64) {
        let i = bounds.partition_point(|b| *b < seconds);
        if let Some(b) = self.buckets.get_mut(i) {
            *b += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

#[derive(Debug, Clone)]
pub(super) struct Series {
    pub total: u64,
    pub failed: u64,
    pub server: LatencyHistogram,
    pub client: LatencyHistogram,
    start_unix_nano: u64,
    last_updated: Instant,
}

/// Every series, and the histogram bounds they share.
#[derive(Default)]
pub(super) struct SeriesSet {
    pub bounds: Vec<f64>,
    pub series: BTreeMap<SeriesKey, Series>,
}

impl SeriesSet {
    /// New bounds make old histograms meaningless: their series restart.
    pub(super) fn set_bounds(&mut self, bounds: Vec<f64>) {
        if self.bounds != bounds {
            self.bounds = bounds;
            self.series.clear();
        }
    }

    /// Counts one completed call.
    pub(super) fn record(&mut self, edge: Edge, now: Instant) {
        let (server_latency, client_latency, failed) = (edge.server_latency, edge.client_latency, edge.failed);
        let bounds = &self.bounds;
        let s = self.series.entry(SeriesKey::of(edge)).or_insert_with(|| Series {
            total: 0,
            failed: 0,
            server: LatencyHistogram::new(bounds),
            client: LatencyHistogram::new(bounds),
            start_unix_nano: unix_nanos(SystemTime::now()),
            last_updated: now,
        });
        s.total += 1;
        s.failed += u64::from(failed);
        s.server.observe(bounds, server_latency);
        s.client.observe(bounds, client_latency);
        s.last_updated = now;
    }

    /// Forgets series not updated since `STALE_AFTER` before `now`.
    pub(super) fn clean(&mut self, now: Instant) -> usize {
        let before = self.series.len();
        self.series.retain(|_, s| now.saturating_duration_since(s.last_updated) < STALE_AFTER);
        before - self.series.len()
    }

    /// The cumulative metrics as an export request; `None` when there is
    /// nothing to report yet.
    pub(super) fn render(&self, now: SystemTime) -> Option<ExportMetricsServiceRequest> {
        if self.series.is_empty() {
            return None;
        }
        let time = unix_nanos(now);
        let cumulative = AggregationTemporality::Cumulative as i32;
        let count_point = |k: &SeriesKey, s: &Series, v: u64| NumberDataPoint {
            attributes: k.attributes(),
            start_time_unix_nano: s.start_unix_nano,
            time_unix_nano: time,
            value: Some(number_data_point::Value::AsInt(i64::try_from(v).unwrap_or(i64::MAX))),
            ..Default::default()
        };
        let sum = |name: &str, points: Vec<NumberDataPoint>| Metric {
            name: name.to_string(),
            data: Some(Data::Sum(Sum { data_points: points, aggregation_temporality: cumulative, is_monotonic: true })),
            ..Default::default()
        };
        let histogram = |name: &str, side: fn(&Series) -> &LatencyHistogram| Metric {
            name: name.to_string(),
            unit: "s".to_string(),
            data: Some(Data::Histogram(Histogram {
                aggregation_temporality: cumulative,
                data_points: self
                    .series
                    .iter()
                    .map(|(k, s)| {
                        let h = side(s);
                        HistogramDataPoint {
                            attributes: k.attributes(),
                            start_time_unix_nano: s.start_unix_nano,
                            time_unix_nano: time,
                            count: h.count,
                            sum: Some(h.sum),
                            bucket_counts: h.buckets.clone(),
                            explicit_bounds: self.bounds.clone(),
                            ..Default::default()
                        }
                    })
                    .collect(),
            })),
            ..Default::default()
        };
        let mut metrics = vec![sum("traces_service_graph_request_total", self.series.iter().map(|(k, s)| count_point(k, s, s.total)).collect())];
        let failed: Vec<_> = self.series.iter().filter(|(_, s)| s.failed > 0).map(|(k, s)| count_point(k, s, s.failed)).collect();
        if !failed.is_empty() {
            metrics.push(sum("traces_service_graph_request_failed_total", failed));
        }
        metrics.push(histogram("traces_service_graph_request_server", |s| &s.server));
        metrics.push(histogram("traces_service_graph_request_client", |s| &s.client));
        Some(ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: Some(Resource::default()),
                scope_metrics: vec![ScopeMetrics {
                    scope: Some(InstrumentationScope { name: "traces_service_graph".to_string(), ..Default::default() }),
                    metrics,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
    }
}

fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
