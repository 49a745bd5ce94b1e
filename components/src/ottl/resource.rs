//! The `resource` and `scope` contexts, and the views of a resource and a
//! scope that every lower context holds for its `resource.` and
//! `instrumentation_scope.` paths.

use solder_syntax::ottl::{Context, Key, PathId, Value};

use super::schema::{locate, Part, ResourceField, ScopeField, RESOURCE, RESOURCE_PARTS, SCOPE, SCOPE_PARTS};
use super::{typed, value};
use crate::otlp::proto::common::v1::InstrumentationScope;
use crate::otlp::proto::resource::v1::Resource;

/// A resource and the schema URL beside it in its `Resource*` message. An
/// absent resource reads as an empty one and is created by a write.
pub struct ResourceView<'a> {
    pub resource: &'a mut Option<Resource>,
    pub schema_url: &'a mut String,
}

impl ResourceView<'_> {
    /// A shorter-lived view, so one view can serve each item below it in turn.
    pub fn reborrow(&mut self) -> ResourceView<'_> {
        ResourceView { resource: &mut *self.resource, schema_url: &mut *self.schema_url }
    }

    /// Reads the `i`th [`ResourceField`].
    pub(crate) fn get(&self, i: usize, keys: &[Key]) -> Result<Value, String> {
        let r = self.resource.as_ref();
        Ok(match ResourceField::ALL[i] {
            ResourceField::Attributes => return value::map_get(r.map_or(&[], |r| &r.attributes[..]), keys),
            ResourceField::DroppedAttributesCount => Value::Int(r.map_or(0, |r| r.dropped_attributes_count) as i64),
            ResourceField::SchemaUrl => Value::Str(self.schema_url.clone()),
        })
    }

    /// Writes the `i`th [`ResourceField`]. The value is checked before an
    /// absent resource is created, so a refused write adds nothing.
    pub(crate) fn set(&mut self, i: usize, keys: &[Key], v: Value) -> Result<(), String> {
        match ResourceField::ALL[i] {
            ResourceField::Attributes => value::map_set(&mut self.resource_mut().attributes, keys, v)?,
            ResourceField::DroppedAttributesCount => {
                let n = typed::uint32(v)?;
                self.resource_mut().dropped_attributes_count = n;
            }
            ResourceField::SchemaUrl => *self.schema_url = typed::string(v)?,
        }
        Ok(())
    }

    fn resource_mut(&mut self) -> &mut Resource {
        self.resource.get_or_insert_with(Resource::default)
    }
}

/// An instrumentation scope and the schema URL beside it in its `Scope*`
/// message.
pub struct ScopeView<'a> {
    pub scope: &'a mut Option<InstrumentationScope>,
    pub schema_url: &'a mut String,
}

impl ScopeView<'_> {
    pub fn reborrow(&mut self) -> ScopeView<'_> {
        ScopeView { scope: &mut *self.scope, schema_url: &mut *self.schema_url }
    }

    /// Reads the `i`th [`ScopeField`].
    pub(crate) fn get(&self, i: usize, keys: &[Key]) -> Result<Value, String> {
        let s = self.scope.as_ref();
        Ok(match ScopeField::ALL[i] {
            ScopeField::Name => Value::str(s.map_or("", |s| &s.name[..])),
            ScopeField::Version => Value::str(s.map_or("", |s| &s.version[..])),
            ScopeField::Attributes => return value::map_get(s.map_or(&[], |s| &s.attributes[..]), keys),
            ScopeField::DroppedAttributesCount => Value::Int(s.map_or(0, |s| s.dropped_attributes_count) as i64),
            ScopeField::SchemaUrl => Value::Str(self.schema_url.clone()),
        })
    }

    /// Writes the `i`th [`ScopeField`]. The value is checked before an
    /// absent scope is created, so a refused write adds nothing.
    pub(crate) fn set(&mut self, i: usize, keys: &[Key], v: Value) -> Result<(), String> {
        match ScopeField::ALL[i] {
            ScopeField::Name => {
                let name = typed::string(v)?;
                self.scope_mut().name = name;
            }
            ScopeField::Version => {
                let version = typed::string(v)?;
                self.scope_mut().version = version;
            }
            ScopeField::Attributes => value::map_set(&mut self.scope_mut().attributes, keys, v)?,
            ScopeField::DroppedAttributesCount => {
                let n = typed::uint32(v)?;
                self.scope_mut().dropped_attributes_count = n;
            }
            ScopeField::SchemaUrl => *self.schema_url = typed::string(v)?,
        }
        Ok(())
    }

    fn scope_mut(&mut self) -> &mut InstrumentationScope {
        self.scope.get_or_insert_with(InstrumentationScope::default)
    }
}

/// One resource as `resource` statements see it.
pub struct ResourceContext<'a> {
    pub resource: ResourceView<'a>,
}

impl Context for ResourceContext<'_> {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        let (_, i) = locate(&RESOURCE, RESOURCE_PARTS, path, keys)?;
        self.resource.get(i, keys)
    }

    fn set(&mut self, path: PathId, keys: &[Key], value: Value) -> Result<(), String> {
        let (_, i) = locate(&RESOURCE, RESOURCE_PARTS, path, keys)?;
        self.resource.set(i, keys, value)
    }
}

/// One scope as `scope` statements see it, with its resource.
pub struct ScopeContext<'a> {
    pub resource: ResourceView<'a>,
    pub scope: ScopeView<'a>,
}

impl Context for ScopeContext<'_> {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        match locate(&SCOPE, SCOPE_PARTS, path, keys)? {
            (Part::Resource, i) => self.resource.get(i, keys),
            (_, i) => self.scope.get(i, keys),
        }
    }

    fn set(&mut self, path: PathId, keys: &[Key], value: Value) -> Result<(), String> {
        match locate(&SCOPE, SCOPE_PARTS, path, keys)? {
            (Part::Resource, i) => self.resource.set(i, keys, value),
            (_, i) => self.scope.set(i, keys, value),
        }
    }
}
