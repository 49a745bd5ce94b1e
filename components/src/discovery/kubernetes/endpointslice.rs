//! The `endpointslice` role: a target per endpoint and port of an
//! EndpointSlice (`discovery.k8s.io/v1`), with its service's labels (the
//! `kubernetes.io/service-name` label names it) and its pods', as the
//! `endpoints` role.

use k8s_openapi::api::discovery::v1::{Endpoint, EndpointPort, EndpointSlice};

use super::cluster::Cluster;
use super::labels::{self, join_host_port, object_meta, sanitize, set, Target, ADDRESS};
use super::pod::BackingPods;

const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

pub(super) fn targets(slice: &EndpointSlice, cluster: &Cluster, out: &mut Vec<Target>) {
    let namespace = slice.metadata.namespace.clone().unwrap_or_default();
    let mut group = Target::new();
    set(&mut group, "namespace", namespace.clone());
    object_meta(&mut group, "endpointslice", &slice.metadata);
    set(&mut group, "endpointslice_address_type", slice.address_type.clone());
    let service = slice.metadata.labels.as_ref().and_then(|l| l.get(SERVICE_NAME_LABEL));
    if let Some(svc) = service.and_then(|name| cluster.services.as_ref()?.get(&namespace, name)) {
        labels::service(&mut group, &svc);
    }
    cluster.attach_namespace(&mut group, &namespace);
    let mut pods = BackingPods::default();
    let no_port = [EndpointPort::default()];
    let ports = slice.ports.as_deref().filter(|p| !p.is_empty()).unwrap_or(&no_port);
    // Prometheus's order: endpoint, then port, then address.
    for ep in &slice.endpoints {
        for port in ports {
            for host in &ep.addresses {
                out.push(target(&group, host, ep, port, cluster, &mut pods));
            }
        }
    }
    pods.unnamed_ports(&group, cluster, out);
}

fn target(group: &Target, host: &str, ep: &Endpoint, port: &EndpointPort, cluster: &Cluster, pods: &mut BackingPods) -> Target {
    let mut t = group.clone();
    let address = match port.port {
        Some(p) => join_host_port(host, p),
        None => host.to_string(),
    };
    t.insert(ADDRESS.into(), address);
    if let Some(r) = &ep.target_ref {
        set(&mut t, "endpointslice_address_target_kind", r.kind.clone().unwrap_or_default());
        set(&mut t, "endpointslice_address_target_name", r.name.clone().unwrap_or_default());
    }
    if let Some(node) = &ep.node_name {
        set(&mut t, "endpointslice_endpoint_node_name", node.clone());
    }
    for (k, v) in ep.deprecated_topology.iter().flatten() {
        let name = sanitize(k);
        set(&mut t, &format!("endpointslice_endpoint_topology_{name}"), v.clone());
        set(&mut t, &format!("endpointslice_endpoint_topology_present_{name}"), "true");
    }
    if let Some(zone) = &ep.zone {
        set(&mut t, "endpointslice_endpoint_zone", zone.clone());
    }
    let optional = [
        ("endpointslice_port_name", port.name.clone()),
        ("endpointslice_port_protocol", port.protocol.clone()),
        ("endpointslice_port", port.port.map(|p| p.to_string())),
        ("endpointslice_port_app_protocol", port.app_protocol.clone()),
        ("endpointslice_endpoint_hostname", ep.hostname.clone()),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            set(&mut t, name, v);
        }
    }
    if let Some(c) = &ep.conditions {
        for (name, value) in [("ready", c.ready), ("serving", c.serving), ("terminating", c.terminating)] {
            if let Some(v) = value {
                set(&mut t, &format!("endpointslice_endpoint_conditions_{name}"), v.to_string());
            }
        }
    }
    // An endpoint that is a node names it in its targetRef.
    let node = match &ep.target_ref {
        Some(r) if r.kind.as_deref() == Some("Node") => r.name.as_deref(),
        _ => ep.node_name.as_deref(),
    };
    cluster.attach_node(&mut t, node);
    if let Some(pod) = cluster.pod_of(ep.target_ref.as_ref()) {
        pods.backed(&mut t, pod, port.port, port.protocol.clone());
    }
    t
}
