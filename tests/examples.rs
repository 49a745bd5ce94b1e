//! The example configs, run as a user would run them: on the ports they
//! name, with real peers (the OpenTelemetry Python SDK sending seed 002's
//! app, an OTLP sink standing in for Jaeger or Tempo), checked through the
//! metrics they serve.

mod support;

use std::collections::BTreeSet;
use std::sync::Mutex;

use support::peers::{prometheus_binary, read_jsonl, run_seed_app, start_sink, Prometheus, Sink};

/// Twice the examples' span-metrics flush interval.
const FLUSH: std::time::Duration = std::time::Duration::from_secs(30);

/// The examples listen on fixed, well-known ports; one runs at a time.
static FIXED_PORTS: Mutex<()> = Mutex::new(());

fn example(name: &str) -> String {
    format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn local_file_example_runs() {
    let agent = support::Agent::start(&[&example("local-file.alloy")]);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);
    let c = agent.component("local.file.readme");
    assert_eq!(c["health"]["state"], "healthy", "{c}");
    let readme = std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    assert_eq!(c["exports"]["content"], readme.as_str());
}

/// An example running with the sink as its trace backend, after seed
/// 002's app sent it 10 iterations (30 spans) and the sink got them all.
struct ExampleRun {
    agent: support::Agent,
    sink: Sink,
    _ports: std::sync::MutexGuard<'static, ()>,
    _dir: tempfile::TempDir,
}

fn run_example(name: &str, env: impl Fn(&Sink) -> Vec<(&'static str, String)>, app_port: u16) -> ExampleRun {
    let python = support::python();
    let ports = FIXED_PORTS.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink(&python, dir.path(), 0);
    let env = env(&sink);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let agent = support::Agent::start_with_env(&[&example(name)], &env);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);
    let record = dir.path().join("app.jsonl");
    let status = run_seed_app(&python, "grpc", &format!("http://127.0.0.1:{app_port}"), &record, 10);
    assert!(status.success(), "seed app failed; solder logs:\n{}", agent.logs());
    agent.wait_for("30 spans at the backend's stand-in", || read_jsonl(&sink.record).len() == 30);
    ExampleRun { agent, sink, _ports: ports, _dir: dir }
}

/// A scrape of `127.0.0.1:9464/metrics` in OpenMetrics.
fn scrape() -> String {
    support::send("127.0.0.1:9464", "GET", "/metrics", &[("Accept", "application/openmetrics-text; version=1.0.0")], b"")
        .map(|(_, _, body)| String::from_utf8_lossy(&body).into_owned())
        .unwrap_or_default()
}

/// The sum of a counter's samples whose lines contain every `needle`.
fn sum(text: &str, metric: &str, needles: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")) && needles.iter().all(|n| l.contains(n)))
        .filter_map(|l| l.split('}').nth(1)?.split_whitespace().next()?.parse::<f64>().ok())
        .sum()
}

/// Every exemplar's trace id in an OpenMetrics exposition.
fn exemplar_traces(text: &str) -> BTreeSet<String> {
    text.lines().filter_map(|l| l.split(" # {").nth(1)?.split("trace_id=\"").nth(1)?.split('"').next().map(str::to_string)).collect()
}

/// The load-balancing example sends the seed app's spans through the
/// ring; with every gateway at the one stand-in, all 30 arrive there.
#[test]
fn loadbalancing_example_sends_every_span_to_a_gateway() {
    let run = run_example("loadbalancing.alloy", |sink| vec![("GATEWAYS", format!("127.0.0.1:{}", sink.port))], 4317);
    assert_eq!(run.agent.component("otelcol.exporter.loadbalancing.gateways")["health"]["state"], "healthy");
}

/// Seed 000: the collector's pipeline with Jaeger, debug and span metrics
/// under the `otel_collector` namespace.
#[test]
fn seed_000_example_counts_calls_and_forwards_to_jaeger() {
    let run = run_example("seed-000-collector.alloy", |sink| vec![("JAEGER_OTLP_ENDPOINT", format!("127.0.0.1:{}", sink.port))], 4317);
    let agent = &run.agent;

    let calls = "otel_collector_span_metrics_calls_total";
    agent.wait_up_to("the calls counted under otel_collector (15s flush)", FLUSH, || {
        let t = scrape();
        ["foo", "goo", "zoo"].iter().all(|s| sum(&t, calls, &[&format!("span_name=\"{s}\"")]) == 10.0)
    });
    let text = scrape();
    assert_eq!(sum(&text, calls, &["span_name=\"goo\"", "status_code=\"STATUS_CODE_ERROR\""]), 2.0, "{text}");
    assert_eq!(sum(&text, calls, &["span_name=\"foo\"", "span_kind=\"SPAN_KIND_SERVER\"", "service_name=\"seed-app\""]), 10.0, "{text}");
    assert!(text.contains("otel_collector_span_metrics_duration_milliseconds_bucket{"), "{text}");
    for c in ["otelcol.exporter.otlp.jaeger", "prometheus.expose.default", "otelcol.connector.spanmetrics.default"] {
        assert_eq!(agent.component(c)["health"]["state"], "healthy", "{c}");
    }
}

