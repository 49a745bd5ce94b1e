//! `otelcol.processor.memory_limiter`: refuses data, with a retryable
//! error, while the agent's memory is above a soft limit, so that senders
//! back off before the process is killed for running out of memory.
//!
//! It measures the process's real memory (its resident set, from
//! `/proc/self/status`) every `check_interval`. Percentages are of the
//! memory the process may use: the cgroup's limit when one is set (a
//! Kubernetes container's `resources.limits.memory`), else the machine's.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use serde::Deserialize;
use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use crate::bytesize::ByteSize;
use crate::component::{
    self, ArgumentError, Component, Health, HealthCell, HealthState, InputExports, Options, Registration, RunFuture, Signals, Stability, Telemetry,
};
use crate::consumer::{ConsumeError, ConsumeFuture, Consumer, ConsumerHandle, Fanout};
use crate::otelcol::output::Output;
use crate::otlp::{Logs, Metrics, Signal, Traces};
use crate::selfmetrics::Counter;
use crate::sync::lock;
use crate::types::Duration;

const ALL: &[Telemetry] = &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs];

pub const REGISTRATION: Registration =
    Registration::of::<MemoryLimiter>("otelcol.processor.memory_limiter", Stability::GenerallyAvailable, Signals { takes: ALL, gives: ALL });

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// How often memory is measured. Required; must be above zero.
    pub check_interval: Duration,
    /// The hard limit on the process's memory. Default `"0MiB"`: unset, and
    /// then `limit_percentage` must be.
    #[serde(default = "zero")]
    pub limit: ByteSize,
    /// How far below `limit` the soft limit sits, where refusing starts.
    /// Default 20% of `limit`.
    #[serde(default)]
    pub spike_limit: Option<ByteSize>,
    /// `limit` as a percentage of the memory the process may use (its
    /// cgroup's limit, else the machine's). Default 0: unset.
    #[serde(default)]
    pub limit_percentage: u32,
    /// `spike_limit` as a percentage of the same. Default 0.
    #[serde(default)]
    pub spike_limit_percentage: u32,
    /// Where accepted data goes.
    pub output: Output,
}

fn zero() -> ByteSize {
    ByteSize(0)
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        if self.check_interval.0.is_zero() {
            return Err(ArgumentError::new("check_interval", "check_interval must be greater than zero"));
        }
        match (self.limit.0 > 0, self.limit_percentage > 0) {
            (false, false) => return Err(ArgumentError::whole("either limit or limit_percentage must be set to a value greater than zero")),
            (true, true) => return Err(ArgumentError::new("limit_percentage", "limit and limit_percentage cannot both be set")),
            _ => {}
        }
        if self.limit_percentage > 100 || self.spike_limit_percentage > 100 {
            return Err(ArgumentError::new("limit_percentage", "percentages must be between 0 and 100"));
        }
        if self.limit.0 > 0 && self.spike_limit.is_some_and(|s| s.0 >= self.limit.0) {
            return Err(ArgumentError::new("spike_limit", "spike_limit must be smaller than limit"));
        }
        if self.limit_percentage > 0 && self.spike_limit_percentage >= self.limit_percentage {
            return Err(ArgumentError::new("spike_limit_percentage", "spike_limit_percentage must be smaller than limit_percentage"));
        }
        self.output.check().map_err(|m| ArgumentError::new("output", m))
    }
}

impl Arguments {
    /// The hard and soft limits in bytes, given what the process may use.
    fn limits(&self, available: u64) -> (u64, u64) {
        let hard = if self.limit.0 > 0 { self.limit.0 } else { available / 100 * u64::from(self.limit_percentage) };
        let spike = match (self.spike_limit, self.spike_limit_percentage) {
            (Some(s), _) => s.0,
            (None, p) if p > 0 => available / 100 * u64::from(p),
            (None, _) => hard / 5,
        };
        (hard, hard.saturating_sub(spike))
    }
}

pub struct MemoryLimiter {
    shared: Arc<Shared>,
    exports: InputExports,
    health: HealthCell,
}

struct Shared {
    args: Mutex<Arguments>,
    /// Each signal's fan-out, made when the output changes, not per payload.
    outputs: Mutex<Arc<[Fanout; 3]>>,
    /// Above the soft limit at the last check.
    refusing: AtomicBool,
    memory: AtomicU64,
    soft: AtomicU64,
    hard: AtomicU64,
    /// Items refused, by signal.
    refused: [Counter; 3],
}

