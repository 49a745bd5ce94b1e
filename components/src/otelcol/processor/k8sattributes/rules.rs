//! The arguments compiled once per (re)load: which fields to add, how to
//! name label and annotation attributes, how to find a payload's pod, and
//! which pods to leave alone. Every mistake is reported here, at
//! `validate` time, with the argument it is in.

use regex::Regex;

use super::args::{Arguments, FieldExtract, METADATA_KEYS};
use crate::component::ArgumentError;
use crate::kubernetes::Keep;

/// A `metadata` key Solder adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    ContainerId,
    ContainerImageName,
    ContainerImageTags,
    ContainerName,
    CronJobName,
    DaemonSetName,
    DaemonSetUid,
    DeploymentName,
    DeploymentUid,
    JobName,
    JobUid,
    NamespaceName,
    NodeName,
    PodName,
    PodStartTime,
    PodUid,
    ReplicaSetName,
    ReplicaSetUid,
    StatefulSetName,
    StatefulSetUid,
    ServiceInstanceId,
    ServiceName,
    ServiceNamespace,
    ServiceVersion,
}

impl Field {
    /// The field of a `metadata` key; `None` for the keys Alloy accepts
    /// that add nothing (`container.image.tag`, replaced by `…tags`, and
    /// `k8s.cronjob.uid`, which needs a Job informer Solder does not run).
    fn of(key: &str) -> Option<Field> {
        Some(match key {
            "container.id" => Field::ContainerId,
            "container.image.name" => Field::ContainerImageName,
            "container.image.tags" => Field::ContainerImageTags,
            "k8s.container.name" => Field::ContainerName,
            "k8s.cronjob.name" => Field::CronJobName,
            "k8s.daemonset.name" => Field::DaemonSetName,
            "k8s.daemonset.uid" => Field::DaemonSetUid,
            "k8s.deployment.name" => Field::DeploymentName,
            "k8s.deployment.uid" => Field::DeploymentUid,
            "k8s.job.name" => Field::JobName,
            "k8s.job.uid" => Field::JobUid,
            "k8s.namespace.name" => Field::NamespaceName,
            "k8s.node.name" => Field::NodeName,
            "k8s.pod.name" => Field::PodName,
            "k8s.pod.start_time" => Field::PodStartTime,
            "k8s.pod.uid" => Field::PodUid,
            "k8s.replicaset.name" => Field::ReplicaSetName,
            "k8s.replicaset.uid" => Field::ReplicaSetUid,
            "k8s.statefulset.name" => Field::StatefulSetName,
            "k8s.statefulset.uid" => Field::StatefulSetUid,
            "service.instance.id" => Field::ServiceInstanceId,
            "service.name" => Field::ServiceName,
            "service.namespace" => Field::ServiceNamespace,
            "service.version" => Field::ServiceVersion,
            _ => return None,
        })
    }

    /// The resource attribute it sets.
    pub fn key(self) -> &'static str {
        match self {
            Field::ContainerId => "container.id",
            Field::ContainerImageName => "container.image.name",
            Field::ContainerImageTags => "container.image.tags",
            Field::ContainerName => "k8s.container.name",
            Field::CronJobName => "k8s.cronjob.name",
            Field::DaemonSetName => "k8s.daemonset.name",
            Field::DaemonSetUid => "k8s.daemonset.uid",
            Field::DeploymentName => "k8s.deployment.name",
            Field::DeploymentUid => "k8s.deployment.uid",
            Field::JobName => "k8s.job.name",
            Field::JobUid => "k8s.job.uid",
            Field::NamespaceName => "k8s.namespace.name",
            Field::NodeName => "k8s.node.name",
            Field::PodName => "k8s.pod.name",
            Field::PodStartTime => "k8s.pod.start_time",
            Field::PodUid => "k8s.pod.uid",
            Field::ReplicaSetName => "k8s.replicaset.name",
            Field::ReplicaSetUid => "k8s.replicaset.uid",
            Field::StatefulSetName => "k8s.statefulset.name",
            Field::StatefulSetUid => "k8s.statefulset.uid",
            Field::ServiceInstanceId => "service.instance.id",
            Field::ServiceName => "service.name",
            Field::ServiceNamespace => "service.namespace",
            Field::ServiceVersion => "service.version",
        }
    }
}

