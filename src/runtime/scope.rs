//! Turns component exports into the scope expressions evaluate in:
//! `otelcol.processor.batch.default.input` is a field path through nested
//! objects keyed by the parts of the component's ID.
//!
//! Each module (the top level, and every custom component instance) has a
//! scope of its own: a component inside a module sees that module's
//! components and its `argument` object, never the top level's.

use std::collections::{BTreeMap, HashMap};

use solder_syntax::{Scope, Value};

use super::flow::capsule_address;

#[derive(Default, Clone)]
pub struct ScopeBuilder {
    /// Each module's roots, by module path (`""` for the top level).
    modules: BTreeMap<String, BTreeMap<String, Value>>,
    /// Which component exported each consumer or receiver handle, by the
    /// handle's address: how the controller knows where telemetry goes.
    owners: HashMap<usize, String>,
}

impl ScopeBuilder {
    /// Places a top-level component's `exports` at the path spelled by `id`.
    #[cfg(test)]
    pub fn insert(&mut self, id: &str, exports: Value) {
        self.insert_in("", id, Some(id), exports);
    }

    /// Places `value` at the path spelled by `local` in `module`'s scope.
    /// `owner` is the global ID of the component that made the handles in
    /// it; values only passed along (arguments, exports of a custom
    /// component) keep the owners they already have.
    pub fn insert_in(&mut self, module: &str, local: &str, owner: Option<&str>, value: Value) {
        if let Some(owner) = owner {
            record_owners(&mut self.owners, owner, &value);
        }
        let mut parts = local.split('.');
        let Some(root) = parts.next() else { return };
        let rest: Vec<&str> = parts.collect();
        let roots = self.modules.entry(module.to_string()).or_default();
        let slot = roots.entry(root.to_string()).or_insert_with(|| Value::Object(BTreeMap::new()));
        place(slot, &rest, value);
    }

    /// The top level's scope.
    #[cfg(test)]
    pub fn scope(&self) -> Scope {
        self.scope_of("")
    }

    /// The scope expressions in `module` are evaluated in.
    pub fn scope_of(&self, module: &str) -> Scope {
        Scope { vars: self.modules.get(module).cloned().unwrap_or_default() }
    }

    /// The component that exported the handle at `address`.
    pub fn owner(&self, address: usize) -> Option<String> {
        self.owners.get(&address).cloned()
    }
}

fn record_owners(owners: &mut HashMap<usize, String>, id: &str, v: &Value) {
    match v {
        Value::Capsule(c) => {
            if let Some(address) = capsule_address(c) {
                owners.insert(address, id.to_string());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| record_owners(owners, id, i)),
        Value::Object(fields) => fields.values().for_each(|i| record_owners(owners, id, i)),
        _ => {}
    }
}

fn place(slot: &mut Value, path: &[&str], exports: Value) {
    let Some((first, rest)) = path.split_first() else {
        *slot = exports;
        return;
    };
    if !matches!(slot, Value::Object(_)) {
        *slot = Value::Object(BTreeMap::new());
    }
    if let Value::Object(fields) = slot {
        let child = fields.entry(first.to_string()).or_insert_with(|| Value::Object(BTreeMap::new()));
        place(child, rest, exports);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_nested_objects() {
        let mut s = ScopeBuilder::default();
        s.insert("local.file.a", Value::object([("content", Value::from("x"))]));
        s.insert("local.file.b", Value::object([("content", Value::from("y"))]));
        let v = s.scope().vars["local"].to_string();
        assert_eq!(v, r#"{ file = { a = { content = "x" }, b = { content = "y" } } }"#);
    }
}
