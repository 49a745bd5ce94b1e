//! `otelcol.processor.filter`: drops spans, span events, metrics, data
//! points and log records for which any OTTL condition is true, as the
//! Collector's filter processor does. What it drops is counted under the
//! Collector's metric names, so what was sent still balances with what
//! was delivered plus what was filtered.

#[cfg(test)]
mod tests;

use serde::Deserialize;
use solder_syntax::ottl::{funcs, Conditions, ErrorMode, RunError, Schema};

use super::ottl_args::{default_error_mode, error_mode, load_error, Compiled, FailureLog};
use super::rewrite::{Edit, Rewrite, RewriteProcessor, WireEdit};
use crate::component::{self, ArgumentError, Registration, Signals, Stability, Telemetry};
use crate::consumer::ConsumeError;
use crate::otelcol::output::Output;
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::{data_points, Signal};
use crate::ottl;
use crate::ottl::wire::filter::{self as wire, Outcome};
use crate::ottl::wire::{FilterPlan, WireFailure};
use crate::selfmetrics::{ComponentMetrics, Counter};

const ALL: &[Telemetry] = &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs];

pub const REGISTRATION: Registration =
    Registration::of::<RewriteProcessor<Rules>>("otelcol.processor.filter", Stability::GenerallyAvailable, Signals { takes: ALL, gives: ALL });

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// What a condition failing at run time does: `"ignore"` (log it, count
    /// it as false), `"silent"` (count it as false) or `"propagate"`
    /// (refuse the request). Default `"propagate"`, as in Alloy.
    #[serde(default = "default_error_mode")]
    pub error_mode: String,
    /// Conditions that drop spans and span events.
    #[serde(default)]
    pub traces: Option<TraceConditions>,
    /// Conditions that drop metrics and data points.
    #[serde(default)]
    pub metrics: Option<MetricConditions>,
    /// Conditions that drop log records.
    #[serde(default)]
    pub logs: Option<LogConditions>,
    /// Where every item that is not dropped goes.
    pub output: Output,
    /// What validation compiled, for the build that follows.
    #[serde(skip)]
    pub compiled: Compiled<Rules>,
}

/// `traces { span = [...] spanevent = [...] }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceConditions {
    /// A span for which any is true is dropped, with its events.
    #[serde(default)]
    pub span: Vec<String>,
    /// A span event for which any is true is dropped.
    #[serde(default)]
    pub spanevent: Vec<String>,
}

/// `metrics { metric = [...] datapoint = [...] }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricConditions {
    /// A metric for which any is true is dropped, with its data points.
    #[serde(default)]
    pub metric: Vec<String>,
    /// A data point for which any is true is dropped; a metric left with
    /// none is dropped too.
    #[serde(default)]
    pub datapoint: Vec<String>,
}

/// `logs { log_record = [...] }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConditions {
    /// A log record for which any is true is dropped.
    #[serde(default)]
    pub log_record: Vec<String>,
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        self.output.check().map_err(|m| ArgumentError::new("output", m))?;
        let rules = <Rules as Rewrite>::compile(self)?;
        self.compiled.keep(rules);
        Ok(())
    }
}

/// One compiled list of conditions, and where its failures are counted.
struct List {
    conditions: Conditions,
    log: FailureLog,
}

impl List {
    fn compile(schema: &'static Schema, sources: &[String], path: &str) -> Result<Option<List>, ArgumentError> {
        if sources.is_empty() {
            return Ok(None);
        }
        let texts: Vec<&str> = sources.iter().map(String::as_str).collect();
        let conditions = Conditions::compile(schema, funcs::table(), &texts).map_err(|e| load_error(path, e))?;
        Ok(Some(List { conditions, log: FailureLog::new(sources) }))
    }
}

/// What the Collector names its counts of dropped items.
const SPANS: &str = "otelcol_processor_filter_spans_filtered_total";
const DATAPOINTS: &str = "otelcol_processor_filter_datapoints_filtered_total";
const LOGS: &str = "otelcol_processor_filter_logs_filtered_total";

/// The compiled arguments.
pub struct Rules {
    mode: ErrorMode,
    span: Option<List>,
    spanevent: Option<List>,
    metric: Option<List>,
    datapoint: Option<List>,
    log_record: Option<List>,
    blank: Blank,
    /// Whether the `span` and `spanevent` lists (either or both) run on
    /// the wire bytes: each reads only what its wire context serves.
    spans_on_wire: bool,
    /// How the `spanevent` list runs on the wire bytes, when it reads
    /// only what the wire spanevent context serves.
    event_reader: Option<wire::EventReader>,
    /// The `span` list as a plan's conditions, when they are plain
    /// comparisons.
    span_plan: Option<FilterPlan>,
    /// Whether the `metric` list runs on the wire bytes: it reads only
    /// what the wire metric context serves, and a `datapoint` list beside
    /// it, if any, has a plan (which then runs over what it left).
    metrics_on_wire: bool,
    /// The `datapoint` list as a plan's conditions, when they are plain
    /// comparisons (of the point's attributes, its metric's name, the
    /// resource's attributes): it runs on the wire bytes, alone or after
    /// a `metric` list that does.
    point_plan: Option<FilterPlan>,
    /// How the `log_record` list runs on the wire bytes, when it reads
    /// only what the wire log context serves.
    logs_on_wire: Option<wire::LogReader>,
    spans_filtered: Counter,
    datapoints_filtered: Counter,
    logs_filtered: Counter,
}

