//! `otelcol.processor.transform`: runs OTTL statements over spans, span
//! events, metrics, data points, logs, their scopes and resources, as the
//! Collector's transform processor does. Statements are compiled once per
//! load; a bad one is a config error pointing at its bad token.

mod compile;
#[cfg(test)]
mod tests;

use serde::Deserialize;
use solder_syntax::ottl::{ErrorMode, RunError};

use super::ottl_args::{default_error_mode, Compiled, FailureLog};
use super::rewrite::{Edit, Rewrite, RewriteProcessor, WireEdit};
use crate::component::{self, ArgumentError, Registration, Signals, Stability, Telemetry};
use crate::consumer::ConsumeError;
use crate::otelcol::output::Output;
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::Signal;
use crate::ottl;
use crate::ottl::wire::{WireBlock, WireFailure};
use crate::selfmetrics::ComponentMetrics;

const ALL: &[Telemetry] = &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs];

pub const REGISTRATION: Registration =
    Registration::of::<RewriteProcessor<Rules>>("otelcol.processor.transform", Stability::GenerallyAvailable, Signals { takes: ALL, gives: ALL });

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// What a statement failing at run time does: `"ignore"` (log it, go
    /// on), `"silent"` (go on) or `"propagate"` (refuse the request).
    /// Default `"propagate"`, as in Alloy.
    #[serde(default = "default_error_mode")]
    pub error_mode: String,
    /// Statements whose context is inferred from their paths' prefixes,
    /// run after the `*_statements` blocks.
    #[serde(default)]
    pub statements: Option<FlatStatements>,
    /// Statements for traces, one block per context, in order.
    #[serde(default)]
    pub trace_statements: Vec<ContextStatements>,
    /// Statements for metrics, one block per context, in order.
    #[serde(default)]
    pub metric_statements: Vec<ContextStatements>,
    /// Statements for logs, one block per context, in order.
    #[serde(default)]
    pub log_statements: Vec<ContextStatements>,
    /// Where every item goes, changed or not.
    pub output: Output,
    /// What validation compiled, for the build that follows.
    #[serde(skip)]
    pub compiled: Compiled<Rules>,
}

/// `trace_statements { ... }` and its metric and log kin.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextStatements {
    /// The OTTL context the statements run in: `resource`, `scope`, and
    /// `span`/`spanevent`, `metric`/`datapoint` or `log`. Required.
    pub context: String,
    /// The statements, run in order on every item of the context. Required.
    pub statements: Vec<String>,
    /// Conditions in the same context, ORed: the statements run only on
    /// the items where one holds (each statement's `where` still applies).
    /// Empty: every item.
    #[serde(default)]
    pub conditions: Vec<String>,
    /// This block's own `error_mode`; the component's when unset.
    #[serde(default)]
    pub error_mode: Option<String>,
}

/// `statements { trace = [...] metric = [...] log = [...] }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlatStatements {
    /// Trace statements with context-prefixed paths (`span.name`).
    #[serde(default)]
    pub trace: Vec<String>,
    /// Metric statements with context-prefixed paths (`metric.name`).
    #[serde(default)]
    pub metric: Vec<String>,
    /// Log statements with context-prefixed paths (`log.body`).
    #[serde(default)]
    pub log: Vec<String>,
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        self.output.check().map_err(|m| ArgumentError::new("output", m))?;
        let rules = <Rules as Rewrite>::compile(self)?;
        self.compiled.keep(rules);
        Ok(())
    }
}

/// One compiled block: its statements in one context, its error mode, and
/// where its failures are counted.
pub(crate) struct Block {
    group: ottl::Group,
    mode: ErrorMode,
    log: FailureLog,
}

/// The compiled arguments: each signal's blocks, in the order they run.
pub struct Rules {
    traces: Vec<Block>,
    metrics: Vec<Block>,
    logs: Vec<Block>,
    /// Whether the trace blocks run on the wire ([`ottl::wire::supports`]).
    traces_on_wire: bool,
    /// Whether the log blocks run on the wire
    /// ([`ottl::wire::supports_logs`]).
    logs_on_wire: bool,
    /// The trace blocks compiled to wire operations, when each is a
    /// `span` or `resource` block of plain steps ([`ottl::wire::Plan`]).
    traces_plan: Option<ottl::wire::Plan>,
    /// The metric and the log blocks as such a plan, when each is a
    /// `resource` block of plain steps (what the Kubernetes monitoring
    /// chart writes for them: a cluster name set, attributes deleted).
    metrics_plan: Option<ottl::wire::Plan>,
    logs_plan: Option<ottl::wire::Plan>,
}

