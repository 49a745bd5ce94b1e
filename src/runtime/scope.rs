//! Turns component exports into the scope expressions evaluate in:
//! `otelcol.processor.batch.default.input` is a field path through nested
//! objects keyed by the parts of the component's ID.

use std::collections::{BTreeMap, HashMap};

use solder_syntax::{Scope, Value};

use super::flow::capsule_address;

#[derive(Default, Clone)]
pub struct ScopeBuilder {
    roots: BTreeMap<String, Value>,
    /// Which component exported each consumer or receiver handle, by the
    /// handle's address: how the controller knows where telemetry goes.
    owners: HashMap<usize, String>,
}

impl ScopeBuilder {
    /// Places `exports` at the path spelled by `id`.
    pub fn insert(&mut self, id: &str, exports: Value) {
        record_owners(&mut self.owners, id, &exports);
        let mut parts = id.split('.');
        let Some(root) = parts.next() else { return };
        let rest: Vec<&str> = parts.collect();
        let slot = self.roots.entry(root.to_string()).or_insert_with(|| Value::Object(BTreeMap::new()));
        place(slot, &rest, exports);
    }

    pub fn scope(&self) -> Scope {
        Scope { vars: self.roots.clone() }
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
