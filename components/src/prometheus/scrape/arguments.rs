//! `prometheus.scrape`'s arguments, with Alloy's names and defaults, and
//! what they turn into: the shared scrape settings and the target list.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use serde::Deserialize;

use super::parse::TextFormat;
use super::scrape_loop::Settings;
use super::series::{Limits, SeriesRules};
use super::target::{Defaults, Target};
use crate::component::ArgumentError;
use crate::prometheus::client::{self, ClientAuth, HttpSettings};
use crate::prometheus::oauth2::OAuth2;
use crate::prometheus::remote_write::config::{validate_proxy, Authorization, BasicAuth, TlsConfig};
use crate::prometheus::ReceiverHandle;
use crate::types::{Duration, Handle, Secret};
use hyper::http::header::{HeaderMap, HeaderName, HeaderValue};

const USER_AGENT: &str = concat!("Solder/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// Targets to scrape, each a label map with at least `__address__`.
    /// Required.
    pub targets: Vec<BTreeMap<String, String>>,
    /// Receivers the samples go to. Required.
    pub forward_to: Vec<Handle<ReceiverHandle>>,
    /// The `job` label of targets without one. Default: the component ID.
    #[serde(default)]
    pub job_name: String,
    /// Default `"60s"`.
    #[serde(default = "default_interval")]
    pub scrape_interval: Duration,
    /// Default `"10s"`.
    #[serde(default = "default_timeout")]
    pub scrape_timeout: Duration,
    /// Default `"/metrics"`.
    #[serde(default = "default_path")]
    pub metrics_path: String,
    /// `"http"` (default) or `"https"`.
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// Query parameters of every scrape.
    #[serde(default)]
    pub params: BTreeMap<String, Vec<String>>,
    /// Keep scraped `job`, `instance` and other target labels over the
    /// target's. Default false.
    #[serde(default)]
    pub honor_labels: bool,
    /// Keep timestamps the target gives. Default true.
    #[serde(default = "yes")]
    pub honor_timestamps: bool,
    /// Mark series with explicit timestamps stale too. Default false.
    #[serde(default)]
    pub track_timestamps_staleness: bool,
    /// Protocols to ask for, in order of preference. Default
    /// `["OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0", "PrometheusText0.0.4"]`.
    #[serde(default = "default_protocols")]
    pub scrape_protocols: Vec<String>,
    /// How to read a response without a known Content-Type. Default
    /// `"PrometheusText0.0.4"`.
    #[serde(default = "default_fallback")]
    pub scrape_fallback_protocol: String,
    /// Deprecated in Alloy; accepted, and `true` is ignored: Solder
    /// negotiates the text formats only.
    #[serde(default)]
    pub enable_protobuf_negotiation: bool,
    /// Ask for gzip. Default true.
    #[serde(default = "yes")]
    pub enable_compression: bool,
    /// Default true.
    #[serde(default = "yes")]
    pub enable_http2: bool,
    /// Default true.
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    /// Fail a scrape past this many samples; 0 means no limit.
    #[serde(default)]
    pub sample_limit: u64,
    /// Fail a scrape with a series of more labels; 0 means no limit.
    #[serde(default)]
    pub label_limit: u64,
    #[serde(default)]
    pub label_name_length_limit: u64,
    #[serde(default)]
    pub label_value_length_limit: u64,
    /// Fail a scrape whose uncompressed body is larger (bytes); 0 means no
    /// limit.
    #[serde(default)]
    pub body_size_limit: u64,
    /// Scrape no target when there are more; 0 means no limit.
    #[serde(default)]
    pub target_limit: u64,
    /// Also report `scrape_timeout_seconds`, `scrape_sample_limit` and
    /// `scrape_body_size_bytes`. Default false.
    #[serde(default)]
    pub extra_metrics: bool,
    #[serde(default)]
    pub bearer_token: Option<Secret>,
    #[serde(default)]
    pub bearer_token_file: String,
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
    #[serde(default)]
    pub authorization: Option<Authorization>,
    #[serde(default)]
    pub oauth2: Option<OAuth2>,
    /// Headers sent with every scrape; a header may have several values.
    #[serde(default)]
    pub http_headers: BTreeMap<String, Vec<Secret>>,
    #[serde(default)]
    pub tls_config: Option<TlsConfig>,
    #[serde(default)]
    pub proxy_url: String,
    #[serde(default)]
    pub no_proxy: String,
    #[serde(default)]
    pub proxy_from_environment: bool,
    /// Accepted; a no-op, as in Alloy when not running clustered.
    #[serde(default)]
    pub clustering: Option<Clustering>,
}

