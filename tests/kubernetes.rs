//! Shipping Solder: the container image (`Dockerfile`) and the Kubernetes
//! manifests in `examples/kubernetes`, checked without a cluster or a
//! Docker engine. The manifests pass the Kubernetes OpenAPI schemas, the
//! configs they carry pass `solder validate`, the workloads mount those
//! configs as directories and declare the ports they listen on, and a
//! running agent follows a ConfigMap update made exactly as the kubelet
//! makes it.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

use solder_syntax::ast::{Block, Stmt};
use solder_syntax::{Evaluator, Scope};
use support::Agent;
use yaml_rust2::{Yaml, YamlLoader};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The Kubernetes version the manifests are checked against: the oldest
/// still commonly run whose schemas kubernetes-validate carries.
const KUBERNETES_VERSION: &str = "1.30.0";
/// What the downward API gives the pods; the configs read them.
const POD_ENV: &[(&str, &str)] = &[("K8S_NODE_NAME", "node-1"), ("POD_NAME", "solder-x7k2p"), ("POD_NAMESPACE", "solder"), ("HOST_IP", "10.0.0.7")];

/// Sets the pod's environment for every agent this test binary starts.
/// Every test calls it first, so nothing is spawned while it writes.
fn pod_env() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        for (k, v) in POD_ENV {
            std::env::set_var(k, v);
        }
    });
}

// ---------------------------------------------------------------- image

/// A Dockerfile instruction: keyword and arguments, continuations joined.
struct Instruction {
    keyword: String,
    args: String,
}

fn dockerfile() -> Vec<Instruction> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("Dockerfile")).unwrap();
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        let (keyword, args) = current.split_once(char::is_whitespace).unwrap_or((&current, ""));
        out.push(Instruction { keyword: keyword.to_ascii_uppercase(), args: args.trim().to_string() });
        current.clear();
    }
    out
}

/// The instructions of the last stage: what the image is.
fn runtime_stage(all: &[Instruction]) -> &[Instruction] {
    let last_from = all.iter().rposition(|i| i.keyword == "FROM").expect("no FROM");
    &all[last_from..]
}

/// `COPY` arguments without flags: sources then destination.
fn copy_paths(i: &Instruction) -> (Vec<String>, String, Option<String>) {
    let mut from = None;
    let mut paths = Vec::new();
    for word in i.args.split_whitespace() {
        if let Some(stage) = word.strip_prefix("--from=") {
            from = Some(stage.to_string());
        } else if !word.starts_with("--") {
            paths.push(word.to_string());
        }
    }
    let dest = paths.pop().expect("COPY without a destination");
    (paths, dest, from)
}

/// Whether `.dockerignore` leaves `path` out of the build context. Its
/// patterns here are paths, `**/NAME` (at any depth) and `**/*.EXT`.
fn docker_ignored(path: &str) -> bool {
    let ignore = std::fs::read_to_string(Path::new(ROOT).join(".dockerignore")).unwrap();
    ignore.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).any(|pattern| {
        let pattern = pattern.trim_end_matches('/');
        match pattern.strip_prefix("**/") {
            Some(ext) if ext.starts_with("*.") => path.ends_with(&ext[1..]),
            Some(name) => path.split('/').any(|part| part == name),
            None => path == pattern || path.starts_with(&format!("{pattern}/")),
        }
    })
}

