//! `otelcol.processor.attributes`: inserts, updates, deletes, hashes,
//! extracts and converts the attributes of spans, metric data points and
//! log records, as the Collector's attributes processor does, for the
//! items its `include` and `exclude` blocks admit.

mod actions;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde::Deserialize;
use tokio_util::sync::CancellationToken;

pub use actions::{Action, ActionArgs};

use super::attrvalue;
use super::filterspan::{Filter, MatchArgs, Subject};
use super::rewrite::{Rewrite, RewriteInput, Rewriting};
use crate::component::{
    self, ArgumentError, Component, Health, HealthCell, HealthState, InputExports, Options, Registration, RunFuture, Signals, Stability, Telemetry,
};
use crate::consumer::ConsumerHandle;
use crate::otelcol::output::Output;
use crate::otlp::proto::common::v1::KeyValue;
use crate::otlp::proto::metrics::v1::{metric::Data, Metric};
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::Signal;

const ALL: &[Telemetry] = &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs];

pub const REGISTRATION: Registration =
    Registration::of::<Attributes>("otelcol.processor.attributes", Stability::GenerallyAvailable, Signals { takes: ALL, gives: ALL });

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// The edits, applied in the order written to every admitted item.
    #[serde(default)]
    pub action: Vec<ActionArgs>,
    /// Only items this matches are edited.
    #[serde(default)]
    pub include: Option<MatchArgs>,
    /// Items this matches are not edited.
    #[serde(default)]
    pub exclude: Option<MatchArgs>,
    /// Where every item goes, edited or not.
    pub output: Output,
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        Rules::compile(self)?;
        self.output.check().map_err(|m| ArgumentError::new("output", m))
    }
}

/// The compiled arguments.
pub struct Rules {
    actions: Vec<Action>,
    filter: Filter,
}

impl Rules {
    pub fn compile(args: &Arguments) -> Result<Rules, ArgumentError> {
        let actions = args.action.iter().enumerate().map(|(i, a)| Action::compile(a, i)).collect::<Result<_, _>>()?;
        Ok(Rules { actions, filter: Filter::compile(args.include.as_ref(), args.exclude.as_ref())? })
    }

    /// Whether the filter lets the actions at this item.
    fn admits(&self, subject: Subject) -> bool {
        self.filter.is_empty() || self.filter.admits(&subject)
    }

    /// Applies every action; returns whether any changed something.
    fn apply(&self, attrs: &mut Vec<KeyValue>) -> bool {
        self.actions.iter().fold(false, |changed, a| a.apply(attrs) | changed)
    }
}

impl Rewrite for Rules {
    fn traces(&self, req: &mut ExportTraceServiceRequest) -> bool {
        let mut changed = false;
        for rs in &mut req.resource_spans {
            let resource = rs.resource.as_ref().map_or(&[][..], |r| &r.attributes[..]);
            for ss in &mut rs.scope_spans {
                let (scope_name, scope_version) = ss.scope.as_ref().map_or(("", ""), |s| (&s.name[..], &s.version[..]));
                for span in &mut ss.spans {
                    let subject = Subject {
                        resource,
                        scope_name,
                        scope_version,
                        attributes: &span.attributes,
                        span_name: Some(&span.name),
                        span_kind: Some(span.kind),
                        ..Subject::default()
                    };
                    if self.admits(subject) {
                        changed |= self.apply(&mut span.attributes);
                    }
                }
            }
        }
        changed
    }

    fn metrics(&self, req: &mut ExportMetricsServiceRequest) -> bool {
        let mut changed = false;
        for rm in &mut req.resource_metrics {
            let resource = rm.resource.as_ref().map_or(&[][..], |r| &r.attributes[..]);
            for sm in &mut rm.scope_metrics {
                let (scope_name, scope_version) = sm.scope.as_ref().map_or(("", ""), |s| (&s.name[..], &s.version[..]));
                for metric in &mut sm.metrics {
                    let name = metric.name.clone();
                    for attrs in point_attributes(metric) {
                        let subject = Subject { resource, scope_name, scope_version, attributes: attrs, metric_name: Some(&name), ..Subject::default() };
                        if self.admits(subject) {
                            changed |= self.apply(attrs);
                        }
                    }
                }
            }
        }
        changed
    }

    fn logs(&self, req: &mut ExportLogsServiceRequest) -> bool {
        let mut changed = false;
        for rl in &mut req.resource_logs {
            let resource = rl.resource.as_ref().map_or(&[][..], |r| &r.attributes[..]);
            for sl in &mut rl.scope_logs {
                let (scope_name, scope_version) = sl.scope.as_ref().map_or(("", ""), |s| (&s.name[..], &s.version[..]));
                for record in &mut sl.log_records {
                    let subject = Subject {
                        resource,
                        scope_name,
                        scope_version,
                        attributes: &record.attributes,
                        log_body: record.body.as_ref().and_then(|b| b.value.as_ref()).map(attrvalue::as_string),
                        log_severity_text: Some(&record.severity_text),
                        ..Subject::default()
                    };
                    if self.admits(subject) {
                        changed |= self.apply(&mut record.attributes);
                    }
                }
            }
        }
        changed
    }
}

/// Every data point's attributes, whatever the metric's type.
fn point_attributes(metric: &mut Metric) -> Vec<&mut Vec<KeyValue>> {
    match &mut metric.data {
        Some(Data::Gauge(d)) => d.data_points.iter_mut().map(|p| &mut p.attributes).collect(),
        Some(Data::Sum(d)) => d.data_points.iter_mut().map(|p| &mut p.attributes).collect(),
        Some(Data::Histogram(d)) => d.data_points.iter_mut().map(|p| &mut p.attributes).collect(),
        Some(Data::ExponentialHistogram(d)) => d.data_points.iter_mut().map(|p| &mut p.attributes).collect(),
        Some(Data::Summary(d)) => d.data_points.iter_mut().map(|p| &mut p.attributes).collect(),
        None => Vec::new(),
    }
}

pub struct Attributes {
    shared: Arc<Rewriting<Rules>>,
    exports: InputExports,
    health: HealthCell,
}

const SIGNALS: &[Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];

impl Component for Attributes {
    type Arguments = Arguments;
    type Exports = InputExports;

    fn build(_opts: Options, args: Arguments) -> Result<Attributes, ArgumentError> {
        let shared = Arc::new(Rewriting::new(Rules::compile(&args)?, &args.output, SIGNALS));
        let input = ConsumerHandle::new(RewriteInput(Arc::clone(&shared))).capsule();
        Ok(Attributes { shared, exports: InputExports { input }, health: HealthCell::default() })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.health.set(HealthState::Healthy, "running");
            shutdown.cancelled().await;
            self.health.set(HealthState::Exited, "stopped");
        })
    }

    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        self.shared.update(Rules::compile(&args)?, &args.output);
        Ok(())
    }

    fn exports(&self) -> InputExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.health.get()
    }
}