/// Where a label or annotation rule reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Pod,
    Namespace,
    Node,
}

/// Which keys a label or annotation rule takes.
#[derive(Debug, Clone)]
pub enum KeyMatch {
    Exact(String),
    /// Anchored at both ends, as the Collector compiles it.
    Pattern(Regex),
}

/// One compiled `label` or `annotation` block of `extract`.
#[derive(Debug, Clone)]
pub struct FieldRule {
    pub from: Origin,
    pub key: KeyMatch,
    /// The attribute name; with a pattern, `$1` and `${name}` refer to its
    /// groups. Empty: `k8s.<from>.label.<key>` (or `.annotation.`).
    pub tag_name: String,
}

/// How one association source finds its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The IP of the client that sent the payload.
    Connection,
    /// A resource attribute holding a pod IP (`k8s.pod.ip`, `ip`).
    IpAttribute(String),
    /// `k8s.pod.uid`.
    UidAttribute,
}

/// A compiled `pod_association`: every source must give a value.
pub type Association = Vec<Source>;

/// Everything the processor needs per payload.
#[derive(Debug, Clone)]
pub struct Rules {
    pub fields: Vec<Field>,
    pub labels: Vec<FieldRule>,
    pub annotations: Vec<FieldRule>,
    pub otel_annotations: bool,
    pub associations: Vec<Association>,
    pub exclude: Vec<Regex>,
    pub passthrough: bool,
}

/// The informers beyond pods that the rules need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    pub namespaces: bool,
    pub nodes: bool,
    pub replicasets: bool,
}

impl Rules {
    pub fn compile(args: &Arguments) -> Result<Rules, ArgumentError> {
        let mut fields = Vec::new();
        for key in &args.extract.metadata {
            if !METADATA_KEYS.contains(&key.as_str()) {
                return Err(
                    ArgumentError::new("extract", format!("unknown metadata key {key:?}")).with_help(format!("the keys are: {}", METADATA_KEYS.join(", ")))
                );
            }
            if let Some(f) = Field::of(key) {
                if !fields.contains(&f) {
                    fields.push(f);
                }
            }
        }
        let labels = field_rules(&args.extract.label, "label")?;
        let annotations = field_rules(&args.extract.annotation, "annotation")?;
        let mut associations: Vec<Association> = Vec::new();
        for rule in &args.pod_association {
            let sources = rule.source.iter().map(source).collect::<Result<Association, _>>()?;
            if sources.is_empty() {
                return Err(ArgumentError::new("pod_association", "a pod_association needs at least one source block"));
            }
            if associations.iter().any(|a| same_sources(a, &sources)) {
                return Err(ArgumentError::new("pod_association", "duplicate pod association"));
            }
            associations.push(sources);
        }
        if associations.is_empty() {
            // The Collector's default: the sending connection's IP.
            associations.push(vec![Source::Connection]);
        }
        let excluded: Vec<String> = match &args.exclude {
            Some(e) => e.pod.iter().map(|p| p.name.clone()).collect(),
            None => vec!["jaeger-agent".into(), "jaeger-collector".into()],
        };
        let exclude = excluded
            .iter()
            .map(|name| Regex::new(name).map_err(|e| ArgumentError::new("exclude", format!("pod name pattern {name:?}: {e}"))))
            .collect::<Result<_, _>>()?;
        for f in &args.filter.field {
            filter_op(&f.op, false)?;
        }
        for l in &args.filter.label {
            filter_op(&l.op, true)?;
        }
        Ok(Rules { fields, labels, annotations, otel_annotations: args.extract.otel_annotations, associations, exclude, passthrough: args.passthrough })
    }

    pub fn needs(&self) -> Needs {
        if self.passthrough {
            return Needs::default();
        }
        let from = |f: Origin| self.labels.iter().chain(&self.annotations).any(|r| r.from == f);
        Needs { namespaces: from(Origin::Namespace), nodes: from(Origin::Node), replicasets: self.fields.contains(&Field::DeploymentUid) }
    }

