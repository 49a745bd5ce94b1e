//! `otelcol.receiver.prometheus`: takes Prometheus samples (from
//! `prometheus.scrape` or `prometheus.relabel`) and sends them on as OTLP
//! metrics, translated by the Collector's prometheusreceiver rules (see
//! [`translate`]), with start times set as the Collector's receiver did
//! before the adjustment moved to its own processor ([`start_time`]).
//!
//! Appending is synchronous, as Prometheus's appender is: the batch is
//! translated and handed to the `metrics` output before `append`
//! returns, so a downstream refusal is the caller's append error.

mod start_time;
mod translate;

#[cfg(test)]
mod tests;

pub use start_time::{StartTimes, MAX_IDLE};
pub use translate::{translate, Translated, SCOPE_NAME};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use solder_syntax::Value;
use tokio::runtime::{Handle as Runtime, RuntimeFlavor};
use tokio_util::sync::CancellationToken;

use crate::component::{
    ArgumentError, Component, Health, HealthCell, HealthState, Options, ReceiverExports, Registration, RunFuture, Signals, Stability, Telemetry,
};
use crate::consumer::{ConsumeError, Fanout};
use crate::otelcol::output::Output;
use crate::otlp::proto::ExportMetricsServiceRequest;
use crate::otlp::{Metrics, Signal};
use crate::prometheus::{Batch, ReceiverHandle, SampleReceiver};
use crate::sync::lock;

pub const REGISTRATION: Registration = Registration::of::<PrometheusReceiver>(
    "otelcol.receiver.prometheus",
    Stability::GenerallyAvailable,
    Signals { takes: &[Telemetry::Samples], gives: &[Telemetry::Metrics] },
);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// Where the translated metrics go. Required.
    pub output: Output,
}

impl crate::component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        self.output.check().map_err(|e| ArgumentError::new("output", e))
    }
}

pub struct PrometheusReceiver {
    shared: Arc<Shared>,
    exports: ReceiverExports,
}

/// What the `receiver` capsule and the component share.
struct Shared {
    output: Mutex<Output>,
    starts: Mutex<StartTimes>,
    health: HealthCell,
    points_sent: AtomicU64,
    points_refused: AtomicU64,
    series_dropped: AtomicU64,
}

impl Component for PrometheusReceiver {
    type Arguments = Arguments;
    type Exports = ReceiverExports;

    fn build(_opts: Options, args: Arguments) -> Result<PrometheusReceiver, ArgumentError> {
        let shared = Arc::new(Shared {
            output: Mutex::new(args.output),
            starts: Mutex::new(StartTimes::default()),
            health: HealthCell::default(),
            points_sent: AtomicU64::new(0),
            points_refused: AtomicU64::new(0),
            series_dropped: AtomicU64::new(0),
        });
        let receiver = ReceiverHandle::new(Appender(Arc::clone(&shared))).capsule();
        Ok(PrometheusReceiver { shared, exports: ReceiverExports { receiver } })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.shared.health.set(HealthState::Healthy, "receiving");
            shutdown.cancelled().await;
            self.shared.health.set(HealthState::Exited, "stopped");
        })
    }

    /// A new output applies to the next batch; start times are kept.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        *lock(&self.shared.output) = args.output;
        Ok(())
    }

    fn exports(&self) -> ReceiverExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.shared.health.get()
    }

    fn debug_info(&self) -> Value {
        let int = |n: u64| Value::int(i64::try_from(n).unwrap_or(i64::MAX));
        let (tracked, resets) = {
            let s = lock(&self.shared.starts);
            (s.tracked() as u64, s.resets())
        };
        Value::object([
            ("points_sent", int(self.shared.points_sent.load(Ordering::Relaxed))),
            ("points_refused", int(self.shared.points_refused.load(Ordering::Relaxed))),
            ("series_dropped", int(self.shared.series_dropped.load(Ordering::Relaxed))),
            ("series_tracked", int(tracked)),
            ("resets", int(resets)),
        ])
    }
}

/// What the `receiver` capsule holds.
struct Appender(Arc<Shared>);

impl SampleReceiver for Appender {
    fn append(&self, batch: Arc<Batch>) -> Result<(), String> {
        let shared = &self.0;
        let translated = {
            let at = Instant::now();
            let mut starts = lock(&shared.starts);
            starts.gc(at);
            translate(&batch.families, batch.discovered.as_deref(), now_nanos(), &mut starts, at)
        };
        shared.series_dropped.fetch_add(translated.dropped as u64, Ordering::Relaxed);
        if translated.resource_metrics.is_empty() {
            return Ok(());
        }
        let points = translated.points as u64;
        let metrics = Metrics::from_message(ExportMetricsServiceRequest { resource_metrics: translated.resource_metrics });
        let fanout = lock(&shared.output).fanout(Signal::Metrics);
        match deliver(fanout, metrics) {
            Ok(()) => {
                shared.points_sent.fetch_add(points, Ordering::Relaxed);
                shared.health.set(HealthState::Healthy, "receiving");
                Ok(())
            }
            Err(e) => {
                shared.points_refused.fetch_add(points, Ordering::Relaxed);
                let message = format!("otelcol.receiver.prometheus: the metrics output refused {points} points: {e}");
                shared.health.set(HealthState::Unhealthy, message.clone());
                Err(message)
            }
        }
    }
}

/// Hands metrics to the output and waits for its answer. Appenders are
/// called from async code, so the wait moves the caller's worker out of
/// the way (`block_in_place`); on a single-threaded runtime, where that is
/// impossible, the send runs on its own thread with a runtime of its own.
fn deliver(fanout: Fanout, metrics: Metrics) -> Result<(), ConsumeError> {
    match Runtime::try_current() {
        Ok(rt) if rt.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(|| rt.block_on(fanout.metrics(metrics))),
        Ok(_) => std::thread::scope(|s| s.spawn(|| own_runtime(fanout, metrics)).join().unwrap_or_else(|_| Err(ConsumeError::permanent("the send panicked")))),
        Err(_) => own_runtime(fanout, metrics),
    }
}

fn own_runtime(fanout: Fanout, metrics: Metrics) -> Result<(), ConsumeError> {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt.block_on(fanout.metrics(metrics)),
        Err(e) => Err(ConsumeError::retryable(format!("cannot start a runtime to send: {e}"))),
    }
}

/// Unix nanoseconds now: the time of series scraped without one.
fn now_nanos() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
