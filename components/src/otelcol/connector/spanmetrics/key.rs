//! Series keys: attribute values written into a byte buffer so that two
//! spans share a series exactly when their keys are equal, and the hasher
//! the key maps use.
//!
//! Every value is written with a type tag and a length, so `"1"` and `1`,
//! or `["ab"]` and `["a", "b"]`, never collide.

use std::hash::Hasher;

use prost::Message;

use crate::otlp::proto::common::v1::{any_value, AnyValue};

const ABSENT: u8 = 0;
const STRING: u8 = 1;
const INT: u8 = 2;
const BOOL: u8 = 3;
const DOUBLE: u8 = 4;
const OTHER: u8 = 5;

/// Appends a length-prefixed string (UTF-8 bytes).
#[inline]
pub fn push_str(buf: &mut Vec<u8>, s: &[u8]) {
    buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
    buf.extend_from_slice(s);
}

/// Appends what every series key starts with: the span name, kind and
/// status code, or a placeholder for each one `keep` leaves out.
#[inline]
pub fn push_span(buf: &mut Vec<u8>, keep: [bool; 4], name: &[u8], kind: i32, code: i32) {
    push_str(buf, if keep[1] { name } else { b"" });
    buf.extend_from_slice(&(if keep[2] { kind } else { -1 }).to_le_bytes());
    buf.extend_from_slice(&(if keep[3] { code } else { -1 }).to_le_bytes());
}

/// Appends a string value, or a dimension's default: a default keys the
/// same as a string attribute holding it, since the series' attribute is
/// that string.
#[inline]
pub fn push_string(buf: &mut Vec<u8>, s: &[u8]) {
    buf.push(STRING);
    push_str(buf, s);
}

/// Appends a dimension's default value (see [`push_string`]).
#[inline]
pub fn push_default(buf: &mut Vec<u8>, s: &str) {
    push_string(buf, s.as_bytes());
}

/// Appends the marker of a missing value (no attribute, or one without a value).
#[inline]
pub fn push_absent(buf: &mut Vec<u8>) {
    buf.push(ABSENT);
}

#[inline]
pub fn push_int(buf: &mut Vec<u8>, i: i64) {
    buf.push(INT);
    buf.extend_from_slice(&i.to_le_bytes());
}

#[inline]
pub fn push_bool(buf: &mut Vec<u8>, b: bool) {
    buf.extend_from_slice(&[BOOL, u8::from(b)]);
}

/// Appends a double by its bits: two doubles share a series when they
/// are encoded the same (so 0.0 and -0.0 do not).
#[inline]
pub fn push_double(buf: &mut Vec<u8>, bits: u64) {
    buf.push(DOUBLE);
    buf.extend_from_slice(&bits.to_le_bytes());
}

/// Appends a value, or a marker for a missing one.
pub fn push_value(buf: &mut Vec<u8>, v: Option<&AnyValue>) {
    match v.and_then(|v| v.value.as_ref()) {
        None => push_absent(buf),
        Some(any_value::Value::StringValue(s)) => push_default(buf, s),
        Some(any_value::Value::IntValue(i)) => push_int(buf, *i),
        Some(any_value::Value::BoolValue(b)) => push_bool(buf, *b),
        Some(any_value::Value::DoubleValue(d)) => push_double(buf, d.to_bits()),
        // Arrays, maps and bytes are rare as dimensions: their protobuf
        // encoding is an exact, if allocating, key.
        Some(other) => {
            buf.push(OTHER);
            let bytes = AnyValue { value: Some(other.clone()) }.encode_to_vec();
            buf.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            buf.extend_from_slice(&bytes);
        }
    }
}

/// Whether two short byte strings (attribute names) are equal, compared
/// inline: a call to `memcmp` per attribute costs more than the compare.
#[inline]
pub fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() < 8 {
        return a.iter().zip(b).all(|(p, q)| p == q);
    }
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    for (p, q) in (&mut x).zip(&mut y) {
        if word(p) != word(q) {
            return false;
        }
    }
    // The tail as the last eight bytes, overlapping what was compared.
    let tail = a.len() - 8;
    word(a.get(tail..).unwrap_or_default()) == word(b.get(tail..).unwrap_or_default())
}

/// Eight bytes as a little-endian word (a fixed-size copy: no call).
#[inline]
fn word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    if let Some(c) = chunk.get(..8) {
        w.copy_from_slice(c);
    }
    u64::from_le_bytes(w)
}

/// A hash in the manner of foldhash: sixteen bytes per folded 64x64-bit
/// multiply, several times faster than SipHash on series keys, and half the
/// dependent multiplies of the word-at-a-time Fx hash. Keys come from
/// telemetry, not from an adversary choosing collisions against a known
/// seed, and a collision only costs a compare.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
const SEED2: u64 = 0x24_3f_6a_88_85_a3_08_d3;

/// The high and low halves of a full product, xored: every input bit
/// reaches every output bit.
#[inline(always)]
fn fold(x: u64, y: u64) -> u64 {
    let p = u128::from(x) * u128::from(y);
    (p as u64) ^ ((p >> 64) as u64)
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        let at = |i: usize| word(bytes.get(i..).unwrap_or_default());
        let (a, b) = if n >= 16 {
            let mut chunks = bytes.chunks_exact(16);
            let mut h = self.0;
            for c in &mut chunks {
                let (x, y) = c.split_at(8);
                h = fold(word(x) ^ h, word(y) ^ SEED2);
            }
            self.0 = h;
            // The tail as the last sixteen bytes, overlapping.
            (at(n - 16), at(n - 8))
        } else if n >= 8 {
            (at(0), at(n - 8))
        } else if n >= 4 {
            (half(bytes, 0), half(bytes, n - 4))
        } else {
            let byte = |i: usize| u64::from(bytes.get(i).copied().unwrap_or(0));
            (byte(0) | byte(n / 2) << 8 | byte(n.wrapping_sub(1)) << 16, 0)
        };
        self.0 = fold(a ^ self.0, b ^ SEED2 ^ n as u64);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0 = fold(self.0 ^ n as u64, SEED);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Four bytes from `at` as a word.
#[inline]
fn half(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 4];
    if let Some(c) = bytes.get(at..at + 4) {
        w.copy_from_slice(c);
    }
    u64::from(u32::from_le_bytes(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(v: any_value::Value) -> Vec<u8> {
        let mut b = Vec::new();
        push_value(&mut b, Some(&AnyValue { value: Some(v) }));
        b
    }

    #[test]
    fn types_do_not_collide() {
        let s = key(any_value::Value::StringValue("1".into()));
        let i = key(any_value::Value::IntValue(1));
        let b = key(any_value::Value::BoolValue(true));
        assert!(s != i && i != b && s != b);
        let mut d = Vec::new();
        push_default(&mut d, "1");
        assert_eq!(d, s, "a default keys like the string it becomes");
    }

    #[test]
    fn same_compares_whole_strings() {
        assert!(same(b"http.response.status_code", b"http.response.status_code"));
        assert!(!same(b"http.response.status_code", b"http.response.status_codf"));
        assert!(!same(b"peer.service", b"service.name"));
        assert!(!same(b"a", b"ab") && same(b"", b""));
    }
}