/// A driver from the OTTL contexts module: runs one group over a request.
type Driver<R> = fn(&[ottl::Group], &mut R, ErrorMode, &mut Vec<RunError>) -> Result<(), RunError>;

impl Rules {
    /// The failures counted so far, over every block.
    pub fn failures(&self) -> u64 {
        self.traces.iter().chain(&self.metrics).chain(&self.logs).map(|b| b.log.failures()).sum()
    }
}

/// Runs every block over `req`. A request no statement can touch (no
/// blocks) goes on as its bytes; otherwise it is encoded again.
fn run<R>(blocks: &[Block], req: &mut R, driver: Driver<R>) -> Result<Edit, ConsumeError> {
    if blocks.is_empty() {
        return Ok(Edit::Unchanged);
    }
    let mut errors = Vec::new();
    for b in blocks {
        let result = driver(std::slice::from_ref(&b.group), req, FailureLog::run_mode(b.mode), &mut errors);
        b.log.report(&errors, b.mode);
        errors.clear();
        if let Err(e) = result {
            b.log.report(std::slice::from_ref(&e), ErrorMode::Propagate);
            return Err(ConsumeError::permanent(e.to_string()));
        }
    }
    Ok(Edit::Changed)
}

impl Rewrite for Rules {
    type Arguments = Arguments;
    const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];

    fn compile(args: &Arguments) -> Result<Rules, ArgumentError> {
        match args.compiled.take() {
            Some(rules) => Ok(rules),
            None => compile::rules(args),
        }
    }

    fn output(args: &Arguments) -> &Output {
        &args.output
    }

    fn with_metrics(self, metrics: &ComponentMetrics) -> Rules {
        let attach = |blocks: Vec<Block>| blocks.into_iter().map(|b| Block { log: b.log.with_metrics(metrics), ..b }).collect();
        Rules { traces: attach(self.traces), metrics: attach(self.metrics), logs: attach(self.logs), ..self }
    }

    fn try_traces(&self, req: &mut ExportTraceServiceRequest) -> Result<Edit, ConsumeError> {
        run(&self.traces, req, ottl::transform_traces)
    }

    fn try_metrics(&self, req: &mut ExportMetricsServiceRequest) -> Result<Edit, ConsumeError> {
        run(&self.metrics, req, ottl::transform_metrics)
    }

    fn try_logs(&self, req: &mut ExportLogsServiceRequest) -> Result<Edit, ConsumeError> {
        run(&self.logs, req, ottl::transform_logs)
    }

    fn touches(&self, signal: Signal) -> bool {
        !self.blocks(signal).is_empty()
    }

    fn on_wire(&self, signal: Signal, bytes: &[u8]) -> Option<Result<WireEdit, ConsumeError>> {
        let plan = match signal {
            Signal::Traces => &self.traces_plan,
            Signal::Metrics => &self.metrics_plan,
            Signal::Logs => &self.logs_plan,
        };
        if let Some(plan) = plan {
            // A span or resource the plan cannot run exactly goes a
            // general way.
            if let Ok(result) = ottl::wire::run_plan(plan, bytes) {
                return Some(Ok(result.into()));
            }
        }
        let (own, run): (&[Block], ottl::wire::WireTransform) = match signal {
            Signal::Traces if self.traces_on_wire => (&self.traces, ottl::wire::transform_traces),
            Signal::Logs if self.logs_on_wire => (&self.logs, ottl::wire::transform_logs),
            _ => return None,
        };
        let blocks: Vec<WireBlock<'_>> = own.iter().map(|b| WireBlock { group: &b.group, mode: FailureLog::run_mode(b.mode) }).collect();
        let mut errors = Vec::new();
        let result = run(&blocks, bytes, &mut errors);
        if let Err(WireFailure::Decode(_)) = result {
            // Decoding runs the statements again, and reports their errors.
            return None;
        }
        for (i, b) in own.iter().enumerate() {
            let mine: Vec<RunError> = errors.iter().filter(|(at, _)| *at == i).map(|(_, e)| e.clone()).collect();
            if !mine.is_empty() {
                b.log.report(&mine, b.mode);
            }
        }
        Some(match result {
            Ok(bytes) => Ok(bytes.into()),
            Err(WireFailure::Run(i, e)) => {
                if let Some(b) = own.get(i) {
                    b.log.report(std::slice::from_ref(&e), ErrorMode::Propagate);
                }
                Err(ConsumeError::permanent(e.to_string()))
            }
            Err(WireFailure::Decode(_)) => return None,
        })
    }
}

impl Rules {
    fn blocks(&self, signal: Signal) -> &[Block] {
        match signal {
            Signal::Traces => &self.traces,
            Signal::Metrics => &self.metrics,
            Signal::Logs => &self.logs,
        }
    }
}
