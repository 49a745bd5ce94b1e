//! The blocks inside `endpoint`: what each means, its default, and the
//! checks Alloy makes, in Alloy's words.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use serde::Deserialize;

use crate::bytesize::ByteSize;
use crate::otelcol::exporter::sending::tls::Tls;
use crate::types::{Duration, Secret};

/// `endpoint { ... }`: one place to send samples to. Each endpoint has its
/// own queue and sender.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointArgs {
    /// Where to POST, such as `"http://mimir:9009/api/v1/push"`. Required.
    pub url: String,
    /// Names the endpoint in metrics, health and debug info, and keeps its
    /// queue across updates. Default: the URL decides.
    #[serde(default)]
    pub name: String,
    /// How long one request may take. Default `"30s"`.
    #[serde(default = "default_timeout")]
    pub remote_timeout: Duration,
    /// Extra headers sent with every request; values may be secrets.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// Send exemplars with their series. Default true.
    #[serde(default = "yes")]
    pub send_exemplars: bool,
    /// Default false. `true` is refused: Solder's samples carry classic
    /// histograms only.
    #[serde(default)]
    pub send_native_histograms: bool,
    /// `"prometheus.WriteRequest"` (Remote-Write 1.0, the default) only.
    #[serde(default = "default_protobuf_message")]
    pub protobuf_message: String,
    /// `Authorization: Bearer <token>`.
    #[serde(default)]
    pub bearer_token: Option<Secret>,
    /// A file holding the bearer token, read for every request so that a
    /// rotated token is picked up.
    #[serde(default)]
    pub bearer_token_file: String,
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
    #[serde(default)]
    pub authorization: Option<Authorization>,
    #[serde(default)]
    pub oauth2: Option<crate::prometheus::oauth2::OAuth2>,
    /// Used for `https://` URLs.
    #[serde(default)]
    pub tls_config: Option<TlsConfig>,
    /// Follow HTTP redirects. Default true.
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    /// Offer HTTP/2 on `https://` URLs. Default false.
    #[serde(default)]
    pub enable_http2: bool,
    /// Send through this HTTP proxy.
    #[serde(default)]
    pub proxy_url: String,
    /// Hosts not to send through `proxy_url`, comma-separated.
    #[serde(default)]
    pub no_proxy: String,
    /// Use the proxy named by `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`.
    /// Default false.
    #[serde(default)]
    pub proxy_from_environment: bool,
    #[serde(default)]
    pub queue_config: QueueConfig,
    #[serde(default)]
    pub metadata_config: MetadataConfig,
}

/// `queue_config { ... }`: how samples wait and are batched.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// How many samples the endpoint's queue holds. Default 10000. When it
    /// is full, new samples are refused (and counted as dropped).
    #[serde(default = "default_capacity")]
    pub capacity: usize,
    /// Accepted for compatibility; Solder sends with one shard per
    /// endpoint, which keeps every series in order. Default 50.
    #[serde(default = "default_max_shards")]
    pub max_shards: usize,
    /// Accepted for compatibility, as `max_shards`. Default 1.
    #[serde(default = "default_min_shards")]
    pub min_shards: usize,
    /// Most samples in one request. Default 2000.
    #[serde(default = "default_per_send")]
    pub max_samples_per_send: usize,
    /// Longest a sample waits for a full request. Default `"5s"`.
    #[serde(default = "default_deadline")]
    pub batch_send_deadline: Duration,
    /// The first wait before a retry; each retry doubles it. Default `"30ms"`.
    #[serde(default = "default_min_backoff")]
    pub min_backoff: Duration,
    /// The longest wait between retries. Default `"5s"`.
    #[serde(default = "default_max_backoff")]
    pub max_backoff: Duration,
    /// Retry on HTTP 429, honouring `Retry-After`. Default true.
    #[serde(default = "yes")]
    pub retry_on_http_429: bool,
    /// Drop samples older than this instead of sending them; `"0s"` sends
    /// all. Default `"0s"`.
    #[serde(default)]
    pub sample_age_limit: Duration,
}

