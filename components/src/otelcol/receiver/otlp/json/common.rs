//! JSON paths, scalar conversions, and the messages every signal shares:
//! `AnyValue`, `KeyValue`, `Resource`, `InstrumentationScope`.

use std::borrow::Cow;

use serde_json::Value;

use super::JsonError;
use crate::otlp::proto::common::v1::{any_value, AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList};
use crate::otlp::proto::resource::v1::Resource;

/// Where a value sits in the document. Paths live on the stack and are
/// only rendered into a string when something is wrong.
pub(super) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Segment<'a>,
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    pub fn root() -> Path<'static> {
        Path { parent: None, segment: Segment::Root }
    }

    fn key<'b>(&'b self, key: &'b str) -> Path<'b> {
        Path { parent: Some(self), segment: Segment::Key(key) }
    }

    fn index(&self, i: usize) -> Path<'_> {
        Path { parent: Some(self), segment: Segment::Index(i) }
    }

    pub fn error(&self, message: impl Into<String>) -> JsonError {
        let mut segments = Vec::new();
        let mut at = Some(self);
        while let Some(p) = at {
            segments.push(p.segment);
            at = p.parent;
        }
        let mut path = String::new();
        for s in segments.iter().rev() {
            match s {
                Segment::Root => {}
                Segment::Key(k) if path.is_empty() => path.push_str(k),
                Segment::Key(k) => {
                    path.push('.');
                    path.push_str(k);
                }
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        JsonError { path, message: message.into() }
    }
}

/// `snake_case` keys as their lowerCamelCase spelling; others unchanged.
fn camel(key: &str) -> Cow<'_, str> {
    if !key.contains('_') {
        return Cow::Borrowed(key);
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Calls `f(camel_key, value, path)` for each set field of an object.
pub(super) fn each(v: &Value, p: &Path<'_>, mut f: impl FnMut(&str, &Value, &Path<'_>) -> Result<(), JsonError>) -> Result<(), JsonError> {
    let Value::Object(map) = v else { return Err(p.error(format!("expected an object, got {}", describe(v)))) };
    for (key, value) in map.iter().filter(|(_, v)| !v.is_null()) {
        f(&camel(key), value, &p.key(key))?;
    }
    Ok(())
}

/// An array, each element converted by `f`.
pub(super) fn list<T>(v: &Value, p: &Path<'_>, f: impl Fn(&Value, &Path<'_>) -> Result<T, JsonError>) -> Result<Vec<T>, JsonError> {
    let Value::Array(items) = v else { return Err(p.error(format!("expected an array, got {}", describe(v)))) };
    items.iter().enumerate().map(|(i, item)| f(item, &p.index(i))).collect()
}

fn describe(v: &Value) -> String {
    let mut s = match v {
        Value::Null => "null".to_string(),
        Value::Bool(_) => format!("the boolean {v}"),
        Value::Number(_) => format!("the number {v}"),
        Value::String(_) => format!("the string {v}"),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    };
    if s.len() > 80 {
        s.truncate(s.char_indices().nth(77).map_or(s.len(), |(i, _)| i));
        s.push_str("...");
    }
    s
}

pub(super) fn string(v: &Value, p: &Path<'_>) -> Result<String, JsonError> {
    v.as_str().map(str::to_string).ok_or_else(|| p.error(format!("expected a string, got {}", describe(v))))
}

pub(super) fn boolean(v: &Value, p: &Path<'_>) -> Result<bool, JsonError> {
    v.as_bool().ok_or_else(|| p.error(format!("expected true or false, got {}", describe(v))))
}

/// uint64/fixed64: a number or a decimal string.
pub(super) fn uint64(v: &Value, p: &Path<'_>) -> Result<u64, JsonError> {
    let n = match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(f)).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.ok_or_else(|| p.error(format!("expected an unsigned 64-bit integer (a number or a string), got {}", describe(v))))
}

/// int64/sfixed64: a number or a decimal string.
pub(super) fn int64(v: &Value, p: &Path<'_>) -> Result<i64, JsonError> {
    let n = match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(f)).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.ok_or_else(|| p.error(format!("expected a 64-bit integer (a number or a string), got {}", describe(v))))
}

pub(super) fn uint32(v: &Value, p: &Path<'_>) -> Result<u32, JsonError> {
    let n = uint64(v, p).ok().and_then(|n| u32::try_from(n).ok());
    n.ok_or_else(|| p.error(format!("expected an unsigned 32-bit integer, got {}", describe(v))))
}

pub(super) fn int32(v: &Value, p: &Path<'_>) -> Result<i32, JsonError> {
    let n = int64(v, p).ok().and_then(|n| i32::try_from(n).ok());
    n.ok_or_else(|| p.error(format!("expected a 32-bit integer, got {}", describe(v))))
}

/// double: a number, or a string holding one or `NaN`/`Infinity`/`-Infinity`.
pub(super) fn double(v: &Value, p: &Path<'_>) -> Result<f64, JsonError> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            s => s.trim().parse().ok(),
        },
        _ => None,
    };
    n.ok_or_else(|| p.error(format!("expected a number, got {}", describe(v))))
}

