//! The agent's `/metrics`: its own `solder_*` metrics and every
//! component's self-metrics, in the OpenMetrics text format, through the
//! `prometheus-client` crate.

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use solder_components::HealthState;

use super::Agent;

/// What `/metrics` answers with.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Buckets for `solder_component_evaluation_seconds`: evaluations range
/// from microseconds (a small config) to seconds (a huge one).
const BUCKETS: [f64; 10] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

type Labels = Vec<(&'static str, String)>;

/// `solder_component_evaluation_seconds`, kept across scrapes; the
/// controller hands over new observations.
pub struct Evaluations(Histogram);

impl Default for Evaluations {
    fn default() -> Evaluations {
        Evaluations(Histogram::new(BUCKETS))
    }
}

/// The exposition, `# EOF` included.
pub fn render(agent: &Agent, evaluations: &Evaluations) -> String {
    for v in agent.controller.drain_evaluations() {
        evaluations.0.observe(v);
    }
    // The agent's own values are read now; a registry per scrape holds them.
    let mut registry = Registry::default();

    let running = Family::<Labels, Gauge>::default();
    let health = agent.controller.inspect(|nodes| nodes.iter().map(|n| n.health().state).collect::<Vec<_>>());
    for state in [HealthState::Healthy, HealthState::Unhealthy, HealthState::Unknown, HealthState::Exited] {
        let n = health.iter().filter(|s| **s == state).count();
        running.get_or_create(&vec![("health_type", state.as_str().to_string())]).set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    registry.register("solder_component_controller_running_components", "Components in the running graph, by health", running);
    registry.register("solder_component_evaluation_seconds", "Time to evaluate the config's components on a load", evaluations.0.clone());

    let ok = agent.status().as_ref().is_some_and(|s| s.success);
    registry.register("solder_config_last_load_successful", "1 if the last load or reload of the config succeeded, else 0", gauge(i64::from(ok)));
    let failures = Counter::<u64>::default();
    failures.inc_by(agent.load_failures());
    registry.register("solder_config_load_failures", "Config loads and reloads that failed", failures);
    if let Some(loaded) = agent.loaded() {
        registry.register("solder_config_hash", "Hash of the running config", one(vec![("sha256", loaded.hash.clone())]));
    }
    let (heap, budget) = (solder_components::memory::live(), solder_components::memory::budget());
    registry.register("solder_memory_heap_bytes", "Heap bytes the agent holds, as its allocator counts them", gauge(i64::try_from(heap).unwrap_or(i64::MAX)));
    registry.register(
        "solder_memory_budget_bytes",
        "The heap budget (--memory.limit); at it, new data is refused. 0 when there is none",
        gauge(i64::try_from(budget).unwrap_or(i64::MAX)),
    );
    let build = vec![("version", env!("CARGO_PKG_VERSION").to_string()), ("rustc", option_env!("SOLDER_RUSTC").unwrap_or("stable").to_string())];
    registry.register("solder_build_info", "Solder's version and build", one(build));

    // Writing to a String cannot fail.
    let mut out = String::new();
    let _ = encode_registry(&mut out, &registry);
    out.push_str(&solder_components::selfmetrics::render());
    let _ = encode_eof(&mut out);
    out
}

fn gauge(v: i64) -> Gauge {
    let g = Gauge::default();
    g.set(v);
    g
}

/// A family holding one series of value 1: an info-style metric.
fn one(labels: Labels) -> Family<Labels, Gauge> {
    let f = Family::<Labels, Gauge>::default();
    f.get_or_create(&labels).set(1);
    f
}
