//! The reference path: pairing spans from a decoded request. The
//! component reads spans from the wire instead ([`Graph::consume`]); this
//! path stays as the oracle the differential tests hold the wire path to,
//! and for the bench to compare with.

use std::borrow::Cow;

use tokio::time::Instant;

use super::graph::{side, Call, Graph};
use crate::otlp::proto::common::v1::{any_value, KeyValue};
use crate::otlp::proto::trace::v1::status::StatusCode;
use crate::otlp::proto::ExportTraceServiceRequest;

impl Graph {
    /// Pairs every client and server span of a decoded `request`.
    pub fn consume_decoded(&mut self, request: &ExportTraceServiceRequest, now: Instant) {
        for rs in &request.resource_spans {
            let resource: &[KeyValue] = rs.resource.as_ref().map_or(&[], |r| &r.attributes);
            // As the collector does: spans without a service cannot be nodes.
            let Some(service) = find("service.name", &[resource]) else { continue };
            for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
                let Some((side, connection_type, key)) = side(span.kind, &span.trace_id, &span.span_id, &span.parent_span_id) else { continue };
                let (d, p) = (self.config.dimensions.len(), self.config.peer_attributes.len());
                let found: Vec<_> = self
                    .config
                    .wanted()
                    .enumerate()
                    .map(|(i, name)| if (d..d + p).contains(&i) { find(name, &[&span.attributes]) } else { find(name, &[resource, &span.attributes]) })
                    .collect();
                let call = Call {
                    service: &service,
                    side,
                    connection_type,
                    key,
                    latency: span.end_time_unix_nano.saturating_sub(span.start_time_unix_nano) as f64 / 1e9,
                    failed: span.status.as_ref().is_some_and(|s| s.code == StatusCode::Error as i32),
                    found: &found,
                };
                self.call(call, now);
            }
        }
    }
}

/// The attribute `name` from the first list that has it, as a string.
/// Arrays and maps are not names and are skipped.
fn find<'a>(name: &str, lists: &[&'a [KeyValue]]) -> Option<Cow<'a, str>> {
    lists.iter().flat_map(|l| l.iter()).find(|kv| kv.key == name).and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(Cow::Borrowed(s.as_str())),
        any_value::Value::BoolValue(b) => Some(b.to_string().into()),
        any_value::Value::IntValue(i) => Some(i.to_string().into()),
        any_value::Value::DoubleValue(d) => Some(d.to_string().into()),
        any_value::Value::BytesValue(b) => Some(hex::encode(b).into()),
        _ => None,
    })
}
