//! One span on the wire as the `span` context: its fields found in one
//! walk of its bytes, the edits statements make kept beside them, and the
//! span written again only if an edit changed it, copying every field no
//! statement touched as it was received.

use prost::Message;
use solder_syntax::ottl::context::edit_whole_map;
use solder_syntax::ottl::{Context, Key, MapEdit, PathId, Value};

use super::attrs::Attrs;
use super::fields::{self, put_len};
use crate::otlp::proto::trace::v1::Status;
use crate::otlp::wire::{Reader, WireError, WT_I32, WT_I64, WT_LEN, WT_VARINT};
use crate::ottl::schema::{locate, Part, ResourceField, ScopeField, SpanField, SPAN, SPAN_PARTS};
use crate::ottl::span::trace_state_get;
use crate::ottl::typed;

/// Whether the wire span context can serve a use of `path`: every span
/// field reads; name, kind, status and attributes write; of the resource
/// and scope above, attributes, name and version read.
pub(super) fn supports(path: PathId, written: bool) -> bool {
    use SpanField as F;
    match locate(&SPAN, SPAN_PARTS, path, &[]) {
        Ok((Part::Span, i)) => {
            !written
                || matches!(SpanField::ALL[i], F::Name | F::Kind | F::KindString | F::KindDeprecatedString | F::StatusCode | F::StatusMessage | F::Attributes)
        }
        Ok((part, i)) => !written && above_serves(part, i),
        Err(_) => false,
    }
}

/// What a span's (or log record's, or metric's) statements see of its
/// resource and scope.
#[derive(Default)]
pub(super) struct Above<'a> {
    pub resource_attributes: Attrs<'a>,
    pub scope_name: &'a str,
    pub scope_version: &'a str,
}

/// Whether [`Above`] serves a read of `part`'s field `i`: the resource's
/// attributes, the scope's name and version.
pub(super) fn above_serves(part: Part, i: usize) -> bool {
    match part {
        Part::Resource => ResourceField::ALL[i] == ResourceField::Attributes,
        Part::Scope => matches!(ScopeField::ALL[i], ScopeField::Name | ScopeField::Version),
        _ => false,
    }
}

impl Above<'_> {
    /// A read of the resource's attributes or the scope's name or version
    /// (`part`'s field `i`); any other field is not at hand on the wire.
    pub fn get(&self, part: Part, i: usize, keys: &[Key]) -> Result<Value, String> {
        match part {
            Part::Resource if ResourceField::ALL[i] == ResourceField::Attributes => self.resource_attributes.get(keys),
            Part::Scope if ScopeField::ALL[i] == ScopeField::Name => Ok(Value::str(self.scope_name)),
            Part::Scope if ScopeField::ALL[i] == ScopeField::Version => Ok(Value::str(self.scope_version)),
            _ => Err(unsupported((part, i))),
        }
    }
}

/// A span's fields as received (prost's rules: the last of a repeated
/// scalar wins, `status` merges, attributes concatenate), and the edits.
#[derive(Default)]
pub(super) struct WireSpan<'a> {
    body: &'a [u8],
    trace_id: &'a [u8],
    span_id: &'a [u8],
    parent_span_id: &'a [u8],
    trace_state: &'a [u8],
    name: &'a [u8],
    kind: i32,
    start: u64,
    end: u64,
    dropped_attributes: u32,
    dropped_events: u32,
    dropped_links: u32,
    status: Option<Status>,
    pub attrs: Attrs<'a>,
    /// Where each field a statement may rewrite (name, kind, status, an
    /// attribute) lies in `body`, in order: writing a changed span copies
    /// the bytes between them instead of walking the span again.
    writable: Vec<Spot>,
    new_name: Option<String>,
    new_kind: Option<i32>,
    status_changed: bool,
}

/// One rewritable field of a span or log record: its number and byte
/// range.
#[derive(Clone, Copy)]
pub(super) struct Spot {
    tag: u32,
    start: usize,
    end: usize,
}

/// Notes a rewritable field; one run of the same field (attributes
/// usually come together) is one spot.
#[inline]
pub(super) fn note_spot(spots: &mut Vec<Spot>, tag: u32, start: usize, end: usize) {
    match spots.last_mut() {
        Some(last) if last.tag == tag && last.end == start => last.end = end,
        _ => spots.push(Spot { tag, start, end }),
    }
}

/// The tags of the fields marked changed, in a fixed array (no
/// allocation per item), and how many there are.
pub(super) fn changed_tags<const N: usize>(fields: [(u32, bool); N]) -> ([u32; N], usize) {
    let mut tags = [0; N];
    let mut n = 0;
    for (tag, changed) in fields {
        if changed {
            tags[n] = tag;
            n += 1;
        }
    }
    (tags, n)
}