#[test]
fn dockerfile_copies_what_exists_and_runs_its_config_unprivileged() {
    pod_env();
    let all = dockerfile();
    for i in all.iter().filter(|i| i.keyword == "COPY" || i.keyword == "ADD") {
        let (sources, _, from) = copy_paths(i);
        if from.is_some() {
            continue;
        }
        for s in sources {
            assert!(Path::new(ROOT).join(&s).exists(), "COPY {s}: not in the repository");
            if s != "." {
                assert!(!docker_ignored(&s), "COPY {s}: excluded by .dockerignore");
            }
        }
    }
    for needed in ["Cargo.toml", "Cargo.lock", "src/main.rs", "grammar/Cargo.toml", "components/Cargo.toml", "benches/reload.rs"] {
        assert!(!docker_ignored(needed), "{needed} is excluded by .dockerignore but the build needs it");
    }
    for excluded in ["target/release/solder", ".git/HEAD", ".venv/bin/python", "tests/browser/node_modules/x"] {
        assert!(docker_ignored(excluded), "{excluded} should stay out of the build context");
    }
    let builds: Vec<&Instruction> = all.iter().filter(|i| i.keyword == "RUN" && i.args.contains("cargo build")).collect();
    assert!(builds.iter().all(|i| i.args.contains("--release") && i.args.contains("--locked")), "every cargo build is --release --locked");
    assert_eq!(builds.len(), 2, "one build of the dependencies (cached), one of Solder");

    let runtime = runtime_stage(&all);
    let user = runtime.iter().rev().find(|i| i.keyword == "USER").expect("the image sets a USER").args.clone();
    let (uid, gid) = user.split_once(':').unwrap_or((&user, ""));
    let uid: u32 = uid.parse().unwrap_or_else(|_| panic!("USER {user}: numeric, so runAsNonRoot can check it"));
    assert_ne!(uid, 0, "the image runs as root");
    assert!(gid.is_empty() || gid.parse::<u32>().is_ok_and(|g| g != 0), "USER {user}");
    assert_eq!(uid, 10001, "the manifests' runAsUser");

    let entrypoint: Vec<String> = serde_json::from_str(&runtime.iter().find(|i| i.keyword == "ENTRYPOINT").expect("ENTRYPOINT").args).expect("ENTRYPOINT in exec form");
    assert_eq!(
        entrypoint,
        ["/usr/bin/solder", "run", "/etc/solder/config.alloy", "--server.http.listen-addr=0.0.0.0:12345", "--storage.path=/var/lib/solder"]
    );
    let copies: Vec<_> = runtime.iter().filter(|i| i.keyword == "COPY").map(copy_paths).collect();
    assert!(copies.iter().any(|(s, d, f)| f.as_deref() == Some("builder") && s == &["/src/target/release/solder"] && d == "/usr/bin/solder"));
    assert!(copies.iter().any(|(_, d, _)| d == "/var/lib/solder"), "the storage directory exists, owned by the user");
    let (config, _, _) = copies.iter().find(|(_, d, _)| d == "/etc/solder/config.alloy").expect("the config is copied to /etc/solder/config.alloy");
    let config = Path::new(ROOT).join(&config[0]);

    let out = solder(&["validate", &config.display().to_string()]);
    assert!(out.status.success(), "{}: {}", config.display(), String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&config).unwrap();
    let listeners = listeners(&text);
    for addr in &listeners {
        assert!(addr.starts_with("0.0.0.0:") || addr.starts_with("[::]:"), "{addr}: in a container, listen on every interface");
    }
    let mut want: BTreeSet<u16> = listeners.iter().map(|a| port(a)).collect();
    want.insert(12345);
    let exposed: BTreeSet<u16> = runtime.iter().filter(|i| i.keyword == "EXPOSE").flat_map(|i| i.args.split_whitespace().map(|p| p.trim_end_matches("/tcp").parse::<u16>().unwrap())).collect();
    assert_eq!(exposed, want, "EXPOSE: the config's listeners and the HTTP server");
}

// ---------------------------------------------------------------- configs

/// Every address a config listens on: the OTLP receivers' servers (with
/// their defaults) and `prometheus.expose`.
fn listeners(config: &str) -> Vec<String> {
    let file = solder_syntax::parse(config).unwrap_or_else(|d| panic!("{d:?}"));
    let scope = Scope::new();
    let mut eval = Evaluator::new(config, &scope);
    let mut string_attr = |b: &Block, name: &str| {
        b.body.iter().find_map(|s| match s {
            Stmt::Attribute(a) if a.name.name == name => Some(eval.eval(&a.value).unwrap().as_str().unwrap().to_string()),
            _ => None,
        })
    };
    let mut out = Vec::new();
    for stmt in &file.body {
        let Stmt::Block(b) = stmt else { continue };
        match b.full_name().as_str() {
            "otelcol.receiver.otlp" => {
                for s in &b.body {
                    let Stmt::Block(server) = s else { continue };
                    let default = match server.full_name().as_str() {
                        "grpc" => "0.0.0.0:4317",
                        "http" => "0.0.0.0:4318",
                        _ => continue,
                    };
                    out.push(string_attr(server, "endpoint").unwrap_or_else(|| default.to_string()));
                }
            }
            "prometheus.expose" => out.push(string_attr(b, "listen_address").expect("listen_address")),
            _ => {}
        }
    }
    out
}

