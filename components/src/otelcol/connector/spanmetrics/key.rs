//! Series keys: attribute values written into a byte buffer so that two
//! spans share a series exactly when their keys are equal, and the hasher
//! the key maps use.
//!
//! Every dimension value is written in its canonical protobuf encoding
//! (an `AnyValue` as prost writes it), which starts with its type's field
//! key and delimits itself: so `"1"` and `1`, or `["ab"]` and `["a", "b"]`,
//! never collide, and a value read from the wire in that encoding (nearly
//! every value) is copied into the key as it is. A missing value is a byte
//! no encoding starts with.

use std::hash::Hasher;

use prost::encoding::{encode_varint, encoded_len_varint};
use prost::Message;

use crate::otlp::proto::common::v1::{any_value, AnyValue};

/// No value: a byte no encoded `AnyValue` starts with.
const ABSENT: u8 = 0;
/// The keys of `AnyValue`'s fields, which start their encodings.
const STRING: u8 = 0x0a;
const BOOL: u8 = 0x10;
const INT: u8 = 0x18;
const DOUBLE: u8 = 0x21;

/// Keys up to this long are written into [`Key`]'s fixed buffer.
const SHORT: usize = 192;

/// A series key being written. Nearly every key fits a fixed buffer,
/// where a write is one bounds check against a constant and a copy; a
/// `Vec` would load, check and store its capacity and length in memory on
/// every write, which on a span's dozen writes cost more than the copies.
/// A longer key moves to `long` and goes on there.
pub struct Key {
    short: [u8; SHORT],
    len: usize,
    long: Vec<u8>,
}

impl Default for Key {
    fn default() -> Self {
        Key { short: [0; SHORT], len: 0, long: Vec::new() }
    }
}

impl Key {
    #[inline(always)]
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The key written since the last [`Key::clear`].
    #[inline(always)]
    pub fn as_slice(&self) -> &[u8] {
        self.short.get(..self.len).unwrap_or(&self.long)
    }

    /// Moves the key to `long` if it is still in `short`, then appends.
    #[cold]
    #[inline(never)]
    fn spill(&mut self, bytes: &[u8]) {
        if let Some(short) = self.short.get(..self.len) {
            self.long.clear();
            self.long.extend_from_slice(short);
        }
        self.long.extend_from_slice(bytes);
    }

    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        match self.short.get_mut(self.len..end) {
            Some(to) => to.copy_from_slice(bytes),
            None => self.spill(bytes),
        }
        self.len = end;
    }
}

/// Appends a length-prefixed string (UTF-8 bytes).
#[inline]
pub fn push_str(buf: &mut Key, s: &[u8]) {
    buf.put(&(s.len() as u32).to_le_bytes());
    buf.put(s);
}

/// Appends what every series key starts with: the span name, kind and
/// status code, or a placeholder for each one `keep` leaves out. A kind or
/// code outside the enum keys as 0, the value whose label it gets
/// (`SPAN_KIND_UNSPECIFIED`, `STATUS_CODE_UNSET`): otherwise each stray
/// value would make a series of its own with the same labels.
#[inline(always)]
pub fn push_span(buf: &mut Key, keep: [bool; 4], name: &[u8], kind: i32, code: i32) {
    let kind = if (1..=5).contains(&kind) { kind } else { 0 };
    let code = if (1..=2).contains(&code) { code } else { 0 };
    push_str(buf, if keep[1] { name } else { b"" });
    let (kind, code) = ((if keep[2] { kind } else { -1 }).to_le_bytes(), (if keep[3] { code } else { -1 }).to_le_bytes());
    buf.put(&[kind[0], kind[1], kind[2], kind[3], code[0], code[1], code[2], code[3]]);
}

/// Appends a string value, or a dimension's default: a default keys the
/// same as a string attribute holding it, since the series' attribute is
/// that string.
#[inline]
pub fn push_string(buf: &mut Key, s: &[u8]) {
    push_varint_after(buf, STRING, s.len() as u64);
    buf.put(s);
}

/// Appends a dimension's default value (see [`push_string`]).
#[inline]
pub fn push_default(buf: &mut Key, s: &str) {
    push_string(buf, s.as_bytes());
}

/// Appends the marker of a missing value (no attribute, one without a
/// value, or one whose value has nothing set).
#[inline]
pub fn push_absent(buf: &mut Key) {
    buf.put(&[ABSENT]);
}

/// Appends a value already in its canonical encoding (read from the wire).
#[inline(always)]
pub fn push_canonical(buf: &mut Key, v: &[u8]) {
    buf.put(v);
}

