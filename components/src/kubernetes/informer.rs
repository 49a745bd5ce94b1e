//! The pod informer: list, then watch, keeping a [`PodCache`] current
//! (the loop itself is in `watch_loop.rs`, shared with the other kinds).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher;
use kube::runtime::WatchStreamExt;
use kube::{Api, Client};
use tokio_util::sync::CancellationToken;

use super::cache::PodCache;
use super::keep::Keep;
use super::pod::PodMeta;
use super::watch_loop::{Counters, Informed, InformerHealth};
use crate::selfmetrics::ComponentMetrics;

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
    /// The labels and annotations the cache keeps of each pod.
    pub keep_labels: Keep,
    pub keep_annotations: Keep,
    /// How long a deleted pod stays findable (Alloy's
    /// `pod_delete_grace_period`), so telemetry still in flight from it is
    /// enriched; a live pod with the same IP always wins. Zero forgets
    /// deleted pods at once.
    pub delete_grace: Duration,
}

/// A running informer; lookups read the cache it keeps. Dropping the
/// handle does not stop it: cancel the token given to [`PodInformer::start`].
#[derive(Clone)]
pub struct PodInformer {
    informed: Informed<PodCache>,
}

impl PodInformer {
    /// Starts listing and watching pods on `client`'s cluster, until
    /// `cancel` fires. `metrics`, when given, gets
    /// `solder_kubernetes_pod_lists_total` and `solder_kubernetes_pod_watch_errors_total`.
    pub fn start(client: Client, config: &InformerConfig, metrics: Option<&ComponentMetrics>, cancel: CancellationToken) -> PodInformer {
        let informed = Informed::new(PodCache::with_grace(config.delete_grace));
        let mut wc = watcher::Config::default();
        let fields: Vec<String> = config.node_name.iter().map(|n| format!("spec.nodeName={n}")).chain(config.field_selector.clone()).collect();
        if !fields.is_empty() {
            wc = wc.fields(&fields.join(","));
        }
        if let Some(labels) = &config.label_selector {
            wc = wc.labels(labels);
        }
        let counters = Counters::new(metrics, "solder_kubernetes_pod_lists_total", "solder_kubernetes_pod_watch_errors_total");
        let api: Api<Pod> = Api::all(client);
        let (labels, annotations) = (config.keep_labels.clone(), config.keep_annotations.clone());
        let slim = move |pod| {
            let mut meta = PodMeta::from_pod(pod)?;
            labels.retain(&mut meta.labels);
            annotations.retain(&mut meta.annotations);
            Some(meta)
        };
        informed.spawn(watcher::watcher(api, wc).default_backoff(), slim, counters, cancel);
        PodInformer { informed }
    }

    /// The live pod that owns `ip`, else the deleted pod (within its grace
    /// period) that last did.
    pub fn by_ip(&self, ip: &IpAddr) -> Option<Arc<PodMeta>> {
        self.informed.read().by_ip(ip)
    }

    pub fn by_uid(&self, uid: &str) -> Option<Arc<PodMeta>> {
        self.informed.read().by_uid(uid)
    }

    pub fn health(&self) -> InformerHealth {
        self.informed.health()
    }

    /// Runs `f` on the cache under its read lock (sizes, iteration).
    pub fn with_cache<T>(&self, f: impl FnOnce(&PodCache) -> T) -> T {
        f(&self.informed.read())
    }
}
