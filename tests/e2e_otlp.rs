//! The seeds' trace pipeline end to end, with real peers: the OpenTelemetry
//! Python SDK sends seed 002's spans to `solder run` over OTLP gRPC and
//! HTTP; Solder batches them and forwards them over OTLP gRPC to a grpcio
//! sink standing in for Jaeger. Every span must arrive exactly once, with
//! its ids and attributes intact.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};
use support::peers::{e2e_dir, read_jsonl, run_seed_app, run_seed_app_with_env, start_sink, Sink};
use support::{free_port, Agent};

/// receiver (gRPC + HTTP) → batch → OTLP gRPC exporter → the sink.
fn pipeline(sink_port: u16, grpc: u16, http: u16) -> String {
    format!(
        r#"otelcol.receiver.otlp "default" {{
	grpc {{
		endpoint = "127.0.0.1:{grpc}"
	}}
	http {{
		endpoint = "127.0.0.1:{http}"
	}}
	output {{
		traces = [otelcol.processor.batch.default.input]
	}}
}}

otelcol.processor.batch "default" {{
	timeout = "100ms"
	output {{
		traces = [otelcol.exporter.otlp.jaeger.input]
	}}
}}

otelcol.exporter.otlp "jaeger" {{
	client {{
		endpoint = "127.0.0.1:{sink_port}"
		tls {{
			insecure = true
		}}
	}}
	retry_on_failure {{
		initial_interval = "100ms"
		max_interval     = "500ms"
	}}
}}
"#
    )
}

/// Spans keyed by span id; panics on a duplicate.
fn by_id(spans: &[Value], who: &str) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for s in spans {
        let id = s["span_id"].as_str().unwrap_or_default().to_string();
        assert!(out.insert(id.clone(), s.clone()).is_none(), "{who} has span {id} twice");
    }
    out
}

/// The sum of every series of the counter `name` on the agent's /metrics.
fn counter(agent: &Agent, name: &str) -> f64 {
    let (labelled, bare) = (format!("{name}{{"), format!("{name} "));
    agent.get("/metrics").1.lines().filter(|l| l.starts_with(&labelled) || l.starts_with(&bare)).filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok()).sum()
}

/// The delivery balance once the exporter has answered for all `n` spans
/// the receiver accepted: every one delivered and none dropped, and the
/// sink holding exactly `n`, each once.
fn assert_balance(s: &Setup, n: usize) {
    let n = n as f64;
    let dropped = |a: &Agent| counter(a, "otelcol_exporter_send_failed_spans_total") + counter(a, "otelcol_exporter_enqueue_failed_spans_total");
    s.agent.wait_for("the exporter to account for every span", || counter(&s.agent, "otelcol_exporter_sent_spans_total") + dropped(&s.agent) >= n);
    assert_eq!(counter(&s.agent, "otelcol_receiver_accepted_spans_total"), n, "acknowledged");
    assert_eq!(counter(&s.agent, "otelcol_exporter_sent_spans_total"), n, "delivered");
    assert_eq!(dropped(&s.agent), 0.0, "dropped");
    assert_eq!(by_id(&read_jsonl(&s.sink.record), "the sink").len() as f64, n, "at the sink");
}

struct Setup {
    _dir: tempfile::TempDir,
    python: PathBuf,
    sink: Sink,
    agent: Agent,
    grpc: u16,
    http: u16,
}

fn setup(fail_first: u32) -> Setup {
    let python = support::python();
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink(&python, dir.path(), fail_first);
    let (grpc, http) = (free_port(), free_port());
    let cfg = dir.path().join("pipeline.alloy");
    std::fs::write(&cfg, pipeline(sink.port, grpc, http)).unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("the pipeline to load", || agent.get("/-/ready").0 == 200);
    Setup { _dir: dir, python, sink, agent, grpc, http }
}

/// Runs the seed app and checks the sink got exactly what it produced.
fn run_app(s: &Setup, protocol: &str, endpoint: &str, iterations: u32) {
    run_app_with_env(s, protocol, endpoint, iterations, &[]);
}

