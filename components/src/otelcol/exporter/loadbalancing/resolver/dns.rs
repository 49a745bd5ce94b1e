//! `resolver > dns`: every address a name resolves to, polled.

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
        Ok(())
    }
}

pub struct DnsResolver;

impl DnsResolver {
    pub fn new(_args: &Arguments, _metrics: &ComponentMetrics) -> Result<DnsResolver, ArgumentError> {
        Err(ArgumentError::new("resolver", "dns: not built yet"))
    }
}

impl Resolver for DnsResolver {
    fn run(self: Arc<Self>, _out: watch::Sender<Option<Endpoints>>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move { shutdown.cancelled().await })
    }

    fn name(&self) -> &'static str {
        "dns"
    }

    fn error(&self) -> Option<String> {
        None
    }
}
