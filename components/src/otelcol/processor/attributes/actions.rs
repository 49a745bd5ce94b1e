//! The `action` block: one edit to an item's attributes, compiled once and
//! applied in the order written, as the Collector's `attraction` does.

use regex::Regex;
use serde::Deserialize;

use crate::component::ArgumentError;
use crate::otelcol::processor::attrvalue::{self, ConfigValue};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::KeyValue;

/// One `action` block.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionArgs {
    /// The attribute acted on. Required, except for `delete` and `hash`
    /// given a `pattern`.
    #[serde(default)]
    pub key: String,
    /// The value `insert`, `update` and `upsert` write, typed as written.
    #[serde(default)]
    pub value: Option<ConfigValue>,
    /// A regex: the keys `delete` and `hash` act on, or, for `extract`,
    /// the named groups pulled out of `key`'s value.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Another attribute whose value `insert`, `update` and `upsert` copy.
    #[serde(default)]
    pub from_attribute: Option<String>,
    /// Request metadata to copy. Refused: Solder does not carry client
    /// metadata through pipelines.
    #[serde(default)]
    pub from_context: Option<String>,
    /// For `convert`: `"int"`, `"double"` or `"string"`.
    #[serde(default)]
    pub converted_type: Option<String>,
    /// `insert`, `update`, `upsert`, `delete`, `hash`, `extract` or
    /// `convert`. Required.
    pub action: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Write {
    Insert,
    Update,
    Upsert,
}