fn run_app_with_env(s: &Setup, protocol: &str, endpoint: &str, iterations: u32, env: &[(&str, &str)]) {
    let tag: String = env.iter().map(|(_, v)| format!("-{v}")).collect();
    let record = s._dir.path().join(format!("app-{protocol}{tag}.jsonl"));
    let status = run_seed_app_with_env(&s.python, protocol, endpoint, &record, iterations, env);
    assert!(status.success(), "seed app failed to export ({status}); solder logs:\n{}", s.agent.logs());
    let sent = by_id(&read_jsonl(&record), "the app");
    assert_eq!(sent.len(), iterations as usize * 3, "foo, goo and zoo per iteration");
    s.agent.wait_for("every span at the sink", || {
        let got = read_jsonl(&s.sink.record);
        sent.keys().all(|id| got.iter().any(|g| g["span_id"] == id.as_str()))
    });
    let received = by_id(&read_jsonl(&s.sink.record), "the sink");
    for (id, want) in &sent {
        let got = &received[id];
        for field in ["trace_id", "parent_span_id", "name", "attributes", "status"] {
            assert_eq!(got[field], want[field], "span {id}: {field} changed on the way");
        }
        assert_eq!(got["service"], "seed-app");
    }
}

#[test]
fn python_sdk_over_grpc_and_http_reaches_the_sink_exactly_once() {
    let s = setup(0);
    run_app(&s, "grpc", &format!("http://127.0.0.1:{}", s.grpc), 40);
    run_app(&s, "http", &format!("http://127.0.0.1:{}/v1/traces", s.http), 40);
    let total = read_jsonl(&s.sink.record).len();
    assert_eq!(total, 240, "nothing duplicated across both runs");
    let (_, metrics) = s.agent.get("/metrics");
    assert!(metrics.contains("otelcol_receiver_accepted_spans_total{component_id=\"otelcol.receiver.otlp.default\",transport=\"grpc\"} 120"), "{metrics}");
    assert!(metrics.contains("otelcol_exporter_sent_spans_total{component_id=\"otelcol.exporter.otlp.jaeger\"} 240"), "{metrics}");
}

/// The compressions the Python SDK sends (`OTEL_EXPORTER_OTLP_COMPRESSION`):
/// gzip over gRPC and HTTP, and deflate, which only its HTTP exporter
/// takes. Each span is delivered once.
#[test]
fn python_sdk_gzip_and_deflate_requests_reach_the_sink() {
    let s = setup(0);
    let gzip = [("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")];
    run_app_with_env(&s, "grpc", &format!("http://127.0.0.1:{}", s.grpc), 10, &gzip);
    run_app_with_env(&s, "http", &format!("http://127.0.0.1:{}/v1/traces", s.http), 10, &gzip);
    run_app_with_env(&s, "http", &format!("http://127.0.0.1:{}/v1/traces", s.http), 10, &[("OTEL_EXPORTER_OTLP_COMPRESSION", "deflate")]);
    assert_eq!(read_jsonl(&s.sink.record).len(), 90, "every span once, whatever its compression");
    assert_balance(&s, 90);
}

#[test]
fn spans_survive_a_sink_that_is_unavailable_at_first() {
    let s = setup(3);
    run_app(&s, "grpc", &format!("http://127.0.0.1:{}", s.grpc), 30);
    let refusals = s.sink.refusals();
    assert_eq!(refusals.len(), 3, "the sink refused its first 3 calls: {refusals:?}");
    assert!(refusals.iter().all(|r| r["spans"].as_u64() > Some(0)), "each refused call carried spans: {refusals:?}");
    assert_balance(&s, 90);
}

/// OTLP/JSON as a browser or a shell script sends it: hex ids, string
/// 64-bit integers, enum names, camelCase keys.
#[test]
fn otlp_json_reaches_the_sink_intact() {
    let s = setup(0);
    let body = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-client"}}]},
        "scopeSpans":[{"scope":{"name":"curl"},"spans":[
          {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /json","kind":"SPAN_KIND_SERVER",
           "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000",
           "attributes":[{"key":"http.status_code","value":{"intValue":"200"}}],"status":{"code":"STATUS_CODE_ERROR"}},
          {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","name":"child","kind":3,
           "startTimeUnixNano":1700000000100000000,"endTimeUnixNano":1700000000200000000}]}]}]}"#;
    let addr = format!("127.0.0.1:{}", s.http);
    let (code, headers, _) = support::send(&addr, "POST", "/v1/traces", &[("Content-Type", "application/json")], body.as_bytes()).unwrap();
    assert_eq!(code, 200);
    assert!(headers.iter().any(|(k, v)| k == "content-type" && v.starts_with("application/json")), "answered in JSON: {headers:?}");
    s.agent.wait_for("both spans at the sink", || read_jsonl(&s.sink.record).len() == 2);
    let got = by_id(&read_jsonl(&s.sink.record), "the sink");
    let root = &got["eee19b7ec3c1b174"];
    assert_eq!(root["trace_id"], "5b8efff798038103d269b633813fc60c");
    assert_eq!(root["attributes"]["http.status_code"], "200");
    assert_eq!(root["status"], "ERROR");
    assert_eq!(got["eee19b7ec3c1b175"]["parent_span_id"], "eee19b7ec3c1b174");
}

