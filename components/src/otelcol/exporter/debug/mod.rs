//! `otelcol.exporter.debug`: writes the telemetry it receives to the
//! console, in the OpenTelemetry Collector's debug exporter formats, so
//! that output can be compared line for line with the Collector's and
//! Alloy's.
//!
//! Rendering is a pure function from a decoded request to text, shared
//! with live debugging ([`crate::otlp::text`]); the component adds
//! sampling and the writing. At `basic` verbosity (the default) nothing is
//! decoded: the summary's counts come from the wire bytes. Otherwise the
//! payload is decoded once and the decoded view is shared with any other
//! consumer of the same batch.

use crate::sync::lock;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use crate::component::{
    self, ArgumentError, Component, Health, HealthCell, HealthState, InputExports, Options, Registration, RunFuture, Signals, Stability, Telemetry,
};
use crate::consumer::{ConsumeError, ConsumeFuture, Consumer, ConsumerHandle};
use crate::otlp::encoded::Request;
pub use crate::otlp::text::{render_logs, render_metrics, render_traces, summary, Verbosity};
use crate::otlp::wire_counts;
use crate::otlp::{Encoded, Logs, Metrics, Signal, Traces};

pub const REGISTRATION: Registration = Registration::of::<DebugExporter>(
    "otelcol.exporter.debug",
    Stability::Experimental,
    Signals { takes: &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs], gives: &[] },
);

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// How much to write per batch: `"basic"` (default) a one-line summary,
    /// `"normal"` also a line per resource, scope and item, `"detailed"`
    /// also every field of every item.
    #[serde(default)]
    pub verbosity: Verbosity,
    /// Batches of each signal written per second before sampling starts.
    /// Default 2.
    #[serde(default = "default_sampling_initial")]
    pub sampling_initial: u32,
    /// Past `sampling_initial` in the same second, every Nth batch is
    /// written. Default 1 (all of them); 0 writes none.
    #[serde(default = "default_sampling_thereafter")]
    pub sampling_thereafter: u32,
    /// `true` (default) writes to stderr, where Solder's own logs go;
    /// `false` writes to stdout.
    #[serde(default = "default_true")]
    pub use_internal_logger: bool,
}

fn default_sampling_initial() -> u32 {
    2
}

fn default_sampling_thereafter() -> u32 {
    1
}

fn default_true() -> bool {
    true
}

impl component::Arguments for Arguments {}

/// Where text goes instead of stderr or stdout (tests read it back).
type Writer = Arc<Mutex<dyn Write + Send>>;

pub struct DebugExporter {
    shared: Arc<Shared>,
    exports: InputExports,
}

struct Shared {
    args: Mutex<Arguments>,
    sampler: Mutex<Sampler>,
    writer: Option<Writer>,
    health: HealthCell,
    batches_written: AtomicU64,
    batches_sampled_out: AtomicU64,
}

impl DebugExporter {
    fn new(args: Arguments, writer: Option<Writer>) -> DebugExporter {
        let shared = Arc::new(Shared {
            sampler: Mutex::new(Sampler::new(&args)),
            args: Mutex::new(args),
            writer,
            health: HealthCell::default(),
            batches_written: AtomicU64::new(0),
            batches_sampled_out: AtomicU64::new(0),
        });
        let input = ConsumerHandle::new(Input(Arc::clone(&shared))).capsule();
        DebugExporter { shared, exports: InputExports { input } }
    }
}

impl Component for DebugExporter {
    type Arguments = Arguments;
    type Exports = InputExports;

    fn build(_opts: Options, args: Arguments) -> Result<DebugExporter, ArgumentError> {
        Ok(DebugExporter::new(args, None))
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.shared.health.set(HealthState::Healthy, "writing");
            shutdown.cancelled().await;
        })
    }

    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        *lock(&self.shared.sampler) = Sampler::new(&args);
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
        let args = lock(&self.shared.args).clone();
        let count = |a: &AtomicU64| Value::int(i64::try_from(a.load(Ordering::Relaxed)).unwrap_or(i64::MAX));
        Value::object([
            ("verbosity", Value::from(format!("{:?}", args.verbosity).to_lowercase())),
            ("batches_written", count(&self.shared.batches_written)),
            ("batches_sampled_out", count(&self.shared.batches_sampled_out)),
        ])
    }
}

/// What the `input` capsule holds.
struct Input(Arc<Shared>);

impl Consumer for Input {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        Box::pin(std::future::ready(self.0.export(&data, render_traces)))
    }

    fn consume_metrics(&self, data: Metrics) -> ConsumeFuture<'_> {
        Box::pin(std::future::ready(self.0.export(&data, render_metrics)))
    }

    fn consume_logs(&self, data: Logs) -> ConsumeFuture<'_> {
        Box::pin(std::future::ready(self.0.export(&data, render_logs)))
    }

    fn accepts(&self, _signal: Signal) -> bool {
        true
    }
}

impl Shared {
    /// Samples, renders and writes one batch. Only a payload that does not
    /// decode is refused; the console being unwritable shows in health
    /// rather than failing the pipeline.
    fn export<M: Request>(&self, data: &Encoded<M>, render: fn(&M, Verbosity) -> String) -> Result<(), ConsumeError> {
        if !lock(&self.sampler).admit(M::SIGNAL, Instant::now()) {
            self.batches_sampled_out.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let args = lock(&self.args).clone();
        let unreadable = |e: &dyn std::fmt::Display| ConsumeError::permanent(format!("otelcol.exporter.debug: cannot decode {}: {e}", M::SIGNAL.as_str()));
        let text = if args.verbosity == Verbosity::Basic {
            // The summary needs only counts: read them from the wire, and
            // never decode a batch just to print how big it is.
            let counts = wire_counts::counts(M::SIGNAL, data.bytes()).map_err(|e| unreadable(&e))?;
            summary(M::SIGNAL, counts, data.items())
        } else {
            render(&*data.decode().map_err(|e| unreadable(&e))?, args.verbosity)
        };
        let written = match &self.writer {
            Some(w) => lock(w).write_all(text.as_bytes()),
            None if args.use_internal_logger => std::io::stderr().lock().write_all(text.as_bytes()),
            None => std::io::stdout().lock().write_all(text.as_bytes()),
        };
        match written {
            Ok(()) => {
                self.batches_written.fetch_add(1, Ordering::Relaxed);
                self.health.set(HealthState::Healthy, "writing");
            }
            Err(e) => self.health.set(HealthState::Unhealthy, format!("cannot write to the console: {e}")),
        }
        Ok(())
    }
}

/// The Collector's sampling (zap's sampler): per signal and per second,
/// the first `initial` batches, then every `thereafter`th.
struct Sampler {
    initial: u64,
    thereafter: u64,
    /// Per signal: when its current second began, and batches seen in it.
    windows: [(Option<Instant>, u64); 3],
}

impl Sampler {
    fn new(args: &Arguments) -> Sampler {
        Sampler { initial: u64::from(args.sampling_initial), thereafter: u64::from(args.sampling_thereafter), windows: [(None, 0); 3] }
    }

    fn admit(&mut self, signal: Signal, now: Instant) -> bool {
        let (start, seen) = &mut self.windows[signal as usize];
        if start.is_none_or(|s| now.saturating_duration_since(s) >= Duration::from_secs(1)) {
            *start = Some(now);
            *seen = 0;
        }
        *seen += 1;
        let n = *seen;
        n <= self.initial || (self.thereafter > 0 && (n - self.initial).is_multiple_of(self.thereafter))
    }
}

#[cfg(test)]
mod tests;
