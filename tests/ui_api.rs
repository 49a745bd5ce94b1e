//! The debug UI's JSON API and pages, against the real binary: Alloy's
//! component fields for healthy and unhealthy components, secrets hidden,
//! the graph's edges and live rates under load, live debugging off by
//! default and streaming once enabled, and the failed-reload banner.

mod support;

use std::io::{Read, Write};
#[path = "browser/support.rs"]
mod ui_support;

use std::net::TcpListener;
use std::time::Duration;

use serde_json::{json, Value};
use support::{free_port, Agent};
use ui_support::{edit_config, pipeline, sse_events, Loadgen, SECRET};

struct Setup {
    dir: tempfile::TempDir,
    cfg: std::path::PathBuf,
    grpc: u16,
    /// Holds the port `prometheus.expose` is told to use.
    _taken: TcpListener,
    taken_port: u16,
}

fn setup(extra: &str) -> (Setup, Agent) {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let grpc = free_port();
    let cfg = dir.path().join("config.alloy");
    std::fs::write(&cfg, pipeline(dir.path(), grpc, taken_port, extra)).unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("first load", || agent.get("/-/ready").0 == 200);
    (Setup { dir, cfg, grpc, _taken: taken, taken_port }, agent)
}

/// Every field Alloy's UI reads, with the types it expects.
fn assert_alloy_shape(c: &Value) {
    for field in ["name", "localID", "label"] {
        assert!(c[field].is_string(), "{field} in {c}");
    }
    for field in ["state", "message", "updatedTime"] {
        assert!(c["health"][field].is_string(), "health.{field} in {c}");
    }
    for field in ["arguments", "exports"] {
        assert!(c[field].is_object(), "{field} in {c}");
    }
    assert!(c.get("debugInfo").is_some(), "debugInfo in {c}");
    for field in ["referencesTo", "referencedBy", "dataFlowEdgesTo"] {
        assert!(c[field].is_array(), "{field} in {c}");
    }
}

