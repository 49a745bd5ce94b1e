//! `Murmur3Hash` and `Murmur3Hash128`: MurmurHash3 (x86 32-bit and x64
//! 128-bit, seed 0) of a string, as lower-case hex of the hash's
//! little-endian bytes, the way the Collector prints them (h1 then h2 for
//! the 128-bit hash).

use super::super::function::{FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, hex, want_str};

const TARGET: &[Param] = &[Param::required("target", Value)];

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "Murmur3Hash", params: TARGET, make: |_| func(|args| Ok(Value::Str(hex(&x86_32(want_str(args.get(0)?)?.as_bytes()).to_le_bytes())))) },
    FunctionDef {
        name: "Murmur3Hash128",
        params: TARGET,
        make: |_| {
            func(|args| {
                let (h1, h2) = x64_128(want_str(args.get(0)?)?.as_bytes());
                let mut out = [0u8; 16];
                out[..8].copy_from_slice(&h1.to_le_bytes());
                out[8..].copy_from_slice(&h2.to_le_bytes());
                Ok(Value::Str(hex(&out)))
            })
        },
    },
];

fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// The little-endian integer of up to `N` bytes, zero-filled.
fn le<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out[..bytes.len()].copy_from_slice(bytes);
    out
}

/// MurmurHash3_x86_32, seed 0.
pub(super) fn x86_32(data: &[u8]) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mix = |k: u32| k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    let mut h: u32 = 0;
    let blocks = data.chunks_exact(4);
    let tail = blocks.remainder();
    for block in blocks {
        h ^= mix(u32::from_le_bytes(le::<4>(block)));
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    if !tail.is_empty() {
        h ^= mix(u32::from_le_bytes(le::<4>(tail)));
    }
    fmix32(h ^ data.len() as u32)
}

/// MurmurHash3_x64_128, seed 0: (h1, h2).
pub(super) fn x64_128(data: &[u8]) -> (u64, u64) {
    const C1: u64 = 0x87c3_7b91_1142_53d5;
    const C2: u64 = 0x4cf5_ad43_2745_937f;
    let mix1 = |k: u64| k.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
    let mix2 = |k: u64| k.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
    let (mut h1, mut h2) = (0u64, 0u64);
    let blocks = data.chunks_exact(16);
    let tail = blocks.remainder();
    for block in blocks {
        let (k1, k2) = (u64::from_le_bytes(le::<8>(&block[..8])), u64::from_le_bytes(le::<8>(&block[8..])));
        h1 ^= mix1(k1);
        h1 = h1.rotate_left(27).wrapping_add(h2).wrapping_mul(5).wrapping_add(0x52dc_e729);
        h2 ^= mix2(k2);
        h2 = h2.rotate_left(31).wrapping_add(h1).wrapping_mul(5).wrapping_add(0x3849_5ab5);
    }
    if tail.len() > 8 {
        h2 ^= mix2(u64::from_le_bytes(le::<8>(&tail[8..])));
    }
    if !tail.is_empty() {
        h1 ^= mix1(u64::from_le_bytes(le::<8>(&tail[..tail.len().min(8)])));
    }
    let len = data.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (h1, h2)
}
