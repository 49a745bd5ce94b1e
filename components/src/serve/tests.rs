//! The accept loop against clients that misbehave: too many connections,
//! idle and trickling ones, a trickled body; and a server moving.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};

use super::*;
use crate::harness::eventually;
use crate::harness::slowloris::{idle_connections, post_head, trickle_body};

/// Reads the whole body, as the OTLP/HTTP handler does, and answers how
/// long it was.
#[derive(Clone)]
struct ReadsBody;

impl Handler for ReadsBody {
    type Body = Full<Bytes>;

    async fn handle(self, req: Request<RequestBody>) -> Response<Self::Body> {
        let n = req.into_body().collect().await.map_or(0, |b| b.to_bytes().len());
        Response::new(Full::new(Bytes::from(format!("read {n}"))))
    }
}

const SHORT: Limits = Limits {
    max_connections: 4,
    handshake_timeout: Duration::from_millis(300),
    header_timeout: Duration::from_millis(300),
    body_timeout: Duration::from_millis(300),
    keep_alive_interval: Duration::from_secs(60),
    keep_alive_timeout: Duration::from_secs(20),
    drain_timeout: Duration::from_secs(1),
};

async fn start(limits: Limits) -> Server {
    let listener = Server::bind("127.0.0.1:0").await.unwrap();
    Server::start("test", listener, None, ReadsBody, limits).unwrap()
}

/// A blocking `POST /` with a small body; the answer, or "" if the
/// connection was closed first.
fn post(addr: SocketAddr) -> String {
    let Ok(mut c) = std::net::TcpStream::connect(addr) else { return String::new() };
    let _ = c.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out
}

async fn served(addr: SocketAddr) -> bool {
    tokio::task::spawn_blocking(move || post(addr)).await.unwrap().starts_with("HTTP/1.1 200")
}

/// A client holding the limit's worth of idle connections cannot keep
/// others out: past the limit a connection is closed at once, and once one
/// of the idle ones goes, a new client is served.
#[tokio::test]
async fn connections_past_the_limit_are_closed_at_once() {
    let limits = Limits { header_timeout: Duration::from_secs(600), ..SHORT };
    let server = start(limits).await;
    let addr = server.addr();
    let idle = idle_connections(addr, limits.max_connections);
    eventually("the limit to be reached", || async move { tokio::task::spawn_blocking(move || post(addr)).await.unwrap().is_empty() }).await;
    drop(idle);
    eventually("a new client to be served once the idle ones went", || served(addr)).await;
}

/// Slowloris: the limit's worth of connections that send a byte and stop,
/// and more that trickle a body, do not starve the server; their time runs
/// out and a normal request is served.
#[tokio::test]
async fn idle_and_trickling_connections_are_cut_off_and_others_served() {
    let server = start(SHORT).await;
    let addr = server.addr();
    let _idle = idle_connections(addr, SHORT.max_connections);
    let trickling: Vec<_> = (0..SHORT.max_connections)
        .map(|_| {
            let c = std::net::TcpStream::connect(addr).unwrap();
            tokio::task::spawn_blocking(move || trickle_body(c, &post_head("/", "text/plain")))
        })
        .collect();
    eventually("a normal request to be served", || served(addr)).await;
    for t in trickling {
        let answer = t.await.unwrap();
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
}

/// A body that trickles in is answered 408 once its time is up, and the
/// connection closed; the handler never sees a complete body.
#[tokio::test]
async fn a_trickled_body_is_answered_408() {
    let server = start(SHORT).await;
    let addr = server.addr();
    let answer = {
        let c = std::net::TcpStream::connect(addr).unwrap();
        tokio::task::spawn_blocking(move || trickle_body(c, &post_head("/", "text/plain")))
    }
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{answer}");
    assert!(answer.to_lowercase().contains("connection: close"), "{answer}");
    assert!(served(addr).await, "the server itself carries on");
}

/// A slow handler is not a slow client: once the body is in, the request
/// takes as long as it takes.
#[tokio::test]
async fn a_slow_handler_is_not_cut_off() {
    #[derive(Clone)]
    struct Slow;
    impl Handler for Slow {
        type Body = Full<Bytes>;
        async fn handle(self, req: Request<RequestBody>) -> Response<Self::Body> {
            let _ = req.into_body().collect().await;
            tokio::time::sleep(SHORT.body_timeout * 3).await;
            Response::new(Full::new(Bytes::from_static(b"done")))
        }
    }
    let server = Server::start("test", Server::bind("127.0.0.1:0").await.unwrap(), None, Slow, SHORT).unwrap();
    let addr = server.addr();
    assert!(served(addr).await);
}

/// Moving binds the new address first: a taken one leaves the server where
/// it was, saying why; a free one moves it and closes the old socket.
#[tokio::test]
async fn a_move_to_a_taken_address_stays_and_to_a_free_one_moves() {
    let mut server = start(SHORT).await;
    let old = server.addr();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap();
    let err = server.move_to(&taken_addr.to_string()).await.unwrap_err();
    assert!(err.listening);
    assert!(
        err.message.starts_with(&format!("cannot listen on {taken_addr}: ")) && err.message.ends_with(&format!("; still listening on {old}")),
        "{}",
        err.message
    );
    assert_eq!(server.addr(), old);
    assert!(served(old).await, "the old socket still serves");

    server.move_to("127.0.0.1:0").await.unwrap();
    let new = server.addr();
    assert_ne!(new, old);
    assert!(served(new).await);
    assert!(std::net::TcpStream::connect(old).is_err(), "the old socket is closed");
}

/// The one move the old socket is in the way of: the same port on another
/// host.
#[tokio::test]
async fn a_move_to_the_same_port_on_all_interfaces_succeeds() {
    let mut server = start(SHORT).await;
    let port = server.addr().port();
    server.move_to(&format!("0.0.0.0:{port}")).await.unwrap();
    assert_eq!(server.addr(), SocketAddr::from(([0, 0, 0, 0], port)));
    assert!(served(SocketAddr::from(([127, 0, 0, 1], port))).await);
}
