//! The exporter against real loopback gRPC sinks: routing, and what
//! happens to queued data when the backend set changes.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use prost::Message;
use solder_syntax::{Scope, Value};

use super::REGISTRATION;
use crate::component::{HealthState, Options};
use crate::consumer::ErrorKind;
use crate::harness::{build_error, until, Harness};
use crate::otelcol::exporter::otlp::tests::Sink;
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use crate::otlp::proto::ExportTraceServiceRequest;
use crate::otlp::{Signal, Traces};

async fn sinks(n: usize) -> Vec<(Arc<Sink>, SocketAddr)> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(Sink::default().start(None).await);
    }
    out
}

fn config(hosts: &[SocketAddr], extra: &str) -> String {
    let hostnames = hosts.iter().map(|a| format!("{a:?}")).map(|a| format!("\"{}\"", a.trim_matches('"'))).collect::<Vec<_>>().join(", ");
    format!(
        r#"{extra}
resolver {{
	static {{ hostnames = [{hostnames}] }}
}}
protocol {{
	otlp {{
		client {{
			compression = "none"
			tls {{ insecure = true }}
		}}
		retry {{
			initial_interval = "5ms"
			max_interval     = "20ms"
		}}
	}}
}}"#
    )
}

fn exporter(id: &str, args: &str) -> Harness {
    Harness::start_with(&REGISTRATION, Options::standalone(id), args, &Scope::new()).unwrap()
}

fn trace_id(t: u32) -> Vec<u8> {
    let mut id = t.wrapping_mul(2_654_435_761).to_le_bytes().repeat(4);
    id[12..].copy_from_slice(&t.to_be_bytes());
    id
}

/// Request `r`: 3 spans of each of 40 traces, interleaved; span names
/// are unique across requests.
fn request(r: u32) -> Traces {
    let spans = (0..120u32)
        .map(|i| Span {
            trace_id: trace_id(r * 1000 + i % 40),
            span_id: (r * 1000 + i).to_be_bytes().repeat(2),
            name: format!("r{r}-s{i}"),
            ..Default::default()
        })
        .collect();
    let rs = ResourceSpans { scope_spans: vec![ScopeSpans { spans, ..Default::default() }], ..Default::default() };
    Traces::from_message(ExportTraceServiceRequest { resource_spans: vec![rs] })
}

/// Every span a sink received: (trace ID, name).
fn spans_of(sink: &Sink) -> Vec<(Vec<u8>, String)> {
    sink.bodies()
        .into_iter()
        .flat_map(|b| ExportTraceServiceRequest::decode(b).unwrap().resource_spans)
        .flat_map(|r| r.scope_spans)
        .flat_map(|s| s.spans)
        .map(|s| (s.trace_id, s.name))
        .collect()
}

fn count(v: &Value, field: &str) -> u64 {
    match v {
        Value::Object(o) => match o.get(field) {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
            _ => 0,
        },
        _ => 0,
    }
}

/// The endpoint each trace ID belongs to on a ring of `hosts`.
fn owner(hosts: &[SocketAddr], id: &[u8]) -> String {
    let mut endpoints: Vec<String> = hosts.iter().map(|a| a.to_string()).collect();
    endpoints.sort();
    super::ring::Ring::new(endpoints).endpoint(id).unwrap().to_string()
}

#[tokio::test]
async fn every_span_once_and_every_trace_whole_on_its_owner() {
    let sinks = sinks(3).await;
    let hosts: Vec<SocketAddr> = sinks.iter().map(|s| s.1).collect();
    let h = exporter("otelcol.exporter.loadbalancing.whole", &config(&hosts, ""));
    let input = h.input();
    for r in 0..10 {
        input.0.consume_traces(request(r)).await.unwrap();
    }
    until("all 1200 spans delivered", || sinks.iter().map(|s| spans_of(&s.0).len()).sum::<usize>() >= 1200).await;
    let mut names = HashSet::new();
    let mut trace_home: HashMap<Vec<u8>, SocketAddr> = HashMap::new();
    for (sink, addr) in &sinks {
        let got = spans_of(sink);
        assert!(!got.is_empty(), "{addr} got nothing");
        for (id, name) in got {
            assert!(names.insert(name.clone()), "{name} arrived twice");
            assert_eq!(*trace_home.entry(id.clone()).or_insert(*addr), *addr, "a trace is split across backends");
            assert_eq!(owner(&hosts, &id), addr.to_string(), "{name} is not on its trace's owner");
        }
    }
    assert_eq!(names.len(), 1200);
    assert_eq!(h.health().state, HealthState::Healthy);
    let Value::Object(backends) = h.debug("backends") else { panic!("no backends table") };
    assert_eq!(backends.len(), 3);
}

