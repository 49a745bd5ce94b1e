//! The `pod` role (one target per container port, and one per container
//! without ports), and the pod labels the endpoints roles attach to the
//! targets that pods back.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, ContainerPort, Pod};

use super::cluster::Cluster;
use super::labels::{self, join_host_port, set, Target, ADDRESS};

/// The targets of one pod; none while it has no IP (starting, evicted).
pub(super) fn targets(pod: &Pod, cluster: &Cluster, out: &mut Vec<Target>) {
    let Some(ip) = pod_ip(pod) else { return };
    let mut group = Target::new();
    labels::pod(&mut group, pod);
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    set(&mut group, "namespace", namespace.clone());
    cluster.attach_node(&mut group, pod.spec.as_ref().and_then(|s| s.node_name.as_deref()));
    cluster.attach_namespace(&mut group, &namespace);
    for (c, init) in containers(pod) {
        let mut base = group.clone();
        set(&mut base, "pod_container_name", c.name.clone());
        set(&mut base, "pod_container_id", container_id(pod, &c.name, init));
        set(&mut base, "pod_container_image", c.image.clone().unwrap_or_default());
        set(&mut base, "pod_container_init", init.to_string());
        let ports = c.ports.as_deref().unwrap_or_default();
        if ports.is_empty() {
            let mut t = base;
            t.insert(ADDRESS.into(), ip.to_string());
            out.push(t);
            continue;
        }
        for port in ports {
            let mut t = base.clone();
            t.insert(ADDRESS.into(), join_host_port(ip, port.container_port));
            container_port(&mut t, port, port.protocol.clone());
            out.push(t);
        }
    }
}

pub(super) fn pod_ip(pod: &Pod) -> Option<&str> {
    pod.status.as_ref().and_then(|s| s.pod_ip.as_deref()).filter(|ip| !ip.is_empty())
}

/// The containers, then the init containers, each with whether it is one.
pub(super) fn containers(pod: &Pod) -> impl Iterator<Item = (&Container, bool)> {
    let spec = pod.spec.as_ref();
    let main = spec.map(|s| s.containers.as_slice()).unwrap_or_default().iter().map(|c| (c, false));
    let init = spec.and_then(|s| s.init_containers.as_deref()).unwrap_or_default().iter().map(|c| (c, true));
    main.chain(init)
}

fn container_id(pod: &Pod, name: &str, init: bool) -> String {
    let status = pod.status.as_ref();
    let statuses = if init { status.and_then(|s| s.init_container_statuses.as_ref()) } else { status.and_then(|s| s.container_statuses.as_ref()) };
    statuses.into_iter().flatten().find(|s| s.name == name).and_then(|s| s.container_id.clone()).unwrap_or_default()
}

/// A container port's labels; the endpoints roles give the endpoint's
/// protocol rather than the container's, as Prometheus does.
fn container_port(t: &mut Target, port: &ContainerPort, protocol: Option<String>) {
    set(t, "pod_container_port_name", port.name.clone().unwrap_or_default());
    set(t, "pod_container_port_number", port.container_port.to_string());
    set(t, "pod_container_port_protocol", protocol.unwrap_or_default());
}

/// The pods the targets of one Endpoints or EndpointSlice object resolved
/// to, with the ports the object named, so that each pod's other
/// container ports become targets too.
#[derive(Default)]
pub(super) struct BackingPods {
    seen: Vec<(Arc<Pod>, Vec<i32>)>,
}

impl BackingPods {
    /// Adds `pod`'s labels to `t`, and its container's if one has `port`.
    pub(super) fn backed(&mut self, t: &mut Target, pod: Arc<Pod>, port: Option<i32>, protocol: Option<String>) {
        labels::pod(t, &pod);
        if let Some(port) = port {
            for (c, init) in containers(&pod) {
                if let Some(cport) = c.ports.iter().flatten().find(|p| p.container_port == port) {
                    set(t, "pod_container_name", c.name.clone());
                    set(t, "pod_container_image", c.image.clone().unwrap_or_default());
                    set(t, "pod_container_init", init.to_string());
                    container_port(t, cport, protocol.clone());
                }
            }
        }
        let uid = pod.metadata.uid.clone();
        let entry = match self.seen.iter().position(|(p, _)| p.metadata.uid == uid) {
            Some(i) => &mut self.seen[i],
            None => {
                self.seen.push((pod, Vec::new()));
                let last = self.seen.len() - 1;
                &mut self.seen[last]
            }
        };
        entry.1.extend(port);
    }

    /// A target for every container port of the backing pods that no
    /// endpoint port named, with `group`'s labels.
    pub(super) fn unnamed_ports(self, group: &Target, cluster: &Cluster, out: &mut Vec<Target>) {
        for (pod, named) in self.seen {
            let Some(ip) = pod_ip(&pod) else { continue };
            for (c, init) in containers(&pod) {
                for cport in c.ports.iter().flatten().filter(|p| !named.contains(&p.container_port)) {
                    let mut t = group.clone();
                    t.insert(ADDRESS.into(), join_host_port(ip, cport.container_port));
                    set(&mut t, "pod_container_name", c.name.clone());
                    set(&mut t, "pod_container_image", c.image.clone().unwrap_or_default());
                    set(&mut t, "pod_container_init", init.to_string());
                    container_port(&mut t, cport, cport.protocol.clone());
                    labels::pod(&mut t, &pod);
                    cluster.attach_node(&mut t, pod.spec.as_ref().and_then(|s| s.node_name.as_deref()));
                    out.push(t);
                }
            }
        }
    }
}
