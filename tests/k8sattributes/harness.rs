//! One end-to-end setup: the stand-in API server on a tokio runtime of
//! the test's own, the real `solder` binary pointed at it through
//! `SOLDER_KUBERNETES_API_SERVER`, the grpcio sink, and Python SDK apps
//! that send when told to. Every span an app was told was exported is
//! remembered, so each test can close with the delivery balance.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;
use solder_components::kubernetes::standin::KubeStandin;
use solder_components::kubernetes::API_SERVER_ENV;
use tokio::runtime::Runtime;

use crate::support::peers::{read_jsonl, start_sink, Sink};
use crate::support::{self, free_port, Agent};

pub const PROCESSOR: &str = "otelcol.processor.k8sattributes.default";

pub struct E2e {
    pub agent: Agent,
    pub sink: Sink,
    pub api: KubeStandin,
    /// Runs the stand-in; dropped last, after the stand-in is told to stop.
    pub rt: Runtime,
    python: PathBuf,
    grpc: u16,
    http: u16,
    /// The span ids of every export an app reported successful.
    sent: RefCell<BTreeSet<String>>,
    _dir: tempfile::TempDir,
}

impl E2e {
    /// The stand-in holding `pods`, and an agent that has listed them.
    pub fn start(pods: &[Value]) -> E2e {
        let rt = Runtime::new().unwrap();
        let api = rt.block_on(KubeStandin::start()).unwrap();
        for p in pods {
            api.apply(p.clone());
        }
        let url = api.url();
        let e = E2e::launch(rt, api, &url);
        e.agent.wait_for("the processor's first list", || e.health()["state"] == "healthy");
        e
    }

    /// An agent whose API server URL is `url`, which need not answer yet.
    pub fn launch(rt: Runtime, api: KubeStandin, url: &str) -> E2e {
        let python = support::python();
        let dir = tempfile::tempdir().unwrap();
        let sink = start_sink(&python, dir.path(), 0);
        let (grpc, http) = (free_port(), free_port());
        let template = std::fs::read_to_string(here().join("pipeline.alloy")).unwrap();
        let config = template.replace("GRPC", &grpc.to_string()).replace("HTTP", &http.to_string()).replace("SINK", &sink.port.to_string());
        let cfg = dir.path().join("pipeline.alloy");
        std::fs::write(&cfg, config).unwrap();
        let agent = Agent::start_with_env(&[&cfg.display().to_string()], &[(API_SERVER_ENV, url)]);
        agent.wait_for("the pipeline to load", || agent.get("/-/ready").0 == 200);
        E2e { agent, sink, api, rt, python, grpc, http, sent: RefCell::default(), _dir: dir }
    }

    /// The processor's health from the agent's API.
    pub fn health(&self) -> Value {
        self.agent.component(PROCESSOR)["health"].clone()
    }

    pub fn debug_info(&self) -> Value {
        self.agent.component(PROCESSOR)["debugInfo"].clone()
    }

    /// An app over OTLP gRPC whose resource is `resource`
    /// (OTEL_RESOURCE_ATTRIBUTES syntax).
    pub fn grpc_app(&self, resource: &str) -> App {
        App::spawn(&self.python, &["grpc", &format!("http://127.0.0.1:{}", self.grpc)], resource)
    }

    /// An app over OTLP/HTTP connecting from `source` (a loopback address).
    pub fn http_app(&self, resource: &str, source: &str) -> App {
        App::spawn(&self.python, &["http", &format!("http://127.0.0.1:{}/v1/traces", self.http), source], resource)
    }

    /// Sends `count` spans named `name` and returns them as the sink
    /// recorded them, once it has all of them.
    pub fn send(&self, app: &mut App, name: &str, count: usize) -> Vec<Value> {
        let ids = app.send(name, count);
        self.sent.borrow_mut().extend(ids.iter().cloned());
        let mut got = Vec::new();
        self.agent.wait_for(&format!("{count} {name} spans at the sink"), || {
            let all = read_jsonl(&self.sink.record);
            got = all.into_iter().filter(|s| ids.iter().any(|id| s["span_id"] == id.as_str())).collect();
            got.len() >= ids.len()
        });
        assert_eq!(got.len(), ids.len(), "each {name} span once at the sink");
        got
    }

    /// Sends one span at a time until `seen` holds for its resource: for a
    /// change the agent learns of by watch, at a moment no one can name.
    pub fn send_until(&self, app: &mut App, what: &str, mut seen: impl FnMut(&Value) -> bool) {
        self.agent.wait_for(what, || {
            let spans = self.send(app, "probe", 1);
            seen(&spans[0]["resource"])
        });
    }

    /// Every span an app exported arrived exactly once, the receiver
    /// acknowledged each, the exporter delivered each and dropped none.
    pub fn assert_balance(&self) {
        let sent = self.sent.borrow();
        let n = sent.len() as f64;
        assert!(n > 0.0, "the test sent nothing");
        let dropped = || counter(&self.agent, "otelcol_exporter_send_failed_spans_total") + counter(&self.agent, "otelcol_exporter_enqueue_failed_spans_total");
        self.agent.wait_for("the exporter to account for every span", || counter(&self.agent, "otelcol_exporter_sent_spans_total") + dropped() >= n);
        assert_eq!(counter(&self.agent, "otelcol_receiver_accepted_spans_total"), n, "acknowledged");
        assert_eq!(counter(&self.agent, "otelcol_exporter_sent_spans_total"), n, "delivered");
        assert_eq!(dropped(), 0.0, "dropped");
        let received: Vec<String> = read_jsonl(&self.sink.record).iter().map(|s| s["span_id"].as_str().unwrap_or_default().to_string()).collect();
        assert_eq!(received.len(), sent.len(), "the sink got each span once");
        assert!(received.iter().all(|id| sent.contains(id)), "the sink got only the spans the apps sent");
    }
}

/// A Python SDK app (tests/k8sattributes/client.py) waiting for orders.
pub struct App {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl App {
    fn spawn(python: &Path, args: &[&str], resource: &str) -> App {
        let mut child = Command::new(python)
            .arg(here().join("client.py"))
            .args(args)
            .env("OTEL_RESOURCE_ATTRIBUTES", resource)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let (stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        let mut app = App { child, stdin, stdout: BufReader::new(stdout) };
        assert_eq!(app.answer(), "ready", "the app did not start");
        app
    }

    /// Exports `count` new spans in one call; their ids, once acknowledged.
    fn send(&mut self, name: &str, count: usize) -> Vec<String> {
        writeln!(self.stdin, "{name} {count}").unwrap();
        let answer: Value = serde_json::from_str(&self.answer()).unwrap();
        assert_eq!(answer["ok"], true, "the agent refused an export of {name}: {answer}");
        answer["span_ids"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_string()).collect()
    }

    fn answer(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim().to_string()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sum of every series of the counter `name` on the agent's /metrics.
fn counter(agent: &Agent, name: &str) -> f64 {
    let (labelled, bare) = (format!("{name}{{"), format!("{name} "));
    agent.get("/metrics").1.lines().filter(|l| l.starts_with(&labelled) || l.starts_with(&bare)).filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok()).sum()
}

/// This test's folder: its scripts and config.
pub fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/k8sattributes")
}
