//! `otelcol.connector.servicegraph`: turns traces into service graph
//! metrics, as the OpenTelemetry Collector's servicegraph connector does.
//!
//! Each client (or producer) span and the server (or consumer) span it
//! called form an edge, keyed by trace id and the client's span id. The
//! first side seen waits in a bounded store ([`edges`]) until the other
//! arrives or its ttl passes; completed edges become cumulative series
//! ([`series`]), flushed downstream every `metrics_flush_interval` and on
//! shutdown. Consuming only updates state; the run task expires edges,
//! forgets stale series and flushes.

mod decoded;
mod edges;
mod graph;
mod run;
mod series;
mod wire;

use crate::sync::lock;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use serde::Deserialize;
use solder_syntax::Value;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::component::{self, ArgumentError, Component, Health, HealthCell, InputExports, Options, Registration, RunFuture, Signals, Stability, Telemetry};
use crate::consumer::{ConsumeError, ConsumeFuture, Consumer, ConsumerHandle};
use crate::otelcol::output::Output;
use crate::otlp::{Signal, Traces};
use crate::types::Duration;

pub use graph::{Config, Graph};

pub const REGISTRATION: Registration = Registration::of::<ServiceGraph>(
    "otelcol.connector.servicegraph",
    Stability::Experimental,
    Signals { takes: &[Telemetry::Traces], gives: &[Telemetry::Metrics] },
);

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// Upper bounds of the request latency histograms. Default 2ms, 4ms,
    /// 6ms, 8ms, 10ms, 50ms, 100ms, 200ms, 400ms, 800ms, 1s, 1400ms, 2s,
    /// 5s, 10s, 15s. Exported in seconds.
    #[serde(default = "default_buckets")]
    pub latency_histogram_buckets: Vec<Duration>,
    /// Span or resource attributes added to every series, as
    /// `client_<name>` from the client span and `server_<name>` from the
    /// server span. Default none.
    #[serde(default)]
    pub dimensions: Vec<String>,
    /// Bounds on the edges waiting for their other side.
    #[serde(default)]
    pub store: StoreArguments,
    /// How often series not updated for 15 minutes are forgotten.
    /// Default `"1m"`.
    #[serde(default = "default_cache_loop")]
    pub cache_loop: Duration,
    /// How often edges past their ttl are expired. Default `"2s"`.
    #[serde(default = "default_store_expiration_loop")]
    pub store_expiration_loop: Duration,
    /// Client span attributes naming the server of a call that no server
    /// span answered, first found wins. Default `["peer.service",
    /// "db.name", "db.system"]`.
    #[serde(default = "default_peer_attributes")]
    pub virtual_node_peer_attributes: Vec<String>,
    /// How often the metrics are sent. Default `"60s"`; `"0s"` sends them
    /// after every traces payload.
    #[serde(default = "default_flush_interval")]
    pub metrics_flush_interval: Duration,
    /// The attribute that marks a client span as a database call, and
    /// names the database as the server. Default `"db.name"`.
    #[serde(default = "default_database_name_attribute")]
    pub database_name_attribute: String,
    /// Where the metrics go: `output { metrics = [...] }`.
    pub output: Output,
}

/// `store { max_items = 1000 ttl = "2s" }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreArguments {
    /// The most edges waiting at once; spans that would add more are
    /// dropped and counted. Default 1000.
    #[serde(default = "default_max_items")]
    pub max_items: u32,
    /// How long an edge waits for its other side. Default `"2s"`.
    #[serde(default = "default_ttl")]
    pub ttl: Duration,
}

impl Default for StoreArguments {
    fn default() -> StoreArguments {
        StoreArguments { max_items: default_max_items(), ttl: default_ttl() }
    }
}

fn millis(ms: u64) -> Duration {
    Duration(StdDuration::from_millis(ms))
}

fn default_buckets() -> Vec<Duration> {
    [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10_000, 15_000].into_iter().map(millis).collect()
}

fn default_cache_loop() -> Duration {
    millis(60_000)
}

fn default_store_expiration_loop() -> Duration {
    millis(2000)
}

fn default_peer_attributes() -> Vec<String> {
    ["peer.service", "db.name", "db.system"].map(String::from).to_vec()
}

fn default_flush_interval() -> Duration {
    millis(60_000)
}

fn default_database_name_attribute() -> String {
    "db.name".to_string()
}

fn default_max_items() -> u32 {
    1000
}

fn default_ttl() -> Duration {
    millis(2000)
}

pub struct ServiceGraph {
    shared: Arc<Shared>,
    /// Made once, so upstream components keep the same handle across
    /// evaluations and updates.
    exports: InputExports,
    health: HealthCell,
}

