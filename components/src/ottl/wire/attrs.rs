//! An attribute list on the wire: each entry is the `KeyValue` as
//! received, until a statement changes it; then it is a decoded
//! `KeyValue`. Reads decode only the value asked for, and `delete_key`
//! drops an entry without touching the others, so a span whose statements
//! read two attributes and set one pays for three entries, not all of
//! them. Every read and write gives what the decoded contexts give
//! ([`crate::ottl::value`]): the same values, errors and entry order.

use prost::Message;
use solder_syntax::ottl::{Key, MapEdit, Value};

use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, KeyValue};
use crate::otlp::wire::WireError;
use crate::ottl::value;

pub(super) enum Entry<'a> {
    /// As received, in the plain shape (one key field, then at most one
    /// value field). `whole` is the field as written, its first `header`
    /// bytes the tag and length, so that it is copied through as it came;
    /// the key and the `AnyValue` are found once, when the entry is read,
    /// and kept as offsets into it (`value` 0: none).
    Raw {
        whole: &'a [u8],
        header: u8,
        key: (u32, u32),
        value: u32,
    },
    Owned(Box<KeyValue>),
}

impl<'a> Entry<'a> {
    /// The key's and the `AnyValue`'s bytes.
    fn parts(&self) -> (&[u8], Option<&[u8]>) {
        match self {
            Entry::Raw { whole, value, .. } => (self.key_bytes(), (*value != 0).then(|| whole.get(*value as usize..).unwrap_or_default())),
            Entry::Owned(kv) => (kv.key.as_bytes(), None),
        }
    }

    fn key_bytes(&self) -> &[u8] {
        match self {
            Entry::Raw { whole, key: (start, end), .. } => whole.get(*start as usize..*end as usize).unwrap_or_default(),
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
            Entry::Raw { whole, header, .. } => KeyValue::decode(whole.get(usize::from(*header)..).unwrap_or_default()).map_err(|e| e.to_string()),
            Entry::Owned(kv) => Ok((**kv).clone()),
        }
    }

    fn owned(kv: KeyValue) -> Entry<'a> {
        Entry::Owned(Box::new(kv))
    }
}

/// One attribute list, with whether a statement changed it.
#[derive(Default)]
pub(super) struct Attrs<'a> {
    pub entries: Vec<Entry<'a>>,
    pub changed: bool,
}

impl<'a> Attrs<'a> {
    /// Adds a received `KeyValue`: `whole` is its field as written,
    /// `kv` the message inside. One in any but the plain shape (a repeated
    /// field, an unknown one) is decoded now, so that the raw form only
    /// ever holds the shape it reads.
    pub fn push(&mut self, whole: &'a [u8], kv: &'a [u8]) -> Result<(), WireError> {
        let header = whole.len() - kv.len();
        let raw = plain(kv).and_then(|(key, value)| {
            let at = |i: usize| u32::try_from(header + i).ok();
            Some(Entry::Raw { whole, header: u8::try_from(header).ok()?, key: (at(key.start)?, at(key.end)?), value: value.map_or(Some(0), at)? })
        });
        self.entries.push(match raw {
            Some(raw) => raw,
            _ => Entry::owned(KeyValue::decode(kv).map_err(|e| WireError { offset: 0, message: e.to_string() })?),
        });
        Ok(())
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.changed = false;
    }