impl Rules {
    /// (spans, data points, log records) dropped so far.
    pub fn filtered(&self) -> (u64, u64, u64) {
        (self.spans_filtered.get(), self.datapoints_filtered.get(), self.logs_filtered.get())
    }

    fn lists(&self) -> impl Iterator<Item = &List> {
        [&self.span, &self.spanevent, &self.metric, &self.datapoint, &self.log_record].into_iter().flatten()
    }

    /// The `span` list, then the `spanevent` list over the spans it left,
    /// on the wire, as [`Self::try_traces`] runs them decoded. Each list's
    /// errors are reported against it; a request either walk finds odd
    /// is decoded instead (`None`), and nothing of the walks is reported.
    fn traces_on_wire(&self, mode: ErrorMode, bytes: &[u8]) -> Option<Result<WireEdit, ConsumeError>> {
        let refuse = |list: &List, e: RunError| {
            list.log.report(std::slice::from_ref(&e), ErrorMode::Propagate);
            Some(Err(ConsumeError::permanent(e.to_string())))
        };
        let (mut span_errors, mut event_errors) = (Vec::new(), Vec::new());
        let spans = match &self.span {
            None => Outcome::Unchanged,
            Some(list) => match wire::filter_spans(&list.conditions, self.span_plan.as_ref(), mode, bytes, &mut span_errors) {
                Ok(outcome) => outcome,
                Err(WireFailure::Decode(_)) => return None,
                Err(WireFailure::Run(_, e)) => return refuse(list, e),
            },
        };
        let left = match &spans {
            Outcome::Emptied { .. } => None,
            Outcome::Changed { bytes, .. } => Some(&bytes[..]),
            Outcome::Unchanged => Some(bytes),
        };
        let events = match (&self.spanevent, left) {
            (Some(list), Some(left)) => match wire::filter_events(&list.conditions, self.event_reader?, mode, left, &mut event_errors) {
                Ok(events) => events,
                Err(WireFailure::Decode(_)) => return None,
                Err(WireFailure::Run(_, e)) => return refuse(list, e),
            },
            _ => None,
        };
        for (list, errors) in [(&self.span, &span_errors), (&self.spanevent, &event_errors)] {
            if let Some(list) = list {
                list.log.report(errors, self.mode);
            }
        }
        Some(Ok(match (spans, events) {
            (Outcome::Emptied { dropped }, _) => {
                self.spans_filtered.add(dropped as u64);
                WireEdit::Emptied
            }
            (Outcome::Changed { bytes, dropped }, events) => {
                self.spans_filtered.add(dropped as u64);
                WireEdit::Changed { bytes: events.unwrap_or(bytes), removed: dropped }
            }
            (Outcome::Unchanged, events) => WireEdit::from(events),
        }))
    }

    /// The failures counted so far, over every list.
    pub fn failures(&self) -> u64 {
        self.lists().map(|l| l.log.failures()).sum()
    }

    /// Runs one list through a driver, reporting its failures.
    fn pass<R>(
        &self,
        list: &List,
        req: &mut R,
        driver: impl FnOnce(&Conditions, &mut R, ErrorMode, &mut Vec<RunError>) -> Result<ottl::Filtered, RunError>,
    ) -> Result<ottl::Filtered, ConsumeError> {
        let mut errors = Vec::new();
        let result = driver(&list.conditions, req, FailureLog::run_mode(self.mode), &mut errors);
        list.log.report(&errors, self.mode);
        result.map_err(|e| {
            list.log.report(std::slice::from_ref(&e), ErrorMode::Propagate);
            ConsumeError::permanent(e.to_string())
        })
    }
}

/// What dropping `removed` items did to a request now `empty` or not.
fn edit(removed: u64, empty: bool) -> Edit {
    match (removed, empty) {
        (0, _) => Edit::Unchanged,
        (_, true) => Edit::Emptied,
        (_, false) => Edit::Changed,
    }
}

/// Conditions that never hold, one per context: the other half of a
/// signal's pair when only one list is run.
struct Blank {
    span: Conditions,
    spanevent: Conditions,
    metric: Conditions,
    datapoint: Conditions,
}