#[test]
fn components_have_alloys_fields_health_and_hidden_secrets() {
    let (s, agent) = setup("");
    agent.wait_for("the taken port to make prometheus.expose unhealthy", || agent.component("prometheus.expose.default")["health"]["state"] == "unhealthy");

    let all = agent.json("/api/v0/web/components");
    let ids: Vec<&str> = all.as_array().unwrap().iter().filter_map(|c| c["localID"].as_str()).collect();
    assert_eq!(ids.len(), 7, "{ids:?}");
    for c in all.as_array().unwrap() {
        assert_alloy_shape(c);
    }

    let batch = agent.component("otelcol.processor.batch.default");
    assert_alloy_shape(&batch);
    assert_eq!(batch["name"], "otelcol.processor.batch");
    assert_eq!(batch["localID"], "otelcol.processor.batch.default");
    assert_eq!(batch["label"], "default");
    assert_eq!(batch["health"]["state"], "healthy");
    assert!(batch["health"]["updatedTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(batch["arguments"]["timeout"], "100ms");
    assert_eq!(batch["arguments"]["output"][0]["traces"], json!(["capsule(\"otelcol.Consumer\")", "capsule(\"otelcol.Consumer\")"]));
    assert_eq!(batch["exports"]["input"], "capsule(\"otelcol.Consumer\")");
    assert!(batch["debugInfo"].is_object(), "{batch}");
    assert_eq!(batch["referencesTo"], json!(["otelcol.connector.spanmetrics.default", "otelcol.exporter.otlp.down"]));
    assert_eq!(batch["referencedBy"], json!(["otelcol.receiver.otlp.default"]));
    assert_eq!(batch["dataFlowEdgesTo"], json!(["otelcol.connector.spanmetrics.default", "otelcol.exporter.otlp.down"]));
    let receiver = agent.component("otelcol.receiver.otlp.default");
    assert_eq!(receiver["dataFlowEdgesTo"], json!(["otelcol.processor.batch.default"]));
    let file = agent.component("local.file.token");
    assert_eq!(file["dataFlowEdgesTo"], json!([]), "reading an export is not a data flow");
    assert_eq!(file["referencedBy"], json!(["otelcol.exporter.otlp.down"]));

    let expose = agent.component("prometheus.expose.default");
    assert_alloy_shape(&expose);
    assert_eq!(expose["health"]["state"], "unhealthy");
    let message = expose["health"]["message"].as_str().unwrap();
    assert!(message.contains(&s.taken_port.to_string()), "{message}");
    assert_eq!(expose["referencedBy"], json!(["otelcol.exporter.prometheus.default"]));

    let exporter = agent.component("otelcol.exporter.otlp.down");
    assert_alloy_shape(&exporter);
    assert_eq!(exporter["arguments"]["client"][0]["headers"]["Authorization"], "(secret)");
    assert_eq!(exporter["referencesTo"], json!(["local.file.token"]));
    assert_eq!(agent.component("local.file.token")["exports"]["content"], "(secret)");

    // Nothing anywhere reveals the secret: API, pages, or the config page
    // (which shows the source, where only the file name appears).
    for path in [
        "/api/v0/web/components",
        "/api/v0/web/graph",
        "/components",
        "/component/otelcol.exporter.otlp.down",
        "/component/local.file.token",
        "/graph",
        "/config",
    ] {
        let (code, body) = agent.get(path);
        assert_eq!(code, 200, "{path}");
        assert!(!body.contains(SECRET), "{path} shows the secret");
    }
    let (_, page) = agent.get("/component/otelcol.exporter.otlp.down");
    assert!(page.contains("Authorization = (secret)"), "arguments in Alloy syntax:\n{page}");
    let (code, _) = agent.get("/component/no.such.thing");
    assert_eq!(code, 404);
    drop(s.dir);
}

#[test]
fn graph_edges_count_telemetry_and_rates_rise_under_load() {
    let (s, agent) = setup("");
    let graph = agent.json("/api/v0/web/graph");
    let edge = |g: &Value, from: &str, to: &str| -> Value {
        g["edges"].as_array().unwrap().iter().find(|e| e["from"] == from && e["to"] == to).cloned().unwrap_or(Value::Null)
    };
    for (from, to) in [
        ("otelcol.receiver.otlp.default", "otelcol.processor.batch.default"),
        ("otelcol.processor.batch.default", "otelcol.exporter.otlp.down"),
        ("otelcol.processor.batch.default", "otelcol.connector.spanmetrics.default"),
        ("otelcol.connector.spanmetrics.default", "otelcol.exporter.prometheus.default"),
        ("otelcol.exporter.prometheus.default", "prometheus.expose.default"),
    ] {
        assert_eq!(edge(&graph, from, to)["type"], "dataFlow", "{from} -> {to} in {graph}");
    }
    assert_eq!(edge(&graph, "local.file.token", "otelcol.exporter.otlp.down")["type"], "reference");
    let layer = |id: &str| graph["nodes"].as_array().unwrap().iter().find(|n| n["id"] == id).unwrap()["layer"].as_u64().unwrap();
    assert!(layer("otelcol.receiver.otlp.default") < layer("otelcol.processor.batch.default"));
    assert!(layer("otelcol.exporter.prometheus.default") < layer("prometheus.expose.default"));

    let _load = Loadgen::start(s.grpc);
    agent.wait_for("spans and samples to flow", || {
        let g = agent.json("/api/v0/web/graph");
        let spans = edge(&g, "otelcol.receiver.otlp.default", "otelcol.processor.batch.default");
        let samples = edge(&g, "otelcol.exporter.prometheus.default", "prometheus.expose.default");
        spans["rates"]["spans"].as_f64() > Some(0.0)
            && spans["totals"]["spans"].as_u64() > Some(0)
            && spans["label"].as_str().is_some_and(|l| l.ends_with("spans/s"))
            && samples["totals"]["samples"].as_u64() > Some(0)
            && edge(&g, "otelcol.processor.batch.default", "otelcol.exporter.otlp.down")["rates"]["spans"].as_f64() > Some(0.0)
    });

    let (code, events, raw) = sse_events(&agent.addr, "/api/v0/web/graph/stream", 2, Duration::from_secs(20));
    assert_eq!(code, 200, "{raw}");
    assert!(events.len() >= 2, "two snapshots a second apart: {raw}");
    let snapshot: Value = serde_json::from_str(&events[0]).unwrap();
    assert!(snapshot["edges"].as_array().is_some_and(|e| !e.is_empty()));
}

#[test]
fn live_debugging_is_off_by_default_and_streams_once_enabled() {
    let (s, agent) = setup("");
    let (code, body) = agent.get("/api/v0/web/debug/otelcol.processor.batch.default");
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("livedebugging { enabled = true }"), "the error says how to enable it: {body}");
    let (_, page) = agent.get("/component/otelcol.processor.batch.default/live");
    assert!(page.contains("disabled") && page.contains("livedebugging {"), "{page}");
    assert_eq!(agent.get("/api/v0/web/debug/no.such.component").0, 404);

    let enabled = pipeline(s.dir.path(), s.grpc, s.taken_port, "livedebugging {\n\tenabled = true\n}\n");
    edit_config(&agent, &s.cfg, &enabled, "the reload that enables live debugging", || {
        agent.json("/api/v0/web/status")["running"]["files"][0]["text"].as_str().is_some_and(|t| t.contains("livedebugging"))
    });
    let _load = Loadgen::start(s.grpc);
    let (code, events, raw) = sse_events(&agent.addr, "/api/v0/web/debug/otelcol.processor.batch.default?sample=2", 3, Duration::from_secs(30));
    assert_eq!(code, 200, "{raw}");
    assert!(events.len() >= 3, "{raw}");
    let first: Value = serde_json::from_str(&events[0]).unwrap();
    assert_eq!(first["component"], "otelcol.processor.batch.default");
    assert_eq!(first["signal"], "traces");
    assert!(["in", "out"].contains(&first["direction"].as_str().unwrap()));
    assert!(first["items"].as_u64() > Some(0));
    assert!(first["text"].as_str().unwrap().contains("spans"), "the debug exporter's rendering: {first}");
    let (_, page) = agent.get("/component/otelcol.processor.batch.default/live");
    assert!(page.contains("id=\"live\""), "{page}");
}

#[test]
fn a_failed_reload_shows_a_banner_on_every_page_until_fixed() {
    let (s, agent) = setup("");
    let good = std::fs::read_to_string(&s.cfg).unwrap();
    assert_eq!(agent.json("/api/v0/web/status")["banner"], Value::Null);
    let broken = good.replace("timeout = \"100ms\"", "timeout = [1 2]");
    edit_config(&agent, &s.cfg, &broken, "the failed reload", || agent.json("/api/v0/web/status")["lastReload"]["success"] == false);
    let banner = agent.json("/api/v0/web/status")["banner"].as_str().unwrap().to_string();
    assert!(banner.starts_with("the running config is from "), "{banner}");
    assert!(banner.contains("failed to load: missing ',' in expression list ("), "{banner}");
    assert!(banner.ends_with("config.alloy:18:15)"), "file, line and column: {banner}");
    for path in ["/", "/components", "/graph", "/config", "/component/otelcol.processor.batch.default", "/component/otelcol.processor.batch.default/live"] {
        let (_, page) = agent.get(path);
        assert!(page.contains("the edit at ") && page.contains("missing &#39;,&#39; in expression list"), "{path}: no banner");
    }
    let (_, config) = agent.get("/config");
    assert!(config.contains("data-line>") && config.contains("data-column>"), "{config}");
    assert!(config.contains("timeout = [1 2]"), "the excerpt: {config}");
    assert!(config.contains("timeout = &quot;100ms&quot;"), "the running source, escaped");

    edit_config(&agent, &s.cfg, &good, "the fix", || agent.json("/api/v0/web/status")["lastReload"]["success"] == true);
    let (_, page) = agent.get("/components");
    assert!(!page.contains("the edit at "), "the banner is gone");
}

#[test]
fn the_reload_form_redirects_to_the_config_page() {
    let (_s, agent) = setup("");
    let (code, headers, _) =
        support::send(&agent.addr, "POST", "/-/reload", &[("Accept", "text/html"), ("Content-Type", "application/x-www-form-urlencoded")], b"").unwrap();
    assert_eq!(code, 303);
    assert!(headers.iter().any(|(k, v)| k == "location" && v == "/config"), "{headers:?}");
    assert_eq!(agent.json("/api/v0/web/status")["lastReload"]["trigger"], "http");
    assert_eq!(agent.post("/-/reload").0, 200, "API clients still get the plain answer");
}

#[test]
fn everything_rendered_into_html_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.alloy");
    std::fs::write(&cfg, "local.file \"odd\" {\n\tfilename = \"/nonexistent/<i>&'\\\"\"\n}\n").unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("the first load", || agent.get("/-/ready").0 == 200);
    agent.wait_for("the file error", || agent.component("local.file.odd")["health"]["state"] == "unhealthy");
    for path in ["/components", "/component/local.file.odd", "/graph", "/config"] {
        let (_, page) = agent.get(path);
        assert!(!page.contains("<i>"), "{path} renders markup from the config:\n{page}");
        assert!(page.contains("/nonexistent/&lt;i&gt;&amp;&#39;"), "{path} shows the text, escaped:\n{page}");
    }
}

