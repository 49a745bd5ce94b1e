//! The parser on both text formats, targets resolved as Prometheus
//! resolves them, and the component scraping a live HTTP target: `up`,
//! labels, staleness when a series or a target goes away, and failures.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::parse::{parse, TextFormat};
use super::series::{build, SeriesRules};
use super::target::{Defaults, Target};
use super::*;
use crate::harness::{until, Harness, Recorder};
use crate::prometheus::{is_stale, Batch, Exemplar, SampleValue};

const NODE: &str = include_str!("testdata/node_exporter.prom");

#[test]
fn parses_the_text_format() {
    let body = "# HELP http_requests_total The total.\n# TYPE http_requests_total counter\nhttp_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\nhttp_requests_total{method=\"a\\\"b\\\\c\\nd\",} 3\n\n  # a comment\nmetric_without_labels +Inf\nnan_metric NaN\nneg -1.5e3\n";
    let e = parse(body, TextFormat::Prometheus).unwrap();
    let names: Vec<&str> = e.samples.iter().map(|s| s.name).collect();
    assert_eq!(names, ["http_requests_total", "http_requests_total", "metric_without_labels", "nan_metric", "neg"]);
    assert_eq!(e.samples[0].timestamp_ms, Some(1395066363000));
    assert_eq!(e.samples[0].labels, vec![("method".into(), "post".into()), ("code".into(), "200".into())]);
    assert_eq!(e.samples[1].labels[0].1, "a\"b\\c\nd");
    assert_eq!(e.samples[2].value, f64::INFINITY);
    assert!(e.samples[3].value.is_nan());
    assert_eq!(e.samples[4].value, -1500.0);
    assert_eq!(e.families["http_requests_total"].help, "The total.");
    assert_eq!(e.families["http_requests_total"].kind, Some(crate::prometheus::MetricType::Counter));
}

#[test]
fn parses_openmetrics_with_exemplars_and_seconds() {
    let body =
        "# TYPE foo counter\n# UNIT foo seconds\nfoo_total{a=\"1\"} 5 1520879607.789 # {trace_id=\"abc\"} 1 1520879607.7\nfoo_created 1520430000.123\n# EOF\n";
    let e = parse(body, TextFormat::OpenMetrics).unwrap();
    assert_eq!(e.samples.len(), 2);
    assert_eq!(e.samples[0].timestamp_ms, Some(1520879607789));
    assert_eq!(e.samples[0].value, 5.0);
    assert_eq!(e.families["foo"].unit, "seconds");
    let kept = Exemplar { labels: vec![("trace_id".into(), "abc".into())], value: 1.0, timestamp_ms: Some(1520879607700) };
    assert_eq!(e.samples[0].exemplar, Some(kept));
    assert_eq!(e.samples[1].exemplar, None);
    assert!(parse("foo 1\n", TextFormat::OpenMetrics).unwrap_err().message.contains("# EOF"));
    assert!(parse("foo 1\n# EOF\nbar 2\n", TextFormat::OpenMetrics).is_err());
}

/// Exemplars as OpenMetrics writes them: with or without the sample's
/// timestamp and their own, blanks around `#`; malformed ones fail the
/// line, and one whose labels pass the 128-character cap is dropped while
/// its sample stays.
#[test]
fn reads_exemplars_in_every_openmetrics_form() {
    let om = |line: &str| {
        let body = format!("{line}\n# EOF\n");
        parse(&body, TextFormat::OpenMetrics).map(|e| e.samples.into_iter().map(|s| (s.value, s.exemplar)).collect::<Vec<_>>())
    };
    let ex = |line: &str| om(line).unwrap_or_else(|e| panic!("{line}: {e}")).remove(0).1;
    let labels = vec![("trace_id".to_string(), "4bf92f3577b34da6a3ce929d0e0e4736".to_string())];
    assert_eq!(
        ex("h_bucket{le=\"0.5\"} 3 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 0.31"),
        Some(Exemplar { labels: labels.clone(), value: 0.31, timestamp_ms: None })
    );
    assert_eq!(
        ex("h_bucket{le=\"0.5\"} 3 12.5   #   {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 0.31 12.25"),
        Some(Exemplar { labels, value: 0.31, timestamp_ms: Some(12250) })
    );
    assert_eq!(ex("c_total 1 # {} 1"), Some(Exemplar { labels: vec![], value: 1.0, timestamp_ms: None }));
    let long = format!("c_total 1 # {{trace_id=\"{}\"}} 1", "a".repeat(121));
    assert_eq!(om(&long).unwrap()[0].0, 1.0, "the sample stays");
    assert_eq!(ex(&long), None, "an exemplar over the cap is dropped");
    for bad in ["c_total 1 # 1", "c_total 1 # {a=\"b\"}", "c_total 1 # {a=\"b\"} x", "c_total 1 # {a=\"b\"} 1 2 3", "c_total 1 # {a=\"b\" 1"] {
        assert_eq!(om(bad).expect_err(bad).line, 1, "{bad}");
    }
    assert!(parse("c_total 1 # {a=\"b\"} 1\n", TextFormat::Prometheus).is_err(), "the Prometheus text format has no exemplars");
}

