//! What many functions share: reading literal arguments at load time, the
//! Collector's getter conversions (`StringGetter`, `StringLikeGetter`,
//! `PMapGetter`) at run time, and Go's number formatting, so every function
//! converts the same value to the same text.

use super::super::function::{Args, CompileArgs, Function};
use super::super::plan::Primitive;
use super::super::value::Value;

/// What a factory returns.
pub(super) type Made = Result<Box<dyn Function>, (usize, String)>;

/// A call site whose state is captured by a closure.
struct Closure<F>(F);

impl<F> Function for Closure<F>
where
    F: Fn(&mut dyn Args) -> Result<Value, String> + Send + Sync,
{
    fn call(&self, args: &mut dyn Args) -> Result<Value, String> {
        (self.0)(args)
    }
}

/// A call site that also says what it does ([`Function::primitive`]).
struct Described<F>(Primitive, F);

impl<F> Function for Described<F>
where
    F: Fn(&mut dyn Args) -> Result<Value, String> + Send + Sync,
{
    fn call(&self, args: &mut dyn Args) -> Result<Value, String> {
        (self.1)(args)
    }

    fn primitive(&self) -> Option<&Primitive> {
        Some(&self.0)
    }
}

/// Wraps a closure as a compiled call site that a context may also run
/// as `primitive`, which must do exactly what the closure does.
pub(super) fn described<F>(primitive: Primitive, f: F) -> Made
where
    F: Fn(&mut dyn Args) -> Result<Value, String> + Send + Sync + 'static,
{
    Ok(Box::new(Described(primitive, f)))
}

/// Wraps a closure as a compiled call site.
pub(super) fn func<F>(f: F) -> Made
where
    F: Fn(&mut dyn Args) -> Result<Value, String> + Send + Sync + 'static,
{
    Ok(Box::new(Closure(f)))
}

/// The literal string at parameter `i`, if one was given.
pub(super) fn lit_str<'a>(c: &'a CompileArgs<'_>, i: usize) -> Option<&'a str> {
    match c.literals.get(i) {
        Some(Some(Value::Str(s))) => Some(s),
        _ => None,
    }
}

/// The literal int at parameter `i`, if one was given.
pub(super) fn lit_int(c: &CompileArgs<'_>, i: usize) -> Option<i64> {
    match c.literals.get(i) {
        Some(Some(Value::Int(n))) => Some(*n),
        _ => None,
    }
}

/// The literal list of strings at parameter `i` (`keep_keys`' keys).
pub(super) fn lit_str_list(c: &CompileArgs<'_>, i: usize) -> Vec<String> {
    match c.literals.get(i) {
        Some(Some(Value::List(items))) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(Some(Value::Str(s))) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Compiles the regex literal at parameter `i`; a bad pattern is a load
/// error on that argument, worded as the Collector words it.
pub(super) fn lit_regex(c: &CompileArgs<'_>, i: usize, function: &str) -> Result<regex::Regex, (usize, String)> {
    let pattern = lit_str(c, i).ok_or((i, format!("{function}: the pattern must be a string literal")))?;
    regex::Regex::new(&crate::re2::translate(pattern)).map_err(|e| (i, format!("the regex pattern supplied to {function} is not a valid pattern: {e}")))
}

pub(super) fn want_str(v: Value) -> Result<String, String> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(format!("expected string but got {}", other.type_name())),
    }
}

/// The Collector's `PMapGetter`.
pub(super) fn want_map(v: Value) -> Result<Vec<(String, Value)>, String> {
    crate::ottl::context::expect_map(v)
}

/// The Collector's `IntGetter`.
pub(super) fn want_int(v: Value) -> Result<i64, String> {
    match v {
        Value::Int(n) => Ok(n),
        other => Err(format!("expected int64 but got {}", other.type_name())),
    }
}

/// An optional bool argument, `default` when left out.
pub(super) fn opt_bool(args: &mut dyn Args, i: usize, default: bool) -> Result<bool, String> {
    if !args.present(i) {
        return Ok(default);
    }
    match args.get(i)? {
        Value::Bool(b) => Ok(b),
        other => Err(format!("expected bool but got {}", other.type_name())),
    }
}

/// An optional string argument, `None` when left out.
pub(super) fn opt_str(args: &mut dyn Args, i: usize) -> Result<Option<String>, String> {
    if !args.present(i) {
        return Ok(None);
    }
    want_str(args.get(i)?).map(Some)
}

/// The Collector's `StringLikeGetter`: the text a value converts to, `None`
/// for nil. Bytes are hex, maps and lists JSON, numbers as Go prints them.
pub(super) fn string_like(v: &Value) -> Result<Option<String>, String> {
    Ok(Some(match v {
        Value::Nil => return Ok(None),
        Value::Str(s) => s.clone(),
        Value::Bytes(b) => hex(b),
        Value::Map(_) | Value::List(_) | Value::Double(_) => super::json::to_json(v)?,
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Time(ns) => format!("\"{}\"", super::time::rfc3339_nano(*ns)),
        Value::Duration(ns) => ns.to_string(),
    }))
}

/// Lower-case hex, as Go's `hex.EncodeToString`.
pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// Decodes hex of either case; `None` on an odd length or a non-hex digit.
pub(super) fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() & 1 == 1 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.as_bytes().chunks(2).map(|p| Some(digit(p[0])? << 4 | digit(p[1])?)).collect()
}

/// A float as Go's `strconv.FormatFloat(f, 'f', -1, 64)` prints it: the
/// shortest digits that read back the same, never an exponent.
pub(super) fn go_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{f}")
    }
}

/// Replaces a map entry or appends it, keeping the map's order.
pub(super) fn map_put(m: &mut Vec<(String, Value)>, key: &str, v: Value) {
    match m.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = v,
        None => m.push((key.to_owned(), v)),
    }
}
