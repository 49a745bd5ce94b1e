//! `prometheus.scrape` end to end: the real solder binary scrapes a real
//! Prometheus (its own /metrics) and a real node exporter, and
//! `prometheus.remote_write` sends the samples to a second Prometheus. The
//! test asks that Prometheus what it stored: `up`, node series with the
//! configured job and instance, and, once the node exporter is stopped,
//! `up` 0 and its series stale (gone from instant queries at once, not
//! after Prometheus' 5-minute lookback). A second test relabels targets
//! and series on the way and asks what arrived.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use support::peers::{prometheus_binary, Prometheus};
use support::{free_port, request, Agent};

/// Debian's `prometheus-node-exporter`, which scripts/test.sh installs.
struct NodeExporter {
    child: Child,
    addr: String,
}

impl NodeExporter {
    fn start() -> NodeExporter {
        let binary = std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<PathBuf>>())
            .map(|d| d.join("prometheus-node-exporter"))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("no prometheus-node-exporter on PATH: scripts/test.sh installs Debian's package"));
        let addr = format!("127.0.0.1:{}", free_port());
        let child = Command::new(binary).arg(format!("--web.listen-address={addr}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let n = NodeExporter { child, addr };
        let start = std::time::Instant::now();
        while !request(&n.addr, "GET", "/metrics").is_ok_and(|(c, _)| c == 200) {
            assert!(start.elapsed().as_secs() < 30, "node exporter did not start");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        n
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NodeExporter {
    fn drop(&mut self) {
        self.stop();
    }
}

fn config(prometheus: &str, node: &str, receiver: &str) -> String {
    format!(
        r#"prometheus.scrape "default" {{
	targets = [
		{{"__address__" = "{prometheus}"}},
		{{"__address__" = "{node}", "job" = "node", "instance" = "node-1"}},
	]
	forward_to      = [prometheus.remote_write.default.receiver]
	scrape_interval = "1s"
	scrape_timeout  = "900ms"
}}

prometheus.remote_write "default" {{
	endpoint {{
		url = "http://{receiver}/api/v1/write"
		queue_config {{
			batch_send_deadline = "200ms"
		}}
	}}
}}
"#
    )
}

const NO_JOBS: &str = "global:\n  scrape_interval: 1h\nscrape_configs: []\n";

#[test]
fn scrapes_prometheus_and_node_exporter_into_prometheus() {
    let binary = prometheus_binary();
    let target = Prometheus::start(&binary, NO_JOBS);
    let receiver = Prometheus::start(&binary, NO_JOBS);
    let mut node = NodeExporter::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.alloy");
    std::fs::write(&cfg, config(&target.addr, &node.addr, &receiver.addr)).unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);

    let value = |q: &str| receiver.query(q).first().map(|(_, v)| *v);
    receiver.wait_for("node exporter up", || value(r#"up{job="node",instance="node-1"}"#) == Some(1.0));
    let own = format!(r#"up{{job="prometheus.scrape.default",instance="{}"}}"#, target.addr);
    receiver.wait_for("prometheus up", || value(&own) == Some(1.0));
    // Series of both targets arrived, labelled as configured.
    let cpu = receiver.query(r#"node_cpu_seconds_total{mode="idle"}"#);
    assert!(!cpu.is_empty(), "no node_cpu_seconds_total");
    for (labels, _) in &cpu {
        assert_eq!((labels["job"].as_str(), labels["instance"].as_str()), (Some("node"), Some("node-1")), "{labels:?}");
    }
    let heads = receiver.query(&format!(r#"prometheus_tsdb_head_series{{instance="{}"}}"#, target.addr));
    assert_eq!(heads.len(), 1, "prometheus' own series: {heads:?}");
    assert!(value(r#"scrape_samples_scraped{job="node"}"#).is_some_and(|n| n > 100.0));

    // The node exporter stops: `up` drops to 0 and its series are marked
    // stale, so an instant query finds none at once.
    node.stop();
    receiver.wait_for("node exporter down", || value(r#"up{job="node",instance="node-1"}"#) == Some(0.0));
    receiver.wait_for("node series stale", || receiver.query(r#"node_cpu_seconds_total{job="node"}"#).is_empty());
    assert_eq!(value(&own), Some(1.0), "the other target is still up");
    // Debug info says why.
    let info = agent.component("prometheus.scrape.default").to_string();
    assert!(info.contains("down") && info.contains("node-1"), "{info}");
}

/// Targets relabelled by `discovery.relabel` and series by
/// `prometheus.relabel` arrive in a real Prometheus exactly as configured:
/// a label added to the target, a label renamed and a metric family dropped
/// by the series rules, the rest untouched.
#[test]
fn relabelled_labels_and_dropped_metrics_arrive_as_configured() {
    let binary = prometheus_binary();
    let receiver = Prometheus::start(&binary, NO_JOBS);
    let node = NodeExporter::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.alloy");
    let config = format!(
        r#"discovery.relabel "nodes" {{
	targets = [{{"__address__" = "{node}", "__meta_zone" = "eu-1"}}]

	rule {{
		source_labels = ["__meta_zone"]
		target_label  = "zone"
	}}
}}

prometheus.scrape "nodes" {{
	targets         = discovery.relabel.nodes.output
	forward_to      = [prometheus.relabel.nodes.receiver]
	job_name        = "node"
	scrape_interval = "1s"
	scrape_timeout  = "900ms"
}}

prometheus.relabel "nodes" {{
	forward_to = [prometheus.remote_write.default.receiver]

	rule {{
		source_labels = ["__name__"]
		regex         = "go_.*"
		action        = "drop"
	}}

	rule {{
		source_labels = ["mode"]
		target_label  = "cpu_mode"
	}}

	rule {{
		regex  = "mode"
		action = "labeldrop"
	}}
}}

prometheus.remote_write "default" {{
	endpoint {{
		url = "http://{receiver}/api/v1/write"
		queue_config {{
			batch_send_deadline = "200ms"
		}}
	}}
}}
"#,
        node = node.addr,
        receiver = receiver.addr
    );
    std::fs::write(&cfg, config).unwrap();
    let _agent = Agent::start(&[&cfg.display().to_string()]);

    receiver.wait_for("relabelled node series", || !receiver.query(r#"node_cpu_seconds_total{job="node",zone="eu-1",cpu_mode="idle"}"#).is_empty());
    for (labels, _) in receiver.query(r#"node_cpu_seconds_total{job="node"}"#) {
        assert!(labels.get("mode").is_none(), "mode was renamed to cpu_mode: {labels:?}");
        assert_eq!(labels["zone"].as_str(), Some("eu-1"), "{labels:?}");
    }
    assert!(!receiver.query(r#"node_memory_MemTotal_bytes{job="node",zone="eu-1"}"#).is_empty(), "the rest arrives");
    assert!(receiver.query(r#"{__name__=~"go_.*",job="node"}"#).is_empty(), "go_* dropped");
    assert!(receiver.query(r#"{__name__=~"__meta_.*"}"#).is_empty());
    let up = receiver.query(r#"up{job="node",zone="eu-1"}"#);
    assert_eq!(up.first().map(|(_, v)| *v), Some(1.0), "up carries the target's labels: {up:?}");
}
