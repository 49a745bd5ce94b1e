//! The DaemonSet and the gateway Deployment: each runs the config it
//! mounts (as a directory, so ConfigMap updates reach it), sets what that
//! config reads, declares the ports it listens on, and runs locked down.

use std::collections::BTreeSet;

use yaml_rust2::{Yaml, YamlLoader};

use solder_components::durable::LogOptions;

use crate::configs::{configmap_configs, env_reads, listeners, persistent_queue_bounds, port, STORAGE_PATH};
use crate::environment::pod_env;
use crate::manifests::{documents, list, str_of};

/// The pod templates of the workloads, with the ConfigMap each mounts.
fn workloads() -> Vec<(String, Yaml)> {
    documents()
        .into_iter()
        .filter(|(_, d)| matches!(str_of(d, &["kind"]), "DaemonSet" | "Deployment"))
        .map(|(_, d)| (str_of(&d, &["metadata", "name"]).to_string(), d))
        .collect()
}

/// A Kubernetes quantity of bytes: "128Mi", "1G", "1048576".
fn quantity_bytes(q: &Yaml) -> Option<u64> {
    if let Some(n) = q.as_i64() {
        return u64::try_from(n).ok();
    }
    let q = q.as_str()?;
    let digits = q.find(|c: char| !c.is_ascii_digit()).unwrap_or(q.len());
    let unit: u64 = match &q[digits..] {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        _ => return None,
    };
    q[..digits].parse::<u64>().ok()?.checked_mul(unit)
}

#[test]
fn workloads_mount_their_config_as_a_directory_and_declare_its_ports() {
    pod_env();
    let configs = configmap_configs();
    let mut checked = 0;
    for (name, workload) in workloads() {
        let spec = &workload["spec"]["template"]["spec"];
        let Some(container) = list(&spec["containers"]).iter().find(|c| str_of(c, &["name"]) == "solder") else { continue };
        checked += 1;
        let command: Vec<&str> = list(&container["command"]).iter().map(|a| a.as_str().unwrap()).collect();
        assert_eq!(command[..3], ["/usr/bin/solder", "run", "/etc/solder"], "{name}: runs the mounted directory");
        assert!(command.contains(&"--server.http.listen-addr=0.0.0.0:12345") && command.contains(&"--storage.path=/var/lib/solder"), "{name}: {command:?}");

        let mounts = list(&container["volumeMounts"]);
        let config_mount = mounts.iter().find(|m| str_of(m, &["mountPath"]) == "/etc/solder").unwrap_or_else(|| panic!("{name}: nothing at /etc/solder"));
        assert!(config_mount["subPath"].is_badvalue(), "{name}: a subPath mount never sees ConfigMap updates");
        let volume = list(&spec["volumes"]).iter().find(|v| v["name"] == config_mount["name"]).unwrap();
        let configmap = str_of(volume, &["configMap", "name"]);
        let storage = mounts.iter().find(|m| str_of(m, &["mountPath"]) == STORAGE_PATH).unwrap_or_else(|| panic!("{name}: no storage mount"));
        let storage_volume = list(&spec["volumes"]).iter().find(|v| v["name"] == storage["name"]).unwrap();
        assert!(!storage_volume["emptyDir"].is_badvalue(), "{name}: storage is an emptyDir (the root filesystem is read-only)");
        let size_limit =
            quantity_bytes(&storage_volume["emptyDir"]["sizeLimit"]).unwrap_or_else(|| panic!("{name}: the storage emptyDir has no sizeLimit in bytes"));

        let env: BTreeSet<&str> = list(&container["env"]).iter().map(|e| str_of(e, &["name"])).collect();
        let ports: BTreeSet<i64> = list(&container["ports"]).iter().map(|p| p["containerPort"].as_i64().unwrap()).collect();
        for (file, cm, text) in configs.iter().filter(|(_, cm, _)| cm == configmap) {
            for (var, fallback) in env_reads(text) {
                assert!(fallback || env.contains(var.as_str()), "{name}: {} ({cm}) reads {var}, which the pod does not set", file.display());
            }
            let mut want: BTreeSet<i64> = listeners(text).iter().map(|a| i64::from(port(a))).collect();
            want.insert(12345);
            assert!(want.is_subset(&ports), "{name}: {} ({cm}) listens on {want:?}; the pod declares {ports:?}", file.display());
            // The kubelet evicts the pod, queue and all, once the emptyDir
            // passes its sizeLimit: it must hold each persistent queue's
            // bound plus the segment of delivered requests not yet given
            // back.
            let segment = LogOptions::default().segment_bytes;
            let on_disk: u64 = persistent_queue_bounds(text).iter().map(|bound| bound + segment).sum();
            assert!(
                on_disk <= size_limit,
                "{name}: {} ({cm}) can put {on_disk} bytes on disk (each persistent queue's bound plus a {segment}-byte segment); the storage emptyDir's sizeLimit is {size_limit}",
                file.display()
            );
        }

        let sc = &container["securityContext"];
        assert_eq!(sc["runAsNonRoot"].as_bool(), Some(true), "{name}");
        assert_eq!(sc["runAsUser"].as_i64(), Some(10001), "{name}: the image's USER");
        assert_eq!(sc["readOnlyRootFilesystem"].as_bool(), Some(true), "{name}");
        assert_eq!(sc["allowPrivilegeEscalation"].as_bool(), Some(false), "{name}");
        assert_eq!(list(&sc["capabilities"]["drop"]), [Yaml::String("ALL".into())], "{name}");
        assert_eq!(str_of(sc, &["seccompProfile", "type"]), "RuntimeDefault", "{name}");
        assert_eq!(str_of(container, &["readinessProbe", "httpGet", "path"]), "/-/ready", "{name}");
        assert_ne!(str_of(container, &["livenessProbe", "httpGet", "path"]), "/-/healthy", "{name}: a restart does not fix an unreachable backend");
        assert!(container["resources"]["requests"].as_hash().is_some() && container["resources"]["limits"].as_hash().is_some(), "{name}");
    }
    assert_eq!(checked, 2, "the DaemonSet and the gateway Deployment");

    let (_, daemonset) = workloads().into_iter().find(|(_, d)| str_of(d, &["kind"]) == "DaemonSet").unwrap();
    let spec = &daemonset["spec"]["template"]["spec"];
    let host_ports: BTreeSet<i64> = list(&spec["containers"][0]["ports"]).iter().filter_map(|p| p["hostPort"].as_i64()).collect();
    assert_eq!(host_ports, BTreeSet::from([4317, 4318]), "applications reach their node's agent at $(HOST_IP)");
    assert_eq!(list(&spec["tolerations"]), [YamlLoader::load_from_str("operator: Exists").unwrap().remove(0)], "runs on every node");
    assert_eq!(str_of(&daemonset, &["spec", "updateStrategy", "type"]), "RollingUpdate");
    let downward: BTreeSet<&str> = list(&spec["containers"][0]["env"]).iter().map(|e| str_of(e, &["valueFrom", "fieldRef", "fieldPath"])).collect();
    assert!(["spec.nodeName", "metadata.name", "metadata.namespace", "status.hostIP"].iter().all(|f| downward.contains(f)), "{downward:?}");
}
