//! `prometheus.remote_write` survives `kill -9`: span metrics written to
//! its WAL while Prometheus is down reach Prometheus after the agent is
//! killed and started again on the same `--storage.path`. Prometheus and
//! Alloy would not send them: their WAL watchers start at the WAL's end.
//!
//! The real binary, `solder tools loadgen` over OTLP gRPC, and Debian's
//! Prometheus with its remote-write receiver. The calls counters Prometheus
//! ends up with must equal the spans loadgen was told were taken. The
//! counters are cumulative, so a sample sent twice would not inflate them
//! (the same timestamp and value is stored once): duplicates are checked
//! on the agent's side instead, as samples sent against samples replayed.

mod support;

use support::peers::{prometheus_binary, Prometheus};
use support::{free_port, loadgen, Agent};

fn pipeline(grpc: u16, prometheus: &str) -> String {
    format!(
        r#"otelcol.receiver.otlp "default" {{
	grpc {{
		endpoint = "127.0.0.1:{grpc}"
	}}
	output {{
		traces = [otelcol.connector.spanmetrics.default.input]
	}}
}}

otelcol.connector.spanmetrics "default" {{
	histogram {{
		explicit {{ }}
	}}
	metrics_flush_interval = "200ms"
	output {{
		metrics = [otelcol.exporter.prometheus.default.input]
	}}
}}

otelcol.exporter.prometheus "default" {{
	forward_to = [prometheus.remote_write.default.receiver]
}}

prometheus.remote_write "default" {{
	endpoint {{
		name = "prometheus"
		url  = "http://{prometheus}/api/v1/write"
		queue_config {{
			batch_send_deadline = "200ms"
			max_backoff         = "1s"
		}}
	}}
}}
"#
    )
}

const RW: &str = "prometheus.remote_write.default";

/// A number of the remote_write component's debug info: `wal.<field>` or
/// the endpoint's `<field>`.
fn debug(agent: &Agent, field: &str) -> u64 {
    let info = &agent.component(RW)["debugInfo"];
    let value = match field.strip_prefix("wal.") {
        Some(f) => &info["wal"][f],
        None => &info["endpoints"][0][field],
    };
    value.as_u64().unwrap_or_else(|| panic!("{field} is not a number in {info}"))
}

#[test]
fn span_metrics_acknowledged_before_a_kill_9_reach_prometheus_after_the_restart() {
    let prometheus = prometheus_binary();
    let storage = tempfile::tempdir().unwrap();
    let (grpc, prom_addr) = (free_port(), format!("127.0.0.1:{}", free_port()));
    let cfg = storage.path().join("pipeline.alloy");
    std::fs::write(&cfg, pipeline(grpc, &prom_addr)).unwrap();
    let data = storage.path().join("data");
    let cfg = cfg.display().to_string();

    // 1. Prometheus is down: everything waits in the WAL.
    let mut agent = Agent::start_with_storage(&[&cfg], &data);
    agent.wait_for("the pipeline to load", || agent.get("/-/ready").0 == 200);
    let spans = loadgen(&format!("127.0.0.1:{grpc}"), 2000, 2.0);
    assert!(spans > 0);
    // Two more flushes after the last span: the WAL holds the final counts.
    let records = debug(&agent, "wal.next_record");
    agent.wait_for("two flushes after the load", || debug(&agent, "wal.next_record") >= records + 2);
    let appended = debug(&agent, "samples_unsent");
    assert_eq!(debug(&agent, "samples_sent"), 0, "Prometheus is down");
    let wal_bytes = debug(&agent, "wal.bytes");
    agent.kill_9();

    // 2. The same storage, Prometheus up: the WAL is sent.
    let again = Agent::start_with_storage(&[&cfg], &data);
    let prom = Prometheus::start_on(&prometheus, "global:\n  scrape_interval: 1m\n", &prom_addr);
    again.wait_for("the replayed samples sent", || debug(&again, "samples_unsent") == 0 && debug(&again, "samples_sent") > 0);
    let replayed = debug(&again, "samples_replayed");
    let sent = debug(&again, "samples_sent");
    eprintln!(
        "{spans} spans; {appended} samples in the WAL at the kill ({wal_bytes} bytes, {:.1} bytes/sample); {replayed} replayed, {sent} sent",
        wal_bytes as f64 / appended as f64
    );
    assert!(replayed >= appended, "everything unsent at the kill is replayed: {replayed} < {appended}");
    assert_eq!(sent, replayed, "each replayed sample is sent once: {} duplicates", sent.saturating_sub(replayed));

    prom.wait_for("Prometheus's calls to equal the spans sent", || calls(&prom) == Some(spans));
    let rw = again.component(RW);
    assert_eq!(rw["health"]["state"], "healthy", "{rw}");
}

