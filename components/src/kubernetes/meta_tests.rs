//! The namespace, node and ReplicaSet informers against the stand-in.

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::standin::{Kind, KubeStandin};
use super::tests::{api, sample};
use super::{MetaConfig, MetaInformer, MetaKind};
use crate::harness::until;
use crate::selfmetrics::{self, ComponentMetrics};

const NAMESPACE: &str = include_str!("testdata/namespace-shop.json");
const NODE: &str = include_str!("testdata/node-a.json");
const REPLICASET: &str = include_str!("testdata/replicaset-checkout.json");

/// One kind's sample, and where the stand-in and the informer call it.
struct Case {
    meta: MetaKind,
    kind: Kind,
    sample: &'static str,
    namespace: &'static str,
    path: &'static str,
}

const CASES: [Case; 3] = [
    Case { meta: MetaKind::Namespace, kind: Kind::Namespace, sample: NAMESPACE, namespace: "", path: "/api/v1/namespaces?" },
    Case { meta: MetaKind::Node, kind: Kind::Node, sample: NODE, namespace: "", path: "/api/v1/nodes?" },
    Case { meta: MetaKind::ReplicaSet, kind: Kind::ReplicaSet, sample: REPLICASET, namespace: "shop", path: "/apis/apps/v1/replicasets?" },
];

/// The case's sample renamed, with its own UID.
fn object(case: &Case, name: &str) -> Value {
    let mut o = sample(case.sample);
    o["metadata"]["name"] = json!(name);
    o["metadata"]["uid"] = json!(format!("uid-{name}"));
    if case.kind == Kind::Node {
        o["metadata"]["labels"]["kubernetes.io/hostname"] = json!(name);
    }
    o
}

/// Starts an informer for `case` and waits for its first list and watch.
async fn informer(standin: &KubeStandin, meta: MetaKind, config: &MetaConfig, watches: usize) -> (MetaInformer, CancellationToken) {
    let cancel = CancellationToken::new();
    let metrics = ComponentMetrics::new(&standin.url());
    let inf = MetaInformer::start(api(standin).await, meta, config, Some(&metrics), cancel.clone());
    until("the first list", || inf.health().synced).await;
    until("the watch to open", || standin.watches() == watches).await;
    (inf, cancel)
}

fn labelled() -> MetaConfig {
    MetaConfig { keep_labels: true, ..MetaConfig::default() }
}

#[tokio::test]
async fn each_kind_is_listed_into_its_slim_record() {
    let standin = KubeStandin::start().await.unwrap();
    for case in &CASES {
        standin.apply_object(case.kind, sample(case.sample));
    }
    let (ns, _c1) = informer(&standin, MetaKind::Namespace, &labelled(), 1).await;
    let (node, _c2) = informer(&standin, MetaKind::Node, &labelled(), 2).await;
    let (rs, _c3) = informer(&standin, MetaKind::ReplicaSet, &MetaConfig::default(), 3).await;

    let shop = ns.get("", "shop").unwrap();
    assert_eq!(shop.uid, "9d2f4b61-3c7e-4a8d-b1f0-6e5c4d3b2a19");
    assert_eq!(shop.namespace, "");
    assert_eq!(shop.labels["team"], "payments");
    assert_eq!(shop.annotations["scheduler.alpha.kubernetes.io/node-selector"], "pool=general");
    let a = node.by_uid("4e8a2c17-95b3-4f6d-a0e1-7c2b9d8f3e56").unwrap();
    assert_eq!(a.name, "node-a");
    assert_eq!(a.labels["topology.kubernetes.io/zone"], "eu-west-1a");
    let checkout = rs.get("shop", "checkout-7d9f8c6b5d").unwrap();
    assert_eq!((checkout.owners[0].kind.as_str(), checkout.owners[0].name.as_str()), ("Deployment", "checkout"));
    assert!(checkout.labels.is_empty() && checkout.annotations.is_empty(), "keep_labels = false keeps owners only");
    assert_eq!(rs.get("", "checkout-7d9f8c6b5d"), None, "a ReplicaSet is found in its namespace");
    assert_eq!((ns.len(), node.len(), rs.len()), (1, 1, 1));
    for case in &CASES {
        let requests = standin.requests();
        let list = requests.iter().find(|r| r.starts_with(case.path) && !r.contains("watch=")).unwrap();
        let watch = requests.iter().find(|r| r.starts_with(case.path) && r.contains("watch=true")).unwrap();
        assert!(!list.contains("fieldSelector") && !list.contains("labelSelector"), "{list}");
        assert!(watch.contains("allowWatchBookmarks=true"), "{watch}");
        let slim = standin.metadata_requests();
        assert!(slim.contains(list) && slim.contains(watch), "metadata only, so no status or template crosses the wire: {slim:?}");
    }
}

