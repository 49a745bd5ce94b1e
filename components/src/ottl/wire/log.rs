//! One log record on the wire as the `log` context: its fields found in
//! one walk of its bytes and read from there, its body decoded only if a
//! statement or condition reads it. The filter keeps a record as received
//! or drops it whole; the transform writes a record again only if a
//! statement changed one of its fields, writing each changed field where
//! it lay and copying every other field as it came.
//!
//! Logs are where filters drop the most (debug lines, health-check access
//! logs), and a log request is mostly bodies and attributes that decoding
//! copies into strings only to be encoded again.

use prost::Message;
use solder_syntax::ottl::context::edit_whole_map;
use solder_syntax::ottl::{Context, Key, MapEdit, PathId, Value};

use super::attrs::Attrs;
use super::fields::{self, put_len};
use super::span::{above_serves, changed_tags, note_spot, unsupported, write_changed, Above, Spot};
use crate::otlp::proto::common::v1::AnyValue;
use crate::otlp::wire::{Reader, WireError, WT_I32, WT_I64, WT_LEN, WT_VARINT};
use crate::ottl::log::{body_get, body_set};
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

/// Whether the wire log context serves a use of `path` by a statement:
/// any read it serves, and writes of any field of the record's own (the
/// resource and scope above it are read only).
pub(super) fn supports_use(path: PathId, written: bool) -> bool {
    match locate(&LOG, LOG_PARTS, path, &[]) {
        Ok((Part::Log, _)) => true,
        Ok((part, i)) => !written && above_serves(part, i),
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
    /// The record as received.
    record: &'a [u8],
    /// What statements changed, for a reader that statements write
    /// ([`WireLog::editor`]); boxed so that the filter's reader, which
    /// never writes, stays as small to reset as it was.
    edits: Option<Box<LogEdits>>,
}

/// A record's changes, and where its rewritable fields lie: each field a
/// statement wrote, as it wrote it (`None`: as received).
#[derive(Default)]
struct LogEdits {
    spots: Vec<Spot>,
    time: Option<u64>,
    observed: Option<u64>,
    severity: Option<i32>,
    severity_text: Option<String>,
    /// The body a statement wrote (`None` inside: none at all).
    body: Option<Option<AnyValue>>,
    dropped_attributes: Option<u32>,
    flags: Option<u32>,
    trace_id: Option<Vec<u8>>,
    span_id: Option<Vec<u8>>,
    event_name: Option<String>,
}

impl LogEdits {
    /// Forgets the last record's changes, keeping the spots' buffer.
    fn clear(&mut self) {
        let mut spots = std::mem::take(&mut self.spots);
        spots.clear();
        *self = LogEdits { spots, ..LogEdits::default() };
    }

    /// Each field's tag in the record, and whether a statement wrote it;
    /// the attributes (6) are the record's own [`Attrs`] to tell.
    fn written(&self, attributes: bool) -> [(u32, bool); 11] {
        [
            (1, self.time.is_some()),
            (2, self.severity.is_some()),
            (3, self.severity_text.is_some()),
            (5, self.body.is_some()),
            (6, attributes),
            (7, self.dropped_attributes.is_some()),
            (8, self.flags.is_some()),
            (9, self.trace_id.is_some()),
            (10, self.span_id.is_some()),
            (11, self.observed.is_some()),
            (12, self.event_name.is_some()),
        ]
    }
}

impl<'a> WireLog<'a> {
    /// A reader that notes the records' attributes unless told to skip
    /// them.
    pub fn new(skip_attributes: bool) -> WireLog<'a> {
        WireLog { skip_attributes, ..WireLog::default() }
    }

    /// A reader for statements, which may write the record.
    pub fn editor() -> WireLog<'a> {
        WireLog { edits: Some(Box::default()), ..WireLog::default() }
    }

    /// Notes where a rewritable field lies, for a reader that writes.
    #[inline]
    fn spot(&mut self, tag: u32, start: usize, end: usize) {
        if let Some(e) = &mut self.edits {
            note_spot(&mut e.spots, tag, start, end);
        }
    }

    /// Reads a record's fields into this one, reusing its attribute list.
    pub fn read(&mut self, record: &'a [u8]) -> Result<(), WireError> {
        self.read_as::<false>(record)
    }

    /// [`Self::read`] for statements, noting where each rewritable field
    /// lies. A separate instance of the walk, so the filter's carries no
    /// trace of it.
    pub fn read_to_write(&mut self, record: &'a [u8]) -> Result<(), WireError> {
        self.read_as::<true>(record)
    }

    #[inline(always)]
    fn read_as<const WRITES: bool>(&mut self, record: &'a [u8]) -> Result<(), WireError> {
        let mut attrs = std::mem::take(&mut self.attrs);
        let mut edits = self.edits.take();
        attrs.clear();
        if let Some(e) = &mut edits {
            e.clear();
        }
        *self = WireLog { attrs, edits, record, skip_attributes: self.skip_attributes, ..WireLog::default() };
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
            // Every field of the record's own a statement may write.
            if WRITES && matches!(tag, 1..=3 | 5..=12) {
                self.spot(tag, start, r.offset());
            }
        }
        Ok(())
    }

    /// The body as statements left it, decoded.
    fn body(&self) -> Result<Option<AnyValue>, String> {
        match self.edits.as_ref().and_then(|e| e.body.as_ref()) {
            Some(body) => Ok(body.clone()),
            None => self.body.map(AnyValue::decode).transpose().map_err(|e| e.to_string()),
        }
    }

    /// A field as statements left it: `written` picks its edit, `received`
    /// is its value as it came.
    fn now<T: Copy>(&self, written: impl Fn(&LogEdits) -> Option<T>, received: T) -> T {
        self.edits.as_deref().and_then(written).unwrap_or(received)
    }

    fn severity_text(&self) -> Result<&str, String> {
        match self.edits.as_ref().and_then(|e| e.severity_text.as_deref()) {
            Some(t) => Ok(t),
            None => text(self.severity_text),
        }
    }

    fn event_name(&self) -> Result<&str, String> {
        match self.edits.as_ref().and_then(|e| e.event_name.as_deref()) {
            Some(t) => Ok(t),
            None => text(self.event_name),
        }
    }

    fn trace_id(&self) -> &[u8] {
        self.edits.as_ref().and_then(|e| e.trace_id.as_deref()).unwrap_or(self.trace_id)
    }

    fn span_id(&self) -> &[u8] {
        self.edits.as_ref().and_then(|e| e.span_id.as_deref()).unwrap_or(self.span_id)
    }

    /// Whether a statement changed the record.
    pub fn changed(&self) -> bool {
        self.edits.as_ref().map_or(self.attrs.changed, |e| e.written(self.attrs.changed).iter().any(|(_, w)| *w))
    }

    /// Writes the changed record: the fields no statement changed as they
    /// came, each changed one where it first lay.
    pub fn write(&self, out: &mut Vec<u8>) {
        let Some(e) = &self.edits else { return out.extend_from_slice(self.record) };
        let (tags, n) = changed_tags(e.written(self.attrs.changed));
        write_changed(self.record, &e.spots, &tags[..n], |tag, out| self.write_field(e, tag, out), out);
    }

    /// A changed field as prost encodes it: nothing for a field at its
    /// default (zero, empty, no body).
    fn write_field(&self, e: &LogEdits, tag: u32, out: &mut Vec<u8>) {
        use prost::encoding::{fixed32, fixed64, int32, message, uint32};
        let nonzero = |v: Option<u64>| v.filter(|v| *v != 0);
        match tag {
            1 => nonzero(e.time).into_iter().for_each(|t| fixed64::encode(1, &t, out)),
            11 => nonzero(e.observed).into_iter().for_each(|t| fixed64::encode(11, &t, out)),
            2 => e.severity.filter(|n| *n != 0).into_iter().for_each(|n| int32::encode(2, &n, out)),
            7 => e.dropped_attributes.filter(|n| *n != 0).into_iter().for_each(|n| uint32::encode(7, &n, out)),
            8 => e.flags.filter(|n| *n != 0).into_iter().for_each(|n| fixed32::encode(8, &n, out)),
            3 | 9 | 10 | 12 => {
                let bytes = match tag {
                    3 => e.severity_text.as_deref().map(str::as_bytes),
                    9 => e.trace_id.as_deref(),
                    10 => e.span_id.as_deref(),
                    _ => e.event_name.as_deref().map(str::as_bytes),
                };
                if let Some(b) = bytes.filter(|b| !b.is_empty()) {
                    put_len(out, tag, b);
                }
            }
            5 => {
                if let Some(Some(body)) = &e.body {
                    message::encode(5, body, out);
                }
            }
            _ => self.attrs.write(6, self.record, out),
        }
    }

    fn set(&mut self, field: LogField, keys: &[Key], v: Value) -> Result<(), String> {
        use LogField as F;
        match field {
            F::Body | F::BodyString => {
                let mut body = self.body()?;
                body_set(&mut body, field, keys, v)?;
                self.edits()?.body = Some(body);
            }
            F::Attributes => self.attrs.set(keys, v)?,
            F::SeverityNumber => {
                let n = typed::int(v)? as i32;
                if n != self.now(|e| e.severity, self.severity) {
                    self.edits()?.severity = Some(n);
                }
            }
            F::SeverityText => {
                let t = typed::string(v)?;
                if t != self.severity_text()? {
                    self.edits()?.severity_text = Some(t);
                }
            }
            F::TimeUnixNano => self.edits()?.time = Some(typed::int(v)? as u64),
            F::Time => self.edits()?.time = Some(typed::time(v)?),
            F::ObservedTimeUnixNano => self.edits()?.observed = Some(typed::int(v)? as u64),
            F::ObservedTime => self.edits()?.observed = Some(typed::time(v)?),
            F::DroppedAttributesCount => self.edits()?.dropped_attributes = Some(typed::uint32(v)?),
            F::Flags => self.edits()?.flags = Some(typed::uint32(v)?),
            F::EventName => self.edits()?.event_name = Some(typed::string(v)?),
            F::TraceId | F::TraceIdString | F::SpanId | F::SpanIdString => {
                let trace = matches!(field, F::TraceId | F::TraceIdString);
                let mut id = if trace { self.trace_id() } else { self.span_id() }.to_vec();
                match field {
                    F::TraceId => typed::set_id::<16>(&mut id, v, "pcommon.TraceID")?,
                    F::TraceIdString => typed::set_id_hex::<16>(&mut id, v, "trace")?,
                    F::SpanId => typed::set_id::<8>(&mut id, v, "pcommon.SpanID")?,
                    _ => typed::set_id_hex::<8>(&mut id, v, "span")?,
                }
                let edits = self.edits()?;
                *(if trace { &mut edits.trace_id } else { &mut edits.span_id }) = Some(id);
            }
        }
        Ok(())
    }

    /// The changes of a reader made to be written.
    fn edits(&mut self) -> Result<&mut LogEdits, String> {
        self.edits.as_deref_mut().ok_or_else(|| "conditions do not write".to_string())
    }

    fn get(&self, field: LogField, keys: &[Key]) -> Result<Value, String> {
        use LogField as F;
        let (time, observed) = (self.now(|e| e.time, self.time), self.now(|e| e.observed, self.observed));
        Ok(match field {
            F::Body | F::BodyString => return body_get(self.body()?.as_ref(), field, keys),
            F::Attributes => return self.attrs.get(keys),
            F::DroppedAttributesCount => Value::Int(i64::from(self.now(|e| e.dropped_attributes, self.dropped_attributes))),
            F::TimeUnixNano => Value::Int(time as i64),
            F::ObservedTimeUnixNano => Value::Int(observed as i64),
            F::Time => Value::Time(time as i64),
            F::ObservedTime => Value::Time(observed as i64),
            F::SeverityNumber => Value::Int(i64::from(self.now(|e| e.severity, self.severity))),
            F::SeverityText => Value::str(self.severity_text()?),
            F::Flags => Value::Int(i64::from(self.now(|e| e.flags, self.flags))),
            F::TraceId => typed::id::<16>(self.trace_id()),
            F::TraceIdString => typed::id_hex::<16>(self.trace_id()),
            F::SpanId => typed::id::<8>(self.span_id()),
            F::SpanIdString => typed::id_hex::<8>(self.span_id()),
            F::EventName => Value::str(self.event_name()?),
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

/// The `log` context over a [`WireLog`] that statements write.
pub(super) struct WireLogEditor<'s, 'a> {
    pub record: &'s mut WireLog<'a>,
    pub above: &'s Above<'a>,
}

impl Context for WireLogEditor<'_, '_> {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        WireLogContext { record: self.record, above: self.above }.get(path, keys)
    }

    fn set(&mut self, path: PathId, keys: &[Key], value: Value) -> Result<(), String> {
        match locate(&LOG, LOG_PARTS, path, keys)? {
            (Part::Log, i) => self.record.set(LogField::ALL[i], keys, value),
            (part, i) => Err(unsupported((part, i))),
        }
    }

    fn edit_map(&mut self, path: PathId, keys: &[Key], edit: MapEdit<'_>) -> Result<(), String> {
        match locate(&LOG, LOG_PARTS, path, keys)? {
            (Part::Log, i) if keys.is_empty() && LogField::ALL[i] == LogField::Attributes => self.record.attrs.edit(edit),
            _ => edit_whole_map(self, path, keys, edit),
        }
    }
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
