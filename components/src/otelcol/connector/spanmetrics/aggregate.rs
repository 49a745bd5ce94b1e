//! The aggregation core: spans in, series updated, OTLP metrics out on
//! flush. No clocks, locks or tasks here, so it can be tested and
//! benchmarked on its own; the component owns it behind a mutex.
//!
//! Per span, the series key is written into one reused byte buffer and
//! looked up by slice: a span of an existing series allocates nothing.

use crate::otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::metrics::v1::{metric, AggregationTemporality, ExponentialHistogram, Histogram, Metric, ResourceMetrics, ScopeMetrics, Sum};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::ResourceSpans;
use crate::otlp::proto::ExportTraceServiceRequest;

use super::attributes::{attributes, find, kv, write_key, Lookup};
use super::key;
use super::series::{Series, Shape};
use super::table::{Map, SeriesTable};

/// A configured dimension: an attribute name and what to use when a span
/// lacks it.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    pub name: String,
    pub default: Option<String>,
}

/// Everything the aggregation needs, already checked and converted.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub namespace: String,
    pub dimensions: Vec<Dimension>,
    /// Which of service.name, span.name, span.kind, status.code are kept.
    pub keep: [bool; 4],
    /// Explicit histogram upper bounds in `unit`.
    pub bounds: Option<Vec<f64>>,
    /// Instead of explicit bounds: an exponential histogram of at most
    /// this many buckets. With neither, the histogram is disabled.
    pub exponential: Option<usize>,
    /// "ms" or "s".
    pub unit: &'static str,
    pub delta: bool,
    /// Events dimensions when `events` is enabled.
    pub events: Option<Vec<Dimension>>,
    pub include_scope: Vec<String>,
    pub resource_keys: Vec<String>,
    /// Exemplars per data point per flush; `None` disables exemplars.
    pub exemplars: Option<usize>,
    /// Nanoseconds without a span after which a series is dropped; 0 never.
    pub expiration: u64,
    /// Series per resource before overflow; 0 means no limit.
    pub cardinality_limit: usize,
}

impl Config {
    /// Whether two configs produce the same series: if so, state carries
    /// over an update; if not, it is reset.
    pub fn same_series(&self, other: &Config) -> bool {
        (&self.namespace, &self.dimensions, self.keep, &self.bounds, self.exponential, self.unit, self.delta, &self.events, &self.include_scope, &self.resource_keys)
            == (&other.namespace, &other.dimensions, other.keep, &other.bounds, other.exponential, other.unit, other.delta, &other.events, &other.include_scope, &other.resource_keys)
    }

    fn divider(&self) -> f64 {
        if self.unit == "s" { 1e9 } else { 1e6 }
    }
}

/// One resource's series: its own cardinality budget and overflow series.
#[derive(Default)]
struct ResourceState {
    attributes: Vec<KeyValue>,
    series: SeriesTable<Series>,
    overflow: Option<Series>,
    events: SeriesTable<Series>,
    events_overflow: Option<Series>,
}

/// The series of every resource, and the buffers spans are keyed in.
pub struct Aggregator {
    config: Config,
    resources: Map<ResourceState>,
    /// The span dimensions followed by the event dimensions: what keys an
    /// event series.
    event_dims: Vec<Dimension>,
    key: Vec<u8>,
    spans_seen: u64,
}

fn event_dims(c: &Config) -> Vec<Dimension> {
    c.dimensions.iter().chain(c.events.iter().flatten()).cloned().collect()
}