/// Writes an item again: its bytes as received, but each field whose tag
/// `changed` lists written anew by `field` in the place of its first
/// occurrence (its other occurrences dropped), or at the end if the item
/// had none.
pub(super) fn write_changed(body: &[u8], spots: &[Spot], changed: &[u32], mut field: impl FnMut(u32, &mut Vec<u8>), out: &mut Vec<u8>) {
    let mut done = 0u32; // bit i: `changed[i]` written
    let mut from = 0;
    for spot in spots {
        let Some(i) = changed.iter().position(|t| *t == spot.tag) else { continue };
        out.extend_from_slice(&body[from..spot.start]);
        from = spot.end;
        if done & (1 << i) == 0 {
            field(spot.tag, out);
            done |= 1 << i;
        }
    }
    out.extend_from_slice(&body[from..]);
    for (i, tag) in changed.iter().enumerate() {
        if done & (1 << i) == 0 {
            field(*tag, out);
        }
    }
}

impl<'a> WireSpan<'a> {
    /// Reads a span's fields into this one, reusing its allocations. One
    /// loop over the bytes, without a call per field: this walk is most of
    /// what a span costs a program that changes little.
    pub fn read(&mut self, body: &'a [u8]) -> Result<(), WireError> {
        let mut attrs = std::mem::take(&mut self.attrs);
        let mut writable = std::mem::take(&mut self.writable);
        attrs.clear();
        writable.clear();
        *self = WireSpan { body, attrs, writable, ..WireSpan::default() };
        let mut r = Reader::new(body, 0);
        while !r.done() {
            let start = r.offset();
            let (tag, wire_type) = r.key()?;
            match (tag, wire_type) {
                (9, WT_LEN) => {
                    let kv = r.delimited()?.0;
                    self.attrs.push(&body[start..r.offset()], kv)?;
                    self.spot(9, start, r.offset());
                }
                (1..=5 | 15, WT_LEN) => {
                    let payload = r.delimited()?.0;
                    match tag {
                        1 => self.trace_id = payload,
                        2 => self.span_id = payload,
                        3 => self.trace_state = payload,
                        4 => self.parent_span_id = payload,
                        5 => self.name = payload,
                        _ => self.status.get_or_insert_with(Status::default).merge(payload).map_err(|e| WireError { offset: start, message: e.to_string() })?,
                    }
                    if tag == 5 || tag == 15 {
                        self.spot(tag, start, r.offset());
                    }
                }
                (6 | 10 | 12 | 14, WT_VARINT) => {
                    let v = r.varint()?;
                    match tag {
                        6 => {
                            self.kind = v as i32;
                            self.spot(6, start, r.offset());
                        }
                        10 => self.dropped_attributes = v as u32,
                        12 => self.dropped_events = v as u32,
                        _ => self.dropped_links = v as u32,
                    }
                }
                (7, WT_I64) => self.start = r.fixed64()?,
                (8, WT_I64) => self.end = r.fixed64()?,
                (1..=10 | 12 | 14 | 15, _) => return Err(WireError { offset: start, message: format!("span field {tag} has wire type {wire_type}") }),
                (_, WT_LEN) => drop(r.delimited()?),
                (_, WT_VARINT | WT_I64 | WT_I32) => r.scalar(wire_type)?,
                _ => return Err(WireError { offset: start, message: "groups are not transformed on the wire".into() }),
            }
        }
        Ok(())
    }

    #[inline]
    fn spot(&mut self, tag: u32, start: usize, end: usize) {
        note_spot(&mut self.writable, tag, start, end);
    }

    /// Whether a statement changed the span.
    pub fn changed(&self) -> bool {
        self.new_name.is_some() || self.new_kind.is_some() || self.status_changed || self.attrs.changed
    }

    /// Writes the changed span: the fields no statement changed as they
    /// were, each changed one in the place of its first occurrence (or at
    /// the end, if the span had none).
    pub fn write(&self, out: &mut Vec<u8>) {
        let (tags, n) = changed_tags([(5, self.new_name.is_some()), (6, self.new_kind.is_some()), (15, self.status_changed), (9, self.attrs.changed)]);
        write_changed(self.body, &self.writable, &tags[..n], |tag, out| self.write_field(tag, out), out);
    }

    fn write_field(&self, tag: u32, out: &mut Vec<u8>) {
        match tag {
            5 => {
                if let Some(n) = self.new_name.as_deref().filter(|n| !n.is_empty()) {
                    put_len(out, 5, n.as_bytes());
                }
            }
            6 => {
                if let Some(k) = self.new_kind.filter(|k| *k != 0) {
                    prost::encoding::int32::encode(6, &k, out);
                }
            }
            15 => {
                if let Some(s) = &self.status {
                    prost::encoding::message::encode(15, s, out);
                }
            }
            _ => self.attrs.write(9, self.body, out),
        }
    }

