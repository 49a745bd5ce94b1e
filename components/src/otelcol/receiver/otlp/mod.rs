//! `otelcol.receiver.otlp`: accepts OTLP traces, metrics and logs over
//! gRPC and HTTP (protobuf or JSON) and sends each signal to its output.
//!
//! Requests stay the bytes they arrived as: each is checked against the
//! OTLP schema and counted on the wire ([`crate::otlp::wire`]), then shared
//! with every consumer as `Bytes`. Nothing is decoded and re-encoded on the
//! way through, except OTLP/JSON, which is transcoded to protobuf once.

mod admission;
mod budget;
mod compression;
mod cors;
mod export;
mod grpc;
mod http;
/// Public for the fuzz targets in `components/fuzz`; not an API.
#[doc(hidden)]
pub mod json;
mod listeners;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde::Deserialize;
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use crate::component::{self, ArgumentError, Component, Health, Options, Registration, RunFuture, Signals, Stability, Telemetry};
use crate::otelcol::auth::AuthHandler;
use crate::otelcol::output::Output;
use crate::types::Handle;
use export::Shared;
use listeners::{Listeners, Supervisor};

pub use crate::bytesize::ByteSize;
pub use crate::serve::TlsArguments;
pub use cors::CorsArguments;

const ALL: &[Telemetry] = &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs];

pub const REGISTRATION: Registration =
    Registration::of::<OtlpReceiver>("otelcol.receiver.otlp", Stability::GenerallyAvailable, Signals { takes: &[], gives: ALL });

/// The component has no attributes of its own; each protocol is a block,
/// and a protocol left out starts no server.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// `grpc { }`: serve OTLP/gRPC.
    #[serde(default)]
    pub grpc: Option<GrpcArguments>,
    /// `http { }`: serve OTLP/HTTP.
    #[serde(default)]
    pub http: Option<HttpArguments>,
    /// `output { }`: where each signal goes. Required.
    #[serde(default)]
    pub output: Option<Output>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcArguments {
    /// `host:port` to listen on. Default `"0.0.0.0:4317"`.
    #[serde(default = "default_grpc_endpoint")]
    pub endpoint: String,
    /// Largest request accepted, after decompression. Default `"4MiB"`.
    /// Larger requests fail with RESOURCE_EXHAUSTED, which SDKs do not retry.
    #[serde(default = "default_max_recv_msg_size")]
    pub max_recv_msg_size: ByteSize,
    /// Most requests in flight on one connection (HTTP/2 streams). Default
    /// 0: no limit. Applies to connections opened after a change.
    #[serde(default)]
    pub max_concurrent_streams: u32,
    /// Alloy's switch for carrying request headers (client metadata) to
    /// downstream components. Default false. Accepted so that Alloy configs
    /// load, but headers are not carried yet either way; the client's
    /// address always is, as the Collector's `client.Info.Addr` is.
    #[serde(default)]
    pub include_metadata: bool,
    /// `tls { }`: serve over TLS.
    #[serde(default)]
    pub tls: Option<TlsArguments>,
    /// `otelcol.auth.*` handler every request must satisfy; refused
    /// requests get UNAUTHENTICATED / 401 and are counted.
    #[serde(default)]
    pub auth: Option<Handle<AuthHandler>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpArguments {
    /// `host:port` to listen on. Default `"0.0.0.0:4318"`.
    #[serde(default = "default_http_endpoint")]
    pub endpoint: String,
    /// Largest request body accepted, both as sent and once decompressed.
    /// Default `"20MiB"`. Larger bodies get 413.
    #[serde(default = "default_max_request_body_size")]
    pub max_request_body_size: ByteSize,
    /// Path traces are posted to. Default `"/v1/traces"`.
    #[serde(default = "default_traces_path")]
    pub traces_url_path: String,
    /// Path metrics are posted to. Default `"/v1/metrics"`.
    #[serde(default = "default_metrics_path")]
    pub metrics_url_path: String,
    /// Path logs are posted to. Default `"/v1/logs"`.
    #[serde(default = "default_logs_path")]
    pub logs_url_path: String,
    /// `Content-Encoding`s accepted; `""` is an uncompressed body. Default
    /// `["", "gzip", "zstd", "zlib", "snappy", "deflate"]` (`deflate` is
    /// read as zlib, as the Collector does; `snappy` as a block or framed).
    /// Others get 400.
    #[serde(default = "default_compression_algorithms")]
    pub compression_algorithms: Vec<String>,
    /// Alloy's switch for carrying request headers (client metadata) to
    /// downstream components. Default false. Accepted so that Alloy configs
    /// load, but headers are not carried yet either way; the client's
    /// address always is, as the Collector's `client.Info.Addr` is.
    #[serde(default)]
    pub include_metadata: bool,
    /// `tls { }`: serve over TLS.
    #[serde(default)]
    pub tls: Option<TlsArguments>,
    /// `otelcol.auth.*` handler every request must satisfy; refused
    /// requests get UNAUTHENTICATED / 401 and are counted.
    #[serde(default)]
    pub auth: Option<Handle<AuthHandler>>,
    /// `cors { }`: let browser apps of other origins send.
    #[serde(default)]
    pub cors: Option<CorsArguments>,
}

fn default_grpc_endpoint() -> String {
    "0.0.0.0:4317".into()
}
const DEFAULT_MAX_RECV_MSG_SIZE: ByteSize = ByteSize::mib(4);

fn default_max_recv_msg_size() -> ByteSize {
    DEFAULT_MAX_RECV_MSG_SIZE
}
fn default_http_endpoint() -> String {
    "0.0.0.0:4318".into()
}
fn default_max_request_body_size() -> ByteSize {
    ByteSize::mib(20)
}
fn default_traces_path() -> String {
    "/v1/traces".into()
}
fn default_metrics_path() -> String {
    "/v1/metrics".into()
}
fn default_logs_path() -> String {
    "/v1/logs".into()
}
fn default_compression_algorithms() -> Vec<String> {
    ["", "gzip", "zstd", "zlib", "snappy", "deflate"].map(String::from).to_vec()
}

impl Default for GrpcArguments {
    fn default() -> GrpcArguments {
        GrpcArguments {
            endpoint: default_grpc_endpoint(),
            max_recv_msg_size: default_max_recv_msg_size(),
            max_concurrent_streams: 0,
            include_metadata: false,
            tls: None,
            auth: None,
        }
    }
}

impl Default for HttpArguments {
    fn default() -> HttpArguments {
        HttpArguments {
            endpoint: default_http_endpoint(),
            max_request_body_size: default_max_request_body_size(),
            traces_url_path: default_traces_path(),
            metrics_url_path: default_metrics_path(),
            logs_url_path: default_logs_path(),
            compression_algorithms: default_compression_algorithms(),
            include_metadata: false,
            tls: None,
            auth: None,
            cors: None,
        }
    }
}

pub struct OtlpReceiver {
    shared: Arc<Shared>,
    listeners: Listeners,
    /// Wakes the run loop to re-check its servers against the arguments.
    changed: tokio::sync::Notify,
}

/// Every mistake that does not need a socket or a file to show up.
impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        if self.grpc.is_none() && self.http.is_none() {
            return Err(ArgumentError::whole("must specify at least one protocol when using the OTLP receiver: add a grpc or http block"));
        }
        let Some(output) = &self.output else { return Err(ArgumentError::whole("missing required block \"output\"")) };
        output.check().map_err(|m| ArgumentError::new("output", m))?;
        if let Some(grpc) = &self.grpc {
            check_endpoint("grpc", &grpc.endpoint).map_err(|m| ArgumentError::new("grpc.endpoint", m))?;
            grpc.tls.as_ref().map_or(Ok(()), TlsArguments::check).map_err(|m| ArgumentError::new("grpc.tls", m))?;
            check_auth(grpc.auth.as_ref()).map_err(|m| ArgumentError::new("grpc.auth", m))?;
        }
        if let Some(http) = &self.http {
            check_endpoint("http", &http.endpoint).map_err(|m| ArgumentError::new("http.endpoint", m))?;
            http.tls.as_ref().map_or(Ok(()), TlsArguments::check).map_err(|m| ArgumentError::new("http.tls", m))?;
            check_auth(http.auth.as_ref()).map_err(|m| ArgumentError::new("http.auth", m))?;
            let mut http = http.clone();
            http.normalize();
            http.check().map_err(|m| ArgumentError::new("http", m))?;
        }
        Ok(())
    }
}

