//! `solder convert --source-format=otelcol` as a user runs it, driven by the
//! files in tests/convert: for each `NAME.yaml`,
//! - `NAME.alloy` is the expected output (the conversion must succeed);
//!   without one, the conversion must fail and print nothing;
//! - `NAME.diags` is the expected stderr (rendered diagnostics, plain);
//!   without one, stderr must be empty;
//! - `NAME.args`, if present, holds extra arguments (`--bypass-errors`).
//!
//! Every expected `.alloy` must also pass `solder validate`, format to
//! itself, and come out the same from a second conversion. Run with
//! `SOLDER_BLESS=1` to write the expected files from the current output.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/convert")
}

fn solder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_solder")).current_dir(dir()).args(args).output().expect("run solder")
}

/// Every case, as a path relative to tests/convert without `.yaml`.
fn cases() -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["", "seeds"] {
        let Ok(entries) = std::fs::read_dir(dir().join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "yaml") {
                let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                out.push(if sub.is_empty() { stem } else { format!("{sub}/{stem}") });
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn convert(case: &str) -> Outcome {
    let extra = read(&dir().join(format!("{case}.args"))).unwrap_or_default();
    let yaml = format!("{case}.yaml");
    let mut args = vec!["convert", "--source-format=otelcol"];
    args.extend(extra.split_whitespace());
    args.push(&yaml);
    let out = solder(&args);
    Outcome { code: out.status.code(), stdout: String::from_utf8_lossy(&out.stdout).into_owned(), stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

#[test]
fn golden_conversions() {
    let bless = std::env::var_os("SOLDER_BLESS").is_some();
    let cases = cases();
    assert!(cases.len() >= 25, "only {} cases in tests/convert", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let got = convert(case);
        let alloy_path = dir().join(format!("{case}.alloy"));
        let diags_path = dir().join(format!("{case}.diags"));
        if bless {
            bless_file(&alloy_path, (got.code == Some(0)).then_some(&got.stdout));
            bless_file(&diags_path, (!got.stderr.is_empty()).then_some(&got.stderr));
            continue;
        }
        let want_alloy = read(&alloy_path);
        let want_diags = read(&diags_path).unwrap_or_default();
        let want_code = if want_alloy.is_some() { 0 } else { 1 };
        if got.code != Some(want_code) {
            failures.push(format!("{case}: exit {:?}, want {want_code}\n{}", got.code, got.stderr));
            continue;
        }
        if got.stdout != want_alloy.clone().unwrap_or_default() {
            failures.push(format!("{case}: output differs\n--- want\n{}\n--- got\n{}", want_alloy.unwrap_or_default(), got.stdout));
        }
        if got.stderr != want_diags {
            failures.push(format!("{case}: diagnostics differ\n--- want\n{want_diags}\n--- got\n{}", got.stderr));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), cases.len(), failures.join("\n\n"));
}

fn bless_file(path: &Path, content: Option<&String>) {
    match content {
        Some(text) => std::fs::write(path, text).expect("write expected file"),
        None => {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The same YAML converts to the same bytes every time, and the output is
/// already in `solder fmt`'s canonical form.
#[test]
fn conversions_are_stable_and_formatted() {
    for case in cases() {
        let Some(expected) = read(&dir().join(format!("{case}.alloy"))) else {
            continue;
        };
        let again = convert(&case);
        assert_eq!(again.stdout, expected, "{case}: a second conversion differs");
        let fmt = solder(&["fmt", &format!("{case}.alloy")]);
        assert_eq!(String::from_utf8_lossy(&fmt.stdout), expected, "{case}: solder fmt changes the output");
    }
}

/// Every expected output is a config Solder runs: `solder validate` loads
/// it and trial-builds every component.
#[test]
fn every_expected_output_validates() {
    let mut failures = Vec::new();
    for case in cases() {
        let path = format!("{case}.alloy");
        if read(&dir().join(&path)).is_none() {
            continue;
        }
        // The variables env_vars.yaml reads, so its numbers and bools parse.
        let out = Command::new(env!("CARGO_BIN_EXE_solder"))
            .current_dir(dir())
            .args(["validate", &path])
            .envs([("OTLP_GRPC_ENDPOINT", "127.0.0.1:4317"), ("HTTP_PORT", "4318"), ("BATCH_SIZE", "100"), ("JAEGER_HOST", "localhost"), ("API_TOKEN", "t")])
            .output()
            .expect("run solder validate");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.status.code() != Some(0) {
            failures.push(format!("{case}:\n{stderr}"));
        }
    }
    assert!(failures.is_empty(), "converted configs that do not validate:\n{}", failures.join("\n"));
}

/// Without `-o` the config goes to stdout; with it, to the file, and only
/// when the conversion succeeded (or errors are bypassed).
#[test]
fn output_file_is_written_only_on_success() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.alloy");
    let o = out.display().to_string();
    let ok = solder(&["convert", "--source-format=otelcol", "-o", &o, "batch.yaml"]);
    assert_eq!(ok.status.code(), Some(0));
    assert!(ok.stdout.is_empty());
    assert_eq!(read(&out), read(&dir().join("batch.alloy")));

    std::fs::remove_file(&out).unwrap();
    let failed = solder(&["convert", "--source-format=otelcol", "-o", &o, "unsupported_components.yaml"]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(!out.exists(), "nothing written when the conversion fails");

    let bypassed = solder(&["convert", "--source-format=otelcol", "--bypass-errors", "-o", &o, "unsupported_components.yaml"]);
    assert_eq!(bypassed.status.code(), Some(0));
    assert!(read(&out).is_some_and(|t| t.contains("otelcol.processor.batch")));
    assert!(String::from_utf8_lossy(&bypassed.stderr).contains("unsupported processor \"memory_limiter\""), "errors still printed");
}

#[test]
fn reads_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_solder"))
        .args(["convert", "-f", "otelcol", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let yaml = read(&dir().join("batch.yaml")).unwrap();
    child.stdin.take().unwrap().write_all(yaml.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(Some(String::from_utf8_lossy(&out.stdout).into_owned()), read(&dir().join("batch.alloy")));
}

// ---------------------------------------------------------------------------
// The seeds' collector configs, run directly with --config.format=otelcol:
// spans pushed in arrive at a sink standing in for Jaeger or Tempo (another
// Solder, counting what it accepts) exactly once each, and span metrics
// appear on the prometheus.expose endpoint. Ports are rewritten to free ones.

use support::{free_port, Agent};

/// A Solder that accepts OTLP on gRPC and HTTP and counts spans.
struct Sink {
    agent: Agent,
    grpc: u16,
    http: u16,
    _dir: tempfile::TempDir,
}

impl Sink {
    fn start() -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let (grpc, http) = (free_port(), free_port());
        let cfg = dir.path().join("sink.alloy");
        std::fs::write(
            &cfg,
            format!(
                "otelcol.receiver.otlp \"sink\" {{\n\tgrpc {{\n\t\tendpoint = \"127.0.0.1:{grpc}\"\n\t}}\n\thttp {{\n\t\tendpoint = \"127.0.0.1:{http}\"\n\t}}\n\toutput {{\n\t\ttraces = [otelcol.exporter.debug.sink.input]\n\t}}\n}}\n\notelcol.exporter.debug \"sink\" {{ }}\n"
            ),
        )
        .unwrap();
        let agent = Agent::start(&[&cfg.display().to_string()]);
        agent.wait_for("the sink to load", || agent.get("/-/ready").0 == 200);
        Sink { agent, grpc, http, _dir: dir }
    }

    /// Spans accepted so far, over both transports.
    fn spans(&self) -> f64 {
        metric_sum(&self.agent.get("/metrics").1, "otelcol_receiver_accepted_spans_total{")
    }
}

/// Waits until `exporter`, on the agent under test, has answered for all
/// `sent` spans, then checks the balance: the receiver acknowledged `sent`,
/// the exporter delivered every one and dropped none, and the sink accepted
/// exactly `sent` (a duplicate delivery shows here).
fn assert_delivered(agent: &Agent, exporter: &str, sink: &Sink, sent: f64) {
    let of_exporter = |name: &str| metric_sum(&agent.get("/metrics").1, &format!("{name}{{component_id=\"{exporter}\""));
    let dropped = || of_exporter("otelcol_exporter_send_failed_spans_total") + of_exporter("otelcol_exporter_enqueue_failed_spans_total");
    agent.wait_for(&format!("{exporter} to answer for every span"), || of_exporter("otelcol_exporter_sent_spans_total") + dropped() >= sent);
    assert_eq!(metric_sum(&agent.get("/metrics").1, "otelcol_receiver_accepted_spans_total{"), sent, "acknowledged by the receiver");
    assert_eq!(of_exporter("otelcol_exporter_sent_spans_total"), sent, "delivered by {exporter}");
    assert_eq!(dropped(), 0.0, "dropped by {exporter}");
    assert_eq!(sink.spans(), sent, "accepted by the sink, each span once");
}

/// The sum of every sample of the series whose lines start with `prefix`.
fn metric_sum(text: &str, prefix: &str) -> f64 {
    text.lines().filter(|l| l.starts_with(prefix)).filter_map(|l| l.split_once("} ")?.1.split_whitespace().next()?.parse::<f64>().ok()).sum()
}

/// Copies a seed with its addresses rewritten and starts `solder run` on it.
fn run_seed(seed: &str, rewrites: &[(&str, String)], extra: &[&str]) -> (Agent, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = read(&dir_path(seed)).unwrap();
    for (from, to) in rewrites {
        assert!(yaml.contains(from), "{seed} has no {from:?}");
        yaml = yaml.replace(from, to);
    }
    let path = dir.path().join("collector.yaml");
    std::fs::write(&path, yaml).unwrap();
    let p = path.display().to_string();
    let mut args = vec!["--config.format=otelcol"];
    args.extend_from_slice(extra);
    args.push(&p);
    let agent = Agent::start(&args);
    (agent, dir)
}

fn dir_path(seed: &str) -> PathBuf {
    dir().join("seeds").join(seed)
}

/// Sends spans with `solder tools loadgen`; returns how many were accepted.
fn loadgen(grpc: u16) -> f64 {
    let out = Command::new(env!("CARGO_BIN_EXE_solder"))
        .args([
            "tools",
            "loadgen",
            "--endpoint",
            &format!("127.0.0.1:{grpc}"),
            "--rate",
            "500",
            "--duration",
            "1",
            "--spans-per-request",
            "25",
            "--connections",
            "1",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let summary: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("loadgen printed {text:?}: {e}"));
    assert_eq!(summary["errors"], 0, "{summary}");
    let spans = summary["spans"].as_f64().unwrap_or_default();
    assert!(spans > 0.0, "{summary}");
    spans
}

fn scrape(port: u16) -> String {
    support::send(&format!("127.0.0.1:{port}"), "GET", "/metrics", &[("Accept", "application/openmetrics-text; version=1.0.0")], b"")
        .map(|(_, _, body)| String::from_utf8_lossy(&body).into_owned())
        .unwrap_or_default()
}

/// Seed 000, whole: OTLP in, batch, Jaeger, debug and span metrics with the
/// `otel_collector` namespace on the Prometheus endpoint, and its
/// prometheus receiver scraping a collector's own metrics (here the sink's,
/// as the seed scrapes the collector's :8888) into the same endpoint.
#[test]
fn seed_000_runs_whole_with_span_metrics_and_scraped_metrics_on_the_prometheus_endpoint() {
    let sink = Sink::start();
    let (grpc, http, expose) = (free_port(), free_port(), free_port());
    let rewrites = [
        ("0.0.0.0:4317", format!("127.0.0.1:{grpc}")),
        ("0.0.0.0:4318", format!("127.0.0.1:{http}")),
        ("jaeger:4317", format!("127.0.0.1:{}", sink.grpc)),
        ("0.0.0.0:9464", format!("127.0.0.1:{expose}")),
        ("0.0.0.0:8888", sink.agent.addr.clone()),
        ("scrape_interval: 10s", "scrape_interval: 1s".to_string()),
        ("namespace: span.metrics", "namespace: span.metrics\n    metrics_flush_interval: 200ms".to_string()),
    ];
    let (agent, _dir) = run_seed("000.yaml", &rewrites, &[]);
    agent.wait_for("the converted config to load", || agent.get("/-/ready").0 == 200);

    let sent = loadgen(grpc);
    assert_delivered(&agent, "otelcol.exporter.otlp.jaeger", &sink, sent);
    agent.wait_for("span metrics counting every span", || metric_sum(&scrape(expose), "otel_collector_span_metrics_calls_total{") == sent);
    let text = scrape(expose);
    assert!(text.contains("otel_collector_span_metrics_duration_milliseconds_bucket{"), "{text}");
    // The scraped sink counted the same spans; its series arrive through
    // otelcol.receiver.prometheus with the scrape job as their job.
    let scraped = |text: &str| {
        text.lines().any(|l| {
            l.starts_with("otel_collector_otelcol_receiver_accepted_spans_total{") && l.contains("job=\"otel-collector\"") && l.ends_with(&format!(" {sent}"))
        })
    };
    agent.wait_for("the sink's own metrics, scraped", || scraped(&scrape(expose)));
    assert!(scrape(expose).lines().any(|l| l.starts_with("otel_collector_up{") && l.contains("job=\"otel-collector\"")), "{}", scrape(expose));
}

/// Seed 004: span metrics with exemplars and explicit buckets on the
/// Prometheus endpoint, traces over OTLP/HTTP to the Tempo stand-in.
#[test]
fn seed_004_runs_with_exemplars_and_otlp_http() {
    let sink = Sink::start();
    let (grpc, http, expose) = (free_port(), free_port(), free_port());
    let rewrites = [
        ("0.0.0.0:4319", format!("127.0.0.1:{grpc}")),
        ("0.0.0.0:4320", format!("127.0.0.1:{http}")),
        ("http://localhost:4318", format!("http://127.0.0.1:{}", sink.http)),
        ("0.0.0.0:9464", format!("127.0.0.1:{expose}")),
        ("  spanmetrics:\n", "  spanmetrics:\n    metrics_flush_interval: 200ms\n".to_string()),
        ("verbosity: detailed", "verbosity: basic".to_string()),
    ];
    let (agent, _dir) = run_seed("004.yaml", &rewrites, &[]);
    agent.wait_for("the converted config to load", || agent.get("/-/ready").0 == 200);

    let sent = loadgen(grpc);
    assert_delivered(&agent, "otelcol.exporter.otlphttp.tempo", &sink, sent);
    agent.wait_for("span metrics counting every span", || metric_sum(&scrape(expose), "traces_span_metrics_calls_total{") == sent);
    let text = scrape(expose);
    assert!(text.contains("traces_span_metrics_duration_milliseconds_bucket{"), "{text}");
    assert!(text.contains("le=\"500.0\"") || text.contains("le=\"500\""), "the seed's explicit buckets: {text}");
    assert!(text.lines().any(|l| l.starts_with("traces_span_metrics_duration_milliseconds_bucket{") && l.contains("# {trace_id=\"")), "exemplars: {text}");
}

/// Seed 002 as printed does not convert: `solder run` keeps the agent up,
/// not ready, with the errors in the log and the status API. Repairing the
/// YAML in place is picked up by the file watcher, and the Python SDK app of
/// the seed then reaches the sink.
#[test]
fn seed_002_reports_its_errors_then_runs_once_repaired() {
    let sink = Sink::start();
    let grpc = free_port();
    let (agent, dir) = run_seed("002.yaml", &[], &[]);
    agent.wait_for("the failed load", || agent.json("/api/v0/web/status")["lastReload"]["success"] == false);
    let status = agent.json("/api/v0/web/status");
    let error = status["lastReload"]["error"].as_str().unwrap_or_default().to_string();
    assert!(error.contains("collector.yaml:18:7"), "errors point into the YAML: {error}");
    assert!(error.contains("must have at least one receiver"), "{error}");
    assert!(error.contains("unknown pipeline type \"receivers\""), "every error is in the report: {error}");
    assert_ne!(agent.get("/-/ready").0, 200);

    let fixed = read(&dir_path("002-fixed.yaml"))
        .unwrap()
        .replace("0.0.0.0:4317", &format!("127.0.0.1:{grpc}"))
        .replace("jaeger:4317", &format!("127.0.0.1:{}", sink.grpc));
    support::replace_file(&dir.path().join("collector.yaml"), &fixed);
    agent.wait_for("the repaired YAML to load", || agent.get("/-/ready").0 == 200);

    let record = dir.path().join("app.jsonl");
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/seed_app.py");
    let status =
        Command::new(support::python()).arg(app).args(["grpc", &format!("http://127.0.0.1:{grpc}"), &record.display().to_string(), "20"]).status().unwrap();
    assert!(status.success(), "seed app failed; solder logs:\n{}", agent.logs());
    let sent = 60.0;
    assert_delivered(&agent, "otelcol.exporter.otlp.jaeger", &sink, sent);

    // Breaking the YAML again is seen by the watcher alone: reported in the
    // status, while the running pipeline stays up.
    let broken = read(&dir_path("002.yaml")).unwrap();
    support::replace_file(&dir.path().join("collector.yaml"), &broken);
    agent.wait_for("the broken edit to be reported", || agent.json("/api/v0/web/status")["lastReload"]["success"] == false);
    assert_eq!(agent.get("/-/ready").0, 200, "the repaired pipeline keeps running");
}

/// `--config.format=alloy` is the default, and can be said.
#[test]
fn config_format_alloy_runs_alloy() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.alloy");
    let port = free_port();
    std::fs::write(&cfg, format!("otelcol.receiver.otlp \"default\" {{\n\tgrpc {{\n\t\tendpoint = \"127.0.0.1:{port}\"\n\t}}\n\toutput {{ }}\n}}\n")).unwrap();
    let agent = Agent::start(&["--config.format=alloy", &cfg.display().to_string()]);
    agent.wait_for("the config to load", || agent.get("/-/ready").0 == 200);
    let refused = Command::new(env!("CARGO_BIN_EXE_solder")).args(["run", "--config.format=otelcol"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--config.format=otelcol needs the collector config file"));
}
