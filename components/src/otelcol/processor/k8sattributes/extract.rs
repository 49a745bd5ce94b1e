//! What a pod contributes to a resource: the `metadata` fields, the label
//! and annotation rules, `otel_annotations`, and the `service.*` fields
//! computed by the OpenTelemetry semantic conventions for Kubernetes.
//!
//! An attribute the resource already has is never replaced: the SDK (or
//! an earlier processor) knew better, and the Collector behaves the same.

use std::collections::BTreeMap;

use super::lookup::Lookup;
use super::rules::{Field, FieldRule, KeyMatch, Origin, Rules};
use crate::kubernetes::{ContainerMeta, PodMeta};
use crate::otelcol::processor::resources::AttributeView;
use crate::otlp::proto::common::v1::{any_value, AnyValue, ArrayValue, KeyValue};

/// The prefix of the annotations that set resource attributes directly.
const OTEL_ANNOTATION: &str = "resource.opentelemetry.io/";

/// Attributes collected for one resource, skipping keys it already has.
pub struct Additions<'r> {
    existing: &'r [AttributeView<'r>],
    pub added: Vec<KeyValue>,
}

impl<'r> Additions<'r> {
    pub fn new(existing: &'r [AttributeView<'r>]) -> Additions<'r> {
        Additions { existing, added: Vec::new() }
    }

    fn has(&self, key: &str) -> bool {
        self.existing.iter().any(|(k, _)| *k == key) || self.added.iter().any(|a| a.key == key)
    }

    pub fn string(&mut self, key: &str, value: &str) {
        if !self.has(key) {
            self.added.push(kv(key.to_string(), any_value::Value::StringValue(value.to_string())));
        }
    }

    fn owned(&mut self, key: String, value: &str) {
        if !self.has(&key) {
            self.added.push(kv(key, any_value::Value::StringValue(value.to_string())));
        }
    }

    fn list(&mut self, key: &str, values: &[&str]) {
        if !self.has(key) {
            let values = values.iter().map(|v| AnyValue { value: Some(any_value::Value::StringValue(v.to_string())) }).collect();
            self.added.push(kv(key.to_string(), any_value::Value::ArrayValue(ArrayValue { values })));
        }
    }

    /// A string attribute the resource itself carries.
    pub fn existing_string(&self, key: &str) -> Option<&'r str> {
        self.existing.iter().find(|(k, _)| *k == key).and_then(|(_, v)| *v)
    }
}

fn kv(key: String, value: any_value::Value) -> KeyValue {
    KeyValue { key, value: Some(AnyValue { value: Some(value) }), ..Default::default() }
}

/// Adds what `rules` extract from `pod` to `out`.
pub fn extract(rules: &Rules, pod: &PodMeta, lookup: &dyn Lookup, out: &mut Additions) {
    let container = identified_container(pod, out);
    for field in &rules.fields {
        metadata(*field, pod, container, lookup, out);
    }
    for rule in &rules.labels {
        apply_from(rule, pod, lookup, Kind::Label, out);
    }
    for rule in &rules.annotations {
        apply_from(rule, pod, lookup, Kind::Annotation, out);
    }
    if rules.otel_annotations {
        for (k, v) in &pod.annotations {
            if let Some(key) = k.strip_prefix(OTEL_ANNOTATION) {
                out.string(key, v);
            }
        }
    }
}

/// The container the resource names by `k8s.container.name` or
/// `container.id`; container fields need one, since a pod may have many.
fn identified_container<'p>(pod: &'p PodMeta, out: &Additions) -> Option<&'p ContainerMeta> {
    if let Some(name) = out.existing_string("k8s.container.name") {
        return pod.containers.iter().find(|c| c.name == name);
    }
    let id = out.existing_string("container.id")?;
    pod.containers.iter().find(|c| c.container_id.as_deref().map(strip_runtime) == Some(id))
}

/// `containerd://abc…` → `abc…`.
fn strip_runtime(id: &str) -> &str {
    id.split_once("://").map_or(id, |(_, rest)| rest)
}

fn owner<'p>(pod: &'p PodMeta, kind: &str) -> Option<&'p crate::kubernetes::OwnerRef> {
    pod.owners.iter().find(|o| o.kind == kind)
}

