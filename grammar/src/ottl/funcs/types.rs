//! Type tests and conversions: the `Is*` family, `Int`, `Double`, `Bool`,
//! `String`, `ParseInt`, `Log`, `Hex`, `IsInCIDR`, and the id constructors
//! `TraceID` and `SpanID`.
//!
//! The conversions never fail on a value they cannot convert: they return
//! nil, as the Collector documents, so `set(x, Int(y))` on a bad `y` is a
//! no-op rather than an error.

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, string_like, unhex, want_int, want_str, Made};

const VALUE: &[Param] = &[Param::required("value", Value)];
const BYTES: &[Param] = &[Param::required("bytes", Value)];

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "IsString", params: VALUE, make: |_| test(|v| matches!(v, Value::Str(_))) },
    FunctionDef { name: "IsInt", params: VALUE, make: |_| test(|v| matches!(v, Value::Int(_))) },
    FunctionDef { name: "IsDouble", params: VALUE, make: |_| test(|v| matches!(v, Value::Double(_))) },
    FunctionDef { name: "IsBool", params: VALUE, make: |_| test(|v| matches!(v, Value::Bool(_))) },
    FunctionDef { name: "IsMap", params: VALUE, make: |_| test(|v| matches!(v, Value::Map(_))) },
    FunctionDef { name: "IsList", params: VALUE, make: |_| test(|v| matches!(v, Value::List(_))) },
    FunctionDef { name: "Int", params: VALUE, make: int },
    FunctionDef { name: "Double", params: VALUE, make: double },
    FunctionDef { name: "Bool", params: VALUE, make: boolean },
    FunctionDef { name: "String", params: VALUE, make: string },
    FunctionDef { name: "TraceID", params: BYTES, make: |_| id(16, "traces ids") },
    FunctionDef { name: "SpanID", params: BYTES, make: |_| id(8, "span ids") },
    FunctionDef { name: "ParseInt", params: &[Param::required("target", Value), Param::required("base", Value)], make: parse_int },
    FunctionDef { name: "Log", params: &[Param::required("value", Value)], make: log },
    FunctionDef { name: "Hex", params: &[Param::required("value", Value)], make: hex_converter },
    FunctionDef { name: "IsInCIDR", params: &[Param::required("target", Value), Param::required("networks", Value)], make: is_in_cidr },
];

fn test(is: fn(&Value) -> bool) -> Made {
    func(move |args| Ok(Value::Bool(is(&args.get(0)?))))
}

/// Doubles truncate toward zero, strings parse as base-10 integers
/// (`"2.0"` is nil), bools are 0 or 1.
fn int(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        Ok(match args.get(0)? {
            Value::Int(n) => Value::Int(n),
            Value::Double(f) => Value::Int(f.trunc() as i64),
            Value::Bool(b) => Value::Int(b as i64),
            Value::Str(s) => s.parse::<i64>().map_or(Value::Nil, Value::Int),
            _ => Value::Nil,
        })
    })
}

fn double(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        Ok(match args.get(0)? {
            Value::Double(f) => Value::Double(f),
            Value::Int(n) => Value::Double(n as f64),
            Value::Bool(b) => Value::Double(if b { 1.0 } else { 0.0 }),
            Value::Str(s) => s.parse::<f64>().map_or(Value::Nil, Value::Double),
            _ => Value::Nil,
        })
    })
}

/// Strings as Go's `strconv.ParseBool` reads them.
fn boolean(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        Ok(match args.get(0)? {
            Value::Bool(b) => Value::Bool(b),
            Value::Int(n) => Value::Bool(n != 0),
            Value::Double(f) => Value::Bool(f != 0.0),
            Value::Str(s) => match s.as_str() {
                "1" | "t" | "T" | "true" | "TRUE" | "True" => Value::Bool(true),
                "0" | "f" | "F" | "false" | "FALSE" | "False" => Value::Bool(false),
                _ => Value::Nil,
            },
            _ => Value::Nil,
        })
    })
}

/// The `StringLikeGetter` text: bytes as hex, maps and lists as JSON.
fn string(_: &CompileArgs<'_>) -> Made {
    func(|args| Ok(string_like(&args.get(0)?)?.map_or(Value::Nil, Value::Str)))
}

/// An id from exactly `len` bytes or `2 * len` hex digits.
fn id(len: usize, what: &'static str) -> Made {
    func(move |args| match args.get(0)? {
        Value::Bytes(b) if b.len() == len => Ok(Value::Bytes(b)),
        Value::Bytes(_) => Err(format!("{what} must be {len} bytes")),
        Value::Str(s) => match unhex(&s) {
            Some(b) if b.len() == len => Ok(Value::Bytes(b)),
            _ => Err(format!("{what} must be {} hex characters", len * 2)),
        },
        other => Err(format!("unsupported type: {}", other.type_name())),
    })
}

