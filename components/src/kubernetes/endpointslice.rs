//! An informer for the EndpointSlices of one Service: the addresses behind
//! it and each one's conditions, kept current by list and watch.
//!
//! The Service's slices are found as the API links them, by the label
//! `kubernetes.io/service-name`; a Service with many endpoints (or one
//! being scaled up) has several slices, and a consumer merges them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::watch_loop::{Counters, Informed, InformerHealth, SlimCache};
use crate::selfmetrics::ComponentMetrics;

/// The label the EndpointSlice controller puts on every slice of a Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// What is kept of one slice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Slice {
    pub name: String,
    pub uid: String,
    /// `IPv4`, `IPv6` or `FQDN`.
    pub address_type: String,
    pub endpoints: Vec<SliceEndpoint>,
}

/// One endpoint (usually one pod) of a slice, its conditions as the API
/// sent them: `None` is "unknown", which the API says to read as ready and
/// serving, and as not terminating.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SliceEndpoint {
    pub addresses: Vec<String>,
    /// The pod's `spec.hostname`, set for pods of a StatefulSet or with
    /// `hostname` and `subdomain` set.
    pub hostname: Option<String>,
    pub ready: Option<bool>,
    pub serving: Option<bool>,
    pub terminating: Option<bool>,
}

/// A running informer. Dropping the handle does not stop it: cancel the
/// token given to [`EndpointSliceInformer::start`].
#[derive(Clone)]
pub struct EndpointSliceInformer {
    informed: Informed<SliceCache>,
}

impl EndpointSliceInformer {
    /// Starts listing and watching the slices of Service `service` in
    /// `namespace`, until `cancel` fires. `metrics`, when given, gets
    /// `solder_kubernetes_endpointslice_lists_total` and
    /// `solder_kubernetes_endpointslice_watch_errors_total`.
    pub fn start(client: Client, namespace: &str, service: &str, metrics: Option<&ComponentMetrics>, cancel: CancellationToken) -> EndpointSliceInformer {
        let informed = Informed::new(SliceCache::default());
        let counters = Counters::new(metrics, "solder_kubernetes_endpointslice_lists_total", "solder_kubernetes_endpointslice_watch_errors_total");
        let api: Api<EndpointSlice> = Api::namespaced(client, namespace);
        let config = watcher::Config::default().labels(&format!("{SERVICE_NAME_LABEL}={service}"));
        informed.spawn(watcher::watcher(api, config).default_backoff(), slim, counters, cancel);
        EndpointSliceInformer { informed }
    }

    /// The Service's slices, by UID.
    pub fn slices(&self) -> Vec<Arc<Slice>> {
        self.informed.read().by_uid.values().cloned().collect()
    }

    pub fn health(&self) -> InformerHealth {
        self.informed.health()
    }

    /// Sees a new value after each change to the slices and each error.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.informed.changes()
    }
}

/// What the cache keeps of a slice; one without a UID cannot be tracked.
fn slim(slice: EndpointSlice) -> Option<Slice> {
    let uid = slice.metadata.uid.filter(|u| !u.is_empty())?;
    let endpoints = slice
        .endpoints
        .into_iter()
        .map(|e| {
            let conditions = e.conditions.unwrap_or_default();
            SliceEndpoint {
                addresses: e.addresses,
                hostname: e.hostname.filter(|h| !h.is_empty()),
                ready: conditions.ready,
                serving: conditions.serving,
                terminating: conditions.terminating,
            }
        })
        .collect();
    Some(Slice { name: slice.metadata.name.unwrap_or_default(), uid, address_type: slice.address_type, endpoints })
}

#[derive(Debug, Default)]
struct SliceCache {
    by_uid: BTreeMap<String, Arc<Slice>>,
}

impl SlimCache for SliceCache {
    type Slim = Slice;

    fn fresh(&self) -> SliceCache {
        SliceCache::default()
    }

    fn apply(&mut self, slice: Slice) {
        self.by_uid.insert(slice.uid.clone(), Arc::new(slice));
    }

    fn delete(&mut self, uid: &str, _now: Instant) {
        self.by_uid.remove(uid);
    }
}