/// The loop periods, read by the run task on every wake.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Loops {
    cache: StdDuration,
    expiration: StdDuration,
    flush: StdDuration,
}

/// What the input, the run task and updates share.
struct Shared {
    graph: Mutex<Graph>,
    output: Mutex<Output>,
    loops: Mutex<Loops>,
    /// Rung by updates, so new loop periods apply at once.
    changed: Notify,
}

/// What the `input` capsule holds.
struct Input(Arc<Shared>);

impl Consumer for Input {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        Box::pin(async move {
            // Straight from the bytes: no decoded view is built for the graph.
            let read = lock(&self.0.graph).consume(data.bytes(), Instant::now());
            read.map_err(|e| ConsumeError::permanent(format!("otelcol.connector.servicegraph: cannot read traces: {e}")))?;
            if lock(&self.0.loops).flush.is_zero() {
                // The spans are counted already: a refused flush must not
                // make the sender resend them, so it is only logged.
                if let Err(e) = run::flush(&self.0).await {
                    tracing::warn!(error = %e, "otelcol.connector.servicegraph: cannot send metrics");
                }
            }
            Ok(())
        })
    }

    fn accepts(&self, signal: Signal) -> bool {
        signal == Signal::Traces
    }
}

impl Component for ServiceGraph {
    type Arguments = Arguments;
    type Exports = InputExports;

    fn build(opts: Options, args: Arguments) -> Result<ServiceGraph, ArgumentError> {
        let (config, loops) = args.resolve();
        let mut graph = Graph::new(config);
        graph.count_into(&opts.metrics);
        let shared = Arc::new(Shared { graph: Mutex::new(graph), output: Mutex::new(args.output), loops: Mutex::new(loops), changed: Notify::new() });
        let input = ConsumerHandle::new(Input(Arc::clone(&shared))).capsule();
        Ok(ServiceGraph { shared, exports: InputExports { input }, health: HealthCell::default() })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(run::run(Arc::clone(&self.shared), self.health.clone(), shutdown))
    }

    /// Pending edges and series are kept; new histogram bounds restart the
    /// series, since old counts do not fit them.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        let (config, loops) = args.resolve();
        lock(&self.shared.graph).configure(config);
        *lock(&self.shared.output) = args.output;
        *lock(&self.shared.loops) = loops;
        self.shared.changed.notify_one();
        Ok(())
    }

    fn exports(&self) -> InputExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        let g = lock(&self.shared.graph);
        let int = |n: u64| Value::int(i64::try_from(n).unwrap_or(i64::MAX));
        let c = g.counts;
        Value::object([
            ("pending_edges", int(g.store.len() as u64)),
            ("series", int(g.series.series.len() as u64)),
            ("completed_edges", int(c.completed)),
            ("virtual_node_edges", int(c.virtual_nodes)),
            ("unpaired_edges", int(c.unpaired)),
            ("dropped_spans", int(c.dropped_spans)),
        ])
    }
}

/// Checks what the types alone cannot.
impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        if self.latency_histogram_buckets.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ArgumentError::new("latency_histogram_buckets", "latency_histogram_buckets must be in increasing order")
                .with_help("list each bucket bound once, smallest first"));
        }
        for (name, d) in [("cache_loop", self.cache_loop), ("store_expiration_loop", self.store_expiration_loop)] {
            if d.0.is_zero() {
                return Err(ArgumentError::new(name, format!("{name} must be greater than zero")));
            }
        }
        if self.store.max_items == 0 {
            return Err(ArgumentError::new("store.max_items", "store.max_items must be greater than zero")
                .with_help("the store holds edges waiting for their other side; with no room, no span can be paired"));
        }
        self.output.check().map_err(|m| ArgumentError::new("output", m))
    }
}

impl Arguments {
    /// The graph's config and the run loop's intervals.
    fn resolve(&self) -> (Config, Loops) {
        let config = Config {
            bounds: self.latency_histogram_buckets.iter().map(|d| d.0.as_secs_f64()).collect(),
            dimensions: self.dimensions.clone(),
            max_items: usize::try_from(self.store.max_items).unwrap_or(usize::MAX),
            ttl: self.store.ttl.0,
            peer_attributes: self.virtual_node_peer_attributes.clone(),
            database_name_attribute: self.database_name_attribute.clone(),
        };
        let loops = Loops { cache: self.cache_loop.0, expiration: self.store_expiration_loop.0, flush: self.metrics_flush_interval.0 };
        (config, loops)
    }
}

#[cfg(test)]
mod tests;
