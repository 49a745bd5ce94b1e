//! `otelcol.exporter.otlp`: sends telemetry to an OTLP/gRPC server (Tempo,
//! Jaeger, another collector), as the request bytes it arrived as.

mod grpc;
pub(crate) mod unary;

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use serde::Deserialize;

use super::sending::client::Compression;
use super::sending::tls::Tls;
use super::sending::{self, ArgumentError, Protocol, RetryOnFailure, SendingQueue};
use crate::component::{self, Registration, Signals, Stability, Telemetry};
use crate::otelcol::auth::AuthHandler;
use crate::types::{Duration, Handle, Secret};

pub use grpc::GrpcTransport;

pub const REGISTRATION: Registration = Registration::of::<sending::Exporter<Otlp>>(
    "otelcol.exporter.otlp",
    Stability::GenerallyAvailable,
    Signals { takes: &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs], gives: &[] },
);

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        sending::validate::<Otlp>(self)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// The gRPC server to send to. Required.
    pub client: Option<Client>,
    /// How long one attempt may take before it fails (and is retried).
    /// Default `"5s"`.
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    #[serde(default)]
    pub sending_queue: SendingQueue,
    #[serde(default)]
    pub retry_on_failure: RetryOnFailure,
}

/// `client { ... }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// `host:port`, optionally with `https://` (TLS even when
    /// `tls.insecure` is set) or `http://`. Required.
    pub endpoint: String,
    /// `"gzip"` (default), `"zstd"`, `"snappy"` (framed, as the Collector
    /// sends it over gRPC) or `"none"`. gzip runs at level 1 and zstd at
    /// level 1 (docs/compression.md).
    #[serde(default)]
    pub compression: Compression,
    /// Metadata sent with every request, such as `X-Scope-OrgID` or an
    /// `Authorization` token; values may be secrets.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// Overrides the `:authority` of requests, for servers routed by name.
    #[serde(default)]
    pub authority: String,
    #[serde(default)]
    pub tls: Tls,
    #[serde(default)]
    pub keepalive: Option<Keepalive>,
    /// `otelcol.auth.*` handler whose credentials go with every request,
    /// after `headers`.
    #[serde(default)]
    pub auth: Option<Handle<AuthHandler>>,
}

/// `keepalive { ... }` inside `client`: HTTP/2 pings that find dead
/// connections before a request does.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keepalive {
    /// Ping after this long without activity.
    pub ping_wait: Option<Duration>,
    /// Close the connection if a ping is not answered within this long.
    pub ping_response_timeout: Option<Duration>,
    /// Ping even when no request is in flight. Default false.
    #[serde(default)]
    pub ping_without_stream: bool,
}

fn default_timeout() -> Duration {
    Duration(StdDuration::from_secs(5))
}

/// The gRPC flavour of the shared exporter machinery.
pub struct Otlp;

impl Protocol for Otlp {
    type Arguments = Arguments;
    type Transport = GrpcTransport;

    fn transport(args: &Arguments) -> Result<GrpcTransport, ArgumentError> {
        let client = args.client.as_ref().ok_or_else(|| ArgumentError::new("client", "missing required block \"client\""))?;
        GrpcTransport::new(client, args.timeout.0)
    }

    fn transport_changed(old: &Arguments, new: &Arguments) -> bool {
        old.client != new.client || old.timeout != new.timeout
    }

    fn sending_queue(args: &Arguments) -> &SendingQueue {
        &args.sending_queue
    }

    fn retry_on_failure(args: &Arguments) -> &RetryOnFailure {
        &args.retry_on_failure
    }
}

#[cfg(test)]
pub(crate) mod tests;