#[tokio::test]
async fn watch_events_update_each_kind_without_a_relist() {
    for case in &CASES {
        let standin = KubeStandin::start().await.unwrap();
        standin.apply_object(case.kind, object(case, "first"));
        let (inf, _cancel) = informer(&standin, case.meta, &labelled(), 1).await;

        let mut second = object(case, "second");
        standin.apply_object(case.kind, second.clone());
        until("ADDED to reach the cache", || inf.get(case.namespace, "second").is_some()).await;
        standin.bookmark();
        second["metadata"]["labels"]["tier"] = json!("gold");
        standin.apply_object(case.kind, second);
        until("MODIFIED to reach the cache", || inf.by_uid("uid-second").is_some_and(|o| o.labels.get("tier").is_some_and(|t| t == "gold"))).await;
        standin.delete_object(case.kind, case.namespace, "second");
        until("DELETED to reach the cache", || inf.by_uid("uid-second").is_none()).await;
        assert_eq!(inf.get(case.namespace, "second"), None, "{:?}", case.meta);
        assert!(inf.get(case.namespace, "first").is_some());
        assert_eq!(inf.health().lists, 1, "{:?}", case.meta);
    }
}

#[tokio::test]
async fn a_410_gone_relists_every_kind() {
    let standin = KubeStandin::start().await.unwrap();
    for case in &CASES {
        standin.apply_object(case.kind, object(case, "kept"));
        standin.apply_object(case.kind, object(case, "lost"));
    }
    let mut informers = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        informers.push(informer(&standin, case.meta, &MetaConfig::default(), i + 1).await);
    }
    // The deletions are lost to compaction, which ends every kind's watch.
    for case in &CASES {
        standin.forget_object(case.kind, case.namespace, "lost");
    }
    standin.gone();
    for (case, (inf, _)) in CASES.iter().zip(&informers) {
        until("a second list", || inf.health().lists == 2).await;
        assert_eq!(inf.get(case.namespace, "lost"), None, "{:?}: the relisted cache replaces the old one", case.meta);
        assert!(inf.get(case.namespace, "kept").is_some());
        let lists = standin.requests().iter().filter(|r| r.starts_with(case.path) && !r.contains("watch=")).count();
        assert_eq!(lists, 2, "{:?}", case.meta);
    }
    let rendered = selfmetrics::render();
    for kind in ["namespace", "node", "replicaset"] {
        let series = |what: &str| format!("solder_kubernetes_{kind}_{what}{{component_id=\"{}\"}} ", standin.url());
        assert!(rendered.lines().any(|l| l.starts_with(&series("lists_total")) && l.ends_with(" 2")), "{kind}: {rendered}");
        assert!(rendered.lines().any(|l| l.starts_with(&series("watch_errors_total")) && l.ends_with(" 1")), "{kind}: {rendered}");
    }
}

#[tokio::test]
async fn a_field_selector_on_the_node_name_watches_that_node_only() {
    let standin = KubeStandin::start().await.unwrap();
    let node = &CASES[1];
    standin.apply_object(Kind::Node, object(node, "node-a"));
    standin.apply_object(Kind::Node, object(node, "node-b"));
    let config = MetaConfig { field_selector: Some("metadata.name=node-a".into()), keep_labels: true, ..MetaConfig::default() };
    let (inf, _cancel) = informer(&standin, MetaKind::Node, &config, 1).await;
    assert!(inf.get("", "node-a").is_some());
    assert_eq!(inf.get("", "node-b"), None);

    let mut b = object(node, "node-b");
    b["metadata"]["labels"]["tier"] = json!("gold");
    standin.apply_object(Kind::Node, b);
    let mut a = object(node, "node-a");
    a["metadata"]["labels"]["tier"] = json!("gold");
    standin.apply_object(Kind::Node, a);
    until("node-a's MODIFIED", || inf.get("", "node-a").is_some_and(|n| n.labels.contains_key("tier"))).await;
    assert_eq!(inf.len(), 1, "node-b's change is not sent");
    let requests = standin.requests();
    let selected: Vec<_> = requests.iter().filter(|r| r.starts_with("/api/v1/nodes?")).collect();
    assert_eq!(selected.len(), 2, "{requests:?}");
    for r in selected {
        assert!(r.contains("fieldSelector=metadata.name%3Dnode-a"), "{r}");
    }
}
