//! The HTTP exporter against real loopback servers: a sink that records
//! what it receives and answers as each test scripts it.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::http::{HeaderMap, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio_rustls::rustls::ServerConfig;

use solder_syntax::{Scope, Value};

use super::REGISTRATION;
use crate::component::{HealthState, Options, Running};
use crate::consumer::ErrorKind;
use crate::harness::{build_error, eventually, logs, metrics, traces, Harness};
use crate::otelcol::exporter::sending::status::encode_status;
use crate::otelcol::exporter::sending::testkit::TestCert;
use crate::otlp::Encoded;

struct Received {
    path: String,
    headers: HeaderMap,
    /// As it came over the wire, still compressed.
    body: Bytes,
}

impl Received {
    fn decompressed(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.headers.get("content-encoding").map(|v| v.to_str().unwrap()) {
            None => out.extend_from_slice(&self.body),
            Some("gzip") => drop(flate2::read::GzDecoder::new(&self.body[..]).read_to_end(&mut out).unwrap()),
            Some("deflate" | "zlib") => drop(flate2::read::ZlibDecoder::new(&self.body[..]).read_to_end(&mut out).unwrap()),
            Some("zstd") => out = zstd::decode_all(&self.body[..]).unwrap(),
            Some("snappy") => out = snap::raw::Decoder::new().decompress_vec(&self.body).unwrap(),
            Some(other) => panic!("unexpected content-encoding {other}"),
        }
        out
    }
}

/// A scripted answer: status, headers, protobuf body.
type Answer = (StatusCode, Vec<(&'static str, &'static str)>, Vec<u8>);

#[derive(Default)]
struct Sink {
    received: Mutex<Vec<Received>>,
    calls: AtomicUsize,
    call_times: Mutex<Vec<Instant>>,
    /// Answers for the next calls, in order; then calls succeed.
    script: Mutex<VecDeque<Answer>>,
}

impl Sink {
    fn scripted(answers: impl IntoIterator<Item = Answer>) -> Sink {
        Sink { script: Mutex::new(answers.into_iter().collect()), ..Sink::default() }
    }

    async fn start(self, tls: Option<Arc<ServerConfig>>) -> (Arc<Sink>, SocketAddr) {
        let sink = Arc::new(self);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let s = Arc::clone(&sink);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (s, tls) = (Arc::clone(&s), tls.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let s = Arc::clone(&s);
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
                });
            }
        });
        (sink, addr)
    }

    async fn handle(&self, req: hyper::Request<hyper::body::Incoming>) -> hyper::Response<Full<Bytes>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.call_times.lock().unwrap().push(Instant::now());
        let (parts, body) = req.into_parts();
        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let answer = self.script.lock().unwrap().pop_front();
        let (status, headers, reply) = answer.unwrap_or((StatusCode::OK, vec![], vec![]));
        if status.is_success() {
            assert_eq!(parts.method, hyper::Method::POST);
            self.received.lock().unwrap().push(Received { path: parts.uri.path().to_string(), headers: parts.headers, body });
        }
        let mut response = hyper::Response::builder().status(status).header("content-type", "application/x-protobuf");
        for (k, v) in headers {
            response = response.header(k, v);
        }
        response.body(Full::new(Bytes::from(reply))).unwrap()
    }

    fn bodies(&self) -> Vec<Vec<u8>> {
        self.received.lock().unwrap().iter().map(Received::decompressed).collect()
    }
}

const FAST_RETRY: &str = r#"retry_on_failure {
	initial_interval = "5ms"
	max_interval     = "20ms"
}"#;

fn config(endpoint: &str, extra: &str) -> String {
    format!("client {{\n\tendpoint = \"{endpoint}\"\n}}\n{extra}")
}

/// The exporter, running under `id`: its counts are kept per ID.
fn exporter(id: &str, args: &str) -> Harness {
    Harness::start_with(&REGISTRATION, Options::standalone(id), args, &Scope::new()).unwrap()
}

fn count(c: &Arc<dyn Running>, what: &str, kind: &str) -> u64 {
    let Value::Object(info) = c.debug_info() else { panic!() };
    let Some(Value::Object(counts)) = info.get(what) else { panic!("no {what}") };
    counts.get(kind).and_then(|v| if let Value::Number(n) = v { n.as_u64() } else { None }).unwrap_or(0)
}

fn answer(status: u16, headers: Vec<(&'static str, &'static str)>) -> Answer {
    (StatusCode::from_u16(status).unwrap(), headers, vec![])
}

