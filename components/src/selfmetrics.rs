//! Components' own metrics (`otelcol_receiver_accepted_spans_total` and
//! friends), kept in a [`prometheus_client`] registry and rendered by the
//! agent's `/metrics` in the OpenMetrics text format.
//!
//! A component registers its metrics only through the
//! [`ComponentMetrics`] its `Options` carry: its own scope of the registry,
//! whose every series is labelled with its `component_id`. Each metric name
//! is one family for the whole agent (an exposition may not repeat a
//! family), and a scope records the series it added to each; they leave
//! the registry when the component is stopped ([`forget`]) or its last
//! handle is dropped, whichever comes first. Counting is an atomic add on
//! a handle the component keeps, so the hot path never takes a lock.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use prometheus_client::encoding::text::encode_registry;
use prometheus_client::metrics::counter::Counter as PromCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge as PromGauge;
use prometheus_client::metrics::histogram::Histogram as PromHistogram;
use prometheus_client::registry::Registry;

use crate::sync::lock;

/// A series' labels: `component_id` first, then the metric's own.
type Labels = Vec<(String, String)>;

enum Metric {
    Counter(Family<Labels, PromCounter>),
    Gauge(Family<Labels, PromGauge>),
    Histogram(Family<Labels, PromHistogram, fn() -> PromHistogram>),
}

/// The buckets of every histogram, in milliseconds: the Collector's
/// defaults for request latencies.
pub const LATENCY_MS_BUCKETS: [f64; 15] = [0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0, 10000.0];

fn latency_histogram() -> PromHistogram {
    PromHistogram::new(LATENCY_MS_BUCKETS)
}

impl Metric {
    fn remove(&self, labels: &Labels) {
        match self {
            Metric::Counter(f) => f.remove(labels),
            Metric::Gauge(f) => f.remove(labels),
            Metric::Histogram(f) => f.remove(labels),
        };
    }
}

#[derive(Default)]
struct State {
    registry: Registry,
    /// Families by full metric name, as registered.
    metrics: HashMap<&'static str, Metric>,
    /// The series each component ID added, so they can be taken out.
    series: HashMap<String, Vec<(&'static str, Labels)>>,
}

static STATE: LazyLock<Mutex<State>> = LazyLock::new(Mutex::default);

/// A monotonic count. It holds its component's scope, so the series stays
/// registered as long as anything can still count into it.
#[derive(Clone, Debug, Default)]
pub struct Counter {
    inner: PromCounter,
    _scope: Option<Arc<Scope>>,
}

impl Counter {
    pub fn add(&self, n: u64) {
        self.inner.inc_by(n);
    }

    pub fn get(&self) -> u64 {
        self.inner.get()
    }
}

/// A value that goes up and down; like [`Counter`], it holds its scope.
#[derive(Clone, Debug, Default)]
pub struct Gauge {
    inner: PromGauge,
    _scope: Option<Arc<Scope>>,
}

impl Gauge {
    pub fn set(&self, v: i64) {
        self.inner.set(v);
    }

    pub fn add(&self, v: i64) {
        self.inner.inc_by(v);
    }

    pub fn get(&self) -> i64 {
        self.inner.get()
    }
}

/// A distribution of durations in milliseconds ([`LATENCY_MS_BUCKETS`]);
/// like [`Counter`], it holds its scope.
#[derive(Clone, Debug)]
pub struct Histogram {
    inner: PromHistogram,
    _scope: Option<Arc<Scope>>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { inner: latency_histogram(), _scope: None }
    }
}

impl Histogram {
    pub fn observe(&self, v: f64) {
        self.inner.observe(v);
    }
}

/// One component's scope of the registry. Clones, and every counter and
/// gauge made from it, share it; the series go when the last of them is
/// dropped, or when the controller stops the component.
#[derive(Clone, Debug)]
pub struct ComponentMetrics {
    scope: Arc<Scope>,
    /// Labels every series made through this handle carries after
    /// `component_id`: a part of the component, such as one backend.
    fixed: Arc<Vec<(String, String)>>,
}

#[derive(Debug)]
struct Scope {
    component_id: String,
}

impl Drop for Scope {
    fn drop(&mut self) {
        forget(&self.component_id);
    }
}

impl ComponentMetrics {
    pub fn new(component_id: &str) -> ComponentMetrics {
        ComponentMetrics { scope: Arc::new(Scope { component_id: component_id.to_string() }), fixed: Arc::default() }
    }

    /// The same scope, with `key="value"` on every series made through the
    /// handle returned: the metrics of one part of the component (one
    /// backend's queue), told apart from the other parts'.
    pub fn labelled(&self, key: &str, value: &str) -> ComponentMetrics {
        let mut fixed = (*self.fixed).clone();
        fixed.push((key.to_string(), value.to_string()));
        ComponentMetrics { scope: Arc::clone(&self.scope), fixed: Arc::new(fixed) }
    }

