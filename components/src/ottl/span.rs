//! The `span` context: one span, with its scope and resource.

use solder_syntax::ottl::context::edit_whole_map;
use solder_syntax::ottl::{Context, Key, MapEdit, PathId, Value};

use super::resource::{ResourceView, ScopeView};
use super::schema::{locate, Part, SpanField, SPAN, SPAN_PARTS};
use super::{typed, value};
use crate::otlp::proto::trace::v1::{Span, Status};

/// One span as statements see it. Built per span from borrows, so it
/// costs nothing to make.
pub struct SpanContext<'a> {
    pub resource: ResourceView<'a>,
    pub scope: ScopeView<'a>,
    pub span: &'a mut Span,
}

impl Context for SpanContext<'_> {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        match locate(&SPAN, SPAN_PARTS, path, keys)? {
            (Part::Span, i) => get(self.span, SpanField::ALL[i], keys),
            (Part::Resource, i) => self.resource.get(i, keys),
            (_, i) => self.scope.get(i, keys),
        }
    }

    fn set(&mut self, path: PathId, keys: &[Key], value: Value) -> Result<(), String> {
        match locate(&SPAN, SPAN_PARTS, path, keys)? {
            (Part::Span, i) => set(self.span, SpanField::ALL[i], keys, value),
            (Part::Resource, i) => self.resource.set(i, keys, value),
            (_, i) => self.scope.set(i, keys, value),
        }
    }

    fn edit_map(&mut self, path: PathId, keys: &[Key], edit: MapEdit<'_>) -> Result<(), String> {
        match locate(&SPAN, SPAN_PARTS, path, keys)? {
            (Part::Span, i) if keys.is_empty() && SpanField::ALL[i] == SpanField::Attributes => {
                value::edit_attributes(&mut self.span.attributes, edit);
                Ok(())
            }
            _ => edit_whole_map(self, path, keys, edit),
        }
    }
}

/// Reads a span field; shared with the span event context's `span.` paths.
pub(crate) fn get(span: &Span, field: SpanField, keys: &[Key]) -> Result<Value, String> {
    use SpanField as F;
    let status = span.status.as_ref();
    Ok(match field {
        F::TraceId => typed::id::<16>(&span.trace_id),
        F::TraceIdString => typed::id_hex::<16>(&span.trace_id),
        F::SpanId => typed::id::<8>(&span.span_id),
        F::SpanIdString => typed::id_hex::<8>(&span.span_id),
        F::ParentSpanId => typed::id::<8>(&span.parent_span_id),
        F::ParentSpanIdString => typed::id_hex::<8>(&span.parent_span_id),
        F::TraceState => match keys {
            [] => Value::Str(span.trace_state.clone()),
            [key] => trace_state_get(&span.trace_state, key)?,
            _ => return Err(TRACE_STATE_KEYS.to_string()),
        },
        F::StatusCode => Value::Int(status.map_or(0, |s| s.code) as i64),
        F::StatusMessage => Value::str(status.map_or("", |s| &s.message[..])),
        F::Name => Value::Str(span.name.clone()),
        F::Kind => Value::Int(span.kind as i64),
        F::KindString => typed::kind_string(span.kind, false),
        F::KindDeprecatedString => typed::kind_string(span.kind, true),
        F::StartTimeUnixNano => Value::Int(span.start_time_unix_nano as i64),
        F::EndTimeUnixNano => Value::Int(span.end_time_unix_nano as i64),
        F::StartTime => Value::Time(span.start_time_unix_nano as i64),
        F::EndTime => Value::Time(span.end_time_unix_nano as i64),
        F::Attributes => return value::map_get(&span.attributes, keys),
        F::DroppedAttributesCount => Value::Int(span.dropped_attributes_count as i64),
        F::DroppedEventsCount => Value::Int(span.dropped_events_count as i64),
        F::DroppedLinksCount => Value::Int(span.dropped_links_count as i64),
    })
}

