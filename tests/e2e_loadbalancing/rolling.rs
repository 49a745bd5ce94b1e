//! A rolling update of the gateway tier while traces flow: one gateway
//! stops taking data (a pod terminating), so the agent queues its traces;
//! then the agent's ring loses that gateway and gains a new one. Nothing
//! the agent acknowledged is lost, what it had queued for the leaving
//! gateway is re-routed (and counted, exactly), and the leaving gateway,
//! back on its old address, is sent nothing more.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{json, Value};

use crate::fleet::{metric, App, Fleet};
use crate::ring::{balanced_ports, trace_bytes, Ring};
use crate::support::{free_port, peers::read_jsonl};

/// The gateways in the ring before the change; the last one leaves.
pub const BEFORE: [usize; 3] = [0, 1, LEAVING];
/// The gateways in the ring after it; the last one joins.
pub const AFTER: [usize; 3] = [0, 1, JOINING];
pub const LEAVING: usize = 2;
pub const JOINING: usize = 3;

/// Traces per second while the ring changes; ample for the app to still
/// be sending when the test tells it to stop.
const RATE: f64 = 300.0;

/// The ring change by a config reload: the static resolver's hostnames.
#[test]
fn a_gateway_leaving_under_load_loses_nothing_and_its_queue_is_rerouted() {
    let mut ports = balanced_ports(3, 0.05);
    ports.push(free_port());
    let fleet = Fleet::start(&ports, &BEFORE);
    roll(fleet, |f| f.set_ring(&AFTER));
}