#[derive(Debug, Clone)]
pub enum Source {
    Value(V),
    Attribute(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Converted {
    Int,
    Double,
    String,
}

/// A compiled action.
#[derive(Debug, Clone)]
pub enum Action {
    Write { key: String, source: Source, how: Write },
    Delete { key: String, pattern: Option<Regex> },
    Hash { key: String, pattern: Option<Regex> },
    Extract { key: String, regex: Regex, names: Vec<String> },
    Convert { key: String, to: Converted },
}

impl Action {
    /// Compiles the `index`th action block, with the Collector's checks.
    pub fn compile(a: &ActionArgs, index: usize) -> Result<Action, ArgumentError> {
        let err = |m: String| ArgumentError::new(format!("action[{index}]"), format!("action {index} ({}): {m}", a.action));
        if a.from_context.is_some() {
            return Err(err("from_context is not supported: Solder does not carry client metadata through pipelines".into()));
        }
        let key = a.key.clone();
        let needs_key = || if key.is_empty() { Err(err("missing required field \"key\"".into())) } else { Ok(()) };
        let regex = |p: &str| Regex::new(p).map_err(|e| err(format!("invalid pattern {p:?}: {e}")));
        let only = |allowed: &[&str]| {
            let given = [
                ("value", a.value.is_some()),
                ("pattern", a.pattern.is_some()),
                ("from_attribute", a.from_attribute.is_some()),
                ("converted_type", a.converted_type.is_some()),
            ];
            match given.iter().find(|(n, set)| *set && !allowed.contains(n)) {
                Some((n, _)) => Err(err(format!("{n} cannot be used with action {:?}", a.action))),
                None => Ok(()),
            }
        };
        let how = match a.action.as_str() {
            "insert" => Some(Write::Insert),
            "update" => Some(Write::Update),
            "upsert" => Some(Write::Upsert),
            _ => None,
        };
        if let Some(how) = how {
            needs_key()?;
            only(&["value", "from_attribute"])?;
            let source = match (&a.value, &a.from_attribute) {
                (Some(v), None) => Source::Value(v.0.clone()),
                (None, Some(f)) => Source::Attribute(f.clone()),
                _ => return Err(err("exactly one of value, from_attribute or from_context must be set".into())),
            };
            return Ok(Action::Write { key, source, how });
        }
        match a.action.as_str() {
            "delete" | "hash" => {
                only(&["pattern"])?;
                if key.is_empty() && a.pattern.is_none() {
                    return Err(err("missing required field \"key\" or \"pattern\"".into()));
                }
                let pattern = a.pattern.as_deref().map(regex).transpose()?;
                Ok(if a.action == "delete" { Action::Delete { key, pattern } } else { Action::Hash { key, pattern } })
            }
            "extract" => {
                needs_key()?;
                only(&["pattern"])?;
                let p = a.pattern.as_deref().ok_or_else(|| err("missing required field \"pattern\"".into()))?;
                let regex = regex(p)?;
                let names: Vec<String> = regex.capture_names().skip(1).map(|n| n.map(str::to_string)).collect::<Option<_>>().unwrap_or_default();
                if names.is_empty() || names.len() + 1 != regex.captures_len() {
                    return Err(err(format!("pattern {p:?} must contain named subexpressions only, e.g. (?P<name>...)")));
                }
                Ok(Action::Extract { key, regex, names })
            }
            "convert" => {
                needs_key()?;
                only(&["converted_type"])?;
                let to = match a.converted_type.as_deref() {
                    Some("int") => Converted::Int,
                    Some("double") => Converted::Double,
                    Some("string") => Converted::String,
                    other => return Err(err(format!("converted_type {other:?} is not one of \"int\", \"double\", \"string\""))),
                };
                Ok(Action::Convert { key, to })
            }
            other => Err(err(format!("{other:?} is not a valid action: use insert, update, upsert, delete, hash, extract or convert"))),
        }
    }

    /// Applies the action; returns whether the attributes changed.
    pub fn apply(&self, attrs: &mut Vec<KeyValue>) -> bool {
        match self {
            Action::Write { key, source, how } => {
                let value = match source {
                    Source::Value(v) => v.clone(),
                    Source::Attribute(from) => match attrvalue::get(attrs, from) {
                        Some(v) => v.clone(),
                        None => return false,
                    },
                };
                let present = attrvalue::get(attrs, key).is_some();
                let write = match how {
                    Write::Insert => !present,
                    Write::Update => present,
                    Write::Upsert => true,
                };
                if write {
                    attrvalue::put(attrs, key, value);
                }
                write
            }
            Action::Delete { key, pattern } => {
                let before = attrs.len();
                attrs.retain(|kv| !selected(kv, key, pattern.as_ref()));
                attrs.len() != before
            }
            Action::Hash { key, pattern } => {
                let mut changed = false;
                for kv in attrs.iter_mut().filter(|kv| selected(kv, key, pattern.as_ref())) {
                    let hashed = kv.value.as_ref().and_then(|v| v.value.as_ref()).map(sha256_hex).unwrap_or_default();
                    kv.value = Some(crate::otlp::proto::common::v1::AnyValue { value: Some(V::StringValue(hashed)) });
                    changed = true;
                }
                changed
            }
            Action::Extract { key, regex, names } => {
                let Some(V::StringValue(s)) = attrvalue::get(attrs, key) else { return false };
                let Some(caps) = regex.captures(s) else { return false };
                let found: Vec<(String, String)> =
                    names.iter().enumerate().filter_map(|(i, n)| caps.get(i + 1).map(|m| (n.clone(), m.as_str().to_string()))).collect();
                for (n, v) in &found {
                    attrvalue::put(attrs, n, V::StringValue(v.clone()));
                }
                !found.is_empty()
            }
            Action::Convert { key, to } => {
                let Some(v) = attrvalue::get(attrs, key) else { return false };
                match convert(v, *to) {
                    Some(new) if new != *v => {
                        attrvalue::put(attrs, key, new);
                        true
                    }
                    _ => false,
                }
            }
        }
    }
}

fn selected(kv: &KeyValue, key: &str, pattern: Option<&Regex>) -> bool {
    (!key.is_empty() && kv.key == key) || pattern.is_some_and(|p| p.is_match(&kv.key))
}

/// The Collector's hash: SHA-256 in hex of a string's bytes, or of an
/// integer's or double's 8 little-endian bytes, or of one byte for a bool;
/// other types hash to the empty string.
fn sha256_hex(v: &V) -> String {
    let bytes: Vec<u8> = match v {
        V::StringValue(s) => s.as_bytes().to_vec(),
        V::BoolValue(b) => vec![u8::from(*b)],
        V::IntValue(i) => i.to_le_bytes().to_vec(),
        V::DoubleValue(d) => d.to_bits().to_le_bytes().to_vec(),
        _ => return String::new(),
    };
    hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes))
}

/// The Collector's conversions; `None` when the value does not convert
/// (the attribute is then left as it was).
fn convert(v: &V, to: Converted) -> Option<V> {
    match (to, v) {
        (Converted::String, v) => Some(V::StringValue(attrvalue::as_string(v))),
        (Converted::Int, V::IntValue(i)) => Some(V::IntValue(*i)),
        (Converted::Int, V::DoubleValue(d)) => Some(V::IntValue(*d as i64)),
        (Converted::Int, V::BoolValue(b)) => Some(V::IntValue(i64::from(*b))),
        (Converted::Int, V::StringValue(s)) => s.parse().ok().map(V::IntValue),
        (Converted::Double, V::DoubleValue(d)) => Some(V::DoubleValue(*d)),
        (Converted::Double, V::IntValue(i)) => Some(V::DoubleValue(*i as f64)),
        (Converted::Double, V::BoolValue(b)) => Some(V::DoubleValue(f64::from(u8::from(*b)))),
        (Converted::Double, V::StringValue(s)) => s.parse().ok().map(V::DoubleValue),
        _ => None,
    }
}