impl Blank {
    fn compile() -> Result<Blank, ArgumentError> {
        let none = |schema: &'static Schema| Conditions::compile(schema, funcs::table(), &[]).map_err(|e| ArgumentError::whole(e.message));
        Ok(Blank { span: none(&ottl::SPAN)?, spanevent: none(&ottl::SPANEVENT)?, metric: none(&ottl::METRIC)?, datapoint: none(&ottl::DATAPOINT)? })
    }
}

impl Rewrite for Rules {
    type Arguments = Arguments;
    const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];

    fn compile(args: &Arguments) -> Result<Rules, ArgumentError> {
        if let Some(rules) = args.compiled.take() {
            return Ok(rules);
        }
        let mode = error_mode(&args.error_mode, "error_mode")?;
        let (traces, metrics, logs) =
            (args.traces.clone().unwrap_or_default(), args.metrics.clone().unwrap_or_default(), args.logs.clone().unwrap_or_default());
        let (span, spanevent) =
            (List::compile(&ottl::SPAN, &traces.span, "traces.span")?, List::compile(&ottl::SPANEVENT, &traces.spanevent, "traces.spanevent")?);
        let (metric, datapoint) =
            (List::compile(&ottl::METRIC, &metrics.metric, "metrics.metric")?, List::compile(&ottl::DATAPOINT, &metrics.datapoint, "metrics.datapoint")?);
        let log_record = List::compile(&ottl::LOG, &logs.log_record, "logs.log_record")?;
        let point_plan = datapoint.as_ref().and_then(|l| FilterPlan::compile_points(&l.conditions));
        let event_reader = spanevent.as_ref().and_then(|l| wire::event_reader(&l.conditions));
        Ok(Rules {
            mode,
            spans_on_wire: (span.is_some() || spanevent.is_some())
                && span.as_ref().is_none_or(|l| wire::supports(&l.conditions))
                && spanevent.as_ref().is_none_or(|_| event_reader.is_some()),
            event_reader,
            span_plan: span.as_ref().and_then(|l| FilterPlan::compile(&l.conditions)),
            span,
            logs_on_wire: log_record.as_ref().and_then(|l| wire::log_reader(&l.conditions)),
            log_record,
            spanevent,
            metrics_on_wire: (datapoint.is_none() || point_plan.is_some()) && metric.as_ref().is_some_and(|l| wire::supports_metrics(&l.conditions)),
            point_plan,
            metric,
            datapoint,
            blank: Blank::compile()?,
            spans_filtered: Counter::default(),
            datapoints_filtered: Counter::default(),
            logs_filtered: Counter::default(),
        })
    }

    fn output(args: &Arguments) -> &Output {
        &args.output
    }

    fn with_metrics(self, metrics: &ComponentMetrics) -> Rules {
        let attach = |l: Option<List>| l.map(|l| List { log: l.log.with_metrics(metrics), ..l });
        Rules {
            mode: self.mode,
            spans_on_wire: self.spans_on_wire,
            event_reader: self.event_reader,
            span_plan: self.span_plan,
            metrics_on_wire: self.metrics_on_wire,
            point_plan: self.point_plan,
            logs_on_wire: self.logs_on_wire,
            span: attach(self.span),
            spanevent: attach(self.spanevent),
            metric: attach(self.metric),
            datapoint: attach(self.datapoint),
            log_record: attach(self.log_record),
            blank: self.blank,
            spans_filtered: metrics.counter(SPANS, "Spans dropped by the filter processor's conditions.", &[]),
            datapoints_filtered: metrics.counter(DATAPOINTS, "Metric data points dropped by the filter processor's conditions.", &[]),
            logs_filtered: metrics.counter(LOGS, "Log records dropped by the filter processor's conditions.", &[]),
        }
    }

    /// A `span` or `spanevent` list ([`Self::traces_on_wire`]), a `metric` list, a `datapoint` list's plan
    /// (alone or after a `metric` list) or a `log_record` list, on the
    /// wire: the items that match are taken out
    /// of the request's bytes (a metric with its points, which are what
    /// is counted; a metric whose points all matched). A request the wire
    /// walk finds odd is decoded instead (`None`).
    fn on_wire(&self, signal: Signal, bytes: &[u8]) -> Option<Result<WireEdit, ConsumeError>> {
        let mode = FailureLog::run_mode(self.mode);
        let mut errors = Vec::new();
        let (list, counter, result) = match signal {
            Signal::Traces if self.spans_on_wire => return self.traces_on_wire(mode, bytes),
            Signal::Metrics if self.metrics_on_wire => {
                let list = self.metric.as_ref()?;
                let result = match (wire::filter_metrics(&list.conditions, mode, bytes, &mut errors), &self.point_plan) {
                    // Then the `datapoint` list's plan over what it left; a
                    // point the plan cannot read sends the request to
                    // decoding, which runs both lists again.
                    (Ok(first), Some(plan)) if self.datapoint.is_some() => Ok(wire::filter_points_after(first, plan, bytes).ok()?),
                    (result, _) => result,
                };
                (list, &self.datapoints_filtered, result)
            }
            Signal::Metrics if self.metric.is_none() => {
                let (list, plan) = (self.datapoint.as_ref()?, self.point_plan.as_ref()?);
                // Plain comparisons cannot fail; a point the plan cannot
                // read exactly sends the request to decoding.
                (list, &self.datapoints_filtered, Ok(wire::filter_points(plan, bytes).ok()?))
            }
            Signal::Logs => {
                let (list, reader) = (self.log_record.as_ref()?, self.logs_on_wire?);
                (list, &self.logs_filtered, wire::filter_logs(&list.conditions, reader, mode, bytes, &mut errors))
            }
            _ => return None,
        };
        if let Err(WireFailure::Decode(_)) = result {
            // Decoding tests the items again, and reports their errors.
            return None;
        }
        list.log.report(&errors, self.mode);
        Some(match result {
            Ok(Outcome::Unchanged) => Ok(WireEdit::Unchanged),
            Ok(Outcome::Changed { bytes, dropped }) => {
                counter.add(dropped as u64);
                Ok(WireEdit::Changed { bytes, removed: dropped })
            }
            Ok(Outcome::Emptied { dropped }) => {
                counter.add(dropped as u64);
                Ok(WireEdit::Emptied)
            }
            Err(WireFailure::Run(_, e)) => {
                list.log.report(std::slice::from_ref(&e), ErrorMode::Propagate);
                Err(ConsumeError::permanent(e.to_string()))
            }
            Err(WireFailure::Decode(_)) => return None,
        })
    }

    /// Spans first, then the events of the spans left: the order the
    /// Collector filters in, one list per pass so each failure is
    /// reported against the list it came from. Spans are counted before
    /// and after, so what is dropped is counted however it went.
    fn try_traces(&self, req: &mut ExportTraceServiceRequest) -> Result<Edit, ConsumeError> {
        let before = spans(req);
        let mut events = 0;
        if let Some(list) = &self.span {
            let none = &self.blank.spanevent;
            events += self.pass(list, req, |c, r, m, e| ottl::filter_traces(c, none, r, m, e))?.span_events;
        }
        if let Some(list) = &self.spanevent {
            let none = &self.blank.span;
            events += self.pass(list, req, |c, r, m, e| ottl::filter_traces(none, c, r, m, e))?.span_events;
        }
        let dropped = before.saturating_sub(spans(req));
        self.spans_filtered.add(dropped);
        Ok(edit(dropped + events, req.resource_spans.is_empty()))
    }

    /// Metrics, then the points of the metrics left. The Collector's
    /// counter is of data points, those of dropped metrics included, so
    /// points are counted before and after.
    fn try_metrics(&self, req: &mut ExportMetricsServiceRequest) -> Result<Edit, ConsumeError> {
        let before = points(req);
        let mut metrics = 0;
        if let Some(list) = &self.metric {
            let none = &self.blank.datapoint;
            metrics += self.pass(list, req, |c, r, m, e| ottl::filter_metrics(c, none, r, m, e))?.metrics;
        }
        if let Some(list) = &self.datapoint {
            let none = &self.blank.metric;
            metrics += self.pass(list, req, |c, r, m, e| ottl::filter_metrics(none, c, r, m, e))?.metrics;
        }
        let dropped = before.saturating_sub(points(req));
        self.datapoints_filtered.add(dropped);
        Ok(edit(dropped + metrics, req.resource_metrics.is_empty()))
    }

    fn try_logs(&self, req: &mut ExportLogsServiceRequest) -> Result<Edit, ConsumeError> {
        let Some(list) = &self.log_record else { return Ok(Edit::Unchanged) };
        let before = records(req);
        self.pass(list, req, ottl::filter_logs)?;
        let dropped = before.saturating_sub(records(req));
        self.logs_filtered.add(dropped);
        Ok(edit(dropped, req.resource_logs.is_empty()))
    }
}

fn spans(req: &ExportTraceServiceRequest) -> u64 {
    req.resource_spans.iter().flat_map(|r| &r.scope_spans).map(|s| s.spans.len() as u64).sum()
}

fn points(req: &ExportMetricsServiceRequest) -> u64 {
    req.resource_metrics.iter().flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics).map(|m| data_points(m) as u64).sum()
}

fn records(req: &ExportLogsServiceRequest) -> u64 {
    req.resource_logs.iter().flat_map(|r| &r.scope_logs).map(|s| s.log_records.len() as u64).sum()
}
