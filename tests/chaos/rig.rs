//! The pieces every chaos scenario is built from: a backend that can be
//! taken down and brought back on the same port, a load generator that
//! reports what was acknowledged, and the agent's own counters of what it
//! dropped. All three are real processes talking OTLP over loopback.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{free_port, Agent};

/// `solder tools sink`: the real OTLP receiver counting what it takes. Each
/// run of it is one "up" period of the backend.
pub struct Backend {
    pub port: u16,
    dir: tempfile::TempDir,
    runs: u32,
    child: Option<Child>,
    /// Spans delivered by the runs already stopped.
    delivered_before: u64,
}

impl Backend {
    pub fn new() -> Backend {
        Backend { port: free_port(), dir: tempfile::tempdir().expect("tempdir"), runs: 0, child: None, delivered_before: 0 }
    }

    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Brings the backend up, and returns once it takes connections.
    pub fn up(&mut self) {
        assert!(self.child.is_none(), "the backend is already up");
        self.runs += 1;
        let out = std::fs::File::create(self.out(self.runs)).expect("sink output");
        let child = Command::new(env!("CARGO_BIN_EXE_solder"))
            .args(["tools", "sink", "--grpc", &self.endpoint()])
            .stdout(out)
            .stderr(Stdio::null())
            .spawn()
            .expect("start solder tools sink");
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(self.endpoint()).is_err() {
            assert!(start.elapsed() < Duration::from_secs(20), "the sink did not listen on {}", self.endpoint());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Takes the backend down. It refuses everything first (SIGUSR1) and
    /// only then closes (SIGINT: it answers what it took and prints its
    /// final count). A backend that closes while it takes data leaves
    /// requests whose outcome the sender cannot know, and the sender's
    /// retry delivers those twice, which is at-least-once delivery, not a
    /// fault of the agent (docs/delivery.md); refusing first keeps the
    /// count exact, so a duplicate in these tests is the agent's.
    pub fn down(&mut self) {
        let Some(mut child) = self.child.take() else { panic!("the backend is already down") };
        signal(child.id(), "USR1");
        std::thread::sleep(Duration::from_millis(300));
        signal(child.id(), "INT");
        let status = child.wait().expect("wait for the sink");
        assert!(status.success(), "the sink exited with {status}");
        let out = std::fs::read_to_string(self.out(self.runs)).unwrap_or_default();
        let last = out.lines().last().unwrap_or_default();
        assert!(last.contains("\"final\":true"), "the sink printed no final count: {out}");
        self.delivered_before += field(last, "spans");
    }

    /// Spans taken so far, by every run; while up, as of its last second.
    pub fn delivered(&self) -> u64 {
        let current = match &self.child {
            Some(_) => std::fs::read_to_string(self.out(self.runs)).ok().and_then(|o| o.lines().last().map(|l| field(l, "spans"))).unwrap_or(0),
            None => 0,
        };
        self.delivered_before + current
    }

    /// Every span taken, once the backend is down for good.
    pub fn total(&mut self) -> u64 {
        if self.child.is_some() {
            self.down();
        }
        self.delivered_before
    }

    fn out(&self, run: u32) -> PathBuf {
        self.dir.path().join(format!("run-{run}.jsonl"))
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `solder tools loadgen` running in the background.
pub struct Load {
    child: Child,
}

impl Load {
    /// Sends traces to `endpoint` for `seconds`; `rate` spans/s, 0 = flat out.
    pub fn start(endpoint: &str, rate: u64, seconds: f64) -> Load {
        let child = Command::new(env!("CARGO_BIN_EXE_solder"))
            .args(["tools", "loadgen", "--endpoint", endpoint, "--rate", &rate.to_string(), "--duration", &seconds.to_string()])
            .args(["--spans-per-request", "100", "--connections", "4"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start solder tools loadgen");
        Load { child }
    }

    /// Waits for the end and returns the spans acknowledged and the
    /// requests that failed.
    pub fn acknowledged(self) -> Acknowledged {
        let out = self.child.wait_with_output().expect("loadgen output");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "loadgen failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        let line = stdout.lines().last().unwrap_or_default();
        Acknowledged { spans: field(line, "spans"), errors: field(line, "errors") }
    }
}

pub struct Acknowledged {
    pub spans: u64,
    pub errors: u64,
}

impl Acknowledged {
    pub fn sum(rounds: impl Iterator<Item = Acknowledged>) -> Acknowledged {
        rounds.fold(Acknowledged { spans: 0, errors: 0 }, |a, r| Acknowledged { spans: a.spans + r.spans, errors: a.errors + r.errors })
    }
}

/// What the agent says it dropped, for every way it can drop a span once
/// acknowledged (docs/delivery.md, "The balance"): the receivers'
/// `dropped`, the exporters' `send_failed`, the batch processor's
/// `items_failed` and `items_dropped`.
pub fn dropped(agent: &Agent, batch_ids: &[&str]) -> u64 {
    let (code, metrics) = agent.get("/metrics");
    assert_eq!(code, 200, "{metrics}");
    let send_failed = sum_of(&metrics, "otelcol_exporter_send_failed_spans_total") + sum_of(&metrics, "otelcol_receiver_dropped_spans_total");
    let batch: u64 = batch_ids
        .iter()
        .map(|id| {
            let info = &agent.component(id)["debugInfo"];
            ["items_failed", "items_dropped"].iter().map(|k| debug_number(info, k)).sum::<u64>()
        })
        .sum();
    send_failed + batch
}

/// Reads one number of a component's debug info.
pub fn debug_number(info: &serde_json::Value, key: &str) -> u64 {
    info[key].as_u64().unwrap_or(0)
}

/// The sum of every series of `name` in an exposition.
pub fn sum_of(exposition: &str, name: &str) -> u64 {
    exposition
        .lines()
        .filter(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' ')))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Waits until `acknowledged` = delivered + dropped, which, once true,
/// stays true unless something is delivered twice; panics with the figures
/// if it never comes.
pub fn assert_balance_eventually(agent: &Agent, backend: &Backend, batch_ids: &[&str], acknowledged: u64) -> (u64, u64) {
    let start = Instant::now();
    let mut last = (0, 0);
    while start.elapsed() < Duration::from_secs(60) {
        last = (backend.delivered(), dropped(agent, batch_ids));
        if last.0 + last.1 >= acknowledged {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (delivered, dropped) = last;
    assert_eq!(
        delivered + dropped,
        acknowledged,
        "acknowledged {acknowledged} spans, delivered {delivered}, counted {dropped} as dropped\nlogs:\n{}",
        agent.logs()
    );
    last
}

/// After the agent has stopped: the backend's final count is what was
/// acknowledged less what the agent counted as dropped. More would be
/// duplicates; less, a loss nothing counted.
pub fn assert_final_balance(backend: &mut Backend, acknowledged: u64, dropped: u64) {
    let total = backend.total();
    assert_eq!(total + dropped, acknowledged, "acknowledged {acknowledged}, counted {dropped} as dropped, but the backend got {total}");
}

/// The agent's config, written where `solder run` can read it.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("config.alloy");
    let mut f = std::fs::File::create(&path).expect("config file");
    f.write_all(text.as_bytes()).expect("write config");
    path
}

pub fn signal(pid: u32, name: &str) {
    let status = Command::new("kill").args([&format!("-{name}"), &pid.to_string()]).status().expect("kill");
    assert!(status.success(), "kill -{name} {pid}");
}

/// A number field of a one-line JSON object.
fn field(line: &str, name: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
    v[name].as_u64().unwrap_or(0)
}