    /// Takes out of the registry every series of this component that
    /// carries `key="value"`: a part that went away. Its counters are not
    /// lost: each is added to the same series with `key="<folded>"`, so
    /// the component's totals (what it sent, what it dropped) never go
    /// down when a part leaves, and departed parts do not pile up series.
    /// Gauges and histograms of the part just go.
    pub fn forget_labelled(&self, key: &str, value: &str, folded: &str) {
        let mut state = lock(&STATE);
        let state = &mut *state;
        let Some(series) = state.series.get_mut(self.component_id()) else { return };
        let is_part = |l: &Labels| l.iter().any(|(k, v)| k == key && v == value);
        let mut kept = Vec::new();
        for (name, labels) in series.iter().filter(|(_, l)| is_part(l)) {
            let Some(metric) = state.metrics.get(name) else { continue };
            if let Metric::Counter(family) = metric {
                let count = family.get_or_create(labels).get();
                let into: Labels = labels.iter().map(|(k, v)| (k.clone(), if k == key { folded.to_string() } else { v.clone() })).collect();
                family.get_or_create(&into).inc_by(count);
                kept.push((*name, into));
            }
            metric.remove(labels);
        }
        series.retain(|(_, l)| !is_part(l));
        for (name, labels) in kept {
            remember(&mut state.series, self.component_id(), name, labels);
        }
    }

    /// The histogram `name{component_id, extra...}` of durations in
    /// milliseconds.
    pub fn histogram(&self, name: &'static str, help: &'static str, extra: &[(&str, &str)]) -> Histogram {
        let labels = self.labels(extra);
        let mut state = lock(&STATE);
        let state = &mut *state;
        let metric = state.metrics.entry(name).or_insert_with(|| {
            let family = Family::<Labels, PromHistogram, fn() -> PromHistogram>::new_with_constructor(latency_histogram as fn() -> PromHistogram);
            state.registry.register(name, help.trim_end_matches('.'), family.clone());
            Metric::Histogram(family)
        });
        let Metric::Histogram(family) = metric else { return Histogram::default() };
        let histogram = Histogram { inner: family.get_or_create_owned(&labels), _scope: Some(Arc::clone(&self.scope)) };
        remember(&mut state.series, self.component_id(), name, labels);
        histogram
    }

    pub fn component_id(&self) -> &str {
        &self.scope.component_id
    }

    /// The counter `name{component_id, extra...}`. `name` ends in `_total`,
    /// as the exposition shows it. Asking again for the same series gives
    /// the same counter.
    pub fn counter(&self, name: &'static str, help: &'static str, extra: &[(&str, &str)]) -> Counter {
        let labels = self.labels(extra);
        let mut state = lock(&STATE);
        let state = &mut *state;
        let metric = state.metrics.entry(name).or_insert_with(|| {
            let family = Family::<Labels, PromCounter>::default();
            // The encoder adds the `_total` suffix and the help's full stop.
            state.registry.register(name.strip_suffix("_total").unwrap_or(name), help.trim_end_matches('.'), family.clone());
            Metric::Counter(family)
        });
        let Metric::Counter(family) = metric else { return Counter::default() };
        let counter = Counter { inner: family.get_or_create_owned(&labels), _scope: Some(Arc::clone(&self.scope)) };
        remember(&mut state.series, self.component_id(), name, labels);
        counter
    }

    /// The gauge `name{component_id, extra...}`.
    pub fn gauge(&self, name: &'static str, help: &'static str, extra: &[(&str, &str)]) -> Gauge {
        let labels = self.labels(extra);
        let mut state = lock(&STATE);
        let state = &mut *state;
        let metric = state.metrics.entry(name).or_insert_with(|| {
            let family = Family::<Labels, PromGauge>::default();
            state.registry.register(name, help.trim_end_matches('.'), family.clone());
            Metric::Gauge(family)
        });
        let Metric::Gauge(family) = metric else { return Gauge::default() };
        let gauge = Gauge { inner: family.get_or_create_owned(&labels), _scope: Some(Arc::clone(&self.scope)) };
        remember(&mut state.series, self.component_id(), name, labels);
        gauge
    }

    fn labels(&self, extra: &[(&str, &str)]) -> Labels {
        let mut labels = Vec::with_capacity(extra.len() + 1 + self.fixed.len());
        labels.push(("component_id".to_string(), self.scope.component_id.clone()));
        labels.extend(self.fixed.iter().cloned());
        labels.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        labels
    }
}