/// An argument the component types as a secret is `(secret)` in the API
/// and the component page whether its value is a literal, comes from
/// `sys.env` or sits in a map of secrets, as Alloy's `alloytypes.Secret`.
#[test]
fn secret_arguments_are_hidden_whatever_their_source() {
    const LITERAL: &str = "hunter2-literal-password";
    const HEADER: &str = "Bearer literal-header-token";
    let extra = format!(
        "prometheus.remote_write \"lit\" {{\n\tendpoint {{\n\t\turl = \"http://127.0.0.1:9/api/v1/write\"\n\t\tbasic_auth {{\n\t\t\tusername = \"u\"\n\t\t\tpassword = \"{LITERAL}\"\n\t\t}}\n\t}}\n}}\n\
         otelcol.exporter.otlp \"lit\" {{\n\tclient {{\n\t\tendpoint = \"127.0.0.1:9\"\n\t\theaders = {{ \"Authorization\" = \"{HEADER}\" }}\n\t\ttls {{\n\t\t\tinsecure = true\n\t\t}}\n\t}}\n}}\n"
    );
    let (s, agent) = setup(&extra);
    let rw = agent.component("prometheus.remote_write.lit");
    assert_eq!(rw["arguments"]["endpoint"][0]["basic_auth"][0]["password"], "(secret)", "{rw}");
    assert_eq!(rw["arguments"]["endpoint"][0]["basic_auth"][0]["username"], "u", "only secret arguments are hidden");
    let exporter = agent.component("otelcol.exporter.otlp.lit");
    assert_eq!(exporter["arguments"]["client"][0]["headers"]["Authorization"], "(secret)", "{exporter}");
    // The config's own text is shown with those literals masked, byte for
    // byte, and the page says so.
    for path in ["/api/v0/web/components", "/component/prometheus.remote_write.lit", "/component/otelcol.exporter.otlp.lit", "/config", "/api/v0/web/status"] {
        let (code, body) = agent.get(path);
        assert_eq!(code, 200, "{path}");
        assert!(!body.contains(LITERAL) && !body.contains(HEADER), "{path} shows a secret literal");
    }
    let (_, config) = agent.get("/config");
    assert!(config.contains(&format!("password = &quot;{}&quot;", "*".repeat(LITERAL.len()))), "{config}");
    assert!(config.contains("shown as <code>****</code>"), "the page does not say what it masked");
    assert!(config.contains("username = &quot;u&quot;"), "only secrets are masked");
    drop(s.dir);
}

