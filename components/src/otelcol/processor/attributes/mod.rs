//! `otelcol.processor.attributes`: inserts, updates, deletes, hashes,
//! extracts and converts the attributes of spans, metric data points and
//! log records, as the Collector's attributes processor does, for the
//! items its `include` and `exclude` blocks admit.

mod actions;
#[cfg(test)]
mod tests;

use serde::Deserialize;

pub use actions::{Action, ActionArgs};

use super::attrvalue;
use super::filterspan::{edit_spans, Filter, MatchArgs, Subject};
use super::rewrite::{Rewrite, RewriteProcessor};
use crate::component::{self, ArgumentError, Registration, Signals, Stability, Telemetry};
use crate::otelcol::output::Output;
use crate::otlp::proto::common::v1::KeyValue;
use crate::otlp::proto::metrics::v1::{metric::Data, Metric};
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::Signal;

const ALL: &[Telemetry] = &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs];

pub const REGISTRATION: Registration =
    Registration::of::<RewriteProcessor<Rules>>("otelcol.processor.attributes", Stability::GenerallyAvailable, Signals { takes: ALL, gives: ALL });

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
        <Rules as Rewrite>::compile(self)?;
        self.output.check().map_err(|m| ArgumentError::new("output", m))
    }
}

/// The compiled arguments.
pub struct Rules {
    actions: Vec<Action>,
    filter: Filter,
}

impl Rules {
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
    type Arguments = Arguments;
    const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];

    fn compile(args: &Arguments) -> Result<Rules, ArgumentError> {
        let actions = args.action.iter().enumerate().map(|(i, a)| Action::compile(a, i)).collect::<Result<_, _>>()?;
        Ok(Rules { actions, filter: Filter::compile(args.include.as_ref(), args.exclude.as_ref())? })
    }

    fn output(args: &Arguments) -> &Output {
        &args.output
    }

    fn traces(&self, req: &mut ExportTraceServiceRequest) -> bool {
        edit_spans(&self.filter, req, |span| self.apply(&mut span.attributes))
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
