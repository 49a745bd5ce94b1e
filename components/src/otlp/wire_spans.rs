//! An OTLP trace request on the wire, as span metrics and the service
//! graph read it: resources, scopes, spans, events and attributes as
//! slices of the request bytes, read without decoding or allocating.
//!
//! Fields are read as prost decodes them: in any order; a scalar or string
//! that occurs again replaces the earlier one; a message that occurs again
//! merges into it (so attributes of repeated `resource` fields concatenate,
//! and a later `status` only replaces the code if it has one); unknown
//! fields, groups included, are skipped. Payloads reach these readers
//! already validated against the OTLP schema, but every read is still
//! checked: malformed input is an error, never a panic or an endless loop.
//! Only the fields read here have their wire types checked.

use crate::otlp::wire::{self, Reader, WireError, WT_I32, WT_I64, WT_LEN, WT_VARINT};

use super::wire_attributes::canonical;
pub use super::wire_attributes::{decode_value, has_value, utf8, AttrValue, Attribute, Attributes};

/// A length-delimited value: its bytes and where they start in the
/// request (for error offsets).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Body<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Body<'a> {
    /// A whole request.
    pub fn request(bytes: &'a [u8]) -> Self {
        Body { bytes, at: 0 }
    }
}

enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Len(Body<'a>),
    /// fixed32 and groups: nothing read here.
    Skipped,
}

/// One field of a message.
pub(super) struct Field<'a> {
    pub(super) tag: u32,
    /// Where its key is, for errors.
    at: usize,
    value: Value<'a>,
}

impl<'a> Field<'a> {
    #[inline]
    pub(super) fn body(&self) -> Result<Body<'a>, WireError> {
        match self.value {
            Value::Len(b) => Ok(b),
            _ => Err(self.mismatch()),
        }
    }

    #[inline]
    pub(super) fn varint(&self) -> Result<u64, WireError> {
        match self.value {
            Value::Varint(v) => Ok(v),
            _ => Err(self.mismatch()),
        }
    }

    #[inline]
    pub(super) fn fixed64(&self) -> Result<u64, WireError> {
        match self.value {
            Value::Fixed64(v) => Ok(v),
            _ => Err(self.mismatch()),
        }
    }

    #[cold]
    #[inline(never)]
    fn mismatch(&self) -> WireError {
        WireError { offset: self.at, message: format!("field {} has the wrong wire type", self.tag) }
    }
}

/// The fields of one message, in order.
pub(super) struct Fields<'a> {
    r: Reader<'a>,
    /// The message's name, for errors.
    message: &'static str,
}

impl<'a> Fields<'a> {
    #[inline]
    pub(super) fn new(body: Body<'a>, message: &'static str) -> Self {
        Fields { r: Reader::new(body.bytes, body.at), message }
    }

    /// The next field; every call consumes at least its key, so a loop
    /// over a finite message ends.
    #[inline(always)]
    pub(super) fn next(&mut self) -> Result<Option<Field<'a>>, WireError> {
        if self.r.done() {
            return Ok(None);
        }
        let at = self.r.offset();
        let (tag, wire_type) = self.r.key()?;
        let value = match wire_type {
            WT_LEN => {
                let (bytes, at) = self.r.delimited()?;
                Value::Len(Body { bytes, at })
            }
            WT_VARINT => Value::Varint(self.r.varint()?),
            WT_I64 => Value::Fixed64(self.r.fixed64()?),
            WT_I32 => {
                self.r.scalar(WT_I32)?;
                Value::Skipped
            }
            _ => {
                wire::skip(&mut self.r, tag, wire_type, wire::SKIP_BUDGET, self.message)?;
                Value::Skipped
            }
        };
        Ok(Some(Field { tag, at, value }))
    }
}