    /// The `AnyValue` bytes of the first entry with this key, as received
    /// (empty: the entry has no value); `Ok(None)` when no entry has it.
    /// An entry held decoded (an unusual shape) is an `Err`: its bytes
    /// are not at hand.
    pub fn first_raw(&self, key: &[u8]) -> Result<Option<&'a [u8]>, ()> {
        for entry in &self.entries {
            match entry {
                Entry::Raw { whole, key: (start, end), value, .. } if whole.get(*start as usize..*end as usize) == Some(key) => {
                    return Ok(Some(if *value == 0 { &[] } else { whole.get(*value as usize..).unwrap_or_default() }));
                }
                Entry::Raw { .. } => {}
                Entry::Owned(_) => return Err(()),
            }
        }
        Ok(None)
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
        if let (Entry::Raw { .. }, (_, Some(any)), true) = (entry, entry.parts(), rest.is_empty()) {
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
            self.entries = all.into_iter().map(Entry::owned).collect();
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
                Some(e) => *e = Entry::owned(KeyValue { key: k.clone(), value, ..Default::default() }),
                None => self.entries.push(Entry::owned(KeyValue { key: k.clone(), value, ..Default::default() })),
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
            Some(i) => self.entries[i] = Entry::owned(kv),
            None => self.entries.push(Entry::owned(kv)),
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
            MapEdit::Strings { keep_up_to, f } => {
                for e in self.entries.iter_mut() {
                    if let (Entry::Raw { .. }, (_, value)) = (&*e, e.parts()) {
                        let Some(any) = value else { continue };
                        match string_bytes(any) {
                            // Too short to change: not even read as text.
                            Some(s) if s.len() <= keep_up_to => continue,
                            Some(s) => {
                                if let Ok(s) = std::str::from_utf8(s) {
                                    if let Some(new) = f(s) {
                                        *e = Entry::owned(string_entry(e.key()?, new));
                                        self.changed = true;
                                    }
                                    continue;
                                }
                            }
                            None if scalar(any).is_some() => continue,
                            None => {}
                        }
                        // An oddly encoded value may still decode to a string.
                        *e = Entry::owned(e.decoded()?);
                    }
                    if let Entry::Owned(kv) = e {
                        let KeyValue { value: Some(AnyValue { value: Some(V::StringValue(s)) }), .. } = &mut **kv else { continue };
                        if s.len() <= keep_up_to {
                            continue;
                        }
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

    /// Writes the entries as repeated field `tag`: each run of received
    /// entries that lay side by side in `body` (the message they came in)
    /// as one copy.
    pub fn write(&self, tag: u32, body: &[u8], out: &mut Vec<u8>) {
        let base = body.as_ptr() as usize;
        let mut run = 0..0;
        for e in &self.entries {
            match e {
                Entry::Raw { whole, .. } => {
                    let at = (whole.as_ptr() as usize).wrapping_sub(base);
                    if run.end == at && !run.is_empty() {
                        run.end += whole.len();
                        continue;
                    }
                    out.extend_from_slice(body.get(run.clone()).unwrap_or_default());
                    run = match body.get(at..at + whole.len()) {
                        Some(_) => at..at + whole.len(),
                        None => {
                            out.extend_from_slice(whole);
                            0..0
                        }
                    };
                }
                Entry::Owned(kv) => {
                    out.extend_from_slice(body.get(run.clone()).unwrap_or_default());
                    run = 0..0;
                    prost::encoding::message::encode(tag, &**kv, out);
                }
            }
        }
        out.extend_from_slice(body.get(run).unwrap_or_default());
    }
}

fn string_entry(key: &str, s: String) -> KeyValue {
    KeyValue { key: key.to_string(), value: Some(AnyValue { value: Some(V::StringValue(s)) }), ..Default::default() }
}

/// A `KeyValue` in the plain shape: where its key lies and where its
/// `AnyValue` starts (it runs to the end), if it is one key field followed
/// by at most one value field (or a lone value field: the empty key).
/// Anything else is `None`.
pub(super) fn plain(kv: &[u8]) -> Option<(std::ops::Range<usize>, Option<usize>)> {
    let key = match kv.first() {
        Some(0x0a) => {
            let (used, len) = prefix(&kv[1..])?;
            1 + used..1 + used + len
        }
        _ => 0..0,
    };
    match kv.get(key.end) {
        None if key.end == kv.len() => Some((key, None)),
        None => None,
        Some(0x12) => {
            let (used, len) = prefix(&kv[key.end + 1..])?;
            let start = key.end + 1 + used;
            (start + len == kv.len()).then_some((key, Some(start)))
        }
        Some(_) => None,
    }
}

/// A length prefix: the bytes it takes and the length it gives, if that
/// many bytes follow it.
fn prefix(b: &[u8]) -> Option<(usize, usize)> {
    let (rest_len, (value, rest)) = (b.len(), delimited(b)?);
    Some((rest_len - rest.len() - value.len(), value.len()))
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

/// An `AnyValue` that is one string field: its bytes, not yet checked
/// to be UTF-8.
pub(super) fn string_bytes(any: &[u8]) -> Option<&[u8]> {
    match any.split_first()? {
        (0x0a, body) => match delimited(body)? {
            (s, []) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// An `AnyValue` that is one string field, borrowed.
fn text(any: &[u8]) -> Option<&str> {
    std::str::from_utf8(string_bytes(any)?).ok()
}

/// An `AnyValue` that is one scalar field: a string, bool, int, double or
/// bytes, read without decoding. Anything else (a list, a map, an empty or
/// oddly encoded value) is `None`, for the decoder.
pub(super) fn scalar(any: &[u8]) -> Option<Value> {
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
