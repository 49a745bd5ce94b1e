//! An attribute list on the wire: each entry is the `KeyValue` as
//! received, until a statement changes it; then it is a decoded
//! `KeyValue`. Reads decode only the value asked for, and `delete_key`
//! drops an entry without touching the others, so a span whose statements
//! read two attributes and set one pays for three entries, not all of
//! them. Every read and write gives what the decoded contexts give
//! ([`crate::ottl::value`]): the same values, errors and entry order.

use prost::Message;
use solder_syntax::ottl::{Key, MapEdit, Value};

use super::fields::put_len;
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, KeyValue};
use crate::otlp::wire::WireError;
use crate::ottl::value;

pub(super) enum Entry<'a> {
    /// As received, in the plain shape (one key field, then at most one
    /// value field): the key's bytes, the `AnyValue`'s, and the whole
    /// `KeyValue`'s to copy it through.
    Raw {
        key: &'a [u8],
        value: Option<&'a [u8]>,
        kv: &'a [u8],
    },
    Owned(KeyValue),
}

impl Entry<'_> {
    fn key_bytes(&self) -> &[u8] {
        match self {
            Entry::Raw { key, .. } => key,
            Entry::Owned(kv) => kv.key.as_bytes(),
        }
    }

    /// The key as text. Requests are validated (UTF-8 included) before any
    /// processor sees them, so the check here does not fail in practice.
    fn key(&self) -> Result<&str, String> {
        std::str::from_utf8(self.key_bytes()).map_err(|e| e.to_string())
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
    /// Adds a received `KeyValue`. One in any but the plain shape (a
    /// repeated field, an unknown one) is decoded now, so that the raw
    /// form only ever holds the shape it reads.
    pub fn push(&mut self, kv: &'a [u8]) -> Result<(), WireError> {
        self.entries.push(match plain(kv) {
            Some((key, value)) => Entry::Raw { key, value, kv },
            None => Entry::Owned(KeyValue::decode(kv).map_err(|e| WireError { offset: 0, message: e.to_string() })?),
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
        let Some(entry) = self.entries.iter().find(|e| e.key_bytes() == k.as_bytes()) else { return Ok(Value::Nil) };
        if let (Entry::Raw { value: Some(any), .. }, true) = (entry, rest.is_empty()) {
            if let Some(v) = scalar(any) {
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
        let at = self.entries.iter().position(|e| e.key_bytes() == k.as_bytes());
        if keys.len() == 1 {
            // The common `attributes["k"] = v`: what map_set makes of it,
            // without decoding the entry (a raw one holds only key and
            // value) or a list to run it in.
            let value = Some(AnyValue { value: value::from_value(v) });
            match at.map(|i| &mut self.entries[i]) {
                Some(Entry::Owned(kv)) => kv.value = value,
                Some(e) => *e = Entry::Owned(KeyValue { key: k.clone(), value, ..Default::default() }),
                None => self.entries.push(Entry::Owned(KeyValue { key: k.clone(), value, ..Default::default() })),
            }
            self.changed = true;
            return Ok(());
        }
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
            MapEdit::Remove(key) => {
                let before = self.entries.len();
                self.entries.retain(|e| e.key_bytes() != key.as_bytes());
                self.changed |= self.entries.len() != before;
            }
            MapEdit::Retain(keep) => {
                let before = self.entries.len();
                let mut bad = None;
                self.entries.retain(|e| match e.key() {
                    Ok(k) => keep(k),
                    Err(e) => {
                        bad = Some(e);
                        true
                    }
                });
                if let Some(e) = bad {
                    return Err(e);
                }
                self.changed |= self.entries.len() != before;
            }
            MapEdit::Strings(f) => {
                for e in self.entries.iter_mut() {
                    if let Entry::Raw { value, .. } = e {
                        match value.map(|any| (text(any), any)) {
                            Some((Some(s), _)) => {
                                if let Some(new) = f(s) {
                                    *e = Entry::Owned(string_entry(e.key()?, new));
                                    self.changed = true;
                                }
                                continue;
                            }
                            Some((None, any)) if scalar(any).is_some() => continue,
                            // An oddly encoded value may still decode to a string.
                            Some((None, _)) => *e = Entry::Owned(e.decoded()?),
                            None => continue,
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
                Entry::Owned(kv) => prost::encoding::message::encode(tag, kv, out),
            }
        }
    }
}

fn string_entry(key: &str, s: String) -> KeyValue {
    KeyValue { key: key.to_string(), value: Some(AnyValue { value: Some(V::StringValue(s)) }), ..Default::default() }
}

/// A `KeyValue` in the plain shape: its key's bytes and its `AnyValue`'s,
/// if it is one key field followed by at most one value field (or a lone
/// value field: the empty key). Anything else is `None`.
fn plain(kv: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let (key, rest) = match kv.first() {
        Some(0x0a) => delimited(&kv[1..])?,
        _ => (&kv[..0], kv),
    };
    match rest.first() {
        None => Some((key, None)),
        Some(0x12) => match delimited(&rest[1..])? {
            (value, []) => Some((key, Some(value))),
            _ => None,
        },
        Some(_) => None,
    }
}

/// A length-prefixed slice and what follows it.
fn delimited(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, used) = match b.first() {
        Some(&n) if n < 0x80 => (usize::from(n), 1),
        _ => {
            let mut len = 0usize;
            let mut used = 0;
            loop {
                let byte = *b.get(used)?;
                len |= usize::from(byte & 0x7f).checked_shl(7 * used as u32)?;
                used += 1;
                if byte < 0x80 {
                    break;
                }
                if used == 5 {
                    return None;
                }
            }
            (len, used)
        }
    };
    let end = used.checked_add(len)?;
    Some((b.get(used..end)?, &b[end..]))
}

/// An `AnyValue` that is one string field, borrowed.
fn text(any: &[u8]) -> Option<&str> {
    match any.split_first()? {
        (0x0a, body) => match delimited(body)? {
            (s, []) => std::str::from_utf8(s).ok(),
            _ => None,
        },
        _ => None,
    }
}

/// An `AnyValue` that is one scalar field: a string, bool, int, double or
/// bytes, read without decoding. Anything else (a list, a map, an empty or
/// oddly encoded value) is `None`, for the decoder.
fn scalar(any: &[u8]) -> Option<Value> {
    let (&key, body) = any.split_first()?;
    Some(match key {
        0x0a => Value::str(text(any)?),
        0x3a => match delimited(body)? {
            (b, []) => Value::Bytes(b.to_vec()),
            _ => return None,
        },
        0x10 | 0x18 => {
            let mut r = crate::otlp::wire::Reader::new(body, 0);
            let v = r.varint().ok()?;
            if !r.done() {
                return None;
            }
            if key == 0x10 {
                Value::Bool(v != 0)
            } else {
                Value::Int(v as i64)
            }
        }
        0x21 => Value::Double(f64::from_le_bytes(body.try_into().ok()?)),
        _ => return None,
    })
}
