//! Spans read straight from the request bytes, with the walker span
//! metrics uses (`otlp::wire_spans`): no decoded request is built.
//!
//! The whole request is read before any edge changes, so a malformed one
//! is refused as a whole, as decoding it would be. Attribute lookups keep
//! the decoded path's rules: the first attribute with a name wins, even
//! when its value is not a name, and a resource attribute hides a span's.

use std::borrow::Cow;

use tokio::time::Instant;

use super::edges::{ConnectionType, EdgeKey};
use super::graph::{side, Call, Graph, Side};
use crate::otlp::proto::common::v1::any_value;
use crate::otlp::proto::trace::v1::status::StatusCode;
use crate::otlp::wire::WireError;
use crate::otlp::wire_spans::{self, decode_value, utf8, AttrValue, Attribute, Attributes, Body, SpanView};

/// One span that is a side of a call, before it is applied.
struct Head {
    /// Index into the services read.
    service: usize,
    side: Side,
    connection_type: ConnectionType,
    key: EdgeKey,
    latency: f64,
    failed: bool,
}

/// The first value of each wanted attribute name met in a list.
struct Firsts<'n, 'a> {
    names: &'n [&'n str],
    values: &'n mut [Option<AttrValue<'a>>],
}

impl<'a> Attributes<'a> for Firsts<'_, 'a> {
    #[inline]
    fn attribute(&mut self, a: Attribute<'a>) -> Result<(), WireError> {
        for (name, slot) in self.names.iter().zip(self.values.iter_mut()) {
            if slot.is_none() && a.key == name.as_bytes() {
                a.value_into(slot)?;
            }
        }
        Ok(())
    }
}

impl Graph {
    /// Pairs every client and server span of an encoded trace `request`;
    /// malformed bytes are an error, and leave the graph as it was.
    pub fn consume(&mut self, request: &[u8], now: Instant) -> Result<(), WireError> {
        let mut names: Vec<&str> = self.config.wanted().collect();
        let n = names.len();
        names.push("service.name");
        let peers = self.config.dimensions.len()..n - 1;
        let (mut heads, mut services, mut found) = (Vec::new(), Vec::new(), Vec::new());
        let mut span_values = vec![None; n];
        wire_spans::resource_spans(Body::request(request), |rs| {
            let mut resource = vec![None; n + 1];
            wire_spans::resource_attributes(rs, &mut Firsts { names: &names, values: &mut resource })?;
            // As the collector does: spans without a service cannot be nodes.
            let Some(service) = resource[n].map(text).transpose()?.flatten() else { return Ok(()) };
            services.push(service);
            wire_spans::scope_spans(rs, |ss| {
                wire_spans::spans(ss, |body| {
                    span_values.fill(None);
                    let s = SpanView::read(body, &mut Firsts { names: &names[..n], values: &mut span_values })?;
                    let Some((side, connection_type, key)) = side(s.kind, s.trace_id, s.span_id, s.parent_span_id) else { return Ok(()) };
                    for (i, span_value) in span_values.iter().enumerate() {
                        let value = if peers.contains(&i) { *span_value } else { resource[i].or(*span_value) };
                        found.push(value.map(text).transpose()?.flatten());
                    }
                    let latency = s.end.saturating_sub(s.start) as f64 / 1e9;
                    let failed = s.status_code == StatusCode::Error as i32;
                    heads.push(Head { service: services.len() - 1, side, connection_type, key, latency, failed });
                    Ok(())
                })
            })
        })?;
        for (head, found) in heads.into_iter().zip(found.chunks(n.max(1))) {
            let Some(service) = services.get(head.service) else { continue };
            let Head { side, connection_type, key, latency, failed, .. } = head;
            self.call(Call { service, side, connection_type, key, latency, failed, found }, now);
        }
        Ok(())
    }
}

/// An attribute's value as the decoded path names it: `None` for values
/// that are not names (absent, empty, arrays, maps).
fn text(value: AttrValue<'_>) -> Result<Option<Cow<'_, str>>, WireError> {
    Ok(match value {
        AttrValue::Missing | AttrValue::Empty => None,
        AttrValue::Str(s) => Some(Cow::Borrowed(utf8(s)?)),
        AttrValue::Bool(b) => Some(b.to_string().into()),
        AttrValue::Int(i) => Some(i.to_string().into()),
        AttrValue::Double(bits) => Some(f64::from_bits(bits).to_string().into()),
        AttrValue::Other(kv) => match decode_value(kv)?.and_then(|v| v.value) {
            Some(any_value::Value::BytesValue(b)) => Some(hex::encode(b).into()),
            _ => None,
        },
    })
}
