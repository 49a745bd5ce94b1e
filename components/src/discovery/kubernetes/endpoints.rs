//! The `endpoints` role: a target per address and port of an Endpoints
//! object, with its service's labels and, for addresses backed by a pod,
//! the pod's labels; the pod's other container ports become targets too.

use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, Endpoints, ObjectReference};

use super::cluster::Cluster;
use super::labels::{self, join_host_port, object_meta, set, Target, ADDRESS};
use super::pod::BackingPods;

pub(super) fn targets(eps: &Endpoints, cluster: &Cluster, out: &mut Vec<Target>) {
    let namespace = eps.metadata.namespace.clone().unwrap_or_default();
    let name = eps.metadata.name.clone().unwrap_or_default();
    let mut group = Target::new();
    set(&mut group, "namespace", namespace.clone());
    object_meta(&mut group, "endpoints", &eps.metadata);
    if let Some(svc) = cluster.services.as_ref().and_then(|s| s.get(&namespace, &name)) {
        labels::service(&mut group, &svc);
    }
    cluster.attach_namespace(&mut group, &namespace);
    let mut pods = BackingPods::default();
    for subset in eps.subsets.iter().flatten() {
        for port in subset.ports.iter().flatten() {
            // An address both ready and not ready comes twice, the second
            // with ready "false", as in Prometheus.
            for (addresses, ready) in [(&subset.addresses, "true"), (&subset.not_ready_addresses, "false")] {
                for addr in addresses.iter().flatten() {
                    out.push(target(&group, addr, port, ready, cluster, &mut pods));
                }
            }
        }
    }
    pods.unnamed_ports(&group, cluster, out);
}

fn target(group: &Target, addr: &EndpointAddress, port: &EndpointPort, ready: &str, cluster: &Cluster, pods: &mut BackingPods) -> Target {
    let mut t = group.clone();
    t.insert(ADDRESS.into(), join_host_port(&addr.ip, port.port));
    set(&mut t, "endpoint_port_name", port.name.clone().unwrap_or_default());
    set(&mut t, "endpoint_port_protocol", port.protocol.clone().unwrap_or_default());
    set(&mut t, "endpoint_ready", ready);
    if let Some(r) = &addr.target_ref {
        set(&mut t, "endpoint_address_target_kind", r.kind.clone().unwrap_or_default());
        set(&mut t, "endpoint_address_target_name", r.name.clone().unwrap_or_default());
    }
    if let Some(node) = &addr.node_name {
        set(&mut t, "endpoint_node_name", node.clone());
    }
    if let Some(host) = addr.hostname.as_ref().filter(|h| !h.is_empty()) {
        set(&mut t, "endpoint_hostname", host.clone());
    }
    // An address that is a node names it in its targetRef.
    let node = match &addr.target_ref {
        Some(r) if r.kind.as_deref() == Some("Node") => r.name.as_deref(),
        _ => addr.node_name.as_deref(),
    };
    cluster.attach_node(&mut t, node);
    if let Some(pod) = cluster.pod_of(addr.target_ref.as_ref()) {
        pods.backed(&mut t, pod, Some(port.port), port.protocol.clone());
    }
    t
}

/// The namespace and name an address's `targetRef` names, when a pod.
pub(super) fn pod_ref(r: Option<&ObjectReference>) -> Option<(&str, &str)> {
    let r = r.filter(|r| r.kind.as_deref() == Some("Pod"))?;
    Some((r.namespace.as_deref().unwrap_or_default(), r.name.as_deref()?))
}