/// Runs the rolling update on `fleet` (its agent routing to [`BEFORE`]);
/// `change` makes the agent's ring [`AFTER`], by whatever the resolver
/// follows.
pub fn roll(mut fleet: Fleet, change: impl FnOnce(&Fleet)) {
    let endpoint = |i: usize| fleet.gateways[i].endpoint();
    let old_ring: Vec<String> = BEFORE.iter().map(|i| endpoint(*i)).collect();
    let new_ring: BTreeSet<String> = AFTER.iter().map(|i| endpoint(*i)).collect();
    let ring = Ring::new(&old_ring);
    let leaving = endpoint(LEAVING);
    let old_set: BTreeSet<String> = old_ring.iter().cloned().collect();
    fleet.agent.wait_for("the agent's first ring", || fleet.ring().into_iter().collect::<BTreeSet<_>>() == old_set);

    let mut app = fleet.app("rolling", 1_000_000, RATE);
    fleet.agent.wait_for("traces at every gateway in the ring", || BEFORE.iter().all(|i| fleet.gateways[*i].spans().len() >= 500));

    // The leaving gateway stops taking data, as a terminating pod does;
    // the agent keeps it in its ring (it is only unreachable) and queues
    // its traces while the app goes on.
    fleet.gateways[LEAVING].stop();
    let delivered_before = fleet.gateways[LEAVING].spans().len();
    let queue = || fleet.exporter_info()["backends"][&leaving]["queue_size"].as_u64().unwrap_or(0);
    fleet.agent.wait_for("the agent to queue for the stopped gateway", || queue() > 0);
    std::thread::sleep(Duration::from_millis(1500));

    // From here the app makes only traces the old ring gives to the other
    // gateways, so the leaving gateway's queue stops growing while traffic
    // still flows, and what it holds can be counted from the data: every
    // span of its traces the agent acknowledged, less what reached it.
    steer(&app, "avoid", json!({"ring": old_ring, "avoid": leaving}));
    fleet.agent.wait_for("the app to steer clear of the leaving gateway", || app.record.with_extension("jsonl.avoiding").exists());
    // What the agent still batches (100 ms in the test's agent, 200 ms in
    // the shipped one) is routed, to the leaving gateway's queue, well
    // before the change below.
    std::thread::sleep(Duration::from_millis(1000));
    let acknowledged = read_jsonl(&app.record);
    let owned = acknowledged.iter().filter(|s| ring.owner(&trace_bytes(s["trace_id"].as_str().unwrap())) == leaving).count();
    let queued = owned - delivered_before;
    assert!(queued > 0, "the leaving gateway had a queue: {owned} spans of its traces acknowledged, {delivered_before} delivered");
    assert!(app.running(), "the app is still sending");

    // The rolling update proper, under load.
    change(&fleet);
    fleet.agent.wait_for("the agent's ring to change", || fleet.ring().into_iter().collect::<BTreeSet<_>>() == new_ring);
    let metrics = || fleet.agent.get("/metrics").1;
    let from = [("component_id", fleet.exporter.as_str())];
    let rerouted = || metric(&metrics(), "otelcol_loadbalancer_rerouted_spans_total", &from);
    fleet.agent.wait_for("the leaving gateway's queue to be re-routed", || rerouted() >= queued as f64);
    eprintln!("leaving gateway: {delivered_before} spans delivered before it stopped, {queued} queued for it; re-routed {}", rerouted());
    assert_eq!(rerouted(), queued as f64, "re-routed = what was queued for the leaving gateway; debug info: {}", fleet.exporter_info());
    assert_eq!(metric(&metrics(), "otelcol_loadbalancer_dropped_spans_total", &from), 0.0, "nothing handed back was dropped");

    // Its traces (by the old ring) go to their new owners again, and the
    // leaving gateway comes back on its old address, outside the ring: it
    // must be sent nothing.
    steer(&app, "resume", json!({}));
    fleet.gateways[LEAVING].start();
    std::thread::sleep(Duration::from_secs(3));
    assert!(app.running(), "the app is still sending after the change settled");
    steer(&app, "stop", json!({}));
    let sent = app.finish(&fleet.agent);
    let sent_ids: BTreeSet<&str> = sent.iter().map(|s| s["span_id"].as_str().unwrap()).collect();
    fleet.wait_for_spans(sent.len());

    let back = fleet.gateways[LEAVING].process();
    assert_eq!(metric(&back.get("/metrics").1, "otelcol_receiver_accepted_spans_total", &[]), 0.0, "the removed gateway was sent nothing");
    assert_eq!(fleet.gateways[LEAVING].spans().len(), delivered_before, "its sink has only what it took before it stopped");

    // Nothing acknowledged lost, nothing twice.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (gateway, span) in fleet.delivered() {
        let id = span["span_id"].as_str().unwrap().to_string();
        assert!(seen.insert(id.clone(), gateway).is_none(), "span {id} arrived twice");
    }
    assert_eq!(seen.keys().map(String::as_str).collect::<BTreeSet<_>>(), sent_ids, "the sinks hold exactly the spans the agent acknowledged");
    let mut per_gateway = [0usize; 4];
    seen.values().for_each(|g| per_gateway[*g] += 1);
    eprintln!("{} spans acknowledged; delivered per gateway: {per_gateway:?}", sent.len());
    assert!(per_gateway[JOINING] > 0, "the joining gateway took its share");

    // The agent's own account balances too, the leaving gateway's share
    // included: what it sent there before it left is still counted.
    let agent = metrics();
    assert_eq!(metric(&agent, "otelcol_receiver_accepted_spans_total", &[]), sent.len() as f64, "acknowledged by the agent");
    let failed = metric(&agent, "otelcol_exporter_send_failed_spans_total", &from) + metric(&agent, "otelcol_exporter_enqueue_failed_spans_total", &from);
    assert_eq!(failed, 0.0, "dropped by the loadbalancing exporter");
    let sent_by_exporter = metric(&agent, "otelcol_exporter_sent_spans_total", &from);
    assert_eq!(sent_by_exporter, sent.len() as f64, "acknowledged = sent by the loadbalancing exporter (every backend, the removed one too) + dropped (0)");
}

/// Writes one of the app's control files (shop_app.py).
fn steer(app: &App, what: &str, body: Value) {
    let path = app.record.with_extension(format!("jsonl.{what}"));
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, body.to_string()).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
}
