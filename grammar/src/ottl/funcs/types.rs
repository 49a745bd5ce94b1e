//! Type tests and conversions: the `Is*` family, `Int`, `Double`, `Bool`,
//! `String`, and the id constructors `TraceID` and `SpanID`.
//!
//! The conversions never fail on a value they cannot convert: they return
//! nil, as the Collector documents, so `set(x, Int(y))` on a bad `y` is a
//! no-op rather than an error.

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, string_like, unhex, Made};

const VALUE: &[Param] = &[Param::required("value", Value)];
const TARGET: &[Param] = &[Param::required("target", Value)];
const BYTES: &[Param] = &[Param::required("bytes", Value)];

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "IsString", params: VALUE, make: |_| test(|v| matches!(v, Value::Str(_))) },
    FunctionDef { name: "IsInt", params: VALUE, make: |_| test(|v| matches!(v, Value::Int(_))) },
    FunctionDef { name: "IsDouble", params: VALUE, make: |_| test(|v| matches!(v, Value::Double(_))) },
    FunctionDef { name: "IsBool", params: VALUE, make: |_| test(|v| matches!(v, Value::Bool(_))) },
    FunctionDef { name: "IsMap", params: TARGET, make: |_| test(|v| matches!(v, Value::Map(_))) },
    FunctionDef { name: "IsList", params: TARGET, make: |_| test(|v| matches!(v, Value::List(_))) },
    FunctionDef { name: "Int", params: VALUE, make: int },
    FunctionDef { name: "Double", params: VALUE, make: double },
    FunctionDef { name: "Bool", params: VALUE, make: boolean },
    FunctionDef { name: "String", params: VALUE, make: string },
    FunctionDef { name: "TraceID", params: BYTES, make: |_| id(16, "traces ids") },
    FunctionDef { name: "SpanID", params: BYTES, make: |_| id(8, "span ids") },
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