/// A sender that panics (`SOLDER_FAULT`, read by debug builds) is started
/// again: the endpoint does not go quiet for the rest of the process, and
/// the cumulative counters Prometheus ends up with still equal the spans.
#[test]
fn a_sender_that_panics_is_started_again() {
    let (prom, _dir, grpc, cfg) = prometheus_up();
    let agent = Agent::start_with_env(&[&cfg.display().to_string()], &[("SOLDER_FAULT", "prometheus.remote_write.send:1")]);
    agent.wait_for("the pipeline to load", || agent.get("/-/ready").0 == 200);
    let spans = loadgen(&format!("127.0.0.1:{grpc}"), 2000, 1.0);
    agent.wait_for("the sender to panic", || agent.logs().contains("fault injected at prometheus.remote_write.send"));
    prom.wait_for("Prometheus's calls to equal the spans sent", || calls(&prom) == Some(spans));
}

/// A file size limit (`prlimit --fsize`) stands in for a full disk under
/// the WAL: appends that cannot be written are refused with a log line and
/// a metric, the agent lives on, and once writes succeed again the
/// cumulative counters Prometheus ends up with equal the spans sent.
#[test]
fn a_full_disk_under_the_wal_refuses_and_recovers() {
    let (prom, dir, grpc, cfg) = prometheus_up();
    let (http, log) = (format!("127.0.0.1:{}", free_port()), dir.path().join("solder.log"));
    let mut agent = std::process::Command::new("prlimit")
        .arg("--fsize=131072")
        .arg(env!("CARGO_BIN_EXE_solder"))
        .args(["run", &cfg.display().to_string(), "--storage.path", &dir.path().join("data").display().to_string(), "--server.http.listen-addr", &http])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("prlimit (util-linux) runs the agent");
    let logs = || std::fs::read_to_string(&log).unwrap_or_default();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", grpc)).is_err() {
        assert!(started.elapsed().as_secs() < 20, "the agent did not listen:\n{}", logs());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let spans = loadgen(&format!("127.0.0.1:{grpc}"), 2000, 3.0);
    let failed = || support::request(&http, "GET", "/metrics").map(|(_, m)| metric(&m, "prometheus_tsdb_wal_writes_failed_total")).unwrap_or(0.0);
    prom.wait_for("a WAL write to fail at the file size limit", || failed() > 0.0);
    assert!(logs().contains("cannot write to the WAL") && logs().contains("File too large"), "{}", logs());
    assert!(agent.try_wait().unwrap().is_none(), "the agent died:\n{}", logs());
    prom.wait_for("Prometheus's calls to equal the spans sent", || calls(&prom) == Some(spans));
    let _ = agent.kill();
    let _ = agent.wait();
}

/// The value of an unlabelled-or-summed metric in an exposition.
fn metric(exposition: &str, name: &str) -> f64 {
    exposition.lines().filter(|l| l.starts_with(name) && !l.starts_with('#')).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

/// A running Prometheus and the pipeline's config written to send to it:
/// (Prometheus, the directory holding the config, the OTLP gRPC port, the
/// config's path).
fn prometheus_up() -> (Prometheus, tempfile::TempDir, u16, std::path::PathBuf) {
    let prom_addr = format!("127.0.0.1:{}", free_port());
    let prom = Prometheus::start_on(&prometheus_binary(), "global:\n  scrape_interval: 1m\n", &prom_addr);
    let dir = tempfile::tempdir().unwrap();
    let grpc = free_port();
    let cfg = dir.path().join("pipeline.alloy");
    std::fs::write(&cfg, pipeline(grpc, &prom_addr)).unwrap();
    (prom, dir, grpc, cfg)
}

/// The span-metrics calls Prometheus holds, summed over every series.
fn calls(prom: &Prometheus) -> Option<u64> {
    prom.query("sum(traces_span_metrics_calls_total)").first().map(|(_, v)| *v as u64)
}
