//! The two components wired as a user would: OTLP metrics into
//! `otelcol.exporter.prometheus`, forwarded to `prometheus.expose`, and
//! scraped over loopback HTTP in both formats.

use std::net::SocketAddr;

use solder_syntax::Scope;

use super::*;
use crate::harness::{build_error, eventually, until, Harness};
use crate::otelcol::exporter::prometheus::REGISTRATION as EXPORTER;
use crate::otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use crate::otlp::proto::metrics::v1::{metric::Data, number_data_point, Exemplar, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::ExportMetricsServiceRequest;
use crate::otlp::Encoded;

fn calls(value: i64) -> Encoded<ExportMetricsServiceRequest> {
    let kv =
        |k: &str, v: &str| KeyValue { key: k.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.into())) }), ..Default::default() };
    let point = NumberDataPoint {
        attributes: vec![kv("span.name", "GET /")],
        value: Some(number_data_point::Value::AsInt(value)),
        exemplars: vec![Exemplar {
            trace_id: vec![0xab; 16],
            span_id: vec![0xcd; 8],
            value: Some(crate::otlp::proto::metrics::v1::exemplar::Value::AsInt(1)),
            ..Default::default()
        }],
        ..Default::default()
    };
    let sum = Sum { data_points: vec![point], aggregation_temporality: 2, is_monotonic: true };
    let m = Metric { name: "span.metrics.calls".into(), description: "Calls.".into(), data: Some(Data::Sum(sum)), ..Default::default() };
    let resource = Resource { attributes: vec![kv("service.name", "checkout")], ..Default::default() };
    let rm = ResourceMetrics { resource: Some(resource), scope_metrics: vec![ScopeMetrics { metrics: vec![m], ..Default::default() }], ..Default::default() };
    Encoded::from_message(ExportMetricsServiceRequest { resource_metrics: vec![rm] })
}

async fn scrape(addr: std::net::SocketAddr, path: &str, accept: &str) -> (u16, String, String) {
    let resp = reqwest::Client::new().get(format!("http://{addr}{path}")).header("accept", accept).send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ct, resp.text().await.unwrap())
}

/// Where `prometheus.expose` listens, once it does.
async fn listening(h: &Harness) -> SocketAddr {
    let addr = || match h.try_debug("listening") {
        Some(Value::String(a)) => a.parse().ok(),
        _ => None,
    };
    until("prometheus.expose to listen", || addr().is_some()).await;
    addr().unwrap()
}

#[tokio::test]
async fn otlp_in_prometheus_out_over_http() {
    let expose_args = "listen_address = \"127.0.0.1:0\"\n namespace = \"otel_collector\"";
    let expose = Harness::start(&REGISTRATION, expose_args, &Scope::new()).unwrap();
    let addr = listening(&expose).await;

    let scope = Scope::new().with("expose", expose.exports());
    let exporter = Harness::build(&EXPORTER, "forward_to = [expose.receiver]", &scope).unwrap();
    exporter.input().0.consume_metrics(calls(5)).await.unwrap();

    let (status, ct, text) = scrape(addr, "/metrics", "text/plain;version=0.0.4;q=1,*/*;q=0.1").await;
    assert_eq!((status, ct.as_str()), (200, "text/plain; version=0.0.4; charset=utf-8"));
    assert!(text.contains("otel_collector_span_metrics_calls_total{job=\"checkout\",span_name=\"GET /\"} 5\n"), "{text}");
    assert!(!text.contains("trace_id"), "{text}");

    let (_, ct, om) = scrape(addr, "/metrics", "application/openmetrics-text; version=1.0.0").await;
    assert_eq!(ct, "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert!(om.contains("otel_collector_span_metrics_calls_total{job=\"checkout\",span_name=\"GET /\"} 5 # {trace_id=\"abababababababababababababababab\",span_id=\"cdcdcdcdcdcdcdcd\"} 1\n"), "{om}");
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert_eq!(scrape(addr, "/other", "").await.0, 404);

    // Same address: same socket, series kept; the new path applies at once.
    expose.update(&format!("{expose_args}\n metrics_path = \"/prom\"")).unwrap();
    eventually("the new path", || async { scrape(addr, "/prom", "").await.0 == 200 }).await;
    assert_eq!(listening(&expose).await, addr);
    assert_eq!(expose.health().message, format!("serving /metrics on {addr}"), "not rebound: the message of the first bind stands");
    let (status, _, text) = scrape(addr, "/prom", "").await;
    assert_eq!(status, 200);
    assert!(text.contains("otel_collector_span_metrics_calls_total{job=\"checkout\",span_name=\"GET /\"} 5\n"), "{text}");
    assert_eq!(scrape(addr, "/metrics", "").await.0, 404);

    let expose = expose.stop().await;
    assert_eq!(expose.health().state, HealthState::Exited);
}

