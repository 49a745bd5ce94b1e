//! Authentication end to end: the OpenTelemetry Python SDK sends spans to
//! `solder run`, whose OTLP receiver requires basic auth (users from an
//! htpasswd given through `sys.env`) on both gRPC and HTTP. Without
//! credentials, or with wrong ones, the SDK is refused and each refusal is
//! counted; with them, every span reaches the sink, once. And the other
//! way: an exporter with `otelcol.auth.bearer` against a sink (Python's
//! grpcio) that refuses calls without the right `authorization`.

mod support;

use std::path::Path;
use std::process::Command;

use support::peers::{e2e_dir, read_jsonl, start_sink, start_sink_requiring};
use support::{free_port, Agent};

fn pipeline(sink_port: u16, grpc: u16, http: u16) -> String {
    format!(
        r#"otelcol.auth.basic "gateway" {{
	htpasswd {{
		inline = sys.env("SOLDER_E2E_HTPASSWD")
	}}
}}

otelcol.receiver.otlp "default" {{
	grpc {{
		endpoint = "127.0.0.1:{grpc}"
		auth     = otelcol.auth.basic.gateway.handler
	}}
	http {{
		endpoint = "127.0.0.1:{http}"
		auth     = otelcol.auth.basic.gateway.handler
	}}
	output {{
		traces = [otelcol.exporter.otlp.sink.input]
	}}
}}

otelcol.exporter.otlp "sink" {{
	client {{
		endpoint = "127.0.0.1:{sink_port}"
		tls {{
			insecure = true
		}}
	}}
}}
"#
    )
}

/// Runs the SDK app; true when its exporter reported success.
fn send(python: &Path, protocol: &str, endpoint: &str, spans: u32, credentials: Option<&str>) -> bool {
    let out = Command::new(python).arg(e2e_dir().join("auth_app.py")).args([protocol, endpoint, &spans.to_string()]).args(credentials).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "auth_app.py crashed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout.trim() == format!("SUCCESS {spans}")
}

/// One series of a counter on the agent's /metrics, 0 when absent.
fn series(agent: &Agent, needle: &str) -> f64 {
    agent.get("/metrics").1.lines().find(|l| l.starts_with(needle)).and_then(|l| l.rsplit_once(' ')?.1.parse().ok()).unwrap_or(0.0)
}

#[test]
fn python_sdk_is_refused_without_credentials_and_delivered_with_them() {
    let python = support::python();
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink(&python, dir.path(), 0);
    let (grpc, http) = (free_port(), free_port());
    let cfg = dir.path().join("auth.alloy");
    std::fs::write(&cfg, pipeline(sink.port, grpc, http)).unwrap();
    let agent = Agent::start_with_env(&[&cfg.display().to_string()], &[("SOLDER_E2E_HTPASSWD", "alice:s3cret-e2e\nbob:other")]);
    agent.wait_for("the pipeline to load", || agent.get("/-/ready").0 == 200);

    let endpoints = [("grpc", format!("http://127.0.0.1:{grpc}")), ("http", format!("http://127.0.0.1:{http}/v1/traces"))];
    for (protocol, endpoint) in &endpoints {
        let refused = format!(
            "otelcol_receiver_refused_requests_total{{component_id=\"otelcol.receiver.otlp.default\",reason=\"unauthenticated\",transport=\"{protocol}\"}}"
        );
        assert!(!send(&python, protocol, endpoint, 3, None), "{protocol}: the SDK must be refused without credentials");
        assert!(!send(&python, protocol, endpoint, 2, Some("alice:wrong")), "{protocol}: and with a wrong password");
        // One request per span (SimpleSpanProcessor); the SDK retries no auth failure.
        assert_eq!(series(&agent, &refused), 5.0, "{protocol}: each refused request counted");
        assert!(read_jsonl(&sink.record).is_empty(), "{protocol}: nothing refused reached the sink");
    }
    for (protocol, endpoint) in &endpoints {
        assert!(send(&python, protocol, endpoint, 4, Some("alice:s3cret-e2e")), "{protocol}: the SDK must succeed with credentials; logs:\n{}", agent.logs());
    }
    agent.wait_for("all 8 spans at the sink", || read_jsonl(&sink.record).len() == 8);
    let (_, metrics) = agent.get("/metrics");
    for protocol in ["grpc", "http"] {
        let accepted = format!("otelcol_receiver_accepted_spans_total{{component_id=\"otelcol.receiver.otlp.default\",transport=\"{protocol}\"}} 4");
        assert!(metrics.contains(&accepted), "{accepted} in\n{metrics}");
    }
    assert!(!metrics.contains("s3cret-e2e") && !agent.logs().contains("s3cret-e2e"), "the password never shows");
}

/// The token reaches the backend: the sink refuses every call whose
/// `authorization` is not exactly `Bearer <token>`, so spans arrive only if
/// the exporter sends it.
#[test]
fn an_exporter_with_bearer_auth_is_let_in_by_a_backend_that_checks_it() {
    const TOKEN: &str = "e2e-bearer-t0ken";
    let python = support::python();
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink_requiring(&python, dir.path(), &format!("Bearer {TOKEN}"));
    let grpc = free_port();
    let cfg = dir.path().join("bearer.alloy");
    let config = format!(
        r#"otelcol.auth.bearer "backend" {{
	token = sys.env("SOLDER_E2E_TOKEN")
}}

otelcol.receiver.otlp "default" {{
	grpc {{
		endpoint = "127.0.0.1:{grpc}"
	}}
	output {{
		traces = [otelcol.exporter.otlp.sink.input]
	}}
}}

otelcol.exporter.otlp "sink" {{
	client {{
		endpoint = "127.0.0.1:{port}"
		auth     = otelcol.auth.bearer.backend.handler
		tls {{
			insecure = true
		}}
	}}
}}
"#,
        port = sink.port
    );
    std::fs::write(&cfg, config).unwrap();
    let agent = Agent::start_with_env(&[&cfg.display().to_string()], &[("SOLDER_E2E_TOKEN", TOKEN)]);
    agent.wait_for("the pipeline to load", || agent.get("/-/ready").0 == 200);
    assert!(send(&python, "grpc", &format!("http://127.0.0.1:{grpc}"), 5, None), "the SDK's export to the agent failed");
    agent.wait_for("all 5 spans at the sink", || read_jsonl(&sink.record).len() == 5);
    let unauthenticated = sink.record.with_extension("jsonl.unauthenticated");
    assert!(!unauthenticated.exists(), "the sink refused calls: {:?}", std::fs::read_to_string(&unauthenticated));
    assert!(!agent.logs().contains(TOKEN) && !agent.get("/metrics").1.contains(TOKEN), "the token never shows");
}
