//! What the exporters' tests share: payloads, component plumbing, and
//! certificates for TLS.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use solder_syntax::ast::Stmt;
use solder_syntax::{Evaluator, Scope, Value};
use tokio::task::JoinHandle;
use tokio_rustls::rustls;
use tokio_util::sync::CancellationToken;

use super::Payload;
use crate::body::{self, EvalBody};
use crate::component::{Component, Options, Registration};
use crate::consumer::ConsumerHandle;
use crate::otlp::proto::{logs, metrics, trace, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::{Encoded, Logs, Metrics, Traces};

/// Makes every payload's bytes unique, so a test can tell them apart.
static TAG: AtomicU64 = AtomicU64::new(1);

fn tag() -> u64 {
    TAG.fetch_add(1, Ordering::Relaxed)
}

pub fn encoded_traces(spans: usize) -> Traces {
    let t = tag();
    let spans = (0..spans).map(|i| trace::v1::Span { name: format!("span-{t}-{i}"), ..Default::default() }).collect();
    let scope = trace::v1::ScopeSpans { spans, ..Default::default() };
    let rs = trace::v1::ResourceSpans { scope_spans: vec![scope], ..Default::default() };
    Encoded::from_message(ExportTraceServiceRequest { resource_spans: vec![rs] })
}

pub fn encoded_metrics(points: usize) -> Metrics {
    use metrics::v1::{metric::Data, number_data_point::Value as V, Gauge, Metric, NumberDataPoint};
    let data_points = (0..points).map(|i| NumberDataPoint { value: Some(V::AsInt(i as i64)), ..Default::default() }).collect();
    let metric = Metric { name: format!("metric-{}", tag()), data: Some(Data::Gauge(Gauge { data_points })), ..Default::default() };
    let scope = metrics::v1::ScopeMetrics { metrics: vec![metric], ..Default::default() };
    let rm = metrics::v1::ResourceMetrics { scope_metrics: vec![scope], ..Default::default() };
    Encoded::from_message(ExportMetricsServiceRequest { resource_metrics: vec![rm] })
}

pub fn encoded_logs(records: usize) -> Logs {
    let t = tag();
    let log_records = (0..records).map(|i| logs::v1::LogRecord { event_name: format!("log-{t}-{i}"), ..Default::default() }).collect();
    let scope = logs::v1::ScopeLogs { log_records, ..Default::default() };
    let rl = logs::v1::ResourceLogs { scope_logs: vec![scope], ..Default::default() };
    Encoded::from_message(ExportLogsServiceRequest { resource_logs: vec![rl] })
}

pub fn traces(spans: usize) -> Payload {
    Payload::Traces(encoded_traces(spans))
}

/// The body of the single component block in `src`.
pub fn body(src: &str) -> EvalBody {
    let file = solder_syntax::parse(src).unwrap_or_else(|d| panic!("parse: {d:?}"));
    let Some(Stmt::Block(block)) = file.body.first() else { panic!("no block in {src}") };
    let scope = Scope::new();
    let mut ev = Evaluator::new(src, &scope);
    body::evaluate(&mut ev, &block.body, block.name_span()).unwrap_or_else(|d| panic!("eval: {:?}", d[0].message))
}

pub fn options(id: &str) -> Options {
    Options { id: id.to_string(), data_path: std::env::temp_dir(), on_exports_changed: Arc::new(|| {}) }
}

/// A built component and its `input`.
pub fn build(reg: &Registration, id: &str, src: &str) -> (Arc<dyn Component>, ConsumerHandle) {
    let c = (reg.build)(options(id), &body(src)).unwrap_or_else(|d| panic!("build: {}", d.message));
    let input = input_of(&c);
    (c, input)
}

pub fn input_of(c: &Arc<dyn Component>) -> ConsumerHandle {
    let Value::Object(exports) = c.exports() else { panic!("exports are not an object") };
    let Some(Value::Capsule(capsule)) = exports.get("input") else { panic!("no input capsule") };
    capsule.downcast::<ConsumerHandle>().cloned().expect("input holds a ConsumerHandle")
}

/// The build error's message.
pub fn build_error(reg: &Registration, src: &str) -> String {
    match (reg.build)(options("otelcol.exporter.test.err"), &body(src)) {
        Ok(_) => panic!("expected an error from {src}"),
        Err(d) => d.message,
    }
}

/// Runs a component as the controller does; cancel the token to stop it.
pub fn start(c: &Arc<dyn Component>) -> (CancellationToken, JoinHandle<()>) {
    let token = CancellationToken::new();
    (token.clone(), tokio::spawn(Arc::clone(c).run(token)))
}

/// Waits until `check` holds, for at most five seconds.
pub async fn eventually<F: Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A self-signed certificate for `name`, written to a temporary folder.
pub struct TestCert {
    pub cert_pem: String,
    pub key_pem: String,
    dir: tempfile::TempDir,
}

impl TestCert {
    pub fn new(name: &str) -> TestCert {
        let ck = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert_pem, key_pem) = (ck.cert.pem(), ck.key_pair.serialize_pem());
        std::fs::write(dir.path().join("cert.pem"), &cert_pem).unwrap();
        std::fs::write(dir.path().join("key.pem"), &key_pem).unwrap();
        TestCert { cert_pem, key_pem, dir }
    }

    pub fn cert_path(&self) -> String {
        self.dir.path().join("cert.pem").display().to_string()
    }

    pub fn key_path(&self) -> String {
        self.dir.path().join("key.pem").display().to_string()
    }

    /// A server configuration presenting this certificate; with
    /// `client_ca`, clients must present a certificate it signed.
    pub fn server_config(&self, alpn: &[&[u8]], client_ca: Option<&TestCert>) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = rustls_pemfile::certs(&mut self.cert_pem.as_bytes()).collect::<Result<Vec<_>, _>>().unwrap();
        let key = rustls_pemfile::private_key(&mut self.key_pem.as_bytes()).unwrap().unwrap();
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider)).with_safe_default_protocol_versions().unwrap();
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for c in rustls_pemfile::certs(&mut ca.cert_pem.as_bytes()) {
                    roots.add(c.unwrap()).unwrap();
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().unwrap();
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_single_cert(certs, key).unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }
}
