//! The slim record of a pod that the cache keeps: only what attribute
//! processors and discovery read, so that 10,000 pods on a node cost what
//! their names and labels cost, not what full `Pod` objects (with specs,
//! probes, volumes and managed fields) would.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// One pod as the cache holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodMeta {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    /// `status.startTime`, RFC 3339, as the API serves it.
    pub start_time: Option<String>,
    /// `metadata.creationTimestamp`, RFC 3339; orders two pods that claim
    /// the same IP (the newer one owns it).
    pub created: Option<String>,
    pub node_name: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub owners: Vec<OwnerRef>,
    pub containers: Vec<ContainerMeta>,
    /// `status.podIPs` (or `status.podIP` from servers that send only it).
    pub ips: Vec<IpAddr>,
    /// Such a pod shares its node's IP, so an IP never identifies it.
    pub host_network: bool,
    /// Succeeded or Failed: its IP has been given back to the node.
    pub finished: bool,
}

/// An owner reference, enough to find the ReplicaSet, Job, DaemonSet or
/// StatefulSet a pod belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnerRef {
    pub kind: String,
    pub name: String,
    pub uid: String,
}

/// A container of the spec joined with its status, if the kubelet has
/// reported one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerMeta {
    pub name: String,
    pub image: Option<String>,
    /// `containerStatuses[].containerID`, e.g. `containerd://…`.
    pub container_id: Option<String>,
    pub image_id: Option<String>,
}

impl PodMeta {
    /// Takes the fields the cache keeps out of a pod as the API served it;
    /// a pod without a UID cannot be tracked and gives `None`.
    pub fn from_pod(pod: Pod) -> Option<PodMeta> {
        let meta = pod.metadata;
        let uid = meta.uid.filter(|u| !u.is_empty())?;
        let spec = pod.spec.unwrap_or_default();
        let status = pod.status.unwrap_or_default();
        let mut ips: Vec<IpAddr> = status.pod_ips.unwrap_or_default().iter().filter_map(|ip| ip.ip.parse().ok()).collect();
        if ips.is_empty() {
            ips.extend(status.pod_ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok()));
        }
        let statuses = status.container_statuses.unwrap_or_default();
        let containers = spec
            .containers
            .into_iter()
            .map(|c| {
                let st = statuses.iter().find(|s| s.name == c.name);
                ContainerMeta {
                    image: c.image,
                    container_id: st.and_then(|s| s.container_id.clone()),
                    image_id: st.map(|s| s.image_id.clone()).filter(|i| !i.is_empty()),
                    name: c.name,
                }
            })
            .collect();
        let phase = status.phase.unwrap_or_default();
        Some(PodMeta {
            name: meta.name.unwrap_or_default(),
            namespace: meta.namespace.unwrap_or_default(),
            uid,
            start_time: status.start_time.as_ref().and_then(rfc3339),
            created: meta.creation_timestamp.as_ref().and_then(rfc3339),
            node_name: spec.node_name,
            labels: meta.labels.unwrap_or_default(),
            annotations: meta.annotations.unwrap_or_default(),
            owners: meta.owner_references.unwrap_or_default().into_iter().map(|o| OwnerRef { kind: o.kind, name: o.name, uid: o.uid }).collect(),
            containers,
            ips,
            host_network: spec.host_network.unwrap_or(false),
            finished: phase == "Succeeded" || phase == "Failed",
        })
    }

    /// The IPs this pod may be found by: none for host-network pods
    /// (the node's IP is not theirs) or finished ones (theirs was released).
    pub fn indexed_ips(&self) -> &[IpAddr] {
        if self.host_network || self.finished {
            &[]
        } else {
            &self.ips
        }
    }

    /// Approximate heap bytes held, for sizing the cache.
    pub fn heap_bytes(&self) -> usize {
        let map = |m: &BTreeMap<String, String>| -> usize { m.iter().map(|(k, v)| k.capacity() + v.capacity() + 3 * 8).sum() };
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
        self.name.capacity()
            + self.namespace.capacity()
            + self.uid.capacity()
            + opt(&self.start_time)
            + opt(&self.created)
            + opt(&self.node_name)
            + map(&self.labels)
            + map(&self.annotations)
            + self.owners.iter().map(|o| std::mem::size_of::<OwnerRef>() + o.kind.capacity() + o.name.capacity() + o.uid.capacity()).sum::<usize>()
            + self
                .containers
                .iter()
                .map(|c| std::mem::size_of::<ContainerMeta>() + c.name.capacity() + opt(&c.image) + opt(&c.container_id) + opt(&c.image_id))
                .sum::<usize>()
            + self.ips.capacity() * std::mem::size_of::<IpAddr>()
    }
}

/// A time as the API spells it (RFC 3339, `Z`, whole seconds), which keeps
/// the cache independent of the date type the generated bindings use.
fn rfc3339(t: &Time) -> Option<String> {
    match serde_json::to_value(t) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}