/// Each kind of bad request gets its status, and the agent keeps serving.
#[test]
fn bad_requests_are_refused_and_the_agent_keeps_serving() {
    let s = setup(0);
    let addr = format!("127.0.0.1:{}", s.http);
    let proto = [("Content-Type", "application/x-protobuf")];
    // (what, method, headers, body, expected status)
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, Vec<u8>, u16);
    let cases: Vec<Case> = vec![
        ("truncated protobuf", "POST", proto.to_vec(), vec![0x0a, 0x10, 0x0a], 400),
        ("invalid JSON", "POST", vec![("Content-Type", "application/json")], b"{\"resourceSpans\": [".to_vec(), 400),
        ("wrong content type", "POST", vec![("Content-Type", "text/plain")], b"hello".to_vec(), 415),
        ("GET", "GET", vec![], Vec::new(), 405),
        ("oversized body", "POST", proto.to_vec(), vec![0u8; 21 * 1024 * 1024], 413),
        ("garbage gzip", "POST", vec![("Content-Type", "application/x-protobuf"), ("Content-Encoding", "gzip")], b"not gzip at all".to_vec(), 400),
    ];
    for (what, method, headers, body, want) in cases {
        let (code, _, _) = support::send(&addr, method, "/v1/traces", &headers, &body).unwrap();
        assert_eq!(code, want, "{what}");
        assert_eq!(s.agent.get("/-/ready").0, 200, "agent still serving after {what}");
    }
    // And a good request still goes all the way through.
    run_app(&s, "http", &format!("http://127.0.0.1:{}/v1/traces", s.http), 5);
}

/// Reloads while spans flow: a component is added and removed beside the
/// pipeline and the batch processor is updated in place (it holds pending
/// spans across the update). Every span still arrives exactly once.
#[test]
fn reloading_while_spans_flow_loses_nothing() {
    // Enough that the app is still sending when the last reload is done.
    const ITERATIONS: usize = 4000;
    let s = setup(0);
    let cfg = s._dir.path().join("pipeline.alloy");
    let base = std::fs::read_to_string(&cfg).unwrap();
    let with_side =
        format!("{}\notelcol.exporter.debug \"side\" {{\n\tverbosity = \"basic\"\n}}\n", base.replace("timeout = \"100ms\"", "timeout = \"150ms\""));
    let record = s._dir.path().join("app-reload.jsonl");
    let mut app = Command::new(&s.python)
        .arg(e2e_dir().join("seed_app.py"))
        .args(["grpc", &format!("http://127.0.0.1:{}", s.grpc), &record.display().to_string(), &ITERATIONS.to_string()])
        .spawn()
        .unwrap();
    s.agent.wait_for("spans flowing to the sink", || !read_jsonl(&s.sink.record).is_empty());
    let batch = s.agent.component("otelcol.processor.batch.default");
    let mut running = s.agent.json("/api/v0/web/status")["running"].clone();
    let mut side_instances = Vec::new();
    for round in 0..5 {
        let adding = round % 2 == 0;
        let text = if adding { with_side.clone() } else { base.clone() };
        support::replace_file(&cfg, &text);
        s.agent.wait_for(&format!("reload {round} to be running"), || s.agent.json("/api/v0/web/status")["running"]["files"][0]["text"] == text.as_str());
        let status = s.agent.json("/api/v0/web/status");
        assert_ne!(status["running"]["hash"], running["hash"], "reload {round} runs a new config: {status}");
        running = status["running"].clone();
        let reload = &status["lastReload"];
        assert_eq!((&reload["success"], &reload["trigger"]), (&json!(true), &json!("file")), "reload {round}: {status}");
        assert_eq!(reload["changes"]["updated"], json!(["otelcol.processor.batch.default"]), "reload {round}: {status}");
        let side = json!(["otelcol.exporter.debug.side"]);
        assert_eq!(reload["changes"][if adding { "added" } else { "removed" }], side, "reload {round}: {status}");
        if adding {
            side_instances.push(s.agent.component("otelcol.exporter.debug.side")["instance"].clone());
        }
        assert_eq!(
            s.agent.component("otelcol.processor.batch.default")["instance"],
            batch["instance"],
            "the batch processor is updated in place, never rebuilt"
        );
    }
    assert!(side_instances.windows(2).all(|w| w[0] != w[1]), "each re-add builds a new instance: {side_instances:?}");
    let made = read_jsonl(&record).len();
    assert!(app.try_wait().unwrap().is_none() && made < ITERATIONS * 3, "the app finished ({made} spans) before the reloads did: raise its iterations");
    assert!(app.wait().unwrap().success(), "seed app failed; solder logs:\n{}", s.agent.logs());
    let sent = by_id(&read_jsonl(&record), "the app");
    assert_eq!(sent.len(), ITERATIONS * 3);
    s.agent.wait_for("every span at the sink", || read_jsonl(&s.sink.record).len() >= sent.len());
    let received = by_id(&read_jsonl(&s.sink.record), "the sink");
    assert!(sent.keys().eq(received.keys()), "the sink has exactly the spans the app made");
    assert_balance(&s, sent.len());
}

