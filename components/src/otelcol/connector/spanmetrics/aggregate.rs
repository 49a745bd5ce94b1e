//! The aggregation core: spans in, series updated, OTLP metrics out on
//! flush. No clocks, locks or tasks here, so it can be tested and
//! benchmarked on its own; the component owns it behind a mutex.
//!
//! Spans are read straight from the request's wire bytes
//! ([`Aggregator::aggregate`]), with no decoding. Per span, the series key
//! is written into one reused byte buffer and looked up by slice: a span of
//! an existing series allocates nothing. [`Aggregator::aggregate_decoded`]
//! (in `decoded.rs`) does the same from a decoded request: the reference
//! the wire path is tested and benchmarked against.

use crate::otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::metrics::v1::{metric, AggregationTemporality, ExponentialHistogram, Histogram, Metric, ResourceMetrics, ScopeMetrics, Sum};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::wire::WireError;

use super::attributes::{kv, note, DimIndex, Found, Notes, Slot, WireLookup};
use super::counters::Counters;
use super::key::Key;
use super::resources::{ResourceState, Resources};
use super::series::{Series, Shape};
use super::table::SeriesTable;
use crate::otlp::wire_spans::{self, Attributes, Body, SpanView};
use crate::selfmetrics::Counter;

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
    /// Live resources before the least recently used is evicted; at least 1.
    pub resource_cache_size: usize,
}

impl Config {
    /// Whether two configs produce the same series: if so, state carries
    /// over an update; if not, it is reset.
    pub fn same_series(&self, other: &Config) -> bool {
        (
            &self.namespace,
            &self.dimensions,
            self.keep,
            &self.bounds,
            self.exponential,
            self.unit,
            self.delta,
            &self.events,
            &self.include_scope,
            &self.resource_keys,
        ) == (
            &other.namespace,
            &other.dimensions,
            other.keep,
            &other.bounds,
            other.exponential,
            other.unit,
            other.delta,
            &other.events,
            &other.include_scope,
            &other.resource_keys,
        )
    }

    pub(super) fn divider(&self) -> f64 {
        if self.unit == "s" {
            1e9
        } else {
            1e6
        }
    }

    /// The duration histogram every span series keeps.
    pub(super) fn shape(&self) -> Shape {
        match (&self.bounds, self.exponential) {
            (Some(b), _) => Shape::Explicit(b.len() + 1),
            (None, Some(max)) => Shape::Exponential(max),
            (None, None) => Shape::Count,
        }
    }
}

/// The series of every resource, and the buffers spans are keyed in.
pub struct Aggregator {
    pub(super) config: Config,
    pub(super) resources: Resources,
    /// The span dimensions followed by the event dimensions: what keys an
    /// event series.
    pub(super) event_dims: Vec<Dimension>,
    pub(super) key: Key,
    pub(super) spans_seen: u64,
    pub(super) counters: Counters,
}

/// Per request, the value of each looked-up dimension in the span, event
/// and resource at hand (see [`WireLookup`]).
struct Scratch<'a> {
    span: Vec<Slot<'a>>,
    event: Vec<Slot<'a>>,
    resource: Vec<Slot<'a>>,
}

fn event_dims(c: &Config) -> Vec<Dimension> {
    c.dimensions.iter().chain(c.events.iter().flatten()).cloned().collect()
}

impl Aggregator {
    pub fn new(config: Config) -> Aggregator {
        Aggregator::with_counters(config, Counters::default())
    }

