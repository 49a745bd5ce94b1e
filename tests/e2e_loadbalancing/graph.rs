//! The service graph a set of spans implies, worked out from the spans the
//! app recorded, and the one the gateways serve, read from their
//! Prometheus text: the two must agree edge for edge and call for call.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

/// (client, server, failed) → calls.
pub type Graph = BTreeMap<(String, String, bool), f64>;

/// Every call the spans show: a SERVER span whose parent is a CLIENT span
/// of another service is one call from the client's service to the
/// server's, failed when either side has status ERROR. A SERVER span with
/// no parent was called by the virtual node `user`.
pub fn expected(spans: &[Value]) -> Graph {
    let by_id: HashMap<&str, &Value> = spans.iter().map(|s| (s["span_id"].as_str().unwrap_or_default(), s)).collect();
    let mut out = Graph::new();
    for server in spans.iter().filter(|s| s["kind"] == "SERVER") {
        let service = server["service"].as_str().unwrap_or_default().to_string();
        let parent = server["parent_span_id"].as_str().unwrap_or_default();
        let edge = if parent.is_empty() {
            ("user".to_string(), service, server["status"] == "ERROR")
        } else {
            let Some(client) = by_id.get(parent) else { continue };
            if client["kind"] != "CLIENT" || client["service"] == server["service"] {
                continue;
            }
            let failed = client["status"] == "ERROR" || server["status"] == "ERROR";
            (client["service"].as_str().unwrap_or_default().to_string(), service, failed)
        };
        *out.entry(edge).or_insert(0.0) += 1.0;
    }
    out
}

/// One sample of Prometheus text: name, labels, value.
pub fn samples(text: &str) -> Vec<(String, BTreeMap<String, String>, f64)> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (series, rest) = match line.find('{') {
            Some(open) => {
                let Some(close) = closing_brace(line, open) else { continue };
                (&line[..close + 1], &line[close + 1..])
            }
            None => match line.split_once(' ') {
                Some((name, rest)) => (name, rest),
                None => continue,
            },
        };
        let Some(value) = rest.split_whitespace().next().and_then(|v| v.parse::<f64>().ok()) else { continue };
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => (name, parse_labels(labels.trim_end_matches('}'))),
            None => (series, BTreeMap::new()),
        };
        out.push((name.to_string(), labels, value));
    }
    out
}

/// The `}` that closes the label set opened at `open`, skipping quoted
/// values (an OpenMetrics exemplar after the value has braces of its own).
fn closing_brace(line: &str, open: usize) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices().skip_while(|(i, _)| *i <= open) {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '}' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = text;
    while let Some((name, after)) = rest.split_once("=\"") {
        let mut value = String::new();
        let mut chars = after.char_indices();
        let mut end = after.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, e)) = chars.next() {
                        value.push(if e == 'n' { '\n' } else { e });
                    }
                }
                '"' => {
                    end = i + 1;
                    break;
                }
                c => value.push(c),
            }
        }
        out.insert(name.trim_start_matches(',').trim().to_string(), value);
        rest = &after[end..];
    }
    out
}

/// The calls the gateways counted, summed over every gateway's text.
pub fn served(texts: &[String]) -> Graph {
    let mut out = Graph::new();
    for text in texts {
        for (name, labels, value) in samples(text) {
            if name != "traces_service_graph_request_total" {
                continue;
            }
            let label = |k: &str| labels.get(k).cloned().unwrap_or_default();
            *out.entry((label("client"), label("server"), label("failed") == "true")).or_insert(0.0) += value;
        }
    }
    out
}

/// Span metrics' calls per service, summed over every gateway's text.
pub fn calls_per_service(texts: &[String]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for text in texts {
        for (name, labels, value) in samples(text) {
            if name == "traces_span_metrics_calls_total" {
                *out.entry(labels.get("service_name").cloned().unwrap_or_default()).or_insert(0.0) += value;
            }
        }
    }
    out
}

#[test]
fn the_expected_graph_pairs_clients_with_their_servers() {
    let span = |id: &str, parent: &str, kind: &str, service: &str, status: &str| serde_json::json!({"span_id": id, "parent_span_id": parent, "kind": kind, "service": service, "status": status});
    let spans = [
        span("1", "", "SERVER", "a", "UNSET"),
        span("2", "1", "CLIENT", "a", "UNSET"),
        span("3", "2", "SERVER", "b", "ERROR"),
        span("4", "3", "INTERNAL", "b", "UNSET"),
        span("5", "4", "SERVER", "b", "UNSET"),
    ];
    let g = expected(&spans);
    let want: Graph = [(("user".into(), "a".into(), false), 1.0), (("a".into(), "b".into(), true), 1.0)].into_iter().collect();
    assert_eq!(g, want);
}

#[test]
fn samples_read_labels_with_escapes_and_suffixes() {
    let text = "# HELP x y\nx_total{a=\"1\",b=\"q\\\"u}ote\"} 3 # {trace_id=\"ab\"} 1\ny 2.5\n";
    let s = samples(text);
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].1["b"], "q\"u}ote");
    assert_eq!(s[0].2, 3.0);
    assert_eq!((s[1].0.as_str(), s[1].2), ("y", 2.5));
}
