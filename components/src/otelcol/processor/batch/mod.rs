//! `otelcol.processor.batch`: groups telemetry into batches by size and by
//! time, as the OpenTelemetry Collector's batch processor does.
//!
//! Batching works on the encoded requests: a batch is the concatenation of
//! the pending payloads' bytes ([`Encoded::concat`]), so nothing is decoded
//! or re-encoded on the way through. The one exception is a payload that
//! would take a batch past `send_batch_max_size`: it alone is decoded and
//! split at item granularity ([`crate::otlp::split`]).
//!
//! Consuming only appends to a pending buffer; the run task sends, one
//! independent loop per signal, so a stalled traces pipeline does not hold
//! up metrics. A downstream that asks to retry gets the same batch again
//! after a backoff, and the pending buffer is bounded: once full, this
//! component asks its own senders to retry.

mod in_hand;
mod pending;
mod sender;

use crate::sync::lock;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use serde::Deserialize;
use solder_syntax::Value;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::component::{
    self, ArgumentError, Component, Health, HealthCell, HealthState, InputExports, Options, Registration, RunFuture, Signals, Stability, Telemetry,
};
use crate::consumer::{ConsumeError, ConsumeFuture, Consumer, ConsumerHandle, Fanout, Progress};

/// A boxed future borrowing for `'a`.
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
use crate::otelcol::output::Output;
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::split::Split;
use crate::otlp::{Encoded, Logs, Metrics, Signal, Traces};
use crate::types::Duration;

use pending::{Limits, Pending};

const ALL: &[Telemetry] = &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs];

pub const REGISTRATION: Registration =
    Registration::of::<BatchProcessor>("otelcol.processor.batch", Stability::GenerallyAvailable, Signals { takes: ALL, gives: ALL });

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// How long the oldest pending item may wait before what is pending is
    /// sent regardless of size. Default `"200ms"`. `"0s"` sends every
    /// payload at once (still split at `send_batch_max_size`).
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// Pending spans, metric data points or log records that trigger a send
    /// without waiting for the timeout. Default 2000. A trigger, not a
    /// size: a batch may hold more, up to `send_batch_max_size`.
    #[serde(default = "default_send_batch_size")]
    pub send_batch_size: u32,
    /// The most items one batch may hold; larger payloads are split.
    /// Default 3000; 0 means no limit. Must be at least `send_batch_size`.
    #[serde(default = "default_send_batch_max_size")]
    pub send_batch_max_size: u32,
    /// Batch separately per value of these client metadata keys. Only the
    /// empty list is supported: payloads carry no request metadata yet.
    #[serde(default)]
    pub metadata_keys: Vec<String>,
    /// The most distinct metadata combinations batched at once. Default
    /// 1000; meaningful only with `metadata_keys`.
    #[serde(default = "default_cardinality")]
    pub metadata_cardinality_limit: u32,
    /// Where batches go.
    pub output: Output,
}

fn default_timeout() -> Duration {
    Duration(StdDuration::from_millis(200))
}

fn default_send_batch_size() -> u32 {
    2000
}

fn default_send_batch_max_size() -> u32 {
    3000
}

fn default_cardinality() -> u32 {
    1000
}

pub struct BatchProcessor {
    metrics: crate::selfmetrics::ComponentMetrics,
    shared: Arc<Shared>,
    /// Made once, so that the export compares equal across evaluations and
    /// updates, and upstream components keep the same handle.
    exports: InputExports,
    health: HealthCell,
}

/// What the input, the run task and updates share.
struct Shared {
    limits: Mutex<Limits>,
    output: Mutex<Output>,
    traces: Lane<ExportTraceServiceRequest>,
    metrics: Lane<ExportMetricsServiceRequest>,
    logs: Lane<ExportLogsServiceRequest>,
    stats: sender::Stats,
}

/// One signal's pending buffer and the bell that wakes its sender.
struct Lane<M> {
    pending: Mutex<Pending<M>>,
    wake: Notify,
}

impl<M> Default for Lane<M> {
    fn default() -> Self {
        Lane { pending: Mutex::new(Pending::default()), wake: Notify::new() }
    }
}

/// Each signal's request type, with its lane and its way out.
trait Batched: Split {
    fn lane(shared: &Shared) -> &Lane<Self>;
    /// Sends to the consumers of `fanout` that `progress` has not seen
    /// done; the first retryable refusal, if any.
    fn send<'a>(fanout: &'a Fanout, data: Encoded<Self>, progress: &'a mut Progress) -> BoxFuture<'a, Option<ConsumeError>>;
}

impl Batched for ExportTraceServiceRequest {
    fn lane(shared: &Shared) -> &Lane<Self> {
        &shared.traces
    }
    fn send<'a>(fanout: &'a Fanout, data: Traces, progress: &'a mut Progress) -> BoxFuture<'a, Option<ConsumeError>> {
        Box::pin(fanout.traces_to_rest(data, progress))
    }
}

