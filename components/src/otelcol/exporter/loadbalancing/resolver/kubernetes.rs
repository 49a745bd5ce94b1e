//! `resolver > kubernetes`: the ready endpoints of a Service, from its
//! EndpointSlices.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use serde::Deserialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{Endpoints, Resolver, ResolverMetrics};
use crate::component::{ArgumentError, RunFuture};
use crate::kubernetes::{AuthType, EndpointSliceInformer, Slice, API_SERVER_ENV};
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
        if self.ports.contains(&0) {
            return Err(ArgumentError::new("resolver", "kubernetes: port 0 in `ports`"));
        }
        if self.timeout.0.is_zero() {
            return Err(ArgumentError::new("resolver", "kubernetes: `timeout` must be greater than zero"));
        }
        let (name, namespace) = self.service.trim().split_once('.').unwrap_or((self.service.trim(), ""));
        if !is_dns_label(name) {
            return Err(ArgumentError::new("resolver", format!("kubernetes: `service` {:?}: {name:?} is not a Service name", self.service)));
        }
        if !namespace.is_empty() && !is_dns_label(namespace) {
            return Err(ArgumentError::new(
                "resolver",
                format!("kubernetes: `service` is `name` or `name.namespace`, and {namespace:?} in {:?} is not a namespace name", self.service),
            )
            .with_help("write the Service as `name.namespace`, without `.svc.cluster.local`"));
        }
        Ok(())
    }
}

/// Where a pod finds its own namespace; the Service's namespace when
/// `service` names none, as in the Collector.
pub const NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// How often a failing resolver looks again for a client, or for the
/// informer's recovery when no event says so.
const RETRY: StdDuration = StdDuration::from_secs(5);

/// Watches the EndpointSlices of a Service and sends its usable endpoints:
/// every address of every endpoint that is ready (or whose readiness is
/// unknown) and not terminating, once per port in `ports`. Unlike the
/// Collector (open-telemetry/opentelemetry-collector-contrib#50436), a pod
/// that has begun terminating leaves the ring at once, even behind a
/// Service with `publishNotReadyAddresses`, whose slices keep terminating
/// pods `ready`.
pub struct KubernetesResolver {
    name: String,
    namespace: String,
    ports: Vec<u16>,
    timeout: StdDuration,
    return_hostnames: bool,
    /// How to reach the API; `None` as the Collector does it (see
    /// [`KubernetesResolver::client`]).
    auth: Option<AuthType>,
    component: ComponentMetrics,
    metrics: ResolverMetrics,
}

impl KubernetesResolver {
    /// Reads the pod's namespace file when `service` names no namespace;
    /// opens no connection.
    pub fn new(args: &Arguments, metrics: &ComponentMetrics) -> Result<KubernetesResolver, ArgumentError> {
        Self::with_namespace_file(args, metrics, Path::new(NAMESPACE_FILE))
    }

    /// [`KubernetesResolver::new`], with the namespace file at `path`.
    pub fn with_namespace_file(args: &Arguments, metrics: &ComponentMetrics, path: &Path) -> Result<KubernetesResolver, ArgumentError> {
        args.validate()?;
        let service = args.service.trim();
        let (name, namespace) = match service.split_once('.') {
            Some((name, namespace)) => (name.to_string(), namespace.to_string()),
            None => (service.to_string(), own_namespace(path)),
        };
        let mut ports = args.ports.clone();
        ports.sort_unstable();
        ports.dedup();
        Ok(KubernetesResolver {
            name,
            namespace,
            ports,
            timeout: args.timeout.0,
            return_hostnames: args.return_hostnames,
            auth: None,
            component: metrics.clone(),
            metrics: ResolverMetrics::new(metrics, "k8s"),
        })
    }

    /// Reaches the API as `auth` says instead.
    pub fn with_auth(mut self, auth: AuthType) -> KubernetesResolver {
        self.auth = Some(auth);
        self
    }

    /// The Service's namespace, as the resolver watches it.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// A client as the Collector's resolver makes one: a kubeconfig named by
    /// `KUBECONFIG`, else the pod's service account, else `~/.kube/config`.
    /// A URL in `SOLDER_KUBERNETES_API_SERVER` goes first, for tests.
    async fn client(&self) -> Result<kube::Client, String> {
        let auth = match &self.auth {
            Some(auth) => auth.clone(),
            None if std::env::var_os(API_SERVER_ENV).is_some() => AuthType::None { url: None },
            None if std::env::var_os("KUBECONFIG").is_some() => AuthType::KubeConfig { path: None, context: None },
            None => match kube::Config::incluster() {
                Ok(config) => return kube::Client::try_from(config).map_err(|e| format!("kubernetes client: {e}")),
                Err(_) => AuthType::KubeConfig { path: None, context: None },
            },
        };
        crate::kubernetes::client(&auth).await.map_err(|e| format!("kubernetes: no client for the API server ({e})"))
    }

