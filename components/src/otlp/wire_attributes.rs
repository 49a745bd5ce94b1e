//! Attributes (`KeyValue`s) on the wire, as [`super::wire_spans`] hands
//! them out: the key as a slice of the request, the value read only when a
//! reader wants that attribute (a dimension, a peer attribute), and decoded
//! only when it becomes a label (a new series or edge).

use prost::Message;

use crate::otlp::proto::common::v1::{AnyValue, KeyValue};
use crate::otlp::wire::WireError;

use super::wire_spans::{Body, Fields};

/// What a walk hands the attributes it meets to, in order. A trait rather
/// than a closure so that the handler is inlined into the walk: an
/// attribute passed through memory costs more than reading it.
pub trait Attributes<'a> {
    fn attribute(&mut self, a: Attribute<'a>) -> Result<(), WireError>;

    /// Whether an attribute named `key` may matter, asked before the
    /// attribute is built: most attributes are of no interest, and
    /// rejecting them on the name alone keeps them out of memory.
    #[inline(always)]
    fn wants(&self, _key: &[u8]) -> bool {
        true
    }
}

impl<'a, F: FnMut(Attribute<'a>) -> Result<(), WireError>> Attributes<'a> for F {
    #[inline(always)]
    fn attribute(&mut self, a: Attribute<'a>) -> Result<(), WireError> {
        self(a)
    }
}

/// One attribute (`KeyValue`): its key, and its value read on demand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attribute<'a> {
    pub key: &'a [u8],
    pub(super) body: Body<'a>,
    /// The `value` when it is the message's one and only.
    pub(super) value: Option<Body<'a>>,
}

/// Reads the shape nearly every `KeyValue` (and `AnyValue` string) has on
/// the wire: field 1 `key` and field 2 `then` (0: none), both
/// length-delimited with lengths under 128, filling `body` exactly. As
/// each field occurs once, what prost would decode is plain.
#[inline(always)]
pub(super) fn canonical<'a>(body: Body<'a>, key: u8, then: u8) -> Option<(&'a [u8], Body<'a>)> {
    let b = body.bytes;
    if b.first() != Some(&key) {
        return None;
    }
    let len = usize::from(*b.get(1)?);
    let first = b.get(2..2 + len).filter(|_| len < 0x80)?;
    let rest = b.get(2 + len..)?;
    if then == 0 {
        return rest.is_empty().then_some((first, Body { bytes: &[], at: body.at }));
    }
    let (&t, &n, second) = (rest.first()?, rest.get(1)?, rest.get(2..)?);
    (t == then && usize::from(n) == second.len() && n < 0x80).then_some((first, Body { bytes: second, at: body.at + 4 + len }))
}

/// Reads an `AnyValue` body onto `value` (what earlier occurrences left):
/// the last member set wins. `kv` is the attribute it is the value of.
#[inline]
fn any_value<'a>(body: Body<'a>, mut value: AttrValue<'a>, kv: Body<'a>) -> Result<AttrValue<'a>, WireError> {
    let mut members = Fields::new(body, "AnyValue");
    while let Some(m) = members.next()? {
        value = match m.tag {
            1 => AttrValue::Str(m.body()?),
            2 => AttrValue::Bool(m.varint()? != 0),
            3 => AttrValue::Int(m.varint()? as i64),
            4 => AttrValue::Double(m.fixed64()?),
            5..=7 => m.body().map(|_| AttrValue::Other(kv))?,
            8 => m.varint().map(|_| AttrValue::Other(kv))?,
            _ => continue,
        };
    }
    Ok(value)
}

/// An attribute's value as far as a series key needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AttrValue<'a> {
    /// No `value`: the attribute is as good as absent.
    Missing,
    /// A `value` with nothing set in it.
    Empty,
    Str(Body<'a>),
    Bool(bool),
    Int(i64),
    /// The bits of a double.
    Double(u64),
    /// An array, a map, bytes or a string index: rare enough to decode
    /// from the attribute (`KeyValue`) held here ([`decode_value`]).
    Other(Body<'a>),
}

impl<'a> Attribute<'a> {
    #[inline(always)]
    pub(super) fn read(body: Body<'a>) -> Result<Self, WireError> {
        // Nearly every attribute is encoded as one short key then one short
        // value, filling the message: read that shape directly.
        match canonical(body, 0x0a, 0x12) {
            Some((key, value)) => Ok(Attribute { key, body, value: Some(value) }),
            None => Self::read_any(body.bytes, body.at),
        }
    }

    /// Any other shape; the parts of `body` are passed apart so that the
    /// caller's fast path keeps them in registers.
    #[inline(never)]
    pub(super) fn read_any(bytes: &'a [u8], at: usize) -> Result<Self, WireError> {
        let body = Body { bytes, at };
        let mut key: &[u8] = &[];
        let mut fields = Fields::new(body, "KeyValue");
        while let Some(f) = fields.next()? {
            match f.tag {
                1 => key = f.body()?.bytes,
                2 => {
                    f.body()?;
                }
                _ => {}
            }
        }
        Ok(Attribute { key, body, value: None })
    }

    /// Stores the value in `slot`: the last member set across every
    /// `value` occurrence (they merge), as prost's oneof decoding keeps it.
    /// The common case writes straight into the slot, where a `Result`
    /// passed through the stack would stall the load after it.
    #[inline(always)]
    pub fn value_into(&self, slot: &mut Option<AttrValue<'a>>) -> Result<(), WireError> {
        match self.simple_value() {
            Some(v) => *slot = Some(v),
            None => *slot = Some(value_any(self.body.bytes, self.body.at, self.value.map(|v| v.bytes), self.value.map_or(0, |v| v.at))?),
        }
        Ok(())
    }

    /// The value's bytes when they are exactly what prost would write for
    /// it (a short string, a small int, a bool or a double, alone): the
    /// value's canonical encoding, a series key as it is. `None` for any
    /// other value or encoding.
    #[inline(always)]
    pub fn canonical_value(&self) -> Option<&'a [u8]> {
        let v = self.value?.bytes;
        let canonical = match *v {
            [0x0a, n, ref s @ ..] => n < 0x80 && usize::from(n) == s.len(),
            [0x18, b] | [0x10, b @ (0 | 1)] => b < 0x80,
            [0x18, b0, b1] => b0 >= 0x80 && b1 < 0x80 && b1 != 0,
            [0x21, _, _, _, _, _, _, _, _] => true,
            _ => false,
        };
        canonical.then_some(v)
    }

    /// The attribute (`KeyValue`) as it is on the wire.
    pub fn body(&self) -> Body<'a> {
        self.body
    }

    /// The one string, int or bool a value nearly always holds alone.
    #[inline(always)]
    fn simple_value(&self) -> Option<AttrValue<'a>> {
        let v = self.value?;
        match *v.bytes {
            [0x0a, n, ref s @ ..] if n < 0x80 && usize::from(n) == s.len() => Some(AttrValue::Str(Body { bytes: s, at: v.at + 2 })),
            [0x18, b] if b < 0x80 => Some(AttrValue::Int(i64::from(b))),
            [0x18, b0, b1] if b0 >= 0x80 && b1 < 0x80 => Some(AttrValue::Int(i64::from(b0 & 0x7f) | i64::from(b1) << 7)),
            [0x10, b] if b < 0x80 => Some(AttrValue::Bool(b != 0)),
            _ => None,
        }
    }
}