/// `clustering { enabled = ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clustering {
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

fn default_interval() -> Duration {
    Duration(StdDuration::from_secs(60))
}

fn default_timeout() -> Duration {
    Duration(StdDuration::from_secs(10))
}

fn default_path() -> String {
    "/metrics".into()
}

fn default_scheme() -> String {
    "http".into()
}

fn default_protocols() -> Vec<String> {
    ["OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0", "PrometheusText0.0.4"].map(String::from).to_vec()
}

fn default_fallback() -> String {
    "PrometheusText0.0.4".into()
}

/// The media type Prometheus asks for per protocol, and whether Solder
/// reads it.
fn media_type(protocol: &str) -> Option<(&'static str, bool)> {
    Some(match protocol {
        "PrometheusProto" => ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", false),
        "PrometheusText0.0.4" => ("text/plain;version=0.0.4", true),
        "PrometheusText1.0.0" => ("text/plain;version=1.0.0;escaping=underscores", true),
        "OpenMetricsText0.0.1" => ("application/openmetrics-text;version=0.0.1", true),
        "OpenMetricsText1.0.0" => ("application/openmetrics-text;version=1.0.0;escaping=underscores", true),
        _ => return None,
    })
}

/// The Accept header as Prometheus builds it: each protocol Solder reads,
/// weighted in the order given, then `*/*`.
pub fn accept_header(protocols: &[String]) -> String {
    let readable: Vec<&str> = protocols.iter().filter_map(|p| media_type(p)).filter(|(_, ok)| *ok).map(|(m, _)| m).collect();
    let mut weight = readable.len() + 1;
    let mut out = Vec::with_capacity(weight);
    for m in readable {
        out.push(format!("{m};q=0.{weight}"));
        weight -= 1;
    }
    out.push(format!("*/*;q=0.{weight}"));
    out.join(",")
}

fn bad(name: &str, message: impl Into<String>) -> ArgumentError {
    ArgumentError::new(name, message.into())
}

pub fn validate(a: &Arguments) -> Result<(), ArgumentError> {
    if a.scrape_interval.0.is_zero() {
        return Err(bad("scrape_interval", "scrape_interval must be greater than 0"));
    }
    if a.scrape_timeout.0.is_zero() {
        return Err(bad("scrape_timeout", "scrape_timeout must be greater than 0"));
    }
    if a.scrape_timeout.0 > a.scrape_interval.0 {
        return Err(bad(
            "scrape_timeout",
            format!("scrape_timeout ({}) greater than scrape_interval ({}) for scrape config", a.scrape_timeout, a.scrape_interval),
        ));
    }
    if a.scheme != "http" && a.scheme != "https" {
        return Err(bad("scheme", format!("invalid scheme {:?}: it must be \"http\" or \"https\"", a.scheme)));
    }
    if a.scrape_protocols.is_empty() {
        return Err(bad("scrape_protocols", "scrape_protocols cannot be empty"));
    }
    for p in &a.scrape_protocols {
        if media_type(p).is_none() {
            return Err(bad("scrape_protocols", format!("unknown scrape protocol {p:?}, supported: PrometheusProto, OpenMetricsText0.0.1, OpenMetricsText1.0.0, PrometheusText0.0.4, PrometheusText1.0.0")));
        }
    }
    if !a.scrape_protocols.iter().any(|p| media_type(p).is_some_and(|(_, ok)| ok)) {
        return Err(bad("scrape_protocols", "scrape_protocols must name a text protocol: Solder does not read PrometheusProto"));
    }
    fallback(&a.scrape_fallback_protocol)?;
    client::validate(&a.basic_auth, &a.authorization, &a.oauth2, &a.bearer_token, &a.bearer_token_file).map_err(|e| bad("bearer_token", e))?;
    for name in a.http_headers.keys() {
        if RESERVED_HEADERS.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(bad("http_headers", format!("setting header {name:?} is not allowed")));
        }
    }
    header_map(&a.http_headers)?;
    validate_proxy(a.proxy_from_environment, &a.proxy_url, &a.no_proxy).map_err(|e| bad("proxy_url", e))?;
    if let Some(tls) = &a.tls_config {
        tls.validate().map_err(|e| bad("tls_config", e))?;
    }
    Ok(())
}

