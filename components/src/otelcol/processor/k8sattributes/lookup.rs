//! Where the processor finds pods and the objects around them: the
//! running informers, or a fixed set for tests and benchmarks.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use kube::Client;
use tokio_util::sync::CancellationToken;

use super::args::Filter;
use super::rules::Rules;
use crate::component::ComponentMetrics;
use crate::kubernetes::{InformerConfig, InformerHealth, MetaConfig, MetaInformer, MetaKind, ObjectMeta, PodCache, PodInformer, PodMeta};

/// The lookups enrichment makes; each is one hash-map read.
pub trait Lookup: Send + Sync {
    fn pod_by_ip(&self, ip: &IpAddr) -> Option<Arc<PodMeta>>;
    fn pod_by_uid(&self, uid: &str) -> Option<Arc<PodMeta>>;
    fn namespace(&self, name: &str) -> Option<Arc<ObjectMeta>>;
    fn node(&self, name: &str) -> Option<Arc<ObjectMeta>>;
    fn replicaset(&self, namespace: &str, name: &str) -> Option<Arc<ObjectMeta>>;
}

/// The informers one processor runs: pods always, the others only when a
/// rule reads them.
pub struct Informers {
    pub pods: PodInformer,
    namespaces: Option<MetaInformer>,
    nodes: Option<MetaInformer>,
    replicasets: Option<MetaInformer>,
}

impl Informers {
    pub fn start(
        client: Client,
        filter: &Filter,
        rules: &Rules,
        grace: std::time::Duration,
        metrics: &ComponentMetrics,
        cancel: &CancellationToken,
    ) -> Informers {
        let needs = rules.needs();
        let (keep_labels, keep_annotations) = rules.pod_keys();
        let config = InformerConfig {
            keep_labels,
            keep_annotations,
            node_name: Some(filter.node.clone()).filter(|n| !n.is_empty()),
            label_selector: label_selector(filter),
            field_selector: field_selector(filter),
            delete_grace: grace,
        };
        let pods = PodInformer::start(client.clone(), &config, Some(metrics), cancel.child_token());
        let meta = |kind: MetaKind, keep_labels: bool, field_selector: Option<String>| {
            let config = MetaConfig { field_selector, label_selector: None, keep_labels };
            MetaInformer::start(client.clone(), kind, &config, Some(metrics), cancel.child_token())
        };
        let node_selector = Some(format!("metadata.name={}", filter.node)).filter(|_| !filter.node.is_empty());
        Informers {
            pods,
            namespaces: needs.namespaces.then(|| meta(MetaKind::Namespace, true, None)),
            nodes: needs.nodes.then(|| meta(MetaKind::Node, true, node_selector)),
            replicasets: needs.replicasets.then(|| meta(MetaKind::ReplicaSet, false, None)),
        }
    }

    /// Every informer's state, the pods' first: synced when all are,
    /// failing when any is.
    pub fn health(&self) -> Vec<(&'static str, InformerHealth)> {
        let mut out = vec![("pods", self.pods.health())];
        for (name, inf) in [("namespaces", &self.namespaces), ("nodes", &self.nodes), ("replicasets", &self.replicasets)] {
            if let Some(i) = inf {
                out.push((name, i.health()));
            }
        }
        out
    }
}

impl Lookup for Informers {
    fn pod_by_ip(&self, ip: &IpAddr) -> Option<Arc<PodMeta>> {
        self.pods.by_ip(ip)
    }

    fn pod_by_uid(&self, uid: &str) -> Option<Arc<PodMeta>> {
        self.pods.by_uid(uid)
    }

    fn namespace(&self, name: &str) -> Option<Arc<ObjectMeta>> {
        self.namespaces.as_ref()?.get("", name)
    }

    fn node(&self, name: &str) -> Option<Arc<ObjectMeta>> {
        self.nodes.as_ref()?.get("", name)
    }

    fn replicaset(&self, namespace: &str, name: &str) -> Option<Arc<ObjectMeta>> {
        self.replicasets.as_ref()?.get(namespace, name)
    }
}

/// `filter { namespace, field { ... } }` as the API's field selector (the
/// node goes in [`InformerConfig::node_name`]).
pub fn field_selector(filter: &Filter) -> Option<String> {
    let mut parts = Vec::new();
    if !filter.namespace.is_empty() {
        parts.push(format!("metadata.namespace={}", filter.namespace));
    }
    for f in &filter.field {
        let op = if f.op == "not-equals" { "!=" } else { "=" };
        parts.push(format!("{}{op}{}", f.key, f.value));
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// `filter { label { ... } }` as the API's label selector.
pub fn label_selector(filter: &Filter) -> Option<String> {
    let parts: Vec<String> = filter
        .label
        .iter()
        .map(|l| match l.op.as_str() {
            "not-equals" => format!("{}!={}", l.key, l.value),
            "exists" => l.key.clone(),
            "does-not-exist" => format!("!{}", l.key),
            _ => format!("{}={}", l.key, l.value),
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(","))
}

/// A fixed set of objects: for tests, and for benchmarks that measure
/// enrichment without a cluster.
#[derive(Default)]
pub struct Fixed {
    pub pods: PodCache,
    pub namespaces: HashMap<String, Arc<ObjectMeta>>,
    pub nodes: HashMap<String, Arc<ObjectMeta>>,
    pub replicasets: HashMap<(String, String), Arc<ObjectMeta>>,
}

impl Lookup for Fixed {
    fn pod_by_ip(&self, ip: &IpAddr) -> Option<Arc<PodMeta>> {
        self.pods.by_ip(ip)
    }

    fn pod_by_uid(&self, uid: &str) -> Option<Arc<PodMeta>> {
        self.pods.by_uid(uid)
    }

    fn namespace(&self, name: &str) -> Option<Arc<ObjectMeta>> {
        self.namespaces.get(name).cloned()
    }

    fn node(&self, name: &str) -> Option<Arc<ObjectMeta>> {
        self.nodes.get(name).cloned()
    }

    fn replicaset(&self, namespace: &str, name: &str) -> Option<Arc<ObjectMeta>> {
        self.replicasets.get(&(namespace.to_string(), name.to_string())).cloned()
    }
}
