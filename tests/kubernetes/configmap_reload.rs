//! A running agent follows a ConfigMap update made exactly as the kubelet
//! makes it (a `..data` symlink swap), and a broken update leaves the
//! running graph as it was.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::configs::configmap_configs;
use crate::environment::{kube_api, pod_env};
use crate::support::{self, Agent};

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

    // From the API, the agent reads its own node's pods and nothing else:
    // no other resource, and no pod without the node's field selector.
    let api = kube_api();
    agent.wait_for("the agent to watch its node's pods", || api.requests().iter().any(|r| r.starts_with("/api/v1/pods?") && r.contains("watch=true")));
    for request in api.requests() {
        assert!(request.starts_with("/api/v1/pods?") && request.contains("fieldSelector=spec.nodeName%3Dnode-1"), "{request}");
    }
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
    let edited = original.replace(
        "\"k8s_pod_name\"       = sys.env(\"POD_NAME\"),",
        "\"k8s_pod_name\"       = sys.env(\"POD_NAME\"),\n\t\t\"cluster\"            = \"edited\",",
    ) + "\notelcol.exporter.debug \"edited\" { }\n";
    assert!(edited.contains("\"cluster\""), "the edit applies to the ConfigMap's config");
    volume.update(&edited);
    agent.wait_for("the edited config", || {
        agent.json("/api/v0/web/status")["lastReload"]["changes"]["added"] == serde_json::json!(["otelcol.exporter.debug.edited"])
    });
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