#[test]
fn refuses_malformed_lines_with_their_line_number() {
    for (body, line) in [
        ("ok 1\nbad{a=\"1\" 2\n", 2),
        ("ok 1\n1bad 2\n", 2),
        ("x{a=\"1\",a=\"2\"} 1\n", 1),
        ("x{a=\"\\q\"} 1\n", 1),
        ("x notanumber\n", 1),
        ("x 1 notatimestamp\n", 1),
        ("x\n", 1),
        ("x{a=\"unterminated} 1\n", 1),
        ("x 1 2 3\n", 1),
        ("# TYPE x nonsense\n", 1),
    ] {
        let err = parse(body, TextFormat::Prometheus).expect_err(body);
        assert_eq!(err.line, line, "{body:?}: {err}");
    }
}

#[test]
fn parses_a_node_exporter_page_completely() {
    let e = parse(NODE, TextFormat::Prometheus).unwrap();
    let lines = NODE.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).count();
    assert_eq!(e.samples.len(), lines);
    assert!(e.samples.iter().any(|s| s.name == "node_cpu_seconds_total" && s.labels.iter().any(|(k, v)| k == "mode" && v == "idle")));
}

fn defaults(params: &BTreeMap<String, Vec<String>>) -> Defaults<'_> {
    Defaults {
        job: "prometheus.scrape.default",
        scheme: "http",
        metrics_path: "/metrics",
        params,
        interval: Duration::from_secs(60),
        timeout: Duration::from_secs(10),
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn targets_resolve_as_prometheus_does() {
    let params = BTreeMap::from([("module".to_string(), vec!["http_2xx".to_string()]), ("target".to_string(), vec!["a b".to_string()])]);
    let t = Target::resolve(
        &labels(&[
            ("__address__", "h:9115"),
            ("__param_target", "grafana.com"),
            ("__metrics_path__", "probe"),
            ("__scheme__", "https"),
            ("__meta_x", "y"),
            ("env", "prod"),
        ]),
        &defaults(&params),
    )
    .unwrap();
    assert_eq!(t.url, "https://h:9115/probe?module=http_2xx&target=grafana.com");
    let want: Vec<(String, String)> =
        [("env", "prod"), ("instance", "h:9115"), ("job", "prometheus.scrape.default")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(t.labels, want);
    let t = Target::resolve(
        &labels(&[("__address__", "h:1"), ("job", "mine"), ("instance", "me"), ("__scrape_interval__", "15s"), ("__scrape_timeout__", "5s")]),
        &defaults(&BTreeMap::new()),
    )
    .unwrap();
    assert_eq!((t.interval, t.timeout), (Duration::from_secs(15), Duration::from_secs(5)));
    assert_eq!(t.instance(), "me");
    assert!(t.labels.contains(&("job".into(), "mine".into())));
    let err = Target::resolve(&labels(&[("__address__", "h:1"), ("__scrape_interval__", "5s")]), &defaults(&BTreeMap::new())).unwrap_err();
    assert!(err.contains("scrape timeout cannot be greater than scrape interval"), "{err}");
    assert!(Target::resolve(&labels(&[("job", "x")]), &defaults(&BTreeMap::new())).is_err());
}

#[test]
fn offsets_are_stable_and_spread_over_the_interval() {
    let none = BTreeMap::new();
    let offsets: Vec<Duration> =
        (0..100).map(|i| Target::resolve(&labels(&[("__address__", &format!("h:{i}"))]), &defaults(&none)).unwrap().offset()).collect();
    let again = Target::resolve(&labels(&[("__address__", "h:7")]), &defaults(&none)).unwrap().offset();
    assert_eq!(offsets[7], again);
    assert!(offsets.iter().all(|o| *o < Duration::from_secs(60)));
    // Spread: the 100 offsets fall in at least 8 of 10 six-second slots.
    let slots: std::collections::BTreeSet<u64> = offsets.iter().map(|o| o.as_secs() / 6).collect();
    assert!(slots.len() >= 8, "{slots:?}");
}

#[test]
fn accept_header_is_prometheus_default() {
    let a = arguments::accept_header(&["OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0", "PrometheusText0.0.4"].map(String::from));
    assert_eq!(a, "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=underscores;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1");
    // PrometheusProto is accepted but not asked for.
    assert_eq!(arguments::accept_header(&["PrometheusProto".into(), "PrometheusText0.0.4".into()]), "text/plain;version=0.0.4;q=0.2,*/*;q=0.1");
}

#[test]
fn target_labels_win_unless_honor_labels() {
    let t = Target::resolve(&labels(&[("__address__", "h:1")]), &defaults(&BTreeMap::new())).unwrap();
    let body = "m{job=\"theirs\",instance=\"\",x=\"1\"} 1\n";
    let rules = SeriesRules { honor_timestamps: true, ..SeriesRules::default() };
    let s = build(parse(body, TextFormat::Prometheus).unwrap(), &t, &rules, 5).unwrap();
    let got: Vec<(&str, &str)> = s.families[0].series[0].labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(got, [("exported_job", "theirs"), ("instance", "h:1"), ("job", "prometheus.scrape.default"), ("x", "1")]);
    let honor = SeriesRules { honor_labels: true, ..rules };
    let s = build(parse(body, TextFormat::Prometheus).unwrap(), &t, &honor, 5).unwrap();
    let got: Vec<(&str, &str)> = s.families[0].series[0].labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(got, [("instance", "h:1"), ("job", "theirs"), ("x", "1")]);
}

#[test]
fn limits_fail_the_scrape() {
    let t = Target::resolve(&labels(&[("__address__", "h:1")]), &defaults(&BTreeMap::new())).unwrap();
    let body = || parse("a{x=\"long-value\"} 1\nb 2\n", TextFormat::Prometheus).unwrap();
    let with = |l: series::Limits| build(body(), &t, &SeriesRules { limits: l, ..SeriesRules::default() }, 0).err().unwrap_or_default();
    assert!(with(series::Limits { sample_limit: 1, ..Default::default() }).contains("sample limit exceeded"));
    assert!(with(series::Limits { label_limit: 3, ..Default::default() }).contains("label_limit exceeded"));
    assert!(with(series::Limits { label_name_length_limit: 3, ..Default::default() }).contains("label_name_length_limit"));
    assert!(with(series::Limits { label_value_length_limit: 5, ..Default::default() }).contains("label_value_length_limit"));
    assert_eq!(with(series::Limits { sample_limit: 2, label_limit: 4, ..Default::default() }), "");
}

/// A target whose page the test changes as it goes: OpenMetrics when the
/// page ends with `# EOF`, the text format otherwise.
async fn serve(page: Arc<Mutex<String>>) -> u16 {
    let app = axum::Router::new().fallback(move || {
        let page = Arc::clone(&page);
        async move {
            let body = page.lock().map(|p| p.clone()).unwrap_or_default();
            let kind = if body.ends_with("# EOF\n") { "application/openmetrics-text; version=1.0.0; charset=utf-8" } else { "text/plain; version=0.0.4" };
            ([("content-type", kind)], body)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

/// Every value `name{instance}` had across all batches, in order.
fn values(rec: &Recorder, name: &str, instance: &str) -> Vec<f64> {
    rec.samples()
        .iter()
        .flat_map(|b: &Arc<Batch>| b.families.clone())
        .filter(|f| f.name == name)
        .flat_map(|f| f.series)
        .filter(|s| s.labels.iter().any(|(k, v)| k == "instance" && v == instance))
        .filter_map(|s| match s.value {
            SampleValue::Number(v) => Some(v),
            _ => None,
        })
        .collect()
}

fn config(targets: &str) -> String {
    format!("targets = [{targets}]\nforward_to = [sink_receiver]\nscrape_interval = \"100ms\"\nscrape_timeout = \"90ms\"\njob_name = \"node\"")
}

/// The component scraping one target serving `page`, which the test may
/// change; its instance; and what the component forwarded.
async fn one_target(page: &str) -> (Arc<Mutex<String>>, String, Recorder, Harness) {
    let page = Arc::new(Mutex::new(page.to_string()));
    let port = serve(Arc::clone(&page)).await;
    let instance = format!("127.0.0.1:{port}");
    let rec = Recorder::new();
    let h = Harness::start(&REGISTRATION, &config(&format!("{{\"__address__\" = \"{instance}\"}}")), &rec.scope("sink")).unwrap();
    (page, instance, rec, h)
}

#[tokio::test]
async fn scrapes_reports_up_and_marks_vanished_series_stale() {
    let (page, instance, rec, h) = one_target("a 1\nb{x=\"y\"} 2\n").await;
    until("up = 1", || values(&rec, "up", &instance).contains(&1.0)).await;
    until("b scraped", || values(&rec, "b", &instance).contains(&2.0)).await;
    let batch = rec.samples().into_iter().find(|b| b.families.iter().any(|f| f.name == "b")).unwrap();
    let b = batch.families.iter().find(|f| f.name == "b").unwrap();
    let want: Vec<(String, String)> =
        [("instance", instance.as_str()), ("job", "node"), ("x", "y")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(b.series[0].labels, want);
    let discovered = batch.discovered.as_deref().expect("a scrape names its target");
    assert_eq!((discovered["__scheme__"].as_str(), discovered["__address__"].as_str()), ("http", instance.as_str()));
    // `b` goes away: the next scrape sends it once as a staleness marker.
    *page.lock().unwrap() = "a 1\n".into();
    until("b marked stale", || values(&rec, "b", &instance).iter().any(|v| is_stale(*v))).await;
    assert!(values(&rec, "a", &instance).iter().all(|v| !is_stale(*v)));
    // The target goes away: everything it gave is marked stale, `up` too.
    h.update("targets = []\nforward_to = [sink_receiver]\nscrape_interval = \"100ms\"\nscrape_timeout = \"90ms\"").unwrap();
    until("a marked stale", || values(&rec, "a", &instance).last().is_some_and(|v| is_stale(*v))).await;
    until("up marked stale", || values(&rec, "up", &instance).last().is_some_and(|v| is_stale(*v))).await;
    assert_eq!(h.debug("targets"), Value::Array(vec![]));
}

/// An OpenMetrics target's exemplars reach `forward_to` with their
/// series; one without a time takes its sample's.
#[tokio::test]
async fn exemplars_are_forwarded_with_their_series() {
    let page = "# TYPE rpc_seconds histogram\nrpc_seconds_bucket{le=\"0.5\"} 3 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"} 0.31\nrpc_seconds_bucket{le=\"+Inf\"} 4\nrpc_seconds_count 4\nrpc_seconds_sum 1.7\n# EOF\n";
    let (_page, instance, rec, h) = one_target(page).await;
    until("the bucket scraped", || values(&rec, "rpc_seconds_bucket", &instance).len() >= 2).await;
    let series: Vec<_> = rec.samples().iter().flat_map(|b| b.families.clone()).filter(|f| f.name == "rpc_seconds_bucket").flat_map(|f| f.series).collect();
    let with = series.iter().find(|s| s.labels.iter().any(|(k, v)| k == "le" && v == "0.5")).expect("the 0.5 bucket");
    let e = with.exemplars.first().expect("the exemplar is kept");
    assert_eq!(
        e.labels,
        vec![("trace_id".to_string(), "4bf92f3577b34da6a3ce929d0e0e4736".to_string()), ("span_id".to_string(), "00f067aa0ba902b7".to_string())]
    );
    assert_eq!((e.value, e.timestamp_ms), (0.31, with.timestamp_ms));
    let inf = series.iter().find(|s| s.labels.iter().any(|(k, v)| k == "le" && v == "+Inf")).expect("the +Inf bucket");
    assert!(inf.exemplars.is_empty());
    drop(h);
}

/// `oauth2` and `http_headers` reach the target: it answers only a
/// request with the token from the token endpoint and both values of the
/// tenant header.
#[tokio::test]
async fn oauth2_tokens_and_http_headers_go_with_every_scrape() {
    let tokens = axum::Router::new().fallback(|| async { r#"{"access_token":"scrape-token","token_type":"bearer","expires_in":3600}"# });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let token_url = format!("http://{}/token", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, tokens).await });
    let target = axum::Router::new().fallback(|headers: axum::http::HeaderMap| async move {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
        let tenants: Vec<&str> = headers.get_all("x-scope-orgid").iter().filter_map(|v| v.to_str().ok()).collect();
        match (auth, tenants.as_slice()) {
            (Some("Bearer scrape-token"), ["team-a", "team-b"]) => (axum::http::StatusCode::OK, "m 1\n"),
            _ => (axum::http::StatusCode::UNAUTHORIZED, ""),
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let instance = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, target).await });
    let rec = Recorder::new();
    let args = format!(
        "{}\nhttp_headers = {{ \"X-Scope-OrgID\" = [\"team-a\", \"team-b\"] }}\noauth2 {{\n client_id = \"a\"\n client_secret = \"b\"\n token_url = {token_url:?}\n}}",
        config(&format!("{{\"__address__\" = \"{instance}\"}}"))
    );
    let h = Harness::start(&REGISTRATION, &args, &rec.scope("sink")).unwrap();
    until("m scraped", || values(&rec, "m", &instance).contains(&1.0)).await;
    assert!(values(&rec, "up", &instance).iter().all(|v| *v == 1.0), "every scrape was let in");
    drop(h);
}

#[tokio::test]
async fn a_failing_target_is_down_and_its_series_stale() {
    let (page, instance, rec, h) = one_target("a 1\n").await;
    until("a scraped", || values(&rec, "a", &instance).contains(&1.0)).await;
    *page.lock().unwrap() = "a{ 1\n".into();
    until("up = 0", || values(&rec, "up", &instance).last() == Some(&0.0)).await;
    until("a marked stale", || values(&rec, "a", &instance).iter().any(|v| is_stale(*v))).await;
    let targets = h.debug("targets");
    let text = format!("{targets:?}");
    assert!(text.contains("down") && text.contains("failed to parse the response"), "{text}");
}

#[tokio::test]
async fn unchanged_targets_keep_their_loops_across_updates() {
    let page = Arc::new(Mutex::new("a 1\n".to_string()));
    let port = serve(Arc::clone(&page)).await;
    let one = format!("{{\"__address__\" = \"127.0.0.1:{port}\"}}");
    let two = format!("{one}, {{\"__address__\" = \"localhost:{port}\"}}");
    let rec = Recorder::new();
    let h = Harness::start(&REGISTRATION, &config(&one), &rec.scope("sink")).unwrap();
    let first = format!("127.0.0.1:{port}");
    until("first target up", || values(&rec, "up", &first).contains(&1.0)).await;
    h.update(&config(&two)).unwrap();
    let second = format!("localhost:{port}");
    until("second target up", || values(&rec, "up", &second).contains(&1.0)).await;
    // The first target was never stopped, so never marked stale.
    assert!(values(&rec, "up", &first).iter().all(|v| !is_stale(*v)));
}

#[test]
fn arguments_are_checked_in_alloys_words() {
    let scope = Recorder::new().scope("sink");
    let err = |extra: &str| crate::harness::build_error(&REGISTRATION, &format!("targets = []\nforward_to = [sink_receiver]\n{extra}"), &scope);
    assert!(err("scrape_timeout = \"2m\"").contains("greater than scrape_interval"));
    assert!(err("scrape_protocols = [\"PrometheusProto\"]").contains("does not read PrometheusProto"));
    assert!(err("scrape_protocols = [\"Nope\"]").contains("unknown scrape protocol"));
    assert!(err("bearer_token = \"a\"\nbearer_token_file = \"b\"").contains("at most one of"));
    assert!(err("scheme = \"ftp\"").contains("invalid scheme"));
    assert!(err("http_headers = { \"authorization\" = [\"x\"] }").contains("setting header \"authorization\" is not allowed"));
    assert!(err("http_headers = { \"bad header\" = [\"x\"] }").contains("not a valid header name"));
    let oauth = "oauth2 {\n client_id = \"a\"\n token_url = \"http://t\"\n}";
    assert!(err(&format!("{oauth}\nbearer_token = \"b\"")).contains("at most one of basic_auth, authorization, oauth2"));
}
