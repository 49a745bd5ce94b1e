//! `encoding.from_yaml`: the first YAML document of a string, decoded as
//! Alloy decodes it with Go's yaml.v3 into an `interface{}`.
//!
//! What that means, scalar by scalar:
//! - A quoted or block scalar is a string. A plain one is resolved: `null`,
//!   `~` or nothing is null; `true`/`false` (any of three casings) is a bool,
//!   but `yes`, `no`, `on` and `off` stay strings; `12`, `0x1F`, `0o17`,
//!   `017`, `0b101` and `1_000` are ints (uints past `i64::MAX`); `1.5`,
//!   `1e3` and `.5` are floats; anything else is a string.
//! - The core tags `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` and
//!   `!!binary` are obeyed, and a value that does not fit its tag is an
//!   error. Any other tag leaves the text a string.
//! - Anchors and aliases are expanded, and `<<` merges mappings in, the keys
//!   written in the mapping itself winning, then earlier merged ones.
//! - A key written twice in one mapping is an error.
//! - Only the first document is read; later ones are not even parsed.
//!
//! Where Solder differs, on purpose: keys that are not strings become their
//! Alloy spelling (`1: a` gives the key `"1"`, `? [1, 2]` the key
//! `"[1, 2]"`) where yaml.v3 would give Alloy a map it cannot hold;
//! timestamps stay the text they were written as; infinities and NaN are
//! errors, as Alloy numbers are finite; nesting deeper than 128 levels is an
//! error, as it is in `encoding.from_json`.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use crate::value::{Number, Value};

/// How deeply collections may nest, counting the outermost.
const MAX_DEPTH: usize = 128;

/// How many values alias expansion may produce in one document, so that a
/// few lines of nested aliases cannot ask for gigabytes.
const MAX_ALIASED_VALUES: usize = 1_000_000;

/// Decodes the first document of `src`; an empty string is null.
pub fn decode(src: &str) -> Result<Value, String> {
    let mut parser = Parser::new_from_str(src);
    let mut decoder = Decoder::default();
    loop {
        let (event, mark) = parser.next_token().map_err(|e| syntax_error(&e))?;
        match event {
            Event::StreamEnd | Event::DocumentEnd => break,
            event => decoder.event(event, mark)?,
        }
    }
    Ok(decoder.root.map(|node| node.value).unwrap_or(Value::Null))
}

fn syntax_error(e: &ScanError) -> String {
    let at = e.marker();
    format!("line {} column {}: {}", at.line(), at.col() + 1, e.info())
}

/// A finished value, with what the limits need to know about it.
#[derive(Clone)]
struct Node {
    value: Value,
    /// 1 for a scalar, one more than the deepest item for a collection.
    depth: usize,
    /// How many values it holds, itself included.
    size: usize,
}

/// A mapping key, already turned into the object key it will be.
struct Key {
    name: String,
    /// The key's text when it is a scalar: yaml.v3 calls two keys the same
    /// when they are written the same.
    written: Option<String>,
    merge: bool,
    line: usize,
}

/// A collection still being read.
enum Open {
    Seq { items: Vec<Value>, anchor: usize, depth: usize, size: usize },
    Map(Box<OpenMap>),
}

#[derive(Default)]
struct OpenMap {
    fields: BTreeMap<String, Value>,
    /// Line of each scalar key, by its text, to report a repeated one.
    written: HashMap<String, usize>,
    key: Option<Key>,
    /// The value of `<<`, merged in once the mapping ends.
    merge: Option<Value>,
    anchor: usize,
    depth: usize,
    size: usize,
}

#[derive(Default)]
struct Decoder {
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    aliased: usize,
    root: Option<Node>,
}

