//! Converters and editors over maps and lists as collections: `Keys`,
//! `Values`, `IsEmpty`, `Coalesce`, `ContainsValue`, `Index`,
//! `ToKeyValueString`, and the editors `delete_index` and `stringify_all`.

use base64::Engine;

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, go_float, lit_str, opt_bool, want_int, want_map, Made};

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef {
        name: "delete_index",
        params: &[Param::required("target", Path), Param::required("startIndex", Value), Param::optional("endIndex", Value)],
        make: delete_index,
    },
    FunctionDef { name: "stringify_all", params: &[Param::required("target", Path)], make: stringify_all },
    FunctionDef { name: "Keys", params: &[Param::required("target", Value)], make: |_| keys_or_values(true) },
    FunctionDef { name: "Values", params: &[Param::required("target", Value)], make: |_| keys_or_values(false) },
    FunctionDef { name: "IsEmpty", params: &[Param::required("value", Value)], make: is_empty },
    FunctionDef { name: "Coalesce", params: &[Param::required("values", Value)], make: coalesce },
    FunctionDef { name: "ContainsValue", params: &[Param::required("target", Value), Param::required("item", Value)], make: contains_value },
    FunctionDef { name: "Index", params: &[Param::required("target", Value), Param::required("value", Value)], make: index },
    FunctionDef {
        name: "ToKeyValueString",
        params: &[
            Param::required("target", Value),
            Param::optional("delimiter", Str),
            Param::optional("pair_delimiter", Str),
            Param::optional("sort_output", Value),
        ],
        make: to_key_value_string,
    },
];

/// pdata's `Value.AsString`: numbers and bools as text, maps and lists as
/// JSON, bytes as base64, nil as the empty string.
pub(super) fn as_string(v: &Value) -> Result<String, String> {
    Ok(match v {
        Value::Nil => String::new(),
        Value::Str(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) | Value::Duration(n) => n.to_string(),
        Value::Double(f) => go_float(*f),
        Value::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
        Value::Map(_) | Value::List(_) => super::json::to_json(v)?,
        Value::Time(ns) => super::time::rfc3339_nano(*ns),
    })
}

/// OTTL's comparison rules for equality: ints and doubles compare as
/// numbers, everything else by type and value.
pub(super) fn ottl_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Double(y)) | (Value::Double(y), Value::Int(x)) => (*x as f64) == *y,
        _ => a == b,
    }
}

fn delete_index(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let mut items = match args.get(0)? {
            Value::List(items) => items,
            other => return Err(format!("target must be a slice but got {}", other.type_name())),
        };
        let len = items.len() as i64;
        let start = want_int(args.get(1)?)?;
        let end = if args.present(2) { want_int(args.get(2)?)? } else { start + 1 };
        if start < 0 || start >= len {
            return Err(format!("startIndex {start} out of bounds for slice of length {len}"));
        }
        if end < start || end > len {
            return Err(format!("endIndex {end} out of bounds (startIndex {start}, length {len})"));
        }
        if start == end {
            return Ok(Value::Nil);
        }
        items.drain(start as usize..end as usize);
        args.set(0, Value::List(items))?;
        Ok(Value::Nil)
    })
}

fn stringify_all(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let mut m = want_map(args.get(0)?)?;
        for (_, v) in m.iter_mut() {
            if !matches!(v, Value::Str(_)) {
                *v = Value::Str(as_string(v)?);
            }
        }
        args.set(0, Value::Map(m))?;
        Ok(Value::Nil)
    })
}

fn keys_or_values(keys: bool) -> Made {
    func(move |args| {
        let m = want_map(args.get(0)?)?;
        Ok(Value::List(m.into_iter().map(|(k, v)| if keys { Value::Str(k) } else { v }).collect()))
    })
}

/// Nil, and any value equal to its type's zero value or with no items.
fn is_empty(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let empty = match args.get(0)? {
            Value::Nil => true,
            Value::Bool(b) => !b,
            Value::Int(n) | Value::Time(n) | Value::Duration(n) => n == 0,
            Value::Double(f) => f == 0.0,
            Value::Str(s) => s.is_empty(),
            Value::Bytes(b) => b.is_empty(),
            Value::Map(m) => m.is_empty(),
            Value::List(l) => l.is_empty(),
        };
        Ok(Value::Bool(empty))
    })
}

fn want_list(v: Value) -> Result<Vec<Value>, String> {
    match v {
        Value::List(items) => Ok(items),
        other => Err(format!("expected a list but got {}", other.type_name())),
    }
}

fn coalesce(_: &CompileArgs<'_>) -> Made {
    func(|args| Ok(want_list(args.get(0)?)?.into_iter().find(|v| !v.is_nil()).unwrap_or_default()))
}

fn contains_value(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let items = want_list(args.get(0)?)?;
        let item = args.get(1)?;
        Ok(Value::Bool(items.iter().any(|v| ottl_eq(v, &item))))
    })
}

/// The byte offset of a substring, or the position of an item; -1 if absent.
fn index(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let found = match (args.get(0)?, args.get(1)?) {
            (Value::Str(s), Value::Str(v)) => s.find(v.as_str()),
            (Value::Str(_), other) => return Err(format!("value must be a string when target is a string, got {}", other.type_name())),
            (Value::List(items), v) => items.iter().position(|i| ottl_eq(i, &v)),
            (other, _) => return Err(format!("target must be a string or a slice but got {}", other.type_name())),
        };
        Ok(Value::Int(found.map_or(-1, |i| i as i64)))
    })
}

/// A map as `k1=v1 k2=v2`: values as pdata prints them, a `"` escaped, and
/// a key or value holding either delimiter double-quoted.
fn to_key_value_string(c: &CompileArgs<'_>) -> Made {
    let delimiter = lit_str(c, 1).unwrap_or("=").to_owned();
    let pair_delimiter = lit_str(c, 2).unwrap_or(" ").to_owned();
    if delimiter.is_empty() {
        return Err((1, "delimiter cannot be set to an empty string".into()));
    }
    if pair_delimiter.is_empty() {
        return Err((2, "pair delimiter cannot be set to an empty string".into()));
    }
    if delimiter == pair_delimiter {
        return Err((2, format!("pair delimiter {pair_delimiter:?} cannot be equal to delimiter {delimiter:?}")));
    }
    func(move |args| {
        let mut m = want_map(args.get(0)?)?;
        if opt_bool(args, 3, false)? {
            m.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let quote = |s: &str| {
            let s = s.replace('"', "\\\"");
            if s.contains(&pair_delimiter) || s.contains(&delimiter) {
                format!("\"{s}\"")
            } else {
                s
            }
        };
        let mut out = Vec::with_capacity(m.len());
        for (k, v) in &m {
            out.push(format!("{}{delimiter}{}", quote(k), quote(&as_string(v)?)));
        }
        Ok(Value::Str(out.join(&pair_delimiter)))
    })
}
