//! The fields of one protobuf message as slices of it: what the wire
//! transform walks to find the fields statements touch and to copy the
//! others through untouched. Groups (long deprecated, never in OTLP) are
//! refused, and the request goes the decoding way instead.

use crate::otlp::wire::{Reader, WireError, WT_I32, WT_I64, WT_LEN, WT_VARINT};

/// One field: its number, wire type, the whole field as written (key
/// included, to copy it through) and its payload.
#[derive(Clone, Copy)]
pub(super) struct Field<'a> {
    pub tag: u32,
    pub wire_type: u8,
    pub whole: &'a [u8],
    /// A length-delimited field's bytes; a scalar's encoding.
    pub payload: &'a [u8],
}

/// Calls `each` for every field of `msg`, in order.
#[inline(always)]
pub(super) fn each<'a, E: From<WireError>>(msg: &'a [u8], mut each: impl FnMut(Field<'a>) -> Result<(), E>) -> Result<(), E> {
    let mut pos = 0;
    while pos < msg.len() {
        let field = match message(msg, pos) {
            Some(field) => field,
            None => {
                let mut r = Reader::new(&msg[pos..], pos);
                next(msg, &mut r)?
            }
        };
        pos += field.whole.len();
        each(field)?;
    }
    Ok(())
}

/// The field at `pos` if it is what the frame walks nearly always meets:
/// a message with a one-byte key and a length of one or two bytes (spans,
/// scopes, resources). Any other, or one that runs past the end, is left
/// to [`next`], which reads every kind and names the fault.
#[inline(always)]
fn message(msg: &[u8], pos: usize) -> Option<Field<'_>> {
    let (len, head) = match *msg.get(pos..)? {
        [key, n, ..] if key & 7 == WT_LEN && (8..0x80).contains(&key) && n < 0x80 => (usize::from(n), 2),
        [key, lo, hi, ..] if key & 7 == WT_LEN && (8..0x80).contains(&key) && hi < 0x80 => (usize::from(lo & 0x7f) | usize::from(hi) << 7, 3),
        _ => return None,
    };
    let whole = msg.get(pos..pos + head + len)?;
    Some(Field { tag: u32::from(msg[pos] >> 3), wire_type: WT_LEN, whole, payload: &whole[head..] })
}

/// The field `r` is at, moving `r` past it; `r`'s offsets are positions
/// in `msg`.
#[inline]
pub(super) fn next<'a>(msg: &'a [u8], r: &mut Reader<'a>) -> Result<Field<'a>, WireError> {
    let start = r.offset();
    let (tag, wire_type) = r.key()?;
    let body = r.offset();
    let payload = match wire_type {
        WT_LEN => r.delimited()?.0,
        WT_VARINT | WT_I64 | WT_I32 => {
            r.scalar(wire_type)?;
            &msg[body..r.offset()]
        }
        _ => return Err(WireError { offset: start, message: "groups are not transformed on the wire".into() }),
    };
    Ok(Field { tag, wire_type, whole: &msg[start..r.offset()], payload })
}

/// Appends a length-delimited field.
pub(super) fn put_len(out: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    prost::encoding::encode_key(tag, prost::encoding::WireType::LengthDelimited, out);
    prost::encoding::encode_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

/// A string field's text. Requests are validated before any processor
/// sees them, so this fails only on a bug upstream.
pub(super) fn text(bytes: &[u8]) -> Result<&str, WireError> {
    std::str::from_utf8(bytes).map_err(|e| WireError { offset: e.valid_up_to(), message: "invalid UTF-8".into() })
}
