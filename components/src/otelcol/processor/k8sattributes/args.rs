//! The arguments of `otelcol.processor.k8sattributes`, as Alloy spells
//! them, and the checks a config gets before anything runs.

use serde::Deserialize;

use crate::component::{self, ArgumentError};
use crate::kubernetes::AuthType;
use crate::otelcol::output::Output;
use crate::types::Duration;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// `serviceAccount` (default), `kubeConfig` or `none`.
    #[serde(default = "service_account")]
    pub auth_type: String,
    /// Only add `k8s.pod.ip` (from the connection) and never call the API:
    /// for an agent whose downstream gateway does the enrichment.
    #[serde(default)]
    pub passthrough: bool,
    /// Hold data until the first list of pods has completed, for at most
    /// `wait_for_metadata_timeout`.
    #[serde(default)]
    pub wait_for_metadata: bool,
    #[serde(default = "ten_seconds")]
    pub wait_for_metadata_timeout: Duration,
    /// Accepted for compatibility: watch events keep the cache current,
    /// so Solder never needs a periodic resync.
    #[serde(default = "five_minutes")]
    pub watch_sync_period: Duration,
    /// How long a deleted pod stays findable, for telemetry it sent just
    /// before it went.
    #[serde(default = "two_minutes")]
    pub pod_delete_grace_period: Duration,
    #[serde(default)]
    pub extract: Extract,
    #[serde(default)]
    pub filter: Filter,
    #[serde(default)]
    pub pod_association: Vec<PodAssociation>,
    #[serde(default)]
    pub exclude: Option<Exclude>,
    pub output: Output,
}

/// `extract { ... }`: what is added.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extract {
    #[serde(default = "default_metadata")]
    pub metadata: Vec<String>,
    /// `resource.opentelemetry.io/<key>` pod annotations become `<key>`.
    #[serde(default)]
    pub otel_annotations: bool,
    /// Deprecated in Alloy and a no-op there too.
    #[serde(default = "yes")]
    pub deployment_name_from_replicaset: bool,
    #[serde(default)]
    pub label: Vec<FieldExtract>,
    #[serde(default)]
    pub annotation: Vec<FieldExtract>,
}

impl Default for Extract {
    fn default() -> Extract {
        Extract { metadata: default_metadata(), otel_annotations: false, deployment_name_from_replicaset: true, label: Vec::new(), annotation: Vec::new() }
    }
}

/// `label { ... }` or `annotation { ... }` inside `extract`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldExtract {
    #[serde(default)]
    pub tag_name: String,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub key_regex: String,
    /// `pod` (default), `namespace` or `node`.
    #[serde(default = "pod")]
    pub from: String,
}

/// `filter { ... }`: which pods the informer asks the API server for.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Only pods on this node: what a DaemonSet agent wants.
    #[serde(default)]
    pub node: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub field: Vec<FieldFilter>,
    #[serde(default)]
    pub label: Vec<FieldFilter>,
}

/// `field { ... }` or `label { ... }` inside `filter`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldFilter {
    pub key: String,
    #[serde(default)]
    pub value: String,
    /// `equals` (default), `not-equals`, `exists`, `does-not-exist`.
    #[serde(default = "equals")]
    pub op: String,
}

/// One `pod_association { source { ... } ... }` rule: every source must
/// give a value for the rule to identify a pod.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodAssociation {
    #[serde(default)]
    pub source: Vec<AssociationSource>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociationSource {
    /// `resource_attribute` or `connection`.
    pub from: String,
    #[serde(default)]
    pub name: String,
}

/// `exclude { pod { name = ... } ... }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclude {
    #[serde(default)]
    pub pod: Vec<ExcludedPod>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludedPod {
    /// A regular expression matched anywhere in the pod's name.
    pub name: String,
}

/// Every `metadata` key Alloy accepts.
pub const METADATA_KEYS: &[&str] = &[
    "container.id",
    "container.image.name",
    "container.image.tag",
    "container.image.tags",
    "k8s.container.name",
    "k8s.cronjob.name",
    "k8s.cronjob.uid",
    "k8s.daemonset.name",
    "k8s.daemonset.uid",
    "k8s.deployment.name",
    "k8s.deployment.uid",
    "k8s.job.name",
    "k8s.job.uid",
    "k8s.namespace.name",
    "k8s.node.name",
    "k8s.pod.name",
    "k8s.pod.start_time",
    "k8s.pod.uid",
    "k8s.replicaset.name",
    "k8s.replicaset.uid",
    "k8s.statefulset.name",
    "k8s.statefulset.uid",
    "service.instance.id",
    "service.name",
    "service.namespace",
    "service.version",
];

fn default_metadata() -> Vec<String> {
    [
        "container.image.name",
        "container.image.tags",
        "k8s.deployment.name",
        "k8s.namespace.name",
        "k8s.node.name",
        "k8s.pod.name",
        "k8s.pod.start_time",
        "k8s.pod.uid",
    ]
    .map(String::from)
    .to_vec()
}

fn service_account() -> String {
    "serviceAccount".to_string()
}

fn pod() -> String {
    "pod".to_string()
}

fn equals() -> String {
    "equals".to_string()
}

fn yes() -> bool {
    true
}

fn ten_seconds() -> Duration {
    Duration(std::time::Duration::from_secs(10))
}

fn five_minutes() -> Duration {
    Duration(std::time::Duration::from_secs(300))
}

fn two_minutes() -> Duration {
    Duration(std::time::Duration::from_secs(120))
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        super::rules::Rules::compile(self)?;
        self.auth()?;
        self.output.check().map_err(|m| ArgumentError::new("output", m))
    }
}

impl Arguments {
    pub fn auth(&self) -> Result<AuthType, ArgumentError> {
        if self.auth_type == "tls" {
            return Err(
                ArgumentError::new("auth_type", "auth_type \"tls\" is not supported yet").with_help("use \"serviceAccount\" in a cluster, or \"kubeConfig\"")
            );
        }
        AuthType::parse(&self.auth_type).map_err(|m| ArgumentError::new("auth_type", m))
    }

    /// What the informers depend on: a change to any of it restarts them;
    /// any other change applies to the next payload.
    pub fn connection(&self) -> (String, bool, Filter, std::time::Duration) {
        (self.auth_type.clone(), self.passthrough, self.filter.clone(), self.pod_delete_grace_period.0)
    }
}