#[tokio::test]
async fn posts_each_signal_byte_for_byte() {
    for (compression, slash) in [("gzip", ""), ("zstd", "/"), ("deflate", ""), ("snappy", ""), ("none", "/")] {
        let (sink, addr) = Sink::default().start(None).await;
        let args = format!(
            "client {{\n\tendpoint = \"http://{addr}{slash}\"\n\tcompression = \"{compression}\"\n\theaders = {{ \"X-Scope-OrgID\" = \"tenant-1\" }}\n}}"
        );
        let h = exporter(&format!("otelcol.exporter.otlphttp.bytes_{compression}"), &args);
        let input = h.input();
        let (t, m, l) = (traces(3), metrics(2), logs(4));
        input.0.consume_traces(t.clone()).await.unwrap();
        input.0.consume_metrics(m.clone()).await.unwrap();
        input.0.consume_logs(l.clone()).await.unwrap();
        eventually("three requests", || async { sink.received.lock().unwrap().len() == 3 }).await;

        let received = std::mem::take(&mut *sink.received.lock().unwrap());
        for (path, bytes) in [("/v1/traces", t.bytes()), ("/v1/metrics", m.bytes()), ("/v1/logs", l.bytes())] {
            let r = received.iter().find(|r| r.path == path).unwrap_or_else(|| panic!("nothing posted to {path}"));
            assert_eq!(r.decompressed(), bytes.to_vec(), "{path} with {compression}");
            let encoding = r.headers.get("content-encoding").map(|v| v.to_str().unwrap());
            assert_eq!(encoding, (compression != "none").then_some(compression));
            assert_eq!(r.headers["content-type"], "application/x-protobuf");
            assert_eq!(r.headers["x-scope-orgid"], "tenant-1");
            assert!(r.headers["user-agent"].to_str().unwrap().starts_with("solder/"));
        }
        eventually("the sent count", || async { count(&h.component, "sent", "log_records") == 4 }).await;
        h.stop().await;
    }
}

#[tokio::test]
async fn signal_endpoints_override_the_default_paths() {
    let (sink, addr) = Sink::default().start(None).await;
    let extra = format!("traces_endpoint = \"http://{addr}/tempo/otlp/v1/traces\"");
    let h = exporter("otelcol.exporter.otlphttp.override", &config(&format!("http://{addr}/base"), &extra));
    let input = h.input();
    input.0.consume_traces(traces(1)).await.unwrap();
    input.0.consume_logs(logs(1)).await.unwrap();
    eventually("two requests", || async { sink.received.lock().unwrap().len() == 2 }).await;
    let mut paths: Vec<String> = sink.received.lock().unwrap().iter().map(|r| r.path.clone()).collect();
    paths.sort();
    assert_eq!(paths, vec!["/base/v1/logs", "/tempo/otlp/v1/traces"]);
    h.stop().await;
}

#[tokio::test]
async fn retryable_statuses_are_retried_until_each_request_arrives_once() {
    let script = [answer(503, vec![]), answer(429, vec![]), answer(502, vec![]), answer(504, vec![])];
    let (sink, addr) = Sink::scripted(script).start(None).await;
    let h = exporter("otelcol.exporter.otlphttp.recover", &config(&format!("http://{addr}"), FAST_RETRY));
    let input = h.input();
    let payloads: Vec<_> = (1..=5).map(traces).collect();
    for p in &payloads {
        input.0.consume_traces(p.clone()).await.unwrap();
    }
    // Once the exporter counts all 15 spans as sent, every request has
    // been answered: what the sink holds then is final.
    eventually("the sent count", || async { count(&h.component, "sent", "spans") == 15 }).await;
    let mut got = sink.bodies();
    let mut want: Vec<Vec<u8>> = payloads.iter().map(|p| p.bytes().to_vec()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "each request arrives exactly once");
    assert_eq!(sink.calls.load(Ordering::SeqCst), 9, "5 requests, 4 of them refused once");
    assert_eq!(count(&h.component, "send_failed", "spans"), 0);
    eventually("healthy after a successful send", || async { h.health().state == HealthState::Healthy }).await;
    h.stop().await;
}

#[tokio::test]
async fn retry_after_is_honoured_and_health_follows() {
    let (sink, addr) = Sink::scripted([answer(503, vec![("retry-after", "1")])]).start(None).await;
    let h = exporter("otelcol.exporter.otlphttp.retry_after", &config(&format!("http://{addr}"), FAST_RETRY));
    let input = h.input();
    input.0.consume_traces(traces(1)).await.unwrap();
    eventually("unhealthy", || async { h.health().state == HealthState::Unhealthy }).await;
    let message = h.health().message;
    let want = format!("sending to http://{addr}/v1/traces failed: HTTP 503 Service Unavailable, retrying in 1s");
    assert_eq!(message, want);
    eventually("the retried request", || async { sink.received.lock().unwrap().len() == 1 }).await;
    let times = sink.call_times.lock().unwrap().clone();
    assert!(times[1] - times[0] >= Duration::from_secs(1), "Retry-After was not honoured: {:?}", times[1] - times[0]);
    eventually("healthy after a successful send", || async { h.health().state == HealthState::Healthy }).await;
    h.stop().await;
}

