//! `ExportTraceServiceRequest` from OTLP/JSON.

use serde_json::Value;

use super::common::{attributes, each, enumeration, id, list, resource, scope, string, uint32, uint64, Path};
use super::JsonError;
use crate::otlp::proto::trace::v1::{span, status, ResourceSpans, ScopeSpans, Span, Status};
use crate::otlp::proto::ExportTraceServiceRequest;

pub(super) fn request(v: &Value, p: &Path<'_>) -> Result<ExportTraceServiceRequest, JsonError> {
    let mut out = ExportTraceServiceRequest::default();
    each(v, p, |k, v, p| {
        if k == "resourceSpans" {
            out.resource_spans = list(v, p, resource_spans)?;
        }
        Ok(())
    })?;
    Ok(out)
}

fn resource_spans(v: &Value, p: &Path<'_>) -> Result<ResourceSpans, JsonError> {
    let mut out = ResourceSpans::default();
    each(v, p, |k, v, p| {
        match k {
            "resource" => out.resource = Some(resource(v, p)?),
            "scopeSpans" => out.scope_spans = list(v, p, scope_spans)?,
            "schemaUrl" => out.schema_url = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn scope_spans(v: &Value, p: &Path<'_>) -> Result<ScopeSpans, JsonError> {
    let mut out = ScopeSpans::default();
    each(v, p, |k, v, p| {
        match k {
            "scope" => out.scope = Some(scope(v, p)?),
            "spans" => out.spans = list(v, p, span)?,
            "schemaUrl" => out.schema_url = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn span(v: &Value, p: &Path<'_>) -> Result<Span, JsonError> {
    let mut out = Span::default();
    each(v, p, |k, v, p| {
        match k {
            "traceId" => out.trace_id = id(v, p, 16)?,
            "spanId" => out.span_id = id(v, p, 8)?,
            "traceState" => out.trace_state = string(v, p)?,
            "parentSpanId" => out.parent_span_id = id(v, p, 8)?,
            "flags" => out.flags = uint32(v, p)?,
            "name" => out.name = string(v, p)?,
            "kind" => out.kind = enumeration(v, p, "SpanKind", |s| span::SpanKind::from_str_name(s).map(|k| k as i32))?,
            "startTimeUnixNano" => out.start_time_unix_nano = uint64(v, p)?,
            "endTimeUnixNano" => out.end_time_unix_nano = uint64(v, p)?,
            "attributes" => out.attributes = attributes(v, p)?,
            "droppedAttributesCount" => out.dropped_attributes_count = uint32(v, p)?,
            "events" => out.events = list(v, p, event)?,
            "droppedEventsCount" => out.dropped_events_count = uint32(v, p)?,
            "links" => out.links = list(v, p, link)?,
            "droppedLinksCount" => out.dropped_links_count = uint32(v, p)?,
            "status" => out.status = Some(span_status(v, p)?),
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn event(v: &Value, p: &Path<'_>) -> Result<span::Event, JsonError> {
    let mut out = span::Event::default();
    each(v, p, |k, v, p| {
        match k {
            "timeUnixNano" => out.time_unix_nano = uint64(v, p)?,
            "name" => out.name = string(v, p)?,
            "attributes" => out.attributes = attributes(v, p)?,
            "droppedAttributesCount" => out.dropped_attributes_count = uint32(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn link(v: &Value, p: &Path<'_>) -> Result<span::Link, JsonError> {
    let mut out = span::Link::default();
    each(v, p, |k, v, p| {
        match k {
            "traceId" => out.trace_id = id(v, p, 16)?,
            "spanId" => out.span_id = id(v, p, 8)?,
            "traceState" => out.trace_state = string(v, p)?,
            "attributes" => out.attributes = attributes(v, p)?,
            "droppedAttributesCount" => out.dropped_attributes_count = uint32(v, p)?,
            "flags" => out.flags = uint32(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn span_status(v: &Value, p: &Path<'_>) -> Result<Status, JsonError> {
    let mut out = Status::default();
    each(v, p, |k, v, p| {
        match k {
            "message" => out.message = string(v, p)?,
            "code" => out.code = enumeration(v, p, "StatusCode", |s| status::StatusCode::from_str_name(s).map(|c| c as i32))?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}