#[tokio::test]
async fn a_taken_port_is_unhealthy_and_expired_series_vanish() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let args = format!("listen_address = \"{}\"\n metric_expiration = \"100ms\"", taken.local_addr().unwrap());
    let expose = Harness::start(&REGISTRATION, &args, &Scope::new()).unwrap();
    expose.wait_for_health(HealthState::Unhealthy).await;
    drop(taken);
    let addr = listening(&expose).await;

    let Value::Object(exports) = expose.exports() else { panic!() };
    let Some(Value::Capsule(c)) = exports.get("receiver") else { panic!() };
    assert_eq!(c.type_name(), "storage.Appendable");
    let receiver = expose.receiver();
    let (batch, _) = crate::otelcol::exporter::prometheus::translate(
        &calls(2).decode().unwrap(),
        crate::otelcol::exporter::prometheus::Rules {
            include_target_info: true,
            include_scope_info: false,
            include_scope_labels: true,
            add_metric_suffixes: true,
            resource_to_telemetry_conversion: false,
        },
        &mut Default::default(),
        Instant::now(),
    );
    receiver.0.append(Arc::new(batch)).unwrap();
    assert!(scrape(addr, "/metrics", "").await.2.contains("span_metrics_calls_total"));
    eventually("the series to expire", || async { scrape(addr, "/metrics", "").await.2.is_empty() }).await;
    expose.stop().await;
}

#[test]
fn arguments_are_checked() {
    let bad = [
        ("listen_address = \"nope\"", "invalid listen_address"),
        ("listen_address = \"127.0.0.1:1\"\n metrics_path = \"metrics\"", "must start with"),
        ("listen_address = \"127.0.0.1:1\"\n namespace = \"a.b\"", "namespace"),
        ("listen_address = \"127.0.0.1:1\"\n const_labels = { \"a-b\" = \"x\" }", "const_labels"),
        ("listen_address = \"127.0.0.1:1\"\n metric_expiration = \"0s\"", "metric_expiration"),
    ];
    for (args, want) in bad {
        let got = build_error(&REGISTRATION, args, &Scope::new());
        assert!(got.contains(want), "{args}: {got}");
    }
}

/// A new `listen_address` that is taken leaves the old socket serving and
/// says why; a free one moves the endpoint and closes the old socket.
#[tokio::test]
async fn a_move_binds_the_new_address_before_the_old_one_goes() {
    let expose = Harness::start(&REGISTRATION, "listen_address = \"127.0.0.1:0\"", &Scope::new()).unwrap();
    let old = listening(&expose).await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap();
    expose.update(&format!("listen_address = \"{busy}\"")).unwrap();
    expose.wait_for_health(HealthState::Unhealthy).await;
    let message = expose.health().message;
    assert!(message.starts_with(&format!("cannot listen on {busy}: ")) && message.ends_with(&format!("; still listening on {old}")), "{message}");
    assert_eq!(scrape(old, "/metrics", "").await.0, 200, "the old socket still serves");

    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    expose.update(&format!("listen_address = \"{free}\"")).unwrap();
    expose.wait_for_health(HealthState::Healthy).await;
    assert_eq!(listening(&expose).await, free);
    assert_eq!(scrape(free, "/metrics", "").await.0, 200);
    assert!(std::net::TcpStream::connect(old).is_err(), "the old socket is closed");
    expose.stop().await;
}

/// Slowloris against the scrape endpoint: a trickled body is no reason to
/// hold the connection (scrapes take none: it is answered and closed), and
/// the connection limit's worth of idle connections time out, so a scrape
/// gets through.
#[tokio::test]
async fn slowloris_does_not_starve_the_scrape_endpoint() {
    use crate::harness::slowloris::{idle_connections, post_head, trickle_body};
    let expose = Harness::start(&REGISTRATION, "listen_address = \"127.0.0.1:0\"", &Scope::new()).unwrap();
    let addr = listening(&expose).await;
    let first = std::net::TcpStream::connect(addr).unwrap();
    let answer = tokio::task::spawn_blocking(move || trickle_body(first, &post_head("/metrics", "text/plain"))).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");

    let _idle = idle_connections(addr, crate::serve::Limits::SERVERS.max_connections);
    eventually("a scrape to get through", || async {
        let r = reqwest::Client::new().get(format!("http://{addr}/metrics")).send().await;
        r.is_ok_and(|r| r.status() == 200)
    })
    .await;
    expose.stop().await;
}
