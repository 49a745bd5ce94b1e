//! Values rendered the way the Collector's Go code renders them, so that
//! debug output reads (and diffs) the same as the Collector's and Alloy's:
//! `Str(foo)`, Go's `time.Time` strings, `%f` and `%v` floats, hex IDs.

use std::fmt::Write;

use crate::otlp::proto::common::v1::{any_value::Value as V, AnyValue, KeyValue};

/// `Type(value)`, as pdata's `Value.Type()` and `Value.AsString()`.
pub fn typed(v: Option<&AnyValue>) -> String {
    format!("{}({})", type_name(v), as_string(v))
}

fn type_name(v: Option<&AnyValue>) -> &'static str {
    match v.and_then(|v| v.value.as_ref()) {
        Some(V::StringValue(_)) => "Str",
        Some(V::BoolValue(_)) => "Bool",
        Some(V::IntValue(_)) => "Int",
        Some(V::DoubleValue(_)) => "Double",
        Some(V::ArrayValue(_)) => "Slice",
        Some(V::KvlistValue(_)) => "Map",
        Some(V::BytesValue(_)) => "Bytes",
        Some(V::StringValueStrindex(_)) | None => "Empty",
    }
}

/// pdata's `Value.AsString()`: strings as they are, numbers as JSON would
/// write them, bytes in base64, maps and slices as JSON.
pub fn as_string(v: Option<&AnyValue>) -> String {
    match v.and_then(|v| v.value.as_ref()) {
        Some(V::StringValue(s)) => s.clone(),
        Some(V::BoolValue(b)) => b.to_string(),
        Some(V::IntValue(i)) => i.to_string(),
        Some(V::DoubleValue(f)) => json_float(*f),
        Some(V::BytesValue(b)) => base64(b),
        Some(V::ArrayValue(_) | V::KvlistValue(_)) => {
            let mut out = String::new();
            json(v, &mut out);
            out
        }
        Some(V::StringValueStrindex(_)) | None => String::new(),
    }
}

/// Go's `encoding/json` for pdata's `AsRaw()`: map keys sorted (the last
/// of duplicate keys wins), HTML characters escaped.
fn json(v: Option<&AnyValue>, out: &mut String) {
    match v.and_then(|v| v.value.as_ref()) {
        Some(V::StringValue(s)) => json_string(s, out),
        Some(V::BoolValue(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(V::IntValue(i)) => out.push_str(&i.to_string()),
        Some(V::DoubleValue(f)) => out.push_str(&json_float(*f)),
        Some(V::BytesValue(b)) => json_string(&base64(b), out),
        Some(V::ArrayValue(a)) => {
            out.push('[');
            for (i, item) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json(Some(item), out);
            }
            out.push(']');
        }
        Some(V::KvlistValue(m)) => {
            let sorted: std::collections::BTreeMap<&str, Option<&AnyValue>> = m.values.iter().map(|kv| (kv.key.as_str(), kv.value.as_ref())).collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                json(v, out);
            }
            out.push('}');
        }
        Some(V::StringValueStrindex(_)) | None => out.push_str("null"),
    }
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A float as Go's JSON encoder writes it: the shortest exact digits, in
/// exponent form only below 1e-6 or from 1e21.
pub fn json_float(f: f64) -> String {
    if !f.is_finite() {
        return format!("json: unsupported value: {}", go_special(f));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let (mantissa, exp) = split_exp(f);
        if exp < 0 {
            format!("{mantissa}e{exp}")
        } else {
            format!("{mantissa}e+{exp}")
        }
    } else {
        format!("{f}")
    }
}

/// Go's `%v` for a float64: shortest digits, exponent form (two digits at
/// least) below 1e-4 or from 1e6, so a million prints as `1e+06`.
pub fn go_v(f: f64) -> String {
    if !f.is_finite() {
        return go_special(f).to_string();
    }
    if f == 0.0 {
        return format!("{f}");
    }
    let (mantissa, exp) = split_exp(f);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

/// Go's `%f`: six decimals.
pub fn go_f(f: f64) -> String {
    if f.is_finite() {
        format!("{f:.6}")
    } else {
        go_special(f).to_string()
    }
}

fn go_special(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "+Inf"
    } else {
        "-Inf"
    }
}

/// The shortest mantissa and the decimal exponent, from Rust's `{:e}`.
fn split_exp(f: f64) -> (String, i32) {
    let s = format!("{f:e}");
    match s.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse().unwrap_or(0)),
        None => (s, 0),
    }
}

/// A trace or span ID as pdata prints it: lowercase hex, and nothing for
/// an empty (all-zero) ID.
pub fn id(bytes: &[u8]) -> String {
    if bytes.iter().all(|b| *b == 0) {
        String::new()
    } else {
        hex::encode(bytes)
    }
}

/// A Unix-nanosecond timestamp as Go's `time.Time.String()` in UTC:
/// `2024-01-02 03:04:05.123456789 +0000 UTC`, trailing zeros trimmed.
pub fn timestamp(unix_nanos: u64) -> String {
    let secs = unix_nanos / 1_000_000_000;
    let nanos = unix_nanos % 1_000_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = crate::calendar::civil_from_days(days);
    let mut out = format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, rem / 60 % 60, rem % 60);
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        let _ = write!(out, ".{}", frac.trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
    out
}

/// Standard base64 with padding, as Go's `base64.StdEncoding`.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `key=value` pairs, as the normal verbosity writes attributes.
pub fn pairs(attrs: &[KeyValue]) -> Vec<String> {
    attrs.iter().map(|kv| format!("{}={}", kv.key, as_string(kv.value.as_ref()))).collect()
}

pub fn span_kind(kind: i32) -> &'static str {
    ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"].get(kind as usize).copied().unwrap_or("")
}

pub fn status_code(code: i32) -> &'static str {
    ["Unset", "Ok", "Error"].get(code as usize).copied().unwrap_or("")
}

pub fn temporality(t: i32) -> &'static str {
    ["Unspecified", "Delta", "Cumulative"].get(t as usize).copied().unwrap_or("")
}

pub fn severity(n: i32) -> &'static str {
    const NAMES: [&str; 25] = [
        "Unspecified",
        "Trace",
        "Trace2",
        "Trace3",
        "Trace4",
        "Debug",
        "Debug2",
        "Debug3",
        "Debug4",
        "Info",
        "Info2",
        "Info3",
        "Info4",
        "Warn",
        "Warn2",
        "Warn3",
        "Warn4",
        "Error",
        "Error2",
        "Error3",
        "Error4",
        "Fatal",
        "Fatal2",
        "Fatal3",
        "Fatal4",
    ];
    usize::try_from(n).ok().and_then(|i| NAMES.get(i)).copied().unwrap_or("")
}