impl Shared {
    /// Measures memory and decides whether to refuse; returns the reading.
    fn check(&self) -> Option<u64> {
        let (hard, soft) = lock(&self.args).limits(crate::memory::available());
        let used = process_memory()?;
        self.memory.store(used, Ordering::Relaxed);
        self.hard.store(hard, Ordering::Relaxed);
        self.soft.store(soft, Ordering::Relaxed);
        let was = self.refusing.swap(used >= soft, Ordering::Relaxed);
        if was != (used >= soft) {
            let mib = |b: u64| b >> 20;
            if used >= soft {
                tracing::warn!("otelcol.processor.memory_limiter: memory {} MiB is above the soft limit of {} MiB; refusing data", mib(used), mib(soft));
            } else {
                tracing::info!("otelcol.processor.memory_limiter: memory {} MiB is below the soft limit again; accepting data", mib(used));
            }
        }
        Some(used)
    }
}

impl Component for MemoryLimiter {
    type Arguments = Arguments;
    type Exports = InputExports;

    fn build(opts: Options, args: Arguments) -> Result<MemoryLimiter, ArgumentError> {
        let refused = ["otelcol_processor_refused_spans_total", "otelcol_processor_refused_metric_points_total", "otelcol_processor_refused_log_records_total"]
            .map(|name| opts.metrics.counter(name, "Items refused by the memory limiter because memory was above its soft limit.", &[]));
        let shared = Arc::new(Shared {
            outputs: Mutex::new(fanouts(&args.output)),
            args: Mutex::new(args),
            refusing: AtomicBool::new(false),
            memory: AtomicU64::new(0),
            soft: AtomicU64::new(0),
            hard: AtomicU64::new(0),
            refused,
        });
        // Measured once now, so that the first data is judged too.
        shared.check();
        let input = ConsumerHandle::new(Input(Arc::clone(&shared))).capsule();
        Ok(MemoryLimiter { shared, exports: InputExports { input }, health: HealthCell::default() })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            loop {
                let interval = lock(&self.shared.args).check_interval.0.max(StdDuration::from_millis(10));
                match self.shared.check() {
                    None => self.health.set(HealthState::Unhealthy, "cannot read the process's memory from /proc/self/status"),
                    Some(used) => {
                        let (soft, hard) = (self.shared.soft.load(Ordering::Relaxed), self.shared.hard.load(Ordering::Relaxed));
                        let state = if used >= soft { HealthState::Unhealthy } else { HealthState::Healthy };
                        self.health.set(state, format!("memory {} MiB; soft limit {} MiB, hard limit {} MiB", used >> 20, soft >> 20, hard >> 20));
                    }
                }
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(interval) => {}
                }
            }
            self.health.set(HealthState::Exited, "stopped");
        })
    }

    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        *lock(&self.shared.outputs) = fanouts(&args.output);
        *lock(&self.shared.args) = args;
        self.shared.check();
        Ok(())
    }

    fn exports(&self) -> InputExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        let n = |a: &AtomicU64| Value::Number(Number::Uint(a.load(Ordering::Relaxed)));
        let s = &self.shared;
        Value::object([
            ("memory_bytes", n(&s.memory)),
            ("soft_limit_bytes", n(&s.soft)),
            ("hard_limit_bytes", n(&s.hard)),
            ("refusing", Value::Bool(s.refusing.load(Ordering::Relaxed))),
            ("refused_spans", Value::Number(Number::Uint(s.refused[0].get()))),
            ("refused_metric_points", Value::Number(Number::Uint(s.refused[1].get()))),
            ("refused_log_records", Value::Number(Number::Uint(s.refused[2].get()))),
        ])
    }
}

/// What the `input` capsule holds.
struct Input(Arc<Shared>);

impl Input {
    /// The refusal, counted, if memory is above the soft limit.
    fn refuse(&self, signal: Signal, items: usize) -> Option<ConsumeError> {
        if !self.0.refusing.load(Ordering::Relaxed) {
            return None;
        }
        self.0.refused[slot(signal)].add(items as u64);
        Some(ConsumeError::retryable("data refused due to high memory usage"))
    }
}

