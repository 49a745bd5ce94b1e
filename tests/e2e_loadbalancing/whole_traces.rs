//! Three gateways behind one agent with the static resolver: each trace,
//! whose spans leave the app in several requests from several services,
//! reaches exactly one gateway, whole, the one the Collector's ring names;
//! and so the gateways' service graphs add up to the graph of the traces.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;

use crate::fleet::{metric, Fleet};
use crate::graph::{calls_per_service, expected, served};
use crate::ring::{balanced_ports, trace_bytes, Ring};

/// Enough traces that the count per gateway varies by under 3% (one
/// standard deviation) from the trace IDs' randomness alone.
const TRACES: usize = 3000;

#[test]
fn every_trace_lands_whole_on_one_gateway_and_the_service_graph_is_complete() {
    let ports = balanced_ports(3, 0.03);
    let fleet = Fleet::start(&ports, &[0, 1, 2]);
    let endpoints: Vec<String> = fleet.gateways.iter().map(|g| g.endpoint()).collect();
    let ring = Ring::new(&endpoints);

    let sent = fleet.app("shop", TRACES, 0.0).finish(&fleet.agent);
    let traces: BTreeSet<&str> = sent.iter().map(|s| s["trace_id"].as_str().unwrap()).collect();
    assert_eq!(traces.len(), TRACES, "the app made {TRACES} traces");
    fleet.wait_for_spans(sent.len());

    // Every span exactly once, and nothing the app did not send.
    let delivered = fleet.delivered();
    let mut at: BTreeMap<String, usize> = BTreeMap::new();
    for (gateway, span) in &delivered {
        let id = span["span_id"].as_str().unwrap().to_string();
        assert!(at.insert(id.clone(), *gateway).is_none(), "span {id} arrived twice");
    }
    let sent_ids: BTreeSet<&str> = sent.iter().map(|s| s["span_id"].as_str().unwrap()).collect();
    assert_eq!(at.keys().map(String::as_str).collect::<BTreeSet<_>>(), sent_ids, "the sinks hold exactly the spans the agent acknowledged");

    // Each trace on one gateway, the one the ring names.
    let mut trace_at: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &sent {
        let (trace, gateway) = (s["trace_id"].as_str().unwrap(), at[s["span_id"].as_str().unwrap()]);
        let first = *trace_at.entry(trace).or_insert(gateway);
        assert_eq!(first, gateway, "trace {trace} is split between gateways {first} and {gateway}");
    }
    for (trace, gateway) in &trace_at {
        assert_eq!(ring.owner(&trace_bytes(trace)), endpoints[*gateway], "trace {trace} is not where the Collector's ring puts it");
    }

    // The spread: within 15% of even.
    let mut per_gateway = [0usize; 3];
    for g in trace_at.values() {
        per_gateway[*g] += 1;
    }
    let even = TRACES as f64 / 3.0;
    let shares = ring.shares();
    for (i, n) in per_gateway.iter().enumerate() {
        let off = (*n as f64 - even).abs() / even;
        eprintln!("gateway {i}: {n} traces ({:+.1}% of even; ring share {:.4})", (*n as f64 - even) / even * 100.0, shares[&endpoints[i]]);
        assert!(off <= 0.15, "gateway {i} got {n} traces, {:.1}% off the even {even}: {per_gateway:?}", off * 100.0);
    }

    // The service graph: every call the traces hold, counted once.
    let want = expected(&sent);
    assert!(want.len() >= 6, "the shop's traces have edges between five services and the user: {want:?}");
    let start = std::time::Instant::now();
    while served(&fleet.scrapes()) != want && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(served(&fleet.scrapes()), want, "the gateways' service graph (left) against the one the sent spans imply (right)");

    // Span metrics: each service's spans, counted on the gateways.
    let mut spans_per_service: BTreeMap<String, f64> = BTreeMap::new();
    for s in &sent {
        *spans_per_service.entry(s["service"].as_str().unwrap().to_string()).or_insert(0.0) += 1.0;
    }
    fleet.agent.wait_for("span metrics to count every span", || calls_per_service(&fleet.scrapes()) == spans_per_service);

    assert_balance(&fleet, &sent);
}

/// Acknowledged = delivered + dropped, and dropped is 0: on the agent
/// (what its receiver took, what the exporter sent), on each gateway
/// (what it took, what reached its sink), and end to end.
pub fn assert_balance(fleet: &Fleet, sent: &[Value]) {
    let n = sent.len() as f64;
    let agent = fleet.agent.get("/metrics").1;
    assert_eq!(metric(&agent, "otelcol_receiver_accepted_spans_total", &[]), n, "acknowledged by the agent");
    let from = [("component_id", fleet.exporter.as_str())];
    let dropped = metric(&agent, "otelcol_exporter_send_failed_spans_total", &from) + metric(&agent, "otelcol_exporter_enqueue_failed_spans_total", &from);
    assert_eq!(metric(&agent, "otelcol_exporter_sent_spans_total", &from), n, "sent by the loadbalancing exporter");
    assert_eq!(dropped, 0.0, "dropped by the loadbalancing exporter");
    let mut taken = 0.0;
    for (i, g) in fleet.gateways.iter().enumerate().filter(|(_, g)| g.process.is_some()) {
        let text = g.process().get("/metrics").1;
        let accepted = metric(&text, "otelcol_receiver_accepted_spans_total", &[]);
        let to_sink = metric(&text, "otelcol_exporter_sent_spans_total", &[("component_id", "otelcol.exporter.otlp.sink")]);
        assert_eq!(accepted, to_sink, "gateway {i}: taken = sent to its sink");
        assert_eq!(to_sink, g.spans().len() as f64, "gateway {i}: its sink has what it sent");
        taken += accepted;
    }
    assert_eq!(taken, fleet.delivered().len() as f64, "the running gateways' sinks hold what those gateways took");
}