impl Batched for ExportMetricsServiceRequest {
    fn lane(shared: &Shared) -> &Lane<Self> {
        &shared.metrics
    }
    fn send<'a>(fanout: &'a Fanout, data: Metrics, progress: &'a mut Progress) -> BoxFuture<'a, Option<ConsumeError>> {
        Box::pin(fanout.metrics_to_rest(data, progress))
    }
}

impl Batched for ExportLogsServiceRequest {
    fn lane(shared: &Shared) -> &Lane<Self> {
        &shared.logs
    }
    fn send<'a>(fanout: &'a Fanout, data: Logs, progress: &'a mut Progress) -> BoxFuture<'a, Option<ConsumeError>> {
        Box::pin(fanout.logs_to_rest(data, progress))
    }
}

impl Shared {
    fn limits(&self) -> Limits {
        *lock(&self.limits)
    }

    /// Takes a payload into the pending buffer: no sending, no decoding.
    fn push<M: Batched>(&self, data: Encoded<M>) -> Result<(), ConsumeError> {
        let limits = self.limits();
        let lane = M::lane(self);
        let pushed = lock(&lane.pending).push(data, Instant::now(), &limits);
        match pushed {
            Ok(wake) => {
                if wake {
                    lane.wake.notify_one();
                }
                Ok(())
            }
            Err(pending) => Err(ConsumeError::retryable(format!(
                "otelcol.processor.batch is full: {pending} {} pending, the limit is {}; retry later",
                M::SIGNAL.item_name(),
                limits.bound()
            ))),
        }
    }

    fn wake_all(&self) {
        self.traces.wake.notify_one();
        self.metrics.wake.notify_one();
        self.logs.wake.notify_one();
    }
}

/// What the `input` capsule holds.
struct Input(Arc<Shared>);

impl Consumer for Input {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        Box::pin(std::future::ready(self.0.push(data)))
    }

    fn consume_metrics(&self, data: Metrics) -> ConsumeFuture<'_> {
        Box::pin(std::future::ready(self.0.push(data)))
    }

    fn consume_logs(&self, data: Logs) -> ConsumeFuture<'_> {
        Box::pin(std::future::ready(self.0.push(data)))
    }

    fn accepts(&self, _signal: Signal) -> bool {
        true
    }
}

impl Component for BatchProcessor {
    type Arguments = Arguments;
    type Exports = InputExports;

    fn build(opts: Options, args: Arguments) -> Result<BatchProcessor, ArgumentError> {
        let shared = Arc::new(Shared {
            limits: Mutex::new(args.limits()),
            output: Mutex::new(args.output),
            traces: Lane::default(),
            metrics: Lane::default(),
            logs: Lane::default(),
            stats: sender::Stats::default(),
        });
        let input = ConsumerHandle::new(Input(Arc::clone(&shared))).capsule();
        Ok(BatchProcessor { metrics: opts.metrics, shared, exports: InputExports { input }, health: HealthCell::default() })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.health.set(HealthState::Healthy, "batching");
            let sender = sender::Sender::new(&self.metrics, Arc::clone(&self.shared), self.health.clone(), shutdown);
            tokio::join!(sender.run::<ExportTraceServiceRequest>(), sender.run::<ExportMetricsServiceRequest>(), sender.run::<ExportLogsServiceRequest>(),);
        })
    }

    /// New sizes, timeout and output apply to what is already pending.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        *lock(&self.shared.limits) = args.limits();
        *lock(&self.shared.output) = args.output;
        self.shared.wake_all();
        Ok(())
    }

    fn exports(&self) -> InputExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        let pending = |n: usize| Value::int(i64::try_from(n).unwrap_or(i64::MAX));
        let s = &self.shared;
        let mut info = vec![(
            "pending",
            Value::object([
                ("traces", pending(lock(&s.traces.pending).items())),
                ("metrics", pending(lock(&s.metrics.pending).items())),
                ("logs", pending(lock(&s.logs.pending).items())),
            ]),
        )];
        info.extend(s.stats.values());
        Value::object(info)
    }
}

/// Checks what the types alone cannot, with Alloy's messages.
impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        if self.send_batch_max_size > 0 && self.send_batch_max_size < self.send_batch_size {
            return Err(ArgumentError::new("send_batch_max_size", "send_batch_max_size must be greater or equal to send_batch_size when not 0")
                .with_help(format!("send_batch_size is {}: raise send_batch_max_size to at least that, or set it to 0 for no limit", self.send_batch_size)));
        }
        if !self.metadata_keys.is_empty() {
            return Err(ArgumentError::new("metadata_keys", "metadata_keys is not supported yet: payloads do not carry client metadata")
                .with_help("remove metadata_keys; batching per tenant needs one batch processor per tenant pipeline for now"));
        }
        self.output.check().map_err(|m| ArgumentError::new("output", m))
    }
}

impl Arguments {
    fn limits(&self) -> Limits {
        let size = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
        Limits { timeout: self.timeout.0, send_batch_size: size(self.send_batch_size), send_batch_max_size: size(self.send_batch_max_size) }
    }
}

#[cfg(test)]
mod tests;
