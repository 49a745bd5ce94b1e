//! The gRPC exporter against real loopback servers: a sink that records
//! what it receives and answers as each test scripts it.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::http::HeaderMap;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::rustls::ServerConfig;
use tonic::codec::CompressionEncoding;
use tonic::{Code, Status};

use solder_syntax::{Scope, Value};

use super::grpc::Passthrough;
use super::REGISTRATION;
use crate::component::{HealthState, Options, Running};
use crate::consumer::ErrorKind;
use crate::harness::{build_error, eventually, logs, metrics, traces, Harness};
use crate::otelcol::exporter::sending::status::encode_status;
use crate::otelcol::exporter::sending::testkit::TestCert;

struct Received {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A gRPC server that accepts any method and records the message bytes.
/// The load-balancing exporter's tests run several.
#[derive(Default)]
pub(crate) struct Sink {
    received: Mutex<Vec<Received>>,
    pub(crate) calls: AtomicUsize,
    call_times: Mutex<Vec<Instant>>,
    /// Answers for the next calls, in order; then calls succeed.
    script: Mutex<VecDeque<Status>>,
    /// Answer UNAVAILABLE while set.
    pub(crate) down: AtomicBool,
    /// When set, each call waits for a permit first.
    gate: Option<Semaphore>,
}

impl Sink {
    pub(crate) async fn start(self, tls: Option<Arc<ServerConfig>>) -> (Arc<Sink>, SocketAddr) {
        self.start_at("127.0.0.1:0".parse().unwrap(), tls).await
    }

    async fn start_at(self, addr: SocketAddr, tls: Option<Arc<ServerConfig>>) -> (Arc<Sink>, SocketAddr) {
        let sink = Arc::new(self);
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let s = Arc::clone(&sink);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(Arc::clone(&s).serve(tcp, tls.clone()));
            }
        });
        (sink, addr)
    }

    async fn serve(self: Arc<Self>, tcp: tokio::net::TcpStream, tls: Option<Arc<ServerConfig>>) {
        let svc = hyper::service::service_fn(move |req| {
            let s = Arc::clone(&self);
            async move { Ok::<_, Infallible>(s.handle(req).await) }
        });
        let server = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        let _ = match tls {
            None => server.serve_connection(TokioIo::new(tcp), svc).await,
            Some(config) => match tokio_rustls::TlsAcceptor::from(config).accept(tcp).await {
                Ok(stream) => server.serve_connection(TokioIo::new(stream), svc).await,
                Err(_) => return,
            },
        };
    }

    async fn handle(self: Arc<Self>, req: hyper::Request<hyper::body::Incoming>) -> hyper::Response<tonic::body::Body> {
        let (path, headers) = (req.uri().path().to_string(), req.headers().clone());
        let req = unsnappy(req).await;
        let mut grpc = tonic::server::Grpc::new(Passthrough).accept_compressed(CompressionEncoding::Gzip).accept_compressed(CompressionEncoding::Zstd);
        let me = Arc::clone(&self);
        let method = tower::service_fn(move |request: tonic::Request<Bytes>| {
            let (me, path, headers) = (Arc::clone(&me), path.clone(), headers.clone());
            async move {
                me.calls.fetch_add(1, Ordering::SeqCst);
                me.call_times.lock().unwrap().push(Instant::now());
                if let Some(gate) = &me.gate {
                    let _permit = gate.acquire().await;
                }
                if me.down.load(Ordering::SeqCst) {
                    return Err(Status::unavailable("backend is down"));
                }
                if let Some(status) = me.script.lock().unwrap().pop_front() {
                    return Err(status);
                }
                me.received.lock().unwrap().push(Received { path, headers, body: request.into_inner() });
                Ok(tonic::Response::new(Bytes::new()))
            }
        });
        grpc.unary(method, req).await
    }

    pub(crate) fn bodies(&self) -> Vec<Bytes> {
        self.received.lock().unwrap().iter().map(|r| r.body.clone()).collect()
    }

    fn scripted(statuses: impl IntoIterator<Item = Status>) -> Sink {
        Sink { script: Mutex::new(statuses.into_iter().collect()), ..Sink::default() }
    }
}