#[tokio::test]
async fn a_removed_backend_gives_back_its_queue_to_the_new_owners() {
    let sinks = sinks(3).await;
    let hosts: Vec<SocketAddr> = sinks.iter().map(|s| s.1).collect();
    let (gone, gone_addr) = (&sinks[2].0, hosts[2]);
    gone.down.store(true, Ordering::SeqCst);
    let h = exporter("otelcol.exporter.loadbalancing.removed", &config(&hosts, ""));
    let input = h.input();
    let mut owned_by_gone = 0;
    for r in 0..20 {
        let req = request(r);
        let decoded = req.decode().unwrap();
        owned_by_gone += decoded.resource_spans[0].scope_spans[0].spans.iter().filter(|s| owner(&hosts, &s.trace_id) == gone_addr.to_string()).count() as u64;
        input.0.consume_traces(req).await.unwrap();
    }
    assert!(owned_by_gone > 0);
    until("the down backend to be tried", || gone.calls.load(Ordering::SeqCst) > 0).await;
    let kept: usize = sinks[..2].iter().map(|s| spans_of(&s.0).len()).sum();
    assert!(kept <= 2400 - owned_by_gone as usize);
    // Reload without it: what it holds goes to the two that remain.
    h.update(&config(&hosts[..2], "")).unwrap();
    until("every span delivered by the two that remain", || sinks[..2].iter().map(|s| spans_of(&s.0).len()).sum::<usize>() >= 2400).await;
    let rerouted = h.debug("rerouted");
    assert_eq!(count(&rerouted, "spans"), owned_by_gone, "the re-routed count is what was queued for the removed backend");
    assert_eq!(count(&h.debug("dropped"), "spans"), 0);
    let mut names = HashSet::new();
    for (sink, addr) in &sinks[..2] {
        for (id, name) in spans_of(sink) {
            assert!(names.insert(name.clone()), "{name} arrived twice");
            assert_eq!(owner(&hosts[..2], &id), addr.to_string(), "{name} is not on its new owner");
        }
    }
    assert_eq!(names.len(), 2400);
    // Back up, the removed backend gets nothing more.
    gone.down.store(false, Ordering::SeqCst);
    let calls = gone.calls.load(Ordering::SeqCst);
    for r in 20..25 {
        input.0.consume_traces(request(r)).await.unwrap();
    }
    until("the new data delivered", || sinks[..2].iter().map(|s| spans_of(&s.0).len()).sum::<usize>() >= 3000).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(spans_of(gone).is_empty());
    assert_eq!(gone.calls.load(Ordering::SeqCst), calls, "the removed backend is not called after the change");
    until("the retired backend to finish", || matches!(h.debug("retiring"), Value::Array(a) if a.is_empty())).await;
}

#[tokio::test]
async fn an_unreachable_backend_keeps_its_keys_and_its_queue() {
    let sinks = sinks(3).await;
    let hosts: Vec<SocketAddr> = sinks.iter().map(|s| s.1).collect();
    let (down, down_addr) = (&sinks[1].0, hosts[1]);
    down.down.store(true, Ordering::SeqCst);
    let h = exporter("otelcol.exporter.loadbalancing.unreachable", &config(&hosts, ""));
    let input = h.input();
    for r in 0..5 {
        input.0.consume_traces(request(r)).await.unwrap();
    }
    let owned: usize = (0..5)
        .map(|r| {
            request(r).decode().unwrap().resource_spans[0].scope_spans[0].spans.iter().filter(|s| owner(&hosts, &s.trace_id) == down_addr.to_string()).count()
        })
        .sum();
    until("the others to receive their share", || sinks.iter().map(|s| spans_of(&s.0).len()).sum::<usize>() >= 600 - owned).await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(sinks.iter().map(|s| spans_of(&s.0).len()).sum::<usize>(), 600 - owned, "nothing moved off the unreachable backend");
    let Value::Object(backends) = h.debug("backends") else { panic!() };
    let row = backends.get(&down_addr.to_string()).unwrap();
    let held = count(row, "queue_requests") + u64::from(down.calls.load(Ordering::SeqCst) > 0);
    assert!(held > 0, "its requests wait in its queue or in retries: {row:?}");
    down.down.store(false, Ordering::SeqCst);
    until("its share delivered once it is back", || spans_of(down).len() >= owned).await;
    assert_eq!(spans_of(down).len(), owned);
    assert_eq!(count(&h.debug("rerouted"), "spans"), 0);
}

