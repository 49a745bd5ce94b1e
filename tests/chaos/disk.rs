//! The persistent sending queue's disk going wrong: damaged segment files
//! found on a restart, and a disk that fills up under load. Each gives a
//! log line and a metric, never a panic, and everything intact is still
//! delivered.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::crash::{config, metric, start, SPANS_PER_REQUEST};
use crate::rig::{signal, write_config, Backend, Load};
use crate::support::free_port;

fn segments(storage: &Path) -> Vec<PathBuf> {
    let dir = storage.join("otelcol.storage.file.queue/otelcol.exporter.otlp.backend");
    let mut out: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("queue dir").flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "seg")).collect();
    out.sort();
    out
}

/// A torn tail (the last record cut short) and a flipped byte in the
/// middle: each costs the one request it hit, named in the log and
/// counted, and every other acknowledged span arrives.
#[test]
fn damaged_segments_cost_only_the_damaged_requests() {
    let mut backend = Backend::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = dir.path().join("data");
    let grpc = format!("127.0.0.1:{}", free_port());
    let config = write_config(dir.path(), &config(&grpc, &backend, false));
    let mut agent = start(&config, &storage);
    let acknowledged = Load::start(&grpc, 10_000, 2.0).acknowledged();
    agent.kill_9();

    let last = segments(&storage).pop().expect("a segment");
    let mut bytes = std::fs::read(&last).expect("read segment");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&last, bytes).expect("damage segment");

    let agent = start(&config, &storage);
    let logs = agent.logs();
    assert!(logs.contains("cut short") && logs.contains("skipped"), "the damage is named in the log:\n{logs}");
    assert_eq!(metric(&agent, "otelcol_exporter_queue_damaged_records_total"), 2, "{}", agent.get("/metrics").1);
    backend.up();
    let expected = acknowledged.spans - 2 * SPANS_PER_REQUEST;
    agent.wait_for("the intact requests at the backend", || backend.delivered() >= expected);
    agent.wait_for("the queue to empty", || metric(&agent, "otelcol_exporter_queue_size") == 0);
    signal(agent.pid(), "TERM");
    assert_eq!(backend.total(), expected, "every intact request, once");
}

/// A file size limit (`prlimit --fsize`) stands in for a full disk: the
/// queue refuses new data retryably while it cannot write, counts it, and
/// goes on once delivered segments make room. Nothing acknowledged is
/// lost.
#[test]
fn a_full_disk_refuses_retryably_and_loses_nothing_acknowledged() {
    let mut backend = Backend::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = dir.path().join("data");
    let grpc = format!("127.0.0.1:{}", free_port());
    let config = write_config(dir.path(), &config(&grpc, &backend, false));
    let log = dir.path().join("solder.log");
    let mut agent = Command::new("prlimit")
        .arg("--fsize=1048576")
        .arg(env!("CARGO_BIN_EXE_solder"))
        .args(["run", &config.display().to_string(), "--storage.path", &storage.display().to_string()])
        .args(["--server.http.listen-addr", &format!("127.0.0.1:{}", free_port())])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("prlimit (util-linux) runs the agent");
    let until_listening = std::time::Instant::now();
    while std::net::TcpStream::connect(&grpc).is_err() {
        assert!(until_listening.elapsed().as_secs() < 20, "the agent did not listen:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    let refused = Load::start(&grpc, 20_000, 2.0).acknowledged();
    let logs = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(refused.errors > 0, "a 1 MiB file size limit refused nothing:\n{logs}");
    assert!(logs.contains("cannot write") && logs.contains("File too large"), "the refusal is named in the log:\n{logs}");
    assert!(agent.try_wait().expect("agent status").is_none(), "the agent died:\n{logs}");

    backend.up();
    let later = Load::start(&grpc, 5_000, 1.0).acknowledged();
    let acknowledged = refused.spans + later.spans;
    let started = std::time::Instant::now();
    while backend.delivered() < acknowledged && started.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    signal(agent.id(), "TERM");
    let status = agent.wait().expect("wait for the agent");
    let logs = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "exit {status}:\n{logs}");
    assert_eq!(backend.total(), acknowledged, "acknowledged vs delivered:\n{logs}");
}