    /// An aggregator that counts what its bounds do into `counters`.
    pub fn with_counters(config: Config, counters: Counters) -> Aggregator {
        let resources = Resources::new(config.resource_cache_size);
        Aggregator { event_dims: event_dims(&config), config, resources, key: Key::default(), spans_seen: 0, counters }
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
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
        self.resources.set_capacity(config.resource_cache_size, &self.counters);
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

    /// Resources held: live ones and those evicted since the last flush.
    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    /// The dimensions looked up per span: the span's, and the events'
    /// after them when events are counted.
    pub(super) fn lookup_dims(&self) -> &[Dimension] {
        if self.config.events.is_some() {
            &self.event_dims
        } else {
            &self.config.dimensions
        }
    }

    /// Counts every span of an encoded `ExportTraceServiceRequest` at time
    /// `now` (unix nanos), read straight from its bytes. A malformed
    /// payload is an error; the spans before the fault stay counted.
    pub fn aggregate(&mut self, request: &[u8], now: u64) -> Result<(), WireError> {
        let width = self.lookup_dims().len();
        let mut found = Scratch { span: vec![None; width], event: vec![None; width], resource: vec![None; width] };
        wire_spans::resource_spans(Body::request(request), |rs| self.aggregate_resource(rs, now, &mut found))
    }

    fn aggregate_resource<'a>(&mut self, rs: Body<'a>, now: u64, found: &mut Scratch<'a>) -> Result<(), WireError> {
        let Aggregator { config, resources, event_dims, key: buf, spans_seen, counters } = self;
        let (config, event_dims) = (&*config, &*event_dims);
        let lookup_dims = if config.events.is_some() { event_dims } else { &config.dimensions };
        let index = &DimIndex::new(lookup_dims);
        let Scratch { span: span_attrs, event: event_attrs, resource: resource_attrs } = found;
        resource_attrs.fill(None);
        let mut service = [None];
        let mut keys = vec![None; config.resource_keys.len()];
        wire_spans::resource_attributes(rs, &mut |a| {
            note(&mut service, std::iter::once("service.name"), a)?;
            note(&mut keys, config.resource_keys.iter().map(String::as_str), a)?;
            Notes { slots: resource_attrs, dims: lookup_dims, index }.attribute(a)
        })?;
        let Some(service) = service[0].filter(|v| *v != Found::Missing) else { return Ok(()) };
        buf.clear();
        service.push(buf)?;
        for k in &keys {
            k.unwrap_or(Found::Missing).push(buf)?;
        }
        let make = || -> Result<ResourceState, WireError> {
            let mut attributes = vec![kv("service.name", service.decode(rs)?.unwrap_or_default())];
            for (k, slot) in config.resource_keys.iter().zip(&keys) {
                if let (Some(v), true) = (slot.unwrap_or(Found::Missing).decode(rs)?, k != "service.name") {
                    attributes.push(kv(k, v));
                }
            }
            Ok(ResourceState { attributes, ..Default::default() })
        };
        let Some(resource) = resources.get_or_insert(buf.as_slice(), make, counters)? else { return Ok(()) };
        let (shape, bounds, divider, limit) = (config.shape(), config.bounds.as_deref().unwrap_or(&[]), config.divider(), config.cardinality_limit);
        wire_spans::scope_spans(rs, |ss| {
            let included = |name: &Body<'_>| !name.bytes.is_empty() && config.include_scope.iter().any(|s| s.as_bytes() == name.bytes);
            let scope = if config.include_scope.is_empty() { None } else { wire_spans::scope(ss)?.filter(|(name, _)| included(name)) };
            let mut span = SpanView::empty();
            wire_spans::spans(ss, |body| {
                *spans_seen += 1;
                resource.unreported += 1;
                span_attrs.fill(None);
                span.read_into(body, &mut Notes { slots: span_attrs, dims: lookup_dims, index })?;
                let span = &span;
                let value = span.end.saturating_sub(span.start) as f64 / divider;
                let lookup = WireLookup { keep: config.keep, span, service: &service, scope: &scope, span_attrs, event_attrs: &[], resource_attrs };
                lookup.write_key(buf, &config.dimensions)?;
                let attributes = || lookup.attributes(&config.dimensions);
                let overflow = (&mut resource.overflow, &counters.overflow_spans);
                let Some(series) = upsert(&mut resource.series, overflow, buf.as_slice(), attributes, shape, limit, now)? else {
                    return Ok(());
                };
                series.observe(value, bounds, now);
                if let Some(max) = config.exemplars {
                    series.sample(span.trace_id, span.span_id, value, now, max);
                }
                if config.events.is_none() || !span.has_events {
                    return Ok(());
                }
                span.events(|event| {
                    event_attrs.fill(None);
                    wire_spans::event_attributes(event, &mut Notes { slots: event_attrs, dims: lookup_dims, index })?;
                    let lookup = WireLookup { event_attrs, ..lookup };
                    lookup.write_key(buf, event_dims)?;
                    let attributes = || lookup.attributes(event_dims);
                    let overflow = (&mut resource.events_overflow, &counters.overflow_events);
                    let Some(series) = upsert(&mut resource.events, overflow, buf.as_slice(), attributes, Shape::Count, limit, now)? else {
                        return Ok(());
                    };
                    series.observe(value, &[], now);
                    if let Some(max) = config.exemplars {
                        series.sample(span.trace_id, span.span_id, value, now, max);
                    }
                    Ok(())
                })
            })
        })
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
                metrics.push(Metric {
                    name: name("duration"),
                    unit: c.unit.to_string(),
                    data: Some(metric::Data::Histogram(Histogram { data_points: points, aggregation_temporality: temporality })),
                    ..Default::default()
                });
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
                scope_metrics: vec![ScopeMetrics {
                    scope: Some(InstrumentationScope { name: "spanmetricsconnector".into(), ..Default::default() }),
                    metrics,
                    schema_url: String::new(),
                }],
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
        self.resources.after_flush(|r| {
            r.series.retain(&mut keep);
            r.events.retain(&mut keep);
            for o in [&mut r.overflow, &mut r.events_overflow] {
                if o.as_mut().is_some_and(|s| !keep(s)) {
                    *o = None;
                }
            }
        });
    }
}

/// The series to report, oldest first; a delta
/// series with no span this window has nothing to say.
fn live<'a>(m: &'a SeriesTable<Series>, overflow: &'a Option<Series>, delta: bool) -> Vec<&'a Series> {
    let mut v: Vec<&Series> = m.values().chain(overflow.iter()).filter(|s| !delta || s.count > 0).collect();
    v.sort_by_key(|s| s.start);
    v
}

/// Finds or creates the series whose key is in `key`; past the
/// cardinality limit, new attribute sets fold into the one overflow series,
/// each counted in `overflow`'s counter.
/// An existing series costs one lookup by borrowed key and no allocation;
/// `attributes` are built for a new one only.
pub(super) fn upsert<'m, E>(
    table: &'m mut SeriesTable<Series>,
    (overflow, overflowed): (&'m mut Option<Series>, &Counter),
    key: &[u8],
    attributes: impl FnOnce() -> Result<Vec<KeyValue>, E>,
    shape: Shape,
    limit: usize,
    now: u64,
) -> Result<Option<&'m mut Series>, E> {
    if let Some(i) = table.position(key) {
        return Ok(table.at_mut(i));
    }
    if limit > 0 && table.len() >= limit {
        overflowed.add(1);
        let series = || Series::new(vec![kv("otel.metric.overflow", AnyValue { value: Some(any_value::Value::BoolValue(true)) })], now, shape);
        return Ok(Some(overflow.get_or_insert_with(series)));
    }
    Ok(table.insert(key, Series::new(attributes()?, now, shape)))
}