/// `metadata_config { ... }`: how family metadata (type, help, unit) is
/// sent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetadataConfig {
    /// Send metadata at all. Default true.
    #[serde(default = "yes")]
    pub send: bool,
    /// A family's metadata is sent with its samples at most this often.
    /// Default `"1m"`.
    #[serde(default = "default_metadata_interval")]
    pub send_interval: Duration,
    /// Most metadata entries in one request. Default 2000.
    #[serde(default = "default_per_send")]
    pub max_samples_per_send: usize,
}

/// `wal { ... }`: how long the write-ahead log keeps samples, and how
/// much of the disk it may take.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalArgs {
    /// How often sent and expired segments are removed. Default `"2h"`.
    /// Segments are also removed, without waiting for it, once the log
    /// passes half of `max_size`.
    #[serde(default = "default_truncate_frequency")]
    pub truncate_frequency: Duration,
    /// A segment every endpoint has sent stays at least this long.
    /// Default `"5m"`.
    #[serde(default = "default_min_keepalive")]
    pub min_keepalive_time: Duration,
    /// A segment older than this is removed even if an endpoint has not
    /// sent it; its samples are counted as dropped. Default `"8h"`.
    #[serde(default = "default_max_keepalive")]
    pub max_keepalive_time: Duration,
    /// Solder's own: the most disk the log may take. Past it, new samples
    /// are refused until endpoints catch up or `max_keepalive_time`
    /// expires old segments. Default `"1GiB"`.
    #[serde(default = "default_wal_max_size")]
    pub max_size: ByteSize,
}

impl Default for WalArgs {
    fn default() -> WalArgs {
        WalArgs {
            truncate_frequency: default_truncate_frequency(),
            min_keepalive_time: default_min_keepalive(),
            max_keepalive_time: default_max_keepalive(),
            max_size: default_wal_max_size(),
        }
    }
}

/// The smallest `max_size`: sixteen of the smallest segments.
pub const MIN_WAL_SIZE: u64 = 64 << 10;

impl WalArgs {
    /// Alloy's checks, in its words, and the size floor.
    pub fn validate(&self) -> Result<(), String> {
        if self.truncate_frequency.0.is_zero() {
            return Err("truncate_frequency must not be 0".into());
        }
        if self.max_keepalive_time <= self.min_keepalive_time {
            return Err("min_keepalive_time must be smaller than max_keepalive_time".into());
        }
        if self.max_size.0 < MIN_WAL_SIZE {
            return Err(format!("max_size must be at least {}", ByteSize(MIN_WAL_SIZE)));
        }
        Ok(())
    }
}

fn default_truncate_frequency() -> Duration {
    Duration(StdDuration::from_secs(2 * 3600))
}

fn default_min_keepalive() -> Duration {
    Duration(StdDuration::from_secs(5 * 60))
}

fn default_max_keepalive() -> Duration {
    Duration(StdDuration::from_secs(8 * 3600))
}

fn default_wal_max_size() -> ByteSize {
    ByteSize(1 << 30)
}

/// `basic_auth { ... }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: Option<Secret>,
    /// A file holding the password, read for every request.
    #[serde(default)]
    pub password_file: String,
}

/// `authorization { ... }`: `Authorization: <type> <credentials>`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// Default `"Bearer"`.
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub credentials: Option<Secret>,
    /// A file holding the credentials, read for every request.
    #[serde(default)]
    pub credentials_file: String,
}