/// Seed 002's app through span metrics to the scrape endpoint: the calls
/// counters equal the spans sent per span name, every 5th goo is an error
/// series, and exemplars point at traces the Jaeger stand-in received.
#[test]
fn span_metrics_count_the_seed_app_and_link_exemplars_to_traces() {
    let python = support::python();
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink(&python, dir.path(), 0);
    let (grpc, http, expose) = (free_port(), free_port(), free_port());
    let cfg = dir.path().join("metrics.alloy");
    let text = pipeline(sink.port, grpc, http)
        .replace("traces = [otelcol.exporter.otlp.jaeger.input]", "traces = [otelcol.exporter.otlp.jaeger.input, otelcol.connector.spanmetrics.default.input]")
        + &format!(
            r#"
otelcol.connector.spanmetrics "default" {{
	histogram {{
		explicit {{ }}
	}}
	exemplars {{
		enabled = true
	}}
	metrics_flush_interval = "200ms"
	output {{
		metrics = [otelcol.exporter.prometheus.default.input]
	}}
}}

otelcol.exporter.prometheus "default" {{
	forward_to = [prometheus.expose.default.receiver]
}}

prometheus.expose "default" {{
	listen_address = "127.0.0.1:{expose}"
}}
"#
        );
    std::fs::write(&cfg, text).unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("the pipeline to load", || agent.get("/-/ready").0 == 200);
    let record = dir.path().join("app.jsonl");
    let status = run_seed_app(&python, "grpc", &format!("http://127.0.0.1:{grpc}"), &record, 20);
    assert!(status.success());

    let scrape = || {
        support::send(&format!("127.0.0.1:{expose}"), "GET", "/metrics", &[("Accept", "application/openmetrics-text; version=1.0.0")], b"")
            .map(|(_, _, body)| String::from_utf8_lossy(&body).into_owned())
            .unwrap_or_default()
    };
    let value = |text: &str, name: &str, status: &str| -> f64 {
        text.lines()
            .filter(|l| {
                l.starts_with("traces_span_metrics_calls_total{")
                    && l.contains(&format!("span_name=\"{name}\""))
                    && l.contains(&format!("status_code=\"{status}\""))
            })
            .filter_map(|l| l.split('}').nth(1)?.split_whitespace().next()?.parse::<f64>().ok())
            .sum()
    };
    agent.wait_for("all 60 calls counted", || {
        let t = scrape();
        value(&t, "foo", "STATUS_CODE_UNSET") == 20.0 && value(&t, "goo", "STATUS_CODE_ERROR") == 4.0
    });
    let text = scrape();
    assert_eq!(value(&text, "zoo", "STATUS_CODE_UNSET"), 20.0, "{text}");
    assert_eq!(value(&text, "goo", "STATUS_CODE_UNSET"), 16.0, "{text}");
    assert!(text.contains("traces_span_metrics_duration_milliseconds_bucket{"), "{text}");
    assert!(text.trim_end().ends_with("# EOF"), "OpenMetrics ends with # EOF");

    // Exemplars name traces the sink (Jaeger's stand-in) received.
    agent.wait_for("spans at the sink", || read_jsonl(&sink.record).len() == 60);
    let traces: std::collections::BTreeSet<String> = read_jsonl(&sink.record).iter().map(|s| s["trace_id"].as_str().unwrap_or_default().to_string()).collect();
    let exemplar_traces: Vec<&str> = text.lines().filter_map(|l| l.split("trace_id=\"").nth(1)?.split('"').next()).collect();
    assert!(!exemplar_traces.is_empty(), "no exemplars in:\n{text}");
    for t in exemplar_traces {
        assert!(traces.contains(t), "exemplar trace {t} was never received by the sink");
    }
}
