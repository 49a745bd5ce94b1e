//! A component panics mid-delivery (a test-only fault hook, `SOLDER_FAULT`,
//! read only by debug builds): the supervisor marks it unhealthy and
//! restarts it, and the batch it held is delivered after the restart.

use crate::pipeline::{Pipeline, BATCH};
use crate::rig::{assert_balance_eventually, assert_final_balance, Backend, Load};

#[test]
fn a_panicking_batch_processor_is_restarted_and_loses_nothing() {
    let mut backend = Backend::new();
    backend.up();
    let p = Pipeline::start_with_env(&backend, &[("SOLDER_FAULT", "otelcol.processor.batch.deliver:10")]);

    let load = Load::start(&p.at.grpc, 20_000, 4.0);
    p.agent.wait_for("the fault to fire and the supervisor to report it", || {
        p.agent.component(BATCH[0])["health"]["message"].as_str().is_some_and(|m| m.contains("panicked"))
    });
    let acknowledged = load.acknowledged();
    assert!(acknowledged.spans > 0, "nothing was acknowledged");

    let (_, dropped) = assert_balance_eventually(&p.agent, &backend, BATCH, acknowledged.spans);
    assert_eq!(dropped, 0, "the batch in hand at the panic was dropped, not put back\nlogs:\n{}", p.agent.logs());
    let restarted = || p.agent.component(BATCH[0])["health"]["message"].as_str().is_some_and(|m| m.starts_with("restarted after it panicked"));
    p.agent.wait_for("the supervisor to restart the batch processor", restarted);
    p.agent.wait_for("span metrics to count every acknowledged span", || p.calls() >= acknowledged.spans);
    assert_eq!(p.calls(), acknowledged.spans, "span metrics lost or doubled spans across the panic");
    drop(p);
    assert_final_balance(&mut backend, acknowledged.spans, dropped);
}
