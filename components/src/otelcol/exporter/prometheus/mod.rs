//! `otelcol.exporter.prometheus`: turns OTLP metrics into Prometheus
//! samples, by the OpenTelemetry Collector's translation rules, and
//! forwards them to Prometheus receivers such as `prometheus.expose`.
//!
//! Delta sums and histograms are accumulated into cumulative totals
//! (Alloy drops them); exponential histograms have no text-format form
//! and are dropped, counted in the debug info.

mod accumulate;
mod naming;
mod translate;

#[cfg(test)]
mod tests;

pub use accumulate::Accumulator;
pub use naming::{label_name, metric_name, unit_name, NameKind};
pub use translate::{translate, Rules};

use crate::sync::lock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Deserialize;
use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use crate::component::{
    self, ArgumentError, Component, Health, HealthCell, HealthState, InputExports, Options, Registration, RunFuture, Signals, Stability, Telemetry,
};
use crate::consumer::{ConsumeError, ConsumeFuture, Consumer, ConsumerHandle};
use crate::otlp::{Metrics, Signal};
use crate::prometheus::ReceiverHandle;
use crate::types::{Duration, Handle};

pub const REGISTRATION: Registration = Registration::of::<PrometheusExporter>(
    "otelcol.exporter.prometheus",
    Stability::GenerallyAvailable,
    Signals { takes: &[Telemetry::Metrics], gives: &[Telemetry::Samples] },
);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// Emit a `target_info` gauge per resource with its attributes other
    /// than those that make `job` and `instance`. Default true.
    #[serde(default = "default_true")]
    pub include_target_info: bool,
    /// Emit an `otel_scope_info` gauge per scope with its attributes.
    /// Default false.
    #[serde(default)]
    pub include_scope_info: bool,
    /// Label every series with `otel_scope_name` and `otel_scope_version`.
    /// Default true.
    #[serde(default = "default_true")]
    pub include_scope_labels: bool,
    /// Append unit and type suffixes (`_seconds`, `_total`, `_ratio`) to
    /// metric names. Default true.
    #[serde(default = "default_true")]
    pub add_metric_suffixes: bool,
    /// Copy every resource attribute onto every series as a label.
    /// Default false.
    #[serde(default)]
    pub resource_to_telemetry_conversion: bool,
    /// How long a delta series' running total is kept without updates.
    /// Default `"5m"`.
    #[serde(default = "default_gc_frequency")]
    pub gc_frequency: Duration,
    /// Receivers the samples go to. Required.
    pub forward_to: Vec<Handle<ReceiverHandle>>,
}

fn default_true() -> bool {
    true
}

fn default_gc_frequency() -> Duration {
    Duration(std::time::Duration::from_secs(300))
}

impl Arguments {
    fn rules(&self) -> Rules {
        Rules {
            include_target_info: self.include_target_info,
            include_scope_info: self.include_scope_info,
            include_scope_labels: self.include_scope_labels,
            add_metric_suffixes: self.add_metric_suffixes,
            resource_to_telemetry_conversion: self.resource_to_telemetry_conversion,
        }
    }
}

pub struct PrometheusExporter {
    shared: Arc<Shared>,
    exports: InputExports,
}

struct Shared {
    args: Mutex<Arguments>,
    accumulator: Mutex<Accumulator>,
    health: HealthCell,
    series_sent: AtomicU64,
    points_dropped: AtomicU64,
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        if self.gc_frequency.0.is_zero() {
            return Err(ArgumentError::new("gc_frequency", "gc_frequency must be greater than 0"));
        }
        Ok(())
    }
}

impl Component for PrometheusExporter {
    type Arguments = Arguments;
    type Exports = InputExports;

    fn build(_opts: Options, args: Arguments) -> Result<PrometheusExporter, ArgumentError> {
        let shared = Arc::new(Shared {
            args: Mutex::new(args),
            accumulator: Mutex::new(Accumulator::default()),
            health: HealthCell::default(),
            series_sent: AtomicU64::new(0),
            points_dropped: AtomicU64::new(0),
        });
        let input = ConsumerHandle::new(Input(Arc::clone(&shared))).capsule();
        Ok(PrometheusExporter { shared, exports: InputExports { input } })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.shared.health.set(HealthState::Healthy, "forwarding");
            shutdown.cancelled().await;
            self.shared.health.set(HealthState::Exited, "stopped");
        })
    }

    /// New rules and receivers apply to the next batch; running totals
    /// are kept.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        *lock(&self.shared.args) = args;
        Ok(())
    }

    fn exports(&self) -> InputExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.shared.health.get()
    }

    fn debug_info(&self) -> Value {
        let count = |a: &AtomicU64| Value::Number(Number::Uint(a.load(Ordering::Relaxed)));
        let totals = lock(&self.shared.accumulator).tracked() as u64;
        Value::object([
            ("series_sent", count(&self.shared.series_sent)),
            ("points_dropped", count(&self.shared.points_dropped)),
            ("delta_series_tracked", Value::Number(Number::Uint(totals))),
        ])
    }
}

/// What the `input` capsule holds.
struct Input(Arc<Shared>);

impl Consumer for Input {
    fn consume_metrics(&self, data: Metrics) -> ConsumeFuture<'_> {
        Box::pin(std::future::ready(self.0.export(&data)))
    }

    fn accepts(&self, signal: Signal) -> bool {
        signal == Signal::Metrics
    }
}

impl Shared {
    /// Translates one batch and hands it to every receiver; a receiver's
    /// refusal is reported after all have been tried.
    fn export(&self, data: &Metrics) -> Result<(), ConsumeError> {
        let req = data.decode().map_err(|e| ConsumeError::permanent(format!("otelcol.exporter.prometheus: cannot decode metrics: {e}")))?;
        let (rules, gc, receivers) = {
            let args = lock(&self.args);
            let receivers: Vec<ReceiverHandle> = args.forward_to.iter().filter_map(|h| h.get().cloned()).collect();
            (args.rules(), args.gc_frequency.0, receivers)
        };
        let now = Instant::now();
        let (batch, dropped) = {
            let mut acc = lock(&self.accumulator);
            acc.gc(now, gc);
            translate(&req, rules, &mut acc, now)
        };
        self.points_dropped.fetch_add(dropped as u64, Ordering::Relaxed);
        let batch = Arc::new(batch);
        let mut errors = Vec::new();
        for r in &receivers {
            if let Err(e) = r.0.append(Arc::clone(&batch)) {
                errors.push(e);
            }
        }
        self.series_sent.fetch_add(batch.series_count() as u64, Ordering::Relaxed);
        if errors.is_empty() {
            self.health.set(HealthState::Healthy, "forwarding");
            Ok(())
        } else {
            let message = format!("otelcol.exporter.prometheus: {}", errors.join("; "));
            self.health.set(HealthState::Unhealthy, message.clone());
            Err(ConsumeError::permanent(message))
        }
    }
}
