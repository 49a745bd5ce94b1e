//! The shape of a component's arguments, read off its `Arguments` type.
//!
//! The schema is what the docs check compares a component's reference
//! page against, and what tells the API and the UI which arguments are
//! secrets. It is traced, not written: a deserializer walks the type the
//! way the decoder would, and notes every field it is asked for, whether
//! it became a block (a struct, by the decoder's rule) and whether it is a
//! [`Secret`](crate::types::Secret). Nothing can drift from the type,
//! because nothing else describes it.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use serde::de::value::Error;
use serde::de::{self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess, Visitor};

use super::value::{CAPSULE, SECRET};

/// One argument of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// A block (`name { ... }`) rather than an attribute (`name = value`).
    pub block: bool,
    /// A block that may appear more than once, or an attribute holding a
    /// list.
    pub repeated: bool,
    /// Typed as a secret: shown as `(secret)` whatever its value's source.
    pub secret: bool,
}

/// Every argument of a component, by path (`client.tls.ca_file`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    pub fields: BTreeMap<String, Field>,
}

impl Schema {
    /// Paths of every attribute.
    pub fn attributes(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().filter(|(_, f)| !f.block).map(|(p, _)| p.as_str())
    }

    /// Paths of every block.
    pub fn blocks(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().filter(|(_, f)| f.block).map(|(p, _)| p.as_str())
    }

    /// Paths of every secret attribute.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().filter(|(_, f)| f.secret).map(|(p, _)| p.as_str())
    }

    /// Whether the attribute at `path` is a secret. Paths of repeated
    /// blocks carry no index: `endpoint.basic_auth.password`.
    pub fn is_secret(&self, path: &str) -> bool {
        self.fields.get(path).is_some_and(|f| f.secret)
    }
}

thread_local! {
    static TRACING: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is tracing a schema: a capsule argument then takes
/// a stand-in capsule of any type, and a type that counts its decodes can
/// tell a trace from a decode.
pub fn tracing() -> bool {
    TRACING.with(Cell::get)
}

/// The schema of `T`.
pub fn of<T: DeserializeOwned>() -> Schema {
    let fields = RefCell::new(BTreeMap::new());
    TRACING.with(|t| t.set(true));
    // A failure only ends the walk early; what was seen is still the truth.
    let _ = T::deserialize(Tracer { path: String::new(), fields: &fields });
    TRACING.with(|t| t.set(false));
    Schema { fields: fields.into_inner() }
}

/// Deserializes a field at `path` from nothing, noting what it turns out
/// to be.
struct Tracer<'a> {
    path: String,
    fields: &'a RefCell<BTreeMap<String, Field>>,
}

impl Tracer<'_> {
    fn mark(&self, f: impl FnOnce(&mut Field)) {
        if !self.path.is_empty() {
            let mut fields = self.fields.borrow_mut();
            f(fields.entry(self.path.clone()).or_insert(Field { block: false, repeated: false, secret: false }));
        }
    }
}

