//! Attribute values as the attributes and span processors read, write,
//! compare and print them: one place for the Collector's conversions, so
//! that `update`, `convert`, matching and renaming agree.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, KeyValue};

/// A `value` written in the config: string, number or bool, typed as
/// written (`2245` is an integer attribute, `"2245"` a string one).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigValue(pub V);

impl<'de> Deserialize<'de> for ConfigValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ConfigValue, D::Error> {
        struct Plain;
        impl Visitor<'_> for Plain {
            type Value = ConfigValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, number or bool")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ConfigValue, E> {
                Ok(ConfigValue(V::BoolValue(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ConfigValue, E> {
                Ok(ConfigValue(V::IntValue(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ConfigValue, E> {
                i64::try_from(v).map(|v| ConfigValue(V::IntValue(v))).map_err(|_| E::custom(format!("{v} is out of range for an integer attribute")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ConfigValue, E> {
                Ok(ConfigValue(V::DoubleValue(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ConfigValue, E> {
                Ok(ConfigValue(V::StringValue(v.to_string())))
            }
        }
        d.deserialize_any(Plain)
    }
}

/// The attribute named `key`, if present.
pub fn get<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a V> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref()).and_then(|v| v.value.as_ref())
}

/// Sets `key` to `value`, in place if present, else at the end.
pub fn put(attrs: &mut Vec<KeyValue>, key: &str, value: V) {
    match attrs.iter_mut().find(|kv| kv.key == key) {
        Some(kv) => kv.value = Some(AnyValue { value: Some(value) }),
        None => attrs.push(KeyValue { key: key.to_string(), value: Some(AnyValue { value: Some(value) }), ..Default::default() }),
    }
}

/// The value as a string, as the Collector's `AsString` prints it:
/// strings as they are, numbers in the shortest form that reads back the
/// same, bytes in base64, lists and maps as JSON.
pub fn as_string(v: &V) -> String {
    match v {
        V::StringValue(s) => s.clone(),
        V::BoolValue(b) => b.to_string(),
        V::IntValue(i) => i.to_string(),
        V::DoubleValue(d) => format_double(*d),
        V::BytesValue(b) => base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b),
        other => to_json(other).to_string(),
    }
}

fn format_double(d: f64) -> String {
    if d.is_finite() {
        format!("{d}")
    } else if d.is_nan() {
        "NaN".to_string()
    } else if d > 0.0 {
        "+Inf".to_string()
    } else {
        "-Inf".to_string()
    }
}

fn to_json(v: &V) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        V::StringValue(s) => J::String(s.clone()),
        V::BoolValue(b) => J::Bool(*b),
        V::IntValue(i) => J::from(*i),
        V::DoubleValue(d) => serde_json::Number::from_f64(*d).map_or(J::String(format_double(*d)), J::Number),
        V::BytesValue(_) => J::String(as_string(v)),
        V::ArrayValue(a) => J::Array(a.values.iter().map(|x| x.value.as_ref().map_or(J::Null, to_json)).collect()),
        V::StringValueStrindex(i) => J::from(*i),
        V::KvlistValue(m) => {
            J::Object(m.values.iter().map(|kv| (kv.key.clone(), kv.value.as_ref().and_then(|x| x.value.as_ref()).map_or(J::Null, to_json))).collect())
        }
    }
}
