//! The process-wide memory budget, end to end: the real agent, with its
//! real counting allocator, takes OTLP until the data it holds brings its
//! heap to `--memory.limit`, then refuses retryably and counts what it
//! refused.

mod support;

use support::{free_port, send, Agent};

/// A batch processor that holds everything (it never reaches its size and
/// its timeout is an hour), so each accepted request grows the heap.
fn config(dir: &std::path::Path, http: u16) -> String {
    let path = dir.join("budget.alloy");
    let text = format!(
        r#"otelcol.receiver.otlp "default" {{
	http {{
		endpoint = "127.0.0.1:{http}"
	}}
	output {{
		traces = [otelcol.processor.batch.default.input]
	}}
}}

otelcol.processor.batch "default" {{
	send_batch_size     = 10000000
	send_batch_max_size = 0
	timeout             = "1h"
	output {{
		traces = [otelcol.exporter.debug.default.input]
	}}
}}

otelcol.exporter.debug "default" {{ }}
"#
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `n` spans as one OTLP/JSON request.
fn spans(n: usize) -> String {
    let span = format!(
        r#"{{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"checkout-{}","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2"}}"#,
        "x".repeat(200)
    );
    format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#, vec![span; n].join(","))
}

/// The sum of a metric's series whose line contains `having`.
fn metric(agent: &Agent, name: &str, having: &str) -> Option<f64> {
    let (_, body) = agent.get("/metrics");
    let values: Vec<f64> = body
        .lines()
        .filter(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with(['{', ' '])) && l.contains(having))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

#[test]
fn at_its_memory_budget_the_agent_refuses_otlp_retryably_and_counts_it() {
    const BUDGET: u64 = 4 << 20;
    const SPANS: usize = 1000;
    let dir = tempfile::tempdir().unwrap();
    let http = free_port();
    let agent = Agent::start(&[&config(dir.path(), http), &format!("--memory.limit={BUDGET}")]);
    agent.wait_for("the OTLP/HTTP listener", || std::net::TcpStream::connect(("127.0.0.1", http)).is_ok());
    assert_eq!(metric(&agent, "solder_memory_budget_bytes", ""), Some(BUDGET as f64));

    let (addr, body) = (format!("127.0.0.1:{http}"), spans(SPANS));
    let mut accepted = 0;
    let refusal = loop {
        let (code, headers, answer) = send(&addr, "POST", "/v1/traces", &[("Content-Type", "application/json")], body.as_bytes()).unwrap();
        match code {
            200 => accepted += 1,
            _ => break (code, headers, String::from_utf8_lossy(&answer).into_owned()),
        }
        // Each request holds a few hundred KiB: far fewer than this reach
        // the budget.
        assert!(accepted < 1000, "never refused; heap {:?}", metric(&agent, "solder_memory_heap_bytes", ""));
    };
    let (code, headers, answer) = refusal;
    assert!(accepted > 0, "below the budget, requests are taken");
    assert_eq!(code, 503, "at the budget: retryable, {headers:?} {answer}");
    assert!(headers.iter().any(|(k, v)| k == "retry-after" && v == "1"), "{headers:?}");
    assert!(answer.contains("memory budget"), "{answer}");
    // Acknowledged and refused spans are each counted, once.
    assert_eq!(metric(&agent, "otelcol_receiver_accepted_spans_total", "transport=\"http\""), Some((accepted * SPANS) as f64));
    assert_eq!(metric(&agent, "otelcol_receiver_refused_spans_total", "transport=\"http\""), Some(SPANS as f64));
    let heap = metric(&agent, "solder_memory_heap_bytes", "").unwrap_or(0.0);
    assert!(heap >= BUDGET as f64 / 2.0, "the allocator counts what the batch holds: {heap}");
}