#[tokio::test]
async fn routing_keys_refuse_the_signals_they_do_not_route() {
    let sinks = sinks(1).await;
    let h = exporter("otelcol.exporter.loadbalancing.keys", &config(&[sinks[0].1], "routing_key = \"metric\""));
    let input = h.input();
    assert!(!input.0.accepts(Signal::Traces) && !input.0.accepts(Signal::Logs) && input.0.accepts(Signal::Metrics));
    let err = input.0.consume_traces(request(0)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent);
    assert!(err.message.contains("does not route traces"), "{}", err.message);
    input.0.consume_metrics(crate::harness::metrics(3)).await.unwrap();
    until("the metrics delivered", || !sinks[0].0.bodies().is_empty()).await;
}

#[test]
fn the_client_has_no_endpoint_and_queues_stay_in_memory() {
    let err =
        build_error(&REGISTRATION, "resolver { static { hostnames = [\"a:4317\"] } }\nprotocol { otlp { client { endpoint = \"x:4317\" } } }", &Scope::new());
    assert!(err.contains("endpoint"), "{err}");
    let err = build_error(&REGISTRATION, "resolver { }", &Scope::new());
    assert!(err.contains("exactly one of the blocks"), "{err}");
    let err = build_error(&REGISTRATION, "routing_key = \"span\"\nresolver { static { hostnames = [\"a\"] } }", &Scope::new());
    assert!(err.contains("span"), "{err}");
    assert_eq!(super::with_port("gw-0"), "gw-0:4317");
    assert_eq!(super::with_port("gw-0:55690"), "gw-0:55690");
    assert_eq!(super::with_port("[::1]"), "[::1]:4317");
    assert_eq!(super::with_port("[::1]:9000"), "[::1]:9000");
}

/// A resolver that never answers.
struct Silent;

impl super::resolver::Resolver for Silent {
    fn run(
        self: Arc<Self>,
        _out: tokio::sync::watch::Sender<Option<super::resolver::Endpoints>>,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> crate::component::RunFuture {
        Box::pin(async move { shutdown.cancelled().await })
    }

    fn name(&self) -> &'static str {
        "dns"
    }

    fn error(&self) -> Option<String> {
        None
    }
}

/// Before the first resolution, data waits (a bounded time), then is
/// refused retryably: the sender keeps it.
#[tokio::test(start_paused = true)]
async fn data_before_the_first_resolution_waits_then_is_refused_retryably() {
    let metrics = crate::selfmetrics::ComponentMetrics::new("otelcol.exporter.loadbalancing.silent");
    let balancer =
        Arc::new(super::backends::Balancer::new(&metrics, Arc::new(Silent), super::RoutingKey::TraceId, std::time::Duration::ZERO, super::OtlpArgs::default()));
    let stop = tokio_util::sync::CancellationToken::new();
    let run = tokio::spawn(Arc::clone(&balancer).run(stop.clone()));
    let started = tokio::time::Instant::now();
    let err = balancer.consume(crate::otelcol::exporter::sending::Payload::Traces(request(0))).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Retryable);
    assert!(err.message.contains("has not found the backends yet"), "{}", err.message);
    assert_eq!(started.elapsed(), super::backends::FIRST_RESOLUTION_WAIT);
    assert_eq!(balancer.health().state, HealthState::Unknown);
    stop.cancel();
    run.await.unwrap();
}

/// `routing_key = "service"`: each service's spans on one backend, its
/// resource whole; the Collector's ring key is the service name.
#[tokio::test]
async fn by_service_each_service_lands_whole_on_its_owner() {
    use crate::otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
    use crate::otlp::proto::resource::v1::Resource;
    let sinks = sinks(3).await;
    let hosts: Vec<SocketAddr> = sinks.iter().map(|s| s.1).collect();
    let h = exporter("otelcol.exporter.loadbalancing.service", &config(&hosts, "routing_key = \"service\""));
    let services: Vec<String> = (0..12).map(|i| format!("svc-{i}")).collect();
    let resource_spans = services
        .iter()
        .map(|svc| ResourceSpans {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue { value: Some(any_value::Value::StringValue(svc.clone())) }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: (0..5).map(|i| Span { trace_id: trace_id(i), name: format!("{svc}-{i}"), ..Default::default() }).collect(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    h.input().0.consume_traces(Traces::from_message(ExportTraceServiceRequest { resource_spans })).await.unwrap();
    until("all 60 spans delivered", || sinks.iter().map(|s| spans_of(&s.0).len()).sum::<usize>() >= 60).await;
    for (sink, addr) in &sinks {
        for body in sink.bodies() {
            for rs in ExportTraceServiceRequest::decode(body).unwrap().resource_spans {
                let Some(any_value::Value::StringValue(svc)) = rs.resource.unwrap().attributes[0].value.clone().unwrap().value else { panic!() };
                assert_eq!(owner(&hosts, svc.as_bytes()), addr.to_string(), "{svc} is not on its owner");
                assert_eq!(rs.scope_spans[0].spans.len(), 5, "{svc} arrived whole");
            }
        }
    }
}
