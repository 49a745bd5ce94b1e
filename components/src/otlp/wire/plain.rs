//! The shapes most of a request is made of, checked without the schema
//! walk: an attribute, and a span whose fields come in field-number order.
//!
//! The walk looks each field up in its message's table and dispatches on
//! what the table says, and which way that goes changes from field to
//! field: on a traces request it was most of the receiver's validation
//! (`cargo bench -p solder-components --bench wire`). Encoders write a
//! span's fields in one order, so here each field is expected in turn and
//! each test nearly always goes the same way. Whatever is not of these
//! shapes (another order, an unknown field, anything malformed) is handed
//! to the walk, which accepts what prost accepts and names the fault: a
//! fast path says only "valid" or "not mine", and says "valid" only where
//! the walk would (`tests.rs` holds both to that).

use super::schema::{EVENT, KEY_VALUE, LINK, STATUS};
use super::{message, Reader, WT_I32, WT_I64};

/// Whether `buf` is a well-formed attribute of the usual shape: a string
/// key, then a scalar, string or bytes value (then, if any, a
/// `key_strindex`), nothing unknown. `false` says only "not this shape":
/// the caller then validates the attribute the general way, which finds
/// and names any fault. An attribute holds no items, and one of this shape
/// nests one level (its value), which the caller has checked there is
/// budget for.
pub(super) fn plain_key_value(buf: &[u8]) -> bool {
    if short_key_value(buf) {
        return true;
    }
    let mut r = Reader::new(buf, 0);
    r.field(0x0a, |r| text(r)) // key
        && r.field(0x12, |r| matches!(r.delimited(), Ok((v, _)) if plain_any_value(v))) // value
        && r.field(0x18, |r| varint(r)) // key_strindex
        && r.done()
}

/// The commonest attribute of all, checked in a few tests: every length
/// under 128 (one byte), a key and a value that is a string, an int, a
/// bool, a double or nothing. A string attribute whose bytes are all
/// ASCII has an ASCII key and value and one-byte lengths, so one scan of
/// the field checks all three; the reader's way made a call and a varint
/// read of each length, about 190 instructions an attribute. `false`:
/// not this shape.
#[inline(always)]
pub(super) fn short_key_value(buf: &[u8]) -> bool {
    let [0x0a, key_len, ref rest @ ..] = *buf else { return false };
    let Some((key, rest)) = rest.split_at_checked(usize::from(key_len)) else { return false };
    let value = match *rest {
        [] => return key_len < 0x80 && ascii(key),
        [0x12, len, ref value @ ..] if value.len() == usize::from(len) => value,
        _ => return false,
    };
    match *value {
        // The key's length, the value's and the string's are under 128
        // too, being ASCII.
        [0x0a, len, ref text @ ..] if text.len() == usize::from(len) => ascii(buf),
        [] => ascii(buf),
        // bool_value, int_value: the lengths alone must be ASCII.
        [0x10 | 0x18, ref varint @ ..] => key_len < 0x80 && value.len() < 0x80 && whole_varint(varint) && ascii(key),
        [0x21, ref double @ ..] => double.len() == 8 && key_len < 0x80 && ascii(key),
        _ => false,
    }
}

/// `is_ascii` for the few dozen bytes of a key, value or name, inline: the
/// library's version is a call whose set-up (aligning to words) costs
/// as much as the scan at these lengths.
#[inline(always)]
pub(crate) fn ascii(bytes: &[u8]) -> bool {
    let word = |at: usize| bytes.get(at..at + 8).map_or(u64::MAX, |w| u64::from_le_bytes(w.try_into().unwrap_or([0x80; 8])));
    if bytes.len() < 8 {
        return bytes.iter().all(|&b| b < 0x80);
    }
    // Whole words, then the last eight bytes (overlapping the last word
    // read) rather than a byte at a time.
    let mut bits = word(bytes.len() - 8);
    let mut at = 0;
    while at + 8 < bytes.len() {
        bits |= word(at);
        at += 8;
    }
    bits & 0x8080_8080_8080_8080 == 0
}

/// Whether `bytes` are one varint of at most nine bytes (so it cannot
/// overflow, and prost reads it whatever its padding).
#[inline(always)]
pub(crate) fn whole_varint(bytes: &[u8]) -> bool {
    matches!(bytes.split_last(), Some((&last, rest)) if last < 0x80 && rest.len() < 9 && rest.iter().all(|&b| b >= 0x80))
}