/// `tls_config { ... }`, Prometheus' TLS settings.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    #[serde(default)]
    pub ca_pem: String,
    #[serde(default)]
    pub ca_file: String,
    #[serde(default)]
    pub cert_pem: String,
    #[serde(default)]
    pub cert_file: String,
    #[serde(default)]
    pub key_pem: Option<Secret>,
    #[serde(default)]
    pub key_file: String,
    #[serde(default)]
    pub server_name: String,
    #[serde(default)]
    pub insecure_skip_verify: bool,
    /// `"TLS12"` (default) or `"TLS13"`.
    #[serde(default)]
    pub min_version: String,
}

fn yes() -> bool {
    true
}

fn default_timeout() -> Duration {
    Duration(StdDuration::from_secs(30))
}

fn default_protobuf_message() -> String {
    WRITE_REQUEST_V1.to_string()
}

fn default_capacity() -> usize {
    10_000
}

fn default_max_shards() -> usize {
    50
}

fn default_min_shards() -> usize {
    1
}

fn default_per_send() -> usize {
    2000
}

fn default_deadline() -> Duration {
    Duration(StdDuration::from_secs(5))
}

fn default_min_backoff() -> Duration {
    Duration(StdDuration::from_millis(30))
}

fn default_max_backoff() -> Duration {
    Duration(StdDuration::from_secs(5))
}

fn default_metadata_interval() -> Duration {
    Duration(StdDuration::from_secs(60))
}

impl Default for QueueConfig {
    fn default() -> QueueConfig {
        QueueConfig {
            capacity: default_capacity(),
            max_shards: default_max_shards(),
            min_shards: default_min_shards(),
            max_samples_per_send: default_per_send(),
            batch_send_deadline: default_deadline(),
            min_backoff: default_min_backoff(),
            max_backoff: default_max_backoff(),
            retry_on_http_429: true,
            sample_age_limit: Duration::default(),
        }
    }
}

impl Default for MetadataConfig {
    fn default() -> MetadataConfig {
        MetadataConfig { send: true, send_interval: default_metadata_interval(), max_samples_per_send: default_per_send() }
    }
}

/// The Remote-Write 1.0 message name, the only one Solder sends.
pub const WRITE_REQUEST_V1: &str = "prometheus.WriteRequest";

/// Headers Prometheus sets itself and refuses in `headers`.
const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "host",
    "content-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "www-authenticate",
    "retry-after",
    "x-prometheus-remote-write-version",
];

fn set(s: &Option<Secret>) -> bool {
    s.as_ref().is_some_and(|s| !s.0.expose().is_empty())
}

impl EndpointArgs {
    /// Checks what the types cannot. Errors use Alloy's and Prometheus'
    /// wording where they have one.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(format!("url {:?} is not a URL: it must start with http:// or https://", self.url));
        }
        reqwest::Url::parse(&self.url).map_err(|e| format!("url {:?} is not a valid URL: {e}", self.url))?;
        if self.protobuf_message != WRITE_REQUEST_V1 {
            return Err(format!("protobuf_message {:?} is not supported: Solder sends Remote-Write 1.0 (\"{WRITE_REQUEST_V1}\") only", self.protobuf_message));
        }
        if self.send_native_histograms {
            return Err("send_native_histograms = true is not supported: Solder's Prometheus samples carry classic histograms only".into());
        }
        for name in self.headers.keys() {
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(format!("{name:?} is a reserved header. It must not be changed"));
            }
        }
        crate::prometheus::client::validate(&self.basic_auth, &self.authorization, &self.oauth2, &self.bearer_token, &self.bearer_token_file)?;
        validate_proxy(self.proxy_from_environment, &self.proxy_url, &self.no_proxy)?;
        if let Some(tls) = &self.tls_config {
            tls.validate()?;
        }
        self.queue_config.validate()?;
        if self.metadata_config.send && self.metadata_config.max_samples_per_send == 0 {
            return Err("metadata_config: max_samples_per_send must be greater than 0".into());
        }
        Ok(())
    }

    /// The name health, logs and metrics use: `name`, or one derived from
    /// the URL as Alloy derives one from the settings.
    pub fn display_name(&self) -> String {
        if !self.name.is_empty() {
            return self.name.clone();
        }
        format!("{:06x}", fnv1a(&self.url) & 0xff_ffff)
    }

    /// What identifies the endpoint across updates.
    pub fn key(&self) -> &str {
        if self.name.is_empty() {
            &self.url
        } else {
            &self.name
        }
    }
}