/// An enum by number or by name (`"SPAN_KIND_SERVER"`).
pub(super) fn enumeration(v: &Value, p: &Path<'_>, kind: &str, by_name: impl Fn(&str) -> Option<i32>) -> Result<i32, JsonError> {
    let n = match v {
        Value::String(s) => by_name(s).or_else(|| s.parse().ok()),
        _ => int32(v, p).ok(),
    };
    n.ok_or_else(|| p.error(format!("expected a {kind} as a number or a name, got {}", describe(v))))
}

/// A trace id (16 bytes) or span id (8 bytes): hex, as OTLP/JSON has them.
/// Empty means unset.
pub(super) fn id(v: &Value, p: &Path<'_>, len: usize) -> Result<Vec<u8>, JsonError> {
    let s = v.as_str().ok_or_else(|| p.error(format!("expected a hex string, got {}", describe(v))))?;
    if s.is_empty() {
        return Ok(Vec::new());
    }
    match hex::decode(s) {
        Ok(bytes) if bytes.len() == len => Ok(bytes),
        _ => Err(p.error(format!("expected {} hex digits ({len} bytes), got {}", 2 * len, describe(v)))),
    }
}

/// `bytes` fields other than ids: base64, standard or URL-safe, padded or not.
pub(super) fn base64(v: &Value, p: &Path<'_>) -> Result<Vec<u8>, JsonError> {
    let s = v.as_str().ok_or_else(|| p.error(format!("expected a base64 string, got {}", describe(v))))?;
    decode_base64(s).ok_or_else(|| p.error(format!("expected base64, got {}", describe(v))))
}

pub(super) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A lone sextet cannot end an encoding.
    (bits < 6).then_some(out)
}

pub(super) fn any_value(v: &Value, p: &Path<'_>) -> Result<AnyValue, JsonError> {
    use any_value::Value as V;
    let mut out = AnyValue::default();
    each(v, p, |k, v, p| {
        out.value = Some(match k {
            "stringValue" => V::StringValue(string(v, p)?),
            "boolValue" => V::BoolValue(boolean(v, p)?),
            "intValue" => V::IntValue(int64(v, p)?),
            "doubleValue" => V::DoubleValue(double(v, p)?),
            "arrayValue" => V::ArrayValue(ArrayValue { values: values(v, p, any_value)? }),
            "kvlistValue" => V::KvlistValue(KeyValueList { values: values(v, p, key_value)? }),
            "bytesValue" => V::BytesValue(base64(v, p)?),
            "stringValueStrindex" => V::StringValueStrindex(int32(v, p)?),
            _ => return Ok(()),
        });
        Ok(())
    })?;
    Ok(out)
}

/// `{"values": [...]}`, the shape of `arrayValue` and `kvlistValue`.
fn values<T>(v: &Value, p: &Path<'_>, f: fn(&Value, &Path<'_>) -> Result<T, JsonError>) -> Result<Vec<T>, JsonError> {
    let mut out = Vec::new();
    each(v, p, |k, v, p| {
        if k == "values" {
            out = list(v, p, f)?;
        }
        Ok(())
    })?;
    Ok(out)
}

pub(super) fn key_value(v: &Value, p: &Path<'_>) -> Result<KeyValue, JsonError> {
    let mut out = KeyValue::default();
    each(v, p, |k, v, p| {
        match k {
            "key" => out.key = string(v, p)?,
            "value" => out.value = Some(any_value(v, p)?),
            "keyStrindex" => out.key_strindex = int32(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

pub(super) fn attributes(v: &Value, p: &Path<'_>) -> Result<Vec<KeyValue>, JsonError> {
    list(v, p, key_value)
}

pub(super) fn resource(v: &Value, p: &Path<'_>) -> Result<Resource, JsonError> {
    let mut out = Resource::default();
    each(v, p, |k, v, p| {
        match k {
            "attributes" => out.attributes = attributes(v, p)?,
            "droppedAttributesCount" => out.dropped_attributes_count = uint32(v, p)?,
            "entityRefs" => out.entity_refs = list(v, p, entity_ref)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn entity_ref(v: &Value, p: &Path<'_>) -> Result<EntityRef, JsonError> {
    let mut out = EntityRef::default();
    each(v, p, |k, v, p| {
        match k {
            "schemaUrl" => out.schema_url = string(v, p)?,
            "type" => out.r#type = string(v, p)?,
            "idKeys" => out.id_keys = list(v, p, string)?,
            "descriptionKeys" => out.description_keys = list(v, p, string)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

pub(super) fn scope(v: &Value, p: &Path<'_>) -> Result<InstrumentationScope, JsonError> {
    let mut out = InstrumentationScope::default();
    each(v, p, |k, v, p| {
        match k {
            "name" => out.name = string(v, p)?,
            "version" => out.version = string(v, p)?,
            "attributes" => out.attributes = attributes(v, p)?,
            "droppedAttributesCount" => out.dropped_attributes_count = uint32(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}
