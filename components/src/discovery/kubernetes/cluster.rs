//! The kinds one role watches, and the targets built from them.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Endpoints, Namespace, Node, ObjectReference, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::NamespaceResourceScope;
use kube::{Api, Client, Resource};
use tokio_util::sync::CancellationToken;

use super::args::Arguments;
use super::labels::{self, Target};
use super::store::{Changes, Watched};
use super::{endpoints, endpointslice, pod, service};
use crate::kubernetes::InformerHealth;

/// Informers for what the role reads: its own kind, and for the endpoints
/// roles the services and pods they point to, plus nodes and namespaces
/// when `attach_metadata` asks for them.
#[derive(Default)]
pub(super) struct Cluster {
    pub(super) role: String,
    pub(super) pods: Option<Watched<Pod>>,
    pub(super) services: Option<Watched<Service>>,
    pub(super) endpoints: Option<Watched<Endpoints>>,
    pub(super) slices: Option<Watched<EndpointSlice>>,
    pub(super) nodes: Option<Watched<Node>>,
    pub(super) namespaces: Option<Watched<Namespace>>,
}

impl Cluster {
    /// Starts the informers of `args.role` in `namespaces` (empty: all).
    pub(super) fn start(client: &Client, args: &Arguments, namespaces: &[String], changes: &Arc<Changes>, cancel: &CancellationToken) -> Cluster {
        let role = args.role.as_str();
        let mut c = Cluster { role: role.to_string(), ..Cluster::default() };
        let wants = |kind: &str| match role {
            "endpoints" => ["endpoints", "service", "pod"].contains(&kind),
            "endpointslice" => ["endpointslice", "service", "pod"].contains(&kind),
            other => other == kind,
        };
        if wants("pod") {
            c.pods = Some(Watched::start(apis(client, namespaces), &args.selector("pod"), changes, cancel));
        }
        if wants("service") {
            c.services = Some(Watched::start(apis(client, namespaces), &args.selector("service"), changes, cancel));
        }
        if wants("endpoints") {
            c.endpoints = Some(Watched::start(apis(client, namespaces), &args.selector("endpoints"), changes, cancel));
        }
        if wants("endpointslice") {
            c.slices = Some(Watched::start(apis(client, namespaces), &args.selector("endpointslice"), changes, cancel));
        }
        if wants("node") || (args.attach_metadata.node && role != "node") {
            c.nodes = Some(Watched::start(vec![Api::all(client.clone())], &args.selector("node"), changes, cancel));
        }
        if args.attach_metadata.namespace {
            c.namespaces = Some(Watched::start(vec![Api::all(client.clone())], &(None, None), changes, cancel));
        }
        c
    }

    /// Every target of the role, object by object in namespace and name
    /// order.
    pub(super) fn targets(&self) -> Vec<Target> {
        let mut out = Vec::new();
        match self.role.as_str() {
            "pod" => self.pods.iter().flat_map(Watched::all).for_each(|p| pod::targets(&p, self, &mut out)),
            "service" => self.services.iter().flat_map(Watched::all).for_each(|s| service::service_targets(&s, self, &mut out)),
            "node" => self.nodes.iter().flat_map(Watched::all).for_each(|n| service::node_targets(&n, &mut out)),
            "endpoints" => self.endpoints.iter().flat_map(Watched::all).for_each(|e| endpoints::targets(&e, self, &mut out)),
            "endpointslice" => self.slices.iter().flat_map(Watched::all).for_each(|s| endpointslice::targets(&s, self, &mut out)),
            _ => {}
        }
        out
    }

    /// Each informer's health, by the kind it watches.
    pub(super) fn health(&self) -> Vec<(&'static str, InformerHealth)> {
        let mut all = Vec::new();
        let mut add = |name: &'static str, h: Option<Vec<InformerHealth>>| all.extend(h.into_iter().flatten().map(|h| (name, h)));
        add("pods", self.pods.as_ref().map(Watched::health));
        add("services", self.services.as_ref().map(Watched::health));
        add("endpoints", self.endpoints.as_ref().map(Watched::health));
        add("endpointslices", self.slices.as_ref().map(Watched::health));
        add("nodes", self.nodes.as_ref().map(Watched::health));
        add("namespaces", self.namespaces.as_ref().map(Watched::health));
        all
    }

    /// `attach_metadata { node = true }`'s labels, for a node name.
    pub(super) fn attach_node(&self, t: &mut Target, node: Option<&str>) {
        if let (Some(nodes), Some(name)) = (&self.nodes, node) {
            if self.role != "node" {
                labels::node(t, nodes.get("", name).as_deref());
            }
        }
    }

    /// `attach_metadata { namespace = true }`'s labels.
    pub(super) fn attach_namespace(&self, t: &mut Target, namespace: &str) {
        if let Some(namespaces) = &self.namespaces {
            labels::namespace(t, namespaces.get("", namespace).as_deref());
        }
    }

    /// The watched pod an endpoint's `targetRef` names.
    pub(super) fn pod_of(&self, r: Option<&ObjectReference>) -> Option<Arc<Pod>> {
        let (namespace, name) = endpoints::pod_ref(r)?;
        self.pods.as_ref()?.get(namespace, name)
    }
}

/// The API of a namespaced kind in each namespace, or in all.
fn apis<K>(client: &Client, namespaces: &[String]) -> Vec<Api<K>>
where
    K: Resource<Scope = NamespaceResourceScope>,
    K::DynamicType: Default,
{
    if namespaces.is_empty() {
        return vec![Api::all(client.clone())];
    }
    namespaces.iter().map(|ns| Api::namespaced(client.clone(), ns)).collect()
}