/// [`Attribute::value_into`]'s slow path: any value of any attribute.
/// Taken in parts that fit in registers, so that the hot path need not
/// lay the attribute out in memory for it.
#[inline(never)]
fn value_any<'a>(bytes: &'a [u8], at: usize, value: Option<&'a [u8]>, value_at: usize) -> Result<AttrValue<'a>, WireError> {
    let kv = Body { bytes, at };
    if let Some(v) = value {
        return any_value(Body { bytes: v, at: value_at }, AttrValue::Empty, kv);
    }
    let mut value = AttrValue::Missing;
    let mut fields = Fields::new(kv, "KeyValue");
    while let Some(f) = fields.next()? {
        if f.tag == 2 {
            value = any_value(f.body()?, if value == AttrValue::Missing { AttrValue::Empty } else { value }, kv)?;
        }
    }
    Ok(value)
}

/// Whether the attribute (`KeyValue`) `kv` has a `value`, as prost decodes it.
pub fn has_value(kv: Body<'_>) -> Result<bool, WireError> {
    let mut value = None;
    Attribute::read(kv)?.value_into(&mut value)?;
    Ok(value != Some(AttrValue::Missing))
}

/// The value of a `KeyValue` decoded, as the decoded attribute holds it:
/// for the attributes of a new series, and for keys of [`AttrValue::Other`].
pub fn decode_value(kv: Body<'_>) -> Result<Option<AnyValue>, WireError> {
    KeyValue::decode(kv.bytes).map(|kv| kv.value).map_err(|e| WireError { offset: kv.at, message: format!("KeyValue: {e}") })
}

/// A string field as UTF-8, for strings that become series attributes
/// (the receiver has checked them; this is the last line).
pub fn utf8(s: Body<'_>) -> Result<&str, WireError> {
    std::str::from_utf8(s.bytes).map_err(|e| WireError { offset: s.at + e.valid_up_to(), message: "invalid UTF-8".into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value<'a>(a: &Attribute<'a>) -> Result<AttrValue<'a>, WireError> {
        let mut slot = None;
        a.value_into(&mut slot)?;
        Ok(slot.unwrap_or(AttrValue::Missing))
    }

    fn value_of(kv: &KeyValue) -> AttrValue<'static> {
        let bytes: &'static [u8] = Box::leak(kv.encode_to_vec().into_boxed_slice());
        Attribute::read(Body::request(bytes)).and_then(|a| value(&a)).unwrap_or(AttrValue::Missing)
    }

    #[test]
    fn a_repeated_value_merges_and_its_last_member_wins() {
        use crate::otlp::proto::common::v1::any_value::Value as V;
        let kv = |v: Option<V>| KeyValue { key: "k".into(), value: Some(AnyValue { value: v }), ..Default::default() };
        assert_eq!(value_of(&KeyValue { key: "k".into(), ..Default::default() }), AttrValue::Missing);
        assert_eq!(value_of(&kv(None)), AttrValue::Empty);
        assert_eq!(value_of(&kv(Some(V::IntValue(-3)))), AttrValue::Int(-3));
        // Two `value` fields: a string, then an empty one, then an int.
        let mut bytes = kv(Some(V::StringValue("a".into()))).encode_to_vec();
        bytes.extend_from_slice(&[0x12, 0x00]);
        let a = Attribute::read(Body::request(&bytes)).unwrap();
        assert!(matches!(value(&a), Ok(AttrValue::Str(Body { bytes: b"a", .. }))));
        bytes.extend_from_slice(&[0x12, 0x02, 0x18, 0x07]);
        let a = Attribute::read(Body::request(&bytes)).unwrap();
        assert_eq!((a.key, value(&a)), (&b"k"[..], Ok(AttrValue::Int(7))));
    }
}
