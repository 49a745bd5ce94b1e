//! SIGTERM while clients send, as Kubernetes stops a pod: receivers stop
//! taking data, then everything taken is flushed to the backend before the
//! process exits.

use std::time::Duration;

use crate::pipeline::Pipeline;
use crate::rig::{signal, Backend, Load};

#[test]
fn sigterm_under_load_delivers_everything_acknowledged() {
    let mut backend = Backend::new();
    backend.up();
    let mut p = Pipeline::start(&backend);

    let load = Load::start(&p.at.grpc, 20_000, 5.0);
    std::thread::sleep(Duration::from_secs(2));
    signal(p.agent.pid(), "TERM");
    let status = p.agent.child.wait().expect("wait for the agent");
    let acknowledged = load.acknowledged();
    assert!(status.success(), "the agent exited with {status}\nlogs:\n{}", p.agent.logs());
    assert!(acknowledged.spans > 0, "nothing was acknowledged");
    assert!(acknowledged.errors > 0, "the agent kept taking data after SIGTERM");

    // With the backend up nothing may be dropped, so the balance is exact.
    let logs = p.agent.logs();
    assert!(!logs.contains("dropp"), "the agent dropped data at shutdown:\n{logs}");
    assert_eq!(backend.total(), acknowledged.spans, "acknowledged spans did not all reach the backend\nlogs:\n{logs}");
}