impl Decoder {
    fn event(&mut self, event: Event, mark: Marker) -> Result<(), String> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let merge = text == "<<" && is_merge_key(style, tag.as_ref());
                let key_text = text.clone();
                let value = scalar(text, style, tag.as_ref()).map_err(|e| format!("line {}: {e}", mark.line()))?;
                let node = Node { value, depth: 1, size: 1 };
                self.remember(anchor, &node);
                self.insert(node, Some(key_text), merge, mark)
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id) else {
                    return Err(format!("line {}: an alias refers to the value that contains it", mark.line()));
                };
                self.aliased += node.size;
                if self.aliased > MAX_ALIASED_VALUES {
                    return Err("document contains excessive aliasing".to_string());
                }
                let node = node.clone();
                self.insert(node, None, false, mark)
            }
            Event::SequenceStart(anchor, _) => {
                self.open(mark)?;
                self.stack.push(Open::Seq { items: Vec::new(), anchor, depth: 0, size: 0 });
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.open(mark)?;
                self.stack.push(Open::Map(Box::new(OpenMap { anchor, ..OpenMap::default() })));
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Open::Seq { items, anchor, depth, size }) => (Node { value: Value::Array(items), depth: depth + 1, size: size + 1 }, anchor),
                    Some(Open::Map(map)) => {
                        let anchor = map.anchor;
                        (map.close()?, anchor)
                    }
                    None => return Err(format!("line {}: a collection ends that never began", mark.line())),
                };
                self.remember(anchor, &node);
                self.insert(node, None, false, mark)
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => Ok(()),
        }
    }

    fn open(&self, mark: Marker) -> Result<(), String> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(format!("line {}: nesting deeper than {MAX_DEPTH} levels", mark.line()));
        }
        Ok(())
    }

    /// Keeps an anchored value for the aliases that name it; anchor ids
    /// start at 1.
    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    /// Puts a finished value where it belongs: the root, the next item of a
    /// sequence, or a mapping's key or value.
    fn insert(&mut self, node: Node, written: Option<String>, merge: bool, mark: Marker) -> Result<(), String> {
        if self.stack.len() + node.depth > MAX_DEPTH {
            return Err(format!("line {}: nesting deeper than {MAX_DEPTH} levels", mark.line()));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq { items, depth, size, .. }) => {
                *depth = (*depth).max(node.depth);
                *size += node.size;
                items.push(node.value);
            }
            Some(Open::Map(map)) => match map.key.take() {
                None => map.key = Some(Key { name: key_name(node.value), written, merge, line: mark.line() }),
                Some(key) => map.set(key, node)?,
            },
        }
        Ok(())
    }
}

impl OpenMap {
    fn set(&mut self, key: Key, node: Node) -> Result<(), String> {
        if let Some(written) = key.written {
            if let Some(first) = self.written.insert(written.clone(), key.line) {
                return Err(format!("line {}: mapping key {written:?} already defined at line {first}", key.line));
            }
        }
        self.depth = self.depth.max(node.depth);
        self.size += node.size;
        if key.merge {
            self.merge = Some(node.value);
        } else {
            self.fields.insert(key.name, node.value);
        }
        Ok(())
    }

    /// The finished object: its own keys, then what `<<` brings that it
    /// does not already have, earlier merged mappings first.
    fn close(self) -> Result<Node, String> {
        let mut fields = self.fields;
        let sources = match self.merge {
            None => Vec::new(),
            Some(Value::Object(source)) => vec![source],
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Value::Object(source) => Ok(source),
                    _ => Err(merge_error()),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(merge_error()),
        };
        for source in sources {
            for (name, value) in source {
                fields.entry(name).or_insert(value);
            }
        }
        Ok(Node { value: Value::Object(fields), depth: self.depth + 1, size: self.size + 1 })
    }
}

fn merge_error() -> String {
    "map merge requires map or sequence of maps as the value".to_string()
}

