//! `otelcol.exporter.loadbalancing`: routes each trace (or service, or
//! metric stream) to one backend of a consistent-hash ring, through one
//! OTLP/gRPC sub-exporter (queue, retries) per backend.
//!
//! Beyond the Collector, a backend that leaves the ring gives back what it
//! still holds: its queue, and every request in flight whose attempt
//! fails. That data is split again against the new ring and queued for
//! the new owners, and counted as re-routed ([`backends`]).

pub mod backends;
pub mod resolver;
pub mod ring;
pub mod route;
#[cfg(test)]
mod route_tests;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use serde::Deserialize;
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use super::otlp::{Client, GrpcTransport, Keepalive};
use super::sending::client::Compression;
use super::sending::tls::Tls;
use super::sending::{Payload, RetryOnFailure, SendingQueue};
use crate::component::{self, ArgumentError, Component, Health, InputExports, Options, Registration, RunFuture, Signals, Stability, Telemetry};
use crate::consumer::{ConsumeFuture, Consumer, ConsumerHandle};
use crate::otelcol::auth::AuthHandler;
use crate::otlp::{Logs, Metrics, Signal, Traces};
use crate::types::{Duration, Handle, Secret};

use backends::Balancer;
use resolver::ResolverArgs;
pub use route::RoutingKey;

pub const REGISTRATION: Registration = Registration::of::<LoadBalancing>(
    "otelcol.exporter.loadbalancing",
    Stability::PublicPreview,
    Signals { takes: &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs], gives: &[] },
);

/// The port a backend endpoint gets when it has none, as in the Collector.
pub const DEFAULT_PORT: u16 = 4317;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// What keeps data together on one backend. Default `"traceID"`.
    #[serde(default)]
    pub routing_key: RoutingKey,
    /// The most one hand-off of data to the backends' queues may take
    /// (waiting for the first resolution, or for room in a `blocking`
    /// queue) before it is refused with a retryable error. Default `"0s"`:
    /// no bound beyond [`backends::FIRST_RESOLUTION_WAIT`].
    #[serde(default)]
    pub timeout: Duration,
    /// Where the backends come from. Required.
    pub resolver: ResolverArgs,
    #[serde(default)]
    pub protocol: ProtocolArgs,
}

/// `protocol { ... }`: only OTLP/gRPC.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolArgs {
    #[serde(default)]
    pub otlp: OtlpArgs,
}

/// `protocol > otlp`: the template of every backend's exporter, as
/// `otelcol.exporter.otlp` takes it, without an endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtlpArgs {
    /// How long one attempt may take. Default `"5s"`.
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// Each backend's own queue.
    #[serde(default)]
    pub queue: SendingQueue,
    /// Each backend's retries.
    #[serde(default)]
    pub retry: RetryOnFailure,
    #[serde(default)]
    pub client: BackendClient,
}

impl Default for OtlpArgs {
    fn default() -> Self {
        OtlpArgs { timeout: default_timeout(), queue: SendingQueue::default(), retry: RetryOnFailure::default(), client: BackendClient::default() }
    }
}

/// `protocol > otlp > client`: `otelcol.exporter.otlp`'s client without
/// `endpoint`, which each backend takes from the resolver.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendClient {
    /// `"gzip"` (default), `"zstd"`, `"snappy"` (framed, as the Collector
    /// sends it over gRPC) or `"none"`. gzip runs at level 1 and zstd at
    /// level 1 (docs/compression.md).
    #[serde(default)]
    pub compression: Compression,
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    #[serde(default)]
    pub authority: String,
    #[serde(default)]
    pub tls: Tls,
    #[serde(default)]
    pub keepalive: Option<Keepalive>,
    #[serde(default)]
    pub auth: Option<Handle<AuthHandler>>,
}

fn default_timeout() -> Duration {
    Duration(StdDuration::from_secs(5))
}

impl OtlpArgs {
    /// The client of the backend at `endpoint` (`host` or `host:port`;
    /// port 4317 when missing, as the Collector adds it).
    pub fn client_for(&self, endpoint: &str) -> Client {
        let c = &self.client;
        Client {
            endpoint: with_port(endpoint),
            compression: c.compression,
            headers: c.headers.clone(),
            authority: c.authority.clone(),
            tls: c.tls.clone(),
            keepalive: c.keepalive.clone(),
            auth: c.auth.clone(),
        }
    }