/// tonic has no snappy: a framed-snappy message is inflated here and
/// handed on as an uncompressed frame.
async fn unsnappy(req: hyper::Request<hyper::body::Incoming>) -> hyper::Request<tonic::body::Body> {
    use http_body_util::BodyExt;
    use std::io::Read;
    if req.headers().get("grpc-encoding").is_none_or(|v| v != "snappy") {
        return req.map(tonic::body::Body::new);
    }
    let (mut parts, body) = req.into_parts();
    let frame = body.collect().await.unwrap().to_bytes();
    assert_eq!(frame[0], 1, "a snappy message is flagged compressed");
    let mut message = Vec::new();
    snap::read::FrameDecoder::new(&frame[5..]).read_to_end(&mut message).unwrap();
    let mut out = vec![0u8];
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(&message);
    parts.headers.remove("grpc-encoding");
    hyper::Request::from_parts(parts, tonic::body::Body::new(http_body_util::Full::new(Bytes::from(out))))
}

/// Fast retries, so tests take milliseconds.
const FAST_RETRY: &str = r#"retry_on_failure {
	initial_interval = "5ms"
	max_interval     = "20ms"
}"#;

fn config(endpoint: &str, extra: &str) -> String {
    format!("client {{\n\tendpoint = \"{endpoint}\"\n\ttls {{ insecure = true }}\n}}\n{extra}")
}

/// The exporter, running under `id`: its counts are kept per ID.
fn exporter(id: &str, args: &str) -> Harness {
    Harness::start_with(&REGISTRATION, Options::standalone(id), args, &Scope::new()).unwrap()
}

fn sent(c: &Arc<dyn Running>, what: &str, kind: &str) -> u64 {
    let Value::Object(info) = c.debug_info() else { panic!() };
    let Some(Value::Object(counts)) = info.get(what) else { panic!("no {what}") };
    counts.get(kind).and_then(|v| if let Value::Number(n) = v { n.as_u64() } else { None }).unwrap_or(0)
}

#[tokio::test]
async fn sends_each_signal_byte_for_byte() {
    for (compression, encoding) in [("gzip", Some("gzip")), ("zstd", Some("zstd")), ("snappy", Some("snappy")), ("none", None)] {
        let (sink, addr) = Sink::default().start(None).await;
        let args = format!(
            "client {{\n\tendpoint = \"{addr}\"\n\tcompression = \"{compression}\"\n\theaders = {{ \"X-Scope-OrgID\" = \"tenant-1\" }}\n\ttls {{ insecure = true }}\n}}"
        );
        let h = exporter(&format!("otelcol.exporter.otlp.bytes_{compression}"), &args);
        let input = h.input();
        let (t, m, l) = (traces(3), metrics(2), logs(4));
        input.0.consume_traces(t.clone()).await.unwrap();
        input.0.consume_metrics(m.clone()).await.unwrap();
        input.0.consume_logs(l.clone()).await.unwrap();
        eventually("three requests", || async { sink.received.lock().unwrap().len() == 3 }).await;

        let received = std::mem::take(&mut *sink.received.lock().unwrap());
        for (path, bytes) in [
            ("/opentelemetry.proto.collector.trace.v1.TraceService/Export", t.bytes()),
            ("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", m.bytes()),
            ("/opentelemetry.proto.collector.logs.v1.LogsService/Export", l.bytes()),
        ] {
            let r = received.iter().find(|r| r.path == path).unwrap_or_else(|| panic!("nothing sent to {path}"));
            assert_eq!(&r.body, bytes, "{path} with {compression}");
            assert_eq!(r.headers.get("grpc-encoding").map(|v| v.to_str().unwrap()), encoding);
            assert_eq!(r.headers["x-scope-orgid"], "tenant-1");
            assert!(r.headers["user-agent"].to_str().unwrap().starts_with("solder/"));
            assert!(r.headers.contains_key("grpc-timeout"));
        }
        let counts = || (sent(&h.component, "sent", "spans"), sent(&h.component, "sent", "metric_points"), sent(&h.component, "sent", "log_records"));
        eventually("the sent counts", || async { counts() == (3, 2, 4) }).await;
        eventually("healthy after a successful send", || async { h.health().state == HealthState::Healthy }).await;
        h.stop().await;
    }
}