/// A tag then a varint, as protobuf writes them.
#[inline]
fn push_varint_after(buf: &mut Key, tag: u8, v: u64) {
    let mut out = [tag, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let n = 1 + encoded_len_varint(v);
    if let Some(mut to) = out.get_mut(1..n) {
        encode_varint(v, &mut to);
    }
    buf.put(out.get(..n).unwrap_or_default());
}

/// Appends a value, or a marker for a missing one, in its canonical
/// encoding.
pub fn push_value(buf: &mut Key, v: Option<&AnyValue>) {
    match v.and_then(|v| v.value.as_ref()) {
        None => push_absent(buf),
        Some(any_value::Value::StringValue(s)) => push_default(buf, s),
        Some(any_value::Value::IntValue(i)) => push_varint_after(buf, INT, *i as u64),
        Some(any_value::Value::BoolValue(b)) => buf.put(&[BOOL, u8::from(*b)]),
        // A double by its bits: two doubles share a series when they are
        // encoded the same (so 0.0 and -0.0 do not).
        Some(any_value::Value::DoubleValue(d)) => {
            let b = d.to_bits().to_le_bytes();
            buf.put(&[DOUBLE, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        }
        // Arrays, maps and bytes are rare as dimensions: their protobuf
        // encoding is an exact, if allocating, key.
        Some(other) => buf.put(&AnyValue { value: Some(other.clone()) }.encode_to_vec()),
    }
}

/// Whether two short byte strings (attribute names) are equal, compared
/// inline as two overlapping words or two overlapping 16-byte blocks (a
/// call to `memcmp` per attribute costs more than the compare). Longer or
/// shorter names take the plain compare.
#[inline(always)]
pub fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if (8..=16).contains(&n) {
        let w = |s: &[u8]| (s.first_chunk::<8>().map(|c| u64::from_ne_bytes(*c)), s.last_chunk::<8>().map(|c| u64::from_ne_bytes(*c)));
        return w(a) == w(b);
    }
    if (17..=32).contains(&n) {
        let w = |s: &[u8]| (s.first_chunk::<16>().map(|c| u128::from_ne_bytes(*c)), s.last_chunk::<16>().map(|c| u128::from_ne_bytes(*c)));
        return w(a) == w(b);
    }
    a == b
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
/// dependent multiplies of the word-at-a-time Fx hash.
///
/// Keys come from telemetry, which an attacker can write, so both of its
/// constants are drawn at random once per process ([`SeededState`]): with
/// fixed ones, a key whose second word equals the multiplier's constant
/// folds to zero whatever else it holds, and collisions are free to make.
#[derive(Clone, Copy)]
pub struct FastHasher {
    state: u64,
    seed: u64,
    seed2: u64,
}

/// Builds [`FastHasher`]s with this process's random seeds.
#[derive(Clone, Copy)]
pub struct SeededState {
    seed: u64,
    seed2: u64,
}

/// Two random words for the process, from the standard library's own
/// random hasher keys.
static PROCESS_SEEDS: std::sync::LazyLock<(u64, u64)> = std::sync::LazyLock::new(|| {
    use std::hash::{BuildHasher, RandomState};
    let random = RandomState::new();
    // Odd multipliers, so no seed zeroes a product.
    (random.hash_one(1u8) | 1, random.hash_one(2u8) | 1)
});

impl Default for SeededState {
    fn default() -> SeededState {
        let (seed, seed2) = *PROCESS_SEEDS;
        SeededState { seed, seed2 }
    }
}

impl std::hash::BuildHasher for SeededState {
    type Hasher = FastHasher;

    #[inline]
    fn build_hasher(&self) -> FastHasher {
        FastHasher { state: self.seed, seed: self.seed, seed2: self.seed2 }
    }
}

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
            let mut h = self.state;
            for c in &mut chunks {
                let (x, y) = c.split_at(8);
                h = fold(word(x) ^ h, word(y) ^ self.seed2);
            }
            self.state = h;
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
        self.state = fold(a ^ self.state, b ^ self.seed2 ^ n as u64);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.state = fold(self.state ^ n as u64, self.seed);
    }

    fn finish(&self) -> u64 {
        self.state
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
        let mut b = Key::default();
        push_value(&mut b, Some(&AnyValue { value: Some(v) }));
        b.as_slice().to_vec()
    }

    #[test]
    fn types_do_not_collide() {
        let s = key(any_value::Value::StringValue("1".into()));
        let i = key(any_value::Value::IntValue(1));
        let b = key(any_value::Value::BoolValue(true));
        assert!(s != i && i != b && s != b);
        let mut d = Key::default();
        push_default(&mut d, "1");
        assert_eq!(d.as_slice(), s, "a default keys like the string it becomes");
    }

    #[test]
    fn same_compares_whole_strings() {
        assert!(same(b"http.response.status_code", b"http.response.status_code"));
        assert!(!same(b"http.response.status_code", b"http.response.status_codf"));
        assert!(!same(b"peer.service", b"service.name"));
        assert!(!same(b"a", b"ab") && same(b"", b""));
    }

    /// 32-byte keys whose second word equals the multiplier's constant all
    /// fold to the same state, whatever their first word: with a constant
    /// known to an attacker, unlimited collisions. Per-process random seeds
    /// take that away.
    #[test]
    fn keys_an_attacker_could_collide_hash_apart_under_the_process_seeds() {
        use std::hash::{BuildHasher, Hasher};
        let known = 0x24_3f_6a_88_85_a3_08_d3u64;
        let crafted = |first: u64| [first.to_le_bytes(), known.to_le_bytes(), 7u64.to_le_bytes(), 9u64.to_le_bytes()].concat();
        let hash = |state: &dyn Fn() -> FastHasher, key: &[u8]| {
            let mut h = state();
            h.write(key);
            h.finish()
        };
        let fixed = || FastHasher { state: 0, seed: 1, seed2: known };
        assert_eq!(hash(&fixed, &crafted(1)), hash(&fixed, &crafted(2)), "the attack works against a known constant");
        let seeded = SeededState::default();
        let hashes: std::collections::HashSet<u64> = (0..64).map(|i| hash(&|| seeded.build_hasher(), &crafted(i))).collect();
        assert_eq!(hashes.len(), 64, "under the process seeds the crafted keys spread");
    }
}
