//! JSON both ways, as the Collector does it. Writing follows Go's
//! `json.Marshal` of a map's raw form (keys sorted, `<>&` escaped, bytes as
//! base64, floats in Go's notation) so `String(attributes)` and `Concat`
//! print the text a Collector prints. Reading builds [`Value`]s straight
//! from the parser, keeping a document's key order, with every number a
//! double as `ParseJSON` documents.

use std::fmt;

use base64::Engine;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::super::value::Value;
use super::common::go_float;

/// The JSON text of a value, or Go's error for a value JSON cannot hold.
pub(super) fn to_json(v: &Value) -> Result<String, String> {
    let mut out = String::new();
    write(&mut out, v)?;
    Ok(out)
}

fn write(out: &mut String, v: &Value) -> Result<(), String> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) | Value::Duration(n) => out.push_str(&n.to_string()),
        Value::Double(f) => out.push_str(&json_float(*f)?),
        Value::Str(s) => write_str(out, s),
        Value::Bytes(b) => write_str(out, &base64::engine::general_purpose::STANDARD.encode(b)),
        Value::Time(ns) => write_str(out, &super::time::rfc3339_nano(*ns)),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item)?;
            }
            out.push(']');
        }
        Value::Map(entries) => {
            // Go marshals a map with its keys sorted.
            let mut sorted: Vec<&(String, Value)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write(out, item)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Go's float encoder: plain digits between 1e-6 and 1e21, else an
/// exponent written `1e+21` / `1e-7`.
pub(super) fn json_float(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        return Err(format!("json: unsupported value: {}", go_float(f)));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        return Ok(match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        });
    }
    Ok(go_float(f))
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses JSON text to a [`Value`]; the error is the parser's.
pub(super) fn parse(text: &str) -> Result<Value, String> {
    serde_json::from_str::<Json>(text).map(|j| j.0).map_err(|e| e.to_string())
}

/// A [`Value`] read by serde, so no intermediate `serde_json::Value` (and
/// no reordering of keys) happens.
struct Json(Value);

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor).map(Json)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Double(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Double(n as f64))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Double(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Str(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::Str(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Json(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        while let Some((k, Json(v))) = map.next_entry::<String, Json>()? {
            // A repeated key keeps its last value, as Go's decoder does.
            super::common::map_put(&mut entries, &k, v);
        }
        Ok(Value::Map(entries))
    }
}