/// Alloy objects have string keys. A string key is itself; any other key is
/// its Alloy spelling (`1`, `true`, `null`, `[1, 2]`).
fn key_name(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Whether a `<<` key merges: yaml.v3 merges a plain `<<` with no tag (or
/// the non-specific `!`), or any `<<` tagged `!!merge`.
fn is_merge_key(style: TScalarStyle, tag: Option<&Tag>) -> bool {
    match classify(tag) {
        TagKind::Core(suffix) => suffix == "merge",
        TagKind::None => style == TScalarStyle::Plain,
        TagKind::Other => false,
    }
}

enum TagKind<'a> {
    /// No tag, or the non-specific `!`, which yaml.v3 treats as none.
    None,
    /// `!!name`: one of YAML's own types.
    Core(&'a str),
    /// A local or application tag, such as `!custom`.
    Other,
}

fn classify(tag: Option<&Tag>) -> TagKind<'_> {
    match tag {
        None => TagKind::None,
        Some(t) if t.handle.is_empty() && t.suffix == "!" => TagKind::None,
        Some(t) if t.handle == "tag:yaml.org,2002:" => TagKind::Core(&t.suffix),
        Some(_) => TagKind::Other,
    }
}

/// One scalar's value, as yaml.v3 resolves it.
fn scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let wanted = match classify(tag) {
        TagKind::Other => return Ok(Value::String(text)),
        TagKind::None if style != TScalarStyle::Plain => return Ok(Value::String(text)),
        TagKind::None => None,
        TagKind::Core("str") => return Ok(Value::String(text)),
        TagKind::Core("binary") => return binary(&text),
        TagKind::Core(suffix @ ("int" | "float" | "bool" | "null")) => Some(suffix),
        // `!!seq`, `!!map`, `!!timestamp` and unknown names on a scalar:
        // yaml.v3 leaves the text as it is.
        TagKind::Core(_) => return Ok(Value::String(text)),
    };
    let (kind, value) = resolve(&text);
    if let Value::Number(Number::Float(f)) = value {
        if !f.is_finite() {
            return Err(format!("{text} is not a finite number, which Alloy numbers must be"));
        }
    }
    match (wanted, kind) {
        (None, _) => Ok(value),
        (Some(wanted), kind) if wanted == kind => Ok(value),
        (Some("float"), "int") => Ok(match value {
            Value::Number(Number::Int(i)) => Value::float(i as f64),
            Value::Number(Number::Uint(u)) => Value::float(u as f64),
            other => other,
        }),
        (Some(wanted), kind) => Err(format!("cannot decode !!{kind} `{text}` as a !!{wanted}")),
    }
}

/// `!!binary`: base64, line breaks allowed, decoding to text.
fn binary(text: &str) -> Result<Value, String> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| "!!binary value contains invalid base64 data".to_string())?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| "!!binary value is not UTF-8 text, which Alloy strings must be".to_string())
}

/// The type a plain scalar has by its spelling, and its value: yaml.v3's
/// `resolve`, without timestamps.
fn resolve(text: &str) -> (&'static str, Value) {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return ("null", Value::Null),
        "true" | "True" | "TRUE" => return ("bool", Value::Bool(true)),
        "false" | "False" | "FALSE" => return ("bool", Value::Bool(false)),
        ".nan" | ".NaN" | ".NAN" => return ("float", Value::float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return ("float", Value::float(f64::INFINITY)),
        "-.inf" | "-.Inf" | "-.INF" => return ("float", Value::float(f64::NEG_INFINITY)),
        _ => {}
    }
    let string = || ("str", Value::String(text.to_string()));
    match text.as_bytes().first() {
        Some(b'.') => match text.parse::<f64>() {
            Ok(f) if f.is_finite() => ("float", Value::float(f)),
            _ => string(),
        },
        Some(b'0'..=b'9' | b'+' | b'-') => {
            let plain = text.replace('_', "");
            if let Some(n) = go_integer(&plain) {
                return ("int", Value::Number(n));
            }
            if is_yaml_float(&plain) {
                // Go refuses a float too large to hold; it stays a string.
                if let Ok(f) = plain.parse::<f64>() {
                    if f.is_finite() {
                        return ("float", Value::float(f));
                    }
                }
            }
            string()
        }
        _ => string(),
    }
}

/// An integer as Go's `strconv.ParseInt(s, 0, 64)` reads it, else as
/// `ParseUint`: an optional sign (for ints only), then `0x`, `0o`, `0b` or
/// a leading `0` for octal, or decimal.
fn go_integer(s: &str) -> Option<Number> {
    let (negative, unsigned) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = unsigned.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &unsigned[2..]),
        Some("0o") => (8, &unsigned[2..]),
        Some("0b") => (2, &unsigned[2..]),
        _ if unsigned.len() > 1 && unsigned.starts_with('0') => (8, &unsigned[1..]),
        _ => (10, unsigned),
    };
    // from_str_radix takes a sign of its own; Go does not after a prefix.
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if negative {
        // i64::MIN's magnitude is one more than i64::MAX.
        0i64.checked_sub_unsigned(magnitude).map(Number::Int)
    } else if s.starts_with('+') {
        i64::try_from(magnitude).ok().map(Number::Int)
    } else {
        Some(i64::try_from(magnitude).map(Number::Int).unwrap_or(Number::Uint(magnitude)))
    }
}

/// yaml.v3's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && digits(frac) == frac.len(),
        Some((int, frac)) => !int.is_empty() && digits(int) == int.len() && digits(frac) == frac.len(),
        None => !mantissa.is_empty() && digits(mantissa) == mantissa.len(),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e) == e.len()
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests;
