//! The transform drivers: each group of statements runs over the whole
//! request, in order, at its context's level: once per resource, scope,
//! span, span event, metric, data point or log record. This is the
//! Collector's order too, so a `resource` group that sets an attribute is
//! seen by a `span` group after it.

use solder_syntax::ottl::{Context, ErrorMode, RunError, Schema};

use super::datapoint::{retain_points, DatapointContext};
use super::log::LogContext;
use super::metric::MetricContext;
use super::resource::{ResourceContext, ScopeContext};
use super::span::SpanContext;
use super::spanevent::{retain_events, SpanEventContext};
use super::walk::{each_metric, each_resource, each_scope, retain_items, ResourceLevel};
use super::Group;
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

/// What a driver runs per item: a [`Group`]'s compiled statements, or a
/// test's stand-in.
pub(crate) trait Stage {
    fn schema(&self) -> &'static Schema;
    fn run(&self, ctx: &mut dyn Context, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<(), RunError>;
}

impl Stage for Group {
    fn schema(&self) -> &'static Schema {
        self.schema
    }

    fn run(&self, ctx: &mut dyn Context, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<(), RunError> {
        self.statements.execute(ctx, mode, errors)
    }
}

/// Runs every group over the request's spans.
pub fn transform_traces(groups: &[Group], req: &mut ExportTraceServiceRequest, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<(), RunError> {
    traces(groups, req, mode, errors)
}

/// Runs every group over the request's metrics.
pub fn transform_metrics(groups: &[Group], req: &mut ExportMetricsServiceRequest, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<(), RunError> {
    metrics(groups, req, mode, errors)
}

/// Runs every group over the request's log records.
pub fn transform_logs(groups: &[Group], req: &mut ExportLogsServiceRequest, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<(), RunError> {
    logs(groups, req, mode, errors)
}

pub(crate) fn traces<S: Stage>(groups: &[S], req: &mut ExportTraceServiceRequest, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<(), RunError> {
    for g in groups {
        let list = &mut req.resource_spans;
        if let Some(done) = upper(g, list, mode, errors) {
            done?;
            continue;
        }
        match g.schema().name {
            "span" => retain_items(list, |resource, scope, span| g.run(&mut SpanContext { resource, scope, span }, mode, errors).map(|_| true))?,
            "spanevent" => retain_items(list, |mut resource, mut scope, span| {
                retain_events(span, |span, event| {
                    let mut ctx = SpanEventContext { resource: resource.reborrow(), scope: scope.reborrow(), span, event };
                    g.run(&mut ctx, mode, errors).map(|_| true)
                })
                .map(|_| true)
            })?,
            other => return Err(misplaced(other, "traces")),
        };
    }
    Ok(())
}

pub(crate) fn metrics<S: Stage>(groups: &[S], req: &mut ExportMetricsServiceRequest, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<(), RunError> {
    for g in groups {
        let list = &mut req.resource_metrics;
        if let Some(done) = upper(g, list, mode, errors) {
            done?;
            continue;
        }
        match g.schema().name {
            "metric" => {
                each_metric(list, |resource, scope, metric, added| g.run(&mut MetricContext { resource, scope, metric, added: Some(added) }, mode, errors))?
            }
            "datapoint" => each_metric(list, |mut resource, mut scope, metric, added| {
                retain_points(metric, |metric, point| {
                    let mut ctx = DatapointContext { resource: resource.reborrow(), scope: scope.reborrow(), metric, point, added: Some(&mut *added) };
                    g.run(&mut ctx, mode, errors).map(|_| true)
                })?;
                added.finish_points(metric);
                Ok(())
            })?,
            other => return Err(misplaced(other, "metrics")),
        };
    }
    Ok(())
}

pub(crate) fn logs<S: Stage>(groups: &[S], req: &mut ExportLogsServiceRequest, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<(), RunError> {
    for g in groups {
        let list = &mut req.resource_logs;
        if let Some(done) = upper(g, list, mode, errors) {
            done?;
            continue;
        }
        match g.schema().name {
            "log" => retain_items(list, |resource, scope, record| g.run(&mut LogContext { resource, scope, record }, mode, errors).map(|_| true))?,
            other => return Err(misplaced(other, "logs")),
        };
    }
    Ok(())
}

/// Runs a `resource` or `scope` group, the levels all signals share; `None`
/// for any other context.
fn upper<R: ResourceLevel, S: Stage>(g: &S, list: &mut [R], mode: ErrorMode, errors: &mut Vec<RunError>) -> Option<Result<(), RunError>> {
    match g.schema().name {
        "resource" => Some(each_resource(list, |resource| g.run(&mut ResourceContext { resource }, mode, errors))),
        "scope" => Some(each_scope(list, |resource, scope| g.run(&mut ScopeContext { resource, scope }, mode, errors))),
        _ => None,
    }
}

/// A group whose context is not one of the signal's: a wiring mistake in
/// the component, reported rather than skipped.
fn misplaced(context: &str, signal: &str) -> RunError {
    RunError { index: 0, message: format!("the {context} context does not apply to {signal}") }
}
