//! OTTL end to end, with the real binary: an app on the OpenTelemetry
//! Python SDK sends user lookups named with the user's ID and health
//! checks; `otelcol.processor.filter` drops the health checks,
//! `otelcol.processor.transform` normalises the names, and span metrics
//! reach a real Prometheus as one series per route. Every span sent is
//! either at the sink or counted as filtered. Metrics go through the
//! data point plans and the transform's metric functions to the same
//! Prometheus, and log lines through the filter and the transform's log
//! statements to the sink.

mod support;

use std::collections::BTreeMap;
use std::process::Command;

use support::peers::{e2e_dir, prometheus_binary, read_jsonl, start_sink, Prometheus};
use support::{free_port, Agent};

const USERS: u32 = 20;
const HEALTHCHECKS: u32 = 7;

/// The pipeline with `statement` as the transform's one span statement.
fn pipeline(grpc: u16, sink: u16, expose: u16, statement: &str) -> String {
    format!(
        r#"otelcol.receiver.otlp "default" {{
	grpc {{
		endpoint = "127.0.0.1:{grpc}"
	}}
	output {{
		traces = [otelcol.processor.filter.health.input]
	}}
}}

otelcol.processor.filter "health" {{
	error_mode = "ignore"
	traces {{
		span = [`attributes["http.route"] == "/healthz"`]
	}}
	output {{
		traces = [otelcol.processor.transform.names.input]
	}}
}}

otelcol.processor.transform "names" {{
	error_mode = "ignore"
	trace_statements {{
		context    = "span"
		statements = [`{statement}`]
	}}
	output {{
		traces = [otelcol.exporter.otlp.sink.input, otelcol.connector.spanmetrics.default.input]
	}}
}}

{sink_exporter}

otelcol.connector.spanmetrics "default" {{
	histogram {{
		explicit {{ }}
	}}
	metrics_flush_interval = "500ms"
	output {{
		metrics = [otelcol.exporter.prometheus.default.input]
	}}
}}

{exposition}"#,
        sink_exporter = sink_exporter(sink),
        exposition = exposition(expose)
    )
}

/// `otelcol.exporter.otlp.sink`: OTLP/gRPC to the test's sink on `sink`.
fn sink_exporter(sink: u16) -> String {
    format!(
        r#"otelcol.exporter.otlp "sink" {{
	client {{
		endpoint = "127.0.0.1:{sink}"
		tls {{
			insecure = true
		}}
	}}
}}"#
    )
}

/// `otelcol.exporter.prometheus.default` into `prometheus.expose.default`
/// on `expose`.
fn exposition(expose: u16) -> String {
    format!(
        r#"otelcol.exporter.prometheus "default" {{
	forward_to = [prometheus.expose.default.receiver]
}}

prometheus.expose "default" {{
	listen_address = "127.0.0.1:{expose}"
}}
"#
    )
}

/// A Prometheus config scraping `expose` every second, as job `solder`.
fn scrape_config(expose: u16) -> String {
    format!("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: solder\n    static_configs:\n      - targets: ['127.0.0.1:{expose}']\n")
}

/// The sum of every series of `metric` (a name with `{` or a full
/// selector prefix) in an exposition.
fn metric_sum(text: &str, prefix: &str) -> f64 {
    text.lines().filter(|l| l.starts_with(prefix)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

/// A metrics pipeline on the real binary, with its peers: the receiver
/// on a free port sends metrics to `first`, the first of `processors`,
/// whose last sends to `otelcol.exporter.otlp.sink` (the test's sink) and
/// to the exposition a real Prometheus scrapes.
struct MetricsRun {
    python: std::path::PathBuf,
    sink: support::peers::Sink,
    prom: Prometheus,
    agent: Agent,
    grpc: u16,
    /// Holds the sink's records and the config until the test ends.
    _dir: tempfile::TempDir,
}

/// Starts the agent on a pipeline written to `dir`: an OTLP gRPC receiver
/// on `grpc` whose `output` block holds `outputs`, then `rest` (the
/// components after it); returns once the pipeline has loaded.
fn start_agent(dir: &std::path::Path, grpc: u16, outputs: &str, rest: &str) -> Agent {
    let cfg = dir.join("pipeline.alloy");
    let pipeline = format!(
        r#"otelcol.receiver.otlp "default" {{
	grpc {{
		endpoint = "127.0.0.1:{grpc}"
	}}
	output {{
		{outputs}
	}}
}}

{rest}
"#
    );
    std::fs::write(&cfg, pipeline).unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("the pipeline to load", || agent.get("/-/ready").0 == 200);
    agent
}

