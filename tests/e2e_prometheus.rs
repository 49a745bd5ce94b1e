//! Span metrics into a real Prometheus server, both ways it can get them:
//! scraping `prometheus.expose` (OpenMetrics, with exemplars) and
//! receiving `prometheus.remote_write`. Seed 002's app on the
//! OpenTelemetry Python SDK sends its foo/goo/zoo spans (every 5th goo
//! fails) through Solder; the test asks Prometheus's HTTP API what it
//! stored and compares it with what the app sent and the Jaeger stand-in
//! received.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use support::peers::{prometheus_binary, read_jsonl, run_seed_app, start_sink, url_encode, Prometheus};
use support::{free_port, Agent};

const ITERATIONS: u32 = 20;

fn pipeline(grpc: u16, sink: u16, expose: u16, remote_write: &str) -> String {
    format!(
        r#"otelcol.receiver.otlp "default" {{
	grpc {{
		endpoint = "127.0.0.1:{grpc}"
	}}
	output {{
		traces = [otelcol.processor.batch.default.input]
	}}
}}

otelcol.processor.batch "default" {{
	timeout = "100ms"
	output {{
		traces = [otelcol.exporter.otlp.jaeger.input, otelcol.connector.spanmetrics.default.input]
	}}
}}

otelcol.exporter.otlp "jaeger" {{
	client {{
		endpoint = "127.0.0.1:{sink}"
		tls {{
			insecure = true
		}}
	}}
}}

otelcol.connector.spanmetrics "default" {{
	histogram {{
		explicit {{ }}
	}}
	exemplars {{
		enabled = true
	}}
	metrics_flush_interval = "500ms"
	output {{
		metrics = [otelcol.exporter.prometheus.default.input]
	}}
}}

otelcol.exporter.prometheus "default" {{
	forward_to = [prometheus.expose.default.receiver, prometheus.remote_write.default.receiver]
}}

prometheus.expose "default" {{
	listen_address = "127.0.0.1:{expose}"
}}

prometheus.remote_write "default" {{
	external_labels = {{ via = "remote_write" }}
	endpoint {{
		url = "{remote_write}"
		queue_config {{
			batch_send_deadline = "500ms"
		}}
	}}
}}
"#
    )
}

fn scrape_config(expose: u16) -> String {
    format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: solder\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['127.0.0.1:{expose}']\n"
    )
}

/// `sum by (span_name, status_code)` of the calls counter for a selector.
fn calls(prom: &Prometheus, selector: &str) -> BTreeMap<(String, String), f64> {
    prom.query(&format!("sum by (span_name, status_code) (traces_span_metrics_calls_total{{{selector}}})"))
        .into_iter()
        .map(|(l, v)| {
            let get = |k: &str| l.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            ((get("span_name"), get("status_code")), v)
        })
        .collect()
}

fn expected_calls() -> BTreeMap<(String, String), f64> {
    let n = f64::from(ITERATIONS);
    [("foo", "STATUS_CODE_UNSET", n), ("goo", "STATUS_CODE_UNSET", n * 4.0 / 5.0), ("goo", "STATUS_CODE_ERROR", n / 5.0), ("zoo", "STATUS_CODE_UNSET", n)]
        .into_iter()
        .map(|(s, c, v)| ((s.to_string(), c.to_string()), v))
        .collect()
}

