//! The cache follows the cluster: a label changed by a watch event, an IP
//! given to a new pod, and a watch that ends in 410 Gone and a relist.

use serde_json::Value;

use crate::harness::{App, E2e};
use crate::pods::{self, attr, CHECKOUT_IP};

const VERSION: &str = "k8s.pod.label.app.kubernetes.io/version";

#[test]
fn a_label_changed_by_watch_shows_on_new_spans() {
    let e = E2e::start(&[pods::checkout()]);
    let mut app = e.grpc_app(&format!("k8s.pod.ip={CHECKOUT_IP}"));
    assert!(e.send(&mut app, "before", 3).iter().all(|s| attr(&s["resource"], VERSION) == "1.4.2"));
    e.api.apply(pods::versioned(pods::checkout(), "1.5.0"));
    e.send_until(&mut app, "the new version label", |r| attr(r, VERSION) == "1.5.0");
    for s in e.send(&mut app, "after", 5) {
        assert_eq!(attr(&s["resource"], VERSION), "1.5.0", "once seen, the change stays: {s}");
    }
    e.assert_balance();
}

/// Pods leave and their IPs go to new pods at once. The API does not
/// order the old pod's DELETED before the new pod's ADDED, so both orders
/// are played; after both events only the new pod is ever named.
#[test]
fn an_ip_reused_by_a_new_pod_names_only_the_new_pod() {
    let old_a = pods::created(pods::pod("checkout", "old0a", "uid-old-a", "10.244.1.30", "node-a"), "2026-11-30T09:00:00Z");
    let old_b = pods::created(pods::pod("checkout", "old0b", "uid-old-b", "10.244.1.31", "node-a"), "2026-11-30T09:00:00Z");
    let sentinel = pods::pod("sentinel", "s3nt1", "uid-sentinel", "10.244.1.99", "node-a");
    let e = E2e::start(&[old_a, old_b, sentinel.clone()]);
    let mut from_a = e.grpc_app("k8s.pod.ip=10.244.1.30");
    let mut from_b = e.grpc_app("k8s.pod.ip=10.244.1.31");
    let mut sentinel_app = e.grpc_app("k8s.pod.ip=10.244.1.99");
    assert_eq!(attr(&e.send(&mut from_a, "a-before", 1)[0]["resource"], "k8s.pod.uid"), "uid-old-a");
    assert_eq!(attr(&e.send(&mut from_b, "b-before", 1)[0]["resource"], "k8s.pod.uid"), "uid-old-b");

    let new = |suffix: &str, uid: &str, ip: &str| pods::created(pods::pod("checkout", suffix, uid, ip, "node-a"), "2026-11-30T10:00:00Z");
    // a: DELETED, then ADDED.
    e.api.delete("uid-old-a");
    e.api.apply(new("new0a", "uid-new-a", "10.244.1.30"));
    // b: ADDED, then DELETED.
    e.api.apply(new("new0b", "uid-new-b", "10.244.1.31"));
    e.api.delete("uid-old-b");
    barrier(&e, &mut sentinel_app, sentinel);

    for (app, name, uid) in [(&mut from_a, "checkout-7d9f8c6b5d-new0a", "uid-new-a"), (&mut from_b, "checkout-7d9f8c6b5d-new0b", "uid-new-b")] {
        for s in e.send(app, "after", 5) {
            let r = &s["resource"];
            assert_eq!((attr(r, "k8s.pod.name"), attr(r, "k8s.pod.uid")), (name, uid), "only the new pod: {s}");
        }
    }
    e.assert_balance();
}

/// `pod_delete_grace_period` (2 minutes by default) keeps a deleted pod
/// findable, for the spans it flushed on its way out that arrive late.
#[test]
fn a_deleted_pod_stays_findable_for_the_grace_period() {
    let leaving = pods::pod("leaving", "l34v1", "uid-leaving", "10.244.1.60", "node-a");
    let sentinel = pods::pod("sentinel", "s3nt1", "uid-sentinel", "10.244.1.99", "node-a");
    let e = E2e::start(&[leaving, sentinel.clone()]);
    let mut from_leaving = e.grpc_app("k8s.pod.ip=10.244.1.60");
    let mut sentinel_app = e.grpc_app("k8s.pod.ip=10.244.1.99");
    assert_eq!(attr(&e.send(&mut from_leaving, "before", 1)[0]["resource"], "k8s.pod.uid"), "uid-leaving");
    e.api.delete("uid-leaving");
    barrier(&e, &mut sentinel_app, sentinel);
    for s in e.send(&mut from_leaving, "late", 3) {
        assert_eq!(attr(&s["resource"], "k8s.pod.uid"), "uid-leaving", "within the grace period: {s}");
    }
    e.assert_balance();
}

/// A watch that ends in 410 Gone: the changes made meanwhile reach the
/// cache only by a relist, including a pod that left without an event
/// (compacted away), which no watch could have reported, and whose IP a
/// newer pod took: the relist gives the IP to the newcomer at once (the
/// one that left is kept only for its grace period, where no live pod
/// claims its IP).
#[test]
fn after_410_gone_the_processor_relists_and_sees_the_changes() {
    let legacy = pods::pod("legacy", "l3g4c", "uid-legacy", "10.244.1.40", "node-a");
    let e = E2e::start(&[pods::checkout(), legacy]);
    let mut checkout = e.grpc_app(&format!("k8s.pod.ip={CHECKOUT_IP}"));
    let mut from_legacy = e.grpc_app("k8s.pod.ip=10.244.1.40");
    assert_eq!(attr(&e.send(&mut checkout, "before", 1)[0]["resource"], VERSION), "1.4.2");
    assert_eq!(attr(&e.send(&mut from_legacy, "before", 1)[0]["resource"], "k8s.pod.name"), "legacy-7d9f8c6b5d-l3g4c");
    let lists_before = lists(&e.api.requests());

    e.api.forget("uid-legacy");
    e.api.gone();
    e.api.apply(pods::versioned(pods::checkout(), "2.0.0"));
    let successor = pods::created(pods::pod("successor", "s5cc5", "uid-successor", "10.244.1.40", "node-a"), "2026-12-01T00:00:00Z");
    e.api.apply(successor);
    e.send_until(&mut checkout, "the version changed while the watch was down", |r| attr(r, VERSION) == "2.0.0");
    e.send_until(&mut from_legacy, "the vanished pod's IP to name its successor", |r| attr(r, "k8s.pod.name") == "successor-7d9f8c6b5d-s5cc5");
    for s in e.send(&mut from_legacy, "after", 3) {
        assert_eq!(attr(&s["resource"], "k8s.pod.name"), "successor-7d9f8c6b5d-s5cc5", "the vanished pod is never named again: {s}");
    }
    let requests = e.api.requests();
    assert!(lists(&requests) > lists_before, "a second list of pods after the 410: {requests:?}");
    assert!(e.debug_info()["informers"]["pods"]["lists"].as_u64() >= Some(2), "{}", e.debug_info());
    e.assert_balance();
}

/// Waits until every event sent before this call has reached the cache:
/// the sentinel pod's label is bumped, and events arrive in order.
fn barrier(e: &E2e, app: &mut App, sentinel: Value) {
    e.api.apply(pods::versioned(sentinel, "barrier"));
    e.send_until(app, "the events before the barrier", |r| attr(r, VERSION) == "barrier");
}

/// Lists of pods (not watches) among the stand-in's requests.
fn lists(requests: &[String]) -> usize {
    requests.iter().filter(|r| r.starts_with("/api/v1/pods") && !r.contains("watch=true")).count()
}