#[tokio::test]
async fn client_errors_are_permanent() {
    let refusal = (StatusCode::BAD_REQUEST, vec![], encode_status(3, "span 7 has no trace ID", None));
    let (sink, addr) = Sink::scripted([refusal]).start(None).await;
    let h = exporter("otelcol.exporter.otlphttp.permanent", &config(&format!("http://{addr}"), FAST_RETRY));
    let input = h.input();
    input.0.consume_traces(traces(3)).await.unwrap();
    eventually("the request to be dropped", || async { count(&h.component, "send_failed", "spans") == 3 }).await;
    assert_eq!(sink.calls.load(Ordering::SeqCst), 1);
    assert!(h.health().message.ends_with("HTTP 400 Bad Request: span 7 has no trace ID; dropped 3 spans"), "{}", h.health().message);
    h.stop().await;
}

#[tokio::test]
async fn without_a_queue_the_sender_gets_the_result() {
    let (sink, addr) = Sink::scripted([answer(503, vec![]), answer(401, vec![])]).start(None).await;
    let extra = "sending_queue { enabled = false }\nretry_on_failure { enabled = false }";
    let h = Harness::build_with(&REGISTRATION, Options::standalone("otelcol.exporter.otlphttp.sync"), &config(&format!("http://{addr}"), extra), &Scope::new())
        .unwrap();
    let input = h.input();
    let err = input.0.consume_metrics(metrics(1)).await.unwrap_err();
    assert_eq!((err.kind, err.message.as_str()), (ErrorKind::Retryable, "HTTP 503 Service Unavailable"));
    let err = input.0.consume_metrics(metrics(1)).await.unwrap_err();
    assert_eq!((err.kind, err.message.as_str()), (ErrorKind::Permanent, "HTTP 401 Unauthorized"));
    let m = metrics(2);
    input.0.consume_metrics(m.clone()).await.unwrap();
    assert_eq!(sink.bodies(), vec![m.bytes().to_vec()], "delivered before consume returned");
}

#[tokio::test]
async fn https_with_a_ca_file() {
    let cert = TestCert::new("localhost");
    let (sink, addr) = Sink::default().start(Some(cert.server_config(&[b"h2", b"http/1.1"], None))).await;
    let args = format!("client {{\n\tendpoint = \"https://localhost:{}\"\n\ttls {{ ca_file = \"{}\" }}\n}}", addr.port(), cert.cert_path());
    let h = exporter("otelcol.exporter.otlphttp.tls", &args);
    let input = h.input();
    let t: Encoded<_> = traces(2);
    input.0.consume_traces(t.clone()).await.unwrap();
    eventually("the request over TLS", || async { sink.received.lock().unwrap().len() == 1 }).await;
    assert_eq!(sink.bodies(), vec![t.bytes().to_vec()]);
    h.stop().await;
}

#[test]
fn argument_errors_are_explained() {
    let error = |args: &str| build_error(&REGISTRATION, args, &Scope::new());
    assert_eq!(error(""), "missing required block \"client\"");
    let cases = [
        (config("localhost:4318", ""), "\"localhost:4318/v1/traces\" is not a URL: it must start with http:// or https://"),
        (config("http://localhost:4318", "encoding = \"json\""), "encoding \"json\" is not supported; use \"proto\""),
        (config("http://localhost:4318", "traces_endpoint = \"tempo:4318\""), "\"tempo:4318\" is not a URL"),
        (config("http://localhost:4318", "sending_queue { queue_size = 0 }"), "`queue_size` must be positive"),
    ];
    for (src, want) in cases {
        let got = error(&src);
        assert!(got.contains(want), "{src}: {got}");
    }
}

/// `auth` adds the handler's credentials to every request's headers.
#[tokio::test]
async fn auth_handler_credentials_go_with_every_request() {
    let (sink, addr) = Sink::default().start(None).await;
    let creds = Harness::build(&crate::otelcol::auth::bearer::REGISTRATION, "token = \"http-token\"\nscheme = \"Token\"", &Scope::new()).unwrap();
    let scope = Scope::new().with("creds", creds.exports());
    let args = format!("client {{\n\tendpoint = \"http://{addr}\"\n\tauth = creds.handler\n}}");
    let h = Harness::start_with(&REGISTRATION, Options::standalone("otelcol.exporter.otlphttp.auth"), &args, &scope).unwrap();
    h.input().0.consume_logs(logs(1)).await.unwrap();
    eventually("the request", || async { sink.received.lock().unwrap().len() == 1 }).await;
    assert_eq!(sink.received.lock().unwrap()[0].headers["authorization"], "Token http-token");
    h.stop().await;
}