/// Trace ids of every exemplar Prometheus holds for the duration buckets
/// matching `selector`.
fn exemplar_traces(prom: &Prometheus, selector: &str) -> Vec<String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let query = url_encode(&format!("traces_span_metrics_duration_milliseconds_bucket{{{selector}}}"));
    let data = prom.api(&format!("/api/v1/query_exemplars?query={query}&start={}&end={}", now - 3600, now + 3600));
    data.as_array()
        .into_iter()
        .flatten()
        .flat_map(|series| series["exemplars"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["labels"]["trace_id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn prometheus_scrapes_and_receives_the_seed_apps_span_metrics_with_exemplars() {
    let python = support::python();
    let prometheus = prometheus_binary();
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink(&python, dir.path(), 0);
    let (grpc, expose) = (free_port(), free_port());
    let prom = Prometheus::start(&prometheus, &scrape_config(expose));

    let cfg = dir.path().join("pipeline.alloy");
    std::fs::write(&cfg, pipeline(grpc, sink.port, expose, &format!("http://{}/api/v1/write", prom.addr))).unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("the pipeline to load", || agent.get("/-/ready").0 == 200);

    let record = dir.path().join("app.jsonl");
    let status = run_seed_app(&python, "grpc", &format!("http://127.0.0.1:{grpc}"), &record, ITERATIONS);
    assert!(status.success(), "seed app failed ({status}); solder logs:\n{}", agent.logs());
    assert_eq!(read_jsonl(&record).len(), ITERATIONS as usize * 3);

    // 1. Scraped: Prometheus labels these job="solder" (its scrape job).
    let want = expected_calls();
    prom.wait_for("scraped calls to equal the spans sent", || calls(&prom, r#"job="solder""#) == want);
    let count = prom.query(r#"sum(traces_span_metrics_duration_milliseconds_count{job="solder"})"#);
    assert_eq!(count.first().map(|c| c.1), Some(f64::from(ITERATIONS * 3)), "every span is in the histogram");
    let up = prom.query(r#"up{job="solder"}"#);
    assert_eq!(up.first().map(|u| u.1), Some(1.0), "scrapes succeed");

    // 2. Exemplars name traces that the Jaeger stand-in received.
    agent.wait_for("every span at the sink", || read_jsonl(&sink.record).len() == ITERATIONS as usize * 3);
    let received: BTreeSet<String> = read_jsonl(&sink.record).iter().filter_map(|s| s["trace_id"].as_str().map(str::to_string)).collect();
    let mut scraped = Vec::new();
    prom.wait_for("exemplars from the scrape", || {
        scraped = exemplar_traces(&prom, r#"job="solder""#);
        !scraped.is_empty()
    });
    for t in &scraped {
        assert!(received.contains(t), "scraped exemplar trace {t} never reached the sink");
    }

    // 3. The same numbers through remote write (labelled by its external label).
    prom.wait_for("remote-written calls to equal the spans sent", || calls(&prom, r#"via="remote_write""#) == want);
    let mut written = Vec::new();
    prom.wait_for("exemplars through remote write", || {
        written = exemplar_traces(&prom, r#"via="remote_write""#);
        !written.is_empty()
    });
    for t in &written {
        assert!(received.contains(t), "remote-written exemplar trace {t} never reached the sink");
    }
    let rw = agent.component("prometheus.remote_write.default");
    assert_eq!(rw["health"]["state"], "healthy", "{rw}");
}

/// The agent's own `/metrics` (OpenMetrics, from `prometheus-client`) as
/// a real Prometheus server scrapes it: every series is ingested, counters
/// keep their `_total` names, and the receiver's count is what the app
/// sent.
#[test]
fn prometheus_scrapes_the_agents_own_metrics() {
    let python = support::python();
    let prometheus = prometheus_binary();
    let dir = tempfile::tempdir().unwrap();
    let grpc = free_port();
    let cfg = dir.path().join("pipeline.alloy");
    let pipeline = format!(
        "otelcol.receiver.otlp \"default\" {{\n\tgrpc {{\n\t\tendpoint = \"127.0.0.1:{grpc}\"\n\t}}\n\toutput {{\n\t\ttraces = [otelcol.processor.batch.default.input]\n\t}}\n}}\n\
         otelcol.processor.batch \"default\" {{\n\ttimeout = \"100ms\"\n\toutput {{\n\t\ttraces = [otelcol.exporter.debug.default.input]\n\t}}\n}}\n\
         otelcol.exporter.debug \"default\" {{\n\tsampling_thereafter = 0\n}}\n"
    );
    std::fs::write(&cfg, pipeline).unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    let prom = Prometheus::start(
        &prometheus,
        &format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: agent\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['{}']\n",
            agent.addr
        ),
    );
    let record = dir.path().join("app.jsonl");
    let status = run_seed_app(&python, "grpc", &format!("http://127.0.0.1:{grpc}"), &record, ITERATIONS);
    assert!(status.success(), "seed app failed ({status}); solder logs:\n{}", agent.logs());
    let sent = read_jsonl(&record).len() as f64;

    let accepted = r#"sum(otelcol_receiver_accepted_spans_total{job="agent",component_id="otelcol.receiver.otlp.default"})"#;
    prom.wait_for("the scraped receiver count to equal the spans sent", || prom.query(accepted).first().map(|s| s.1) == Some(sent));
    let up = prom.query(r#"up{job="agent"}"#);
    assert_eq!(up.first().map(|u| u.1), Some(1.0), "scrapes succeed:\n{}", prom.logs());
    let loaded = prom.query(r#"solder_config_last_load_successful{job="agent"}"#);
    assert_eq!(loaded.first().map(|u| u.1), Some(1.0));
    let healthy = prom.query(r#"solder_component_controller_running_components{job="agent",health_type="healthy"}"#);
    assert_eq!(healthy.first().map(|u| u.1), Some(3.0));
    let evaluations = prom.query(r#"solder_component_evaluation_seconds_count{job="agent"}"#);
    assert_eq!(evaluations.first().map(|u| u.1), Some(1.0), "the histogram is ingested");
}
