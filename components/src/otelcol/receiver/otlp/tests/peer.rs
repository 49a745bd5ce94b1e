//! Every request passed on carries the IP of the TCP connection it came
//! on (the Collector's `client.Info.Addr`), whatever the protocol, and
//! never what a header claims. Clients bind 127.0.0.2 to show that the
//! address is the connection's, not a constant.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use hyper::Uri;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpSocket;
use tonic::transport::{Channel, Endpoint};

use super::grpc::export;
use super::{traces, Receiver, TO_SINK};
use crate::otlp::grpc::export_path;
use crate::otlp::Signal;

const HOME: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn config(endpoint: &str) -> String {
    format!("grpc {{\n endpoint = \"{endpoint}\"\n}}\nhttp {{\n endpoint = \"{endpoint}\"\n}}\n{TO_SINK}")
}

/// The receiver's port for `transport`, on 127.0.0.1 (also when it
/// listens on every interface).
fn target(h: &Receiver, transport: &str) -> SocketAddr {
    SocketAddr::new(HOME, h.addr(transport).map_or(0, |a| a.port()))
}

/// A gRPC channel whose connections leave from `from`.
async fn channel_from(from: IpAddr, to: SocketAddr) -> Channel {
    let connector = tower::service_fn(move |_: Uri| async move {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(from, 0))?;
        Ok::<_, std::io::Error>(TokioIo::new(socket.connect(to).await?))
    });
    Endpoint::from_shared(format!("http://{to}")).unwrap().connect_with_connector(connector).await.unwrap()
}

/// Posts one traces request from `from`, as protobuf or JSON, with a
/// forged `X-Forwarded-For`.
async fn post_from(from: IpAddr, to: SocketAddr, json: bool) {
    let client = reqwest::Client::builder().local_address(from).build().unwrap();
    let req = client.post(format!("http://{to}/v1/traces")).header("x-forwarded-for", "10.9.9.9");
    let req = if json {
        let doc = json!({ "resourceSpans": [{ "scopeSpans": [{ "spans": [{ "traceId": "07070707070707070707070707070707", "spanId": "0101010101010101", "name": "a" }] }] }] });
        req.header("content-type", "application/json").body(doc.to_string())
    } else {
        req.header("content-type", "application/x-protobuf").body(traces())
    };
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK, "{:?}", r.text().await);
}

/// The peer of each payload the sink took, in order.
fn peers(h: &Receiver) -> Vec<Option<IpAddr>> {
    h.sink.received().into_iter().map(|r| r.peer).collect()
}

#[tokio::test]
async fn grpc_requests_carry_the_connections_address() {
    let h = Receiver::start("peer_grpc", &config("127.0.0.1:0")).await;
    let to = target(&h, "grpc");
    for from in [HOME, OTHER] {
        export(&channel_from(from, to).await, export_path(Signal::Traces), traces(), None).await.unwrap();
    }
    assert_eq!(peers(&h), [Some(HOME), Some(OTHER)]);
}

#[tokio::test]
async fn http_requests_carry_the_connections_address_not_a_forwarded_header() {
    let h = Receiver::start("peer_http", &config("127.0.0.1:0")).await;
    let to = target(&h, "http");
    for (from, json) in [(HOME, false), (OTHER, false), (HOME, true), (OTHER, true)] {
        post_from(from, to, json).await;
    }
    assert_eq!(peers(&h), [Some(HOME), Some(OTHER), Some(HOME), Some(OTHER)]);
}

/// On a dual-stack socket an IPv4 client shows as `::ffff:127.0.0.2`;
/// pod IPs are plain IPv4, so that is what is carried.
#[tokio::test]
async fn ipv4_clients_of_a_dual_stack_listener_are_carried_as_ipv4() {
    let h = Receiver::start("peer_dual_stack", &config("[::]:0")).await;
    export(&channel_from(OTHER, target(&h, "grpc")).await, export_path(Signal::Traces), traces(), None).await.unwrap();
    post_from(OTHER, target(&h, "http"), false).await;
    assert_eq!(peers(&h), [Some(OTHER), Some(OTHER)]);
}

#[test]
fn only_ipv4_mapped_addresses_are_rewritten() {
    let addr = |s: &str| super::super::export::client_addr(s.parse().unwrap());
    assert_eq!(addr("[::ffff:10.0.0.1]:4317"), "10.0.0.1".parse::<IpAddr>().unwrap());
    assert_eq!(addr("[::1]:4317"), "::1".parse::<IpAddr>().unwrap());
    assert_eq!(addr("[fd00::7]:4317"), "fd00::7".parse::<IpAddr>().unwrap());
    assert_eq!(addr("10.0.0.1:4317"), "10.0.0.1".parse::<IpAddr>().unwrap());
}