#[tokio::test]
async fn retries_until_the_server_recovers_and_delivers_each_request_once() {
    let failures = (0..4).map(|_| Status::unavailable("warming up"));
    let (sink, addr) = Sink::scripted(failures).start(None).await;
    let h = exporter("otelcol.exporter.otlp.recover", &config(&addr.to_string(), FAST_RETRY));
    let payloads: Vec<_> = (1..=6).map(traces).collect();
    for p in &payloads {
        h.input().0.consume_traces(p.clone()).await.unwrap();
    }
    // Once the exporter counts all 21 spans as sent, every request has
    // been answered: what the sink holds then is final.
    eventually("the sent count", || async { sent(&h.component, "sent", "spans") == 21 }).await;
    let mut got = sink.bodies();
    let mut want: Vec<Bytes> = payloads.iter().map(|p| p.bytes().clone()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "each request arrives exactly once");
    assert_eq!(sink.calls.load(Ordering::SeqCst), 10, "6 requests, 4 of them refused once");
    assert_eq!(sent(&h.component, "send_failed", "spans"), 0);
    h.stop().await;
}

/// A backend going away mid-request: its first connection answers the
/// first request with a GOAWAY that does not include it, as a server
/// shutting down gracefully does with a request that arrived too late. The
/// server never processed it, so it must be sent again, not dropped.
#[tokio::test]
async fn a_request_the_server_went_away_from_is_sent_again() {
    let sink = Arc::new(Sink::default());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let s = Arc::clone(&sink);
    tokio::spawn(async move {
        let (first, _) = listener.accept().await.unwrap();
        let mut conn = h2::server::handshake(first).await.unwrap();
        // Let the request's frames arrive unread, then go away before
        // reading them: the GOAWAY's last stream is 0.
        tokio::time::sleep(Duration::from_millis(200)).await;
        conn.abrupt_shutdown(h2::Reason::NO_ERROR);
        let _ = std::future::poll_fn(|cx| conn.poll_closed(cx)).await;
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(Arc::clone(&s).serve(tcp, None));
        }
    });
    let h = exporter("otelcol.exporter.otlp.goaway", &config(&addr.to_string(), FAST_RETRY));
    h.input().0.consume_traces(traces(3)).await.unwrap();
    eventually("the request to be sent again", || async { sent(&h.component, "sent", "spans") == 3 }).await;
    assert_eq!(sent(&h.component, "send_failed", "spans"), 0, "the request was dropped");
    assert_eq!(sink.bodies().len(), 1);
    h.stop().await;
}

