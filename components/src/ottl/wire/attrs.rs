//! An attribute list on the wire: each entry is the `KeyValue` as
//! received, until a statement changes it; then it is a decoded
//! `KeyValue`. Reads decode only the value asked for, and `delete_key`
//! drops an entry without touching the others, so a span whose statements
//! read two attributes and set one pays for three entries, not all of
//! them. Every read and write gives what the decoded contexts give
//! ([`crate::ottl::value`]): the same values, errors and entry order.

use prost::Message;
use solder_syntax::ottl::{Key, MapEdit, Value};

use super::fields::{self, put_len, Field};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, KeyValue};
use crate::otlp::wire::WireError;
use crate::ottl::value;

pub(super) enum Entry<'a> {
    /// As received: the key, and the `KeyValue`'s bytes.
    Raw {
        key: &'a str,
        kv: &'a [u8],
    },
    Owned(KeyValue),
}

impl Entry<'_> {
    fn key(&self) -> &str {
        match self {
            Entry::Raw { key, .. } => key,
            Entry::Owned(kv) => &kv.key,
        }
    }

    fn decoded(&self) -> Result<KeyValue, String> {
        match self {
            Entry::Raw { kv, .. } => KeyValue::decode(*kv).map_err(|e| e.to_string()),
            Entry::Owned(kv) => Ok(kv.clone()),
        }
    }
}

/// One attribute list, with whether a statement changed it.
#[derive(Default)]
pub(super) struct Attrs<'a> {
    pub entries: Vec<Entry<'a>>,
    pub changed: bool,
}

impl<'a> Attrs<'a> {
    /// Adds a received `KeyValue`. One with fields beyond `key` and
    /// `value`, or a repeated key field, is decoded now, so that the raw
    /// form only ever holds the plain shape.
    pub fn push(&mut self, kv: &'a [u8]) -> Result<(), WireError> {
        let mut key = None;
        let mut plain = true;
        fields::each(kv, |f| {
            match (f.tag, key) {
                (1, None) => key = Some(f.payload),
                (2, _) => {}
                _ => plain = false,
            }
            Ok(())
        })?;
        self.entries.push(match (plain, key) {
            (true, Some(k)) => Entry::Raw { key: fields::text(k)?, kv },
            (true, None) => Entry::Raw { key: "", kv },
            (false, _) => Entry::Owned(KeyValue::decode(kv).map_err(|e| WireError { offset: 0, message: e.to_string() })?),
        });
        Ok(())
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.changed = false;
    }

    /// `attributes` (the whole map) or `attributes[k]...`.
    pub fn get(&self, keys: &[Key]) -> Result<Value, String> {
        let Some((Key::Str(k), rest)) = keys.split_first() else {
            if keys.is_empty() {
                let mut map = Vec::with_capacity(self.entries.len());
                for e in &self.entries {
                    let kv = e.decoded()?;
                    map.push((kv.key, value::to_value(kv.value.as_ref().and_then(|v| v.value.as_ref()))));
                }
                return Ok(Value::Map(map));
            }
            // An int key: the decoded contexts' error.
            return value::map_get(&[], keys);
        };
        let Some(entry) = self.entries.iter().find(|e| e.key() == k) else { return Ok(Value::Nil) };
        if let (Entry::Raw { kv, .. }, true) = (entry, rest.is_empty()) {
            if let Some(v) = scalar(kv) {
                return Ok(v);
            }
        }
        value::map_get(std::slice::from_ref(&entry.decoded()?), keys)
    }

    /// `attributes = map` or `attributes[k]... = v`, through the decoded
    /// contexts' own [`value::map_set`] on the entries it touches.
    pub fn set(&mut self, keys: &[Key], v: Value) -> Result<(), String> {
        let Some((Key::Str(k), _)) = keys.split_first() else {
            let mut all = Vec::new();
            value::map_set(&mut all, keys, v)?;
            self.entries = all.into_iter().map(Entry::Owned).collect();
            self.changed = true;
            return Ok(());
        };
        let at = self.entries.iter().position(|e| e.key() == k);
        let mut one = match at {
            Some(i) => vec![self.entries[i].decoded()?],
            None => Vec::new(),
        };
        value::map_set(&mut one, keys, v)?;
        let Some(kv) = one.pop() else { return Ok(()) };
        match at {
            Some(i) => self.entries[i] = Entry::Owned(kv),
            None => self.entries.push(Entry::Owned(kv)),
        }
        self.changed = true;
        Ok(())
    }

    /// A [`MapEdit`] where the entries lie.
    pub fn edit(&mut self, edit: MapEdit<'_>) -> Result<(), String> {
        match edit {
            MapEdit::Retain(keep) => {
                let before = self.entries.len();
                self.entries.retain(|e| keep(e.key()));
                self.changed |= self.entries.len() != before;
            }
            MapEdit::Strings(f) => {
                for e in self.entries.iter_mut() {
                    if let Entry::Raw { kv, .. } = e {
                        match scalar(kv) {
                            Some(Value::Str(s)) => {
                                if let Some(new) = f(&s) {
                                    *e = Entry::Owned(string_entry(e.key(), new));
                                    self.changed = true;
                                }
                                continue;
                            }
                            Some(_) => continue,
                            // An oddly encoded value may still decode to a string.
                            None => *e = Entry::Owned(e.decoded()?),
                        }
                    }
                    if let Entry::Owned(KeyValue { value: Some(AnyValue { value: Some(V::StringValue(s)) }), .. }) = e {
                        if let Some(new) = f(s) {
                            *s = new;
                            self.changed = true;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes the entries as repeated field `tag`.
    pub fn write(&self, tag: u32, out: &mut Vec<u8>) {
        for e in &self.entries {
            match e {
                Entry::Raw { kv, .. } => put_len(out, tag, kv),
                Entry::Owned(kv) => put_len(out, tag, &kv.encode_to_vec()),
            }
        }
    }
}

fn string_entry(key: &str, s: String) -> KeyValue {
    KeyValue { key: key.to_string(), value: Some(AnyValue { value: Some(V::StringValue(s)) }), ..Default::default() }
}

/// A raw `KeyValue`'s value when it is one scalar field: a string, bool,
/// int, double or bytes, read without decoding. Anything else (a list, a
/// map, an empty or oddly encoded value) is `None`, for the decoder.
fn scalar(kv: &[u8]) -> Option<Value> {
    let mut any = None;
    fields::each(kv, |f: Field<'_>| {
        if f.tag == 2 {
            any = Some(f.payload);
        }
        Ok::<(), WireError>(())
    })
    .ok()?;
    let any = any?;
    let mut only = None;
    let mut count = 0;
    fields::each(any, |f| {
        count += 1;
        only = Some(f);
        Ok::<(), WireError>(())
    })
    .ok()?;
    let f = only.filter(|_| count == 1)?;
    Some(match (f.tag, f.wire_type) {
        (1, 2) => Value::Str(fields::text(f.payload).ok()?.to_string()),
        (2, 0) => Value::Bool(f.varint != 0),
        (3, 0) => Value::Int(f.varint as i64),
        (4, 1) => Value::Double(f64::from_le_bytes(f.payload.try_into().ok()?)),
        (7, 2) => Value::Bytes(f.payload.to_vec()),
        _ => return None,
    })
}
