//! The remote-write server the tests send to: it decodes what arrives,
//! keeps it with its headers and arrival time, and answers as scripted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use prost::Message;
use tokio::time::Instant;

use super::fixtures::render;
use crate::otelcol::exporter::sending::testkit::TestCert;
use crate::prometheus::remote_write::{TimeSeries, WriteRequest};

/// One request as the sink saw it.
pub(super) struct Seen {
    status: u16,
    pub(super) at: Instant,
    pub(super) headers: HeaderMap,
    pub(super) request: WriteRequest,
}

/// A scripted answer: status and headers; after the script, 200.
pub(super) type Answer = (u16, Vec<(&'static str, &'static str)>);

#[derive(Default)]
pub(super) struct Sink {
    pub(super) seen: Mutex<Vec<Seen>>,
    pub(super) script: Mutex<VecDeque<Answer>>,
    pub(super) calls: AtomicUsize,
}

impl Sink {
    pub(super) async fn start(script: Vec<Answer>) -> (Arc<Sink>, String) {
        let sink = Arc::new(Sink { script: Mutex::new(script.into()), ..Sink::default() });
        let app = axum::Router::new().fallback(receive).with_state(Arc::clone(&sink));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/v1/push", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (sink, url)
    }

    /// The same sink behind TLS with `cert`, offering HTTP/2 and 1.1.
    pub(super) async fn start_tls(cert: &TestCert) -> (Arc<Sink>, String) {
        let sink = Arc::new(Sink::default());
        let app = axum::Router::new().fallback(receive).with_state(Arc::clone(&sink));
        let acceptor = tokio_rustls::TlsAcceptor::from(cert.server_config(&[b"h2", b"http/1.1"], None));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://localhost:{}/api/v1/push", listener.local_addr().unwrap().port());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let server = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                    let _ = server.serve_connection(hyper_util::rt::TokioIo::new(tls), service).await;
                });
            }
        });
        (sink, url)
    }

    /// The requests answered with success.
    pub(super) fn accepted(&self) -> Vec<WriteRequest> {
        self.seen.lock().unwrap().iter().filter(|s| s.status < 300).map(|s| s.request.clone()).collect()
    }

    /// Every accepted series, by its labels rendered as `{k="v",...}`.
    pub(super) fn series(&self) -> Vec<(String, TimeSeries)> {
        self.accepted().into_iter().flat_map(|r| r.timeseries).map(|ts| (render(&ts.labels), ts)).collect()
    }
}

async fn receive(State(sink): State<Arc<Sink>>, headers: HeaderMap, body: Bytes) -> (StatusCode, HeaderMap, &'static str) {
    sink.calls.fetch_add(1, Ordering::SeqCst);
    let raw = snap::raw::Decoder::new().decompress_vec(&body).expect("the body is snappy, block format");
    let request = WriteRequest::decode(raw.as_slice()).expect("the body is a WriteRequest");
    let (status, answer_headers) = sink.script.lock().unwrap().pop_front().unwrap_or((200, vec![]));
    sink.seen.lock().unwrap().push(Seen { status, at: Instant::now(), headers, request });
    let mut out = HeaderMap::new();
    for (k, v) in answer_headers {
        out.insert(k, v.parse().unwrap());
    }
    (StatusCode::from_u16(status).unwrap(), out, if status < 300 { "" } else { "scripted failure" })
}
