//! Deserializing one attribute's value.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use solder_syntax::value::{Number, Value};
use solder_syntax::Span;

use super::DecodeError;

/// Newtype names with special meaning to the decoder; see `crate::types`.
pub(crate) const SECRET: &str = "$solder::Secret";
pub(crate) const CAPSULE: &str = "$solder::Capsule";

/// A value, the attribute it belongs to (for messages) and where it was
/// written.
pub(crate) struct ValueDeserializer<'a> {
    pub value: &'a Value,
    pub name: &'a str,
    pub span: Span,
}

impl<'a> ValueDeserializer<'a> {
    fn type_error(&self, expected: &str) -> DecodeError {
        DecodeError::at(self.span, format!("{:?} should be {expected}, got {}", self.name, self.value.ty()))
    }

    fn number(&self) -> Result<Number, DecodeError> {
        match self.value {
            Value::Number(n) => Ok(*n),
            _ => Err(self.type_error("number")),
        }
    }

    fn integer<T: TryFrom<i128>>(&self) -> Result<T, DecodeError> {
        let n = self.number()?;
        let whole = match n {
            Number::Int(i) => i128::from(i),
            Number::Uint(u) => i128::from(u),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 1e38 => f as i128,
            Number::Float(_) => return Err(DecodeError::at(self.span, format!("{:?} should be a whole number, got {n}", self.name))),
        };
        T::try_from(whole).map_err(|_| DecodeError::at(self.span, format!("{:?}: {n} is out of range", self.name)))
    }
}

macro_rules! integers {
    ($($method:ident $visit:ident $t:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
            let v: $t = self.integer()?;
            visitor.$visit(v).map_err(|e: DecodeError| e.or_at(self.span))
        }
    )*};
}

impl<'de, 'a> de::Deserializer<'de> for ValueDeserializer<'a> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let span = self.span;
        let r = match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(Number::Int(i)) => visitor.visit_i64(*i),
            Value::Number(Number::Uint(u)) => visitor.visit_u64(*u),
            Value::Number(Number::Float(f)) => visitor.visit_f64(*f),
            Value::String(s) => visitor.visit_str(s),
            Value::Array(items) => visitor.visit_seq(Items { items: items.iter(), name: self.name, span }),
            Value::Object(fields) => visitor.visit_map(Fields { fields: fields.iter(), pending: None, name: self.name, span }),
            other => return Err(self.type_error(&format!("a plain value, not a {}", other.ty()))),
        };
        r.map_err(|e| e.or_at(span))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Bool(b) => visitor.visit_bool(*b),
            _ => Err(self.type_error("bool")),
        }
    }

    integers!(deserialize_i8 visit_i8 i8, deserialize_i16 visit_i16 i16, deserialize_i32 visit_i32 i32, deserialize_i64 visit_i64 i64,
              deserialize_u8 visit_u8 u8, deserialize_u16 visit_u16 u16, deserialize_u32 visit_u32 u32, deserialize_u64 visit_u64 u64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_f32(self.number()?.as_f64() as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_f64(self.number()?.as_f64())
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::String(s) => visitor.visit_str(s).map_err(|e: DecodeError| e.or_at(self.span)),
            _ => Err(self.type_error("string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::String(s) => visitor.visit_bytes(s.as_bytes()),
            _ => Err(self.type_error("string")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            _ => Err(self.type_error("null")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_unit(visitor)
    }

    /// Secrets and capsules travel through serde as marked newtypes; see
    /// `crate::types` for the receiving side.
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, DecodeError> {
        match (name, self.value) {
            (SECRET, Value::Secret(s)) => visitor.visit_str(s.expose()),
            (SECRET, Value::String(s)) => visitor.visit_str(s),
            (SECRET, _) => Err(self.type_error("secret")),
            (CAPSULE, Value::Capsule(c)) => {
                crate::types::stash_capsule(c.clone());
                visitor.visit_unit()
            }
            (CAPSULE, _) => Err(self.type_error("capsule")),
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Array(items) => visitor.visit_seq(Items { items: items.iter(), name: self.name, span: self.span }),
            _ => Err(self.type_error("array")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Object(fields) => visitor.visit_map(Fields { fields: fields.iter(), pending: None, name: self.name, span: self.span }),
            _ => Err(self.type_error("object")),
        }
    }

    /// A struct is a block; an attribute can never fill one.
    fn deserialize_struct<V: Visitor<'de>>(self, _name: &'static str, _fields: &'static [&'static str], _visitor: V) -> Result<V::Value, DecodeError> {
        Err(DecodeError::at(self.span, format!("{:?} must be a block, but is used as an attribute", self.name)))
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, _variants: &'static [&'static str], visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::String(s) => {
                let de: de::value::StrDeserializer<'_, DecodeError> = s.as_str().into_deserializer();
                visitor.visit_enum(de).map_err(|e| e.or_at(self.span))
            }
            _ => Err(self.type_error("string")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }
}

/// The elements of an array attribute. They share the attribute's span: the
/// evaluated value no longer knows where each element was written.
struct Items<'a> {
    items: std::slice::Iter<'a, Value>,
    name: &'a str,
    span: Span,
}

impl<'de, 'a> SeqAccess<'de> for Items<'a> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DecodeError> {
        match self.items.next() {
            Some(value) => seed.deserialize(ValueDeserializer { value, name: self.name, span: self.span }).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Fields<'a> {
    fields: std::collections::btree_map::Iter<'a, String, Value>,
    pending: Option<&'a Value>,
    name: &'a str,
    span: Span,
}

impl<'de, 'a> MapAccess<'de> for Fields<'a> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        match self.fields.next() {
            Some((k, v)) => {
                self.pending = Some(v);
                let de: de::value::StrDeserializer<'_, DecodeError> = k.as_str().into_deserializer();
                seed.deserialize(de).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DecodeError> {
        match self.pending.take() {
            Some(value) => seed.deserialize(ValueDeserializer { value, name: self.name, span: self.span }),
            None => Err(DecodeError::at(self.span, "object value requested before its key")),
        }
    }
}
