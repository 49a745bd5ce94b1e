//! The component against real loopback servers: a sink that decodes each
//! snappy + protobuf request, records it, and answers as the test scripts.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use prost::Message;
use solder_syntax::Value;
use tokio::time::Instant;

use super::*;
use crate::otelcol::exporter::sending::testkit::{body, options, start, TestCert};
use crate::selfmetrics;
use crate::prometheus::{Bucket, Exemplar as SampleExemplar, Family, Metadata, MetricType, SampleValue, Series};

/// One request as the sink saw it.
struct Seen {
    status: u16,
    at: Instant,
    headers: HeaderMap,
    request: WriteRequest,
}

/// A scripted answer: status and headers; after the script, 200.
type Answer = (u16, Vec<(&'static str, &'static str)>);

#[derive(Default)]
struct Sink {
    seen: Mutex<Vec<Seen>>,
    script: Mutex<VecDeque<Answer>>,
    calls: AtomicUsize,
}

impl Sink {
    async fn start(script: Vec<Answer>) -> (Arc<Sink>, String) {
        let sink = Arc::new(Sink { script: Mutex::new(script.into()), ..Sink::default() });
        let app = axum::Router::new().fallback(receive).with_state(Arc::clone(&sink));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/v1/push", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (sink, url)
    }

