//! The backend is down while clients send flat out: the queue fills, the
//! batch processor fills behind it and clients are refused. Then the
//! backend comes back and everything acknowledged must reach it, and span
//! metrics, on the other branch, must have counted each span once.

use std::time::Duration;

use crate::pipeline::{Pipeline, BATCH};
use crate::rig::{assert_balance_eventually, assert_final_balance, Acknowledged, Backend, Load};

#[test]
fn overload_with_the_backend_down_loses_nothing_acknowledged() {
    let mut backend = Backend::new();
    let p = Pipeline::start(&backend);

    // Flat out until the pipeline is full and clients are refused; how long
    // that takes depends on the machine, not on what is tested.
    let acknowledged = Acknowledged::sum((0..10).map(|_| Load::start(&p.at.grpc, 0, 2.0).acknowledged()).scan(false, |full, round| {
        let before_full = !*full;
        *full |= round.errors > 0;
        before_full.then_some(round)
    }));
    assert!(acknowledged.errors > 0, "the load never filled the pipeline: nothing was refused");
    assert!(acknowledged.spans > 0, "nothing was acknowledged");

    backend.up();
    let (_, dropped) = assert_balance_eventually(&p.agent, &backend, BATCH, acknowledged.spans);
    p.agent.wait_for("span metrics to count every acknowledged span", || p.calls() >= acknowledged.spans);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(p.calls(), acknowledged.spans, "span metrics counted spans twice while the exporter was down");

    drop(p);
    assert_final_balance(&mut backend, acknowledged.spans, dropped);
}
