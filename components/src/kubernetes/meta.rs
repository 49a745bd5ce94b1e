//! Informers for the kinds whose metadata alone is wanted: namespaces and
//! nodes (their labels and annotations become attributes) and ReplicaSets
//! (their owner is a pod's Deployment).
//!
//! They watch with kube's `metadata_watcher`, which asks the API server for
//! `PartialObjectMetadata`: a node's status (images, conditions) or a
//! ReplicaSet's pod template never crosses the wire, let alone the cache.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Instant;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::core::PartialObjectMeta;
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::pod::OwnerRef;
use super::watch_loop::{Counters, Informed, InformerHealth, SlimCache};
use crate::selfmetrics::ComponentMetrics;

/// The slim record kept for a namespace, node or ReplicaSet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    pub name: String,
    /// `""` for cluster-scoped kinds (namespaces, nodes).
    pub namespace: String,
    pub uid: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub owners: Vec<OwnerRef>,
}

/// The kinds a [`MetaInformer`] can watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaKind {
    Namespace,
    Node,
    ReplicaSet,
}

/// What a [`MetaInformer`] watches and keeps.
#[derive(Clone, Debug, Default)]
pub struct MetaConfig {
    /// A field selector passed to the API as is (e.g. `metadata.name=node-a`
    /// for the agent's own node).
    pub field_selector: Option<String>,
    /// A label selector passed to the API as is.
    pub label_selector: Option<String>,
    /// false keeps only name/namespace/uid/owners (ReplicaSets need only owners)
    pub keep_labels: bool,
}

/// A running informer for one [`MetaKind`]. Dropping the handle does not
/// stop it: cancel the token given to [`MetaInformer::start`].
#[derive(Clone)]
pub struct MetaInformer {
    informed: Informed<MetaCache>,
}

impl MetaInformer {
    /// Starts listing and watching `kind` on `client`'s cluster, until
    /// `cancel` fires. `metrics`, when given, gets
    /// `solder_kubernetes_<kind>_lists_total` and
    /// `solder_kubernetes_<kind>_watch_errors_total` (kind: `namespace`,
    /// `node`, `replicaset`).
    pub fn start(client: Client, kind: MetaKind, config: &MetaConfig, metrics: Option<&ComponentMetrics>, cancel: CancellationToken) -> MetaInformer {
        let informed = Informed::new(MetaCache::default());
        let (lists, errors) = match kind {
            MetaKind::Namespace => ("solder_kubernetes_namespace_lists_total", "solder_kubernetes_namespace_watch_errors_total"),
            MetaKind::Node => ("solder_kubernetes_node_lists_total", "solder_kubernetes_node_watch_errors_total"),
            MetaKind::ReplicaSet => ("solder_kubernetes_replicaset_lists_total", "solder_kubernetes_replicaset_watch_errors_total"),
        };
        let counters = Counters::new(metrics, lists, errors);
        match kind {
            MetaKind::Namespace => run::<Namespace>(&informed, client, config, counters, cancel),
            MetaKind::Node => run::<Node>(&informed, client, config, counters, cancel),
            MetaKind::ReplicaSet => run::<ReplicaSet>(&informed, client, config, counters, cancel),
        }
        MetaInformer { informed }
    }

    /// The object named `name` in `namespace` (`""` for namespaces and nodes).
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<ObjectMeta>> {
        self.informed.read().by_name.get(namespace).and_then(|names| names.get(name)).cloned()
    }

    pub fn by_uid(&self, uid: &str) -> Option<Arc<ObjectMeta>> {
        self.informed.read().by_uid.get(uid).cloned()
    }

    pub fn health(&self) -> InformerHealth {
        self.informed.health()
    }

    /// Objects in the cache.
    pub fn len(&self) -> usize {
        self.informed.read().by_uid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Watches the metadata of `K` into `informed`.
fn run<K>(informed: &Informed<MetaCache>, client: Client, config: &MetaConfig, counters: Option<Counters>, cancel: CancellationToken)
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default,
{
    let mut wc = watcher::Config::default();
    if let Some(fields) = &config.field_selector {
        wc = wc.fields(fields);
    }
    if let Some(labels) = &config.label_selector {
        wc = wc.labels(labels);
    }
    let keep_labels = config.keep_labels;
    let api: Api<K> = Api::all(client);
    let events = watcher::metadata_watcher(api, wc).default_backoff();
    informed.spawn(events, move |o: PartialObjectMeta<K>| slim(o.metadata, keep_labels), counters, cancel);
}

/// What the cache keeps of an object's metadata; one without a UID cannot
/// be tracked and gives `None`.
fn slim(meta: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta, keep_labels: bool) -> Option<ObjectMeta> {
    let uid = meta.uid.filter(|u| !u.is_empty())?;
    let (labels, annotations) = if keep_labels { (meta.labels.unwrap_or_default(), meta.annotations.unwrap_or_default()) } else { Default::default() };
    Some(ObjectMeta {
        name: meta.name.unwrap_or_default(),
        namespace: meta.namespace.unwrap_or_default(),
        uid,
        labels,
        annotations,
        owners: meta.owner_references.unwrap_or_default().into_iter().map(|o| OwnerRef { kind: o.kind, name: o.name, uid: o.uid }).collect(),
    })
}

/// Objects by UID and by namespace and name.
#[derive(Debug, Default)]
struct MetaCache {
    by_uid: HashMap<String, Arc<ObjectMeta>>,
    /// namespace → name → object, so lookups borrow their keys.
    by_name: HashMap<String, HashMap<String, Arc<ObjectMeta>>>,
}

impl MetaCache {
    /// Removes `old`'s name entry if it still names `old`.
    fn unname(&mut self, old: &ObjectMeta) {
        if let Some(names) = self.by_name.get_mut(&old.namespace) {
            if names.get(&old.name).is_some_and(|o| o.uid == old.uid) {
                names.remove(&old.name);
            }
            if names.is_empty() {
                self.by_name.remove(&old.namespace);
            }
        }
    }
}

impl SlimCache for MetaCache {
    type Slim = ObjectMeta;

    fn fresh(&self) -> MetaCache {
        MetaCache::default()
    }

    /// A name belongs to the object applied last: an object deleted and
    /// created again under its name has a new UID, and the old one's late
    /// DELETED must not take the name from it.
    fn apply(&mut self, object: ObjectMeta) {
        let object = Arc::new(object);
        if let Some(old) = self.by_uid.insert(object.uid.clone(), object.clone()) {
            self.unname(&old);
        }
        self.by_name.entry(object.namespace.clone()).or_default().insert(object.name.clone(), object);
    }

    fn delete(&mut self, uid: &str, _now: Instant) {
        if let Some(old) = self.by_uid.remove(uid) {
            self.unname(&old);
        }
    }
}
