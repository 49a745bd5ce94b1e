//! `resolver > static`: a fixed list of backends.

use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{Endpoints, Resolver, ResolverMetrics};
use crate::component::{ArgumentError, RunFuture};
use crate::selfmetrics::ComponentMetrics;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// `host` or `host:port` (port 4317 when left out). Required.
    pub hostnames: Vec<String>,
}

impl Arguments {
    pub fn validate(&self) -> Result<(), ArgumentError> {
        if self.hostnames.is_empty() {
            return Err(ArgumentError::new("resolver", "static: `hostnames` must list at least one backend"));
        }
        if let Some(h) = self.hostnames.iter().find(|h| h.trim().is_empty()) {
            return Err(ArgumentError::new("resolver", format!("static: empty hostname {h:?}")));
        }
        Ok(())
    }
}

pub struct StaticResolver {
    hostnames: Endpoints,
    metrics: ResolverMetrics,
}

impl StaticResolver {
    pub fn new(args: &Arguments, metrics: &ComponentMetrics) -> StaticResolver {
        StaticResolver { hostnames: args.hostnames.clone(), metrics: ResolverMetrics::new(metrics, "static") }
    }
}

impl Resolver for StaticResolver {
    fn run(self: Arc<Self>, out: watch::Sender<Option<Endpoints>>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.metrics.resolved(&out, self.hostnames.clone());
            shutdown.cancelled().await;
        })
    }

    fn name(&self) -> &'static str {
        "static"
    }

    fn error(&self) -> Option<String> {
        None
    }
}