/// Headers Prometheus sets itself (or that would confuse the exchange),
/// which `http_headers` may not set, as in Prometheus' common config.
const RESERVED_HEADERS: &[&str] = &[
    "Authorization",
    "Host",
    "Content-Encoding",
    "Content-Length",
    "Content-Type",
    "User-Agent",
    "Connection",
    "Keep-Alive",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Www-Authenticate",
    "Accept-Encoding",
    "X-Prometheus-Remote-Write-Version",
    "X-Prometheus-Remote-Read-Version",
    "X-Prometheus-Scrape-Timeout-Seconds",
    "Upgrade",
];

/// `http_headers` as a header map, values marked sensitive (they may be
/// secrets).
fn header_map(headers: &BTreeMap<String, Vec<Secret>>) -> Result<HeaderMap, ArgumentError> {
    let mut map = HeaderMap::new();
    for (name, values) in headers {
        let key = HeaderName::try_from(name.as_str()).map_err(|_| bad("http_headers", format!("{name:?} is not a valid header name")))?;
        for v in values {
            let mut value =
                HeaderValue::try_from(v.0.expose()).map_err(|_| bad("http_headers", format!("a value of header {name:?} is not a valid header value")))?;
            value.set_sensitive(true);
            map.append(key.clone(), value);
        }
    }
    Ok(map)
}

fn fallback(p: &str) -> Result<TextFormat, ArgumentError> {
    match p {
        "PrometheusText0.0.4" | "PrometheusText1.0.0" => Ok(TextFormat::Prometheus),
        "OpenMetricsText0.0.1" | "OpenMetricsText1.0.0" => Ok(TextFormat::OpenMetrics),
        other => Err(bad("scrape_fallback_protocol", format!("scrape_fallback_protocol {other:?} is not supported: it must be a text protocol"))),
    }
}

impl Arguments {
    /// The settings every loop shares.
    pub(super) fn settings(&self) -> Result<Settings, ArgumentError> {
        let http = HttpSettings {
            // Each request sets its target's timeout.
            timeout: StdDuration::from_secs(3600),
            follow_redirects: self.follow_redirects,
            proxy_url: &self.proxy_url,
            no_proxy: &self.no_proxy,
            proxy_from_environment: self.proxy_from_environment,
            tls: Some(self.tls_config.clone().unwrap_or_default()),
            enable_http2: self.enable_http2,
        };
        let http = http.builder(USER_AGENT).and_then(|b| b.build().map_err(|e| e.to_string())).map_err(|e| bad("tls_config", e))?;
        Ok(Settings {
            http,
            auth: ClientAuth::new(&self.basic_auth, &self.authorization, &self.oauth2, &self.bearer_token, &self.bearer_token_file)
                .map_err(|e| bad("oauth2", e))?,
            headers: header_map(&self.http_headers)?,
            accept: accept_header(&self.scrape_protocols),
            fallback: fallback(&self.scrape_fallback_protocol)?,
            compression: self.enable_compression,
            body_size_limit: self.body_size_limit,
            rules: SeriesRules {
                honor_labels: self.honor_labels,
                honor_timestamps: self.honor_timestamps,
                track_timestamps_staleness: self.track_timestamps_staleness,
                limits: Limits {
                    sample_limit: self.sample_limit,
                    label_limit: self.label_limit,
                    label_name_length_limit: self.label_name_length_limit,
                    label_value_length_limit: self.label_value_length_limit,
                },
            },
            extra_metrics: self.extra_metrics,
            receivers: self.forward_to.iter().filter_map(|h| h.get().cloned()).collect(),
        })
    }

    /// The targets to scrape, each once, and why any given were dropped.
    pub(super) fn targets(&self, id: &str) -> (Vec<Target>, Vec<String>) {
        let job = if self.job_name.is_empty() { id } else { &self.job_name };
        let defaults = Defaults {
            job,
            scheme: &self.scheme,
            metrics_path: &self.metrics_path,
            params: &self.params,
            interval: self.scrape_interval.0,
            timeout: self.scrape_timeout.0,
        };
        let mut out: Vec<Target> = Vec::new();
        let mut dropped = Vec::new();
        for given in &self.targets {
            match Target::resolve(given, &defaults) {
                Ok(t) if !out.contains(&t) => out.push(t),
                Ok(_) => {}
                Err(e) => dropped.push(format!("{given:?}: {e}")),
            }
        }
        if self.target_limit > 0 && out.len() as u64 > self.target_limit {
            dropped.push(format!("target_limit exceeded (number of targets: {}, limit: {})", out.len(), self.target_limit));
            out.clear();
        }
        (out, dropped)
    }
}