fn metadata(field: Field, pod: &PodMeta, container: Option<&ContainerMeta>, lookup: &dyn Lookup, out: &mut Additions) {
    let key = field.key();
    match field {
        Field::PodName => out.string(key, &pod.name),
        Field::PodUid => out.string(key, &pod.uid),
        Field::NamespaceName => out.string(key, &pod.namespace),
        Field::PodStartTime => {
            if let Some(t) = &pod.start_time {
                out.string(key, t)
            }
        }
        Field::NodeName => {
            if let Some(n) = &pod.node_name {
                out.string(key, n)
            }
        }
        Field::ReplicaSetName | Field::DaemonSetName | Field::StatefulSetName | Field::JobName => {
            if let Some(o) = owner(pod, owner_kind(field)) {
                out.string(key, &o.name)
            }
        }
        Field::ReplicaSetUid | Field::DaemonSetUid | Field::StatefulSetUid | Field::JobUid => {
            if let Some(o) = owner(pod, owner_kind(field)) {
                out.string(key, &o.uid)
            }
        }
        Field::DeploymentName => {
            if let Some(d) = deployment_name(pod, lookup) {
                out.string(key, &d)
            }
        }
        Field::DeploymentUid => {
            let rs = owner(pod, "ReplicaSet").and_then(|o| lookup.replicaset(&pod.namespace, &o.name));
            if let Some(d) = rs.as_ref().and_then(|rs| rs.owners.iter().find(|o| o.kind == "Deployment")) {
                out.string(key, &d.uid)
            }
        }
        Field::CronJobName => {
            if let Some(c) = owner(pod, "Job").and_then(|j| cronjob_name(&j.name)) {
                out.string(key, c)
            }
        }
        Field::ContainerName => {
            if let Some(c) = container {
                out.string(key, &c.name)
            }
        }
        Field::ContainerId => {
            if let Some(id) = container.and_then(|c| c.container_id.as_deref()) {
                out.string(key, strip_runtime(id))
            }
        }
        Field::ContainerImageName => {
            if let Some(image) = container.and_then(|c| c.image.as_deref()) {
                out.string(key, split_image(image).0)
            }
        }
        Field::ContainerImageTags => {
            if let Some(tag) = container.and_then(|c| c.image.as_deref()).and_then(|i| split_image(i).1) {
                out.list(key, &[tag])
            }
        }
        Field::ServiceName => {
            if let Some(name) = service_name(pod, container, lookup) {
                out.string(key, &name)
            }
        }
        Field::ServiceNamespace => {
            let ns = pod.annotations.get("resource.opentelemetry.io/service.namespace").unwrap_or(&pod.namespace);
            out.string(key, ns)
        }
        Field::ServiceVersion => {
            let version = pod
                .annotations
                .get("resource.opentelemetry.io/service.version")
                .or_else(|| pod.labels.get("app.kubernetes.io/version"))
                .map(String::as_str)
                .or_else(|| container.and_then(|c| c.image.as_deref()).and_then(|i| split_image(i).1));
            if let Some(v) = version {
                out.string(key, v)
            }
        }
        Field::ServiceInstanceId => {
            if let Some(id) = pod.annotations.get("resource.opentelemetry.io/service.instance.id") {
                out.string(key, id)
            } else if let Some(c) = container {
                out.owned(key.to_string(), &format!("{}.{}.{}", pod.namespace, pod.name, c.name))
            }
        }
    }
}

fn owner_kind(field: Field) -> &'static str {
    match field {
        Field::ReplicaSetName | Field::ReplicaSetUid => "ReplicaSet",
        Field::DaemonSetName | Field::DaemonSetUid => "DaemonSet",
        Field::StatefulSetName | Field::StatefulSetUid => "StatefulSet",
        _ => "Job",
    }
}

/// The Deployment owning the pod's ReplicaSet: the ReplicaSet's name
/// less the pod template hash (`checkout-7d9f8b6c5` → `checkout`), which
/// needs no ReplicaSet informer; a ReplicaSet whose name does not end in
/// the pod's hash is looked up, when that informer runs, for its owner.
pub fn deployment_name(pod: &PodMeta, lookup: &dyn Lookup) -> Option<String> {
    let rs = owner(pod, "ReplicaSet")?;
    if let Some(hash) = pod.labels.get("pod-template-hash") {
        if let Some(name) = rs.name.strip_suffix(hash.as_str()).and_then(|n| n.strip_suffix('-')) {
            return Some(name.to_string());
        }
    }
    let found = lookup.replicaset(&pod.namespace, &rs.name)?;
    found.owners.iter().find(|o| o.kind == "Deployment").map(|d| d.name.clone())
}