macro_rules! limited {
    ($method:ident, $fan:ident, $t:ty) => {
        fn $method(&self, data: $t) -> ConsumeFuture<'_> {
            if let Some(e) = self.refuse(data.signal(), data.items()) {
                return Box::pin(std::future::ready(Err(e)));
            }
            let outputs = Arc::clone(&lock(&self.0.outputs));
            Box::pin(async move { outputs[slot(data.signal())].$fan(data).await })
        }
    };
}

impl Consumer for Input {
    limited!(consume_traces, traces, Traces);
    limited!(consume_metrics, metrics, Metrics);
    limited!(consume_logs, logs, Logs);

    fn accepts(&self, _signal: Signal) -> bool {
        true
    }
}

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

fn slot(signal: Signal) -> usize {
    SIGNALS.iter().position(|s| *s == signal).unwrap_or(0)
}

fn fanouts(output: &Output) -> Arc<[Fanout; 3]> {
    Arc::new(SIGNALS.map(|s| output.fanout(s)))
}

/// The process's resident memory, in bytes.
fn process_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse::<u64>().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{build_error, traces, Harness, Recorder};

    #[tokio::test]
    async fn refuses_with_a_retryable_error_above_the_soft_limit_and_counts_it() {
        let rec = Recorder::new();
        // Any running process is above one mebibyte.
        let h = Harness::start(
            &REGISTRATION,
            "check_interval = \"10ms\"\nlimit = \"1MiB\"\nspike_limit = \"0MiB\"\noutput { traces = [sink] }",
            &rec.scope("sink"),
        )
        .unwrap();
        let err = h.input().0.consume_traces(traces(5)).await.unwrap_err();
        assert_eq!(err.kind, crate::consumer::ErrorKind::Retryable);
        assert_eq!(err.message, "data refused due to high memory usage");
        assert!(rec.traces().is_empty());
        assert_eq!(h.debug("refusing"), Value::Bool(true));
        let health = h.wait_for_health(HealthState::Unhealthy).await;
        assert!(health.message.contains("soft limit 1 MiB"), "{}", health.message);
        assert_eq!(h.debug_count("refused_spans"), 5, "counted");
        h.stop().await;
    }

    #[tokio::test]
    async fn passes_data_on_below_the_soft_limit() {
        let rec = Recorder::new();
        let h = Harness::start(
            &REGISTRATION,
            "check_interval = \"10ms\"\nlimit_percentage = 100\nspike_limit_percentage = 1\noutput { traces = [sink] }",
            &rec.scope("sink"),
        )
        .unwrap();
        h.input().0.consume_traces(traces(5)).await.unwrap();
        assert_eq!(rec.items(), 5);
        let used = h.debug_count("memory_bytes");
        assert!(used > 1 << 20, "the real resident memory is read: {used}");
        h.wait_for_health(HealthState::Healthy).await;
        h.stop().await;
    }

    #[test]
    fn limits_follow_alloys_defaults_and_rules() {
        let scope = Recorder::new().scope("sink");
        let out = "output { traces = [sink] }";
        assert!(build_error(&REGISTRATION, &format!("check_interval = \"1s\"\n{out}"), &scope).contains("either limit or limit_percentage"));
        assert!(build_error(&REGISTRATION, &format!("check_interval = \"0s\"\nlimit = \"1GiB\"\n{out}"), &scope)
            .contains("check_interval must be greater than zero"));
        assert!(build_error(&REGISTRATION, &format!("check_interval = \"1s\"\nlimit = \"1GiB\"\nspike_limit = \"2GiB\"\n{out}"), &scope)
            .contains("spike_limit must be smaller"));
        assert!(build_error(&REGISTRATION, &format!("check_interval = \"1s\"\nlimit = \"1GiB\"\nlimit_percentage = 50\n{out}"), &scope)
            .contains("cannot both be set"));
        let args = |limit: u64, spike: Option<u64>, lp: u32, sp: u32| Arguments {
            check_interval: Duration(StdDuration::from_secs(1)),
            limit: ByteSize(limit),
            spike_limit: spike.map(ByteSize),
            limit_percentage: lp,
            spike_limit_percentage: sp,
            output: Output::default(),
        };
        assert_eq!(args(1000, None, 0, 0).limits(u64::MAX), (1000, 800), "the spike limit defaults to 20% of the limit");
        assert_eq!(args(1000, Some(100), 0, 0).limits(u64::MAX), (1000, 900));
        assert_eq!(args(0, None, 80, 25).limits(1000), (800, 550), "percentages are of what the process may use");
    }
}
