//! A pod informer: list, then watch, keeping a [`PodCache`] current.
//!
//! The protocol is kube-runtime's `watcher`: it lists (paged, with the
//! list's `resourceVersion`), watches from that version with bookmarks on
//! (so a reconnect resumes from a recent version instead of relisting),
//! re-watches when the server ends a watch, and relists when the server
//! answers 410 Gone (the version was compacted away). Errors back off
//! exponentially (kube's default: 0.8 s doubling to 30 s). This module only
//! turns its events into cache updates: a relist builds a new cache aside
//! and swaps it in when complete, so lookups never see a half-listed set.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::{Api, Client};
use tokio_util::sync::CancellationToken;

use super::cache::PodCache;
use super::pod::PodMeta;
use crate::selfmetrics::{ComponentMetrics, Counter};
use crate::sync::lock;

/// What the informer watches.
#[derive(Clone, Debug, Default)]
pub struct InformerConfig {
    /// Only pods scheduled on this node (`fieldSelector=spec.nodeName=…`),
    /// as a DaemonSet agent wants; `None` watches the whole cluster.
    pub node_name: Option<String>,
    /// A label selector passed to the API as is.
    pub label_selector: Option<String>,
    /// More field selectors (`metadata.namespace=…`), joined to the node's.
    pub field_selector: Option<String>,
    /// How long a deleted pod stays findable.
    pub delete_grace: std::time::Duration,
}

/// The informer's state as health reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InformerHealth {
    /// A list has completed, so the cache reflects the cluster.
    pub synced: bool,
    /// The last error from the API, kept after recovery for diagnosis.
    pub last_error: Option<String>,
    /// Completed lists, the first one included.
    pub lists: u64,
    /// Errors that interrupted a list or watch (each retried after backoff).
    pub watch_errors: u64,
    /// The last list or watch failed and none has succeeded since.
    pub failing: bool,
}

/// A running informer; lookups read the cache it keeps. Dropping the
/// handle does not stop it: cancel the token given to [`PodInformer::start`].
#[derive(Clone)]
pub struct PodInformer {
    cache: Arc<RwLock<PodCache>>,
    health: Arc<Mutex<InformerHealth>>,
}

/// The informer's counters in the agent's metrics, when it has a scope.
struct InformerMetrics {
    lists: Counter,
    errors: Counter,
}

impl PodInformer {
    /// Starts listing and watching pods on `client`'s cluster, until
    /// `cancel` fires. `metrics`, when given, gets
    /// `solder_kubernetes_pod_lists_total` and `solder_kubernetes_pod_watch_errors_total`.
    pub fn start(client: Client, config: &InformerConfig, metrics: Option<&ComponentMetrics>, cancel: CancellationToken) -> PodInformer {
        let informer = PodInformer { cache: Arc::default(), health: Arc::default() };
        let mut wc = watcher::Config::default();
        let fields: Vec<String> = config.node_name.iter().map(|n| format!("spec.nodeName={n}")).chain(config.field_selector.clone()).collect();
        if !fields.is_empty() {
            wc = wc.fields(&fields.join(","));
        }
        if let Some(labels) = &config.label_selector {
            wc = wc.labels(labels);
        }
        let metrics = metrics.map(|m| InformerMetrics {
            lists: m.counter("solder_kubernetes_pod_lists_total", "Complete lists of pods, the first included", &[]),
            errors: m.counter("solder_kubernetes_pod_watch_errors_total", "List or watch errors, each retried after a backoff", &[]),
        });
        let api: Api<Pod> = Api::all(client);
        let run = informer.clone();
        tokio::spawn(async move {
            let events = watcher::watcher(api, wc).default_backoff();
            tokio::pin!(events);
            let mut listing: Vec<PodMeta> = Vec::new();
            loop {
                let next = tokio::select! {
                    _ = cancel.cancelled() => return,
                    next = events.next() => next,
                };
                match next {
                    None => return,
                    Some(Ok(event)) => {
                        lock(&run.health).failing = false;
                        run.on_event(event, &mut listing, metrics.as_ref())
                    }
                    Some(Err(e)) => {
                        let mut h = lock(&run.health);
                        h.watch_errors += 1;
                        h.failing = true;
                        h.last_error = Some(e.to_string());
                        if let Some(m) = &metrics {
                            m.errors.add(1);
                        }
                    }
                }
            }
        });
        informer
    }

    pub fn by_ip(&self, ip: &IpAddr) -> Option<Arc<PodMeta>> {
        read(&self.cache).by_ip(ip)
    }

    pub fn by_uid(&self, uid: &str) -> Option<Arc<PodMeta>> {
        read(&self.cache).by_uid(uid)
    }

    pub fn health(&self) -> InformerHealth {
        lock(&self.health).clone()
    }

    /// Runs `f` on the cache under its read lock (sizes, iteration).
    pub fn with_cache<T>(&self, f: impl FnOnce(&PodCache) -> T) -> T {
        f(&read(&self.cache))
    }

    fn on_event(&self, event: Event<Pod>, listing: &mut Vec<PodMeta>, metrics: Option<&InformerMetrics>) {
        match event {
            Event::Init => listing.clear(),
            Event::InitApply(pod) => listing.extend(PodMeta::from_pod(pod)),
            Event::InitDone => {
                let fresh = PodCache::from_pods(listing.drain(..));
                *write(&self.cache) = fresh;
                let mut h = lock(&self.health);
                h.synced = true;
                h.lists += 1;
                if let Some(m) = metrics {
                    m.lists.add(1);
                }
            }
            Event::Apply(pod) => {
                if let Some(p) = PodMeta::from_pod(pod) {
                    write(&self.cache).apply(p);
                }
            }
            Event::Delete(pod) => {
                if let Some(uid) = pod.metadata.uid {
                    write(&self.cache).delete(&uid);
                }
            }
        }
    }
}

/// Read-locks the cache; a writer that panicked left it whole (every
/// update is one map operation at a time), so poison is ignored.
fn read(cache: &RwLock<PodCache>) -> std::sync::RwLockReadGuard<'_, PodCache> {
    cache.read().unwrap_or_else(|p| p.into_inner())
}

fn write(cache: &RwLock<PodCache>) -> std::sync::RwLockWriteGuard<'_, PodCache> {
    cache.write().unwrap_or_else(|p| p.into_inner())
}
