//! Typed fields: the checks a write to a scalar field makes, and the
//! forms of ids, times and span kinds.
//!
//! A write of the wrong type to a typed field is an error, as in the
//! current Collector (`expects string but got int64`); so is nil, which a
//! scalar cannot hold. The error mode then decides whether that stops
//! anything.

use solder_syntax::ottl::Value;

fn expected(want: &str, got: &Value) -> String {
    match got {
        Value::Nil => "setting a value to nil is not supported".to_string(),
        other => format!("expects {want} but got {}", other.type_name()),
    }
}

pub(crate) fn string(v: Value) -> Result<String, String> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(expected("string", &other)),
    }
}

pub(crate) fn int(v: Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(i),
        other => Err(expected("int64", &other)),
    }
}

pub(crate) fn double(v: Value) -> Result<f64, String> {
    match v {
        Value::Double(d) => Ok(d),
        other => Err(expected("float64", &other)),
    }
}

pub(crate) fn boolean(v: Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(b),
        other => Err(expected("bool", &other)),
    }
}

/// A `time.Time` write, as nanoseconds since the epoch.
pub(crate) fn time(v: Value) -> Result<u64, String> {
    match v {
        Value::Time(ns) => Ok(ns as u64),
        other => Err(expected("time.Time", &other)),
    }
}

/// A count or flag field: pdata keeps the low 32 bits, as Go's conversion does.
pub(crate) fn uint32(v: Value) -> Result<u32, String> {
    int(v).map(|i| i as u32)
}

/// An id as pdata holds it: always `N` bytes, zeros when the wire field is
/// empty, so `trace_id == TraceID(0x00...)` finds unset ids.
pub(crate) fn id<const N: usize>(raw: &[u8]) -> Value {
    if raw.len() == N {
        Value::Bytes(raw.to_vec())
    } else {
        Value::Bytes(vec![0; N])
    }
}

pub(crate) fn id_hex<const N: usize>(raw: &[u8]) -> Value {
    let zeros = [0u8; N];
    Value::Str(hex::encode(if raw.len() == N { raw } else { &zeros[..] }))
}

/// Writes an id from `TraceID(...)`/`SpanID(...)` bytes. An all-zero id is
/// stored as an empty field, as pdata encodes it.
pub(crate) fn set_id<const N: usize>(raw: &mut Vec<u8>, v: Value, what: &str) -> Result<(), String> {
    match v {
        Value::Bytes(b) if b.len() == N => {
            *raw = if b.iter().all(|&x| x == 0) { Vec::new() } else { b };
            Ok(())
        }
        other => Err(expected(what, &other)),
    }
}

/// Writes an id from its hex form, refusing anything but exactly `2N` hex digits.
pub(crate) fn set_id_hex<const N: usize>(raw: &mut Vec<u8>, v: Value, what: &str) -> Result<(), String> {
    let s = string(v)?;
    if s.len() != 2 * N {
        return Err(format!("{what} ids must be {} hex characters", 2 * N));
    }
    let bytes = hex::decode(&s).map_err(|e| format!("encoding/hex: {e}"))?;
    set_id::<N>(raw, Value::Bytes(bytes), what)
}

/// `kind.string` names, in `SpanKind` order.
const KIND_NAMES: [&str; 6] = ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"];
const KIND_SYMBOLS: [&str; 6] =
    ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"];

/// A kind's name; pdata prints an unknown kind as the empty string.
pub(crate) fn kind_string(kind: i32, deprecated: bool) -> Value {
    let names = if deprecated { &KIND_SYMBOLS } else { &KIND_NAMES };
    Value::str(usize::try_from(kind).ok().and_then(|k| names.get(k)).copied().unwrap_or(""))
}

pub(crate) fn parse_kind(v: Value, deprecated: bool) -> Result<i32, String> {
    let s = string(v)?;
    let names = if deprecated { &KIND_SYMBOLS } else { &KIND_NAMES };
    match names.iter().position(|n| *n == s) {
        Some(k) => Ok(k as i32),
        None if deprecated => Err(format!("unknown span kind deprecated string, {s}")),
        None => Err(format!("unknown span kind string, {s}")),
    }
}