fn port(addr: &str) -> u16 {
    addr.rsplit_once(':').unwrap().1.parse().unwrap()
}

/// The environment variables a config reads, and whether each has a
/// fallback (`coalesce(sys.env("X"), ...)`).
fn env_reads(config: &str) -> Vec<(String, bool)> {
    config
        .match_indices("sys.env(\"")
        .map(|(at, m)| {
            let rest = &config[at + m.len()..];
            let name = rest[..rest.find('"').unwrap()].to_string();
            let fallback = config[..at].ends_with("coalesce(");
            (name, fallback)
        })
        .collect()
}

fn solder(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_solder")).args(args).output().unwrap()
}

// ---------------------------------------------------------------- manifests

/// Every manifest under examples/kubernetes (kustomization files aside).
fn manifest_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") && p.file_name().unwrap() != "kustomization.yaml" {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(ROOT).join("examples/kubernetes"), &mut out);
    out.sort();
    assert!(out.len() >= 9, "{out:?}");
    out
}

/// Every document of every manifest, with the file it came from.
fn documents() -> Vec<(PathBuf, Yaml)> {
    manifest_files()
        .into_iter()
        .flat_map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            docs.into_iter().filter(|d| !d.is_null()).map(move |d| (p.clone(), d))
        })
        .collect()
}

fn str_of<'a>(y: &'a Yaml, path: &[&str]) -> &'a str {
    path.iter().fold(y, |y, k| &y[*k]).as_str().unwrap_or("")
}

fn list<'a>(y: &'a Yaml) -> &'a [Yaml] {
    y.as_vec().map(Vec::as_slice).unwrap_or(&[])
}

/// The kubernetes-validate command scripts/test.sh installs into `.venv`.
/// Missing, the caller skips, except under CI=true, where it fails.
fn validator() -> Option<PathBuf> {
    let candidate = std::env::var_os("SOLDER_KUBERNETES_VALIDATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(ROOT).join(".venv/bin/kubernetes-validate"));
    if Command::new(&candidate).arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Some(candidate);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "kubernetes-validate is missing at {} (scripts/test.sh installs it)", candidate.display());
    eprintln!("skipping: no kubernetes-validate at {}; run scripts/test.sh to install it", candidate.display());
    None
}

fn validate_manifests(validator: &Path, files: &[PathBuf]) -> std::process::Output {
    Command::new(validator).args(["--strict", "--quiet", "--kubernetes-version", KUBERNETES_VERSION]).args(files).output().unwrap()
}