/// Prometheus' checks on the proxy settings, in its words.
pub fn validate_proxy(from_environment: bool, proxy_url: &str, no_proxy: &str) -> Result<(), String> {
    if from_environment && !proxy_url.is_empty() {
        return Err("if proxy_from_environment is configured, proxy_url must not be configured".into());
    }
    if from_environment && !no_proxy.is_empty() {
        return Err("if proxy_from_environment is configured, no_proxy must not be configured".into());
    }
    if proxy_url.is_empty() && !no_proxy.is_empty() {
        return Err("if no_proxy is configured, proxy_url must also be configured".into());
    }
    Ok(())
}

/// FNV-1a: a name from a string that is stable across builds, unlike
/// `DefaultHasher`'s.
pub fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

impl QueueConfig {
    fn validate(&self) -> Result<(), String> {
        let positive = [("capacity", self.capacity), ("max_samples_per_send", self.max_samples_per_send), ("max_shards", self.max_shards)];
        for (name, v) in positive {
            if v == 0 {
                return Err(format!("queue_config: {name} must be greater than 0"));
            }
        }
        if self.min_shards > self.max_shards {
            return Err("queue_config: min_shards must not be greater than max_shards".into());
        }
        if self.batch_send_deadline.0.is_zero() {
            return Err("queue_config: batch_send_deadline must be greater than 0".into());
        }
        if self.min_backoff > self.max_backoff {
            return Err("queue_config: min_backoff must not be greater than max_backoff".into());
        }
        Ok(())
    }
}

impl TlsConfig {
    /// Alloy's checks, then the shared TLS settings they map to.
    pub fn validate(&self) -> Result<(), String> {
        let key = set(&self.key_pem);
        if !self.ca_pem.is_empty() && !self.ca_file.is_empty() {
            return Err("at most one of ca_pem and ca_file must be configured".into());
        }
        if !self.cert_pem.is_empty() && !self.cert_file.is_empty() {
            return Err("at most one of cert_pem and cert_file must be configured".into());
        }
        if key && !self.key_file.is_empty() {
            return Err("at most one of key_pem and key_file must be configured".into());
        }
        let cert = !self.cert_pem.is_empty() || !self.cert_file.is_empty();
        let key = key || !self.key_file.is_empty();
        if cert && !key {
            return Err("exactly one of key_pem or key_file must be configured when a client certificate is configured".into());
        }
        if key && !cert {
            return Err("exactly one of cert_pem or cert_file must be configured when a client key is configured".into());
        }
        self.shared().map(|_| ())
    }

    /// The otelcol exporters' TLS settings, which build the rustls config.
    pub fn shared(&self) -> Result<Tls, String> {
        let min_version = match self.min_version.as_str() {
            "" | "TLS12" => "1.2",
            "TLS13" => "1.3",
            "TLS10" | "TLS11" => return Err(format!("tls_config: min_version {:?} is not supported: TLS 1.0 and 1.1 are insecure", self.min_version)),
            other => return Err(format!("unknown TLS version: {other}")),
        };
        Ok(Tls {
            insecure_skip_verify: self.insecure_skip_verify,
            ca_file: self.ca_file.clone(),
            ca_pem: self.ca_pem.clone(),
            cert_file: self.cert_file.clone(),
            cert_pem: self.cert_pem.clone(),
            key_file: self.key_file.clone(),
            key_pem: self.key_pem.clone(),
            server_name: self.server_name.clone(),
            min_version: min_version.to_string(),
            ..Tls::default()
        })
    }
}