    /// The backends the slices hold now, and how many ready endpoints were
    /// left out for want of a hostname (with `return_hostnames`).
    fn endpoints(&self, slices: &[Arc<Slice>]) -> (Endpoints, usize) {
        let mut hosts = BTreeSet::new();
        let mut nameless = 0;
        for endpoint in slices.iter().flat_map(|s| &s.endpoints) {
            if endpoint.ready == Some(false) || endpoint.terminating == Some(true) {
                continue;
            }
            if !self.return_hostnames {
                hosts.extend(endpoint.addresses.iter().cloned());
                continue;
            }
            match &endpoint.hostname {
                Some(h) => {
                    hosts.insert(format!("{h}.{}.{}", self.name, self.namespace));
                }
                None => nameless += 1,
            }
        }
        let endpoints = hosts.iter().flat_map(|h| self.ports.iter().map(move |p| join_host_port(h, *p))).collect();
        (endpoints, nameless)
    }

    /// Sends the slices' endpoints, or records why the informer is failing.
    fn publish(&self, informer: &EndpointSliceInformer, out: &watch::Sender<Option<Endpoints>>, progress: &mut Progress) {
        let health = informer.health();
        if health.watch_errors > progress.seen_errors {
            progress.seen_errors = health.watch_errors;
            let error = health.last_error.clone().unwrap_or_default();
            tracing::warn!(%error, service = %self.name, namespace = %self.namespace,
                "otelcol.exporter.loadbalancing: watching EndpointSlices failed; keeping the last backends");
            self.metrics.failed(format!("kubernetes: watching the EndpointSlices of {}/{}: {error}", self.namespace, self.name));
            progress.stale = true;
        }
        if health.failing || !health.synced {
            return;
        }
        let (endpoints, nameless) = self.endpoints(&informer.slices());
        if !progress.stale && out.borrow().as_ref() == Some(&endpoints) {
            return;
        }
        progress.stale = false;
        self.metrics.resolved(out, endpoints);
        if nameless > 0 {
            self.metrics.failed(format!(
                "kubernetes: {nameless} ready endpoint(s) of {}/{} have no hostname, so `return_hostnames` leaves them out",
                self.namespace, self.name
            ));
        }
    }
}

/// Where a run stands with its informer.
#[derive(Default)]
struct Progress {
    /// The informer's error count already reported.
    seen_errors: u64,
    /// A failure was reported and no good set has been sent since.
    stale: bool,
}

impl Resolver for KubernetesResolver {
    fn run(self: Arc<Self>, out: watch::Sender<Option<Endpoints>>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            let client = loop {
                match self.client().await {
                    Ok(c) => break c,
                    Err(e) => {
                        tracing::warn!(error = %e, "otelcol.exporter.loadbalancing: kubernetes resolver");
                        self.metrics.failed(e);
                    }
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(RETRY) => {}
                }
            };
            let informer = EndpointSliceInformer::start(client, &self.namespace, &self.name, Some(&self.component), shutdown.child_token());
            let mut changes = informer.changes();
            let first_list = tokio::time::sleep(self.timeout);
            tokio::pin!(first_list);
            let mut waiting_first_list = true;
            let mut progress = Progress::default();
            self.publish(&informer, &out, &mut progress);
            loop {
                // A watch that reopens after an error on a quiet cluster
                // sends nothing: look again now and then.
                let stale = progress.stale;
                let retry = async {
                    match stale {
                        true => tokio::time::sleep(RETRY).await,
                        false => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = &mut first_list, if waiting_first_list => {
                        waiting_first_list = false;
                        if !informer.health().synced {
                            progress.stale = true;
                            self.metrics.failed(format!(
                                "kubernetes: the EndpointSlices of {}/{} were not listed within {:?}; still trying",
                                self.namespace, self.name, self.timeout
                            ));
                        }
                        continue;
                    }
                    _ = retry => {}
                    changed = changes.changed() => {
                        if changed.is_err() {
                            return;
                        }
                    }
                }
                self.publish(&informer, &out, &mut progress);
            }
        })
    }

    fn name(&self) -> &'static str {
        "k8s"
    }

    fn error(&self) -> Option<String> {
        self.metrics.error()
    }
}

/// The namespace in the pod's namespace file, else `default`.
fn own_namespace(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => text.trim().to_string(),
        _ => "default".to_string(),
    }
}

/// `host:port`, with an IPv6 address in brackets, as Go's `JoinHostPort`.
fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A DNS-1123 label, as Service and namespace names are.
fn is_dns_label(s: &str) -> bool {
    !s.is_empty() && s.len() <= 63 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') && !s.starts_with('-') && !s.ends_with('-')
}

#[cfg(test)]
#[path = "kubernetes_tests.rs"]
mod tests;
