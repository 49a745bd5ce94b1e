//! `ExportLogsServiceRequest` from OTLP/JSON.

use serde_json::Value;

use super::common::{any_value, attributes, each, enumeration, id, list, resource, scope, string, uint32, uint64, Path};
use super::JsonError;
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use crate::otlp::proto::ExportLogsServiceRequest;

pub(super) fn request(v: &Value, p: &Path<'_>) -> Result<ExportLogsServiceRequest, JsonError> {
    let mut out = ExportLogsServiceRequest::default();
    each(v, p, |k, v, p| {
        if k == "resourceLogs" {
            out.resource_logs = list(v, p, resource_logs)?;
        }
        Ok(())
    })?;
    Ok(out)
}

fn resource_logs(v: &Value, p: &Path<'_>) -> Result<ResourceLogs, JsonError> {
    let mut out = ResourceLogs::default();
    each(v, p, |k, v, p| {
        match k {
            "resource" => out.resource = Some(resource(v, p)?),
            "scopeLogs" => out.scope_logs = list(v, p, scope_logs)?,
            "schemaUrl" => out.schema_url = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn scope_logs(v: &Value, p: &Path<'_>) -> Result<ScopeLogs, JsonError> {
    let mut out = ScopeLogs::default();
    each(v, p, |k, v, p| {
        match k {
            "scope" => out.scope = Some(scope(v, p)?),
            "logRecords" => out.log_records = list(v, p, log_record)?,
            "schemaUrl" => out.schema_url = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn log_record(v: &Value, p: &Path<'_>) -> Result<LogRecord, JsonError> {
    let mut out = LogRecord::default();
    each(v, p, |k, v, p| {
        match k {
            "timeUnixNano" => out.time_unix_nano = uint64(v, p)?,
            "observedTimeUnixNano" => out.observed_time_unix_nano = uint64(v, p)?,
            "severityNumber" => out.severity_number = enumeration(v, p, "SeverityNumber", |s| SeverityNumber::from_str_name(s).map(|n| n as i32))?,
            "severityText" => out.severity_text = string(v, p)?,
            "body" => out.body = Some(any_value(v, p)?),
            "attributes" => out.attributes = attributes(v, p)?,
            "droppedAttributesCount" => out.dropped_attributes_count = uint32(v, p)?,
            "flags" => out.flags = uint32(v, p)?,
            "traceId" => out.trace_id = id(v, p, 16)?,
            "spanId" => out.span_id = id(v, p, 8)?,
            "eventName" => out.event_name = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}
