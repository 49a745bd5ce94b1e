//! `otelcol.connector.spanmetrics`: turns spans into RED metrics (calls,
//! errors via `status.code`, and a duration histogram) per service, span
//! name, kind, status and configured dimensions, as the OpenTelemetry
//! Collector's spanmetrics connector does.
//!
//! Consuming reads each payload's spans straight from its wire bytes (no
//! decoding) and folds them into the [`aggregate::Aggregator`] under a
//! mutex; the run task flushes every `metrics_flush_interval`, and on
//! shutdown, to the `metrics` output.

pub mod aggregate;
mod args;
mod attributes;
pub mod counters;
mod decoded;
pub mod expo;
pub mod key;
mod resources;
pub mod series;
mod table;

use crate::sync::lock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use solder_syntax::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::component::{
    ArgumentError, Component, Health, HealthCell, HealthState, InputExports, Options, Registration, RunFuture, Signals, Stability, Telemetry,
};
use crate::consumer::{ConsumeError, ConsumeFuture, Consumer, ConsumerHandle};
use crate::otelcol::output::Output;
use crate::otlp::proto::ExportMetricsServiceRequest;
use crate::otlp::{Metrics, Signal, Traces};

pub use args::{Arguments, DimensionBlock, EventsBlock, ExemplarsBlock, ExplicitBlock, ExponentialBlock, HistogramBlock};

use aggregate::Aggregator;

pub const REGISTRATION: Registration = Registration::of::<SpanMetrics>(
    "otelcol.connector.spanmetrics",
    Stability::GenerallyAvailable,
    Signals { takes: &[Telemetry::Traces], gives: &[Telemetry::Metrics] },
);

pub struct SpanMetrics {
    shared: Arc<Shared>,
    /// Made once, so upstream components keep the same handle across
    /// evaluations and updates.
    exports: InputExports,
    health: HealthCell,
}

/// What the input, the run task and updates share.
struct Shared {
    aggregator: Mutex<Aggregator>,
    output: Mutex<Output>,
    interval: Mutex<StdDuration>,
    /// Rung when the flush interval changes, so the run loop re-arms.
    rearm: Notify,
    flushes: AtomicU64,
    resets: AtomicU64,
}

/// Unix nanoseconds now: OTLP timestamps.
fn now_nanos() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

impl Shared {
    /// Builds the metrics of the window that ends now; `None` when there
    /// are no series to report.
    fn take(&self) -> Option<Metrics> {
        let resource_metrics = lock(&self.aggregator).flush(now_nanos());
        self.flushes.fetch_add(1, Ordering::Relaxed);
        if resource_metrics.is_empty() {
            return None;
        }
        Some(Metrics::from_message(ExportMetricsServiceRequest { resource_metrics }))
    }

    async fn flush(&self, health: &HealthCell) {
        let Some(metrics) = self.take() else { return };
        let fanout = lock(&self.output).fanout(Signal::Metrics);
        match fanout.metrics(metrics).await {
            Ok(()) => health.set(HealthState::Healthy, "aggregating spans"),
            Err(e) => {
                tracing::warn!(error = %e, "otelcol.connector.spanmetrics: the metrics output refused a flush");
                health.set(HealthState::Unhealthy, format!("the metrics output refused the last flush: {e}"));
            }
        }
    }
}

/// What the `input` capsule holds.
struct Input(Arc<Shared>);

impl Consumer for Input {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        // Straight from the bytes: no decoded view is built for span metrics.
        let result = lock(&self.0.aggregator)
            .aggregate(data.bytes(), now_nanos())
            .map_err(|e| ConsumeError::permanent(format!("otelcol.connector.spanmetrics: cannot read traces: {e}")));
        Box::pin(std::future::ready(result))
    }

    fn accepts(&self, signal: Signal) -> bool {
        signal == Signal::Traces
    }
}

impl Component for SpanMetrics {
    type Arguments = Arguments;
    type Exports = InputExports;

    fn build(opts: Options, args: Arguments) -> Result<SpanMetrics, ArgumentError> {
        let counters = counters::Counters::register(&opts.metrics);
        let shared = Arc::new(Shared {
            aggregator: Mutex::new(Aggregator::with_counters(args.config()?, counters)),
            output: Mutex::new(args.output),
            interval: Mutex::new(args.metrics_flush_interval.0),
            rearm: Notify::new(),
            flushes: AtomicU64::new(0),
            resets: AtomicU64::new(0),
        });
        let input = ConsumerHandle::new(Input(Arc::clone(&shared))).capsule();
        Ok(SpanMetrics { shared, exports: InputExports { input }, health: HealthCell::default() })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.health.set(HealthState::Healthy, "aggregating spans");
            loop {
                let interval = *lock(&self.shared.interval);
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.shared.rearm.notified() => continue,
                    _ = tokio::time::sleep(interval) => self.shared.flush(&self.health).await,
                }
            }
            // What was counted since the last flush is not lost on stop.
            self.shared.flush(&self.health).await;
            self.health.set(HealthState::Exited, "stopped");
        })
    }

    /// Series survive an update that shapes them the same way (output,
    /// flush interval, exemplars, expiration, cardinality limit and
    /// resource cache size apply in place; a smaller cache evicts at once). A new namespace, dimension set, histogram, temporality,
    /// events or resource key resets them: old series would carry the
    /// wrong attributes or buckets.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        let config = args.config()?;
        if lock(&self.shared.aggregator).reconfigure(config) {
            self.shared.resets.fetch_add(1, Ordering::Relaxed);
        }
        *lock(&self.shared.output) = args.output;
        let mut interval = lock(&self.shared.interval);
        if *interval != args.metrics_flush_interval.0 {
            *interval = args.metrics_flush_interval.0;
            self.shared.rearm.notify_one();
        }
        Ok(())
    }

    fn exports(&self) -> InputExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        let int = |n: u64| Value::int(i64::try_from(n).unwrap_or(i64::MAX));
        let (series, resources, spans, c) = {
            let a = lock(&self.shared.aggregator);
            (a.series_count() as u64, a.resource_count() as u64, a.spans_seen(), a.counters().clone())
        };
        Value::object([
            ("series", int(series)),
            ("resources", int(resources)),
            ("spans_seen", int(spans)),
            ("overflow_spans", int(c.overflow_spans.get())),
            ("evicted_resources", int(c.evicted_resources.get())),
            ("dropped_spans", int(c.dropped_spans.get())),
            ("flushes", int(self.shared.flushes.load(Ordering::Relaxed))),
            ("resets", int(self.shared.resets.load(Ordering::Relaxed))),
        ])
    }
}

#[cfg(test)]
mod tests;
