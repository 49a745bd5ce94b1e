//! `prometheus.relabel` and `discovery.relabel` in the real binary: span
//! metrics from the OpenTelemetry Python SDK's spans, relabelled on their
//! way to a scrape endpoint, and targets relabelled into an export.

mod support;

use support::peers::run_seed_app;

fn config(otlp: u16) -> String {
    format!(
        r#"
otelcol.receiver.otlp "in" {{
	grpc {{
		endpoint = "127.0.0.1:{otlp}"
	}}

	output {{
		traces = [otelcol.connector.spanmetrics.m.input]
	}}
}}

otelcol.connector.spanmetrics "m" {{
	metrics_flush_interval = "1s"

	histogram {{
		explicit {{ }}
	}}

	output {{
		metrics = [otelcol.exporter.prometheus.p.input]
	}}
}}

otelcol.exporter.prometheus "p" {{
	forward_to = [prometheus.relabel.r.receiver]
}}

prometheus.relabel "r" {{
	forward_to = [prometheus.expose.e.receiver]

	rule {{
		source_labels = ["service_name"]
		target_label  = "svc"
	}}

	rule {{
		regex  = "service_name"
		action = "labeldrop"
	}}

	rule {{
		source_labels = ["__name__"]
		regex         = ".*duration.*"
		action        = "drop"
	}}

	rule {{
		source_labels = ["__name__"]
		regex         = ".*_calls_total"
		target_label  = "__name__"
		replacement   = "relabelled_calls_total"
	}}
}}

prometheus.expose "e" {{
	listen_address = "127.0.0.1:0"
}}

discovery.relabel "d" {{
	targets = [
		{{ "__address__" = "10.0.0.7:8080", "__meta_kubernetes_namespace" = "shop" }},
		{{ "__address__" = "10.0.0.8:8080", "__meta_kubernetes_namespace" = "kube-system" }},
	]

	rule {{
		source_labels = ["__meta_kubernetes_namespace"]
		regex         = "kube-system"
		action        = "drop"
	}}

	rule {{
		source_labels = ["__address__"]
		target_label  = "shard"
		modulus       = 8
		action        = "hashmod"
	}}
}}
"#
    )
}

#[test]
fn span_metrics_are_relabelled_before_the_scrape_and_targets_in_the_export() {
    let python = support::python();
    let dir = tempfile::tempdir().unwrap();
    let otlp = support::free_port();
    let path = dir.path().join("relabel.alloy");
    std::fs::write(&path, config(otlp)).unwrap();
    let agent = support::Agent::start(&[&path.display().to_string()]);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);

    let d = agent.component("discovery.relabel.d");
    // The last 8 bytes of MD5("10.0.0.7:8080") are 6 modulo 8 (Python's
    // hashlib agrees): the shard Prometheus picks.
    assert_eq!(d["exports"]["output"], serde_json::json!([{ "__address__": "10.0.0.7:8080", "__meta_kubernetes_namespace": "shop", "shard": "6" }]), "{d}");

    let record = dir.path().join("app.jsonl");
    let status = run_seed_app(&python, "grpc", &format!("http://127.0.0.1:{otlp}"), &record, 3);
    assert!(status.success(), "seed app failed; solder logs:\n{}", agent.logs());
    let addr = || agent.component("prometheus.expose.e")["debugInfo"]["listening"].as_str().unwrap_or_default().to_string();
    let scrape = || support::send(&addr(), "GET", "/metrics", &[], b"").map(|(_, _, body)| String::from_utf8_lossy(&body).into_owned()).unwrap_or_default();
    agent.wait_for("relabelled calls at the scrape endpoint", || scrape().contains("relabelled_calls_total{"));
    let text = scrape();
    assert!(text.lines().any(|l| l.starts_with("relabelled_calls_total{") && l.contains("svc=\"")), "{text}");
    assert!(!text.contains("service_name="), "labeldrop: {text}");
    assert!(!text.contains("duration"), "dropped by name: {text}");
    assert!(!text.contains("span_metrics_calls_total"), "renamed: {text}");
    let r = agent.component("prometheus.relabel.r");
    assert!(r["debugInfo"]["series_processed"].as_u64() > r["debugInfo"]["series_written"].as_u64(), "{r}");
}