/// A CronJob names its Jobs `<cronjob>-<scheduled minute>`.
fn cronjob_name(job: &str) -> Option<&str> {
    let (name, suffix) = job.rsplit_once('-')?;
    (!name.is_empty() && !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())).then_some(name)
}

/// An image reference's name and tag: `ghcr.io/acme/checkout:1.4@sha256:…`
/// → (`ghcr.io/acme/checkout`, `1.4`). An untagged image without a digest
/// is `latest`, as the runtime pulls it.
pub fn split_image(image: &str) -> (&str, Option<&str>) {
    let (named, digest) = match image.split_once('@') {
        Some((n, _)) => (n, true),
        None => (image, false),
    };
    let slash = named.rfind('/').map_or(0, |i| i + 1);
    match named[slash..].rfind(':') {
        Some(colon) => (&named[..slash + colon], Some(&named[slash + colon + 1..])),
        None if digest => (named, None),
        None => (named, Some("latest")),
    }
}

/// `service.name` by the semantic conventions' order: the annotation, the
/// well-known labels, the workload that owns the pod, the pod, the
/// container.
fn service_name(pod: &PodMeta, container: Option<&ContainerMeta>, lookup: &dyn Lookup) -> Option<String> {
    let labelled = pod
        .annotations
        .get("resource.opentelemetry.io/service.name")
        .or_else(|| pod.labels.get("app.kubernetes.io/instance"))
        .or_else(|| pod.labels.get("app.kubernetes.io/name"));
    if let Some(name) = labelled {
        return Some(name.clone());
    }
    if let Some(d) = deployment_name(pod, lookup) {
        return Some(d);
    }
    for kind in ["ReplicaSet", "StatefulSet", "DaemonSet"] {
        if let Some(o) = owner(pod, kind) {
            return Some(o.name.clone());
        }
    }
    if let Some(job) = owner(pod, "Job") {
        return Some(cronjob_name(&job.name).unwrap_or(&job.name).to_string());
    }
    if !pod.name.is_empty() {
        return Some(pod.name.clone());
    }
    container.map(|c| c.name.clone())
}

#[derive(Clone, Copy)]
enum Kind {
    Label,
    Annotation,
}

/// Applies `rule` to the labels or annotations of the object it reads.
fn apply_from(rule: &FieldRule, pod: &PodMeta, lookup: &dyn Lookup, kind: Kind, out: &mut Additions) {
    let pick = |labels: &BTreeMap<String, String>, annotations: &BTreeMap<String, String>, out: &mut Additions| match kind {
        Kind::Label => apply_rule(rule, labels, kind, out),
        Kind::Annotation => apply_rule(rule, annotations, kind, out),
    };
    match rule.from {
        Origin::Pod => pick(&pod.labels, &pod.annotations, out),
        Origin::Namespace => {
            if let Some(n) = lookup.namespace(&pod.namespace) {
                pick(&n.labels, &n.annotations, out)
            }
        }
        Origin::Node => {
            if let Some(n) = pod.node_name.as_deref().and_then(|n| lookup.node(n)) {
                pick(&n.labels, &n.annotations, out)
            }
        }
    }
}

fn apply_rule(rule: &FieldRule, map: &BTreeMap<String, String>, kind: Kind, out: &mut Additions) {
    let default_tag = |key: &str| {
        let from = match rule.from {
            Origin::Pod => "pod",
            Origin::Namespace => "namespace",
            Origin::Node => "node",
        };
        let what = match kind {
            Kind::Label => "label",
            Kind::Annotation => "annotation",
        };
        format!("k8s.{from}.{what}.{key}")
    };
    match &rule.key {
        KeyMatch::Exact(key) => {
            if let Some(v) = map.get(key) {
                let tag = if rule.tag_name.is_empty() { default_tag(key) } else { rule.tag_name.clone() };
                out.owned(tag, v);
            }
        }
        KeyMatch::Pattern(re) => {
            for (k, v) in map {
                let Some(caps) = re.captures(k) else { continue };
                let tag = if rule.tag_name.is_empty() {
                    default_tag(k)
                } else {
                    let mut t = String::new();
                    caps.expand(&rule.tag_name, &mut t);
                    t
                };
                out.owned(tag, v);
            }
        }
    }
}
