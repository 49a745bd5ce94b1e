//! The backend goes down, comes back and goes down again while clients
//! send at a steady rate: the queue absorbs each outage and drains after it.

use std::time::Duration;

use crate::pipeline::{Pipeline, BATCH};
use crate::rig::{assert_balance_eventually, assert_final_balance, Backend, Load};

#[test]
fn a_flapping_backend_gets_everything_acknowledged() {
    let mut backend = Backend::new();
    backend.up();
    let p = Pipeline::start(&backend);

    let load = Load::start(&p.at.grpc, 20_000, 8.0);
    for _ in 0..2 {
        std::thread::sleep(Duration::from_secs(2));
        backend.down();
        std::thread::sleep(Duration::from_secs(2));
        backend.up();
    }
    let acknowledged = load.acknowledged();
    assert!(acknowledged.spans > 0, "nothing was acknowledged");

    let (_, dropped) = assert_balance_eventually(&p.agent, &backend, BATCH, acknowledged.spans);
    // Outages shorter than the retry budget cost nothing.
    assert_eq!(dropped, 0, "spans were dropped over a short outage\nlogs:\n{}", p.agent.logs());
    p.agent.wait_for("span metrics to count every acknowledged span", || p.calls() >= acknowledged.spans);
    assert_eq!(p.calls(), acknowledged.spans, "span metrics counted spans twice while the backend was down");
    drop(p);
    assert_final_balance(&mut backend, acknowledged.spans, dropped);
}
