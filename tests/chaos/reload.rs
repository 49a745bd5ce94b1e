//! Reloads while clients send: components whose arguments change are
//! updated in place, one is added and removed again, and the queue and the
//! pending batches survive every reload.

use std::time::Duration;

use crate::pipeline::{config, Pipeline, BATCH};
use crate::rig::{assert_balance_eventually, assert_final_balance, Backend, Load};
use crate::support::replace_file;

/// A second exporter, to the same backend, that reloads add and remove.
const DEBUG: &str = r#"
otelcol.exporter.debug "extra" {
	verbosity = "basic"
}
"#;

#[test]
fn reloads_under_load_lose_nothing() {
    let mut backend = Backend::new();
    backend.up();
    let p = Pipeline::start(&backend);

    let load = Load::start(&p.at.grpc, 20_000, 6.0);
    let versions = [
        config(&p.at, &backend, DEBUG).replace("timeout = \"100ms\"", "timeout = \"300ms\""),
        config(&p.at, &backend, "").replace("queue_size = 4194304", "queue_size = 8388608"),
        config(&p.at, &backend, DEBUG).replace("max_interval     = \"500ms\"", "max_interval     = \"1s\""),
        config(&p.at, &backend, ""),
    ];
    for text in &versions {
        std::thread::sleep(Duration::from_secs(1));
        replace_file(&p.config, text);
        let (code, body) = p.agent.post("/-/reload");
        assert_eq!(code, 200, "reload: {body}");
    }
    let acknowledged = load.acknowledged();
    assert!(acknowledged.spans > 0, "nothing was acknowledged");

    let (_, dropped) = assert_balance_eventually(&p.agent, &backend, BATCH, acknowledged.spans);
    p.agent.wait_for("span metrics to count every acknowledged span", || p.calls() >= acknowledged.spans);
    assert_eq!(p.calls(), acknowledged.spans, "span metrics lost or doubled spans across reloads");
    drop(p);
    assert_final_balance(&mut backend, acknowledged.spans, dropped);
}
