//! What the attributes and span processor tests share: attributes written
//! briefly, and rules compiled from a block body as a user writes it.

use std::net::{IpAddr, Ipv4Addr};

use solder_syntax::Scope;

use super::rewrite::Rewrite;
use crate::decode::decode;
use crate::harness::evaluate;
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, KeyValue};

/// Attributes as a test writes them.
pub type Attrs<'a> = Vec<(&'a str, V)>;

pub fn s(v: &str) -> V {
    V::StringValue(v.to_string())
}

pub fn attrs(list: &[(&str, V)]) -> Vec<KeyValue> {
    list.iter().map(|(k, v)| KeyValue { key: k.to_string(), value: Some(AnyValue { value: Some(v.clone()) }), ..Default::default() }).collect()
}

/// The rules of component `name` with this body (an empty `output` is
/// added), or the first error's message.
pub fn compiled<R: Rewrite>(name: &str, body: &str) -> Result<R, String> {
    let ev = evaluate(name, &format!("{body}\noutput {{}}"), &Scope::default()).map_err(|d| d.message)?;
    let args: R::Arguments = decode(&ev).map_err(|d| d.message)?;
    R::compile(&args).map_err(|e| e.message)
}

/// A pod's address, as a receiver sets it on what a client sent: the
/// processors must hand it on with what they rewrite.
pub const POD_IP: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)));
