use std::time::Duration;

use reqwest::StatusCode;
use tonic::Code;

use super::grpc::{channel, export};
use super::{free_port, logs, traces, Receiver, TO_SINK};
use crate::component::HealthState;
use crate::harness::{until, Answer};
use crate::otlp::grpc::export_path;
use crate::otlp::Signal;

fn both(grpc: &str, http: &str, output: &str) -> String {
    format!("grpc {{\n endpoint = \"{grpc}\"\n}}\nhttp {{\n endpoint = \"{http}\"\n}}\n{output}")
}

#[test]
fn arguments_are_checked_when_built() {
    let cases = [
        (TO_SINK.to_string(), "must specify at least one protocol when using the OTLP receiver: add a grpc or http block"),
        ("grpc { }".to_string(), "missing required block \"output\""),
        (format!("grpc {{\n endpoint = \"localhost\"\n}}\n{TO_SINK}"), "grpc: invalid endpoint \"localhost\": expected host:port, such as \"0.0.0.0:4317\""),
        (
            format!("grpc {{\n max_recv_msg_size = \"4 lightyears\"\n}}\n{TO_SINK}"),
            "invalid size \"4 lightyears\": expected a number of bytes or a number and a unit, such as \"512KiB\" or \"4MiB\"",
        ),
        (
            format!("http {{\n compression_algorithms = [\"gzip\", \"lz4\"]\n}}\n{TO_SINK}"),
            "http: compression algorithm \"lz4\" is not supported; supported: \"\", \"gzip\", \"zstd\", \"zlib\", \"snappy\", \"deflate\"",
        ),
        (
            format!("http {{\n logs_url_path = \"v1/traces\"\n}}\n{TO_SINK}"),
            "http: traces_url_path and logs_url_path are both \"/v1/traces\"; each signal needs its own path",
        ),
        (format!("http {{\n tls {{\n cert_file = \"c.pem\"\n }}\n}}\n{TO_SINK}"), "tls: a private key is required: set key_file or key_pem"),
        (
            format!("grpc {{\n tls {{\n cert_file = \"c\"\n cert_pem = \"p\"\n key_file = \"k\"\n }}\n}}\n{TO_SINK}"),
            "tls: at most one of cert_file and cert_pem may be set",
        ),
        (
            format!("grpc {{\n tls {{\n cert_file = \"c\"\n key_file = \"k\"\n min_version = \"1.0\"\n }}\n}}\n{TO_SINK}"),
            "tls: min_version \"1.0\" is not supported: the oldest version Solder speaks is \"1.2\"",
        ),
        (format!("grpc {{\n transport = \"unix\"\n}}\n{TO_SINK}"), "unrecognized attribute name \"transport\""),
    ];
    for (config, want) in cases {
        assert_eq!(Receiver::build("build_errors", &config).err().as_deref(), Some(want), "{config}");
    }
}