    /// The name; a received one as text (validated upstream, so the
    /// check does not fail in practice: it is made only when read).
    fn name(&self) -> Result<&str, String> {
        match &self.new_name {
            Some(n) => Ok(n),
            None => text(self.name),
        }
    }

    fn kind(&self) -> i32 {
        self.new_kind.unwrap_or(self.kind)
    }

    pub(super) fn get(&self, field: SpanField, keys: &[Key]) -> Result<Value, String> {
        use SpanField as F;
        let status = self.status.as_ref();
        Ok(match field {
            F::TraceId => typed::id::<16>(self.trace_id),
            F::TraceIdString => typed::id_hex::<16>(self.trace_id),
            F::SpanId => typed::id::<8>(self.span_id),
            F::SpanIdString => typed::id_hex::<8>(self.span_id),
            F::ParentSpanId => typed::id::<8>(self.parent_span_id),
            F::ParentSpanIdString => typed::id_hex::<8>(self.parent_span_id),
            F::TraceState => match keys {
                [] => Value::str(text(self.trace_state)?),
                [key] => trace_state_get(text(self.trace_state)?, key)?,
                _ => return Err("must provide exactly 1 key when accessing trace_state".to_string()),
            },
            F::StatusCode => Value::Int(status.map_or(0, |s| s.code) as i64),
            F::StatusMessage => Value::str(status.map_or("", |s| &s.message[..])),
            F::Name => Value::str(self.name()?),
            F::Kind => Value::Int(self.kind() as i64),
            F::KindString => typed::kind_string(self.kind(), false),
            F::KindDeprecatedString => typed::kind_string(self.kind(), true),
            F::StartTimeUnixNano => Value::Int(self.start as i64),
            F::EndTimeUnixNano => Value::Int(self.end as i64),
            F::StartTime => Value::Time(self.start as i64),
            F::EndTime => Value::Time(self.end as i64),
            F::Attributes => return self.attrs.get(keys),
            F::DroppedAttributesCount => Value::Int(self.dropped_attributes as i64),
            F::DroppedEventsCount => Value::Int(self.dropped_events as i64),
            F::DroppedLinksCount => Value::Int(self.dropped_links as i64),
        })
    }

    fn set(&mut self, field: SpanField, keys: &[Key], v: Value) -> Result<(), String> {
        use SpanField as F;
        match field {
            F::Name => {
                let name = typed::string(v)?;
                if name != self.name()? {
                    self.new_name = Some(name);
                }
            }
            F::Kind | F::KindString | F::KindDeprecatedString => {
                let kind = match field {
                    F::Kind => typed::int(v)? as i32,
                    _ => typed::parse_kind(v, field == F::KindDeprecatedString)?,
                };
                if kind != self.kind() {
                    self.new_kind = Some(kind);
                }
            }
            F::StatusCode => {
                let code = typed::int(v)? as i32;
                self.status.get_or_insert_with(Status::default).code = code;
                self.status_changed = true;
            }
            F::StatusMessage => {
                let message = typed::string(v)?;
                self.status.get_or_insert_with(Status::default).message = message;
                self.status_changed = true;
            }
            F::Attributes => self.attrs.set(keys, v)?,
            other => return Err(unsupported(other)),
        }
        Ok(())
    }
}

fn text(bytes: &[u8]) -> Result<&str, String> {
    fields::text(bytes).map_err(|e| e.to_string())
}

pub(super) fn unsupported(field: impl std::fmt::Debug) -> String {
    format!("{field:?} is not available on the wire; this program should have been decoded")
}

/// The `span` context over a [`WireSpan`].
pub(super) struct WireSpanContext<'s, 'a> {
    pub span: &'s mut WireSpan<'a>,
    pub above: &'s Above<'a>,
}

impl Context for WireSpanContext<'_, '_> {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        match locate(&SPAN, SPAN_PARTS, path, keys)? {
            (Part::Span, i) => self.span.get(SpanField::ALL[i], keys),
            (part, i) => self.above.get(part, i, keys),
        }
    }

    fn set(&mut self, path: PathId, keys: &[Key], value: Value) -> Result<(), String> {
        match locate(&SPAN, SPAN_PARTS, path, keys)? {
            (Part::Span, i) => self.span.set(SpanField::ALL[i], keys, value),
            (part, i) => Err(unsupported((part, i))),
        }
    }

    fn edit_map(&mut self, path: PathId, keys: &[Key], edit: MapEdit<'_>) -> Result<(), String> {
        match locate(&SPAN, SPAN_PARTS, path, keys)? {
            (Part::Span, i) if keys.is_empty() && SpanField::ALL[i] == SpanField::Attributes => self.span.attrs.edit(edit),
            _ => edit_whole_map(self, path, keys, edit),
        }
    }
}