/// [`plain_key_value`] for an `AnyValue`: one member that is not an array
/// or key-value list (those go the general way), or none.
fn plain_any_value(buf: &[u8]) -> bool {
    let Some(&key) = buf.first() else { return true };
    let mut r = Reader { buf, pos: 1, base: 0 };
    let ok = match key {
        0x0a => text(&mut r),                 // string_value
        0x10 | 0x18 | 0x40 => varint(&mut r), // bool_value, int_value, string_value_strindex
        0x21 => fixed64(&mut r),              // double_value
        0x3a => r.delimited().is_ok(),        // bytes_value
        _ => false,
    };
    ok && r.done()
}

/// Valid UTF-8; ASCII, the usual case, is checked the cheap way.
#[inline]
fn utf8(s: &[u8]) -> bool {
    ascii(s) || std::str::from_utf8(s).is_ok()
}

/// Whether `buf` is a valid span with its fields in field-number order
/// (`flags`, number 16, either after `parent_span_id`, where prost writes
/// it, or last), each repeated field's occurrences together. `budget` is
/// what the walk would validate the span's fields with. A span holds no
/// items.
pub(super) fn plain_span(buf: &[u8], budget: u32) -> bool {
    // Attributes need a level for their value; events, links and status
    // one for themselves.
    if budget <= 2 {
        return false;
    }
    let mut r = Reader::new(buf, 0);
    let ok = r.field(0x0a, |r| r.delimited().is_ok()) // trace_id
        && r.field(0x12, |r| r.delimited().is_ok()) // span_id
        && r.field(0x1a, |r| text(r)) // trace_state
        && r.field(0x22, |r| r.delimited().is_ok()) // parent_span_id
        && flags(&mut r)
        && r.field(0x2a, |r| text(r)) // name
        && r.field(0x30, |r| varint(r)) // kind
        && r.field(0x39, |r| fixed64(r)) // start_time_unix_nano
        && r.field(0x41, |r| fixed64(r)) // end_time_unix_nano
        && r.each(0x4a, |body| plain_key_value(body) || message(body, 0, &KEY_VALUE, budget - 1).is_ok()) // attributes
        && r.field(0x50, |r| varint(r)) // dropped_attributes_count
        && r.each(0x5a, |body| message(body, 0, &EVENT, budget - 1).is_ok()) // events
        && r.field(0x60, |r| varint(r)) // dropped_events_count
        && r.each(0x6a, |body| message(body, 0, &LINK, budget - 1).is_ok()) // links
        && r.field(0x70, |r| varint(r)) // dropped_links_count
        && r.each(0x7a, |body| plain_status(body) || message(body, 0, &STATUS, budget - 1).is_ok()) // status
        && flags(&mut r);
    ok && r.done()
}

/// The status SDKs write on every span: none set, or a code alone (a
/// one-byte varint). Through the schema walk it cost more than a whole
/// attribute.
#[inline(always)]
fn plain_status(body: &[u8]) -> bool {
    matches!(*body, [] | [0x18, 0..0x80])
}

/// `Span.flags`, a fixed32 whose key (field 16) takes two bytes.
#[inline(always)]
fn flags(r: &mut Reader<'_>) -> bool {
    if r.buf.get(r.pos..r.pos + 2) != Some(&[0x85, 0x01]) {
        return true;
    }
    r.pos += 2;
    r.scalar(WT_I32).is_ok()
}

#[inline(always)]
fn text(r: &mut Reader<'_>) -> bool {
    matches!(r.delimited(), Ok((s, _)) if utf8(s))
}

#[inline(always)]
fn varint(r: &mut Reader<'_>) -> bool {
    r.varint().is_ok()
}

#[inline(always)]
fn fixed64(r: &mut Reader<'_>) -> bool {
    r.scalar(WT_I64).is_ok()
}

impl Reader<'_> {
    /// If the next key is the one-byte `key`, reads its value with `value`
    /// and says whether that went well; if it is not, reads nothing: an
    /// absent field is fine.
    #[inline(always)]
    fn field(&mut self, key: u8, value: impl FnOnce(&mut Self) -> bool) -> bool {
        if self.buf.get(self.pos) != Some(&key) {
            return true;
        }
        self.pos += 1;
        value(self)
    }

    /// Every consecutive occurrence of the length-delimited field with
    /// the one-byte `key`, each body checked by `body`.
    #[inline(always)]
    fn each(&mut self, key: u8, mut body: impl FnMut(&[u8]) -> bool) -> bool {
        while self.buf.get(self.pos) == Some(&key) {
            self.pos += 1;
            match self.delimited() {
                Ok((b, _)) if body(b) => {}
                _ => return false,
            }
        }
        true
    }
}
