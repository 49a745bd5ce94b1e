//! The `log` context: one log record, with its scope and resource.

use solder_syntax::ottl::context::edit_whole_map;
use solder_syntax::ottl::{Context, Key, MapEdit, PathId, Value};

use super::resource::{ResourceView, ScopeView};
use super::schema::{locate, LogField, Part, LOG, LOG_PARTS};
use super::{typed, value};
use crate::otelcol::processor::attrvalue;
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::AnyValue;
use crate::otlp::proto::logs::v1::LogRecord;

/// One log record as statements see it.
pub struct LogContext<'a> {
    pub resource: ResourceView<'a>,
    pub scope: ScopeView<'a>,
    pub record: &'a mut LogRecord,
}

impl Context for LogContext<'_> {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        match locate(&LOG, LOG_PARTS, path, keys)? {
            (Part::Log, i) => get(self.record, LogField::ALL[i], keys),
            (Part::Resource, i) => self.resource.get(i, keys),
            (_, i) => self.scope.get(i, keys),
        }
    }

    fn set(&mut self, path: PathId, keys: &[Key], value: Value) -> Result<(), String> {
        match locate(&LOG, LOG_PARTS, path, keys)? {
            (Part::Log, i) => set(self.record, LogField::ALL[i], keys, value),
            (Part::Resource, i) => self.resource.set(i, keys, value),
            (_, i) => self.scope.set(i, keys, value),
        }
    }

    fn edit_map(&mut self, path: PathId, keys: &[Key], edit: MapEdit<'_>) -> Result<(), String> {
        match locate(&LOG, LOG_PARTS, path, keys)? {
            (Part::Log, i) if keys.is_empty() && LogField::ALL[i] == LogField::Attributes => {
                value::edit_attributes(&mut self.record.attributes, edit);
                Ok(())
            }
            _ => edit_whole_map(self, path, keys, edit),
        }
    }
}

fn get(r: &LogRecord, field: LogField, keys: &[Key]) -> Result<Value, String> {
    use LogField as F;
    Ok(match field {
        F::Body | F::BodyString => return body_get(r.body.as_ref(), field, keys),
        F::Attributes => return value::map_get(&r.attributes, keys),
        F::DroppedAttributesCount => Value::Int(r.dropped_attributes_count as i64),
        F::TimeUnixNano => Value::Int(r.time_unix_nano as i64),
        F::ObservedTimeUnixNano => Value::Int(r.observed_time_unix_nano as i64),
        F::Time => Value::Time(r.time_unix_nano as i64),
        F::ObservedTime => Value::Time(r.observed_time_unix_nano as i64),
        F::SeverityNumber => Value::Int(r.severity_number as i64),
        F::SeverityText => Value::Str(r.severity_text.clone()),
        F::Flags => Value::Int(r.flags as i64),
        F::TraceId => typed::id::<16>(&r.trace_id),
        F::TraceIdString => typed::id_hex::<16>(&r.trace_id),
        F::SpanId => typed::id::<8>(&r.span_id),
        F::SpanIdString => typed::id_hex::<8>(&r.span_id),
        F::EventName => Value::Str(r.event_name.clone()),
    })
}

/// `body`, `body[...]` or `body.string` of a record whose body is
/// `body`: shared with the wire log context, which decodes only the body.
pub(crate) fn body_get(body: Option<&AnyValue>, field: LogField, keys: &[Key]) -> Result<Value, String> {
    let value = body.and_then(|b| b.value.as_ref());
    match (field, value, body) {
        (LogField::BodyString, ..) => Ok(Value::Str(value.map_or(String::new(), attrvalue::as_string))),
        _ if keys.is_empty() => Ok(value::to_value(value)),
        (_, Some(V::KvlistValue(_) | V::ArrayValue(_)), Some(b)) => value::get_in(b, keys),
        _ => Err(unindexable(value)),
    }
}

fn set(r: &mut LogRecord, field: LogField, keys: &[Key], v: Value) -> Result<(), String> {
    use LogField as F;
    match field {
        F::Body | F::BodyString => body_set(&mut r.body, field, keys, v)?,
        F::Attributes => value::map_set(&mut r.attributes, keys, v)?,
        F::DroppedAttributesCount => r.dropped_attributes_count = typed::uint32(v)?,
        F::TimeUnixNano => r.time_unix_nano = typed::int(v)? as u64,
        F::ObservedTimeUnixNano => r.observed_time_unix_nano = typed::int(v)? as u64,
        F::Time => r.time_unix_nano = typed::time(v)?,
        F::ObservedTime => r.observed_time_unix_nano = typed::time(v)?,
        F::SeverityNumber => r.severity_number = typed::int(v)? as i32,
        F::SeverityText => r.severity_text = typed::string(v)?,
        F::Flags => r.flags = typed::uint32(v)?,
        F::TraceId => typed::set_id::<16>(&mut r.trace_id, v, "pcommon.TraceID")?,
        F::TraceIdString => typed::set_id_hex::<16>(&mut r.trace_id, v, "trace")?,
        F::SpanId => typed::set_id::<8>(&mut r.span_id, v, "pcommon.SpanID")?,
        F::SpanIdString => typed::set_id_hex::<8>(&mut r.span_id, v, "span")?,
        F::EventName => r.event_name = typed::string(v)?,
    }
    Ok(())
}

/// Writes `body`, `body[...]` or `body.string` of a record whose body is
/// `body`: shared with the wire log context, which holds only the body
/// decoded.
pub(crate) fn body_set(body: &mut Option<AnyValue>, field: LogField, keys: &[Key], v: Value) -> Result<(), String> {
    match field {
        // A whole body takes any value; nil leaves it empty.
        LogField::Body if keys.is_empty() => *body = Some(AnyValue { value: value::from_value(v) }),
        // Only a map or list body can be indexed, and its first key must
        // suit it; deeper missing keys are created.
        LogField::Body => match body {
            Some(b @ AnyValue { value: Some(V::KvlistValue(_) | V::ArrayValue(_)) }) => value::slot_in(b, keys)?.value = value::from_value(v),
            other => return Err(unindexable(other.as_ref().and_then(|b| b.value.as_ref()))),
        },
        _ => *body = Some(AnyValue { value: Some(V::StringValue(typed::string(v)?)) }),
    }
    Ok(())
}

fn unindexable(body: Option<&V>) -> String {
    format!("log bodies of type {} cannot be indexed", value::type_name(body))
}