#[test]
fn manifests_pass_the_kubernetes_schemas_and_a_broken_one_does_not() {
    pod_env();
    let Some(validator) = validator() else { return };
    let files = manifest_files();
    let out = validate_manifests(&validator, &files);
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{report}");
    assert!(!report.contains("Couldn't find schema"), "every document has a schema: {report}");

    let broken = Path::new(ROOT).join("tests/kubernetes/broken-daemonset.yaml");
    let out = validate_manifests(&validator, &[broken]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the validator passed a broken manifest: {report}");
    assert!(report.contains("containerPort: '4317' is not of type 'integer'"), "{report}");
}

/// The kustomizations name every manifest of their directory, and (when
/// kubectl is installed) build to manifests that pass the schemas, with
/// and without the gateway component.
#[test]
fn kustomizations_name_every_manifest_and_build() {
    pod_env();
    let base = Path::new(ROOT).join("examples/kubernetes");
    for dir in [base.clone(), base.join("gateway")] {
        let k = &YamlLoader::load_from_str(&std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap()).unwrap()[0];
        let mut named: BTreeSet<String> = list(&k["resources"]).iter().map(|r| r.as_str().unwrap().to_string()).collect();
        named.extend(list(&k["patches"]).iter().map(|p| p["path"].as_str().unwrap().to_string()));
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

    if Command::new("kubectl").args(["version", "--client"]).output().is_err() {
        eprintln!("skipping the kustomize build: no kubectl");
        return;
    }
    let Some(validator) = validator() else { return };
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join("kubernetes");
    copy_dir(&base, &copy);
    let kustomization = std::fs::read_to_string(copy.join("kustomization.yaml")).unwrap();
    let with_gateway = kustomization.replace("# components:\n#   - gateway\n", "components:\n  - gateway\n");
    assert_ne!(with_gateway, kustomization, "the gateway component is offered, commented out, in kustomization.yaml");
    for (name, text) in [("agents", kustomization), ("gateway", with_gateway)] {
        std::fs::write(copy.join("kustomization.yaml"), text).unwrap();
        let out = Command::new("kubectl").arg("kustomize").arg(&copy).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let built = work.path().join(format!("{name}.yaml"));
        std::fs::write(&built, &out.stdout).unwrap();
        let v = validate_manifests(&validator, &[built.clone()]);
        assert!(v.status.success(), "{name}: {}", String::from_utf8_lossy(&v.stdout));
        let docs = YamlLoader::load_from_str(&String::from_utf8_lossy(&out.stdout)).unwrap();
        let agent_config = docs.iter().find(|d| str_of(d, &["metadata", "name"]) == "solder-config").unwrap()["data"]["config.alloy"].as_str().unwrap().to_string();
        let kinds: Vec<&str> = docs.iter().map(|d| str_of(d, &["kind"])).collect();
        if name == "gateway" {
            assert!(agent_config.contains("otelcol.exporter.otlp \"gateway\""), "the agents forward to the gateway");
            assert!(kinds.contains(&"Deployment"), "{kinds:?}");
        } else {
            assert!(agent_config.contains("otelcol.connector.spanmetrics"), "the agents compute span metrics themselves");
            assert!(!kinds.contains(&"Deployment"), "{kinds:?}");
        }
    }
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

/// The Alloy configs the ConfigMaps carry: (file, ConfigMap name, text).
fn configmap_configs() -> Vec<(PathBuf, String, String)> {
    let mut out = Vec::new();
    for (file, doc) in documents() {
        if str_of(&doc, &["kind"]) != "ConfigMap" {
            continue;
        }
        let Some(data) = doc["data"].as_hash() else { continue };
        for (key, value) in data {
            if key.as_str().is_some_and(|k| k.ends_with(".alloy")) {
                out.push((file.clone(), str_of(&doc, &["metadata", "name"]).to_string(), value.as_str().unwrap().to_string()));
            }
        }
    }
    assert_eq!(out.len(), 3, "the agent's, the gateway's and the agent's in front of the gateway");
    out
}

#[test]
fn configmap_configs_pass_solder_validate() {
    pod_env();
    let dir = tempfile::tempdir().unwrap();
    for (i, (file, name, text)) in configmap_configs().into_iter().enumerate() {
        let path = dir.path().join(format!("{i}-{name}.alloy"));
        std::fs::write(&path, &text).unwrap();
        let out = solder(&["validate", &path.display().to_string()]);
        assert!(out.status.success(), "{} ({name}): {}", file.display(), String::from_utf8_lossy(&out.stderr));
        let fmt = solder(&["fmt", &path.display().to_string()]);
        assert_eq!(String::from_utf8_lossy(&fmt.stdout), text, "{} ({name}) is in canonical form (solder fmt)", file.display());
    }
}

/// The pod templates of the workloads, with the ConfigMap each mounts.
fn workloads() -> Vec<(String, Yaml)> {
    documents().into_iter().filter(|(_, d)| matches!(str_of(d, &["kind"]), "DaemonSet" | "Deployment")).map(|(_, d)| (str_of(&d, &["metadata", "name"]).to_string(), d)).collect()
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
        let storage = mounts.iter().find(|m| str_of(m, &["mountPath"]) == "/var/lib/solder").unwrap_or_else(|| panic!("{name}: no storage mount"));
        let storage_volume = list(&spec["volumes"]).iter().find(|v| v["name"] == storage["name"]).unwrap();
        assert!(!storage_volume["emptyDir"].is_badvalue(), "{name}: storage is an emptyDir (the root filesystem is read-only)");

        let env: BTreeSet<&str> = list(&container["env"]).iter().map(|e| str_of(e, &["name"])).collect();
        let ports: BTreeSet<i64> = list(&container["ports"]).iter().map(|p| p["containerPort"].as_i64().unwrap()).collect();
        for (file, cm, text) in configs.iter().filter(|(_, cm, _)| cm == configmap) {
            for (var, fallback) in env_reads(text) {
                assert!(fallback || env.contains(var.as_str()), "{name}: {} ({cm}) reads {var}, which the pod does not set", file.display());
            }
            let mut want: BTreeSet<i64> = listeners(text).iter().map(|a| i64::from(port(a))).collect();
            want.insert(12345);
            assert!(want.is_subset(&ports), "{name}: {} ({cm}) listens on {want:?}; the pod declares {ports:?}", file.display());
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

// ---------------------------------------------------------------- a live update

/// A ConfigMap volume as the kubelet's atomic writer lays it out: the data
/// in a timestamped directory, `..data` pointing at it, and each key a
/// symlink through `..data`.
struct ConfigMapVolume {
    dir: PathBuf,
    current: String,
    updates: u32,
}

impl ConfigMapVolume {
    fn create(dir: &Path, config: &str) -> ConfigMapVolume {
        std::fs::create_dir_all(dir).unwrap();
        let current = "..2026_11_22_05_00_00.123456789".to_string();
        std::fs::create_dir(dir.join(&current)).unwrap();
        std::fs::write(dir.join(&current).join("config.alloy"), config).unwrap();
        std::os::unix::fs::symlink(&current, dir.join("..data")).unwrap();
        std::os::unix::fs::symlink("..data/config.alloy", dir.join("config.alloy")).unwrap();
        ConfigMapVolume { dir: dir.to_path_buf(), current, updates: 0 }
    }

    /// What the kubelet does when the ConfigMap changes: write a new
    /// timestamped directory, point `..data_tmp` at it, rename that over
    /// `..data` (the one atomic step), then remove the old directory.
    fn update(&mut self, config: &str) {
        self.updates += 1;
        let next = format!("..2026_11_22_06_{:02}_{:02}.123456789", self.updates / 60, self.updates % 60);
        std::fs::create_dir(self.dir.join(&next)).unwrap();
        std::fs::write(self.dir.join(&next).join("config.alloy"), config).unwrap();
        std::os::unix::fs::symlink(&next, self.dir.join("..data_tmp")).unwrap();
        std::fs::rename(self.dir.join("..data_tmp"), self.dir.join("..data")).unwrap();
        std::fs::remove_dir_all(self.dir.join(&self.current)).unwrap();
        self.current = next;
    }
}

/// The node agent's ConfigMap config, moved to free loopback ports:
/// (config, OTLP/HTTP address, scrape address).
fn agent_config_on_free_ports() -> (String, String, String) {
    let (_, _, mut text) = configmap_configs().into_iter().find(|(f, cm, _)| cm == "solder-config" && !f.ends_with("gateway/agent-configmap.yaml")).unwrap();
    let mut moved = Vec::new();
    for port in ["4317", "4318", "9464"] {
        let addr = format!("127.0.0.1:{}", support::free_port());
        text = text.replace(&format!("\"0.0.0.0:{port}\""), &format!("{addr:?}"));
        moved.push(addr);
    }
    assert!(!text.contains("0.0.0.0"), "every listener moved");
    (text, moved[1].clone(), moved[2].clone())
}

/// An application's OTLP/JSON gauge, `queue.depth`, sent to the agent.
fn send_gauge(otlp_http: &str) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let body = format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"checkout"}}}}]}},"scopeMetrics":[{{"metrics":[{{"name":"queue.depth","gauge":{{"dataPoints":[{{"asInt":"7","timeUnixNano":"{now}"}}]}}}}]}}]}}]}}"#
    );
    let (code, _, answer) = support::send(otlp_http, "POST", "/v1/metrics", &[("Content-Type", "application/json")], body.as_bytes()).unwrap();
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&answer));
}

