//! Deserializing a block body: its attributes and nested blocks become the
//! fields of a struct.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use solder_syntax::suggest::did_you_mean;
use solder_syntax::Span;

use super::value::ValueDeserializer;
use super::DecodeError;
use crate::body::{EvalBody, Item};

pub(crate) struct BodyDeserializer<'a> {
    pub body: &'a EvalBody,
    /// The block's name, for messages; empty for a component's own body.
    pub name: &'a str,
}

/// One field of a struct as the body provides it.
enum Entry<'a> {
    Attribute {
        value: &'a solder_syntax::Value,
        span: Span,
    },
    /// All blocks of the same name, in order: `dimension { } dimension { }`
    /// fills a `Vec`.
    Blocks(Vec<(&'a EvalBody, Span)>),
}

impl<'a> BodyDeserializer<'a> {
    /// Checks names against the struct's fields (Alloy's "unrecognized"
    /// errors), rejects repeated attributes, and groups blocks by name.
    fn entries(&self, fields: &'static [&'static str]) -> Result<Vec<(&'a str, Entry<'a>)>, DecodeError> {
        let mut out: Vec<(&'a str, Entry<'a>)> = Vec::new();
        for item in &self.body.items {
            let name = item.name();
            if !fields.is_empty() && !fields.contains(&name) {
                let kind = if matches!(item, Item::Attribute { .. }) { "attribute" } else { "block" };
                let help = did_you_mean(name, fields.iter().copied()).map(|s| format!("did you mean {s:?}?"));
                return Err(DecodeError::at(item.name_span(), format!("unrecognized {kind} name {name:?}")).with_help(help));
            }
            let existing = out.iter_mut().find(|(n, _)| *n == name);
            match (item, existing) {
                (Item::Attribute { value, value_span, .. }, None) => out.push((name, Entry::Attribute { value, span: *value_span })),
                (Item::Attribute { name_span, .. }, Some((_, Entry::Attribute { .. }))) => {
                    return Err(DecodeError::at(*name_span, format!("attribute {name:?} may only be provided once")));
                }
                (Item::Block { body, name_span, .. }, None) => out.push((name, Entry::Blocks(vec![(body, *name_span)]))),
                (Item::Block { body, name_span, .. }, Some((_, Entry::Blocks(list)))) => list.push((body, *name_span)),
                (item, Some(_)) => {
                    return Err(DecodeError::at(item.name_span(), format!("{name:?} is used both as an attribute and as a block")));
                }
            }
        }
        Ok(out)
    }

    fn visit<'de, V: Visitor<'de>>(self, fields: &'static [&'static str], visitor: V) -> Result<V::Value, DecodeError> {
        let entries = self.entries(fields)?;
        visitor.visit_map(BodyFields { entries: entries.into_iter(), pending: None }).map_err(|e| e.or_at(self.body.span))
    }

    fn not_an_attribute(&self) -> DecodeError {
        DecodeError::at(self.body.span, format!("{:?} must be an attribute, but is used as a block", self.name))
    }
}

macro_rules! not_attribute {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DecodeError> {
            Err(self.not_an_attribute())
        }
    )*};
}

impl<'de, 'a> de::Deserializer<'de> for BodyDeserializer<'a> {
    type Error = DecodeError;

    fn deserialize_struct<V: Visitor<'de>>(self, _name: &'static str, fields: &'static [&'static str], visitor: V) -> Result<V::Value, DecodeError> {
        self.visit(fields, visitor)
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.visit(&[], visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    not_attribute!(
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, _visitor: V) -> Result<V::Value, DecodeError> {
        Err(self.not_an_attribute())
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, DecodeError> {
        Err(self.not_an_attribute())
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, _visitor: V) -> Result<V::Value, DecodeError> {
        Err(self.not_an_attribute())
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, _variants: &'static [&'static str], _visitor: V) -> Result<V::Value, DecodeError> {
        Err(self.not_an_attribute())
    }
}

struct BodyFields<'a> {
    entries: std::vec::IntoIter<(&'a str, Entry<'a>)>,
    pending: Option<(&'a str, Entry<'a>)>,
}

impl<'de, 'a> MapAccess<'de> for BodyFields<'a> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        let Some((name, entry)) = self.entries.next() else { return Ok(None) };
        self.pending = Some((name, entry));
        let de: de::value::StrDeserializer<'_, DecodeError> = name.into_deserializer();
        seed.deserialize(de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DecodeError> {
        match self.pending.take() {
            Some((name, Entry::Attribute { value, span })) => seed.deserialize(ValueDeserializer { value, name, span }),
            Some((name, Entry::Blocks(blocks))) => seed.deserialize(BlocksDeserializer { name, blocks }),
            None => Err(DecodeError::new("block field requested before its name")),
        }
    }
}

/// The blocks that share one name: a `Vec` field takes all of them, any
/// other field exactly one.
struct BlocksDeserializer<'a> {
    name: &'a str,
    blocks: Vec<(&'a EvalBody, Span)>,
}

impl<'a> BlocksDeserializer<'a> {
    fn not_an_attribute(&self) -> DecodeError {
        let span = self.blocks.first().map_or(Span::default(), |(_, s)| *s);
        DecodeError::at(span, format!("{:?} must be an attribute, but is used as a block", self.name))
    }

    fn single(self) -> Result<BodyDeserializer<'a>, DecodeError> {
        if let Some((_, second)) = self.blocks.get(1) {
            return Err(DecodeError::at(*second, format!("block {:?} may only be provided once", self.name)));
        }
        match self.blocks.first() {
            Some((body, _)) => Ok(BodyDeserializer { body, name: self.name }),
            None => Err(DecodeError::new(format!("block {:?} is missing", self.name))),
        }
    }
}

impl<'de, 'a> de::Deserializer<'de> for BlocksDeserializer<'a> {
    type Error = DecodeError;

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_seq(Blocks { name: self.name, blocks: self.blocks.into_iter() })
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_some(self)
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.single()?.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(self, name: &'static str, fields: &'static [&'static str], visitor: V) -> Result<V::Value, DecodeError> {
        self.single()?.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    not_attribute!(
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_map,
        deserialize_identifier
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, _visitor: V) -> Result<V::Value, DecodeError> {
        Err(self.not_an_attribute())
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, DecodeError> {
        Err(self.not_an_attribute())
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, _visitor: V) -> Result<V::Value, DecodeError> {
        Err(self.not_an_attribute())
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, _variants: &'static [&'static str], _visitor: V) -> Result<V::Value, DecodeError> {
        Err(self.not_an_attribute())
    }
}

struct Blocks<'a> {
    name: &'a str,
    blocks: std::vec::IntoIter<(&'a EvalBody, Span)>,
}

impl<'de, 'a> SeqAccess<'de> for Blocks<'a> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DecodeError> {
        match self.blocks.next() {
            Some((body, _)) => seed.deserialize(BodyDeserializer { body, name: self.name }).map(Some),
            None => Ok(None),
        }
    }
}