    /// The same sink behind TLS with `cert`, offering HTTP/2 and 1.1.
    async fn start_tls(cert: &TestCert) -> (Arc<Sink>, String) {
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
    fn accepted(&self) -> Vec<WriteRequest> {
        self.seen.lock().unwrap().iter().filter(|s| s.status < 300).map(|s| s.request.clone()).collect()
    }

    /// Every accepted series, by its labels rendered as `{k="v",...}`.
    fn series(&self) -> Vec<(String, TimeSeries)> {
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

fn render(labels: &[Label]) -> String {
    let pairs: Vec<String> = labels.iter().map(|l| format!("{}={:?}", l.name, l.value)).collect();
    format!("{{{}}}", pairs.join(","))
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

const TS: i64 = 1_700_000_000_000;

fn exemplar(value: f64) -> SampleExemplar {
    SampleExemplar { labels: pairs(&[("trace_id", "0102"), ("span_id", "0304")]), value, timestamp_ms: Some(TS - 5) }
}

fn family(name: &str, kind: MetricType, series: Vec<Series>) -> Family {
    Family { name: name.into(), metadata: Metadata { kind, help: format!("{name} help."), unit: String::new() }, series }
}

fn number(labels: &[(&str, &str)], v: f64, timestamp_ms: Option<i64>) -> Series {
    Series { labels: pairs(labels), value: SampleValue::Number(v), timestamp_ms, exemplars: vec![] }
}

/// `n` gauge series named `name`, told apart by an `i` label.
fn gauges(name: &str, n: usize) -> Arc<Batch> {
    let series = (0..n).map(|i| number(&[("i", &i.to_string())], i as f64, Some(TS))).collect();
    Arc::new(Batch { families: vec![family(name, MetricType::Gauge, series)] })
}

fn config(endpoints: &str) -> String {
    format!("prometheus.remote_write \"t\" {{\n{endpoints}\n}}")
}

fn endpoint(url: &str, extra: &str) -> String {
    format!("endpoint {{\n url = \"{url}\"\n {extra}\n}}")
}

/// Sends at once and retries quickly.
const FAST: &str = "queue_config {\n batch_send_deadline = \"5ms\"\n min_backoff = \"5ms\"\n max_backoff = \"20ms\"\n }";

pub(super) struct Running {
    pub component: Arc<dyn Component>,
    pub receiver: ReceiverHandle,
    pub stop: CancellationToken,
    pub task: tokio::task::JoinHandle<()>,
}

fn built(id: &str, src: &str) -> (Arc<dyn Component>, ReceiverHandle) {
    let c = (REGISTRATION.build)(options(id), &body(src)).unwrap_or_else(|d| panic!("build: {}", d.message));
    let Value::Object(exports) = c.exports() else { panic!("exports are not an object") };
    let Some(Value::Capsule(capsule)) = exports.get("receiver") else { panic!("no receiver") };
    let receiver = capsule.downcast::<ReceiverHandle>().cloned().expect("receiver holds a ReceiverHandle");
    (c, receiver)
}

pub(super) fn running(id: &str, src: &str) -> Running {
    let (component, receiver) = built(id, src);
    let (stop, task) = start(&component);
    Running { component, receiver, stop, task }
}

fn build_error(src: &str) -> String {
    match (REGISTRATION.build)(options("prometheus.remote_write.err"), &body(src)) {
        Ok(_) => panic!("expected an error from {src}"),
        Err(d) => d.message,
    }
}

/// A number from endpoint `i`'s debug info.
fn stat(c: &Arc<dyn Component>, i: usize, field: &str) -> u64 {
    let Value::Object(info) = c.debug_info() else { panic!("debug info is not an object") };
    let Some(Value::Array(endpoints)) = info.get("endpoints") else { panic!("no endpoints") };
    let Some(Value::Object(e)) = endpoints.get(i) else { panic!("no endpoint {i}") };
    match e.get(field) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        other => panic!("{field} is {other:?}"),
    }
}

/// Waits until `check` holds, for at most 20 seconds.
async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn value_of(series: &[(String, TimeSeries)], labels: &str) -> TimeSeries {
    let found: Vec<&TimeSeries> = series.iter().filter(|(l, _)| l == labels).map(|(_, ts)| ts).collect();
    assert_eq!(found.len(), 1, "{labels} in {:#?}", series.iter().map(|(l, _)| l).collect::<Vec<_>>());
    found[0].clone()
}

#[tokio::test]
async fn sends_counters_gauges_histograms_and_exemplars() {
    let (sink, url) = Sink::start(vec![]).await;
    let src = config(&format!("external_labels = {{ \"env\" = \"prod\", \"job\" = \"ignored\" }}\n{}", endpoint(&url, FAST)));
    let rw = running("prometheus.remote_write.shapes", &src);
    let counter = family(
        "calls_total",
        MetricType::Counter,
        vec![Series { exemplars: vec![exemplar(1.0)], ..number(&[("job", "api"), ("Zone", "a")], 7.0, None) }],
    );
    let gauge = family("queue_bytes", MetricType::Gauge, vec![number(&[("job", "api")], 2.5, Some(TS))]);
    let buckets = vec![
        Bucket { upper_bound: 0.1, cumulative_count: 2 },
        Bucket { upper_bound: 1.0, cumulative_count: 5 },
        Bucket { upper_bound: f64::INFINITY, cumulative_count: 6 },
    ];
    let histogram = family(
        "duration_seconds",
        MetricType::Histogram,
        vec![Series {
            labels: pairs(&[("job", "api")]),
            value: SampleValue::Histogram { buckets, count: 6, sum: 3.25 },
            timestamp_ms: Some(TS),
            exemplars: vec![exemplar(0.05), exemplar(0.5), exemplar(7.0)],
        }],
    );
    let before = sender::unix_ms();
    rw.receiver.0.append(Arc::new(Batch { families: vec![counter, gauge, histogram] })).unwrap();
    until("seven series", || sink.series().len() == 7).await;

    let series = sink.series();
    // Sorted by name, bytewise: `Zone` sorts before `__name__`.
    let calls = value_of(&series, r#"{Zone="a",__name__="calls_total",env="prod",job="api"}"#);
    assert_eq!(calls.samples[0].value, 7.0);
    assert!(calls.samples[0].timestamp >= before, "a sample without a timestamp gets now");
    assert_eq!(calls.exemplars.len(), 1);
    assert_eq!(render(&calls.exemplars[0].labels), r#"{trace_id="0102",span_id="0304"}"#);
    assert_eq!((calls.exemplars[0].value, calls.exemplars[0].timestamp), (1.0, TS - 5));
    let gauge = value_of(&series, r#"{__name__="queue_bytes",env="prod",job="api"}"#);
    assert_eq!((gauge.samples[0].value, gauge.samples[0].timestamp), (2.5, TS));

    let bucket = |le: &str| value_of(&series, &format!(r#"{{__name__="duration_seconds_bucket",env="prod",job="api",le="{le}"}}"#));
    let (b1, b2, inf) = (bucket("0.1"), bucket("1"), bucket("+Inf"));
    assert_eq!([b1.samples[0].value, b2.samples[0].value, inf.samples[0].value], [2.0, 5.0, 6.0]);
    let exemplar_values = |ts: &TimeSeries| ts.exemplars.iter().map(|e| e.value).collect::<Vec<_>>();
    assert_eq!((exemplar_values(&b1), exemplar_values(&b2), exemplar_values(&inf)), (vec![0.05], vec![0.5], vec![7.0]));
    let sum = value_of(&series, r#"{__name__="duration_seconds_sum",env="prod",job="api"}"#);
    let count = value_of(&series, r#"{__name__="duration_seconds_count",env="prod",job="api"}"#);
    assert_eq!((sum.samples[0].value, count.samples[0].value, count.samples[0].timestamp), (3.25, 6.0, TS));
    assert!(sum.exemplars.is_empty() && count.exemplars.is_empty());

    let metadata: Vec<MetricMetadata> = sink.accepted().into_iter().flat_map(|r| r.metadata).collect();
    let histogram_meta = metadata.iter().find(|m| m.metric_family_name == "duration_seconds").expect("histogram metadata");
    assert_eq!((histogram_meta.r#type, histogram_meta.help.as_str()), (MetadataType::Histogram as i32, "duration_seconds help."));
    assert!(metadata.iter().any(|m| m.metric_family_name == "calls_total" && m.r#type == MetadataType::Counter as i32));

    let h = sink.seen.lock().unwrap()[0].headers.clone();
    assert_eq!(h["content-encoding"], "snappy");
    assert_eq!(h["content-type"], "application/x-protobuf");
    assert_eq!(h["x-prometheus-remote-write-version"], "0.1.0");
    assert!(h["user-agent"].to_str().unwrap().starts_with("Solder/"), "{:?}", h["user-agent"]);
    assert_eq!(stat(&rw.component, 0, "samples_sent"), 7);
    assert_eq!(stat(&rw.component, 0, "exemplars_sent"), 4);
    rw.stop.cancel();
    rw.task.await.unwrap();
}

#[tokio::test]
async fn exemplars_stay_home_when_send_exemplars_is_false() {
    let (sink, url) = Sink::start(vec![]).await;
    let rw = running("prometheus.remote_write.noex", &config(&endpoint(&url, &format!("send_exemplars = false\n{FAST}"))));
    let series = Series { exemplars: vec![exemplar(1.0)], ..number(&[], 1.0, Some(TS)) };
    rw.receiver.0.append(Arc::new(Batch { families: vec![family("c_total", MetricType::Counter, vec![series])] })).unwrap();
    until("one series", || sink.series().len() == 1).await;
    assert!(sink.series()[0].1.exemplars.is_empty());
    assert_eq!(stat(&rw.component, 0, "exemplars_sent"), 0);
    rw.stop.cancel();
}

#[tokio::test]
async fn auth_and_headers_are_sent_and_secrets_never_shown() {
    let (basic, basic_url) = Sink::start(vec![]).await;
    let (bearer, bearer_url) = Sink::start(vec![]).await;
    let (file, file_url) = Sink::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let token_path = dir.path().join("token");
    std::fs::write(&token_path, "from-a-file\n").unwrap();
    let endpoints = [
        endpoint(&basic_url, &format!("name = \"basic\"\n basic_auth {{\n username = \"user\"\n password = \"hunter2\"\n }}\n{FAST}")),
        endpoint(&bearer_url, &format!("name = \"bearer\"\n bearer_token = \"s3cr3t-token\"\n headers = {{ \"X-Scope-OrgID\" = \"tenant-7\" }}\n{FAST}")),
        endpoint(&file_url, &format!("name = \"file\"\n bearer_token_file = {:?}\n{FAST}", token_path.display().to_string())),
    ];
    let rw = running("prometheus.remote_write.auth", &config(&endpoints.join("\n")));
    rw.receiver.0.append(gauges("up", 1)).unwrap();
    until("every endpoint", || [&basic, &bearer, &file].iter().all(|s| !s.accepted().is_empty())).await;

    let header = |s: &Sink, name: &str| s.seen.lock().unwrap()[0].headers[name].to_str().unwrap().to_string();
    assert_eq!(header(&basic, "authorization"), "Basic dXNlcjpodW50ZXIy");
    assert_eq!(header(&bearer, "authorization"), "Bearer s3cr3t-token");
    assert_eq!(header(&bearer, "x-scope-orgid"), "tenant-7");
    assert_eq!(header(&file, "authorization"), "Bearer from-a-file");
    let shown = format!("{:?} {:?}", rw.component.debug_info(), rw.component.health());
    for secret in ["hunter2", "dXNlcjpodW50ZXIy", "s3cr3t-token", "tenant-7", "from-a-file"] {
        assert!(!shown.contains(secret), "{secret} shown in {shown}");
    }
    rw.stop.cancel();
}

#[tokio::test]
async fn sends_over_tls_trusting_the_configured_ca() {
    let cert = TestCert::new("localhost");
    let (sink, url) = Sink::start_tls(&cert).await;
    let tls = format!("enable_http2 = true\n tls_config {{\n ca_file = {:?}\n }}\n{FAST}", cert.cert_path());
    let rw = running("prometheus.remote_write.tls", &config(&endpoint(&url, &tls)));
    rw.receiver.0.append(gauges("secure", 2)).unwrap();
    until("two series over TLS", || sink.series().len() == 2).await;
    rw.stop.cancel();
}

#[tokio::test]
async fn retries_server_errors_without_loss_or_duplicates() {
    let (sink, url) = Sink::start(vec![(500, vec![]), (503, vec![]), (500, vec![])]).await;
    let rw = running("prometheus.remote_write.retry", &config(&endpoint(&url, &format!("name = \"main\"\n{FAST}"))));
    for name in ["a", "b", "c"] {
        rw.receiver.0.append(gauges(name, 10)).unwrap();
    }
    until("all thirty series", || sink.series().len() >= 30).await;
    let mut names: Vec<String> = sink.series().into_iter().map(|(labels, _)| labels).collect();
    let total = names.len();
    names.sort();
    names.dedup();
    assert_eq!((total, names.len()), (30, 30), "no series lost or sent twice");
    assert!(stat(&rw.component, 0, "retries") >= 3);
    assert!(stat(&rw.component, 0, "samples_retried") >= 3);
    assert_eq!(stat(&rw.component, 0, "samples_failed"), 0);
    until("healthy again", || rw.component.health().state == HealthState::Healthy).await;
    rw.stop.cancel();
}

#[tokio::test]
async fn health_names_the_failing_endpoint_until_a_send_succeeds() {
    let failures = (0..400).map(|_| (500, vec![])).collect();
    let (sink, url) = Sink::start(failures).await;
    let queue = "queue_config {\n batch_send_deadline = \"5ms\"\n min_backoff = \"5ms\"\n max_backoff = \"5ms\"\n }";
    let rw = running("prometheus.remote_write.health", &config(&endpoint(&url, &format!("name = \"mimir\"\n{queue}"))));
    rw.receiver.0.append(gauges("up", 1)).unwrap();
    until("unhealthy", || rw.component.health().state == HealthState::Unhealthy).await;
    let message = rw.component.health().message;
    assert!(message.contains("endpoint mimir") && message.contains("HTTP status 500"), "{message}");
    sink.script.lock().unwrap().clear();
    until("delivered", || !sink.accepted().is_empty()).await;
    until("healthy", || rw.component.health().state == HealthState::Healthy).await;
    rw.stop.cancel();
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let (sink, url) = Sink::start(vec![(429, vec![("retry-after", "1")])]).await;
    let rw = running("prometheus.remote_write.429", &config(&endpoint(&url, FAST)));
    rw.receiver.0.append(gauges("up", 2)).unwrap();
    until("the retry", || sink.accepted().len() == 1).await;
    let waited = {
        let seen = sink.seen.lock().unwrap();
        seen[1].at - seen[0].at
    };
    assert!(waited >= Duration::from_millis(950), "waited only {waited:?}, not the 1s Retry-After asks for");
    assert_eq!(sink.series().len(), 2);
    rw.stop.cancel();
}

#[tokio::test]
async fn drops_on_429_when_retry_on_http_429_is_false() {
    let (sink, url) = Sink::start(vec![(429, vec![])]).await;
    let queue = "queue_config {\n batch_send_deadline = \"5ms\"\n retry_on_http_429 = false\n }";
    let rw = running("prometheus.remote_write.no429", &config(&endpoint(&url, queue)));
    rw.receiver.0.append(gauges("up", 3)).unwrap();
    until("counted as failed", || stat(&rw.component, 0, "samples_failed") == 3).await;
    assert_eq!((sink.calls.load(Ordering::SeqCst), stat(&rw.component, 0, "retries")), (1, 0));
    rw.stop.cancel();
}

#[tokio::test]
async fn drops_a_batch_on_400_and_keeps_working() {
    let (sink, url) = Sink::start(vec![(400, vec![])]).await;
    let rw = running("prometheus.remote_write.400", &config(&endpoint(&url, FAST)));
    rw.receiver.0.append(gauges("rejected", 4)).unwrap();
    until("counted as failed", || stat(&rw.component, 0, "samples_failed") == 4).await;
    let Value::Object(info) = rw.component.debug_info() else { panic!() };
    assert!(format!("{info:?}").contains("HTTP status 400"), "{info:?}");
    rw.receiver.0.append(gauges("accepted", 2)).unwrap();
    until("the next batch", || sink.series().len() == 2).await;
    assert!(sink.series().iter().all(|(labels, _)| labels.contains("accepted")));
    assert_eq!(stat(&rw.component, 0, "retries"), 0);
    until("healthy", || rw.component.health().state == HealthState::Healthy).await;
    rw.stop.cancel();
}

#[tokio::test]
async fn a_full_queue_refuses_batches_and_counts_them() {
    // Not running: nothing drains the queue.
    let (c, receiver) = built("prometheus.remote_write.full", &config(&endpoint("http://127.0.0.1:9/push", "queue_config {\n capacity = 10\n }")));
    receiver.0.append(gauges("a", 6)).unwrap();
    let err = receiver.0.append(gauges("b", 6)).unwrap_err();
    assert!(err.contains("queue is full") && err.contains("dropped 6 samples"), "{err}");
    let err = receiver.0.append(gauges("c", 11)).unwrap_err();
    assert!(err.contains("larger than the whole queue"), "{err}");
    receiver.0.append(gauges("d", 4)).unwrap();
    for _ in 0..1000 {
        let _ = receiver.0.append(gauges("e", 3));
    }
    assert_eq!(stat(&c, 0, "queue_samples"), 10, "the queue never holds more than its capacity");
    assert_eq!(stat(&c, 0, "samples_dropped"), 6 + 11 + 3000);
}

#[tokio::test]
async fn update_keeps_queued_samples_and_swaps_the_endpoint() {
    let (sink, url) = Sink::start(vec![]).await;
    let dead = "http://127.0.0.1:9/push";
    let slow = "queue_config {\n batch_send_deadline = \"1h\"\n }";
    let (c, receiver) = built("prometheus.remote_write.update", &config(&format!("{}\n{}", endpoint(dead, &format!("name = \"main\"\n{slow}")), endpoint("http://127.0.0.1:9/gone", slow))));
    receiver.0.append(gauges("queued", 5)).unwrap();
    assert_eq!((stat(&c, 0, "queue_samples"), stat(&c, 1, "queue_samples")), (5, 5));

    // Same name, new URL and settings; the unnamed endpoint is removed.
    let src = config(&format!("external_labels = {{ \"env\" = \"new\" }}\n{}", endpoint(&url, &format!("name = \"main\"\n{FAST}"))));
    c.update(&body(&src)).unwrap_or_else(|d| panic!("update: {}", d.message));
    assert_eq!(stat(&c, 0, "queue_samples"), 5, "queued samples survive the update");
    let gone = selfmetrics::render();
    let dropped = r#"prometheus_remote_storage_samples_dropped_total{component_id="prometheus.remote_write.update",remote_name="#;
    assert!(gone.lines().any(|l| l.starts_with(dropped) && l.contains("/gone") && l.ends_with(" 5")), "the removed endpoint's queue is counted as dropped:\n{gone}");
    let (stop, task) = start(&c);
    receiver.0.append(gauges("later", 1)).unwrap();
    until("all six", || sink.series().len() == 6).await;
    let series = sink.series();
    assert_eq!(series.iter().filter(|(l, _)| l.contains("queued")).count(), 5);
    assert!(series.iter().any(|(l, _)| l == r#"{__name__="later",env="new",i="0"}"#), "new external labels apply to new batches");
    let Value::Object(info) = c.debug_info() else { panic!() };
    assert!(format!("{info:?}").contains(&url), "debug info shows the new URL: {info:?}");
    let metrics = selfmetrics::render();
    let sent = format!(r#"prometheus_remote_storage_samples_total{{component_id="prometheus.remote_write.update",remote_name="main",url="{url}"}} 6"#);
    assert!(metrics.lines().any(|l| l == sent), "metrics follow the new URL: want {sent} in\n{metrics}");
    let old_pending = r#"prometheus_remote_storage_samples_pending{component_id="prometheus.remote_write.update",remote_name="main",url="http://127.0.0.1:9/push"} 0"#;
    assert!(metrics.lines().any(|l| l == old_pending), "the old URL's queue gauge is zeroed:\n{metrics}");
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn shutdown_flushes_what_is_queued() {
    let (sink, url) = Sink::start(vec![]).await;
    let rw = running("prometheus.remote_write.flush", &config(&endpoint(&url, "queue_config {\n batch_send_deadline = \"1h\"\n }")));
    rw.receiver.0.append(gauges("pending", 3)).unwrap();
    rw.stop.cancel();
    rw.task.await.unwrap();
    assert_eq!(sink.series().len(), 3);
    assert!(rw.receiver.0.append(gauges("late", 1)).is_err(), "a stopped component refuses batches");
}

#[tokio::test]
async fn shutdown_gives_up_on_a_failing_endpoint_within_the_flush_timeout() {
    let failures = (0..100_000).map(|_| (500, vec![])).collect();
    let (sink, url) = Sink::start(failures).await;
    let rw = running("prometheus.remote_write.stuck", &config(&endpoint(&url, FAST)));
    rw.receiver.0.append(gauges("stuck", 4)).unwrap();
    until("a retry", || stat(&rw.component, 0, "retries") > 0).await;
    let stopping = Instant::now();
    rw.stop.cancel();
    rw.task.await.unwrap();
    // Generous: the point is that a dead endpoint cannot hold the stop for
    // its remote_timeout (30s) per request, let alone forever.
    assert!(stopping.elapsed() < FLUSH_TIMEOUT + Duration::from_secs(20), "stopping took {:?}", stopping.elapsed());
    assert_eq!(stat(&rw.component, 0, "samples_failed"), 4);
    assert!(sink.accepted().is_empty());
    assert_eq!(rw.component.health().state, HealthState::Exited);
}

#[tokio::test]
async fn old_samples_are_dropped_by_sample_age_limit() {
    let (sink, url) = Sink::start(vec![]).await;
    let queue = "queue_config {\n batch_send_deadline = \"5ms\"\n sample_age_limit = \"1h\"\n }";
    let rw = running("prometheus.remote_write.age", &config(&endpoint(&url, queue)));
    let series = vec![number(&[("age", "old")], 1.0, Some(sender::unix_ms() - 7_200_000)), number(&[("age", "new")], 2.0, None)];
    rw.receiver.0.append(Arc::new(Batch { families: vec![family("g", MetricType::Gauge, series)] })).unwrap();
    until("the new sample", || sink.series().len() == 1).await;
    assert!(sink.series()[0].0.contains("new"));
    assert_eq!(stat(&rw.component, 0, "samples_dropped"), 1);
    rw.stop.cancel();
}

#[test]
fn histograms_without_inf_get_one_and_labels_dedupe() {
    let series = Series {
        labels: pairs(&[("le", "user"), ("__meta", "x"), ("empty", "")]),
        value: SampleValue::Histogram { buckets: vec![Bucket { upper_bound: 2.5, cumulative_count: 1 }], count: 3, sum: 9.0 },
        timestamp_ms: Some(TS),
        exemplars: vec![exemplar(100.0), exemplar(f64::NAN)],
    };
    let batch = Batch { families: vec![family("h", MetricType::Histogram, vec![series])] };
    let converted = convert::convert(&batch, &pairs(&[("env", "x")]), TS);
    let decoded: Vec<TimeSeries> = converted
        .series
        .iter()
        .map(|s| {
            let mut b = proto::RequestBuilder::default();
            b.series(s, true);
            WriteRequest::decode(b.finish()).unwrap().timeseries.remove(0)
        })
        .collect();
    let names: Vec<String> = decoded.iter().map(|ts| render(&ts.labels)).collect();
    assert_eq!(
        names,
        [
            r#"{__name__="h_bucket",env="x",le="2.5"}"#,
            r#"{__name__="h_bucket",env="x",le="+Inf"}"#,
            r#"{__name__="h_sum",env="x",le="user"}"#,
            r#"{__name__="h_count",env="x",le="user"}"#,
        ]
    );
    assert_eq!(decoded[1].samples[0].value, 3.0);
    assert_eq!(decoded[1].exemplars.len(), 2, "values above every bound, and NaN, go with +Inf");
}

#[test]
fn summaries_become_quantile_series_with_sum_and_count() {
    let series = Series {
        labels: pairs(&[("job", "a")]),
        value: SampleValue::Summary { quantiles: vec![(0.5, 1.25), (0.99, 3.0)], count: 9, sum: 12.5 },
        timestamp_ms: Some(TS),
        exemplars: vec![],
    };
    let batch = Batch { families: vec![family("rpc_seconds", MetricType::Summary, vec![series])] };
    let converted = convert::convert(&batch, &[], TS);
    let mut b = proto::RequestBuilder::default();
    converted.series.iter().for_each(|s| b.series(s, true));
    let got: Vec<(String, f64)> =
        WriteRequest::decode(b.finish()).unwrap().timeseries.iter().map(|ts| (render(&ts.labels), ts.samples[0].value)).collect();
    let want = [
        (r#"{__name__="rpc_seconds",job="a",quantile="0.5"}"#, 1.25),
        (r#"{__name__="rpc_seconds",job="a",quantile="0.99"}"#, 3.0),
        (r#"{__name__="rpc_seconds_sum",job="a"}"#, 12.5),
        (r#"{__name__="rpc_seconds_count",job="a"}"#, 9.0),
    ];
    assert_eq!(got, want.map(|(l, v)| (l.to_string(), v)));
    assert_eq!(converted.metadata[0].r#type, MetadataType::Summary as i32);
}

#[test]
fn bad_arguments_are_refused_in_alloys_words() {
    let url = "url = \"http://localhost:9009/api/v1/push\"";
    let cases = [
        ("endpoint {\n name = \"x\"\n }", "missing required attribute \"url\""),
        (&format!("endpoint {{\n {url}\n }}\nwal {{\n truncate_frequency = \"1h\"\n }}"), "unrecognized block name \"wal\""),
        (&format!("endpoint {{\n {url}\n sigv4 {{\n region = \"x\"\n }}\n }}"), "unrecognized block name \"sigv4\""),
        (&format!("endpoint {{\n {url}\n round_robin_dns = true\n }}"), "unrecognized attribute name \"round_robin_dns\""),
        (
            &format!("endpoint {{\n {url}\n bearer_token = \"t\"\n basic_auth {{\n username = \"u\"\n }}\n }}"),
            "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured",
        ),
        (
            &format!("endpoint {{\n {url}\n basic_auth {{\n password = \"p\"\n password_file = \"/f\"\n }}\n }}"),
            "at most one of basic_auth password & password_file must be configured",
        ),
        (&format!("endpoint {{\n {url}\n authorization {{\n type = \"Basic\"\n }}\n }}"), "authorization type cannot be set to \"basic\""),
        (&format!("endpoint {{\n {url}\n headers = {{ \"Content-Type\" = \"x\" }}\n }}"), "\"Content-Type\" is a reserved header. It must not be changed"),
        (&format!("endpoint {{\n {url}\n send_native_histograms = true\n }}"), "send_native_histograms = true is not supported"),
        (&format!("endpoint {{\n {url}\n protobuf_message = \"io.prometheus.write.v2.Request\"\n }}"), "is not supported: Solder sends Remote-Write 1.0"),
        (&format!("endpoint {{\n {url}\n queue_config {{\n capacity = 0\n }}\n }}"), "queue_config: capacity must be greater than 0"),
        (&format!("endpoint {{\n {url}\n queue_config {{\n min_backoff = \"10s\"\n }}\n }}"), "min_backoff must not be greater than max_backoff"),
        (&format!("endpoint {{\n {url}\n tls_config {{\n min_version = \"TLS10\"\n }}\n }}"), "TLS 1.0 and 1.1 are insecure"),
        (&format!("endpoint {{\n {url}\n tls_config {{\n cert_file = \"/c\"\n }}\n }}"), "exactly one of key_pem or key_file must be configured"),
        (&format!("endpoint {{\n {url}\n no_proxy = \"x\"\n }}"), "if no_proxy is configured, proxy_url must also be configured"),
        ("endpoint {\n url = \"localhost:9009\"\n }", "must start with http:// or https://"),
        (&format!("endpoint {{\n {url}\n }}\nendpoint {{\n {url}\n }}"), "duplicate remote write endpoint"),
        (&format!("external_labels = {{ \"__x\" = \"y\" }}\nendpoint {{\n {url}\n }}"), "\"__x\" is not a valid label name"),
    ];
    for (inner, want) in cases {
        let got = build_error(&config(inner));
        assert!(got.contains(want), "{inner}\n  got:  {got}\n  want: {want}");
    }
}

#[tokio::test]
async fn no_endpoints_accepts_and_discards() {
    let (c, receiver) = built("prometheus.remote_write.none", &config(""));
    receiver.0.append(gauges("up", 3)).unwrap();
    let Value::Object(info) = c.debug_info() else { panic!() };
    assert_eq!(info.get("endpoints"), Some(&Value::Array(vec![])));
}
