//! A custom component's evaluated body, as the `argument` object its
//! module reads.
//!
//! Which attributes an instance may set, and which it must, is checked
//! when the config loads (the body's shape is static); here only values
//! remain to be placed.

use std::collections::BTreeMap;

use solder_components::body::{EvalBody, Item};
use solder_syntax::Value;

use super::InstanceSpec;

/// `{ NAME = { value = V } }` for every declared argument: the value the
/// instance sets, else the argument's default (`null` without one).
pub fn argument_object(spec: &InstanceSpec, body: &EvalBody) -> Value {
    let mut set: BTreeMap<&str, &Value> = BTreeMap::new();
    for item in &body.items {
        if let Item::Attribute { name, value, .. } = item {
            set.insert(name, value);
        }
    }
    let fields = spec.arguments.iter().map(|a| {
        let value = set.get(a.name.as_str()).map(|v| (*v).clone()).unwrap_or_else(|| a.default.clone());
        (a.name.clone(), Value::Object(BTreeMap::from([("value".to_string(), value)])))
    });
    Value::Object(fields.collect())
}

/// The exports node's evaluated body (one attribute per `export` block)
/// as the object the parent module reads.
pub fn exports_object(body: &EvalBody) -> Value {
    let fields = body.items.iter().filter_map(|item| match item {
        Item::Attribute { name, value, .. } => Some((name.clone(), value.clone())),
        Item::Block { .. } => None,
    });
    Value::Object(fields.collect())
}
