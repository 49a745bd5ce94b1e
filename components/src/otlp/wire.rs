//! Checking and counting OTLP requests on the wire, without decoding.
//!
//! This is the receiver's validation on the hot path. It walks the whole
//! protobuf encoding against the OTLP schema ([`schema`]) and accepts
//! exactly what prost would decode: every key, varint and length well
//! formed and in bounds, every known field with the wire type its schema
//! type needs, every string valid UTF-8, unknown fields (groups included)
//! skippable, and nesting within prost's recursion limit. A payload that
//! passes can be forwarded as bytes and decoded later by anyone without a
//! surprise; one that fails is refused at the door with the field at fault.
//!
//! It allocates nothing unless it reports an error.

pub(crate) mod plain;
pub(crate) mod schema;
#[cfg(test)]
mod tests;

use plain::{plain_key_value, plain_span};
use schema::{Field, Kind, Message, Role};

use super::Signal;

/// What is wrong with a payload, and at which byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed OTLP payload at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for WireError {}

/// prost's nesting budget (`RECURSION_LIMIT`): the fields of the request
/// itself are decoded with 100 left, and every nested message or skipped
/// group spends one. A message or unknown field met with none left fails.
const RECURSION_LIMIT: u32 = 100;

/// Validates a request of `signal` and returns its number of items: spans,
/// metric data points or log records.
pub fn validate(signal: Signal, bytes: &[u8]) -> Result<usize, WireError> {
    let request = match signal {
        Signal::Traces => &schema::TRACES_REQUEST,
        Signal::Metrics => &schema::METRICS_REQUEST,
        Signal::Logs => &schema::LOGS_REQUEST,
    };
    message(bytes, 0, request, RECURSION_LIMIT)
}

/// Validates the fields of one message; `budget` is prost's recursion
/// budget for them. Returns the items found inside.
fn message(buf: &[u8], base: usize, schema: &'static Message, budget: u32) -> Result<usize, WireError> {
    let mut r = Reader { buf, pos: 0, base };
    let mut items = 0;
    // A oneof keeps only its last member; members that repeat merge.
    let mut oneof: Option<(u32, usize)> = None;
    while !r.done() {
        let (tag, wire_type) = r.key()?;
        let Some(field) = schema.field(tag) else {
            skip(&mut r, tag, wire_type, budget, schema.name)?;
            continue;
        };
        let found = known(&mut r, field, wire_type, budget, schema)?;
        match field.role {
            Role::Plain => items += found,
            Role::Item => items += 1 + found,
            Role::Oneof => match &mut oneof {
                Some((t, n)) if *t == tag => *n += found,
                _ => oneof = Some((tag, found)),
            },
        }
    }
    Ok(items + oneof.map_or(0, |(_, n)| n))
}

/// Reads one known field's value, checking its wire type against the
/// schema; returns the items inside it (for message fields).
fn known(r: &mut Reader<'_>, field: &'static Field, wire_type: u8, budget: u32, schema: &'static Message) -> Result<usize, WireError> {
    let at = r.offset();
    let expected = match field.kind {
        // Repeated numbers come packed (length-delimited) or one by one.
        Kind::RepVarint if wire_type == WT_LEN => {
            let (body, body_at) = r.delimited()?;
            let mut packed = Reader { buf: body, pos: 0, base: body_at };
            while !packed.done() {
                packed.varint().map_err(|e| in_field(e, schema, field))?;
            }
            return Ok(0);
        }
        Kind::RepI64 if wire_type == WT_LEN => {
            let (body, body_at) = r.delimited()?;
            if body.len() % 8 != 0 {
                return Err(err(body_at, format!("{}.{}: packed length {} is not a multiple of 8", schema.name, field.name, body.len())));
            }
            return Ok(0);
        }
        kind => kind.wire_type(),
    };
    if wire_type != expected {
        return Err(wrong_wire_type(at, schema, field, wire_type, expected));
    }
    match field.kind {
        Kind::Str => {
            let (body, body_at) = r.delimited()?;
            // Attribute keys and values are short and almost always ASCII;
            // `is_ascii` is far cheaper per call than `from_utf8`.
            if !body.is_ascii() {
                if let Err(e) = std::str::from_utf8(body) {
                    return Err(bad_utf8(body_at + e.valid_up_to(), schema, field));
                }
            }
            Ok(0)
        }
        Kind::Msg(inner) => {
            if budget == 0 {
                return Err(err(at, "messages nested deeper than 100 levels"));
            }
            let (body, body_at) = r.delimited()?;
            // The fast paths need one level for the value inside.
            if std::ptr::eq(inner, &schema::KEY_VALUE) && budget > 2 && plain_key_value(body) {
                return Ok(0);
            }
            if std::ptr::eq(inner, &schema::SPAN) && plain_span(body, budget - 1) {
                return Ok(0);
            }
            message(body, body_at, inner, budget - 1)
        }
        Kind::Bytes => r.delimited().map(|_| 0),
        _ => r.scalar(wire_type).map(|()| 0),
    }
}