impl Aggregator {
    pub fn new(config: Config) -> Aggregator {
        Aggregator { event_dims: event_dims(&config), config, resources: Map::default(), key: Vec::with_capacity(256), spans_seen: 0 }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Applies a new config. Returns whether the series were reset because
    /// the new config shapes them differently.
    pub fn reconfigure(&mut self, config: Config) -> bool {
        let reset = !self.config.same_series(&config);
        if reset {
            self.resources.clear();
        }
        self.event_dims = event_dims(&config);
        self.config = config;
        reset
    }

    pub fn spans_seen(&self) -> u64 {
        self.spans_seen
    }

    /// Live series across resources (calls/duration and events).
    pub fn series_count(&self) -> usize {
        self.resources.values().map(|r| r.series.len() + r.events.len() + usize::from(r.overflow.is_some()) + usize::from(r.events_overflow.is_some())).sum()
    }

    /// Counts every span of `request` at time `now` (unix nanos).
    pub fn aggregate(&mut self, request: &ExportTraceServiceRequest, now: u64) {
        for rs in &request.resource_spans {
            self.aggregate_resource(rs, now);
        }
    }

    fn aggregate_resource(&mut self, rs: &ResourceSpans, now: u64) {
        let resource_attrs: &[KeyValue] = rs.resource.as_ref().map_or(&[], |r| &r.attributes);
        let Some(service) = find(resource_attrs, "service.name") else { return };
        let service_name = match &service.value {
            Some(any_value::Value::StringValue(s)) => s.as_str(),
            _ => "",
        };
        let config = &self.config;
        self.key.clear();
        key::push_value(&mut self.key, Some(service));
        for k in &config.resource_keys {
            key::push_value(&mut self.key, find(resource_attrs, k));
        }
        if !self.resources.contains_key(self.key.as_slice()) {
            let mut attributes = vec![kv("service.name", service.clone())];
            for k in &config.resource_keys {
                if let (Some(v), true) = (find(resource_attrs, k), k != "service.name") {
                    attributes.push(kv(k, v.clone()));
                }
            }
            self.resources.insert(self.key.as_slice().into(), ResourceState { attributes, ..Default::default() });
        }
        let Some(resource) = self.resources.get_mut(self.key.as_slice()) else { return };
        let shape = match (&config.bounds, config.exponential) {
            (Some(b), _) => Shape::Explicit(b.len() + 1),
            (None, Some(max)) => Shape::Exponential(max),
            (None, None) => Shape::Count,
        };
        let bounds: &[f64] = config.bounds.as_deref().unwrap_or(&[]);
        let divider = config.divider();
        for ss in &rs.scope_spans {
            let scope = ss.scope.as_ref().filter(|s| !s.name.is_empty() && config.include_scope.contains(&s.name));
            for span in &ss.spans {
                self.spans_seen += 1;
                let value = span.end_time_unix_nano.saturating_sub(span.start_time_unix_nano) as f64 / divider;
                let dims = Lookup { config, span, service_name, scope, resource: resource_attrs, event: &[] };
                let limit = config.cardinality_limit;
                let Some(series) = upsert(&mut resource.series, &mut resource.overflow, &mut self.key, &dims, &config.dimensions, shape, limit, now) else { continue };
                series.observe(value, bounds, now);
                if let Some(max) = config.exemplars {
                    series.sample(&span.trace_id, &span.span_id, value, now, max);
                }
                if config.events.is_none() {
                    continue;
                }
                for event in &span.events {
                    let dims = Lookup { event: &event.attributes, ..dims };
                    let Some(series) = upsert(&mut resource.events, &mut resource.events_overflow, &mut self.key, &dims, &self.event_dims, Shape::Count, limit, now) else { continue };
                    series.observe(value, &[], now);
                    if let Some(max) = config.exemplars {
                        series.sample(&span.trace_id, &span.span_id, value, now, max);
                    }
                }
            }
        }
    }

    /// Builds the metrics of every series as of `now`, then starts the next
    /// window: delta series go back to zero (and those idle for a whole
    /// window are dropped), exemplars are cleared, expired series removed.
    pub fn flush(&mut self, now: u64) -> Vec<ResourceMetrics> {
        let c = &self.config;
        let temporality = if c.delta { AggregationTemporality::Delta } else { AggregationTemporality::Cumulative } as i32;
        let name = |n: &str| if c.namespace.is_empty() { n.to_string() } else { format!("{}.{n}", c.namespace) };
        let mut out = Vec::with_capacity(self.resources.len());
        for r in self.resources.values() {
            let series = live(&r.series, &r.overflow, c.delta);
            let events = live(&r.events, &r.events_overflow, c.delta);
            if series.is_empty() && events.is_empty() {
                continue;
            }
            let sum = |points| metric::Data::Sum(Sum { data_points: points, aggregation_temporality: temporality, is_monotonic: true });
            let mut metrics = vec![Metric { name: name("calls"), data: Some(sum(series.iter().map(|s| s.count_point(now)).collect())), ..Default::default() }];
            if let Some(bounds) = &c.bounds {
                let points = series.iter().map(|s| s.histogram_point(bounds, now)).collect();
                metrics.push(Metric { name: name("duration"), unit: c.unit.to_string(), data: Some(metric::Data::Histogram(Histogram { data_points: points, aggregation_temporality: temporality })), ..Default::default() });
            } else if c.exponential.is_some() {
                let points = series.iter().filter_map(|s| s.exponential_point(now)).collect();
                let data = metric::Data::ExponentialHistogram(ExponentialHistogram { data_points: points, aggregation_temporality: temporality });
                metrics.push(Metric { name: name("duration"), unit: c.unit.to_string(), data: Some(data), ..Default::default() });
            }
            if c.events.is_some() {
                metrics.push(Metric { name: name("events"), data: Some(sum(events.iter().map(|s| s.count_point(now)).collect())), ..Default::default() });
            }
            out.push(ResourceMetrics {
                resource: Some(Resource { attributes: r.attributes.clone(), ..Default::default() }),
                scope_metrics: vec![ScopeMetrics { scope: Some(InstrumentationScope { name: "spanmetricsconnector".into(), ..Default::default() }), metrics, schema_url: String::new() }],
                schema_url: String::new(),
            });
        }
        self.next_window(now);
        out
    }

    fn next_window(&mut self, now: u64) {
        let (delta, ttl) = (self.config.delta, self.config.expiration);
        let mut keep = |s: &mut Series| -> bool {
            if ttl > 0 && now.saturating_sub(s.last_seen) >= ttl {
                return false;
            }
            if delta {
                let active = s.count > 0;
                s.reset_window(now);
                return active;
            }
            s.exemplars.clear();
            true
        };
        for r in self.resources.values_mut() {
            r.series.retain(&mut keep);
            r.events.retain(&mut keep);
            for o in [&mut r.overflow, &mut r.events_overflow] {
                if o.as_mut().is_some_and(|s| !keep(s)) {
                    *o = None;
                }
            }
        }
        self.resources.retain(|_, r| !(r.series.is_empty() && r.events.is_empty() && r.overflow.is_none() && r.events_overflow.is_none()));
    }
}

/// The series to report, oldest first; a delta
/// series with no span this window has nothing to say.
fn live<'a>(m: &'a SeriesTable<Series>, overflow: &'a Option<Series>, delta: bool) -> Vec<&'a Series> {
    let mut v: Vec<&Series> = m.values().chain(overflow.iter()).filter(|s| !delta || s.count > 0).collect();
    v.sort_by_key(|s| s.start);
    v
}

/// Finds or creates the series for the span in `l`; past the cardinality
/// limit, new attribute sets fold into the one overflow series. An
/// existing series costs one lookup by borrowed key and no allocation.
#[allow(clippy::too_many_arguments)]
fn upsert<'m>(table: &'m mut SeriesTable<Series>, overflow: &'m mut Option<Series>, buf: &mut Vec<u8>, l: &Lookup<'_>, dims: &[Dimension], shape: Shape, limit: usize, now: u64) -> Option<&'m mut Series> {
    write_key(buf, l, dims);
    if let Some(i) = table.position(buf) {
        return table.at_mut(i);
    }
    if limit > 0 && table.len() >= limit {
        let overflowed = || Series::new(vec![kv("otel.metric.overflow", AnyValue { value: Some(any_value::Value::BoolValue(true)) })], now, shape);
        return Some(overflow.get_or_insert_with(overflowed));
    }
    table.insert(buf, Series::new(attributes(l, dims), now, shape))
}