impl MetricsRun {
    fn start(first: &str, processors: &str) -> MetricsRun {
        let python = support::python();
        let dir = tempfile::tempdir().unwrap();
        let sink = start_sink(&python, dir.path(), 0);
        let (grpc, expose) = (free_port(), free_port());
        let prom = Prometheus::start(&prometheus_binary(), &scrape_config(expose));
        let rest = format!("{processors}\n\n{}\n\n{}", sink_exporter(sink.port), exposition(expose));
        let agent = start_agent(dir.path(), grpc, &format!("metrics = [{first}.input]"), &rest);
        MetricsRun { python, sink, prom, agent, grpc, _dir: dir }
    }
}

/// Runs the users app (its lookups with `http.route` when `route`)
/// through the pipeline with `statement`; asserts what every run must
/// show: one span-metrics series for the route at Prometheus counting every
/// lookup, the lookups renamed at the sink, the health checks counted as
/// filtered, and acknowledged = delivered + filtered. Returns the spans
/// the sink received.
fn run(statement: &str, route: bool) -> Vec<serde_json::Value> {
    let python = support::python();
    let prometheus = prometheus_binary();
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink(&python, dir.path(), 0);
    let (grpc, expose) = (free_port(), free_port());
    let prom = Prometheus::start(&prometheus, &scrape_config(expose));

    let cfg = dir.path().join("pipeline.alloy");
    std::fs::write(&cfg, pipeline(grpc, sink.port, expose, statement)).unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("the pipeline to load", || agent.get("/-/ready").0 == 200);

    let mut app = Command::new(&python);
    app.arg(e2e_dir().join("users_app.py")).args([format!("http://127.0.0.1:{grpc}"), USERS.to_string(), HEALTHCHECKS.to_string()]);
    if route {
        app.arg("route");
    }
    let status = app.status().unwrap();
    assert!(status.success(), "users app failed ({status}); solder logs:\n{}", agent.logs());

    // One series for the route, with every lookup in it; none for health.
    let calls = || -> BTreeMap<String, f64> {
        prom.query(r#"sum by (span_name) (traces_span_metrics_calls_total{job="solder"})"#)
            .into_iter()
            .map(|(l, v)| (l.get("span_name").and_then(|n| n.as_str()).unwrap_or_default().to_string(), v))
            .collect()
    };
    let want = BTreeMap::from([("GET /users/{id}".to_string(), f64::from(USERS))]);
    prom.wait_for("one series per route, counting every lookup", || calls() == want);

    // The sink got the lookups, renamed; the health checks were counted.
    agent.wait_for("every lookup at the sink", || read_jsonl(&sink.record).len() >= USERS as usize);
    let spans = read_jsonl(&sink.record);
    assert!(spans.iter().all(|s| s["name"] == "GET /users/{id}"), "{spans:?}");
    let metrics = agent.get("/metrics").1;
    let filtered = metric_sum(&metrics, r#"otelcol_processor_filter_spans_filtered_total{component_id="otelcol.processor.filter.health""#);
    let accepted = metric_sum(&metrics, "otelcol_receiver_accepted_spans_total{");
    assert_eq!(accepted, f64::from(USERS + HEALTHCHECKS), "every span sent was acknowledged");
    assert_eq!(filtered, f64::from(HEALTHCHECKS), "each health check is counted as filtered");
    assert_eq!(spans.len() as f64 + filtered, accepted, "acknowledged = delivered + filtered");
    spans
}

#[test]
fn health_checks_are_filtered_and_user_ids_collapse_into_one_series() {
    let spans = run(r#"replace_pattern(name, "/users/[0-9]+", "/users/{id}")"#, false);
    assert!(spans.iter().all(|s| s["attributes"].get("original_span_name").is_none()), "{spans:?}");
}

/// The same collapse with a glob (`replace_match`), which runs as a plan
/// on the request's bytes.
#[test]
fn a_glob_collapses_user_ids_into_one_series_too() {
    let spans = run(r#"replace_match(name, "GET /users/*", "GET /users/{id}")"#, false);
    assert!(spans.iter().all(|s| s["attributes"].get("original_span_name").is_none()), "{spans:?}");
}

/// The statement Grafana's k8s-monitoring chart writes when
/// `traces.setSpanNameSemanticConvention` is set: server spans are named
/// by method and route, and the old name is kept in an attribute.
#[test]
fn set_semconv_span_name_names_lookups_by_route_and_keeps_the_old_name() {
    let spans = run(r#"set_semconv_span_name("1.37.0", "original_span_name")"#, true);
    let mut originals: Vec<&str> = spans.iter().filter_map(|s| s["attributes"]["original_span_name"].as_str()).collect();
    originals.sort_unstable();
    originals.dedup();
    assert_eq!(originals, ["GET /users/123", "GET /users/456"], "{spans:?}");
    assert_eq!(spans.iter().filter(|s| s["attributes"]["original_span_name"].is_string()).count(), USERS as usize, "{spans:?}");
}

/// The noisy app (`noisy_app.py`, `orders` orders) run once through the
/// real binary: the receiver sends what `outputs` says (its `output`
/// block's lines), `processors` are the components between, and the sink
/// exporter ends the pipeline. Holds what the test reads afterwards.
struct NoisyRun {
    sink: support::peers::Sink,
    agent: Agent,
    /// Holds the sink's records and the config until the test ends.
    _dir: tempfile::TempDir,
}

impl NoisyRun {
    fn run(outputs: &str, processors: &str, orders: u32) -> NoisyRun {
        let python = support::python();
        let dir = tempfile::tempdir().unwrap();
        let sink = start_sink(&python, dir.path(), 0);
        let grpc = free_port();
        let agent = start_agent(dir.path(), grpc, outputs, &format!("{processors}\n\n{}", sink_exporter(sink.port)));
        let status = Command::new(&python).arg(e2e_dir().join("noisy_app.py")).args([format!("http://127.0.0.1:{grpc}"), orders.to_string()]).status().unwrap();
        assert!(status.success(), "noisy app failed ({status}); solder logs:\n{}", agent.logs());
        NoisyRun { sink, agent, _dir: dir }
    }
}

/// An app on the Python SDK logs through `logging` and counts through a
/// meter; `otelcol.processor.filter` drops its DEBUG lines and health-check
/// access lines, and its `process.*` runtime metrics, on the requests'
/// bytes, and a collector-like sink gets the rest. Every log record and
/// data point sent is at the sink or counted as filtered.
#[test]
fn debug_logs_health_lines_and_runtime_metrics_are_filtered_and_balance() {
    const ORDERS: u32 = 12;
    let processors = r#"otelcol.processor.filter "noise" {
	error_mode = "ignore"
	logs {
		log_record = [
			`severity_number < SEVERITY_NUMBER_INFO`,
			`IsMatch(body, "^GET /health")`,
		]
	}
	metrics {
		metric = [`IsMatch(name, "^process[.]")`]
	}
	output {
		logs    = [otelcol.exporter.otlp.sink.input]
		metrics = [otelcol.exporter.otlp.sink.input]
	}
}"#;
    let outputs = "logs    = [otelcol.processor.filter.noise.input]\n\t\tmetrics = [otelcol.processor.filter.noise.input]";
    let NoisyRun { sink, agent, .. } = &NoisyRun::run(outputs, processors, ORDERS);
    let (logs, metrics) = (sink.record.with_extension("jsonl.logs"), sink.record.with_extension("jsonl.metrics"));
    agent.wait_for("every paid order's line at the sink", || read_jsonl(&logs).len() >= ORDERS as usize);
    agent.wait_for("the orders metric at the sink", || read_jsonl(&metrics).iter().any(|m| m["name"] == "orders.paid"));
    let delivered_logs = read_jsonl(&logs);
    assert!(delivered_logs.iter().all(|l| l["body"].as_str().is_some_and(|b| b.starts_with("order ")) && l["severity"] == 9), "{delivered_logs:?}");
    let delivered_metrics = read_jsonl(&metrics);
    let names: Vec<&str> = delivered_metrics.iter().filter_map(|m| m["name"].as_str()).collect();
    assert_eq!(names, ["orders.paid"], "the runtime metrics are filtered");
    let delivered_points: f64 = delivered_metrics.iter().filter_map(|m| m["points"].as_f64()).sum();

    let text = agent.get("/metrics").1;
    let id = r#"{component_id="otelcol.processor.filter.noise""#;
    let (accepted_logs, accepted_points) =
        (metric_sum(&text, "otelcol_receiver_accepted_log_records_total{"), metric_sum(&text, "otelcol_receiver_accepted_metric_points_total{"));
    let filtered_logs = metric_sum(&text, &format!("otelcol_processor_filter_logs_filtered_total{id}"));
    let filtered_points = metric_sum(&text, &format!("otelcol_processor_filter_datapoints_filtered_total{id}"));
    assert_eq!(accepted_logs, f64::from(ORDERS * 2 + ORDERS / 2), "every line was acknowledged");
    assert_eq!(filtered_logs, f64::from(ORDERS + ORDERS / 2), "the DEBUG and health lines are counted as filtered");
    assert_eq!(delivered_logs.len() as f64 + filtered_logs, accepted_logs, "acknowledged = delivered + filtered");
    assert_eq!((accepted_points, filtered_points, delivered_points), (4.0, 2.0, 2.0), "acknowledged = delivered + filtered, in points");
}

/// Log statements with the real binary on the records the Python SDK
/// encodes: `otelcol.processor.transform` pulls the order number out of
/// each order line into an attribute and names the event, raises the
/// cache misses to WARN, and stamps a trace id on the health lines, all
/// on the records' bytes (log statements that write only the record's own
/// fields). Every line sent reaches the sink, changed as the statements
/// say and no other way.
#[test]
fn log_lines_are_parsed_raised_and_stamped_on_their_bytes() {
    const ORDERS: u32 = 6;
    let processors = r#"otelcol.processor.transform "lines" {
	error_mode = "propagate"
	log_statements {
		context = "log"
		statements = [
			`merge_maps(attributes, ExtractPatterns(body, "^order (?P<order>[0-9]+) paid$"), "upsert") where IsMatch(body, "^order ")`,
			`set(event_name, "order.paid") where attributes["order"] != nil`,
			`set(severity_number, SEVERITY_NUMBER_WARN) where IsMatch(body, "^cache miss")`,
			`set(severity_text, "WARN") where severity_number == SEVERITY_NUMBER_WARN`,
			`set(trace_id.string, "0af7651916cd43dd8448eb211c80319c") where IsMatch(body, "^GET /health")`,
		]
	}
	output {
		logs = [otelcol.exporter.otlp.sink.input]
	}
}"#;
    let NoisyRun { sink, agent, .. } = &NoisyRun::run("logs = [otelcol.processor.transform.lines.input]", processors, ORDERS);
    let sent = ORDERS * 2 + ORDERS / 2;
    let logs = sink.record.with_extension("jsonl.logs");
    agent.wait_for("every line at the sink", || read_jsonl(&logs).len() >= sent as usize);
    let lines = read_jsonl(&logs);
    let kind = |l: &serde_json::Value, prefix: &str| l["body"].as_str().is_some_and(|b| b.starts_with(prefix));
    let orders: Vec<_> = lines.iter().filter(|l| kind(l, "order ")).collect();
    let misses: Vec<_> = lines.iter().filter(|l| kind(l, "cache miss")).collect();
    let health: Vec<_> = lines.iter().filter(|l| kind(l, "GET /health")).collect();
    assert_eq!((orders.len(), misses.len(), health.len()), (ORDERS as usize, ORDERS as usize, ORDERS as usize / 2), "{lines:?}");
    for (i, line) in orders.iter().enumerate() {
        assert_eq!(line["attributes"]["order"], i.to_string(), "the order number, extracted: {line}");
        assert_eq!(line["event_name"], "order.paid", "{line}");
        assert_eq!((&line["severity"], &line["severity_text"]), (&serde_json::json!(9), &serde_json::json!("INFO")), "left as the SDK sent it: {line}");
        assert_eq!(line["trace_id"], "", "{line}");
    }
    for line in &misses {
        assert_eq!((&line["severity"], &line["severity_text"]), (&serde_json::json!(13), &serde_json::json!("WARN")), "raised: {line}");
        assert_eq!((&line["event_name"], line["attributes"].get("order")), (&serde_json::json!(""), None), "{line}");
    }
    for line in &health {
        assert_eq!(line["trace_id"], "0af7651916cd43dd8448eb211c80319c", "stamped: {line}");
        assert_eq!(line["severity"], 9, "{line}");
    }
    // The SDK's own attributes (the logger's code location) came through
    // beside the extracted one.
    assert!(orders.iter().all(|l| l["attributes"].as_object().is_some_and(|a| a.len() > 1)), "{orders:?}");

    let text = agent.get("/metrics").1;
    let accepted = metric_sum(&text, "otelcol_receiver_accepted_log_records_total{");
    let exported = metric_sum(&text, "otelcol_exporter_sent_log_records_total{");
    assert_eq!((accepted, exported, lines.len() as f64), (f64::from(sent), f64::from(sent), f64::from(sent)), "acknowledged = delivered");
}

/// The Kubernetes monitoring setup for metrics, with the real binary and
/// a real Prometheus: `otelcol.processor.transform` copies the
/// resource's namespace onto every data point (a `datapoint` block), so
/// it becomes a label; `otelcol.processor.filter` drops one metric's
/// points of one attribute value (a `datapoint` list). Both run on the
/// requests' bytes. Every point sent is at the sink or counted as
/// filtered.
#[test]
fn resource_attributes_copied_onto_points_are_prometheus_labels_and_points_filter() {
    const ORDERS: u32 = 12;
    let processors = r#"otelcol.processor.transform "labels" {
	error_mode = "ignore"
	metric_statements {
		context    = "datapoint"
		statements = [`set(attributes["k8s.namespace.name"], resource.attributes["k8s.namespace.name"])`]
	}
	output {
		metrics = [otelcol.processor.filter.cash.input]
	}
}

otelcol.processor.filter "cash" {
	error_mode = "ignore"
	metrics {
		datapoint = [`metric.name == "orders.paid" and attributes["method"] == "cash"`]
	}
	output {
		metrics = [otelcol.exporter.otlp.sink.input, otelcol.exporter.prometheus.default.input]
	}
}"#;
    let MetricsRun { python, sink, prom, agent, grpc, _dir } = MetricsRun::start("otelcol.processor.transform.labels", processors);

    let status = Command::new(&python)
        .arg(e2e_dir().join("noisy_app.py"))
        .args([format!("http://127.0.0.1:{grpc}"), ORDERS.to_string()])
        .env("OTEL_RESOURCE_ATTRIBUTES", "k8s.namespace.name=shop")
        .status()
        .unwrap();
    assert!(status.success(), "noisy app failed ({status}); solder logs:\n{}", agent.logs());

    // The card orders, labelled with the namespace; the cash point is gone.
    let paid = || -> Vec<(String, String, f64)> {
        prom.query(r#"orders_paid_total{job="solder"}"#)
            .into_iter()
            .map(|(l, v)| {
                let label = |k: &str| l.get(k).and_then(|n| n.as_str()).unwrap_or_default().to_string();
                (label("method"), label("k8s_namespace_name"), v)
            })
            .collect()
    };
    let card = f64::from(ORDERS - ORDERS.div_ceil(3));
    prom.wait_for("the card orders, labelled with their namespace", || paid() == [("card".to_string(), "shop".to_string(), card)]);

    let metrics = sink.record.with_extension("jsonl.metrics");
    agent.wait_for("the orders metric at the sink", || read_jsonl(&metrics).iter().any(|m| m["name"] == "orders.paid"));
    let delivered_points: f64 = read_jsonl(&metrics).iter().filter_map(|m| m["points"].as_f64()).sum();
    let text = agent.get("/metrics").1;
    let accepted = metric_sum(&text, "otelcol_receiver_accepted_metric_points_total{");
    let filtered = metric_sum(&text, r#"otelcol_processor_filter_datapoints_filtered_total{component_id="otelcol.processor.filter.cash""#);
    assert_eq!((accepted, filtered, delivered_points), (4.0, 1.0, 3.0), "acknowledged = delivered + filtered, in points");
}

/// The transform's metric functions, end to end: the Python SDK app times
/// requests in milliseconds by route and method. `scale_metric` makes the
/// histogram seconds, `aggregate_on_attributes` keeps only the method
/// (three route series become one GET series), `extract_percentile_metric`
/// adds each method's median as a gauge, and `convert_sum_to_gauge` makes
/// the CPU counter a gauge. A real Prometheus sees each of those changes
/// under the names the Collector's exposition gives them.
#[test]
fn metric_functions_rescale_aggregate_and_extract_at_a_real_prometheus() {
    let processors = r#"otelcol.processor.transform "shape" {
	error_mode = "ignore"
	metric_statements {
		context    = "metric"
		statements = [
			`scale_metric(0.001, "s") where name == "http.server.request.duration"`,
			`aggregate_on_attributes("sum", ["http.request.method"]) where name == "http.server.request.duration"`,
			`extract_percentile_metric(50.0) where name == "http.server.request.duration"`,
			`convert_sum_to_gauge() where name == "process.cpu.time"`,
		]
	}
	output {
		metrics = [otelcol.exporter.otlp.sink.input, otelcol.exporter.prometheus.default.input]
	}
}"#;
    let MetricsRun { python, sink, prom, agent, grpc, _dir } = MetricsRun::start("otelcol.processor.transform.shape", processors);
    let status = Command::new(&python).arg(e2e_dir().join("latency_app.py")).arg(format!("http://127.0.0.1:{grpc}")).status().unwrap();
    assert!(status.success(), "latency app failed ({status}); solder logs:\n{}", agent.logs());

    // Series by method alone, in seconds: the route label is gone, and the
    // unit suffix is the new unit's.
    let by_method = |promql: &str| -> BTreeMap<String, f64> {
        prom.query(promql)
            .into_iter()
            .map(|(l, v)| {
                assert!(!l.contains_key("http_route"), "the route was aggregated away: {l:?}");
                (l.get("http_request_method").and_then(|m| m.as_str()).unwrap_or_default().to_string(), v)
            })
            .collect()
    };
    let counts = || by_method(r#"http_server_request_duration_seconds_count{job="solder"}"#);
    let want = BTreeMap::from([("GET".to_string(), 3.0), ("POST".to_string(), 1.0)]);
    prom.wait_for("one histogram series per method, in seconds", || counts() == want);
    // The bounds were scaled too: 20 and 22 ms fall at or under 0.025 s.
    assert_eq!(by_method(r#"http_server_request_duration_seconds_bucket{job="solder", le="0.025"}"#).get("GET"), Some(&2.0));
    // The medians, interpolated in the scaled buckets.
    let medians = by_method(r#"http_server_request_duration_p50_seconds{job="solder"}"#);
    let near = |m: &str, want: f64| medians.get(m).is_some_and(|v| (v - want).abs() < 1e-9);
    assert!(near("GET", 0.025) && near("POST", 0.5), "{medians:?}");
    // The counter is a gauge now: no `_total`, and Prometheus says gauge.
    assert_eq!(prom.query(r#"process_cpu_time_seconds{job="solder"}"#).first().map(|(_, v)| *v), Some(0.5));
    assert!(prom.query(r#"process_cpu_time_seconds_total{job="solder"}"#).is_empty());
    prom.wait_for("the types in Prometheus's metadata", || {
        let types = prom.api("/api/v1/metadata");
        let kind = |name: &str| types[name][0]["type"].clone();
        (kind("process_cpu_time_seconds"), kind("http_server_request_duration_p50_seconds")) == ("gauge".into(), "gauge".into())
    });

    // The sink got the same: three histogram points merged into two, two
    // medians added, the gauge.
    let metrics = sink.record.with_extension("jsonl.metrics");
    agent.wait_for("the medians at the sink", || read_jsonl(&metrics).iter().any(|m| m["name"] == "http.server.request.duration_p50"));
    let points = |name: &str| -> f64 { read_jsonl(&metrics).iter().filter(|m| m["name"] == name).filter_map(|m| m["points"].as_f64()).sum() };
    let shapes = (points("http.server.request.duration"), points("http.server.request.duration_p50"), points("process.cpu.time"));
    assert_eq!(shapes, (2.0, 2.0, 1.0));
    let accepted = metric_sum(&agent.get("/metrics").1, "otelcol_receiver_accepted_metric_points_total{");
    assert_eq!(accepted, 4.0, "three histogram points and the counter's one were acknowledged");
}
