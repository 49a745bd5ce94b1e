//! The gateway tier (examples/kubernetes/gateway) holds together: the
//! agents' kubernetes resolver names the headless Service, which selects
//! the gateway pods and leaves out those not ready; the autoscaler owns the
//! Deployment's replica count; a roll and a drain each take one gateway at
//! a time; and a leaving gateway keeps taking data long enough for every
//! agent to drop it from its ring, then still has time to flush.

use yaml_rust2::Yaml;

use crate::configs::{attribute, blocks, configmap_configs};
use crate::environment::pod_env;
use crate::manifests::{documents, list, str_of};

/// How long a gateway's shutdown takes after SIGTERM at most: the receiver
/// answers what is in flight (5 s), then the exporters flush (5 s).
const SHUTDOWN_SECONDS: i64 = 10;

fn gateway_doc(kind: &str) -> Yaml {
    let found: Vec<Yaml> =
        documents().into_iter().map(|(_, d)| d).filter(|d| str_of(d, &["kind"]) == kind && str_of(d, &["metadata", "name"]) == "solder-gateway").collect();
    assert_eq!(found.len(), 1, "one {kind} solder-gateway");
    found[0].clone()
}

/// The `service` and `ports` of the agents' kubernetes resolver, as written.
fn resolver_target() -> (String, String) {
    let (_, _, config) = configmap_configs()
        .into_iter()
        .find(|(f, cm, _)| cm == "solder-config" && f.ends_with("gateway/agent-configmap.yaml"))
        .expect("the agents' config in front of the gateways");
    let file = solder_syntax::parse(&config).unwrap_or_else(|d| panic!("{d:?}"));
    let exporter = file
        .body
        .iter()
        .find_map(|s| match s {
            solder_syntax::ast::Stmt::Block(b) if b.full_name() == "otelcol.exporter.loadbalancing" => Some(b),
            _ => None,
        })
        .expect("the agents route traces with otelcol.exporter.loadbalancing");
    let routing = attribute(exporter, "routing_key").map(|e| config[e.span.range()].to_string());
    assert_eq!(routing.as_deref(), Some("\"traceID\""), "whole traces to one gateway");
    let kubernetes =
        blocks(exporter).filter(|b| b.full_name() == "resolver").flat_map(blocks).find(|b| b.full_name() == "kubernetes").expect("resolver > kubernetes");
    let text = |name: &str| attribute(kubernetes, name).map(|e| config[e.span.range()].to_string()).unwrap_or_default();
    (text("service"), text("ports"))
}

#[test]
fn the_agents_resolve_the_headless_service_over_the_gateway_pods() {
    pod_env();
    let (service, ports) = resolver_target();
    assert!(service.ends_with("\"solder-gateway.solder\")"), "the Service solder-gateway in namespace solder: {service}");
    assert_eq!(ports, "[4317]");

    let svc = gateway_doc("Service");
    assert_eq!(str_of(&svc, &["metadata", "namespace"]), "solder");
    assert_eq!(str_of(&svc, &["spec", "clusterIP"]), "None", "headless: the EndpointSlices list every pod, and no virtual IP balances connections");
    assert_eq!(svc["spec"]["publishNotReadyAddresses"].as_bool(), Some(false), "a gateway that is not ready stays out of the ring");
    let grpc = list(&svc["spec"]["ports"]).iter().find(|p| p["port"].as_i64() == Some(4317)).expect("4317 in the Service");
    assert_eq!(str_of(grpc, &["targetPort"]), "otlp-grpc");

    let deployment = gateway_doc("Deployment");
    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
    let selector = svc["spec"]["selector"].as_hash().expect("the Service selects pods");
    for (k, v) in selector {
        assert_eq!(&pod_labels[k.as_str().unwrap()], v, "the Service selects the gateway pods: {k:?}");
    }
    let container = &list(&deployment["spec"]["template"]["spec"]["containers"])[0];
    let declared = list(&container["ports"]).iter().any(|p| str_of(p, &["name"]) == "otlp-grpc" && p["containerPort"].as_i64() == Some(4317));
    assert!(declared, "the gateway declares otlp-grpc on 4317");
}

#[test]
fn the_autoscaler_owns_the_replicas_and_changes_come_one_gateway_at_a_time() {
    pod_env();
    let deployment = gateway_doc("Deployment");
    assert!(deployment["spec"]["replicas"].is_badvalue(), "replicas is the autoscaler's: an apply would reset it");
    let rolling = &deployment["spec"]["strategy"]["rollingUpdate"];
    assert_eq!(str_of(&deployment, &["spec", "strategy", "type"]), "RollingUpdate");
    assert_eq!((rolling["maxUnavailable"].as_i64(), rolling["maxSurge"].as_i64()), (Some(0), Some(1)), "a new gateway is ready before an old one leaves");

    let hpa = gateway_doc("HorizontalPodAutoscaler");
    let target = &hpa["spec"]["scaleTargetRef"];
    assert_eq!((str_of(target, &["kind"]), str_of(target, &["name"])), ("Deployment", "solder-gateway"));
    assert!(hpa["spec"]["minReplicas"].as_i64().unwrap_or(1) >= 2, "a tier, and room for the budget to let one go");
    let metrics = list(&hpa["spec"]["metrics"]);
    assert!(metrics.iter().any(|m| str_of(m, &["resource", "name"]) == "cpu"), "scaled on CPU: {metrics:?}");
    let container = &list(&deployment["spec"]["template"]["spec"]["containers"])[0];
    assert!(!container["resources"]["requests"]["cpu"].is_badvalue(), "utilization is measured against the CPU request");
    let down = list(&hpa["spec"]["behavior"]["scaleDown"]["policies"]);
    assert!(down.iter().all(|p| str_of(p, &["type"]) == "Pods" && p["value"].as_i64() == Some(1)), "scales down one gateway at a time: {down:?}");

    let pdb = gateway_doc("PodDisruptionBudget");
    assert_eq!(pdb["spec"]["maxUnavailable"].as_i64(), Some(1), "a drain takes one gateway at a time");
    assert_eq!(pdb["spec"]["selector"]["matchLabels"], deployment["spec"]["selector"]["matchLabels"], "the budget covers the gateway pods");
}

#[test]
fn a_leaving_gateway_waits_for_the_agents_then_has_time_to_flush() {
    pod_env();
    let deployment = gateway_doc("Deployment");
    let spec = &deployment["spec"]["template"]["spec"];
    let container = &list(&spec["containers"])[0];
    let sleep = container["lifecycle"]["preStop"]["sleep"]["seconds"].as_i64().expect("a preStop sleep");
    assert!(sleep >= 5, "long enough for the agents' EndpointSlice watches to see the pod terminating: {sleep}s");
    let grace = spec["terminationGracePeriodSeconds"].as_i64().expect("terminationGracePeriodSeconds");
    assert!(sleep + SHUTDOWN_SECONDS < grace, "preStop ({sleep}s) and shutdown ({SHUTDOWN_SECONDS}s) fit in the grace period ({grace}s) with room");
}
