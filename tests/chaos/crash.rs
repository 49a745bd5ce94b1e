//! `kill -9` with a persistent sending queue (`otelcol.storage.file`): what
//! the agent acknowledged survives the crash and reaches the backend after
//! a restart on the same `--storage.path`.
//!
//! The sink counts spans, not span IDs (the load generator sends the same
//! request over and over), so a duplicate and a loss could cancel out in a
//! total. The first scenario rules duplicates out by construction (the
//! backend is down, so nothing was in flight to a backend that took it),
//! and must balance exactly; the second, a crash under load with the
//! backend up, may only deliver more than was acknowledged, and by no more
//! than the requests in flight.

use std::path::Path;
use std::time::Duration;

use crate::rig::{debug_number, signal, sum_of, write_config, Backend, Load};
use crate::support::{free_port, Agent};

/// Spans in each request the load generator sends.
pub const SPANS_PER_REQUEST: u64 = 100;
/// The exporter's `num_consumers`: requests in flight to the backend.
const CONSUMERS: u64 = 10;
/// The load generator's connections, each with one request in flight.
const CONNECTIONS: u64 = 4;

pub fn config(grpc: &str, backend: &Backend, batch: bool) -> String {
    let (output, batch_block) = match batch {
        true => (
            "otelcol.processor.batch.default.input",
            "otelcol.processor.batch \"default\" {\n\ttimeout = \"100ms\"\n\toutput { traces = [otelcol.exporter.otlp.backend.input] }\n}\n",
        ),
        false => ("otelcol.exporter.otlp.backend.input", ""),
    };
    format!(
        r#"
otelcol.receiver.otlp "default" {{
	grpc {{ endpoint = "{grpc}" }}
	output {{ traces = [{output}] }}
}}
{batch_block}
otelcol.storage.file "queue" {{ }}

otelcol.exporter.otlp "backend" {{
	client {{
		endpoint = "{backend}"
		tls {{ insecure = true }}
	}}
	sending_queue {{
		storage       = otelcol.storage.file.queue.handler
		num_consumers = {CONSUMERS}
		sizer         = "bytes"
		queue_size    = 268435456
	}}
	retry_on_failure {{
		initial_interval = "50ms"
		max_interval     = "500ms"
	}}
}}
"#,
        backend = backend.endpoint()
    )
}

pub fn start(config: &Path, storage: &Path) -> Agent {
    let agent = Agent::start_with_storage(&[&config.display().to_string()], storage);
    // Running, not healthy: with the backend down, the exporter is not.
    agent.wait_for("the exporter to run", || agent.get("/api/v0/web/components/otelcol.exporter.otlp.backend").0 == 200);
    // The queue is opened (and read back) when the exporter starts running.
    let on_disk = || agent.component("otelcol.exporter.otlp.backend")["debugInfo"]["queue_storage"].is_string();
    agent.wait_for("the persistent queue to be open", on_disk);
    agent.wait_for("the receiver to listen", || agent.component("otelcol.receiver.otlp.default")["health"]["state"] == "healthy");
    agent
}

pub fn metric(agent: &Agent, name: &str) -> u64 {
    sum_of(&agent.get("/metrics").1, name)
}

/// The backend is down while spans are acknowledged; the agent is killed
/// with everything on disk; it restarts, the backend comes up, and every
/// acknowledged span arrives exactly once.
#[test]
fn a_crash_with_the_backend_down_loses_nothing_and_duplicates_nothing() {
    let mut backend = Backend::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = dir.path().join("data");
    let grpc = format!("127.0.0.1:{}", free_port());
    let config = write_config(dir.path(), &config(&grpc, &backend, true));
    let mut agent = start(&config, &storage);

    let acknowledged = Load::start(&grpc, 10_000, 3.0).acknowledged();
    assert!(acknowledged.spans > 0, "nothing was acknowledged");
    // The batch processor holds spans in memory for up to its timeout:
    // wait until it has handed everything to the persistent queue. A batch
    // being written is no longer pending but not yet sent (a kill then
    // tears its record, and it was never on disk whole): wait until the
    // queue has taken every span.
    agent.wait_for("the batch processor to flush", || {
        let info = &agent.component("otelcol.processor.batch.default")["debugInfo"];
        debug_number(&info["pending"], "traces") == 0 && debug_number(info, "items_sent") >= acknowledged.spans
    });
    agent.kill_9();

    let mut agent = start(&config, &storage);
    assert_eq!(metric(&agent, "otelcol_exporter_queue_replayed_spans_total"), acknowledged.spans, "logs:\n{}", agent.logs());
    backend.up();
    agent.wait_for("every acknowledged span at the backend", || backend.delivered() >= acknowledged.spans);
    agent.wait_for("the queue to empty", || metric(&agent, "otelcol_exporter_queue_size") == 0);
    signal(agent.pid(), "TERM");
    let _ = agent.child.wait();
    assert_eq!(backend.total(), acknowledged.spans, "delivered after the crash vs acknowledged before it\nlogs:\n{}", agent.logs());
    assert_eq!(metric_after_stop(&storage), 0, "the delivered requests left nothing to send again");
}

/// What a third start would send again: nothing, once all was delivered.
fn metric_after_stop(storage: &Path) -> u64 {
    let mut backend = Backend::new();
    backend.up();
    let grpc = format!("127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &config(&grpc, &backend, true));
    let agent = start(&config, storage);
    metric(&agent, "otelcol_exporter_queue_replayed_spans_total")
}

/// A crash in the middle of load with the backend up. Without a batch
/// processor, the receiver's acknowledgement waits for the disk write, so
/// nothing acknowledged may be missing after the restart; what was in
/// flight when the process died may arrive twice.
#[test]
fn a_crash_under_load_sends_again_at_most_what_was_in_flight() {
    let mut backend = Backend::new();
    backend.up();
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = dir.path().join("data");
    let grpc = format!("127.0.0.1:{}", free_port());
    let config = write_config(dir.path(), &config(&grpc, &backend, false));
    let mut agent = start(&config, &storage);

    let load = Load::start(&grpc, 20_000, 4.0);
    std::thread::sleep(Duration::from_secs(2));
    agent.kill_9();
    let first = load.acknowledged();
    assert!(first.errors > 0, "the load generator saw the crash");

    let agent = start(&config, &storage);
    let second = Load::start(&grpc, 20_000, 1.0).acknowledged();
    let acknowledged = first.spans + second.spans;
    agent.wait_for("every acknowledged span at the backend", || backend.delivered() >= acknowledged);
    agent.wait_for("the queue to empty", || metric(&agent, "otelcol_exporter_queue_size") == 0);
    signal(agent.pid(), "TERM");
    let mut agent = agent;
    let _ = agent.child.wait();
    let delivered = backend.total();
    let again = delivered.checked_sub(acknowledged).unwrap_or_else(|| panic!("{acknowledged} spans acknowledged, only {delivered} delivered"));
    // In flight at the crash: requests the workers were sending, and the
    // requests written to disk whose acknowledgement the crash cut off.
    let bound = (CONSUMERS + CONNECTIONS) * SPANS_PER_REQUEST;
    eprintln!("crash under load: {acknowledged} spans acknowledged, {delivered} delivered, {again} sent again (bound {bound})");
    assert!(again <= bound, "{again} spans sent again after the crash, more than the {bound} in flight");
}
