//! OTLP `AnyValue` as OTTL sees it, and the indexed reads and writes of
//! attribute maps (`attributes["a"]["b"][0]`) that every context shares.
//!
//! Reads and writes walk the `Vec<KeyValue>` and nested values in place:
//! `attributes["k"]` never converts the whole map, which keeps a statement
//! per span cheap. The rules follow the Collector's pdata accessors: a
//! missing key reads as nil; writing through a missing key creates it (a
//! map for a string key, a list for an int key); an index past a list's
//! end is an error; nil, or a value with no `AnyValue` form (a time or
//! duration), is stored as an empty value.

use solder_syntax::ottl::{Key, MapEdit, Value};

use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, ArrayValue, KeyValue, KeyValueList};

static EMPTY: AnyValue = AnyValue { value: None };

/// The OTTL value of an `AnyValue`'s content; an empty value is nil.
pub fn to_value(v: Option<&V>) -> Value {
    match v {
        None | Some(V::StringValueStrindex(_)) => Value::Nil,
        Some(V::StringValue(s)) => Value::Str(s.clone()),
        Some(V::BoolValue(b)) => Value::Bool(*b),
        Some(V::IntValue(i)) => Value::Int(*i),
        Some(V::DoubleValue(d)) => Value::Double(*d),
        Some(V::BytesValue(b)) => Value::Bytes(b.clone()),
        Some(V::ArrayValue(a)) => Value::List(a.values.iter().map(|x| to_value(x.value.as_ref())).collect()),
        Some(V::KvlistValue(m)) => map_value(&m.values),
    }
}

/// The `AnyValue` content an OTTL value is stored as.
pub fn from_value(v: Value) -> Option<V> {
    match v {
        Value::Nil | Value::Time(_) | Value::Duration(_) => None,
        Value::Bool(b) => Some(V::BoolValue(b)),
        Value::Int(i) => Some(V::IntValue(i)),
        Value::Double(d) => Some(V::DoubleValue(d)),
        Value::Str(s) => Some(V::StringValue(s)),
        Value::Bytes(b) => Some(V::BytesValue(b)),
        Value::List(l) => Some(V::ArrayValue(ArrayValue { values: l.into_iter().map(|x| AnyValue { value: from_value(x) }).collect() })),
        Value::Map(m) => Some(V::KvlistValue(KeyValueList { values: map_entries(m) })),
    }
}

/// A whole attribute list as a map value.
pub fn map_value(attrs: &[KeyValue]) -> Value {
    Value::Map(attrs.iter().map(|kv| (kv.key.clone(), to_value(kv.value.as_ref().and_then(|v| v.value.as_ref())))).collect())
}

fn map_entries(m: Vec<(String, Value)>) -> Vec<KeyValue> {
    m.into_iter().map(|(key, v)| KeyValue { key, value: Some(AnyValue { value: from_value(v) }), ..Default::default() }).collect()
}

/// The name pdata gives a value's type, for error messages.
pub(crate) fn type_name(v: Option<&V>) -> &'static str {
    match v {
        None | Some(V::StringValueStrindex(_)) => "Empty",
        Some(V::StringValue(_)) => "Str",
        Some(V::BoolValue(_)) => "Bool",
        Some(V::IntValue(_)) => "Int",
        Some(V::DoubleValue(_)) => "Double",
        Some(V::BytesValue(_)) => "Bytes",
        Some(V::ArrayValue(_)) => "Slice",
        Some(V::KvlistValue(_)) => "Map",
    }
}

const MAP_KEY: &str = "unable to resolve a string index in map: invalid key type";
const SLICE_KEY: &str = "unable to resolve an integer index in slice: invalid key type";

/// Reads an attribute map: the whole map without keys, else the value the
/// keys lead to.
pub fn map_get(attrs: &[KeyValue], keys: &[Key]) -> Result<Value, String> {
    let Some((first, rest)) = keys.split_first() else {
        return Ok(map_value(attrs));
    };
    let Key::Str(k) = first else {
        return Err(format!("cannot get map value: {MAP_KEY}"));
    };
    match attrs.iter().find(|kv| kv.key == *k) {
        None => Ok(Value::Nil),
        Some(kv) => get_in(kv.value.as_ref().unwrap_or(&EMPTY), rest),
    }
}

