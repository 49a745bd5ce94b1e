//! Where `otelcol.exporter.loadbalancing` finds its backends: a fixed list,
//! a DNS name, or a Kubernetes Service's EndpointSlices. A resolver only
//! finds endpoints; the exporter owns the ring and the per-backend queues,
//! so that a resolver change never touches queued data by itself.

pub mod dns;
pub mod kubernetes;
#[cfg(test)]
pub(crate) mod running;
pub mod static_hosts;

use std::sync::{Arc, Mutex};

use serde::Deserialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::component::{ArgumentError, RunFuture};
use crate::selfmetrics::{ComponentMetrics, Counter, Gauge};

/// The backends one resolution found, as `host:port`, sorted and without
/// duplicates. The strings are the ring's keys, so they are spelled as the
/// Collector spells them: a mixed fleet of Solder and Collector agents then
/// routes every key to the same gateway.
pub type Endpoints = Vec<String>;

/// `resolver { ... }`: exactly one of the blocks.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolverArgs {
    #[serde(rename = "static")]
    pub static_hosts: Option<static_hosts::Arguments>,
    pub dns: Option<dns::Arguments>,
    pub kubernetes: Option<kubernetes::Arguments>,
}

/// Finds endpoints until shutdown. Each run sends the whole current set
/// whenever it changes; `None` in the channel means "not resolved yet".
pub trait Resolver: Send + Sync + 'static {
    fn run(self: Arc<Self>, out: watch::Sender<Option<Endpoints>>, shutdown: CancellationToken) -> RunFuture;

    /// The Collector's `resolver` label value: `static`, `dns` or `k8s`.
    fn name(&self) -> &'static str;

    /// Why the last resolution failed, while it is failing. The last good
    /// set stays in use meanwhile.
    fn error(&self) -> Option<String>;
}

impl ResolverArgs {
    pub fn validate(&self) -> Result<(), ArgumentError> {
        let set = [self.static_hosts.is_some(), self.dns.is_some(), self.kubernetes.is_some()].iter().filter(|b| **b).count();
        match set {
            0 => Err(ArgumentError::new("resolver", "exactly one of the blocks static, dns or kubernetes is required")),
            1 => Ok(()),
            _ => Err(ArgumentError::new("resolver", "only one of the blocks static, dns or kubernetes may be set")),
        }?;
        if let Some(s) = &self.static_hosts {
            s.validate()?;
        }
        if let Some(d) = &self.dns {
            d.validate()?;
        }
        if let Some(k) = &self.kubernetes {
            k.validate()?;
        }
        Ok(())
    }

    /// Makes the resolver; opens nothing (build runs for `validate` too).
    pub fn build(&self, metrics: &ComponentMetrics) -> Result<Arc<dyn Resolver>, ArgumentError> {
        self.validate()?;
        if let Some(s) = &self.static_hosts {
            return Ok(Arc::new(static_hosts::StaticResolver::new(s, metrics)));
        }
        if let Some(d) = &self.dns {
            return Ok(Arc::new(dns::DnsResolver::new(d, metrics)?));
        }
        match &self.kubernetes {
            Some(k) => Ok(Arc::new(kubernetes::KubernetesResolver::new(k, metrics)?)),
            None => Err(ArgumentError::new("resolver", "exactly one of the blocks static, dns or kubernetes is required")),
        }
    }
}

/// The Collector's resolver metrics, shared by every resolver.
pub struct ResolverMetrics {
    succeeded: Counter,
    failed: Counter,
    backends: Gauge,
    updates: Counter,
    error: Mutex<Option<String>>,
}

impl ResolverMetrics {
    pub fn new(metrics: &ComponentMetrics, resolver: &'static str) -> ResolverMetrics {
        let resolutions = |success| {
            metrics.counter(
                "otelcol_loadbalancer_num_resolutions",
                "Number of times the resolver has triggered new resolutions.",
                &[("resolver", resolver), ("success", success)],
            )
        };
        ResolverMetrics {
            succeeded: resolutions("true"),
            failed: resolutions("false"),
            backends: metrics.gauge("otelcol_loadbalancer_num_backends", "Current number of backends in use.", &[("resolver", resolver)]),
            updates: metrics.counter(
                "otelcol_loadbalancer_num_backend_updates",
                "Number of times the list of backends was updated.",
                &[("resolver", resolver)],
            ),
            error: Mutex::new(None),
        }
    }

    /// Records a good resolution and sends the set if it changed.
    pub fn resolved(&self, out: &watch::Sender<Option<Endpoints>>, mut endpoints: Endpoints) {
        endpoints.sort();
        endpoints.dedup();
        self.succeeded.add(1);
        *self.error.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.backends.set(endpoints.len() as i64);
        let changed = out.send_if_modified(|current| {
            if current.as_ref() == Some(&endpoints) {
                return false;
            }
            *current = Some(endpoints);
            true
        });
        if changed {
            self.updates.add(1);
        }
    }

    /// Records a failed resolution; the last good set stays.
    pub fn failed(&self, error: String) {
        self.failed.add(1);
        *self.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(error);
    }

    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
