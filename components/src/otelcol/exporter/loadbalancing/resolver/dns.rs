//! `resolver > dns`: every address a name resolves to, polled.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::TokioResolver;
use serde::Deserialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{Endpoints, Resolver, ResolverMetrics};
use crate::component::{ArgumentError, RunFuture};
use crate::selfmetrics::ComponentMetrics;
use crate::types::Duration;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// The name to resolve, typically a headless Service. Required.
    pub hostname: String,
    /// Added to every address. Default `"4317"`.
    #[serde(default = "default_port")]
    pub port: String,
    /// How often to resolve again. Default `"5s"`.
    #[serde(default = "default_interval")]
    pub interval: Duration,
    /// How long one resolution may take. Default `"1s"`.
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
}

fn default_port() -> String {
    "4317".to_string()
}

fn default_interval() -> Duration {
    Duration(StdDuration::from_secs(5))
}

fn default_timeout() -> Duration {
    Duration(StdDuration::from_secs(1))
}

impl Arguments {
    pub fn validate(&self) -> Result<(), ArgumentError> {
        if self.hostname.trim().is_empty() {
            return Err(ArgumentError::new("resolver", "dns: `hostname` is required"));
        }
        if self.interval.0.is_zero() {
            return Err(ArgumentError::new("resolver", "dns: `interval` must be greater than zero"));
        }
        if self.timeout.0.is_zero() {
            return Err(ArgumentError::new("resolver", "dns: `timeout` must be greater than zero"));
        }
        Ok(())
    }
}

/// The variable that points every DNS resolver at one name server
/// (`ip:port`) instead of the system's, so that an end-to-end test can run
/// the agent against a DNS server it started on loopback.
pub const NAMESERVER_ENV: &str = "SOLDER_DNS_NAMESERVER";

/// Resolves `hostname` every `interval` and sends every A and AAAA address,
/// with the port, as the backends. Like the Collector, a failed or empty
/// resolution keeps the last good set: a name server that is briefly away,
/// or a headless Service whose pods are all restarting (NXDOMAIN), must not
/// empty the ring and strand every key.
pub struct DnsResolver {
    hostname: String,
    port: String,
    interval: StdDuration,
    timeout: StdDuration,
    /// Asked instead of the system's name servers when set.
    nameserver: Option<SocketAddr>,
    metrics: ResolverMetrics,
}

impl DnsResolver {
    /// Opens nothing: the system's resolver configuration is read when the
    /// resolver runs.
    pub fn new(args: &Arguments, metrics: &ComponentMetrics) -> Result<DnsResolver, ArgumentError> {
        args.validate()?;
        Ok(DnsResolver {
            hostname: args.hostname.trim().to_string(),
            port: args.port.trim().to_string(),
            interval: args.interval.0,
            timeout: args.timeout.0,
            nameserver: None,
            metrics: ResolverMetrics::new(metrics, "dns"),
        })
    }

    /// Asks `nameserver` alone instead of the system's name servers.
    pub fn with_nameserver(mut self, nameserver: SocketAddr) -> DnsResolver {
        self.nameserver = Some(nameserver);
        self
    }

    /// A stub resolver without a cache (each round must see the records as
    /// they are now, whatever their TTL), asking for A and AAAA at once.
    fn client(&self) -> Result<TokioResolver, String> {
        let nameserver = match self.nameserver {
            Some(ns) => Some(ns),
            None => match std::env::var(NAMESERVER_ENV) {
                Ok(text) => Some(text.parse::<SocketAddr>().map_err(|e| format!("{NAMESERVER_ENV}={text:?}: {e}"))?),
                Err(_) => None,
            },
        };
        let mut builder = match nameserver {
            Some(ns) => {
                let servers = NameServerConfigGroup::from_ips_clear(&[ns.ip()], ns.port(), true);
                TokioResolver::builder_with_config(ResolverConfig::from_parts(None, vec![], servers), TokioConnectionProvider::default())
            }
            None => TokioResolver::builder_tokio().map_err(|e| format!("dns: reading the system resolver configuration: {e}"))?,
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.cache_size = 0;
        opts.positive_max_ttl = Some(StdDuration::ZERO);
        opts.negative_max_ttl = Some(StdDuration::ZERO);
        opts.ip_strategy = hickory_resolver::config::LookupIpStrategy::Ipv4AndIpv6;
        opts.timeout = self.timeout;
        opts.attempts = 1;
        Ok(builder.build())
    }

    /// One resolution: the sorted endpoints, or why there are none.
    async fn resolve(&self, client: &TokioResolver) -> Result<Endpoints, String> {
        let lookup = match tokio::time::timeout(self.timeout, client.lookup_ip(self.hostname.as_str())).await {
            Err(_) => return Err(format!("dns: resolving {:?} timed out after {:?}", self.hostname, self.timeout)),
            Ok(Err(e)) => return Err(format!("dns: resolving {:?}: {}", self.hostname, describe(&e))),
            Ok(Ok(lookup)) => lookup,
        };
        let mut endpoints: Endpoints = lookup.iter().map(|ip| endpoint(ip, &self.port)).collect();
        if endpoints.is_empty() {
            return Err(format!("dns: {:?} has no A or AAAA records", self.hostname));
        }
        endpoints.sort();
        endpoints.dedup();
        Ok(endpoints)
    }
}

/// hickory's message for an answer without records ("no records found for
/// Query { … }") hides the one thing an operator wants: what the server
/// said.
fn describe(e: &hickory_resolver::ResolveError) -> String {
    use hickory_resolver::proto::op::ResponseCode;
    use hickory_resolver::proto::ProtoErrorKind;
    match e.proto().map(|p| p.kind()) {
        Some(ProtoErrorKind::NoRecordsFound { response_code: ResponseCode::NoError, .. }) => "no A or AAAA records".to_string(),
        Some(ProtoErrorKind::NoRecordsFound { response_code, .. }) => format!("the name server answered {}", format!("{response_code:?}").to_uppercase()),
        _ => e.to_string(),
    }
}

/// The Collector's spelling: `ip:port`, `[ipv6]:port`, and the bare
/// address when the port is empty.
fn endpoint(ip: IpAddr, port: &str) -> String {
    let host = match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => format!("[{v6}]"),
        },
    };
    if port.is_empty() {
        host
    } else {
        format!("{host}:{port}")
    }
}

impl Resolver for DnsResolver {
    fn run(self: Arc<Self>, out: watch::Sender<Option<Endpoints>>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            let mut ticks = tokio::time::interval(self.interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut client = None;
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = ticks.tick() => {}
                }
                if client.is_none() {
                    match self.client() {
                        Ok(c) => client = Some(c),
                        Err(e) => {
                            tracing::warn!(error = %e, "otelcol.exporter.loadbalancing: dns resolver");
                            self.metrics.failed(e);
                            continue;
                        }
                    }
                }
                let Some(c) = &client else { continue };
                let result = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    r = self.resolve(c) => r,
                };
                match result {
                    Ok(endpoints) => self.metrics.resolved(&out, endpoints),
                    Err(e) => {
                        tracing::warn!(error = %e, "otelcol.exporter.loadbalancing: dns resolution failed; keeping the last backends");
                        self.metrics.failed(e);
                    }
                }
            }
        })
    }

    fn name(&self) -> &'static str {
        "dns"
    }

    fn error(&self) -> Option<String> {
        self.metrics.error()
    }
}

#[path = "dns_standin.rs"]
pub mod standin;
#[cfg(test)]
#[path = "dns_tests.rs"]
mod tests;