/// A page on another site cannot make a browser reload the agent (CSRF),
/// nor can a name rebound to the agent's address (DNS rebinding); curl and
/// the UI's own form can.
#[test]
fn reload_is_refused_to_other_sites() {
    let (s, agent) = setup("");
    let raw = |host: &str, origin: Option<&str>| {
        let mut c = std::net::TcpStream::connect(&agent.addr).unwrap();
        let origin = origin.map(|o| format!("Origin: {o}\r\n")).unwrap_or_default();
        write!(c, "POST /-/reload HTTP/1.1\r\nHost: {host}\r\n{origin}Content-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = c.read_to_string(&mut out);
        out.split_whitespace().nth(1).and_then(|c| c.parse::<u16>().ok()).unwrap_or(0)
    };
    let own = format!("http://{}", agent.addr);
    assert_eq!(raw(&agent.addr, None), 200, "curl");
    assert_eq!(raw(&agent.addr, Some(&own)), 200, "the UI's own form");
    assert_eq!(raw(&agent.addr, Some("http://evil.example")), 403, "a form on another site");
    let port = agent.addr.rsplit(':').next().unwrap();
    assert_eq!(raw(&format!("evil.example:{port}"), Some(&format!("http://evil.example:{port}"))), 403, "a rebound name");
    let (code, _) = agent.get("/api/v0/web/components");
    assert_eq!(code, 200);
    drop(s.dir);
}

/// Alloy's `http { auth { basic ... filter ... } }`: the UI and API want
/// credentials, the paths the filter leaves open (probes, scrapes) do not,
/// and the password written in the config is masked on the config page.
#[test]
fn the_http_block_puts_the_ui_behind_basic_auth() {
    const PASSWORD: &str = "ui-password-in-the-config";
    let extra = format!(
        "http {{\n\tauth {{\n\t\tbasic {{\n\t\t\tusername = \"admin\"\n\t\t\tpassword = \"{PASSWORD}\"\n\t\t}}\n\n\t\tfilter {{\n\t\t\tpaths                       = [\"/-/ready\", \"/-/healthy\", \"/metrics\"]\n\t\t\tauthenticate_matching_paths = false\n\t\t}}\n\t}}\n}}\n"
    );
    let (s, agent) = setup(&extra);
    let basic = |user_password: &str| format!("Basic {}", base64(user_password));
    let get = |path: &str, auth: Option<&str>| {
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", *a)).collect();
        support::send(&agent.addr, "GET", path, &headers, b"").map(|(code, _, body)| (code, String::from_utf8_lossy(&body).into_owned())).unwrap()
    };
    assert_eq!(get("/api/v0/web/components", None).0, 401, "no credentials");
    assert_eq!(get("/api/v0/web/components", Some(&basic("admin:wrong"))).0, 401, "a wrong password");
    assert_eq!(get("/api/v0/web/components", Some(&basic(&format!("admin:{PASSWORD}")))).0, 200);
    assert_eq!(get("/-/ready", None).0, 200, "probes stay open");
    assert_eq!(get("/metrics", None).0, 200, "scrapes stay open");
    let (code, page) = get("/config", Some(&basic(&format!("admin:{PASSWORD}"))));
    assert_eq!(code, 200);
    assert!(!page.contains(PASSWORD), "the config page shows the UI's password");
    drop(s.dir);
}

fn base64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// `http { tls { ... } }` serves the UI and API over TLS from the load on:
/// curl (which scripts/test.sh installs) gets an answer over HTTPS, and
/// the certificate it sees is the config's.
#[test]
fn the_http_block_serves_the_ui_over_tls() {
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = support::self_signed(certs.path(), "solder-ui-test");
    let (s, agent) = setup("");
    // On from the reload that adds the block: the server was up before.
    let extra = format!("http {{\n\ttls {{\n\t\tcert_file = {:?}\n\t\tkey_file  = {:?}\n\t}}\n}}\n", cert.display().to_string(), key.display().to_string());
    std::fs::write(&s.cfg, pipeline(s.dir.path(), s.grpc, s.taken_port, &extra)).unwrap();
    assert_eq!(agent.post("/-/reload").0, 200, "the reload that turns TLS on");
    let curl = |url: &str| {
        let out = std::process::Command::new("curl").args(["-sk", "-v", "--max-time", "5", url]).output().expect("curl (installed by scripts/test.sh)");
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let https = format!("https://{}/api/v0/web/components", agent.addr);
    agent.wait_for("the UI over HTTPS", || curl(&https).0.starts_with('['));
    let (_, handshake) = curl(&https);
    assert!(handshake.contains("CN=solder-ui-test"), "not the config's certificate:\n{handshake}");
    assert!(support::request(&agent.addr, "GET", "/-/ready").map_or(true, |(code, _)| code != 200), "plain HTTP is still served");
    drop(s.dir);
}
