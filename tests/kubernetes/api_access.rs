//! What the node agents may read from the Kubernetes API and how their
//! configs use it: a read-only role over pods, namespaces, nodes and
//! ReplicaSets, and with the gateway tier a namespaced one over the
//! gateways' EndpointSlices, bound to the agents' account alone, whose
//! token only the DaemonSet mounts; and configs that enrich each pod's
//! telemetry on its own node, from that node's pods only, before batching
//! mixes pods.

use std::collections::BTreeSet;

use solder_syntax::ast::{Block, ExprKind, Stmt};
use solder_syntax::{Evaluator, Scope, Value};
use yaml_rust2::Yaml;

use crate::configs::{attribute, blocks, configmap_configs};
use crate::environment::pod_env;
use crate::manifests::{documents, list, str_of};

/// Every document of a kind.
fn of_kind(kind: &str) -> Vec<Yaml> {
    documents().into_iter().map(|(_, d)| d).filter(|d| str_of(d, &["kind"]) == kind).collect()
}

/// The pod template of a workload.
fn pod_spec(kind: &str, name: &str) -> Yaml {
    let workload = of_kind(kind).into_iter().find(|d| str_of(d, &["metadata", "name"]) == name).unwrap_or_else(|| panic!("no {kind} {name}"));
    workload["spec"]["template"]["spec"].clone()
}

#[test]
fn the_agents_may_read_pods_namespaces_nodes_replicasets_and_the_gateways_endpointslices_and_nothing_more() {
    pod_env();
    let roles = of_kind("ClusterRole");
    assert_eq!(roles.len(), 1, "one role, the agents'");
    let role = &roles[0];
    let mut granted = BTreeSet::new();
    for rule in list(&role["rules"]) {
        assert!(rule["resourceNames"].is_badvalue() && rule["nonResourceURLs"].is_badvalue(), "{rule:?}");
        for group in list(&rule["apiGroups"]) {
            for resource in list(&rule["resources"]) {
                for verb in list(&rule["verbs"]) {
                    granted.insert((group.as_str().unwrap(), resource.as_str().unwrap(), verb.as_str().unwrap()));
                }
            }
        }
    }
    let mut want = BTreeSet::new();
    for (group, resource) in [("", "pods"), ("", "namespaces"), ("", "nodes"), ("apps", "replicasets")] {
        for verb in ["get", "list", "watch"] {
            want.insert((group, resource, verb));
        }
    }
    assert_eq!(granted, want, "read-only, and only what k8sattributes and the kubernetes_node detector read");

    // Bound to the DaemonSet's account alone, whose token only the
    // DaemonSet's pods mount.
    let daemonset = pod_spec("DaemonSet", "solder");
    let account = str_of(&daemonset, &["serviceAccountName"]);
    let bindings = of_kind("ClusterRoleBinding");
    assert_eq!(bindings.len(), 1);
    let binding = &bindings[0];
    assert_eq!((str_of(binding, &["roleRef", "kind"]), str_of(binding, &["roleRef", "name"])), ("ClusterRole", str_of(role, &["metadata", "name"])));
    let subjects: Vec<(&str, &str, &str)> =
        list(&binding["subjects"]).iter().map(|s| (str_of(s, &["kind"]), str_of(s, &["name"]), str_of(s, &["namespace"]))).collect();
    assert_eq!(subjects, [("ServiceAccount", account, "solder")]);
    assert_eq!(daemonset["automountServiceAccountToken"].as_bool(), Some(true), "the agents mount their token");
    let accounts = of_kind("ServiceAccount");
    let agents = accounts.iter().find(|a| str_of(a, &["metadata", "name"]) == account).expect("the DaemonSet's ServiceAccount");
    assert_eq!(agents["automountServiceAccountToken"].as_bool(), Some(false), "no token for pods that do not ask for it");

    let gateway = pod_spec("Deployment", "solder-gateway");
    assert_ne!(str_of(&gateway, &["serviceAccountName"]), account, "the gateway reads nothing from the API: it has an account of its own");
    assert_eq!(gateway["automountServiceAccountToken"].as_bool(), Some(false), "and no token");

    // With the gateway tier, the agents also list and watch the gateways'
    // EndpointSlices, in the gateways' namespace only.
    let roles = of_kind("Role");
    assert_eq!(roles.len(), 1, "one namespaced role, the agents' view of the gateways");
    let role = &roles[0];
    assert_eq!(str_of(role, &["metadata", "namespace"]), "solder");
    let rules = list(&role["rules"]);
    assert_eq!(rules.len(), 1, "{rules:?}");
    let strings = |y: &Yaml| list(y).iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(strings(&rules[0]["apiGroups"]), ["discovery.k8s.io"]);
    assert_eq!(strings(&rules[0]["resources"]), ["endpointslices"]);
    assert_eq!(strings(&rules[0]["verbs"]), ["list", "watch"], "what the kubernetes resolver does, nothing more");
    assert!(rules[0]["resourceNames"].is_badvalue(), "a list cannot be limited by name");
    let bindings = of_kind("RoleBinding");
    assert_eq!(bindings.len(), 1);
    let binding = &bindings[0];
    assert_eq!(str_of(binding, &["metadata", "namespace"]), "solder");
    assert_eq!((str_of(binding, &["roleRef", "kind"]), str_of(binding, &["roleRef", "name"])), ("Role", str_of(role, &["metadata", "name"])));
    let subjects: Vec<(&str, &str, &str)> =
        list(&binding["subjects"]).iter().map(|s| (str_of(s, &["kind"]), str_of(s, &["name"]), str_of(s, &["namespace"]))).collect();
    assert_eq!(subjects, [("ServiceAccount", account, "solder")], "the agents' account, whose token only the DaemonSet mounts");
}

