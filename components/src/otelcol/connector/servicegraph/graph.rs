//! Spans in, completed edges out: how the connector turns each client or
//! server span into half of an edge, and what it infers for edges whose
//! other half never comes (virtual nodes), following the collector's
//! servicegraph connector.

use std::time::Duration as StdDuration;

use tokio::time::Instant;

use super::edges::{ConnectionType, Edge, EdgeKey, Store, Upsert};
use super::series::SeriesSet;
use crate::otlp::proto::common::v1::{any_value, KeyValue};
use crate::otlp::proto::trace::v1::{span::SpanKind, status::StatusCode, Span};
use crate::otlp::proto::ExportTraceServiceRequest;

/// The arguments that shape pairing, resolved from `Arguments`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Config {
    pub bounds: Vec<f64>,
    pub dimensions: Vec<String>,
    pub max_items: usize,
    pub ttl: StdDuration,
    pub peer_attributes: Vec<String>,
    pub database_name_attribute: String,
}

/// What happened to spans and edges since start, for debug info.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Counts {
    /// Edges with both sides, including inferred ones.
    pub completed: u64,
    /// Edges completed at expiry with a virtual node.
    pub virtual_nodes: u64,
    /// Edges that expired with no side that could be inferred.
    pub unpaired: u64,
    /// Spans dropped because the store held `max_items`.
    pub dropped_spans: u64,
}

/// The connector's whole state: the pending edges and the series.
#[derive(Default)]
pub(super) struct Graph {
    pub config: Config,
    pub store: Store,
    pub series: SeriesSet,
    pub counts: Counts,
}

/// Which side of an edge a span is.
#[derive(Clone, Copy)]
enum Side {
    Client,
    Server,
}

impl Graph {
    pub(super) fn new(config: Config) -> Graph {
        let mut g = Graph::default();
        g.configure(config);
        g
    }

    /// New arguments keep pending edges and series; only new histogram
    /// bounds restart the series.
    pub(super) fn configure(&mut self, config: Config) {
        self.series.set_bounds(config.bounds.clone());
        self.config = config;
    }

    /// Pairs every client and server span of the request.
    pub(super) fn consume(&mut self, req: &ExportTraceServiceRequest, now: Instant) {
        let Graph { config, store, series, counts } = self;
        for rs in &req.resource_spans {
            let resource: &[KeyValue] = rs.resource.as_ref().map_or(&[], |r| &r.attributes);
            // As the collector does: spans without a service cannot be nodes.
            let Some(service) = find("service.name", &[resource]) else { continue };
            for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
                let Some(pairing) = pair(config, &service, resource, span, store, now) else { continue };
                match pairing {
                    Upsert::Complete(edge) => complete(series, counts, edge, now),
                    Upsert::Stored => {}
                    Upsert::Dropped => counts.dropped_spans += 1,
                }
            }
        }
    }

    /// Expires edges past their ttl, completing those a virtual node can
    /// stand in for: a root server span was called by `"user"`; a client
    /// span called its first peer attribute, or `"unknown"`.
    pub(super) fn expire(&mut self, now: Instant) {
        let Graph { config, store, series, counts } = self;
        for (key, mut edge) in store.expire(now) {
            if edge.client.is_empty() && key.is_root() {
                edge.client = "user".to_string();
            } else if edge.server.is_empty() {
                let peer = config.peer_attributes.iter().find_map(|p| edge.peers.get(p).filter(|v| !v.is_empty()));
                edge.server = peer.map_or_else(|| "unknown".to_string(), Clone::clone);
            } else {
                counts.unpaired += 1;
                continue;
            }
            edge.connection_type = ConnectionType::VirtualNode;
            counts.virtual_nodes += 1;
            complete(series, counts, edge, now);
        }
    }
}

/// Applies one span to its edge in the store; `None` for spans that are
/// not one side of a call (internal spans, malformed ids).
fn pair(config: &Config, service: &str, resource: &[KeyValue], span: &Span, store: &mut Store, now: Instant) -> Option<Upsert> {
    let (side, connection_type, key) = match SpanKind::try_from(span.kind) {
        Ok(SpanKind::Client) => (Side::Client, ConnectionType::Direct, EdgeKey::new(&span.trace_id, &span.span_id)),
        Ok(SpanKind::Producer) => (Side::Client, ConnectionType::MessagingSystem, EdgeKey::new(&span.trace_id, &span.span_id)),
        Ok(SpanKind::Server) => (Side::Server, ConnectionType::Direct, EdgeKey::new(&span.trace_id, &span.parent_span_id)),
        Ok(SpanKind::Consumer) => (Side::Server, ConnectionType::MessagingSystem, EdgeKey::new(&span.trace_id, &span.parent_span_id)),
        _ => return None,
    };
    let key = key?;
    let latency = span.end_time_unix_nano.saturating_sub(span.start_time_unix_nano) as f64 / 1e9;
    let failed = span.status.as_ref().is_some_and(|s| s.code == StatusCode::Error as i32);
    let scopes = [resource, span.attributes.as_slice()];
    let apply = |e: &mut Edge| {
        e.connection_type = connection_type;
        e.failed |= failed;
        let prefix = match side {
            Side::Client => "client_",
            Side::Server => "server_",
        };
        for dim in &config.dimensions {
            if let Some(v) = find(dim, &scopes) {
                e.dimensions.insert(format!("{prefix}{dim}"), v);
            }
        }
        match side {
            Side::Server => {
                e.server = service.to_string();
                e.server_latency = latency;
            }
            Side::Client => {
                e.client = service.to_string();
                e.client_latency = latency;
                for name in &config.peer_attributes {
                    if let Some(v) = find(name, &[&span.attributes]) {
                        e.peers.insert(name.clone(), v);
                    }
                }
                // A database answers with no span of its own: the
                // client span is both sides.
                if let Some(db) = find(&config.database_name_attribute, &scopes) {
                    e.connection_type = ConnectionType::Database;
                    e.server = db;
                    e.server_latency = latency;
                }
            }
        }
    };
    Some(store.upsert(key, config.max_items, now + config.ttl, apply))
}

fn complete(series: &mut SeriesSet, counts: &mut Counts, edge: Edge, now: Instant) {
    counts.completed += 1;
    series.record(edge, now);
}

/// The attribute `name` from the first list that has it, as a string.
/// Arrays and maps are not names and are skipped.
fn find(name: &str, lists: &[&[KeyValue]]) -> Option<String> {
    lists.iter().flat_map(|l| l.iter()).find(|kv| kv.key == name).and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        any_value::Value::BoolValue(b) => Some(b.to_string()),
        any_value::Value::IntValue(i) => Some(i.to_string()),
        any_value::Value::DoubleValue(d) => Some(d.to_string()),
        any_value::Value::BytesValue(b) => Some(hex::encode(b)),
        _ => None,
    })
}
