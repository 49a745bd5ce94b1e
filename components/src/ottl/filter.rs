//! The filter drivers: items a condition matches are removed, then the
//! scopes and resources left empty, as the Collector's filter processor
//! does. A span (or metric) that matches is removed before its events (or
//! points) are looked at, so those are not counted twice.

use solder_syntax::ottl::{Conditions, Context, ErrorMode, RunError};

use super::datapoint::{retain_points, DatapointContext};
use super::log::LogContext;
use super::metric::MetricContext;
use super::span::SpanContext;
use super::spanevent::{retain_events, SpanEventContext};
use super::walk::{prune, retain_items};
use super::Filtered;
use crate::otlp::data_points;
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

/// What a filter asks of each item: compiled [`Conditions`], or a test's
/// stand-in.
pub(crate) trait Predicate {
    fn test(&self, ctx: &mut dyn Context, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<bool, RunError>;
    fn is_empty(&self) -> bool;
}

impl Predicate for Conditions {
    fn test(&self, ctx: &mut dyn Context, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<bool, RunError> {
        self.any(ctx, mode, errors)
    }

    fn is_empty(&self) -> bool {
        Conditions::is_empty(self)
    }
}

/// Drops the spans a `span` condition matches and the span events a
/// `spanevent` condition matches.
pub fn filter_traces(
    span: &Conditions,
    spanevent: &Conditions,
    req: &mut ExportTraceServiceRequest,
    mode: ErrorMode,
    errors: &mut Vec<RunError>,
) -> Result<Filtered, RunError> {
    traces(span, spanevent, req, mode, errors)
}

/// Drops the metrics a `metric` condition matches and the data points a
/// `datapoint` condition matches; a metric left with no points goes too.
pub fn filter_metrics(
    metric: &Conditions,
    datapoint: &Conditions,
    req: &mut ExportMetricsServiceRequest,
    mode: ErrorMode,
    errors: &mut Vec<RunError>,
) -> Result<Filtered, RunError> {
    metrics(metric, datapoint, req, mode, errors)
}

/// Drops the log records a `log_record` condition matches.
pub fn filter_logs(log_record: &Conditions, req: &mut ExportLogsServiceRequest, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<Filtered, RunError> {
    logs(log_record, req, mode, errors)
}

pub(crate) fn traces<P: Predicate>(
    span: &P,
    spanevent: &P,
    req: &mut ExportTraceServiceRequest,
    mode: ErrorMode,
    errors: &mut Vec<RunError>,
) -> Result<Filtered, RunError> {
    let mut out = Filtered::default();
    if span.is_empty() && spanevent.is_empty() {
        return Ok(out);
    }
    out.spans = retain_items(&mut req.resource_spans, |mut resource, mut scope, s| {
        if !span.is_empty() && span.test(&mut SpanContext { resource: resource.reborrow(), scope: scope.reborrow(), span: s }, mode, errors)? {
            return Ok(false);
        }
        if !spanevent.is_empty() {
            out.span_events += retain_events(s, |span, event| {
                let mut ctx = SpanEventContext { resource: resource.reborrow(), scope: scope.reborrow(), span, event };
                spanevent.test(&mut ctx, mode, errors).map(|matched| !matched)
            })?;
        }
        Ok(true)
    })?;
    prune(&mut req.resource_spans);
    Ok(out)
}

pub(crate) fn metrics<P: Predicate>(
    metric: &P,
    datapoint: &P,
    req: &mut ExportMetricsServiceRequest,
    mode: ErrorMode,
    errors: &mut Vec<RunError>,
) -> Result<Filtered, RunError> {
    let mut out = Filtered::default();
    if metric.is_empty() && datapoint.is_empty() {
        return Ok(out);
    }
    out.metrics = retain_items(&mut req.resource_metrics, |mut resource, mut scope, m| {
        if !metric.is_empty()
            && metric.test(&mut MetricContext { resource: resource.reborrow(), scope: scope.reborrow(), metric: m, added: None }, mode, errors)?
        {
            return Ok(false);
        }
        if !datapoint.is_empty() {
            out.datapoints += retain_points(m, |metric, point| {
                let mut ctx = DatapointContext { resource: resource.reborrow(), scope: scope.reborrow(), metric, point, added: None };
                datapoint.test(&mut ctx, mode, errors).map(|matched| !matched)
            })?;
            // A metric of no type has no points to lose, and is kept.
            return Ok(m.data.is_none() || data_points(m) > 0);
        }
        Ok(true)
    })?;
    prune(&mut req.resource_metrics);
    Ok(out)
}

pub(crate) fn logs<P: Predicate>(
    log_record: &P,
    req: &mut ExportLogsServiceRequest,
    mode: ErrorMode,
    errors: &mut Vec<RunError>,
) -> Result<Filtered, RunError> {
    let mut out = Filtered::default();
    if log_record.is_empty() {
        return Ok(out);
    }
    out.logs = retain_items(&mut req.resource_logs, |resource, scope, record| {
        log_record.test(&mut LogContext { resource, scope, record }, mode, errors).map(|matched| !matched)
    })?;
    prune(&mut req.resource_logs);
    Ok(out)
}