#[tokio::test]
async fn building_opens_no_socket() {
    let port = free_port();
    let h = Receiver::build("build_no_side_effects", &both(&format!("127.0.0.1:{port}"), "127.0.0.1:0", TO_SINK)).unwrap();
    assert_eq!(h.health().state, HealthState::Unknown);
    // The port is still free: the receiver only binds in `run`.
    drop(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
}

#[tokio::test]
async fn an_update_that_keeps_the_endpoint_keeps_the_socket_and_its_connections() {
    let h = Receiver::start("update_in_place", &both("127.0.0.1:0", "127.0.0.1:0", TO_SINK)).await;
    let (grpc, http) = (h.addr("grpc").unwrap(), h.addr("http").unwrap());
    let ch = channel(&h).await;
    export(&ch, export_path(Signal::Traces), traces(), None).await.unwrap();

    // New output and a new size limit; same endpoints.
    let other = "output {\n traces = [other]\n logs = [other]\n}";
    let limit = traces().len();
    h.update(&format!("grpc {{\n endpoint = \"127.0.0.1:0\"\n max_recv_msg_size = {limit}\n}}\nhttp {{\n endpoint = \"127.0.0.1:0\"\n}}\n{other}")).unwrap();
    export(&ch, export_path(Signal::Traces), traces(), None).await.unwrap();
    assert_eq!((h.addr("grpc"), h.addr("http")), (Some(grpc), Some(http)));
    assert_eq!((h.sink.received().len(), h.other.received().len()), (1, 1), "the same connection now feeds the new output");
    // Two requests back to back are one valid, larger request.
    let big = export(&ch, export_path(Signal::Traces), traces().repeat(2).into(), None).await;
    assert_eq!(big.unwrap_err().code(), Code::ResourceExhausted, "the new limit applies at once");
    let r =
        reqwest::Client::new().post(format!("http://{http}/v1/traces")).header("content-type", "application/x-protobuf").body(traces()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(h.other.received().len(), 2);
}

#[tokio::test]
async fn changing_the_endpoint_rebinds_and_removing_a_block_stops_its_server() {
    let h = Receiver::start("update_rebind", &both("127.0.0.1:0", "127.0.0.1:0", TO_SINK)).await;
    let old = h.addr("http").unwrap();
    let port = free_port();
    h.update(&both("127.0.0.1:0", &format!("127.0.0.1:{port}"), TO_SINK)).unwrap();
    until("the HTTP server to move", || h.addr("http").map(|a| a.port()) == Some(port)).await;
    assert!(std::net::TcpStream::connect(old).is_err(), "the old socket is closed");
    let r = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/v1/logs"))
        .header("content-type", "application/x-protobuf")
        .body(logs())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let grpc = h.addr("grpc").unwrap();
    h.update(&format!("http {{\n endpoint = \"127.0.0.1:{port}\"\n}}\n{TO_SINK}")).unwrap();
    until("the gRPC server to stop", || h.addr("grpc").is_none()).await;
    assert!(std::net::TcpStream::connect(grpc).is_err());
    assert_eq!(h.addr("http").map(|a| a.port()), Some(port), "the HTTP server is left alone");
    assert_eq!(h.health().message, format!("listening for OTLP/HTTP on 127.0.0.1:{port}"));
}

#[tokio::test]
async fn a_busy_port_makes_the_receiver_unhealthy_until_it_frees_up() {
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = blocker.local_addr().unwrap();
    let mut h = Receiver::build("busy_port", &both(&busy.to_string(), "127.0.0.1:0", TO_SINK)).unwrap();
    h.harness.run();
    h.wait_for_health(HealthState::Unhealthy).await;
    let health = h.health().message;
    assert!(health.starts_with(&format!("OTLP/gRPC: cannot listen on {busy}: ")) && health.to_lowercase().contains("in use"), "{health}");
    assert!(h.addr("http").is_some(), "the other server runs regardless");
    drop(blocker);
    h.wait_for_health(HealthState::Healthy).await;
    assert_eq!(h.addr("grpc"), Some(busy));
}

#[tokio::test]
async fn shutdown_stops_accepting_and_finishes_requests_in_flight() {
    let h = Receiver::start("shutdown_drains", &format!("http {{\n endpoint = \"127.0.0.1:0\"\n}}\n{TO_SINK}")).await;
    let addr = h.addr("http").unwrap();
    h.sink.answer_always(Answer::Slow(Duration::from_millis(300)));
    let in_flight =
        tokio::spawn(reqwest::Client::new().post(format!("http://{addr}/v1/traces")).header("content-type", "application/x-protobuf").body(traces()).send());
    until("the request in the pipeline", || h.sink.calls() == 1).await;
    assert!(h.sink.received().is_empty(), "still in flight when the receiver stops");
    let receiver = h.harness.stop().await;
    let r = in_flight.await.unwrap().unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the request under way was answered");
    assert_eq!(h.sink.received().len(), 1);
    assert!(std::net::TcpStream::connect(addr).is_err(), "nothing listens any more");
    assert_eq!(receiver.health().state, HealthState::Exited);
}

#[tokio::test]
async fn a_move_to_a_taken_address_keeps_the_old_socket_and_says_why() {
    let h = Receiver::start("move_taken", &both("127.0.0.1:0", "127.0.0.1:0", TO_SINK)).await;
    let old = h.addr("http").unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap();
    h.update(&both("127.0.0.1:0", &busy.to_string(), TO_SINK)).unwrap();
    h.wait_for_health(HealthState::Unhealthy).await;
    let message = h.health().message;
    assert!(message.starts_with(&format!("OTLP/HTTP: cannot listen on {busy}: ")) && message.ends_with(&format!("; still listening on {old}")), "{message}");
    assert_eq!(h.addr("http"), Some(old));
    let post = |addr| reqwest::Client::new().post(format!("http://{addr}/v1/logs")).header("content-type", "application/x-protobuf").body(logs()).send();
    assert_eq!(post(old).await.unwrap().status(), StatusCode::OK, "the old socket still serves");

    let port = free_port();
    h.update(&both("127.0.0.1:0", &format!("127.0.0.1:{port}"), TO_SINK)).unwrap();
    h.wait_for_health(HealthState::Healthy).await;
    let new = h.addr("http").unwrap();
    assert_eq!(new.port(), port);
    assert_eq!(post(new).await.unwrap().status(), StatusCode::OK);
    assert!(std::net::TcpStream::connect(old).is_err(), "the old socket is closed");
}

/// Slowloris against OTLP/HTTP: the connection limit's worth of idle
/// connections and a trickled body are cut off (the body with 408), and a
/// normal export gets through.
#[tokio::test]
async fn slowloris_does_not_starve_the_http_server() {
    use crate::harness::slowloris::{idle_connections, post_head, trickle_body};
    use crate::serve::Limits;
    let h = Receiver::start("slowloris", &format!("http {{\n endpoint = \"127.0.0.1:0\"\n}}\n{TO_SINK}")).await;
    let addr = h.addr("http").unwrap();
    let first = std::net::TcpStream::connect(addr).unwrap();
    let trickled = tokio::task::spawn_blocking(move || trickle_body(first, &post_head("/v1/traces", "application/x-protobuf")));
    let _idle = idle_connections(addr, Limits::SERVERS.max_connections - 1);
    crate::harness::eventually("an export to get through", || async {
        let r = reqwest::Client::new().post(format!("http://{addr}/v1/traces")).header("content-type", "application/x-protobuf").body(traces()).send().await;
        r.is_ok_and(|r| r.status() == StatusCode::OK)
    })
    .await;
    let answer = trickled.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}
