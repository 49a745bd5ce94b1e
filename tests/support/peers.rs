//! The real peers end-to-end tests talk to: the grpcio sink standing in
//! for Jaeger, seed 002's app on the OpenTelemetry Python SDK, and a
//! Prometheus server from Debian's package.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::free_port;

/// Where the Python peers' scripts live.
pub fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e")
}

/// Reads a JSON-lines record, skipping a line still being written.
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// The OTLP sink; every span it takes is a line in `record`.
pub struct Sink {
    child: Child,
    /// OTLP gRPC, as Jaeger takes it.
    pub port: u16,
    /// OTLP/HTTP protobuf on `/v1/traces`, as Tempo takes it.
    pub http_port: u16,
    pub record: PathBuf,
}

impl Sink {
    /// The calls the sink refused (UNAVAILABLE), one record each.
    pub fn refusals(&self) -> Vec<Value> {
        read_jsonl(&self.record.with_extension("jsonl.refused"))
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the sink; it answers UNAVAILABLE to its first `fail_first` calls.
pub fn start_sink(python: &Path, dir: &Path, fail_first: u32) -> Sink {
    spawn_sink(python, dir, fail_first, &[])
}

/// A sink whose gRPC calls must carry exactly this `authorization`.
pub fn start_sink_requiring(python: &Path, dir: &Path, authorization: &str) -> Sink {
    spawn_sink(python, dir, 0, &[("SINK_REQUIRE_AUTHORIZATION", authorization)])
}

fn spawn_sink(python: &Path, dir: &Path, fail_first: u32, env: &[(&str, &str)]) -> Sink {
    let (port, http_port) = (free_port(), free_port());
    let record = dir.join(format!("sink-{port}.jsonl"));
    let mut child = Command::new(python)
        .arg(e2e_dir().join("sink.py"))
        .args([port.to_string(), record.display().to_string(), fail_first.to_string(), http_port.to_string()])
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "sink did not start");
    Sink { child, port, http_port, record }
}

/// Runs seed 002's app (`iterations` × foo → goo, zoo; every 5th goo
/// fails) against `endpoint`, recording every span it made in `record`.
pub fn run_seed_app(python: &Path, protocol: &str, endpoint: &str, record: &Path, iterations: u32) -> std::process::ExitStatus {
    run_seed_app_with_env(python, protocol, endpoint, record, iterations, &[])
}

/// As [`run_seed_app`], with the SDK configured by environment variables
/// (`OTEL_EXPORTER_OTLP_COMPRESSION`, ...), as users configure it.
pub fn run_seed_app_with_env(python: &Path, protocol: &str, endpoint: &str, record: &Path, iterations: u32, env: &[(&str, &str)]) -> std::process::ExitStatus {
    Command::new(python)
        .arg(e2e_dir().join("seed_app.py"))
        .args([protocol, endpoint, &record.display().to_string(), &iterations.to_string()])
        .envs(env.iter().copied())
        .status()
        .unwrap()
}

/// A Prometheus server on loopback with exemplar storage and the
/// remote-write receiver on, scraping what its config names.
pub struct Prometheus {
    child: Child,
    pub addr: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `prometheus` binary from Debian's package, which scripts/test.sh
/// installs. A test that needs it fails when it is missing: it never skips.
pub fn prometheus_binary() -> PathBuf {
    let found =
        std::env::var_os("PATH").into_iter().flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).map(|d| d.join("prometheus")).find(|p| p.is_file());
    found.unwrap_or_else(|| panic!("no prometheus server on PATH: scripts/test.sh installs Debian's prometheus package"))
}

impl Prometheus {
    /// Starts Prometheus with `config` (prometheus.yml text) and waits
    /// until it is ready.
    pub fn start(binary: &Path, config: &str) -> Prometheus {
        Prometheus::start_on(binary, config, &format!("127.0.0.1:{}", free_port()))
    }

    /// As [`Prometheus::start`], on an address chosen before, which a
    /// config may already name while Prometheus is down.
    pub fn start_on(binary: &Path, config: &str, addr: &str) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("prometheus.yml");
        std::fs::write(&cfg, config).unwrap();
        let addr = addr.to_string();
        let log = dir.path().join("prometheus.log");
        let child = Command::new(binary)
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address={addr}"))
            .args(["--enable-feature=exemplar-storage", "--web.enable-remote-write-receiver", "--log.level=warn"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let p = Prometheus { child, addr, log, _dir: dir };
        p.wait_for("prometheus to be ready", || super::request(&p.addr, "GET", "/-/ready").is_ok_and(|(code, _)| code == 200));
        p
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// GET on the HTTP API; returns `data` of a successful answer.
    pub fn api(&self, path_and_query: &str) -> Value {
        let (code, body) = super::request(&self.addr, "GET", path_and_query).unwrap_or_else(|e| panic!("GET {path_and_query}: {e}\n{}", self.logs()));
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path_and_query}: {e}: {body}"));
        assert_eq!((code, v["status"].as_str()), (200, Some("success")), "GET {path_and_query}: {body}");
        v["data"].clone()
    }

    /// An instant PromQL query: each result's labels and value.
    pub fn query(&self, promql: &str) -> Vec<(serde_json::Map<String, Value>, f64)> {
        let data = self.api(&format!("/api/v1/query?query={}", url_encode(promql)));
        data["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                let labels = r["metric"].as_object().cloned().unwrap_or_default();
                let value = r["value"][1].as_str().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
                (labels, value)
            })
            .collect()
    }

    /// Polls until `done` holds, with a generous deadline: Prometheus
    /// scrapes and appends on its own schedule.
    pub fn wait_for(&self, what: &str, mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if done() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("timed out waiting for {what}\nprometheus logs:\n{}", self.logs());
    }
}

/// Percent-encodes a query parameter.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