/// Skips an unknown field the way prost does, groups included; `message`
/// names the message it is in, for errors. Other walkers of validated
/// payloads (span metrics) skip the fields they do not read with it.
pub(crate) fn skip(r: &mut Reader<'_>, tag: u32, wire_type: u8, budget: u32, message: &str) -> Result<(), WireError> {
    let at = r.offset();
    if budget == 0 {
        return Err(err(at, "messages nested deeper than 100 levels"));
    }
    match wire_type {
        WT_START_GROUP => loop {
            if r.done() {
                return Err(err(r.offset(), format!("{message}: group {tag} is not closed")));
            }
            let (inner_tag, inner_type) = r.key()?;
            if inner_type == WT_END_GROUP {
                if inner_tag != tag {
                    return Err(err(at, format!("{message}: group {tag} closed by end-group {inner_tag}")));
                }
                return Ok(());
            }
            skip(r, inner_tag, inner_type, budget - 1, message)?;
        },
        WT_END_GROUP => Err(err(at, format!("{message}: unexpected end-group {tag}"))),
        WT_LEN => r.delimited().map(|_| ()),
        _ => r.scalar(wire_type),
    }
}

pub(crate) const WT_VARINT: u8 = 0;
pub(crate) const WT_I64: u8 = 1;
pub(crate) const WT_LEN: u8 = 2;
const WT_START_GROUP: u8 = 3;
const WT_END_GROUP: u8 = 4;
pub(crate) const WT_I32: u8 = 5;

/// The recursion budget to skip with when walking a validated payload:
/// the validator's limit held, so no deeper budget is needed.
pub(crate) const SKIP_BUDGET: u32 = RECURSION_LIMIT;

