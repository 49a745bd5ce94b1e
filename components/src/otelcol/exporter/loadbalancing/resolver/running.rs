//! A resolver run as the exporter runs it (a task sending into a watch
//! channel), with its metrics at hand: what the resolvers' tests share.

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{Endpoints, Resolver};
use crate::harness::DEADLINE;
use crate::selfmetrics::ComponentMetrics;

/// A running resolver; it stops when dropped.
pub(crate) struct Running {
    pub resolver: Arc<dyn Resolver>,
    endpoints: watch::Receiver<Option<Endpoints>>,
    metrics: ComponentMetrics,
    shutdown: CancellationToken,
}

impl Running {
    /// Runs `resolver`, whose metrics are in `metrics`.
    pub fn start(resolver: Arc<dyn Resolver>, metrics: ComponentMetrics) -> Running {
        let (tx, endpoints) = watch::channel(None);
        let shutdown = CancellationToken::new();
        tokio::spawn(resolver.clone().run(tx, shutdown.clone()));
        Running { resolver, endpoints, metrics, shutdown }
    }

    /// The set as the exporter sees it now.
    pub fn current(&self) -> Option<Vec<String>> {
        self.endpoints.borrow().clone()
    }

    /// `otelcol_loadbalancer_num_resolutions{success}`.
    pub fn resolutions(&self, success: &str) -> u64 {
        let labels = [("resolver", self.resolver.name()), ("success", success)];
        self.metrics.counter("otelcol_loadbalancer_num_resolutions", "Number of times the resolver has triggered new resolutions.", &labels).get()
    }

    /// `otelcol_loadbalancer_num_backend_updates`.
    pub fn updates(&self) -> u64 {
        let labels = [("resolver", self.resolver.name())];
        self.metrics.counter("otelcol_loadbalancer_num_backend_updates", "Number of times the list of backends was updated.", &labels).get()
    }

    /// `otelcol_loadbalancer_num_backends`.
    pub fn backends(&self) -> i64 {
        self.metrics.gauge("otelcol_loadbalancer_num_backends", "Current number of backends in use.", &[("resolver", self.resolver.name())]).get()
    }

    /// Waits for the set to become `want`; panics with what it is after
    /// [`DEADLINE`].
    pub async fn wait_for(&mut self, want: &[&str]) {
        let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        let seen = tokio::time::timeout(DEADLINE, self.endpoints.wait_for(|e| e.as_ref() == Some(&want))).await.is_ok();
        assert!(seen, "expected {want:?}, have {:?}", self.current());
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