/// Writes an attribute map: without keys the whole map is replaced (nil
/// empties it), else the value the keys lead to is set, creating the way.
pub fn map_set(attrs: &mut Vec<KeyValue>, keys: &[Key], value: Value) -> Result<(), String> {
    let Some((first, rest)) = keys.split_first() else {
        *attrs = match value {
            Value::Map(m) => map_entries(m),
            Value::Nil => Vec::new(),
            other => return Err(format!("unsupported type provided for setting a pcommon.Map: {}", other.type_name())),
        };
        return Ok(());
    };
    let Key::Str(k) = first else {
        return Err(format!("cannot set map value: {MAP_KEY}"));
    };
    let slot = slot_in(entry(attrs, k), rest)?;
    slot.value = from_value(value);
    Ok(())
}

/// The value `keys` lead to inside `v`, as OTTL reads it.
pub fn get_in(v: &AnyValue, keys: &[Key]) -> Result<Value, String> {
    let mut cur = v;
    for key in keys {
        cur = match (&cur.value, key) {
            (Some(V::KvlistValue(m)), Key::Str(k)) => match m.values.iter().find(|kv| kv.key == *k) {
                Some(kv) => kv.value.as_ref().unwrap_or(&EMPTY),
                None => return Ok(Value::Nil),
            },
            (Some(V::KvlistValue(_)), Key::Int(_)) => return Err(MAP_KEY.to_string()),
            (Some(V::ArrayValue(a)), Key::Int(i)) => &a.values[index(*i, a.values.len())?],
            (Some(V::ArrayValue(_)), Key::Str(_)) => return Err(SLICE_KEY.to_string()),
            (other, _) => return Err(format!("type {} does not support string indexing", type_name(other.as_ref()))),
        };
    }
    Ok(to_value(cur.value.as_ref()))
}

/// The value `keys` lead to inside `v`, created on the way where missing.
pub fn slot_in<'v>(v: &'v mut AnyValue, keys: &[Key]) -> Result<&'v mut AnyValue, String> {
    let mut cur = v;
    for key in keys {
        if cur.value.is_none() {
            cur.value = Some(match key {
                Key::Str(_) => V::KvlistValue(KeyValueList::default()),
                Key::Int(i) => V::ArrayValue(ArrayValue { values: vec![AnyValue::default(); (*i).max(0) as usize + 1] }),
            });
        }
        cur = match (&mut cur.value, key) {
            (Some(V::KvlistValue(m)), Key::Str(k)) => entry(&mut m.values, k),
            (Some(V::KvlistValue(_)), Key::Int(_)) => return Err(MAP_KEY.to_string()),
            (Some(V::ArrayValue(a)), Key::Int(i)) => {
                let i = index(*i, a.values.len())?;
                &mut a.values[i]
            }
            (Some(V::ArrayValue(_)), Key::Str(_)) => return Err(SLICE_KEY.to_string()),
            (other, _) => return Err(format!("type {} does not support string indexing", type_name(other.as_ref()))),
        };
    }
    Ok(cur)
}

/// The value under `key`, appended empty if the map has none.
fn entry<'a>(kvs: &'a mut Vec<KeyValue>, key: &str) -> &'a mut AnyValue {
    let i = match kvs.iter().position(|kv| kv.key == key) {
        Some(i) => i,
        None => {
            kvs.push(KeyValue { key: key.to_string(), value: None, ..Default::default() });
            kvs.len() - 1
        }
    };
    kvs[i].value.get_or_insert_with(AnyValue::default)
}

fn index(i: i64, len: usize) -> Result<usize, String> {
    usize::try_from(i).ok().filter(|&i| i < len).ok_or_else(|| format!("index {i} out of bounds"))
}

/// Applies a [`MapEdit`] to an attribute list where it lies: no entry is
/// converted to a [`Value`] or copied.
pub fn edit_attributes(attrs: &mut Vec<KeyValue>, edit: MapEdit<'_>) {
    match edit {
        MapEdit::Remove(key) => attrs.retain(|kv| kv.key != key),
        MapEdit::Retain(keep) => attrs.retain(|kv| keep(&kv.key)),
        MapEdit::Strings { keep_up_to, f } => {
            for kv in attrs.iter_mut() {
                if let Some(AnyValue { value: Some(V::StringValue(s)) }) = &mut kv.value {
                    if s.len() <= keep_up_to {
                        continue;
                    }
                    if let Some(new) = f(s) {
                        *s = new;
                    }
                }
            }
        }
    }
}
