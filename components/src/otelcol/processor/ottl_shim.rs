//! TEMPORARY: the OTLP contexts and drivers' documented signatures
//! (`crate::ottl`, being written beside these components), so the
//! transform and filter processors compile before it is merged. The
//! drivers here change nothing. Deleted, and `use super::ottl_shim as
//! ottl` turned into `use crate::ottl`, once the real module lands.

#![allow(dead_code)] // The placeholder drivers read nothing.

use solder_syntax::ottl::{Conditions, ErrorMode, RunError, Schema, Statements};

use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

const fn schema(name: &'static str) -> Schema {
    Schema { name, paths: &[], enums: &[] }
}

pub static RESOURCE: Schema = schema("resource");
pub static SCOPE: Schema = schema("scope");
pub static SPAN: Schema = schema("span");
pub static SPANEVENT: Schema = schema("spanevent");
pub static METRIC: Schema = schema("metric");
pub static DATAPOINT: Schema = schema("datapoint");
pub static LOG: Schema = schema("log");

pub struct Group {
    pub schema: &'static Schema,
    pub statements: Statements,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Filtered {
    pub spans: u64,
    pub span_events: u64,
    pub metrics: u64,
    pub datapoints: u64,
    pub logs: u64,
}

pub fn transform_traces(_groups: &[Group], _req: &mut ExportTraceServiceRequest, _mode: ErrorMode, _errors: &mut Vec<RunError>) -> Result<(), RunError> {
    Ok(())
}

pub fn transform_metrics(_groups: &[Group], _req: &mut ExportMetricsServiceRequest, _mode: ErrorMode, _errors: &mut Vec<RunError>) -> Result<(), RunError> {
    Ok(())
}

pub fn transform_logs(_groups: &[Group], _req: &mut ExportLogsServiceRequest, _mode: ErrorMode, _errors: &mut Vec<RunError>) -> Result<(), RunError> {
    Ok(())
}

pub fn filter_traces(
    _span: &Conditions,
    _spanevent: &Conditions,
    _req: &mut ExportTraceServiceRequest,
    _mode: ErrorMode,
    _errors: &mut Vec<RunError>,
) -> Result<Filtered, RunError> {
    Ok(Filtered::default())
}

pub fn filter_metrics(
    _metric: &Conditions,
    _datapoint: &Conditions,
    _req: &mut ExportMetricsServiceRequest,
    _mode: ErrorMode,
    _errors: &mut Vec<RunError>,
) -> Result<Filtered, RunError> {
    Ok(Filtered::default())
}

pub fn filter_logs(_log_record: &Conditions, _req: &mut ExportLogsServiceRequest, _mode: ErrorMode, _errors: &mut Vec<RunError>) -> Result<Filtered, RunError> {
    Ok(Filtered::default())
}