macro_rules! plain {
    ($($method:ident => $visit:ident($($v:expr)?)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.mark(|_| {});
            visitor.$visit($($v)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Tracer<'_> {
    type Error = Error;

    plain!(
        deserialize_any => visit_u64(0), deserialize_bool => visit_bool(false),
        deserialize_i8 => visit_i64(0), deserialize_i16 => visit_i64(0), deserialize_i32 => visit_i64(0), deserialize_i64 => visit_i64(0),
        deserialize_u8 => visit_u64(0), deserialize_u16 => visit_u64(0), deserialize_u32 => visit_u64(0), deserialize_u64 => visit_u64(0),
        deserialize_f32 => visit_f64(0.0), deserialize_f64 => visit_f64(0.0), deserialize_char => visit_char('0'),
        deserialize_str => visit_str("0"), deserialize_string => visit_str("0"), deserialize_identifier => visit_str("0"),
        deserialize_bytes => visit_bytes(&[]), deserialize_byte_buf => visit_bytes(&[]),
        deserialize_unit => visit_unit(), deserialize_ignored_any => visit_unit(),
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Error> {
        match name {
            SECRET => {
                self.mark(|f| f.secret = true);
                visitor.visit_str("0")
            }
            CAPSULE => {
                self.mark(|_| {});
                crate::types::stash_capsule(solder_syntax::value::Capsule::new("schema", ()));
                visitor.visit_unit()
            }
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.mark(|f| f.repeated = true);
        visitor.visit_seq(Once(Some(self)))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    /// A map is an attribute holding an object: its keys are the user's.
    /// One value is traced at the map's own path, so a map of secrets
    /// (`headers`) is a secret attribute.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.mark(|_| {});
        visitor.visit_map(OneValue(Some(self)))
    }

    /// A struct is a block, as the decoder has it.
    fn deserialize_struct<V: Visitor<'de>>(self, _name: &'static str, names: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        self.mark(|f| f.block = true);
        visitor.visit_map(Fields { names: names.iter(), path: self.path, fields: self.fields })
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, variants: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        self.mark(|_| {});
        visitor.visit_enum(Variant { name: variants.first().copied().unwrap_or_default() })
    }
}

/// Every field of a struct, each traced at its own path.
struct Fields<'a> {
    names: std::slice::Iter<'static, &'static str>,
    path: String,
    fields: &'a RefCell<BTreeMap<String, Field>>,
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        match self.names.clone().next() {
            Some(name) => seed.deserialize((*name).into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let name = self.names.next().ok_or_else(|| de::Error::custom("value before key"))?;
        let path = if self.path.is_empty() { (*name).to_string() } else { format!("{}.{name}", self.path) };
        seed.deserialize(Tracer { path, fields: self.fields })
    }
}

/// A map of one traced value, under the key `"0"`.
struct OneValue<'a>(Option<Tracer<'a>>);

impl<'de> MapAccess<'de> for OneValue<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        match self.0 {
            Some(_) => seed.deserialize("0".into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let tracer = self.0.take().ok_or_else(|| de::Error::custom("value before key"))?;
        seed.deserialize(tracer)
    }
}

/// A list of one traced element: enough to see what an element is.
struct Once<'a>(Option<Tracer<'a>>);

impl<'de> SeqAccess<'de> for Once<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.0.take() {
            Some(t) => seed.deserialize(t).map(Some),
            None => Ok(None),
        }
    }
}

/// An enum's first variant, as a unit: argument enums are names.
struct Variant {
    name: &'static str,
}

impl<'de> EnumAccess<'de> for Variant {
    type Error = Error;
    type Variant = Variant;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Variant), Error> {
        let de: de::value::StrDeserializer<'_, Error> = self.name.into_deserializer();
        Ok((seed.deserialize(de)?, self))
    }
}

impl<'de> VariantAccess<'de> for Variant {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Error> {
        Err(de::Error::custom("argument enums are names"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("argument enums are names"))
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("argument enums are names"))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::types::{Duration, Handle, Secret};

    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Tls {
        ca_file: String,
        key_pem: Option<Secret>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Fast,
        Slow,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Args {
        endpoint: String,
        timeout: Duration,
        mode: Mode,
        headers: BTreeMap<String, String>,
        tokens: BTreeMap<String, Secret>,
        forward_to: Vec<Handle<()>>,
        tls: Option<Tls>,
        rule: Vec<Tls>,
        password: Secret,
    }

    #[test]
    fn traces_attributes_blocks_and_secrets() {
        let s = of::<Args>();
        let attrs: Vec<&str> = s.attributes().collect();
        assert_eq!(
            attrs,
            ["endpoint", "forward_to", "headers", "mode", "password", "rule.ca_file", "rule.key_pem", "timeout", "tls.ca_file", "tls.key_pem", "tokens"]
        );
        assert_eq!(s.blocks().collect::<Vec<_>>(), ["rule", "tls"]);
        assert_eq!(s.secrets().collect::<Vec<_>>(), ["password", "rule.key_pem", "tls.key_pem", "tokens"], "a map of secrets is a secret");
        assert!(s.fields["rule"].repeated && !s.fields["tls"].repeated);
        assert!(!tracing(), "tracing is off once the walk ends");
    }
}