/// Go's `strconv.ParseInt`: base 2 to 36, or 0 to read the base from a
/// `0b`, `0o`, `0` or `0x` prefix (where `_` may separate digits).
fn parse_int(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let target = want_str(args.get(0)?)?;
        let base = want_int(args.get(1)?)?;
        let invalid = || format!("strconv.ParseInt: parsing {target:?}: invalid syntax");
        if base != 0 && !(2..=36).contains(&base) {
            return Err(format!("strconv.ParseInt: parsing {target:?}: invalid base {base}"));
        }
        let (neg, body) = match target.as_bytes().first() {
            Some(b'-') => (true, &target[1..]),
            Some(b'+') => (false, &target[1..]),
            _ => (false, target.as_str()),
        };
        let (radix, digits) = if base != 0 {
            (base as u32, body.to_owned())
        } else {
            let lower = body.to_ascii_lowercase();
            let (radix, rest) = if lower.starts_with("0x") {
                (16, &body[2..])
            } else if lower.starts_with("0b") {
                (2, &body[2..])
            } else if lower.starts_with("0o") {
                (8, &body[2..])
            } else if body.len() > 1 && body.starts_with('0') {
                (8, &body[1..])
            } else {
                (10, body)
            };
            (radix, rest.replace('_', ""))
        };
        if digits.is_empty() || digits.starts_with(['+', '-']) {
            return Err(invalid());
        }
        let magnitude = u64::from_str_radix(&digits, radix).map_err(|_| invalid())?;
        let n = if neg { 0i64.checked_sub_unsigned(magnitude) } else { i64::try_from(magnitude).ok() };
        n.map(Value::Int).ok_or_else(|| format!("strconv.ParseInt: parsing {target:?}: value out of range"))
    })
}

/// The natural logarithm of a number, numeric string or bool.
fn log(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let x = match args.get(0)? {
            Value::Double(f) => f,
            Value::Int(n) => n as f64,
            Value::Bool(b) => f64::from(u8::from(b)),
            Value::Str(s) => s.parse::<f64>().map_err(|_| format!("strconv.ParseFloat: parsing {s:?}: invalid syntax"))?,
            other => return Err(format!("unsupported type: {}", other.type_name())),
        };
        if x <= 0.0 {
            return Err("value must be greater than zero".into());
        }
        Ok(Value::Double(x.ln()))
    })
}

/// Whether an IP address lies in any of the CIDR networks. A target that
/// is not an IP address is in none; a malformed network is an error.
fn is_in_cidr(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let target = want_str(args.get(0)?)?;
        let networks = match args.get(1)? {
            Value::List(items) => items,
            other => return Err(format!("expected a list of networks but got {}", other.type_name())),
        };
        let ip: Option<std::net::IpAddr> = target.parse().ok();
        for network in networks {
            let network = want_str(network)?;
            let bad = || format!("invalid CIDR address: {network}");
            let (addr, bits) = network.split_once('/').ok_or_else(bad)?;
            let addr: std::net::IpAddr = addr.parse().map_err(|_| bad())?;
            let bits: u32 = bits.parse().map_err(|_| bad())?;
            let hit = match (ip, addr) {
                (Some(std::net::IpAddr::V4(a)), std::net::IpAddr::V4(n)) if bits <= 32 => prefix_eq(u32::from(a).into(), u32::from(n).into(), 32, bits),
                (Some(std::net::IpAddr::V6(a)), std::net::IpAddr::V6(n)) if bits <= 128 => prefix_eq(u128::from(a), u128::from(n), 128, bits),
                (_, std::net::IpAddr::V4(_)) if bits > 32 => return Err(bad()),
                (_, _) if bits > 128 => return Err(bad()),
                _ => false,
            };
            if hit {
                return Ok(Value::Bool(true));
            }
        }
        Ok(Value::Bool(false))
    })
}

fn prefix_eq(a: u128, n: u128, width: u32, bits: u32) -> bool {
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (a >> shift) == (n >> shift)
}

/// The hex of a value's bytes as the Collector's `ByteSliceLikeGetter`
/// reads them: bytes as they are, a string's UTF-8, and ints, doubles and
/// bools in their big-endian binary form (8, 8 and 1 bytes). Nil stays nil.
fn hex_converter(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let bytes = match args.get(0)? {
            Value::Nil => return Ok(Value::Nil),
            Value::Bytes(b) => b,
            Value::Str(s) => s.into_bytes(),
            Value::Int(n) => n.to_be_bytes().to_vec(),
            Value::Double(f) => f.to_bits().to_be_bytes().to_vec(),
            Value::Bool(b) => vec![u8::from(b)],
            other => return Err(format!("unsupported type: {}", other.type_name())),
        };
        Ok(Value::Str(super::common::hex(&bytes)))
    })
}
