//! The `__meta_kubernetes_*` labels more than one role shares, named as
//! Prometheus's Kubernetes service discovery names them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// One target: its labels by name.
pub type Target = BTreeMap<String, String>;

pub(super) const META: &str = "__meta_kubernetes_";
pub(super) const ADDRESS: &str = "__address__";

/// A Kubernetes label or annotation key as a Prometheus label name:
/// every character outside `[a-zA-Z0-9_]` becomes `_`.
pub(super) fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

pub(super) fn set(target: &mut Target, name: &str, value: impl Into<String>) {
    target.insert(format!("{META}{name}"), value.into());
}

/// `<role>_name`, and each label and annotation with its `…present_` twin.
pub(super) fn object_meta(target: &mut Target, role: &str, meta: &ObjectMeta) {
    set(target, &format!("{role}_name"), meta.name.clone().unwrap_or_default());
    key_values(target, role, meta);
}

/// Labels and annotations alone (a namespace's, for `attach_metadata`).
fn key_values(target: &mut Target, role: &str, meta: &ObjectMeta) {
    for (kind, map) in [("label", &meta.labels), ("annotation", &meta.annotations)] {
        for (k, v) in map.iter().flatten() {
            let name = sanitize(k);
            set(target, &format!("{role}_{kind}_{name}"), v.clone());
            set(target, &format!("{role}_{kind}present_{name}"), "true");
        }
    }
}

/// A pod's own labels (not its containers'); the namespace is the
/// caller's, as in Prometheus, where it is a group label.
pub(super) fn pod(target: &mut Target, pod: &Pod) {
    let status = pod.status.as_ref();
    let text = |f: fn(&k8s_openapi::api::core::v1::PodStatus) -> Option<&String>| status.and_then(f).cloned().unwrap_or_default();
    set(target, "pod_ip", text(|s| s.pod_ip.as_ref()));
    set(target, "pod_ready", ready(pod));
    set(target, "pod_phase", text(|s| s.phase.as_ref()));
    set(target, "pod_node_name", pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default());
    set(target, "pod_host_ip", text(|s| s.host_ip.as_ref()));
    set(target, "pod_uid", pod.metadata.uid.clone().unwrap_or_default());
    object_meta(target, "pod", &pod.metadata);
    let controller = pod.metadata.owner_references.iter().flatten().find(|o| o.controller == Some(true));
    if let Some(c) = controller {
        if !c.kind.is_empty() {
            set(target, "pod_controller_kind", c.kind.clone());
        }
        if !c.name.is_empty() {
            set(target, "pod_controller_name", c.name.clone());
        }
    }
}

/// The `Ready` condition's status in lower case, `unknown` without one.
fn ready(pod: &Pod) -> String {
    let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_ref());
    conditions.into_iter().flatten().find(|c| c.type_ == "Ready").map_or_else(|| "unknown".to_string(), |c| c.status.to_lowercase())
}

/// What a service gives every target it backs: its name, namespace,
/// labels and annotations.
pub(super) fn service(target: &mut Target, svc: &Service) {
    set(target, "namespace", svc.metadata.namespace.clone().unwrap_or_default());
    object_meta(target, "service", &svc.metadata);
}

/// `attach_metadata { node = true }`: the node's name, labels and
/// annotations; nothing when the node is not (yet) known.
pub(super) fn node(target: &mut Target, node: Option<&Node>) {
    if let Some(n) = node {
        object_meta(target, "node", &n.metadata);
    }
}

/// `attach_metadata { namespace = true }`: the namespace's labels and
/// annotations.
pub(super) fn namespace(target: &mut Target, namespace: Option<&Namespace>) {
    if let Some(ns) = namespace {
        key_values(target, "namespace", &ns.metadata);
    }
}

/// `host:port`, with IPv6 hosts in brackets.
pub(super) fn join_host_port(host: &str, port: impl std::fmt::Display) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
