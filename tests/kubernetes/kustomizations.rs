//! The kustomizations: a manifest left out of one is never applied, so
//! each must name its whole directory, and each way of building them (the
//! agents alone, with the gateway, with the network policy, or with their
//! storage on the node) must give valid manifests.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::configs::STORAGE_PATH;
use crate::environment::{pod_env, ROOT};
use crate::manifests::{list, str_of, validate_manifests, validator};

/// The kustomizations name every manifest of their directory, and build
/// with `kubectl kustomize` to manifests that pass the schemas, with and
/// without each component.
#[test]
fn kustomizations_name_every_manifest_and_build() {
    pod_env();
    let base = Path::new(ROOT).join("examples/kubernetes");
    for dir in [base.clone(), base.join("gateway"), base.join("networkpolicy"), base.join("node-storage")] {
        let k = &YamlLoader::load_from_str(&std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap()).unwrap()[0];
        let mut named: BTreeSet<String> = list(&k["resources"]).iter().map(|r| r.as_str().unwrap().to_string()).collect();
        // An inline patch (`patch:` rather than `path:`) names no file.
        named.extend(list(&k["patches"]).iter().filter_map(|p| p["path"].as_str()).map(str::to_string));
        for n in &named {
            assert!(dir.join(n).exists(), "{}: {n} does not exist", dir.display());
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".yaml") && name != "kustomization.yaml" {
                assert!(named.contains(&name), "{}: {name} is not in kustomization.yaml", dir.display());
            }
        }
    }

    let kubectl = kubectl();
    let validator = validator();
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join("kubernetes");
    copy_dir(&base, &copy);
    let kustomization = std::fs::read_to_string(copy.join("kustomization.yaml")).unwrap();
    let with_gateway = kustomization.replace("# components:\n#   - gateway\n", "components:\n  - gateway\n");
    assert_ne!(with_gateway, kustomization, "the gateway component is offered, commented out, in kustomization.yaml");
    let with_policy = with_gateway.replace("#   - networkpolicy\n", "  - networkpolicy\n");
    assert_ne!(with_policy, with_gateway, "the network policy component is offered, commented out, in kustomization.yaml");
    let with_storage = kustomization.replace("# components:\n", "components:\n").replace("#   - node-storage\n", "  - node-storage\n");
    assert!(with_storage.contains("\n  - node-storage\n"), "the node-storage component is offered, commented out, in kustomization.yaml");
    for (name, text) in [("agents", kustomization), ("gateway", with_gateway), ("policy", with_policy), ("node-storage", with_storage)] {
        std::fs::write(copy.join("kustomization.yaml"), text).unwrap();
        let out = Command::new(&kubectl).arg("kustomize").arg(&copy).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let built = work.path().join(format!("{name}.yaml"));
        std::fs::write(&built, &out.stdout).unwrap();
        let v = validate_manifests(&validator, std::slice::from_ref(&built));
        assert!(v.status.success(), "{name}: {}", String::from_utf8_lossy(&v.stdout));
        let docs = YamlLoader::load_from_str(&String::from_utf8_lossy(&out.stdout)).unwrap();
        let agent_config =
            docs.iter().find(|d| str_of(d, &["metadata", "name"]) == "solder-config").unwrap()["data"]["config.alloy"].as_str().unwrap().to_string();
        let kinds: Vec<&str> = docs.iter().map(|d| str_of(d, &["kind"])).collect();
        assert_eq!(kinds.contains(&"NetworkPolicy"), name == "policy", "{name}: {kinds:?}");
        let tier = ["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Role", "RoleBinding"];
        if matches!(name, "gateway" | "policy") {
            assert!(agent_config.contains("otelcol.exporter.loadbalancing \"gateway\""), "the agents route traces to the gateways");
            assert!(tier.iter().all(|k| kinds.contains(k)), "{name}: the gateway tier is whole: {kinds:?}");
        } else {
            assert!(agent_config.contains("otelcol.connector.spanmetrics"), "the agents compute span metrics themselves");
            assert!(!tier.iter().any(|k| kinds.contains(k)), "{name}: no part of the gateway tier: {kinds:?}");
        }
        let daemonset = docs.iter().find(|d| str_of(d, &["kind"]) == "DaemonSet").unwrap();
        agent_storage_is_on_the_node(&daemonset["spec"]["template"]["spec"], name == "node-storage", name);
    }
}

/// With node-storage, the agents' `--storage.path` is the node's
/// /var/lib/solder, handed to the agent's user by an init container that
/// may do nothing else, while the agent itself still runs unprivileged;
/// without it, an emptyDir.
fn agent_storage_is_on_the_node(spec: &Yaml, on_node: bool, name: &str) {
    let solder = list(&spec["containers"]).iter().find(|c| str_of(c, &["name"]) == "solder").unwrap();
    let mount = list(&solder["volumeMounts"]).iter().find(|m| str_of(m, &["mountPath"]) == STORAGE_PATH).unwrap();
    let volume = list(&spec["volumes"]).iter().find(|v| v["name"] == mount["name"]).unwrap();
    if !on_node {
        assert!(!volume["emptyDir"].is_badvalue() && volume["hostPath"].is_badvalue(), "{name}: the agents' storage is an emptyDir");
        return;
    }
    assert!(volume["emptyDir"].is_badvalue(), "{name}: the storage volume is a hostPath only: {volume:?}");
    assert_eq!((str_of(volume, &["hostPath", "path"]), str_of(volume, &["hostPath", "type"])), (STORAGE_PATH, "DirectoryOrCreate"), "{name}");
    let chowns = |c: &&Yaml| {
        let Some(at) = list(&c["volumeMounts"]).iter().find(|m| m["name"] == mount["name"]).map(|m| str_of(m, &["mountPath"])) else { return false };
        let command: Vec<&str> = list(&c["command"]).iter().chain(list(&c["args"])).filter_map(Yaml::as_str).collect();
        command.first() == Some(&"chown") && command.contains(&"10001:10001") && command.contains(&at)
    };
    let init = list(&spec["initContainers"]).iter().find(chowns).unwrap_or_else(|| panic!("{name}: no init container chowns the storage to 10001"));
    let sc = &init["securityContext"];
    assert_eq!(list(&sc["capabilities"]["drop"]), [Yaml::String("ALL".into())], "{name}: the init container");
    assert_eq!(list(&sc["capabilities"]["add"]), [Yaml::String("CHOWN".into())], "{name}: the init container needs CHOWN and nothing else");
    assert_eq!((sc["readOnlyRootFilesystem"].as_bool(), sc["allowPrivilegeEscalation"].as_bool()), (Some(true), Some(false)), "{name}: the init container");
    let sc = &solder["securityContext"];
    assert_eq!((sc["runAsUser"].as_i64(), sc["runAsNonRoot"].as_bool()), (Some(10001), Some(true)), "{name}: the agent runs as 10001");
    assert_eq!(sc["readOnlyRootFilesystem"].as_bool(), Some(true), "{name}");
}

/// kubectl (`SOLDER_KUBECTL`, or the one on PATH), which scripts/test.sh
/// installs when the machine has none. The test fails without it: it
/// never skips.
fn kubectl() -> PathBuf {
    let kubectl = std::env::var_os("SOLDER_KUBECTL").map_or_else(|| PathBuf::from("kubectl"), PathBuf::from);
    let works = Command::new(&kubectl).args(["version", "--client"]).output().is_ok_and(|o| o.status.success());
    assert!(works, "kubectl is missing at {}: scripts/test.sh installs it (Debian's kubernetes-client)", kubectl.display());
    kubectl
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}