fn remember(series: &mut HashMap<String, Vec<(&'static str, Labels)>>, id: &str, name: &'static str, labels: Labels) {
    let list = series.entry(id.to_string()).or_default();
    if !list.iter().any(|(n, l)| *n == name && *l == labels) {
        list.push((name, labels));
    }
}

/// Takes every series of a component out of the registry.
pub fn forget(component_id: &str) {
    let mut state = lock(&STATE);
    let Some(series) = state.series.remove(component_id) else { return };
    for (name, labels) in series {
        if let Some(metric) = state.metrics.get(name) {
            metric.remove(&labels);
        }
    }
}

/// Every component's metrics as OpenMetrics text, without the closing
/// `# EOF`, for the agent to append to its own.
pub fn render() -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = encode_registry(&mut out, &lock(&STATE).registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_render_and_are_forgotten_with_their_component() {
        let m = ComponentMetrics::new("otelcol.receiver.otlp.t1");
        let c = m.counter("test_selfmetrics_spans_total", "Spans.", &[("transport", "grpc")]);
        c.add(3);
        m.counter("test_selfmetrics_spans_total", "Spans.", &[("transport", "grpc")]).add(2);
        let other = ComponentMetrics::new("otelcol.exporter.otlp.t1");
        other.gauge("test_selfmetrics_queue_size", "Queue.", &[]).set(7);
        let text = render();
        assert!(text.contains("# TYPE test_selfmetrics_spans counter\n"), "{text}");
        assert!(text.contains("# HELP test_selfmetrics_spans Spans.\n"), "one full stop: {text}");
        assert!(text.contains("test_selfmetrics_spans_total{component_id=\"otelcol.receiver.otlp.t1\",transport=\"grpc\"} 5\n"), "{text}");
        assert!(text.contains("test_selfmetrics_queue_size{component_id=\"otelcol.exporter.otlp.t1\"} 7\n"), "{text}");
        forget("otelcol.receiver.otlp.t1");
        assert!(!render().contains("otelcol.receiver.otlp.t1"));
        let gauge = other.gauge("test_selfmetrics_queue_size", "Queue.", &[]);
        drop(other);
        assert!(render().contains("otelcol.exporter.otlp.t1"), "a live gauge keeps its series");
        drop(gauge);
        assert!(!render().contains("otelcol.exporter.otlp.t1"), "dropping the last handle takes the series out");
    }

    #[test]
    fn one_family_per_name_across_components() {
        let a = ComponentMetrics::new("test.family.a");
        let b = ComponentMetrics::new("test.family.b");
        a.counter("test_selfmetrics_family_total", "Shared.", &[]).add(1);
        b.counter("test_selfmetrics_family_total", "Shared.", &[]).add(2);
        let text = render();
        assert_eq!(text.matches("# TYPE test_selfmetrics_family counter").count(), 1, "{text}");
        assert!(text.contains("test_selfmetrics_family_total{component_id=\"test.family.a\"} 1\n"), "{text}");
        assert!(text.contains("test_selfmetrics_family_total{component_id=\"test.family.b\"} 2\n"), "{text}");
    }

    /// One part of a component (a backend) has its own series, and they go
    /// when the part does; latencies render as a histogram in milliseconds.
    #[test]
    fn labelled_parts_and_histograms() {
        let m = ComponentMetrics::new("test.parts");
        let a = m.labelled("endpoint", "a:4317");
        a.counter("test_selfmetrics_part_total", "Per part.", &[]).add(4);
        m.labelled("endpoint", "b:4317").counter("test_selfmetrics_part_total", "Per part.", &[]).add(1);
        a.histogram("test_selfmetrics_latency", "Latency in ms.", &[]).observe(7.0);
        let text = render();
        assert!(text.contains("test_selfmetrics_part_total{component_id=\"test.parts\",endpoint=\"a:4317\"} 4\n"), "{text}");
        assert!(text.contains("# TYPE test_selfmetrics_latency histogram"), "{text}");
        assert!(text.contains("test_selfmetrics_latency_bucket{le=\"10.0\",component_id=\"test.parts\",endpoint=\"a:4317\"} 1\n"), "{text}");
        m.labelled("endpoint", "c:4317").counter("test_selfmetrics_part_total", "Per part.", &[]).add(2);
        m.forget_labelled("endpoint", "a:4317", "removed");
        m.forget_labelled("endpoint", "c:4317", "removed");
        let text = render();
        assert!(!text.contains("a:4317") && !text.contains("c:4317"), "{text}");
        assert!(text.contains("endpoint=\"b:4317\"} 1\n"), "the other part stays: {text}");
        assert!(text.contains("test_selfmetrics_part_total{component_id=\"test.parts\",endpoint=\"removed\"} 6\n"), "departed counts add up: {text}");
        assert!(!text.contains("test_selfmetrics_latency_bucket{le=\"10.0\",component_id=\"test.parts\",endpoint=\"removed\""), "{text}");
    }
}
