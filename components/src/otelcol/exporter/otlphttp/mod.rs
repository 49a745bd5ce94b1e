//! `otelcol.exporter.otlphttp`: sends telemetry to an OTLP/HTTP server
//! (Tempo, Loki, Mimir, another collector), as the request bytes it
//! arrived as.

mod transport;

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use serde::Deserialize;

use super::sending::client::Compression;
use super::sending::tls::Tls;
use super::sending::{self, ArgumentError, Protocol, RetryOnFailure, SendingQueue};
use crate::component::{self, Registration, Signals, Stability, Telemetry};
use crate::otelcol::auth::AuthHandler;
use crate::types::{Duration, Handle, Secret};

pub use transport::HttpTransport;

pub const REGISTRATION: Registration = Registration::of::<sending::Exporter<OtlpHttp>>(
    "otelcol.exporter.otlphttp",
    Stability::GenerallyAvailable,
    Signals { takes: &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs], gives: &[] },
);

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        sending::validate::<OtlpHttp>(self)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// The HTTP server to send to. Required.
    pub client: Option<Client>,
    /// Where traces go. Default `client.endpoint + "/v1/traces"`.
    #[serde(default)]
    pub traces_endpoint: String,
    /// Where metrics go. Default `client.endpoint + "/v1/metrics"`.
    #[serde(default)]
    pub metrics_endpoint: String,
    /// Where logs go. Default `client.endpoint + "/v1/logs"`.
    #[serde(default)]
    pub logs_endpoint: String,
    /// `"proto"` (default). `"json"` is refused: it would mean re-encoding
    /// every request, which this exporter exists to avoid.
    #[serde(default)]
    pub encoding: Encoding,
    #[serde(default)]
    pub sending_queue: SendingQueue,
    #[serde(default)]
    pub retry_on_failure: RetryOnFailure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    #[default]
    Proto,
    Json,
}

/// `client { ... }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// The base URL, `http://` or `https://`. Required.
    pub endpoint: String,
    /// How long one attempt may take. Default `"30s"`.
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// `"gzip"` (default), `"zstd"`, `"deflate"`, `"zlib"`, `"snappy"` (the
    /// block format, as the Collector sends it) or `"none"`.
    #[serde(default)]
    pub compression: Compression,
    /// Headers sent with every request; values may be secrets.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// Close idle connections after this long. Default `"90s"`.
    #[serde(default = "default_idle")]
    pub idle_conn_timeout: Duration,
    /// Use a new connection for every request. Default false.
    #[serde(default)]
    pub disable_keep_alives: bool,
    /// Send through this HTTP proxy. Default: none (the `HTTPS_PROXY` and
    /// `HTTP_PROXY` environment variables still apply).
    #[serde(default)]
    pub proxy_url: String,
    /// Used for `https://` URLs.
    #[serde(default)]
    pub tls: Tls,
    /// `otelcol.auth.*` handler whose credentials go with every request,
    /// after `headers`.
    #[serde(default)]
    pub auth: Option<Handle<AuthHandler>>,
}

fn default_timeout() -> Duration {
    Duration(StdDuration::from_secs(30))
}

fn default_idle() -> Duration {
    Duration(StdDuration::from_secs(90))
}

/// The HTTP flavour of the shared exporter machinery.
pub struct OtlpHttp;

impl Protocol for OtlpHttp {
    type Arguments = Arguments;
    type Transport = HttpTransport;

    fn transport(args: &Arguments) -> Result<HttpTransport, ArgumentError> {
        if args.encoding == Encoding::Json {
            return Err(ArgumentError::new("encoding", "encoding \"json\" is not supported; use \"proto\""));
        }
        let client = args.client.as_ref().ok_or_else(|| ArgumentError::new("client", "missing required block \"client\""))?;
        let urls = [
            signal_url(client, &args.traces_endpoint, "traces_endpoint", "traces")?,
            signal_url(client, &args.metrics_endpoint, "metrics_endpoint", "metrics")?,
            signal_url(client, &args.logs_endpoint, "logs_endpoint", "logs")?,
        ];
        HttpTransport::new(client, urls)
    }

    fn transport_changed(old: &Arguments, new: &Arguments) -> bool {
        old.client != new.client
            || old.traces_endpoint != new.traces_endpoint
            || old.metrics_endpoint != new.metrics_endpoint
            || old.logs_endpoint != new.logs_endpoint
    }

    fn sending_queue(args: &Arguments) -> &SendingQueue {
        &args.sending_queue
    }

    fn retry_on_failure(args: &Arguments) -> &RetryOnFailure {
        &args.retry_on_failure
    }
}

/// A signal's URL: the override as written, or the Collector's
/// `endpoint + "/v1/<signal>"` (one slash between them).
fn signal_url(client: &Client, override_url: &str, field: &'static str, signal: &str) -> Result<String, ArgumentError> {
    let (url, field) = match override_url {
        "" if client.endpoint.ends_with('/') => (format!("{}v1/{signal}", client.endpoint), "client"),
        "" => (format!("{}/v1/{signal}", client.endpoint), "client"),
        given => (given.to_string(), field),
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ArgumentError::new(field, format!("{url:?} is not a URL: it must start with http:// or https://")));
    }
    reqwest::Url::parse(&url).map_err(|e| ArgumentError::new(field, format!("{url:?} is not a valid URL: {e}")))?;
    Ok(url)
}

#[cfg(test)]
mod tests;
