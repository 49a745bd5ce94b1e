//! One log record on the wire as the `log` context, for the filter: its
//! fields found in one walk of its bytes and read from there, its body
//! decoded only if a condition reads it. Nothing is written: the filter
//! keeps a record as received or drops it whole.
//!
//! Logs are where filters drop the most (debug lines, health-check access
//! logs), and a log request is mostly bodies and attributes that decoding
//! copies into strings only to be encoded again.

use prost::Message;
use solder_syntax::ottl::{Context, Key, PathId, Value};

use super::attrs::Attrs;
use super::fields;
use super::span::{above_serves, Above};
use crate::otlp::proto::common::v1::AnyValue;
use crate::otlp::wire::{Reader, WireError, WT_I32, WT_I64, WT_LEN, WT_VARINT};
use crate::ottl::log::body_get;
use crate::ottl::schema::{locate, LogField, Part, LOG, LOG_PARTS};
use crate::ottl::typed;

/// Whether the wire log context serves a read of `path`: every field of
/// the record; of the resource and scope above it, the attributes, the
/// name and the version.
pub(super) fn supports(path: PathId) -> bool {
    match locate(&LOG, LOG_PARTS, path, &[]) {
        Ok((Part::Log, _)) => true,
        Ok((part, i)) => above_serves(part, i),
        Err(_) => false,
    }
}

/// Whether `path` is the record's attributes: a list that reads none has
/// the walk pass them over (most log filters test the severity or the
/// body, and noting five attributes a record cost a third of such a
/// filter).
pub(super) fn is_attributes(path: PathId) -> bool {
    matches!(locate(&LOG, LOG_PARTS, path, &[]), Ok((Part::Log, i)) if LogField::ALL[i] == LogField::Attributes)
}

/// A log record's fields as received, by prost's rules: the last of a
/// repeated scalar wins, attributes concatenate. A body written twice
/// (prost merges the two) is left to decoding.
#[derive(Default)]
pub(super) struct WireLog<'a> {
    /// Set when no condition reads the attributes ([`is_attributes`]):
    /// they are not noted.
    skip_attributes: bool,
    time: u64,
    observed: u64,
    severity: i32,
    severity_text: &'a [u8],
    body: Option<&'a [u8]>,
    attrs: Attrs<'a>,
    dropped_attributes: u32,
    flags: u32,
    trace_id: &'a [u8],
    span_id: &'a [u8],
    event_name: &'a [u8],
}

impl<'a> WireLog<'a> {
    /// A reader that notes the records' attributes unless told to skip
    /// them.
    pub fn new(skip_attributes: bool) -> WireLog<'a> {
        WireLog { skip_attributes, ..WireLog::default() }
    }

    /// Reads a record's fields into this one, reusing its attribute list.
    pub fn read(&mut self, record: &'a [u8]) -> Result<(), WireError> {
        let mut attrs = std::mem::take(&mut self.attrs);
        attrs.clear();
        *self = WireLog { attrs, skip_attributes: self.skip_attributes, ..WireLog::default() };
        let mut r = Reader::new(record, 0);
        while !r.done() {
            let start = r.offset();
            let (tag, wire_type) = r.key()?;
            match (tag, wire_type) {
                (6, WT_LEN) => {
                    let kv = r.delimited()?.0;
                    if !self.skip_attributes {
                        self.attrs.push(&record[start..r.offset()], kv)?;
                    }
                }
                (3 | 5 | 9 | 10 | 12, WT_LEN) => {
                    let payload = r.delimited()?.0;
                    match tag {
                        3 => self.severity_text = payload,
                        5 if self.body.is_some() => return Err(WireError { offset: start, message: "a log body written twice".into() }),
                        5 => self.body = Some(payload),
                        9 => self.trace_id = payload,
                        10 => self.span_id = payload,
                        _ => self.event_name = payload,
                    }
                }
                (1 | 11, WT_I64) => {
                    let v = r.fixed64()?;
                    *(if tag == 1 { &mut self.time } else { &mut self.observed }) = v;
                }
                // An enum and a uint32, as prost reads them.
                (2, WT_VARINT) => self.severity = r.varint()? as i32,
                (7, WT_VARINT) => self.dropped_attributes = r.varint()? as u32,
                (8, WT_I32) => {
                    let at = r.offset();
                    r.scalar(WT_I32)?;
                    let bytes: [u8; 4] = record[at..r.offset()].try_into().map_err(|_| WireError { offset: at, message: "a short fixed32".into() })?;
                    self.flags = u32::from_le_bytes(bytes);
                }
                (1..=3 | 5..=12, _) => return Err(WireError { offset: start, message: format!("log record field {tag} has wire type {wire_type}") }),
                (_, WT_LEN) => drop(r.delimited()?),
                (_, WT_VARINT | WT_I64 | WT_I32) => r.scalar(wire_type)?,
                _ => return Err(WireError { offset: start, message: "groups are not filtered on the wire".into() }),
            }
        }
        Ok(())
    }

    fn get(&self, field: LogField, keys: &[Key]) -> Result<Value, String> {
        use LogField as F;
        Ok(match field {
            F::Body | F::BodyString => {
                let body = self.body.map(AnyValue::decode).transpose().map_err(|e| e.to_string())?;
                return body_get(body.as_ref(), field, keys);
            }
            F::Attributes => return self.attrs.get(keys),
            F::DroppedAttributesCount => Value::Int(i64::from(self.dropped_attributes)),
            F::TimeUnixNano => Value::Int(self.time as i64),
            F::ObservedTimeUnixNano => Value::Int(self.observed as i64),
            F::Time => Value::Time(self.time as i64),
            F::ObservedTime => Value::Time(self.observed as i64),
            F::SeverityNumber => Value::Int(i64::from(self.severity)),
            F::SeverityText => Value::str(text(self.severity_text)?),
            F::Flags => Value::Int(i64::from(self.flags)),
            F::TraceId => typed::id::<16>(self.trace_id),
            F::TraceIdString => typed::id_hex::<16>(self.trace_id),
            F::SpanId => typed::id::<8>(self.span_id),
            F::SpanIdString => typed::id_hex::<8>(self.span_id),
            F::EventName => Value::str(text(self.event_name)?),
        })
    }
}

fn text(bytes: &[u8]) -> Result<&str, String> {
    fields::text(bytes).map_err(|e| e.to_string())
}

/// The `log` context over a [`WireLog`], for conditions: nothing here
/// writes.
pub(super) struct WireLogContext<'s, 'a> {
    pub record: &'s WireLog<'a>,
    pub above: &'s Above<'a>,
}

impl Context for WireLogContext<'_, '_> {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        match locate(&LOG, LOG_PARTS, path, keys)? {
            (Part::Log, i) => self.record.get(LogField::ALL[i], keys),
            (part, i) => self.above.get(part, i, keys),
        }
    }

    fn set(&mut self, _path: PathId, _keys: &[Key], _value: Value) -> Result<(), String> {
        Err("conditions do not write".into())
    }
}
