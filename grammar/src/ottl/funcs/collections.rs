//! Converters and editors over maps and lists as collections: `Keys`,
//! `Values`, `IsEmpty`, `Coalesce`, `ContainsValue`, `Index`,
//! `ToKeyValueString`, `SliceToMap`, `Sort`, and the editors `delete_index`
//! and `stringify_all`.

use base64::Engine;

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, go_float, lit_str, lit_str_list, opt_bool, want_int, want_map, Made};

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
    FunctionDef {
        name: "SliceToMap",
        params: &[Param::required("target", Value), Param::optional("keyPath", StrList), Param::optional("valuePath", StrList)],
        make: slice_to_map,
    },
    FunctionDef { name: "Sort", params: &[Param::required("target", Value), Param::optional("order", Str)], make: sort },
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

/// The value at a path of keys into nested maps.
fn at_path<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.map_get(k))
}

/// A list of maps to a map: keyed by the string at `keyPath` in each item
/// (or by its index), holding the value at `valuePath` (or the item).
fn slice_to_map(c: &CompileArgs<'_>) -> Made {
    let key_path = c.literals.get(1).and_then(Option::as_ref).map(|_| lit_str_list(c, 1));
    let value_path = c.literals.get(2).and_then(Option::as_ref).map(|_| lit_str_list(c, 2));
    func(move |args| {
        let items = want_list(args.get(0)?)?;
        let mut out: Vec<(String, Value)> = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            if !matches!(item, Value::Map(_)) {
                return Err(format!("could not cast element '{}' to map", item.type_name()));
            }
            let key = match &key_path {
                None => i.to_string(),
                Some(path) => match at_path(&item, path) {
                    Some(Value::Str(k)) => k.clone(),
                    Some(_) => return Err(format!("provided key path {path:?} does not resolve to a string")),
                    None => return Err(format!("could not extract key from element: provided path {path:?} does not exist")),
                },
            };
            let value = match &value_path {
                None => item,
                Some(path) => {
                    at_path(&item, path).cloned().ok_or_else(|| format!("could not extract value from element: provided path {path:?} does not exist"))?
                }
            };
            super::common::map_put(&mut out, &key, value);
        }
        Ok(Value::Map(out))
    })
}

/// Sorts a list, keeping each item's type: ints and doubles compare as
/// numbers, strings as strings, and a list mixing strings or bools with
/// other scalars compares every item's text. Other types are an error.
fn sort(c: &CompileArgs<'_>) -> Made {
    let desc = match lit_str(c, 1).unwrap_or("asc") {
        "asc" => false,
        "desc" => true,
        _ => return Err((1, "invalid 'order' argument, must be 'asc' or 'desc'".into())),
    };
    func(move |args| {
        let mut items = want_list(args.get(0)?)?;
        let numeric = items.iter().all(|v| matches!(v, Value::Int(_) | Value::Double(_)));
        if numeric {
            let num = |v: &Value| match v {
                Value::Int(n) => *n as f64,
                Value::Double(f) => *f,
                _ => 0.0,
            };
            items.sort_by(|a, b| match (a, b) {
                (Value::Int(x), Value::Int(y)) => x.cmp(y),
                _ => num(a).total_cmp(&num(b)),
            });
        } else {
            let mut keyed = Vec::with_capacity(items.len());
            for v in items {
                if !matches!(v, Value::Int(_) | Value::Double(_) | Value::Bool(_) | Value::Str(_)) {
                    return Err(format!("sort with unsupported type: '{}'", v.type_name()));
                }
                keyed.push((as_string(&v)?, v));
            }
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            items = keyed.into_iter().map(|(_, v)| v).collect();
        }
        if desc {
            items.reverse();
        }
        Ok(Value::List(items))
    })
}