/// The scraped `queue_depth` line, once there is one.
fn queue_depth(scrape: &str) -> Option<String> {
    let (_, body) = support::request(scrape, "GET", "/metrics").ok()?;
    body.lines().find(|l| l.starts_with("queue_depth{")).map(str::to_string)
}

#[test]
fn a_configmap_update_reaches_the_running_agent_and_a_broken_one_changes_nothing() {
    pod_env();
    let work = tempfile::tempdir().unwrap();
    let (original, otlp_http, scrape) = agent_config_on_free_ports();
    let mut volume = ConfigMapVolume::create(&work.path().join("etc-solder"), &original);
    let agent = Agent::start(&[&volume.dir.display().to_string()]);
    agent.wait_for("the first load", || agent.get("/-/ready").0 == 200);
    let status = agent.json("/api/v0/web/status");
    assert_eq!(status["lastReload"]["success"], true, "{status}");
    let expose = agent.component("prometheus.expose.default");
    assert_eq!(expose["arguments"]["const_labels"]["k8s_node_name"], "node-1", "sys.env reads the downward API: {expose}");
    let receiver = agent.component("otelcol.receiver.otlp.default");
    send_gauge(&otlp_http);
    agent.wait_for("the application's gauge on the scrape endpoint", || queue_depth(&scrape).is_some());
    let series = queue_depth(&scrape).unwrap();
    for label in [r#"k8s_node_name="node-1""#, r#"k8s_pod_name="solder-x7k2p""#, r#"k8s_namespace_name="solder""#] {
        assert!(series.contains(label), "the downward API's values label every series: {series}");
    }

    // `solder run` starts its watcher just after the first load, so
    // /-/ready can answer a moment before the watcher is in place, and an
    // update in that moment waits for the next one. A kubelet update comes
    // far later than that; here, repeat a comment-only update until the
    // agent has seen one.
    let mut polls = 0;
    agent.wait_for("the watcher to see an update", || {
        if polls % 25 == 0 {
            volume.update(&format!("{original}// update {polls}\n"));
        }
        polls += 1;
        agent.json("/api/v0/web/status")["lastReload"]["trigger"] == "file"
    });

    // An edit: a new label on every series, and a new component.
    let edited = original.replace("\"k8s_pod_name\"       = sys.env(\"POD_NAME\"),", "\"k8s_pod_name\"       = sys.env(\"POD_NAME\"),\n\t\t\"cluster\"            = \"edited\",")
        + "\notelcol.exporter.debug \"edited\" { }\n";
    assert!(edited.contains("\"cluster\""), "the edit applies to the ConfigMap's config");
    volume.update(&edited);
    agent.wait_for("the edited config", || agent.json("/api/v0/web/status")["lastReload"]["changes"]["added"] == serde_json::json!(["otelcol.exporter.debug.edited"]));
    let status = agent.json("/api/v0/web/status");
    assert_eq!(status["lastReload"]["trigger"], "file", "the watcher saw the ..data swap: {status}");
    assert_eq!(status["lastReload"]["changes"]["updated"], serde_json::json!(["prometheus.expose.default"]), "{status}");
    assert_eq!(agent.component("prometheus.expose.default")["arguments"]["const_labels"]["cluster"], "edited");
    agent.wait_for("the new label on the kept series", || queue_depth(&scrape).is_some_and(|l| l.contains(r#"cluster="edited""#)));
    let after = agent.component("otelcol.receiver.otlp.default");
    assert_eq!((&after["instance"], &after["startedTime"]), (&receiver["instance"], &receiver["startedTime"]), "the receiver kept running untouched");
    let components = agent.json("/api/v0/web/components");

    // A broken edit: the running graph stays exactly as it was.
    let broken = edited.replace("metrics_flush_interval = \"15s\"", "metrics_flush_interval = \"15s\" \"30s\"");
    assert_ne!(broken, edited);
    volume.update(&broken);
    agent.wait_for("the failed reload", || agent.json("/api/v0/web/status")["lastReload"]["success"] == false);
    let status = agent.json("/api/v0/web/status");
    let rendered = status["lastReload"]["diagnostics"][0]["rendered"].as_str().unwrap_or_default().to_string();
    assert!(rendered.contains("config.alloy"), "the failure names the file: {status}");
    assert_eq!(agent.json("/api/v0/web/components"), components, "the old graph keeps running");
    assert_eq!(agent.get("/-/ready").0, 200, "still ready: the old config serves");
    let (_, metrics) = agent.get("/metrics");
    assert!(metrics.contains("solder_config_last_load_successful 0\n"), "{metrics}");

    // The fix.
    volume.update(&original);
    agent.wait_for("the fixed config", || agent.json("/api/v0/web/status")["lastReload"]["success"] == true);
    let status = agent.json("/api/v0/web/status");
    assert_eq!(status["lastReload"]["changes"]["removed"], serde_json::json!(["otelcol.exporter.debug.edited"]), "{status}");
    let (_, metrics) = agent.get("/metrics");
    assert!(metrics.contains("solder_config_last_load_successful 1\n"), "{metrics}");
    let entries: BTreeSet<String> = std::fs::read_dir(&volume.dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(entries, BTreeSet::from(["..data".into(), "config.alloy".into(), volume.current.clone()]), "the kubelet's layout, old data removed");
}
