//! Whole objects of one kind, kept current by the shared informer loop
//! (`kubernetes::watch_loop`), with a change counter the component reads
//! to know when its targets must be built again.
//!
//! Discovery needs most of an object (a pod's containers, ports, statuses
//! and conditions; an Endpoints' subsets), so unlike the attribute
//! processor's slim caches this keeps the typed object, less its managed
//! fields, which are the bulk of what the API sends and never read.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::kubernetes::{Informed, InformerHealth, SlimCache};

/// Bumped on every change of any store of one component, and woken.
#[derive(Default)]
pub(super) struct Changes {
    count: AtomicU64,
    pub(super) wake: Notify,
}

impl Changes {
    pub(super) fn count(&self) -> u64 {
        self.count.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.count.fetch_add(1, Ordering::AcqRel);
        self.wake.notify_one();
    }
}

/// Objects of one kind by namespace and name.
pub(super) struct Store<K> {
    by_name: BTreeMap<(String, String), Arc<K>>,
    names: HashMap<String, (String, String)>,
    changes: Arc<Changes>,
}

impl<K: Resource + Send + Sync + 'static> SlimCache for Store<K> {
    type Slim = Arc<K>;

    fn fresh(&self) -> Store<K> {
        Store { by_name: BTreeMap::new(), names: HashMap::new(), changes: self.changes.clone() }
    }

    fn apply(&mut self, object: Arc<K>) {
        let key = (object.namespace().unwrap_or_default(), object.name_any());
        if let Some(uid) = object.uid() {
            if let Some(old) = self.names.insert(uid, key.clone()) {
                if old != key {
                    self.by_name.remove(&old);
                }
            }
        }
        self.by_name.insert(key, object);
        self.changes.bump();
    }

    fn delete(&mut self, uid: &str, _now: Instant) {
        if let Some(key) = self.names.remove(uid) {
            // A name re-used by a newer object keeps it.
            if self.by_name.get(&key).is_some_and(|o| o.uid().as_deref() == Some(uid)) {
                self.by_name.remove(&key);
            }
            self.changes.bump();
        }
    }

    fn relisted(&self, fresh: Store<K>, _now: Instant) -> Store<K> {
        self.changes.bump();
        fresh
    }
}

/// One kind watched in one or more namespaces (one informer each).
pub(super) struct Watched<K> {
    parts: Vec<Informed<Store<K>>>,
}

/// A label and a field selector, sent to the API as they are.
pub(super) type Selector = (Option<String>, Option<String>);

impl<K> Watched<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default,
{
    /// Starts one informer per API (one per namespace, or one for all).
    pub(super) fn start(apis: Vec<Api<K>>, selector: &Selector, changes: &Arc<Changes>, cancel: &CancellationToken) -> Watched<K> {
        let mut config = watcher::Config::default();
        if let Some(labels) = &selector.0 {
            config = config.labels(labels);
        }
        if let Some(fields) = &selector.1 {
            config = config.fields(fields);
        }
        let parts = apis
            .into_iter()
            .map(|api| {
                let informed = Informed::new(Store { by_name: BTreeMap::new(), names: HashMap::new(), changes: changes.clone() });
                let slim = |mut object: K| {
                    object.meta_mut().managed_fields = None;
                    Some(Arc::new(object))
                };
                informed.spawn(watcher::watcher(api, config.clone()).default_backoff(), slim, None, cancel.clone());
                informed
            })
            .collect();
        Watched { parts }
    }

    pub(super) fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        let key = (namespace.to_string(), name.to_string());
        self.parts.iter().find_map(|p| p.read().by_name.get(&key).cloned())
    }

    /// Every object, in namespace and name order.
    pub(super) fn all(&self) -> Vec<Arc<K>> {
        let mut all: Vec<((String, String), Arc<K>)> =
            self.parts.iter().flat_map(|p| p.read().by_name.iter().map(|(k, o)| (k.clone(), o.clone())).collect::<Vec<_>>()).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all.into_iter().map(|(_, o)| o).collect()
    }

    pub(super) fn health(&self) -> Vec<InformerHealth> {
        self.parts.iter().map(|p| p.health()).collect()
    }
}