/// A cursor over one message's bytes; offsets in errors are absolute.
/// Every read is bounds-checked and fails rather than panics, so it is
/// safe on any input.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A cursor over `buf`, which starts at byte `base` of the payload.
    #[inline]
    pub(crate) fn new(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    #[inline]
    pub(crate) fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// A varint as prost reads it: at most ten bytes, the tenth 0 or 1.
    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u64, WireError> {
        // Most varints on the wire (keys, lengths, small counts) are one byte.
        if let Some(&b) = self.buf.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
            // Then two bytes: the lengths of spans and most batches.
            if let Some(&c) = self.buf.get(self.pos + 1) {
                if c < 0x80 {
                    self.pos += 2;
                    return Ok(u64::from(b & 0x7f) | u64::from(c) << 7);
                }
            }
        }
        self.long_varint()
    }

    fn long_varint(&mut self) -> Result<u64, WireError> {
        let at = self.offset();
        let mut value: u64 = 0;
        for (i, &b) in self.buf[self.pos..].iter().enumerate().take(10) {
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                if i == 9 && b > 1 {
                    break;
                }
                self.pos += i + 1;
                return Ok(value);
            }
        }
        if self.buf.len() - self.pos < 10 && self.buf[self.pos..].iter().all(|b| b & 0x80 != 0) {
            return Err(err(at, "truncated varint"));
        }
        Err(err(at, "varint longer than 64 bits"))
    }

    /// A field key: `(tag, wire type)`, rejecting what prost rejects.
    #[inline]
    pub(crate) fn key(&mut self) -> Result<(u32, u8), WireError> {
        // Every OTLP field number fits one key byte (tags up to 15).
        if let Some(&b) = self.buf.get(self.pos) {
            let wire_type = b & 7;
            if b < 0x80 && b >> 3 != 0 && wire_type <= WT_I32 {
                self.pos += 1;
                return Ok((u32::from(b >> 3), wire_type));
            }
        }
        self.long_key()
    }

    #[inline(never)]
    fn long_key(&mut self) -> Result<(u32, u8), WireError> {
        let at = self.offset();
        let key = self.varint()?;
        let key = u32::try_from(key).map_err(|_| err(at, format!("field key {key} out of range")))?;
        let wire_type = (key & 7) as u8;
        if wire_type > WT_I32 {
            return Err(err(at, format!("invalid wire type {wire_type}")));
        }
        if key >> 3 == 0 {
            return Err(err(at, "field number 0"));
        }
        Ok((key >> 3, wire_type))
    }

    /// A length-delimited value and the offset it starts at. Always
    /// inlined: it is most of every walk's per-field work.
    #[inline(always)]
    pub(crate) fn delimited(&mut self) -> Result<(&'a [u8], usize), WireError> {
        let len = self.varint()?;
        let at = self.offset();
        let left = self.buf.len() - self.pos;
        match usize::try_from(len) {
            Ok(len) if len <= left => {
                self.pos += len;
                Ok((&self.buf[self.pos - len..self.pos], at))
            }
            _ => Err(past_end(at, len, left)),
        }
    }

    /// A fixed64 (or double) value, little-endian.
    #[inline]
    pub(crate) fn fixed64(&mut self) -> Result<u64, WireError> {
        let Some(bytes) = self.buf.get(self.pos..self.pos + 8) else { return Err(err(self.offset(), "truncated fixed-width value")) };
        let mut word = [0u8; 8];
        word.copy_from_slice(bytes);
        self.pos += 8;
        Ok(u64::from_le_bytes(word))
    }

    /// A varint or fixed-width value.
    pub(crate) fn scalar(&mut self, wire_type: u8) -> Result<(), WireError> {
        let width = match wire_type {
            WT_VARINT => return self.varint().map(|_| ()),
            WT_I64 => 8,
            _ => 4,
        };
        if self.buf.len() - self.pos < width {
            return Err(err(self.offset(), "truncated fixed-width value"));
        }
        self.pos += width;
        Ok(())
    }
}

#[cold]
#[inline(never)]
fn past_end(at: usize, len: u64, left: usize) -> WireError {
    err(at, format!("length {len} runs past the end of the message ({left} bytes left)"))
}

#[cold]
#[inline(never)]
fn bad_utf8(at: usize, schema: &Message, field: &Field) -> WireError {
    err(at, format!("{}.{}: invalid UTF-8", schema.name, field.name))
}

#[cold]
#[inline(never)]
fn wrong_wire_type(at: usize, schema: &Message, field: &Field, got: u8, expected: u8) -> WireError {
    err(at, format!("{}.{}: wire type {got}, expected {expected}", schema.name, field.name))
}

fn in_field(e: WireError, schema: &Message, field: &Field) -> WireError {
    WireError { offset: e.offset, message: format!("{}.{}: {}", schema.name, field.name, e.message) }
}

#[cold]
#[inline(never)]
fn err(offset: usize, message: impl Into<String>) -> WireError {
    WireError { offset, message: message.into() }
}