/// Span-name normalisation: the filter and transform sit in front of
/// span metrics and keep what they should; seed 002's spans (no health
/// checks, no IDs in their names) all arrive and are counted as sent.
#[test]
fn span_name_normalisation_example_keeps_ordinary_spans_whole() {
    let run = run_example("span-name-normalisation.alloy", |sink| vec![("JAEGER_OTLP_ENDPOINT", format!("127.0.0.1:{}", sink.port))], 4317);
    let calls = "traces_span_metrics_calls_total";
    run.agent.wait_up_to("the calls counted (15s flush)", FLUSH, || {
        let t = scrape();
        ["foo", "goo", "zoo"].iter().all(|s| sum(&t, calls, &[&format!("span_name=\"{s}\"")]) == 10.0)
    });
    for c in ["otelcol.processor.filter.health", "otelcol.processor.transform.names"] {
        assert_eq!(run.agent.component(c)["health"]["state"], "healthy", "{c}");
    }
}

/// The module example: the receiver sends into a custom component that
/// `import.file` reads from `examples/modules/`, next to the example; its
/// spans reach the backend's stand-in.
#[test]
fn module_example_sends_through_its_imported_pipeline() {
    let run = run_example("module-pipeline.alloy", |sink| vec![("JAEGER_ENDPOINT", format!("127.0.0.1:{}", sink.port))], 4317);
    let agent = &run.agent;
    let exporter = agent.component("traces.pipeline.jaeger/otelcol.exporter.otlp.backend");
    assert_eq!(exporter["moduleID"], "traces.pipeline.jaeger", "{exporter}");
    assert_eq!(agent.component("traces.pipeline.jaeger")["health"]["state"], "healthy");
}

/// Seed 004: span metrics with exemplars and HTTP dimensions, traces to
/// Tempo over OTLP/HTTP; the app sends to 4319 as in the seed.
#[test]
fn seed_004_example_links_exemplars_to_traces_tempo_received() {
    let run = run_example("exemplars-tempo.alloy", |sink| vec![("TEMPO_OTLP_HTTP_ENDPOINT", format!("http://127.0.0.1:{}", sink.http_port))], 4319);
    let agent = &run.agent;

    let calls = "traces_span_metrics_calls_total";
    agent.wait_up_to("the calls counted (15s flush)", FLUSH, || sum(&scrape(), calls, &[]) == 30.0);
    let text = scrape();
    assert_eq!(sum(&text, calls, &["span_name=\"foo\"", "http_method=\"GET\""]), 10.0, "the http.method dimension: {text}");
    assert!(text.contains("traces_span_metrics_duration_milliseconds_bucket{") && text.contains("le=\"2000\""), "seed buckets in ms: {text}");
    let traces: BTreeSet<String> = read_jsonl(&run.sink.record).iter().filter_map(|s| s["trace_id"].as_str().map(str::to_string)).collect();
    let linked = exemplar_traces(&text);
    assert!(!linked.is_empty(), "no exemplars:\n{text}");
    assert!(linked.is_subset(&traces), "exemplars {linked:?} must name traces Tempo received");
}

/// RED metrics by remote write: a real Prometheus receives the span metrics
/// and the service graph (the seed app's root spans come from a caller
/// without instrumentation: the `user` node).
#[test]
fn red_metrics_example_remote_writes_span_metrics_and_the_service_graph() {
    let prometheus = prometheus_binary();
    let prom = Prometheus::start(&prometheus, "global:\n  scrape_interval: 1m\n");
    let url = format!("http://{}/api/v1/write", prom.addr);
    let run = run_example(
        "red-metrics-remote-write.alloy",
        |sink| vec![("JAEGER_OTLP_ENDPOINT", format!("127.0.0.1:{}", sink.port)), ("PROMETHEUS_REMOTE_WRITE_URL", url.clone()), ("HOSTNAME", "example".into())],
        4317,
    );
    let value = |q: &str| prom.query(q).first().map(|r| r.1);
    prom.wait_for("span metrics by remote write", || value(r#"sum(traces_span_metrics_calls_total{agent="example",span_name="goo"})"#) == Some(10.0));
    assert_eq!(value(r#"sum(traces_span_metrics_calls_total{agent="example",status_code="STATUS_CODE_ERROR"})"#), Some(2.0));
    prom.wait_for("the service graph by remote write", || value(r#"sum(traces_service_graph_request_total{client="user",server="seed-app"})"#) == Some(10.0));
    let rw = run.agent.component("prometheus.remote_write.default");
    assert_eq!(rw["health"]["state"], "healthy", "{rw}");
}