impl Arguments {
    fn normalized(mut self) -> Arguments {
        if let Some(http) = &mut self.http {
            http.normalize();
        }
        self
    }
}

/// An `auth` handler must be able to check requests: a client-only one
/// (`otelcol.auth.headers`) would refuse every request.
fn check_auth(auth: Option<&Handle<AuthHandler>>) -> Result<(), String> {
    match auth.map(|h| h.get().ok_or("not an otelcol.auth handler").map_err(String::from)) {
        None => Ok(()),
        Some(handler) => handler?.check_server(),
    }
}

/// `host:port` with a numeric port; the host is resolved when binding.
fn check_endpoint(block: &str, endpoint: &str) -> Result<(), String> {
    match endpoint.rsplit_once(':') {
        Some((_, port)) if port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(format!("{block}: invalid endpoint {endpoint:?}: expected host:port, such as \"0.0.0.0:4317\"")),
    }
}

impl Component for OtlpReceiver {
    type Arguments = Arguments;
    type Exports = ();

    fn build(opts: Options, args: Arguments) -> Result<OtlpReceiver, ArgumentError> {
        Ok(OtlpReceiver {
            shared: Arc::new(Shared::new(opts.metrics, args.normalized())),
            listeners: Listeners::default(),
            changed: tokio::sync::Notify::new(),
        })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.shared.counters();
            let mut supervisor = Supervisor::default();
            loop {
                let all_up = supervisor.reconcile(&self.shared, &self.listeners).await;
                let retry = tokio::time::sleep(listeners::RETRY_INTERVAL);
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.changed.notified() => {}
                    _ = retry, if !all_up => {}
                }
            }
            supervisor.shutdown(&self.listeners).await;
        })
    }

    /// New outputs and limits apply to the next request at once; servers
    /// whose endpoint and TLS did not change keep their sockets.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        self.shared.replace(args.normalized());
        self.changed.notify_one();
        Ok(())
    }

    fn exports(&self) {}

    fn health(&self) -> Health {
        self.listeners.health()
    }

    fn debug_info(&self) -> Value {
        self.listeners.debug_info(&self.shared)
    }
}
