//! `XXH3` and `XXH128`: xxHash's XXH3 family (seed 0) of a string, as
//! lower-case hex of the hash's big-endian bytes, the way the Collector
//! prints them (for the 128-bit hash, the high half first: xxHash's
//! canonical form). Unlike the SHA and MD5 converters, an empty string is
//! hashed too, as the Collector's code does.

use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

use super::super::function::{FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, hex, want_str};

const VALUE: &[Param] = &[Param::required("value", Value)];

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "XXH3", params: VALUE, make: |_| func(|args| Ok(Value::Str(hex(&xxh3_64(want_str(args.get(0)?)?.as_bytes()).to_be_bytes())))) },
    FunctionDef { name: "XXH128", params: VALUE, make: |_| func(|args| Ok(Value::Str(hex(&xxh3_128(want_str(args.get(0)?)?.as_bytes()).to_be_bytes())))) },
];