    /// The transport to `endpoint`; opens nothing.
    pub fn transport(&self, endpoint: &str) -> Result<GrpcTransport, ArgumentError> {
        GrpcTransport::new(&self.client_for(endpoint), self.timeout.0)
    }

    fn validate(&self) -> Result<(), ArgumentError> {
        self.queue.validate()?;
        self.retry.validate()?;
        if self.queue.storage.is_some() {
            return Err(ArgumentError::new("protocol", "otlp > queue: `storage` is not supported here; each backend's queue is in memory"));
        }
        // A transport to a stand-in endpoint checks TLS, compression,
        // headers and auth.
        self.transport("localhost").map(drop)
    }
}

/// `host:port` as written; `host` gets the default port. IPv6 literals
/// are written in brackets.
pub fn with_port(endpoint: &str) -> String {
    let e = endpoint.trim();
    let has_port = match e.rsplit_once(':') {
        Some((host, port)) => port.parse::<u16>().is_ok() && (!host.contains(':') || host.ends_with(']')),
        None => false,
    };
    match has_port {
        true => e.to_string(),
        false => format!("{e}:{DEFAULT_PORT}"),
    }
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        self.resolver.validate()?;
        self.protocol.otlp.validate()?;
        if let Some(s) = &self.resolver.static_hosts {
            for h in &s.hostnames {
                self.protocol.otlp.transport(h).map_err(|e| ArgumentError::new("resolver", format!("static: hostname {h:?}: {}", e.message)))?;
            }
        }
        Ok(())
    }
}

pub struct LoadBalancing {
    args: Mutex<Arguments>,
    balancer: Arc<Balancer>,
    exports: InputExports,
}

/// The `input` consumer.
struct Input(Arc<Balancer>);

impl Consumer for Input {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        Box::pin(self.0.consume(Payload::Traces(data.detached())))
    }

    fn consume_metrics(&self, data: Metrics) -> ConsumeFuture<'_> {
        Box::pin(self.0.consume(Payload::Metrics(data.detached())))
    }

    fn consume_logs(&self, data: Logs) -> ConsumeFuture<'_> {
        Box::pin(self.0.consume(Payload::Logs(data.detached())))
    }

    /// The signals the routing key routes; the Collector builds no
    /// exporter for the others.
    fn accepts(&self, signal: Signal) -> bool {
        self.0.routing_key().routes(signal)
    }
}

impl Component for LoadBalancing {
    type Arguments = Arguments;
    type Exports = InputExports;

    /// Makes the resolver and the settings; nothing runs and nothing is
    /// opened until `run`.
    fn build(opts: Options, args: Arguments) -> Result<LoadBalancing, ArgumentError> {
        component::Arguments::validate(&args)?;
        let resolver = args.resolver.build(&opts.metrics)?;
        let balancer = Arc::new(Balancer::new(&opts.metrics, resolver, args.routing_key, args.timeout.0, args.protocol.otlp.clone()));
        let input = ConsumerHandle::new(Input(Arc::clone(&balancer))).capsule();
        Ok(LoadBalancing { args: Mutex::new(args), balancer, exports: InputExports { input } })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(Arc::clone(&self.balancer).run(shutdown))
    }

    fn update(&self, new: Arguments) -> Result<(), ArgumentError> {
        component::Arguments::validate(&new)?;
        let mut args = self.args.lock().unwrap_or_else(|p| p.into_inner());
        if args.resolver != new.resolver {
            let resolver = new.resolver.build(self.balancer.metrics())?;
            self.balancer.replace_resolver(resolver);
        }
        if args.protocol != new.protocol {
            self.balancer.reconfigure(new.protocol.otlp.clone())?;
        }
        self.balancer.set_routing(new.routing_key, new.timeout.0);
        *args = new;
        Ok(())
    }

    fn exports(&self) -> InputExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.balancer.health()
    }

    fn debug_info(&self) -> Value {
        self.balancer.debug_info()
    }
}
