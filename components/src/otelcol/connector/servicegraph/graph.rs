//! Spans in, completed edges out: how the connector turns each client or
//! server span into half of an edge, and what it infers for edges whose
//! other half never comes (virtual nodes), following the collector's
//! servicegraph connector.

use std::borrow::Cow;
use std::time::Duration as StdDuration;

use tokio::time::Instant;

use super::edges::{ConnectionType, Edge, EdgeKey, Store, Upsert};
use super::series::SeriesSet;
use crate::otlp::proto::trace::v1::span::SpanKind;
use crate::selfmetrics::{ComponentMetrics, Counter};

/// The arguments that shape pairing, resolved from `Arguments`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
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
pub struct Graph {
    pub(super) config: Config,
    pub(super) store: Store,
    pub(super) series: SeriesSet,
    pub(super) counts: Counts,
    /// `dropped_spans` on the agent's `/metrics`; counts into no registry
    /// until [`Graph::count_into`].
    pub(super) dropped: Counter,
}

/// Which side of an edge a span is.
#[derive(Clone, Copy)]
pub(super) enum Side {
    Client,
    Server,
}

impl Graph {
    pub fn new(config: Config) -> Graph {
        let mut g = Graph::default();
        g.configure(config);
        g
    }

    /// Counts dropped spans into `metrics` too, under the Collector's name.
    pub(super) fn count_into(&mut self, metrics: &ComponentMetrics) {
        let help = "Spans dropped because the edge store held store.max_items edges waiting for their other side.";
        self.dropped = metrics.counter("otelcol_connector_servicegraph_dropped_spans_total", help, &[]);
    }

    /// New arguments keep pending edges and series; only new histogram
    /// bounds restart the series.
    pub(super) fn configure(&mut self, config: Config) {
        self.series.set_bounds(config.bounds.clone());
        self.config = config;
    }

    /// Expires edges past their ttl, completing those a virtual node can
    /// stand in for: a root server span was called by `"user"`; a client
    /// span called its first peer attribute, or `"unknown"`.
    pub fn expire(&mut self, now: Instant) {
        let Graph { config, store, series, counts, .. } = self;
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

/// One side of a call, as read from a span: what pairing needs of it.
pub(super) struct Call<'s> {
    pub service: &'s str,
    pub side: Side,
    pub connection_type: ConnectionType,
    pub key: EdgeKey,
    pub latency: f64,
    pub failed: bool,
    /// The values of the configured dimensions (resource first, then
    /// span), peer attributes (span only) and database name attribute
    /// (resource first), in that order, as [`Config::wanted`] lists them.
    pub found: &'s [Option<Cow<'s, str>>],
}

/// Which side of which edge a span of `kind` is; `None` for spans that
/// are not one side of a call (internal spans, malformed ids).
pub(super) fn side(kind: i32, trace: &[u8], span: &[u8], parent: &[u8]) -> Option<(Side, ConnectionType, EdgeKey)> {
    let (side, connection_type, id) = match SpanKind::try_from(kind) {
        Ok(SpanKind::Client) => (Side::Client, ConnectionType::Direct, span),
        Ok(SpanKind::Producer) => (Side::Client, ConnectionType::MessagingSystem, span),
        Ok(SpanKind::Server) => (Side::Server, ConnectionType::Direct, parent),
        Ok(SpanKind::Consumer) => (Side::Server, ConnectionType::MessagingSystem, parent),
        _ => return None,
    };
    Some((side, connection_type, EdgeKey::new(trace, id)?))
}

impl Config {
    /// The attribute names a span is searched for, in [`Call::found`]'s
    /// order.
    pub(super) fn wanted(&self) -> impl Iterator<Item = &str> {
        let names = self.dimensions.iter().chain(&self.peer_attributes);
        names.map(String::as_str).chain([self.database_name_attribute.as_str()])
    }
}

impl Graph {
    /// Applies one side of a call to its edge in the store.
    pub(super) fn call(&mut self, call: Call<'_>, now: Instant) {
        let Graph { config, store, series, counts, dropped } = self;
        let Call { service, side, connection_type, key, latency, failed, found } = call;
        let peers = found.iter().skip(config.dimensions.len());
        let database = found.get(config.dimensions.len() + config.peer_attributes.len()).and_then(Option::as_ref);
        let apply = |e: &mut Edge| {
            e.connection_type = connection_type;
            e.failed |= failed;
            let prefix = match side {
                Side::Client => "client_",
                Side::Server => "server_",
            };
            for (dim, v) in config.dimensions.iter().zip(found) {
                if let Some(v) = v {
                    e.dimensions.insert(format!("{prefix}{dim}"), v.to_string());
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
                    for (name, v) in config.peer_attributes.iter().zip(peers) {
                        if let Some(v) = v {
                            e.peers.insert(name.clone(), v.to_string());
                        }
                    }
                    // A database answers with no span of its own: the
                    // client span is both sides.
                    if let Some(db) = database {
                        e.connection_type = ConnectionType::Database;
                        e.server = db.to_string();
                        e.server_latency = latency;
                    }
                }
            }
        };
        match store.upsert(key, config.max_items, now + config.ttl, apply) {
            Upsert::Complete(edge) => complete(series, counts, edge, now),
            Upsert::Stored => {}
            Upsert::Dropped => {
                counts.dropped_spans += 1;
                dropped.add(1);
            }
        }
    }
}

fn complete(series: &mut SeriesSet, counts: &mut Counts, edge: Edge, now: Instant) {
    counts.completed += 1;
    series.record(edge, now);
}
