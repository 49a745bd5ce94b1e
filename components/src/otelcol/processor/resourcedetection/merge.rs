//! The detected attributes, and how they join a payload's resources.

use bytes::Bytes;

use super::system::System;
use super::{env, kubernetes_node, system, KubernetesNode};
use crate::consumer::ConsumeError;
use crate::otelcol::processor::resources;
use crate::otlp::encoded::Request;
use crate::otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::Encoded;

/// The attributes every resource passing through gets, in detector order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detected {
    attributes: Vec<KeyValue>,
    /// Whether they replace a resource's own attributes of the same key.
    override_existing: bool,
}

/// Runs `detectors` in order; an attribute a former detector found wins
/// over a later one's, as in the Collector. `env` reads variables through
/// `var`, so that tests need not change the process's environment.
pub fn run(detectors: &[String], system: &System, node: &KubernetesNode, var: &dyn Fn(&str) -> Option<String>) -> Result<Detected, String> {
    let mut out = Detected::default();
    for d in detectors {
        let found = match d.as_str() {
            "env" => env::detect(var)?,
            "system" => system::detect(system)?,
            "kubernetes_node" => kubernetes_node::detect(node, var)?,
            other => return Err(format!("detector {other} is not supported yet")),
        };
        for (key, value) in found {
            if !out.attributes.iter().any(|a| a.key == key) {
                out.attributes.push(string_attribute(key, value));
            }
        }
    }
    Ok(out)
}

fn string_attribute(key: String, value: String) -> KeyValue {
    KeyValue { key, value: Some(AnyValue { value: Some(any_value::Value::StringValue(value)) }), ..Default::default() }
}

impl Detected {
    /// Attributes from `pairs`, for tests and benchmarks.
    pub fn of(pairs: &[(&str, &str)], override_existing: bool) -> Detected {
        let attributes = pairs.iter().map(|(k, v)| string_attribute(k.to_string(), v.to_string())).collect();
        Detected { attributes, override_existing }
    }

    pub fn with_override(mut self, override_existing: bool) -> Detected {
        self.override_existing = override_existing;
        self
    }

    pub fn len(&self) -> usize {
        self.attributes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }

    /// Each attribute as key and string value.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attributes.iter().map(|a| {
            let v = match a.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.as_str(),
                _ => "",
            };
            (a.key.as_str(), v)
        })
    }

    /// `data` with the attributes merged into each of its resources. With
    /// nothing detected, `data` itself: the same bytes, not a re-encoding.
    pub fn apply<M: Request>(&self, data: Encoded<M>) -> Result<Encoded<M>, ConsumeError> {
        if self.attributes.is_empty() {
            return Ok(data);
        }
        let unreadable = |e: &dyn std::fmt::Display| ConsumeError::permanent(format!("cannot decode {}: {e}", M::SIGNAL.as_str()));
        let bytes = resources::rewrite(data.bytes(), &mut |r| self.merge(r)).map_err(|e| unreadable(&e))?;
        data.replaced(Bytes::from(bytes)).map_err(|e| unreadable(&e))
    }

    fn merge(&self, resource: &mut Resource) {
        for kv in &self.attributes {
            match resource.attributes.iter_mut().find(|a| a.key == kv.key) {
                Some(existing) if self.override_existing => existing.value = kv.value.clone(),
                Some(_) => {}
                None => resource.attributes.push(kv.clone()),
            }
        }
    }
}
