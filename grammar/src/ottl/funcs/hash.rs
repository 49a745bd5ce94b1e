//! Hash converters: `SHA1`, `SHA256`, `SHA512`, `MD5` (lower-case hex
//! digests) and `FNV` (FNV-1a 64, as an int64: the Collector returns the
//! unsigned sum reinterpreted as signed). An empty string hashes to the
//! empty string in every one of them, as the Collector's code does.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::super::function::{FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, hex, want_str, Made};

const VALUE: &[Param] = &[Param::required("value", Value)];

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "SHA1", params: VALUE, make: |_| digest(|s| hex(&Sha1::digest(s))) },
    FunctionDef { name: "SHA256", params: VALUE, make: |_| digest(|s| hex(&Sha256::digest(s))) },
    FunctionDef { name: "SHA512", params: &[Param::required("input", Value)], make: |_| digest(|s| hex(&Sha512::digest(s))) },
    FunctionDef { name: "MD5", params: VALUE, make: |_| digest(|s| hex(&Md5::digest(s))) },
    FunctionDef { name: "FNV", params: VALUE, make: |_| fnv_converter() },
];

fn digest(hash: fn(&[u8]) -> String) -> Made {
    func(move |args| {
        let s = want_str(args.get(0)?)?;
        if s.is_empty() {
            return Ok(Value::Str(s));
        }
        Ok(Value::Str(hash(s.as_bytes())))
    })
}

fn fnv_converter() -> Made {
    func(|args| {
        let s = want_str(args.get(0)?)?;
        if s.is_empty() {
            return Ok(Value::Str(s));
        }
        Ok(Value::Int(fnv1a64(s.as_bytes()) as i64))
    })
}

/// FNV-1a, 64 bits: xor the byte in, then multiply by the FNV prime.
pub(super) fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |h, &b| (h ^ b as u64).wrapping_mul(PRIME))
}
