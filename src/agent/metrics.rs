//! The agent's own metrics, in the Prometheus text format.

use std::fmt::Write;

use solder_components::HealthState;

use super::Agent;

/// Buckets for `solder_component_evaluation_seconds`: evaluations range
/// from microseconds (a small config) to seconds (a huge one).
const BUCKETS: &[f64] = &[0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

/// Cumulative histogram state; the controller hands over new observations.
#[derive(Default)]
pub struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    pub fn observe(&mut self, v: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS.len()];
        }
        for (i, b) in BUCKETS.iter().enumerate() {
            if v <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }
}

pub fn render(agent: &Agent, evaluations: &mut Histogram) -> String {
    for v in agent.controller.drain_evaluations() {
        evaluations.observe(v);
    }
    let mut out = String::new();
    let health = agent.controller.inspect(|nodes| nodes.iter().map(|n| n.health().state).collect::<Vec<_>>());
    let _ = writeln!(out, "# HELP solder_component_controller_running_components Components in the running graph, by health.");
    let _ = writeln!(out, "# TYPE solder_component_controller_running_components gauge");
    for state in [HealthState::Healthy, HealthState::Unhealthy, HealthState::Unknown, HealthState::Exited] {
        let n = health.iter().filter(|s| **s == state).count();
        let _ = writeln!(out, "solder_component_controller_running_components{{health_type=\"{}\"}} {n}", state.as_str());
    }
    let _ = writeln!(out, "# HELP solder_component_evaluation_seconds Time to evaluate the config's components on a load.");
    let _ = writeln!(out, "# TYPE solder_component_evaluation_seconds histogram");
    for (i, b) in BUCKETS.iter().enumerate() {
        let c = evaluations.counts.get(i).copied().unwrap_or(0);
        let _ = writeln!(out, "solder_component_evaluation_seconds_bucket{{le=\"{b}\"}} {c}");
    }
    let _ = writeln!(out, "solder_component_evaluation_seconds_bucket{{le=\"+Inf\"}} {}", evaluations.count);
    let _ = writeln!(out, "solder_component_evaluation_seconds_sum {}", evaluations.sum);
    let _ = writeln!(out, "solder_component_evaluation_seconds_count {}", evaluations.count);

    let status = agent.status();
    let ok = status.as_ref().is_some_and(|s| s.success);
    let _ = writeln!(out, "# HELP solder_config_last_load_successful 1 if the last load or reload of the config succeeded, else 0.");
    let _ = writeln!(out, "# TYPE solder_config_last_load_successful gauge");
    let _ = writeln!(out, "solder_config_last_load_successful {}", u8::from(ok));
    let _ = writeln!(out, "# HELP solder_config_load_failures_total Config loads and reloads that failed.");
    let _ = writeln!(out, "# TYPE solder_config_load_failures_total counter");
    let _ = writeln!(out, "solder_config_load_failures_total {}", agent.load_failures());
    if let Some(loaded) = agent.loaded() {
        let _ = writeln!(out, "# HELP solder_config_hash Hash of the running config.");
        let _ = writeln!(out, "# TYPE solder_config_hash gauge");
        let _ = writeln!(out, "solder_config_hash{{sha256=\"{}\"}} 1", loaded.hash);
    }
    let _ = writeln!(out, "# HELP solder_build_info Solder's version and build.");
    let _ = writeln!(out, "# TYPE solder_build_info gauge");
    let _ = writeln!(out, "solder_build_info{{version=\"{}\",rustc=\"{}\"}} 1", env!("CARGO_PKG_VERSION"), option_env!("SOLDER_RUSTC").unwrap_or("stable"));
    out.push_str(&solder_components::selfmetrics::render());
    out
}