/// Calls `each` with every occurrence of the message field `tag` (under
/// 16) of `body`: a repeated field's entries, or a singular message's parts.
#[inline]
pub fn each<'a>(body: Body<'a>, message: &'static str, tag: u32, mut each: impl FnMut(Body<'a>) -> Result<(), WireError>) -> Result<(), WireError> {
    let (key, b) = (len_key(tag), body.bytes);
    let mut pos = 0;
    loop {
        // Entries in a row (as encoders write them) skip the general field
        // dispatch, whose jumps mispredict. `each` is called from one place
        // only, so that it can be inlined into this loop.
        let entry = match short(b, pos, key) {
            Some((bytes, next)) => {
                pos = next;
                Body { bytes, at: body.at + next - bytes.len() }
            }
            None => {
                let mut fields = Fields::new(Body { bytes: b.get(pos..).unwrap_or_default(), at: body.at + pos }, message);
                let field = fields.next()?;
                pos = fields.r.offset() - body.at;
                match field {
                    None => return Ok(()),
                    Some(f) if f.tag == tag => f.body()?,
                    Some(_) => continue,
                }
            }
        };
        each(entry)?;
    }
}

/// The length-delimited field of one-byte `key` at `pos`, when its length
/// takes one or two bytes and fits, and where the next field starts. Read
/// inline: nearly every field of a span is this short.
#[inline(always)]
pub(crate) fn short(b: &[u8], pos: usize, key: u8) -> Option<(&[u8], usize)> {
    let (start, len) = match *b.get(pos..)? {
        [k, l, ..] if k == key && l < 0x80 => (pos + 2, usize::from(l)),
        [k, l0, l1, ..] if k == key && l1 < 0x80 => (pos + 3, usize::from(l0 & 0x7f) | usize::from(l1) << 7),
        _ => return None,
    };
    Some((b.get(start..start + len)?, start + len))
}

/// The one-byte key of a length-delimited field numbered under 16.
const fn len_key(tag: u32) -> u8 {
    ((tag << 3) as u8) | WT_LEN
}

/// Every request's `resource_spans`.
pub fn resource_spans<'a>(request: Body<'a>, f: impl FnMut(Body<'a>) -> Result<(), WireError>) -> Result<(), WireError> {
    each(request, "ExportTraceServiceRequest", 1, f)
}

/// A `ResourceSpans`' resource attributes, in order (across every
/// occurrence of `resource`, as prost merges them).
pub fn resource_attributes<'a>(rs: Body<'a>, attributes: &mut impl Attributes<'a>) -> Result<(), WireError> {
    each(rs, "ResourceSpans", 1, |resource| each(resource, "Resource", 1, |kv| attributes.attribute(Attribute::read(kv)?)))
}

/// A `ResourceSpans`' `scope_spans`.
pub fn scope_spans<'a>(rs: Body<'a>, f: impl FnMut(Body<'a>) -> Result<(), WireError>) -> Result<(), WireError> {
    each(rs, "ResourceSpans", 2, f)
}

/// A `ScopeSpans`' instrumentation scope name and version (empty when
/// unset), or `None` without a scope.
pub fn scope(ss: Body<'_>) -> Result<Option<(Body<'_>, Body<'_>)>, WireError> {
    let mut scope = None;
    each(ss, "ScopeSpans", 1, |body| {
        let empty = Body { bytes: &[], at: body.at };
        let (name, version) = scope.get_or_insert((empty, empty));
        let mut fields = Fields::new(body, "InstrumentationScope");
        while let Some(f) = fields.next()? {
            match f.tag {
                1 => *name = f.body()?,
                2 => *version = f.body()?,
                _ => {}
            }
        }
        Ok(())
    })?;
    Ok(scope)
}

/// A `ScopeSpans`' spans.
pub fn spans<'a>(ss: Body<'a>, f: impl FnMut(Body<'a>) -> Result<(), WireError>) -> Result<(), WireError> {
    each(ss, "ScopeSpans", 2, f)
}