/// A component of a config by its full name and label.
fn component<'a>(file: &'a solder_syntax::ast::File, name: &str) -> &'a Block {
    let (kind, label) = name.rsplit_once('.').unwrap();
    file.body
        .iter()
        .find_map(|s| match s {
            Stmt::Block(b) if b.full_name() == kind && b.label.as_ref().is_some_and(|l| l.value == label) => Some(b),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {name}"))
}

/// The components a component's `output` sends each signal to, as written.
fn outputs(config: &str, b: &Block) -> BTreeSet<(String, String)> {
    let output = blocks(b).find(|o| o.full_name() == "output").expect("an output block");
    let mut out = BTreeSet::new();
    for signal in ["traces", "metrics", "logs"] {
        let Some(expr) = attribute(output, signal) else { continue };
        let ExprKind::Array(items) = &expr.kind else { panic!("{signal} is a list") };
        for item in items {
            let target = config[item.span.range()].trim_end_matches(".input").to_string();
            out.insert((signal.to_string(), target));
        }
    }
    out
}

fn all_to(target: &str, signals: &[&str]) -> BTreeSet<(String, String)> {
    signals.iter().map(|s| (s.to_string(), target.to_string())).collect()
}

#[test]
fn agent_configs_enrich_on_their_node_before_batching() {
    pod_env();
    let agents: Vec<_> = configmap_configs().into_iter().filter(|(_, cm, _)| cm == "solder-config").collect();
    assert_eq!(agents.len(), 2, "the agent's own config and the one in front of the gateway");
    for (file, _, config) in agents {
        let at = file.display().to_string();
        let parsed = solder_syntax::parse(&config).unwrap_or_else(|d| panic!("{d:?}"));
        let scope = Scope::new();
        let mut eval = Evaluator::new(&config, &scope);
        let signals = ["metrics", "traces"];

        // receiver → k8sattributes → resourcedetection → batch: enriched
        // while each request still comes from one pod on one connection.
        let receiver = component(&parsed, "otelcol.receiver.otlp.default");
        assert_eq!(outputs(&config, receiver), all_to("otelcol.processor.k8sattributes.default", &signals), "{at}");
        let k8s = component(&parsed, "otelcol.processor.k8sattributes.default");
        assert_eq!(outputs(&config, k8s), all_to("otelcol.processor.resourcedetection.default", &signals), "{at}");
        let detection = component(&parsed, "otelcol.processor.resourcedetection.default");
        assert_eq!(outputs(&config, detection), all_to("otelcol.processor.batch.default", &signals), "{at}");
        let detectors = eval.eval(attribute(detection, "detectors").unwrap()).unwrap();
        assert_eq!(detectors, Value::Array(["env", "system"].map(|d| Value::String(d.into())).to_vec()), "{at}");

        // Only this node's pods: the node comes from the downward API.
        let filter = blocks(k8s).find(|b| b.full_name() == "filter").unwrap_or_else(|| panic!("{at}: no filter"));
        let node = attribute(filter, "node").unwrap_or_else(|| panic!("{at}: no node filter"));
        assert_eq!(&config[node.span.range()], "sys.env(\"K8S_NODE_NAME\")", "{at}");

        let rules: Vec<Vec<(String, String)>> = blocks(k8s)
            .filter(|b| b.full_name() == "pod_association")
            .map(|rule| {
                blocks(rule)
                    .map(|source| {
                        let mut field = |name| attribute(source, name).map(|e| eval.eval(e).unwrap().as_str().unwrap().to_string()).unwrap_or_default();
                        (field("from"), field("name"))
                    })
                    .collect()
            })
            .collect();
        let rule = |from: &str, name: &str| vec![(from.to_string(), name.to_string())];
        assert_eq!(rules, [rule("resource_attribute", "k8s.pod.ip"), rule("resource_attribute", "k8s.pod.uid"), rule("connection", "")], "{at}");

        let extract = blocks(k8s).find(|b| b.full_name() == "extract").unwrap();
        let Value::Array(metadata) = eval.eval(attribute(extract, "metadata").unwrap()).unwrap() else { panic!("{at}: metadata is a list") };
        let metadata: BTreeSet<&str> = metadata.iter().filter_map(Value::as_str).collect();
        let defaults = [
            "container.image.name",
            "container.image.tags",
            "k8s.deployment.name",
            "k8s.namespace.name",
            "k8s.node.name",
            "k8s.pod.name",
            "k8s.pod.start_time",
            "k8s.pod.uid",
        ];
        let want: BTreeSet<&str> = defaults.into_iter().chain(["k8s.statefulset.name", "k8s.daemonset.name", "k8s.job.name"]).collect();
        assert_eq!(metadata, want, "{at}: the default metadata and the other workload kinds' names");
    }

    let env = list(&pod_spec("DaemonSet", "solder")["containers"][0]["env"]).to_vec();
    let node = env.iter().find(|e| str_of(e, &["name"]) == "K8S_NODE_NAME").expect("K8S_NODE_NAME");
    assert_eq!(str_of(node, &["valueFrom", "fieldRef", "fieldPath"]), "spec.nodeName");
}