/// Writes a span field.
pub(crate) fn set(span: &mut Span, field: SpanField, keys: &[Key], v: Value) -> Result<(), String> {
    use SpanField as F;
    match field {
        F::TraceId => typed::set_id::<16>(&mut span.trace_id, v, "pcommon.TraceID")?,
        F::TraceIdString => typed::set_id_hex::<16>(&mut span.trace_id, v, "trace")?,
        F::SpanId => typed::set_id::<8>(&mut span.span_id, v, "pcommon.SpanID")?,
        F::SpanIdString => typed::set_id_hex::<8>(&mut span.span_id, v, "span")?,
        F::ParentSpanId => typed::set_id::<8>(&mut span.parent_span_id, v, "pcommon.SpanID")?,
        F::ParentSpanIdString => typed::set_id_hex::<8>(&mut span.parent_span_id, v, "span")?,
        F::TraceState => {
            let s = typed::string(v)?;
            match keys {
                [] => span.trace_state = s,
                [key] => trace_state_put(&mut span.trace_state, key, &s)?,
                _ => return Err(TRACE_STATE_KEYS.to_string()),
            }
        }
        F::StatusCode => status(span).code = typed::int(v)? as i32,
        F::StatusMessage => status(span).message = typed::string(v)?,
        F::Name => span.name = typed::string(v)?,
        F::Kind => span.kind = typed::int(v)? as i32,
        F::KindString => span.kind = typed::parse_kind(v, false)?,
        F::KindDeprecatedString => span.kind = typed::parse_kind(v, true)?,
        F::StartTimeUnixNano => span.start_time_unix_nano = typed::int(v)? as u64,
        F::EndTimeUnixNano => span.end_time_unix_nano = typed::int(v)? as u64,
        F::StartTime => span.start_time_unix_nano = typed::time(v)?,
        F::EndTime => span.end_time_unix_nano = typed::time(v)?,
        F::Attributes => value::map_set(&mut span.attributes, keys, v)?,
        F::DroppedAttributesCount => span.dropped_attributes_count = typed::uint32(v)?,
        F::DroppedEventsCount => span.dropped_events_count = typed::uint32(v)?,
        F::DroppedLinksCount => span.dropped_links_count = typed::uint32(v)?,
    }
    Ok(())
}

fn status(span: &mut Span) -> &mut Status {
    span.status.get_or_insert_with(Status::default)
}

const TRACE_STATE_KEYS: &str = "must provide exactly 1 key when accessing trace_state";

/// One W3C trace state entry. A key that is absent reads as the empty
/// string and a trace state that does not parse as nil, as the Collector
/// reads them.
pub(crate) fn trace_state_get(ts: &str, key: &Key) -> Result<Value, String> {
    let Key::Str(key) = key else {
        return Err("trace_state indexing type must be a string".to_string());
    };
    Ok(match parse_trace_state(ts) {
        Some(members) => Value::str(members.iter().find(|(k, _)| k == key).map_or("", |(_, v)| *v)),
        None => Value::Nil,
    })
}

/// Inserts or replaces one entry, moved to the front as W3C's insert does.
/// An invalid key or value, or a trace state that does not parse, leaves
/// it as it was (the Collector ignores the failed insert).
fn trace_state_put(ts: &mut String, key: &Key, v: &str) -> Result<(), String> {
    let Key::Str(key) = key else {
        return Err("trace_state indexing type must be a string".to_string());
    };
    let Some(members) = parse_trace_state(ts) else { return Ok(()) };
    if !valid_key(key) || !valid_value(v) {
        return Ok(());
    }
    let mut out = format!("{key}={v}");
    for (k, val) in members.iter().filter(|(k, _)| k != key) {
        out.push_str(&format!(",{k}={val}"));
    }
    *ts = out;
    Ok(())
}

fn parse_trace_state(ts: &str) -> Option<Vec<(&str, &str)>> {
    ts.split(',')
        .map(|m| m.trim_matches([' ', '\t']))
        .filter(|m| !m.is_empty())
        .map(|m| m.split_once('=').filter(|(k, v)| valid_key(k) && valid_value(v)))
        .collect()
}

fn valid_key(k: &str) -> bool {
    let first_ok = k.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    first_ok && k.len() <= 256 && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-*/@".contains(&b))
}

fn valid_value(v: &str) -> bool {
    !v.is_empty() && v.len() <= 256 && !v.ends_with(' ') && v.bytes().all(|b| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=')
}