/// What span metrics and the service graph read of a span, as prost would
/// decode it.
pub struct SpanView<'a> {
    pub body: Body<'a>,
    pub name: Body<'a>,
    pub kind: i32,
    /// `status.code`; 0 (unset) without a status.
    pub status_code: i32,
    pub start: u64,
    pub end: u64,
    pub trace_id: &'a [u8],
    pub span_id: &'a [u8],
    pub parent_span_id: &'a [u8],
    pub has_events: bool,
}

impl<'a> SpanView<'a> {
    /// Reads a span in one pass, handing its attributes to `attribute` in
    /// order.
    #[inline]
    pub fn read(body: Body<'a>, attributes: &mut impl Attributes<'a>) -> Result<Self, WireError> {
        let mut s = SpanView::empty();
        s.read_into(body, attributes)?;
        Ok(s)
    }

    /// No span yet: what [`SpanView::read_into`] overwrites.
    pub fn empty() -> Self {
        let none = Body { bytes: &[], at: 0 };
        SpanView { body: none, name: none, kind: 0, status_code: 0, start: 0, end: 0, trace_id: &[], span_id: &[], parent_span_id: &[], has_events: false }
    }

    /// [`SpanView::read`] into a view that outlives the loop over spans:
    /// a view returned per span is moved field by field into place, which
    /// costs more than reading it.
    #[inline(always)]
    pub fn read_into(&mut self, body: Body<'a>, attributes: &mut impl Attributes<'a>) -> Result<(), WireError> {
        let s = self;
        *s = SpanView { body, name: Body { bytes: &[], at: body.at }, ..SpanView::empty() };
        // First the fields in the order encoders write them (by number),
        // each a well-predicted test; then, from the first surprise on,
        // whatever is left field by field. Both read in order, so the last
        // occurrence still wins.
        let (b, mut pos) = (body.bytes, 0);
        if let Some((id, next)) = short(b, pos, len_key(1)) {
            (s.trace_id, pos) = (id, next);
        }
        if let Some((id, next)) = short(b, pos, len_key(2)) {
            (s.span_id, pos) = (id, next);
        }
        if let Some((_, next)) = short(b, pos, len_key(3)) {
            pos = next;
        }
        if let Some((id, next)) = short(b, pos, len_key(4)) {
            (s.parent_span_id, pos) = (id, next);
        }
        if let Some((name, next)) = short(b, pos, len_key(5)) {
            (s.name, pos) = (Body { bytes: name, at: body.at + next - name.len() }, next);
        }
        if let [0x30, kind, ..] = *b.get(pos..).unwrap_or_default() {
            if kind < 0x80 {
                (s.kind, pos) = (i32::from(kind), pos + 2);
            }
        }
        if let Some(start) = fixed64(b, pos, 7 << 3 | WT_I64) {
            (s.start, pos) = (start, pos + 9);
        }
        if let Some(end) = fixed64(b, pos, 8 << 3 | WT_I64) {
            (s.end, pos) = (end, pos + 9);
        }
        loop {
            // The common attribute, short key and short value, read in one
            // piece; anything else takes the general path below.
            if let Some((key, value, next)) = short_attribute(b, pos) {
                if attributes.wants(key) {
                    let at = body.at + pos + 2;
                    let bytes = b.get(pos + 2..next).unwrap_or_default();
                    let value = Body { bytes: value, at: body.at + next - value.len() };
                    attributes.attribute(Attribute { key, body: Body { bytes, at }, value: Some(value) })?;
                }
                pos = next;
                continue;
            }
            let Some((bytes, next)) = short(b, pos, len_key(9)) else { break };
            let at = body.at + next - bytes.len();
            pos = next;
            // Two calls rather than one on a `Result`, and the attribute
            // built from its parts: the common case then stays in registers
            // (a copy through the stack stalls the load that follows it).
            match canonical(Body { bytes, at }, 0x0a, 0x12) {
                Some((key, value)) => {
                    if attributes.wants(key) {
                        attributes.attribute(Attribute { key, body: Body { bytes, at }, value: Some(value) })?;
                    }
                }
                None => attributes.attribute(Attribute::read_any(bytes, at)?)?,
            }
        }
        while let Some((_, next)) = short(b, pos, len_key(11)) {
            pos = next;
            s.has_events = true;
        }
        if let Some((status, next)) = short(b, pos, len_key(15)) {
            pos = next;
            s.status_code = match *status {
                [] => s.status_code,
                [0x18, c] if c < 0x80 => i32::from(c),
                _ => status_code(Body { bytes: status, at: body.at + next - status.len() }, s.status_code)?,
            };
        }
        if pos == b.len() {
            return Ok(());
        }
        let mut fields = Fields::new(Body { bytes: b.get(pos..).unwrap_or_default(), at: body.at + pos }, "Span");
        while let Some(f) = fields.next()? {
            match f.tag {
                1 => s.trace_id = f.body()?.bytes,
                2 => s.span_id = f.body()?.bytes,
                4 => s.parent_span_id = f.body()?.bytes,
                5 => s.name = f.body()?,
                6 => s.kind = f.varint()? as i32,
                7 => s.start = f.fixed64()?,
                8 => s.end = f.fixed64()?,
                9 => attributes.attribute(Attribute::read(f.body()?)?)?,
                11 => {
                    f.body()?;
                    s.has_events = true;
                }
                15 => s.status_code = status_code(f.body()?, s.status_code)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Calls `event` with the attributes reader of each of the span's
    /// events, in order.
    pub fn events(&self, event: impl FnMut(Body<'a>) -> Result<(), WireError>) -> Result<(), WireError> {
        each(self.body, "Span", 11, event)
    }
}

/// The attribute (field 9) at `pos` when it is a short `KeyValue` of
/// exactly a short key and a short value, each once (what prost would
/// decode is then plain): its key, its value's body and where the next
/// field starts. Every length is under 128, so each is one byte.
#[inline(always)]
fn short_attribute(b: &[u8], pos: usize) -> Option<(&[u8], &[u8], usize)> {
    let &[0x4a, len, 0x0a, key_len] = b.get(pos..pos + 4)? else { return None };
    let (len, key_len) = (usize::from(len), usize::from(key_len));
    let value_at = pos + 4 + key_len;
    let &[0x12, value_len] = b.get(value_at..value_at + 2)? else { return None };
    let next = pos + 2 + len;
    if (len | key_len | usize::from(value_len)) >= 0x80 || value_at + 2 + usize::from(value_len) != next {
        return None;
    }
    Some((b.get(pos + 4..value_at)?, b.get(value_at + 2..next)?, next))
}

/// The fixed64 field of one-byte `key` at `pos`.
#[inline(always)]
pub(crate) fn fixed64(b: &[u8], pos: usize, key: u8) -> Option<u64> {
    match *b.get(pos..)? {
        [k, b0, b1, b2, b3, b4, b5, b6, b7, ..] if k == key => Some(u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7])),
        _ => None,
    }
}

/// The code of a `Status` merged onto `code`: a status without one keeps it.
#[inline(never)]
fn status_code(status: Body<'_>, mut code: i32) -> Result<i32, WireError> {
    // `code` alone, or nothing (unset).
    if let [0x18, c] = *status.bytes {
        if c < 0x80 {
            return Ok(i32::from(c));
        }
    }
    let mut fields = Fields::new(status, "Status");
    while let Some(f) = fields.next()? {
        if f.tag == 3 {
            code = f.varint()? as i32;
        }
    }
    Ok(code)
}

/// An event's attributes, in order.
pub fn event_attributes<'a>(event: Body<'a>, attributes: &mut impl Attributes<'a>) -> Result<(), WireError> {
    each(event, "Span.Event", 3, |kv| attributes.attribute(Attribute::read(kv)?))
}
