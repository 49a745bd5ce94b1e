//! Tests of the OTLP contexts and drivers, through the `Context` trait and
//! the drivers' generic cores (no compiled program needed).

mod contexts;
mod drivers;
mod schemas;
mod spans;
mod statements;
mod values;

use solder_syntax::ottl::{Context, Key, PathId, Schema, Value};

use super::resource::{ResourceView, ScopeView};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::resource::v1::Resource;

pub(super) fn k(s: &str) -> Key {
    Key::Str(s.to_string())
}

pub(super) fn kv(key: &str, v: V) -> KeyValue {
    KeyValue { key: key.to_string(), value: Some(AnyValue { value: Some(v) }), ..Default::default() }
}

pub(super) fn sv(s: &str) -> V {
    V::StringValue(s.to_string())
}

pub(super) fn path(schema: &Schema, name: &str) -> PathId {
    schema.path(name).unwrap_or_else(|| panic!("{} has no path {name}", schema.name))
}

/// Reads a path by name.
pub(super) fn get(ctx: &dyn Context, schema: &Schema, name: &str, keys: &[Key]) -> Result<Value, String> {
    ctx.get(path(schema, name), keys)
}

/// Writes a path by name.
pub(super) fn set(ctx: &mut dyn Context, schema: &Schema, name: &str, keys: &[Key], v: Value) -> Result<(), String> {
    ctx.set(path(schema, name), keys, v)
}

/// The resource and scope a test item lives under.
pub(super) struct Above {
    pub resource: Option<Resource>,
    pub resource_url: String,
    pub scope: Option<InstrumentationScope>,
    pub scope_url: String,
}

impl Above {
    pub fn new() -> Above {
        Above {
            resource: Some(Resource { attributes: vec![kv("host", sv("a"))], dropped_attributes_count: 1, ..Default::default() }),
            resource_url: "https://r".to_string(),
            scope: Some(InstrumentationScope { name: "lib".into(), version: "1.0".into(), attributes: vec![kv("s", sv("x"))], dropped_attributes_count: 2 }),
            scope_url: "https://s".to_string(),
        }
    }

    pub fn views(&mut self) -> (ResourceView<'_>, ScopeView<'_>) {
        (
            ResourceView { resource: &mut self.resource, schema_url: &mut self.resource_url },
            ScopeView { scope: &mut self.scope, schema_url: &mut self.scope_url },
        )
    }
}