    /// The pod labels and annotations these rules read, and so what the
    /// pod cache keeps: the rules' keys, the labels that name a Deployment
    /// and a service, and the `resource.opentelemetry.io/` annotations.
    pub fn pod_keys(&self) -> (Keep, Keep) {
        let labels = ["pod-template-hash", "app.kubernetes.io/instance", "app.kubernetes.io/name", "app.kubernetes.io/version"]
            .iter()
            .fold(Keep::none(), |k, key| k.key(key));
        let annotations = Keep::none().prefix("resource.opentelemetry.io/");
        let add = |keep: Keep, rules: &[FieldRule]| {
            rules.iter().filter(|r| r.from == Origin::Pod).fold(keep, |keep, r| match &r.key {
                KeyMatch::Exact(key) => keep.key(key),
                KeyMatch::Pattern(re) => keep.pattern(re.clone()),
            })
        };
        (add(labels, &self.labels), add(annotations, &self.annotations))
    }

    /// The pod keys' rules, comparable: an update that changes them
    /// restarts the informer, since dropped keys are gone from its cache.
    pub fn pod_key_rules(&self) -> Vec<String> {
        let key = |r: &FieldRule| match &r.key {
            KeyMatch::Exact(k) => format!("={k}"),
            KeyMatch::Pattern(re) => format!("~{}", re.as_str()),
        };
        let pod = |rules: &[FieldRule], kind: &str| rules.iter().filter(|r| r.from == Origin::Pod).map(|r| format!("{kind}{}", key(r))).collect::<Vec<_>>();
        [pod(&self.labels, "label"), pod(&self.annotations, "annotation")].concat()
    }

    /// Whether a pod of this name is left alone.
    pub fn excludes(&self, pod_name: &str) -> bool {
        self.exclude.iter().any(|r| r.is_match(pod_name))
    }
}

fn field_rules(blocks: &[FieldExtract], what: &'static str) -> Result<Vec<FieldRule>, ArgumentError> {
    blocks
        .iter()
        .map(|b| {
            let from = match b.from.as_str() {
                "pod" => Origin::Pod,
                "namespace" => Origin::Namespace,
                "node" => Origin::Node,
                other => return Err(ArgumentError::new("extract", format!("{what} from {other:?}: expected \"pod\", \"namespace\" or \"node\""))),
            };
            let key = match (b.key.is_empty(), b.key_regex.is_empty()) {
                (false, true) => KeyMatch::Exact(b.key.clone()),
                (true, false) => KeyMatch::Pattern(
                    Regex::new(&format!("^(?:{})$", b.key_regex))
                        .map_err(|e| ArgumentError::new("extract", format!("{what} key_regex {:?}: {e}", b.key_regex)))?,
                ),
                (false, false) => return Err(ArgumentError::new("extract", format!("a {what} block takes key or key_regex, not both"))),
                (true, true) => return Err(ArgumentError::new("extract", format!("a {what} block needs key or key_regex"))),
            };
            Ok(FieldRule { from, key, tag_name: b.tag_name.clone() })
        })
        .collect()
}

fn source(s: &super::args::AssociationSource) -> Result<Source, ArgumentError> {
    match (s.from.as_str(), s.name.as_str()) {
        ("connection", _) => Ok(Source::Connection),
        ("resource_attribute", "k8s.pod.uid") => Ok(Source::UidAttribute),
        ("resource_attribute", name @ ("k8s.pod.ip" | "ip")) => Ok(Source::IpAttribute(name.to_string())),
        ("resource_attribute", "") => Err(ArgumentError::new("pod_association", "a resource_attribute source needs a name")),
        ("resource_attribute", other) => Err(ArgumentError::new("pod_association", format!("Solder cannot associate pods by the attribute {other:?}"))
            .with_help("use k8s.pod.ip, ip, k8s.pod.uid, or from = \"connection\"")),
        (other, _) => {
            Err(ArgumentError::new("pod_association", format!("unknown association source {other:?}: expected \"resource_attribute\" or \"connection\"")))
        }
    }
}

/// Two associations with the same sources in any order.
fn same_sources(a: &Association, b: &Association) -> bool {
    a.len() == b.len() && a.iter().all(|s| b.contains(s))
}

fn filter_op(op: &str, label: bool) -> Result<(), ArgumentError> {
    match op {
        "equals" | "not-equals" => Ok(()),
        "exists" | "does-not-exist" if label => Ok(()),
        other => Err(ArgumentError::new("filter", format!("filter op {other:?} is not supported here"))),
    }
}
