//! The processor's health in the agent's API follows the API server: it
//! is unhealthy, naming the error, while the server cannot be reached,
//! and healthy once the pods are listed; meanwhile data passes through.

use tokio::net::{TcpListener, TcpStream};

use crate::harness::E2e;
use crate::pods::{self, attr, CHECKOUT_IP};
use crate::support::free_port;

#[test]
fn health_is_unhealthy_with_the_error_until_the_first_list() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(solder_components::kubernetes::standin::KubeStandin::start()).unwrap();
    api.apply(pods::checkout());
    // The agent's API server address, where nothing listens yet.
    let port = free_port();
    let e = E2e::launch(rt, api, &format!("http://127.0.0.1:{port}"));
    e.agent.wait_for("the processor to report the failing list", || e.health()["message"].as_str().unwrap_or_default().contains("failing"));
    let health = e.health();
    let message = health["message"].as_str().unwrap_or_default();
    assert_eq!(health["state"], "unhealthy", "{health}");
    assert!(message.contains("pods") && message.to_lowercase().contains("connect"), "the error is named: {health}");

    // Data is not held: it goes on without enrichment.
    let mut app = e.grpc_app(&format!("k8s.pod.ip={CHECKOUT_IP}"));
    for s in e.send(&mut app, "while-down", 3) {
        assert_eq!(attr(&s["resource"], "k8s.pod.name"), "", "{s}");
    }

    // The API server appears at the address the agent was given.
    let to = e.api.url().trim_start_matches("http://").to_string();
    let listener = e.rt.block_on(TcpListener::bind(("127.0.0.1", port))).unwrap();
    e.rt.spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let to = to.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(&to).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    e.agent.wait_up_to("the processor to become healthy", std::time::Duration::from_secs(60), || e.health()["state"] == "healthy");
    let health = e.health();
    assert_eq!(health["message"], "1 pods cached on node node-a", "{health}");
    let pods = &e.debug_info()["informers"]["pods"];
    assert!(pods["lists"].as_u64() >= Some(1) && pods["synced"] == true, "{pods}");
    assert!(pods["last_error"].as_str().is_some_and(|err| !err.is_empty()), "the last error is kept for diagnosis: {pods}");

    for s in e.send(&mut app, "after", 3) {
        assert_eq!(attr(&s["resource"], "k8s.pod.name"), "checkout-7d9f8c6b5d-x2kqp", "{s}");
    }
    e.assert_balance();
}
