//! Components' own metrics (`otelcol_receiver_accepted_spans_total` and
//! friends), rendered by the agent's `/metrics` in the Prometheus text
//! format.
//!
//! A component registers its metrics only through the
//! [`ComponentMetrics`] its `Options` carry, which labels every series
//! with its `component_id`; when the component is removed its series go
//! with it. Counting is an atomic add on a handle the component keeps, so
//! the hot path never touches the registry's lock.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
}

struct Family {
    help: &'static str,
    kind: Kind,
    /// Label pairs (rendered, sorted by component) → value.
    series: BTreeMap<String, Series>,
}

#[derive(Clone)]
enum Series {
    Counter(Arc<AtomicU64>),
    Gauge(Arc<AtomicI64>),
}

static REGISTRY: LazyLock<Mutex<BTreeMap<&'static str, Family>>> = LazyLock::new(|| Mutex::new(BTreeMap::new()));

/// A monotonic count.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Clone, Debug, Default)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    pub fn set(&self, v: i64) {
        self.0.store(v, Ordering::Relaxed);
    }

    pub fn add(&self, v: i64) {
        self.0.fetch_add(v, Ordering::Relaxed);
    }

    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A component's own metrics: every series it makes carries its
/// `component_id`. The controller gives each component one in its
/// [`Options`](crate::component::Options).
#[derive(Clone, Debug)]
pub struct ComponentMetrics {
    component_id: std::sync::Arc<str>,
}

impl ComponentMetrics {
    pub fn new(component_id: &str) -> ComponentMetrics {
        ComponentMetrics { component_id: component_id.into() }
    }

    pub fn component_id(&self) -> &str {
        &self.component_id
    }

    /// The counter `name{component_id, extra...}`.
    pub fn counter(&self, name: &'static str, help: &'static str, extra: &[(&str, &str)]) -> Counter {
        counter(name, help, &self.component_id, extra)
    }

    /// The gauge `name{component_id, extra...}`.
    pub fn gauge(&self, name: &'static str, help: &'static str, extra: &[(&str, &str)]) -> Gauge {
        gauge(name, help, &self.component_id, extra)
    }
}

fn labels_key(component_id: &str, extra: &[(&str, &str)]) -> String {
    let mut out = format!("component_id=\"{}\"", escape(component_id));
    for (k, v) in extra {
        let _ = write!(out, ",{k}=\"{}\"", escape(v));
    }
    out
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The counter `name{component_id=..., extra...}`, created on first use.
/// Asking again for the same series returns the same counter, so a
/// component rebuilt under the same ID keeps counting where it left off.
fn counter(name: &'static str, help: &'static str, component_id: &str, extra: &[(&str, &str)]) -> Counter {
    let mut reg = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    let family = reg.entry(name).or_insert_with(|| Family { help, kind: Kind::Counter, series: BTreeMap::new() });
    match family.series.entry(labels_key(component_id, extra)).or_insert_with(|| Series::Counter(Arc::default())) {
        Series::Counter(c) => Counter(Arc::clone(c)),
        Series::Gauge(_) => Counter::default(),
    }
}

/// The gauge `name{component_id=..., extra...}`, created on first use.
fn gauge(name: &'static str, help: &'static str, component_id: &str, extra: &[(&str, &str)]) -> Gauge {
    let mut reg = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    let family = reg.entry(name).or_insert_with(|| Family { help, kind: Kind::Gauge, series: BTreeMap::new() });
    match family.series.entry(labels_key(component_id, extra)).or_insert_with(|| Series::Gauge(Arc::default())) {
        Series::Gauge(g) => Gauge(Arc::clone(g)),
        Series::Counter(_) => Gauge::default(),
    }
}

/// Drops every series of a removed component.
pub fn forget(component_id: &str) {
    let prefix = format!("component_id=\"{}\"", escape(component_id));
    let mut reg = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    for family in reg.values_mut() {
        family.series.retain(|k, _| !(k == &prefix || k.starts_with(&format!("{prefix},"))));
    }
}

/// Every series in the Prometheus text format.
pub fn render() -> String {
    let reg = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = String::new();
    for (name, family) in reg.iter().filter(|(_, f)| !f.series.is_empty()) {
        let kind = if family.kind == Kind::Counter { "counter" } else { "gauge" };
        let _ = writeln!(out, "# HELP {name} {}", family.help);
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, series) in &family.series {
            let v = match series {
                Series::Counter(c) => c.load(Ordering::Relaxed).to_string(),
                Series::Gauge(g) => g.load(Ordering::Relaxed).to_string(),
            };
            let _ = writeln!(out, "{name}{{{labels}}} {v}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_render_and_are_forgotten_with_their_component() {
        let c = counter("test_selfmetrics_spans_total", "Spans.", "otelcol.receiver.otlp.t1", &[("transport", "grpc")]);
        c.add(3);
        counter("test_selfmetrics_spans_total", "Spans.", "otelcol.receiver.otlp.t1", &[("transport", "grpc")]).add(2);
        let g = gauge("test_selfmetrics_queue_size", "Queue.", "otelcol.exporter.otlp.t1", &[]);
        g.set(7);
        let text = render();
        assert!(text.contains("# TYPE test_selfmetrics_spans_total counter\n"), "{text}");
        assert!(text.contains("test_selfmetrics_spans_total{component_id=\"otelcol.receiver.otlp.t1\",transport=\"grpc\"} 5\n"), "{text}");
        assert!(text.contains("test_selfmetrics_queue_size{component_id=\"otelcol.exporter.otlp.t1\"} 7\n"), "{text}");
        forget("otelcol.receiver.otlp.t1");
        assert!(!render().contains("otelcol.receiver.otlp.t1"));
    }
}
