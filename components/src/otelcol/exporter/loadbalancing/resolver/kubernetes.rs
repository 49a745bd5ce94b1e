//! `resolver > kubernetes`: the ready endpoints of a Service, from its
//! EndpointSlices.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use serde::Deserialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{Endpoints, Resolver};
use crate::component::{ArgumentError, RunFuture};
use crate::selfmetrics::ComponentMetrics;
use crate::types::Duration;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// `name` or `name.namespace`. Required.
    pub service: String,
    /// One backend per port of every endpoint. Default `[4317]`.
    #[serde(default = "default_ports")]
    pub ports: Vec<u16>,
    /// How long the first list may take. Default `"1s"`.
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// Use pod hostnames instead of IPs (for TLS names). Default false.
    #[serde(default)]
    pub return_hostnames: bool,
}

fn default_ports() -> Vec<u16> {
    vec![4317]
}

fn default_timeout() -> Duration {
    Duration(StdDuration::from_secs(1))
}

impl Arguments {
    pub fn validate(&self) -> Result<(), ArgumentError> {
        if self.service.trim().is_empty() {
            return Err(ArgumentError::new("resolver", "kubernetes: `service` is required"));
        }
        if self.ports.is_empty() {
            return Err(ArgumentError::new("resolver", "kubernetes: `ports` must list at least one port"));
        }
        Ok(())
    }
}

pub struct KubernetesResolver;

impl KubernetesResolver {
    pub fn new(_args: &Arguments, _metrics: &ComponentMetrics) -> Result<KubernetesResolver, ArgumentError> {
        Err(ArgumentError::new("resolver", "kubernetes: not built yet"))
    }
}

impl Resolver for KubernetesResolver {
    fn run(self: Arc<Self>, _out: watch::Sender<Option<Endpoints>>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move { shutdown.cancelled().await })
    }

    fn name(&self) -> &'static str {
        "k8s"
    }

    fn error(&self) -> Option<String> {
        None
    }
}
