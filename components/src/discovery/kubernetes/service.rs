//! The `service` role (a target per service port, at the service's DNS
//! name) and the `node` role (a target per node, at its kubelet).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Service};

use super::cluster::Cluster;
use super::labels::{self, join_host_port, object_meta, sanitize, set, Target, ADDRESS};

pub(super) fn service_targets(svc: &Service, cluster: &Cluster, out: &mut Vec<Target>) {
    let mut group = Target::new();
    labels::service(&mut group, svc);
    let (name, namespace) = (svc.metadata.name.clone().unwrap_or_default(), svc.metadata.namespace.clone().unwrap_or_default());
    cluster.attach_namespace(&mut group, &namespace);
    let spec = svc.spec.as_ref();
    let kind = spec.and_then(|s| s.type_.clone()).unwrap_or_default();
    for port in spec.and_then(|s| s.ports.as_ref()).into_iter().flatten() {
        let mut t = group.clone();
        t.insert(ADDRESS.into(), join_host_port(&format!("{name}.{namespace}.svc"), port.port));
        set(&mut t, "service_port_name", port.name.clone().unwrap_or_default());
        set(&mut t, "service_port_number", port.port.to_string());
        set(&mut t, "service_port_protocol", port.protocol.clone().unwrap_or_default());
        set(&mut t, "service_type", kind.clone());
        if kind == "ExternalName" {
            set(&mut t, "service_external_name", spec.and_then(|s| s.external_name.clone()).unwrap_or_default());
        } else {
            set(&mut t, "service_cluster_ip", spec.and_then(|s| s.cluster_ip.clone()).unwrap_or_default());
        }
        if kind == "LoadBalancer" {
            set(&mut t, "service_loadbalancer_ip", spec.and_then(|s| s.load_balancer_ip.clone()).unwrap_or_default());
        }
        out.push(t);
    }
}

/// Address types in the order the target's address is chosen from.
const ADDRESS_ORDER: [&str; 4] = ["InternalIP", "ExternalIP", "LegacyHostIP", "Hostname"];

/// A node without any address gives no target.
pub(super) fn node_targets(node: &Node, out: &mut Vec<Target>) {
    let mut first: BTreeMap<&str, &str> = BTreeMap::new();
    let addresses = node.status.as_ref().and_then(|s| s.addresses.as_ref());
    for a in addresses.into_iter().flatten() {
        first.entry(a.type_.as_str()).or_insert(a.address.as_str());
    }
    let Some(host) = ADDRESS_ORDER.iter().find_map(|ty| first.get(ty)) else { return };
    let port = node.status.as_ref().and_then(|s| s.daemon_endpoints.as_ref()).and_then(|d| d.kubelet_endpoint.as_ref()).map_or(0, |k| k.port);
    let mut t = Target::new();
    object_meta(&mut t, "node", &node.metadata);
    set(&mut t, "node_provider_id", node.spec.as_ref().and_then(|s| s.provider_id.clone()).unwrap_or_default());
    t.insert(ADDRESS.into(), join_host_port(host, port));
    t.insert("instance".into(), node.metadata.name.clone().unwrap_or_default());
    for (ty, address) in first {
        set(&mut t, &format!("node_address_{}", sanitize(ty)), address);
    }
    out.push(t);
}
