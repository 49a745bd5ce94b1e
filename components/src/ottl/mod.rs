//! OTTL over OTLP: the contexts (`resource`, `scope`, `span`, `spanevent`,
//! `metric`, `datapoint`, `log`) that statements read and write, and the
//! drivers that run compiled statements and conditions over whole export
//! requests for `otelcol.processor.transform` and `otelcol.processor.filter`.
//!
//! The language itself (parser, checker, evaluator, functions) is
//! `solder_syntax::ottl` and knows nothing of OTLP; this module is the
//! other half of its [`Context`](solder_syntax::ottl::Context) trait. A
//! context is built per item from mutable borrows of the item and of the
//! resource and scope above it, so making one allocates nothing, and
//! `attributes["k"]` walks the attribute list in place.
//!
//! Paths, types and edge cases follow the Collector's `pkg/ottl/contexts`
//! as documented: wrong-typed writes to typed fields are errors, writes to
//! a field an item's kind lacks (a histogram's `value_int`) do nothing,
//! and ids read as pdata's fixed-size ids.

mod datapoint;
mod filter;
mod log;
mod metric;
mod metric_edit;
mod resource;
mod schema;
mod span;
mod spanevent;
mod transform;
mod typed;
pub mod value;
mod walk;
pub mod wire;

#[cfg(test)]
mod tests;

use solder_syntax::ottl::{Schema, Statements};

pub use datapoint::{DatapointContext, Point};
pub use filter::{filter_logs, filter_metrics, filter_traces};
pub use log::LogContext;
pub use metric::MetricContext;
pub use resource::{ResourceContext, ResourceView, ScopeContext, ScopeView};
pub use schema::{DATAPOINT, LOG, METRIC, RESOURCE, SCOPE, SPAN, SPANEVENT};
pub use span::SpanContext;
pub use spanevent::SpanEventContext;
pub use transform::{transform_logs, transform_metrics, transform_traces};

/// The schemas a signal's statements may use, for `infer_context` and for
/// checking a `context = "..."` against the signal.
pub const TRACE_SCHEMAS: &[&Schema] = &[&RESOURCE, &SCOPE, &SPAN, &SPANEVENT];
pub const METRIC_SCHEMAS: &[&Schema] = &[&RESOURCE, &SCOPE, &METRIC, &DATAPOINT];
pub const LOG_SCHEMAS: &[&Schema] = &[&RESOURCE, &SCOPE, &LOG];

/// The schema a `context = "..."` names, as the Collector's transform
/// processor spells the seven contexts.
pub fn schema_named(name: &str) -> Option<&'static Schema> {
    [&RESOURCE, &SCOPE, &SPAN, &SPANEVENT, &METRIC, &DATAPOINT, &LOG].into_iter().find(|s| s.name == name)
}

/// One `*_statements` block: statements compiled for one context, run over
/// every item of that context's level in a request.
pub struct Group {
    pub schema: &'static Schema,
    pub statements: Statements,
}

/// How many items a filter removed, per kind, for the processor's drop
/// metrics. A metric removed because its data point filter left it empty
/// counts in `metrics`; its points count in `datapoints`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filtered {
    pub spans: u64,
    pub span_events: u64,
    pub metrics: u64,
    pub datapoints: u64,
    pub logs: u64,
}