/// A backend killed mid-request: its first connection reads the request
/// and then resets, with no GOAWAY and no status. The request's fate is
/// unknown to the exporter, so it is sent again rather than dropped.
#[tokio::test]
async fn a_request_whose_connection_broke_is_sent_again() {
    let sink = Arc::new(Sink::default());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let s = Arc::clone(&sink);
    tokio::spawn(async move {
        let (mut first, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let _ = tokio::time::timeout(Duration::from_millis(200), async {
            while let Ok(n) = tokio::io::AsyncReadExt::read(&mut first, &mut buf).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
        first.set_zero_linger().unwrap();
        drop(first);
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(Arc::clone(&s).serve(tcp, None));
        }
    });
    let h = exporter("otelcol.exporter.otlp.reset", &config(&addr.to_string(), FAST_RETRY));
    h.input().0.consume_traces(traces(3)).await.unwrap();
    eventually("the request to be sent again", || async { sent(&h.component, "sent", "spans") == 3 || sent(&h.component, "send_failed", "spans") > 0 }).await;
    assert_eq!(sent(&h.component, "send_failed", "spans"), 0, "the request was dropped");
    assert_eq!(sink.bodies().len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn health_follows_the_server() {
    let (sink, addr) = Sink { down: AtomicBool::new(true), ..Sink::default() }.start(None).await;
    let h = exporter("otelcol.exporter.otlp.health", &config(&addr.to_string(), FAST_RETRY));
    h.input().0.consume_traces(traces(1)).await.unwrap();
    h.wait_for_health(HealthState::Unhealthy).await;
    let message = h.health().message;
    assert!(message.starts_with(&format!("sending to {addr} failed: UNAVAILABLE: backend is down, retrying in")), "{message}");
    sink.down.store(false, Ordering::SeqCst);
    h.wait_for_health(HealthState::Healthy).await;
    assert_eq!(h.health().message, format!("sending to {addr}"));
    assert_eq!(sink.received.lock().unwrap().len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn reconnects_when_the_server_comes_back() {
    let addr = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let h = exporter("otelcol.exporter.otlp.reconnect", &config(&addr.to_string(), FAST_RETRY));
    let t = traces(2);
    h.input().0.consume_traces(t.clone()).await.unwrap();
    eventually("connection failures", || async { h.health().message.contains("Connection refused") }).await;
    let (sink, _) = Sink::default().start_at(addr, None).await;
    eventually("delivery after the server started", || async { sink.received.lock().unwrap().len() == 1 }).await;
    assert_eq!(sink.bodies(), vec![t.bytes().clone()]);
    h.stop().await;
}

#[tokio::test]
async fn resource_exhausted_is_retried_only_when_the_server_says_when() {
    let throttled = Status::with_details(Code::ResourceExhausted, "slow down", encode_status(8, "slow down", Some(Duration::from_millis(80))).into());
    let (sink, addr) = Sink::scripted([throttled]).start(None).await;
    let h = exporter("otelcol.exporter.otlp.throttled", &config(&addr.to_string(), FAST_RETRY));
    h.input().0.consume_traces(traces(1)).await.unwrap();
    eventually("the retried request", || async { sink.received.lock().unwrap().len() == 1 }).await;
    let times = sink.call_times.lock().unwrap().clone();
    assert!(times[1] - times[0] >= Duration::from_millis(80), "RetryInfo's delay was not honoured: {:?}", times[1] - times[0]);
    h.stop().await;

    let (sink, addr) = Sink::scripted([Status::resource_exhausted("over quota")]).start(None).await;
    let h = exporter("otelcol.exporter.otlp.exhausted", &config(&addr.to_string(), FAST_RETRY));
    h.input().0.consume_traces(traces(2)).await.unwrap();
    eventually("the request to be dropped", || async { sent(&h.component, "send_failed", "spans") == 2 }).await;
    assert_eq!(sink.calls.load(Ordering::SeqCst), 1);
    assert!(h.health().message.ends_with("RESOURCE_EXHAUSTED: over quota; dropped 2 spans"), "{}", h.health().message);
    h.stop().await;
}

#[tokio::test]
async fn a_full_queue_refuses_with_a_retryable_error_and_drops_nothing() {
    let (sink, addr) = Sink { gate: Some(Semaphore::new(0)), ..Sink::default() }.start(None).await;
    let queue = "sending_queue {\n\tnum_consumers = 1\n\tqueue_size = 2\n}";
    let h = exporter("otelcol.exporter.otlp.full", &config(&addr.to_string(), queue));
    let input = h.input();
    let payloads: Vec<_> = (1..=4).map(traces).collect();
    input.0.consume_traces(payloads[0].clone()).await.unwrap();
    eventually("the worker to hold the first request", || async { sink.calls.load(Ordering::SeqCst) == 1 }).await;
    input.0.consume_traces(payloads[1].clone()).await.unwrap();
    input.0.consume_traces(payloads[2].clone()).await.unwrap();
    let err = input.0.consume_traces(payloads[3].clone()).await.unwrap_err();
    assert_eq!((err.kind, err.message.as_str()), (ErrorKind::Retryable, "sending queue is full"));
    assert_eq!(sent(&h.component, "enqueue_failed", "spans"), 4);

    sink.gate.as_ref().unwrap().add_permits(100);
    eventually("the queued requests", || async { sink.received.lock().unwrap().len() == 3 }).await;
    let want: Vec<Bytes> = payloads[..3].iter().map(|p| p.bytes().clone()).collect();
    assert_eq!(sink.bodies(), want, "sent in order, none dropped");
    // The sender retries what was refused, and now it fits.
    input.0.consume_traces(payloads[3].clone()).await.unwrap();
    eventually("the retried request", || async { sink.received.lock().unwrap().len() == 4 }).await;
    h.stop().await;
}

#[tokio::test]
async fn without_a_queue_the_sender_gets_the_result() {
    let script = [Status::unavailable("down for a moment"), Status::invalid_argument("bad data")];
    let (sink, addr) = Sink::scripted(script).start(None).await;
    let extra = "sending_queue { enabled = false }\nretry_on_failure { enabled = false }";
    // No run: with the queue disabled, the caller's task does the sending.
    let h = Harness::build_with(&REGISTRATION, Options::standalone("otelcol.exporter.otlp.sync"), &config(&addr.to_string(), extra), &Scope::new()).unwrap();
    let input = h.input();
    let err = input.0.consume_traces(traces(1)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Retryable);
    assert!(err.message.contains("UNAVAILABLE: down for a moment"), "{}", err.message);
    let err = input.0.consume_logs(logs(1)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent);
    assert!(err.message.contains("INVALID_ARGUMENT: bad data"), "{}", err.message);
    let t = traces(2);
    input.0.consume_traces(t.clone()).await.unwrap();
    assert_eq!(sink.bodies(), vec![t.bytes().clone()], "delivered before consume returned");
    assert_eq!((sent(&h.component, "send_failed", "spans"), sent(&h.component, "send_failed", "log_records")), (1, 1));
}

#[tokio::test]
async fn update_in_place_keeps_the_input_and_the_queued_requests() {
    let dead = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let queue = "sending_queue { num_consumers = 1 }";
    let args = |endpoint: &str, size: u32| config(endpoint, &format!("{FAST_RETRY}\nsending_queue {{\n\tnum_consumers = 1\n\tqueue_size = {size}\n}}"));
    let h = exporter("otelcol.exporter.otlp.update", &config(&dead.to_string(), &format!("{FAST_RETRY}\n{queue}")));
    let (input, exports) = (h.input(), h.exports());
    let payloads: Vec<_> = (1..=5).map(traces).collect();
    for p in &payloads {
        input.0.consume_traces(p.clone()).await.unwrap();
    }
    eventually("failing against the dead endpoint", || async { h.health().message.contains("failed") }).await;

    let (sink, addr) = Sink::default().start(None).await;
    h.update(&args(&addr.to_string(), 2)).unwrap();
    assert!(exports == h.exports(), "the input capsule must not change on update");
    assert!(Arc::ptr_eq(&input.0, &h.input().0));
    eventually("the queued requests at the new endpoint", || async { sink.received.lock().unwrap().len() == 5 }).await;
    let want: Vec<Bytes> = payloads.iter().map(|p| p.bytes().clone()).collect();
    assert_eq!(sink.bodies(), want);
    assert_eq!(h.debug("endpoint"), Value::from(addr.to_string()));
    assert_eq!(h.debug("queue_capacity"), Value::Number(solder_syntax::value::Number::Uint(2)));
    h.stop().await;
}

#[tokio::test]
async fn shutdown_flushes_the_queue() {
    let (sink, addr) = Sink { gate: Some(Semaphore::new(0)), ..Sink::default() }.start(None).await;
    let h = exporter("otelcol.exporter.otlp.flush", &config(&addr.to_string(), "sending_queue { num_consumers = 1 }"));
    for n in 1..=4 {
        h.input().0.consume_traces(traces(n)).await.unwrap();
    }
    eventually("the first request in flight", || async { sink.calls.load(Ordering::SeqCst) == 1 }).await;
    h.cancel();
    // Shutdown starts on the run task; until then a request is still taken
    // (and must be delivered too). Then no new data is.
    let mut taken_late = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    let err = loop {
        match h.input().0.consume_traces(traces(1)).await {
            Ok(()) => taken_late += 1,
            Err(e) => break e,
        }
        assert!(Instant::now() < deadline, "still taking data after the stop");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(err.kind, ErrorKind::Retryable, "no new data once shutdown starts");
    assert!(err.message.contains("shutting down"), "{}", err.message);
    sink.gate.as_ref().unwrap().add_permits(100);
    tokio::time::timeout(Duration::from_secs(6), h.stop()).await.unwrap();
    assert_eq!(sink.received.lock().unwrap().len(), 4 + taken_late, "every request taken is flushed");

    // With the backend gone, each request gets one last attempt and the
    // stop is quick; what could not be sent is counted, not lost silently.
    // The retry waits are an hour: only a stop that cuts them short
    // attempts every request within the flush timeout.
    let dead = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let hour = "sending_queue { num_consumers = 1 }\n\tretry_on_failure {\n\t\tinitial_interval = \"1h\"\n\t\tmax_interval = \"1h\"\n\t\tmax_elapsed_time = \"0s\"\n\t}";
    let h = exporter("otelcol.exporter.otlp.flush_dead", &config(&dead.to_string(), hour));
    for n in 1..=3 {
        h.input().0.consume_traces(traces(n)).await.unwrap();
    }
    h.wait_for_health(HealthState::Unhealthy).await;
    let c = h.stop().await;
    assert_eq!(sent(&c, "send_failed", "spans"), 6);
    // One last attempt each, at once: had the stop waited out a backoff,
    // the flush would have run out of time instead.
    let health = c.health().message;
    assert!(health.contains("not retried during shutdown") && !health.contains("ran out of time"), "{health}");
}

#[tokio::test]
async fn tls_with_a_ca_file_client_certificates_and_skip_verify() {
    let server = TestCert::new("localhost");
    let client = TestCert::new("client");
    let (sink, addr) = Sink::default().start(Some(server.server_config(&[b"h2"], Some(&client)))).await;
    let endpoint = format!("localhost:{}", addr.port());
    let tls_args = |tls: &str| format!("client {{\n\tendpoint = \"{endpoint}\"\n\ttls {{\n{tls}\n\t}}\n}}\n{FAST_RETRY}");
    let mtls = format!("ca_file = \"{}\"\ncert_file = \"{}\"\nkey_file = \"{}\"", server.cert_path(), client.cert_path(), client.key_path());
    let skip = format!("insecure_skip_verify = true\ncert_pem = {:?}\nkey_pem = {:?}", client.cert_pem, client.key_pem);
    for (name, tls) in [("mtls", mtls), ("skip", skip)] {
        let h = exporter(&format!("otelcol.exporter.otlp.tls_{name}"), &tls_args(&tls));
        let t = traces(2);
        h.input().0.consume_traces(t.clone()).await.unwrap();
        eventually(name, || async { sink.bodies().contains(t.bytes()) }).await;
        h.stop().await;
    }

    // A server whose certificate the CA did not sign is refused.
    let stranger = TestCert::new("localhost");
    let h = exporter("otelcol.exporter.otlp.tls_bad", &tls_args(&format!("ca_file = \"{}\"", stranger.cert_path())));
    h.input().0.consume_traces(traces(1)).await.unwrap();
    h.wait_for_health(HealthState::Unhealthy).await;
    assert!(h.health().message.contains("UNAVAILABLE"), "{}", h.health().message);
    assert_eq!(sink.received.lock().unwrap().len(), 2);
    h.stop().await;
}

#[test]
fn argument_errors_are_explained() {
    let error = |args: &str| build_error(&REGISTRATION, args, &Scope::new());
    assert_eq!(error(""), "missing required block \"client\"");
    let cases = [
        ("compression = \"deflate\"", "compression \"deflate\" is not supported for gRPC"),
        ("compression = \"brotli\"", "invalid value \"brotli\""),
        ("balancer_name = \"round_robin\"", "unrecognized attribute name \"balancer_name\""),
    ];
    for (attr, want) in cases {
        let got = error(&format!("client {{\n\tendpoint = \"localhost:4317\"\n\t{attr}\n}}"));
        assert!(got.contains(want), "{attr}: {got}");
    }
    assert!(error(&config("unix:///tmp/otlp.sock", "")).contains("scheme \"unix\" is not supported"));
    assert!(error(&config("localhost:4317", "sending_queue { num_consumers = 0 }")).contains("`num_consumers` must be positive"));
    assert!(error(&config("localhost:4317", "retry_on_failure { randomization_factor = 2 }")).contains("randomization_factor"));
}

/// `auth` adds the handler's credentials to every request's metadata, and
/// an update of the auth component applies to the next request.
#[tokio::test]
async fn auth_handler_credentials_go_with_every_request() {
    let (sink, addr) = Sink::default().start(None).await;
    let creds = Harness::build(&crate::otelcol::auth::bearer::REGISTRATION, r#"token = "grpc-token""#, &Scope::new()).unwrap();
    let scope = Scope::new().with("creds", creds.exports());
    let args = format!("client {{\n\tendpoint = \"{addr}\"\n\tauth = creds.handler\n\ttls {{ insecure = true }}\n}}");
    let h = Harness::start_with(&REGISTRATION, Options::standalone("otelcol.exporter.otlp.auth"), &args, &scope).unwrap();
    h.input().0.consume_traces(traces(1)).await.unwrap();
    eventually("the first request", || async { sink.received.lock().unwrap().len() == 1 }).await;
    creds.update(r#"token = "rotated""#).unwrap();
    h.input().0.consume_traces(traces(1)).await.unwrap();
    eventually("the second request", || async { sink.received.lock().unwrap().len() == 2 }).await;
    let sent: Vec<_> = sink.received.lock().unwrap().iter().map(|r| r.headers["authorization"].clone()).collect();
    assert_eq!(sent, ["Bearer grpc-token", "Bearer rotated"]);
    h.stop().await;
}

#[test]
fn auth_without_client_credentials_is_refused() {
    let server_only = Harness::build(&crate::otelcol::auth::basic::REGISTRATION, r#"htpasswd { inline = "u:p" }"#, &Scope::new()).unwrap();
    let scope = Scope::new().with("creds", server_only.exports());
    let err = build_error(&REGISTRATION, "client {\n\tendpoint = \"127.0.0.1:1\"\n\tauth = creds.handler\n}", &scope);
    assert!(err.contains("no client credentials"), "{err}");
}
