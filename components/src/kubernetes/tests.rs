//! The informer against the stand-in API server, over real HTTP.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::standin::KubeStandin;
use super::watch_loop::SlimCache;
use super::{client, AuthType, InformerConfig, PodCache, PodInformer, PodMeta};
use crate::harness::until;
use crate::selfmetrics::{self, ComponentMetrics};

const CHECKOUT: &str = include_str!("testdata/pod-checkout.json");
const KUBE_PROXY: &str = include_str!("testdata/pod-kube-proxy.json");

pub(super) fn sample(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// The checkout pod renamed, with its own UID, node, IP and creation time.
fn pod(name: &str, node: &str, ip: &str, created: &str) -> Value {
    let mut p = sample(CHECKOUT);
    p["metadata"]["name"] = json!(name);
    p["metadata"]["uid"] = json!(format!("uid-{name}"));
    p["metadata"]["creationTimestamp"] = json!(created);
    p["spec"]["nodeName"] = json!(node);
    p["status"]["podIP"] = json!(ip);
    p["status"]["podIPs"] = json!([{ "ip": ip }]);
    p
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A client for `standin`.
pub(super) async fn api(standin: &KubeStandin) -> kube::Client {
    client(&AuthType::None { url: Some(standin.url()) }).await.unwrap()
}

/// Starts an informer on `standin` and waits for its first list.
async fn informer(standin: &KubeStandin, node: Option<&str>) -> (PodInformer, CancellationToken) {
    let config = InformerConfig { node_name: node.map(str::to_string), ..InformerConfig::default() };
    informer_with(standin, &config).await
}

async fn informer_with(standin: &KubeStandin, config: &InformerConfig) -> (PodInformer, CancellationToken) {
    let cancel = CancellationToken::new();
    // Each test's series are told apart by the stand-in's URL.
    let metrics = ComponentMetrics::new(&standin.url());
    let inf = PodInformer::start(api(standin).await, config, Some(&metrics), cancel.clone());
    until("the first list", || inf.health().synced).await;
    until("the watch to open", || standin.watches() == 1).await;
    (inf, cancel)
}

fn name_at(inf: &PodInformer, addr: &str) -> Option<String> {
    inf.by_ip(&ip(addr)).map(|p| p.name.clone())
}

#[test]
fn a_served_pod_keeps_the_fields_processors_read() {
    let pod = serde_json::from_str(CHECKOUT).unwrap();
    let meta = PodMeta::from_pod(pod).unwrap();
    assert_eq!(meta.name, "checkout-7d9f8c6b5d-x2kqp");
    assert_eq!(meta.namespace, "shop");
    assert_eq!(meta.start_time.as_deref(), Some("2026-11-30T09:12:41Z"));
    assert_eq!(meta.node_name.as_deref(), Some("node-a"));
    assert_eq!(meta.labels["app.kubernetes.io/name"], "checkout");
    assert_eq!(meta.annotations["prometheus.io/scrape"], "true");
    assert_eq!(meta.owners[0].kind, "ReplicaSet");
    assert_eq!(meta.owners[0].name, "checkout-7d9f8c6b5d");
    assert_eq!(meta.ips, vec![ip("10.244.1.17"), ip("fd00:10:244:1::11")]);
    let envoy = &meta.containers[1];
    assert_eq!(envoy.name, "envoy");
    assert_eq!(envoy.image.as_deref(), Some("envoyproxy/envoy:v1.31.2"));
    assert!(envoy.container_id.as_deref().unwrap().starts_with("containerd://1f2e"));
    assert!(envoy.image_id.as_deref().unwrap().contains("@sha256:0f1e"));
}

#[tokio::test]
async fn the_first_list_fills_the_cache_with_this_nodes_pods_only() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply(sample(CHECKOUT));
    standin.apply(pod("elsewhere", "node-b", "10.244.2.9", "2026-11-30T09:00:00Z"));
    let (inf, _cancel) = informer(&standin, Some("node-a")).await;

    assert_eq!(name_at(&inf, "10.244.1.17").as_deref(), Some("checkout-7d9f8c6b5d-x2kqp"));
    assert_eq!(name_at(&inf, "fd00:10:244:1::11").as_deref(), Some("checkout-7d9f8c6b5d-x2kqp"));
    assert!(inf.by_uid("5b7c1e2a-8f1d-4c33-9a0e-2f6d1b9c4a10").is_some());
    assert_eq!(name_at(&inf, "10.244.2.9"), None, "node-b's pod must not be listed");
    assert_eq!(inf.with_cache(PodCache::len), 1);

    let requests = standin.requests();
    let list = requests.iter().find(|r| !r.contains("watch=")).unwrap();
    let watch = requests.iter().find(|r| r.contains("watch=true")).unwrap();
    for r in [list, watch] {
        assert!(r.starts_with("/api/v1/pods?"), "{r}");
        assert!(r.contains("fieldSelector=spec.nodeName%3Dnode-a"), "{r}");
    }
    assert!(watch.contains("allowWatchBookmarks=true"), "{watch}");
    assert!(watch.contains("resourceVersion=2"), "the watch resumes from the list: {watch}");
}

#[tokio::test]
async fn watch_events_update_the_cache_without_a_relist() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply(sample(CHECKOUT));
    let (inf, _cancel) = informer(&standin, Some("node-a")).await;

    let mut cart = pod("cart", "node-a", "10.244.1.30", "2026-11-30T10:00:00Z");
    standin.apply(cart.clone());
    until("ADDED to reach the cache", || name_at(&inf, "10.244.1.30").is_some()).await;

    standin.bookmark();
    cart["metadata"]["labels"]["tier"] = json!("gold");
    standin.apply(cart);
    until("MODIFIED to reach the cache", || inf.by_uid("uid-cart").is_some_and(|p| p.labels.get("tier").is_some_and(|t| t == "gold"))).await;

    standin.delete("uid-cart");
    until("DELETED to reach the cache", || inf.by_uid("uid-cart").is_none()).await;
    assert_eq!(name_at(&inf, "10.244.1.30"), None);
    assert_eq!(inf.with_cache(PodCache::ip_entries), 2, "only the checkout pod's two IPs remain");
    assert_eq!(inf.health().lists, 1);
}

#[tokio::test]
async fn after_a_bookmark_an_ended_watch_resumes_from_it_without_a_relist() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply(sample(CHECKOUT));
    let (inf, _cancel) = informer(&standin, Some("node-a")).await;
    // Other nodes' changes move the version on unseen; the bookmark says so.
    standin.apply(pod("b1", "node-b", "10.244.2.1", "2026-11-30T10:00:00Z"));
    standin.apply(pod("b2", "node-b", "10.244.2.2", "2026-11-30T10:00:00Z"));
    standin.bookmark();
    standin.end_watches();
    let watches = || standin.requests().into_iter().filter(|r| r.contains("watch=true")).collect::<Vec<_>>();
    until("a second watch", || watches().len() == 2).await;
    assert!(watches()[1].ends_with("&resourceVersion=3"), "{:?}", watches());
    assert_eq!(inf.health().lists, 1);
}

#[tokio::test]
async fn a_410_gone_makes_the_informer_relist_and_recover() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply(sample(CHECKOUT));
    standin.apply(pod("cart", "node-a", "10.244.1.30", "2026-11-30T10:00:00Z"));
    let (inf, _cancel) = informer(&standin, None).await;
    assert!(inf.by_uid("uid-cart").is_some());

    // The cart pod's deletion is lost to compaction: only a relist shows it.
    standin.forget("uid-cart");
    standin.gone();
    until("a second list", || inf.health().lists == 2).await;
    assert!(inf.by_uid("uid-cart").is_none(), "the relisted cache replaces the old one");
    assert_eq!(name_at(&inf, "10.244.1.30"), None);
    let error = inf.health().last_error.unwrap();
    assert!(error.contains("too old resource version"), "{error}");

    standin.apply(pod("late", "node-a", "10.244.1.31", "2026-11-30T11:00:00Z"));
    until("events after the relist", || name_at(&inf, "10.244.1.31").is_some()).await;
    let lists = standin.requests().iter().filter(|r| !r.contains("watch=")).count();
    assert_eq!(lists, 2);
    let rendered = selfmetrics::render();
    let series = |name: &str| format!("{name}{{component_id=\"{}\"}} ", standin.url());
    let lists = series("solder_kubernetes_pod_lists_total");
    let errors = series("solder_kubernetes_pod_watch_errors_total");
    assert!(rendered.lines().any(|l| l.starts_with(&lists) && l.ends_with(" 2")), "{rendered}");
    assert!(rendered.lines().any(|l| l.starts_with(&errors) && l.ends_with(" 1")), "{rendered}");
}

#[tokio::test]
async fn an_ip_reused_by_a_new_pod_names_only_the_new_pod() {
    let standin = KubeStandin::start().await.unwrap();
    let old = pod("old", "node-a", "10.244.1.50", "2026-11-30T08:00:00Z");
    standin.apply(old.clone());
    let (inf, _cancel) = informer(&standin, None).await;

    // The new pod's ADDED comes before the old pod's last update and its
    // DELETED, as the API allows.
    standin.apply(pod("new", "node-a", "10.244.1.50", "2026-11-30T09:00:00Z"));
    until("the new pod", || inf.by_uid("uid-new").is_some()).await;
    assert_eq!(name_at(&inf, "10.244.1.50").as_deref(), Some("new"));
    let mut terminating = old;
    terminating["metadata"]["deletionTimestamp"] = json!("2026-11-30T09:00:01Z");
    terminating["metadata"]["labels"]["phase-out"] = json!("true");
    standin.apply(terminating);
    until("the old pod's last update", || inf.by_uid("uid-old").is_some_and(|p| p.labels.contains_key("phase-out"))).await;
    assert_eq!(name_at(&inf, "10.244.1.50").as_deref(), Some("new"));
    standin.delete("uid-old");
    until("the old pod's DELETED", || inf.by_uid("uid-old").is_none()).await;
    assert_eq!(name_at(&inf, "10.244.1.50").as_deref(), Some("new"));
}

#[tokio::test]
async fn host_network_pods_are_found_by_uid_but_not_by_ip() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply(sample(KUBE_PROXY));
    let (inf, _cancel) = informer(&standin, Some("node-a")).await;
    assert!(inf.by_uid("e3a1c9d2-7b64-4f1a-b2c8-91d0e4f5a6b7").is_some());
    assert_eq!(name_at(&inf, "10.0.0.11"), None, "the node's IP is not kube-proxy's");
}

#[test]
fn a_late_deleted_for_the_old_pod_keeps_the_new_pods_ip() {
    let mk = |name: &str, created: &str| {
        let meta = PodMeta::from_pod(serde_json::from_value(pod(name, "n", "10.1.1.1", created)).unwrap());
        meta.unwrap()
    };
    let mut cache = PodCache::default();
    cache.apply(mk("old", "2026-01-01T00:00:00Z"));
    cache.apply(mk("new", "2026-01-02T00:00:00Z"));
    cache.delete("uid-old");
    assert_eq!(cache.by_ip(&ip("10.1.1.1")).unwrap().name, "new");
    // The other way round: the new pod's IP entry survives the old one's
    // replay, and goes back to no one when the new pod goes.
    cache.apply(mk("old", "2026-01-01T00:00:00Z"));
    assert_eq!(cache.by_ip(&ip("10.1.1.1")).unwrap().name, "new");
    cache.delete("uid-new");
    assert_eq!(cache.by_ip(&ip("10.1.1.1")).unwrap().name, "old", "the remaining claimant");
    cache.delete("uid-old");
    assert_eq!(cache.by_ip(&ip("10.1.1.1")), None);
}

#[tokio::test]
async fn health_is_failing_while_the_api_fails_and_recovers_with_the_next_event() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply(sample(CHECKOUT));
    let (inf, _cancel) = informer(&standin, None).await;
    assert!(!inf.health().failing);

    standin.set_failing(true);
    standin.end_watches();
    until("the failed re-watch", || inf.health().failing).await;
    let h = inf.health();
    assert!(h.synced, "the cache stays usable while the API fails");
    assert!(h.last_error.as_deref().unwrap_or_default().contains("500"), "{h:?}");

    standin.set_failing(false);
    standin.apply(pod("cart", "node-a", "10.244.1.30", "2026-11-30T10:00:00Z"));
    until("the watch to recover", || inf.by_uid("uid-cart").is_some()).await;
    let h = inf.health();
    assert!(!h.failing, "{h:?}");
    assert!(h.last_error.is_some(), "the error is kept for diagnosis");
    assert!(h.watch_errors >= 1);
}

/// An informer keeping deleted pods for `grace`.
async fn with_grace(standin: &KubeStandin, grace: Duration) -> (PodInformer, CancellationToken) {
    informer_with(standin, &InformerConfig { delete_grace: grace, ..InformerConfig::default() }).await
}

#[tokio::test]
async fn a_deleted_pod_stays_findable_for_its_grace_period() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply(pod("cart", "node-a", "10.244.1.30", "2026-11-30T10:00:00Z"));
    let (inf, _cancel) = with_grace(&standin, Duration::from_secs(1)).await;

    standin.delete("uid-cart");
    until("DELETED to reach the cache", || inf.with_cache(PodCache::deleted_len) == 1).await;
    // One look under one lock, so a sweep cannot fall between the checks.
    let name = |p: Option<Arc<PodMeta>>| p.map(|p| p.name.clone());
    let (live, by_uid, by_ip) = inf.with_cache(|c| (c.len(), name(c.by_uid("uid-cart")), name(c.by_ip(&ip("10.244.1.30")))));
    assert_eq!(by_uid.as_deref(), Some("cart"));
    assert_eq!(by_ip.as_deref(), Some("cart"), "in-flight telemetry is still enriched");
    assert_eq!(live, 0, "it is not live");
    until("the sweep after the grace period", || inf.by_uid("uid-cart").is_none()).await;
    assert_eq!(name_at(&inf, "10.244.1.30"), None);
    assert_eq!(inf.with_cache(PodCache::deleted_len), 0);
}

#[tokio::test]
async fn within_the_grace_period_a_live_pod_on_the_ip_wins() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply(pod("old", "node-a", "10.244.1.50", "2026-11-30T08:00:00Z"));
    standin.apply(pod("other", "node-a", "10.244.1.60", "2026-11-30T08:00:00Z"));
    let (inf, _cancel) = with_grace(&standin, Duration::from_secs(600)).await;

    // Deleted first, then its IP given to a new pod.
    standin.delete("uid-old");
    until("the old pod's DELETED", || inf.with_cache(PodCache::deleted_len) == 1).await;
    assert_eq!(name_at(&inf, "10.244.1.50").as_deref(), Some("old"));
    standin.apply(pod("new", "node-a", "10.244.1.50", "2026-11-30T09:00:00Z"));
    until("the new pod", || inf.by_uid("uid-new").is_some()).await;
    assert_eq!(name_at(&inf, "10.244.1.50").as_deref(), Some("new"));
    assert_eq!(inf.by_uid("uid-old").map(|p| p.name.clone()).as_deref(), Some("old"), "still found by UID");

    // The new pod first, then the old pod's DELETED.
    standin.apply(pod("next", "node-a", "10.244.1.60", "2026-11-30T09:00:00Z"));
    until("the next pod", || inf.by_uid("uid-next").is_some()).await;
    standin.delete("uid-other");
    until("the other pod's DELETED", || inf.with_cache(PodCache::deleted_len) == 2).await;
    assert_eq!(name_at(&inf, "10.244.1.60").as_deref(), Some("next"));

    // Both claimants deleted: the newer one keeps the IP.
    standin.delete("uid-next");
    until("the next pod's DELETED", || inf.with_cache(PodCache::deleted_len) == 3).await;
    assert_eq!(name_at(&inf, "10.244.1.60").as_deref(), Some("next"));
}

#[test]
fn the_grace_period_ends_at_the_first_sweep_after_it() {
    let mk = |name: &str, created: &str| PodMeta::from_pod(serde_json::from_value(pod(name, "n", "10.1.1.1", created)).unwrap()).unwrap();
    let t0 = Instant::now();
    let grace = Duration::from_secs(120);
    let mut cache = PodCache::with_grace(grace);
    cache.apply(mk("old", "2026-01-01T00:00:00Z"));
    cache.apply(mk("new", "2026-01-02T00:00:00Z"));
    cache.delete_at("uid-new", t0);
    cache.delete_at("uid-old", t0 + Duration::from_secs(60));
    assert_eq!(cache.by_ip(&ip("10.1.1.1")).unwrap().name, "new", "the newer of two deleted claimants");
    cache.sweep(t0 + grace - Duration::from_secs(1));
    assert_eq!(cache.deleted_len(), 2);
    cache.sweep(t0 + grace);
    assert_eq!(cache.by_uid("uid-new"), None);
    assert_eq!(cache.by_ip(&ip("10.1.1.1")).unwrap().name, "old", "the IP passes to the remaining deleted claimant");
    cache.sweep(t0 + grace + Duration::from_secs(60));
    assert_eq!(cache.by_ip(&ip("10.1.1.1")), None);
    assert_eq!(cache.deleted_len(), 0);
}

#[test]
fn a_relist_gives_pods_it_no_longer_shows_their_grace_period() {
    let mk = |name: &str, ip: &str| PodMeta::from_pod(serde_json::from_value(pod(name, "n", ip, "2026-01-01T00:00:00Z")).unwrap()).unwrap();
    let now = Instant::now();
    let mut cache = PodCache::with_grace(Duration::from_secs(120));
    cache.apply(mk("kept", "10.1.1.1"));
    cache.apply(mk("vanished", "10.1.1.2"));
    cache.apply(mk("deleted", "10.1.1.3"));
    cache.delete_at("uid-deleted", now);
    let mut listed = cache.fresh();
    listed.apply(mk("kept", "10.1.1.1"));
    let relisted = cache.relisted(listed, now);
    assert_eq!(relisted.len(), 1);
    assert_eq!(relisted.deleted_len(), 2);
    assert_eq!(relisted.by_ip(&ip("10.1.1.2")).unwrap().name, "vanished", "its DELETED was lost to compaction");
    assert_eq!(relisted.by_ip(&ip("10.1.1.3")).unwrap().name, "deleted");
    let mut no_grace = PodCache::default();
    no_grace.apply(mk("vanished", "10.1.1.2"));
    let relisted = no_grace.relisted(no_grace.fresh(), now);
    assert_eq!(relisted.by_uid("uid-vanished"), None, "without a grace period a relist forgets at once");
}

#[test]
fn ten_thousand_pods_cost_a_bounded_cache() {
    let pods: Vec<PodMeta> = (0..10_000u32)
        .map(|i| {
            let addr = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            let p = pod(&format!("pod-{i}"), "node-a", &addr, "2026-11-30T08:00:00Z");
            PodMeta::from_pod(serde_json::from_value(p).unwrap()).unwrap()
        })
        .collect();
    let cache = PodCache::from_pods(pods);
    assert_eq!(cache.len(), 10_000);
    assert_eq!(cache.ip_entries(), 10_000);
    assert_eq!(cache.by_ip(&ip("10.0.39.15")).unwrap().name, "pod-9999");
    let bytes = cache.heap_bytes();
    println!("10,000 pods: ~{} KiB in the cache, ~{} B a pod", bytes / 1024, bytes / 10_000);
    // Keeping only the keys a processor's rules read (here: none of the
    // annotations, and the labels that name a Deployment and a service).
    let labels = super::Keep::none().key("pod-template-hash").key("app.kubernetes.io/name");
    let slim = PodCache::from_pods((0..10_000u32).filter_map(|i| cache.by_uid(&format!("uid-pod-{i}"))).map(|p| {
        let mut p = (*p).clone();
        labels.retain(&mut p.labels);
        super::Keep::none().retain(&mut p.annotations);
        p
    }));
    assert_eq!(slim.len(), 10_000);
    let kept = slim.heap_bytes();
    println!("10,000 pods, unread keys dropped: ~{} KiB, ~{} B a pod", kept / 1024, kept / 10_000);
    assert!(kept < bytes);
}

#[tokio::test]
async fn a_kubeconfig_context_chosen_explicitly_reaches_its_cluster() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply(sample(CHECKOUT));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let text = include_str!("testdata/kubeconfig.yaml").replace("STANDIN_URL", &standin.url());
    std::fs::write(&path, text).unwrap();
    let auth = AuthType::KubeConfig { path: Some(path), context: Some("standin".into()) };
    let client = client(&auth).await.unwrap();
    let cancel = CancellationToken::new();
    let inf = PodInformer::start(client, &InformerConfig::default(), None, cancel.clone());
    until("a list through the kubeconfig's context", || inf.health().synced).await;
    assert!(inf.by_uid("5b7c1e2a-8f1d-4c33-9a0e-2f6d1b9c4a10").is_some());
    cancel.cancel();
}

#[tokio::test]
async fn auth_errors_name_the_auth_type() {
    assert!(AuthType::parse("token").unwrap_err().contains("\"serviceAccount\", \"kubeConfig\" or \"none\""));
    let auth = AuthType::KubeConfig { path: Some("/nonexistent/kubeconfig".into()), context: None };
    let err = client(&auth).await.err().unwrap();
    assert!(err.starts_with("auth_type \"kubeConfig\""), "{err}");
}

/// A watch that reopens on a quiet cluster sends no event; an informer
/// whose last error is older than kube's longest backoff has recovered.
#[test]
fn failing_clears_once_errors_stop_for_longer_than_the_longest_backoff() {
    use std::time::{Duration, Instant};
    let informed = super::watch_loop::Informed::new(PodCache::default());
    let fail_at = |at: Instant| {
        let mut h = crate::sync::lock(&informed.health);
        h.failing = true;
        h.last_error_at = Some(at);
    };
    fail_at(Instant::now());
    assert!(informed.health().failing);
    let Some(long_ago) = Instant::now().checked_sub(Duration::from_secs(40)) else { return };
    fail_at(long_ago);
    assert!(!informed.health().failing);
}

/// A connection refused says so in health, not only "client error (Connect)".
#[tokio::test]
async fn a_refused_connection_is_named_in_the_last_error() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = client(&AuthType::None { url: Some(url) }).await.unwrap();
    let cancel = CancellationToken::new();
    let inf = PodInformer::start(client, &InformerConfig::default(), None, cancel.clone());
    until("an error", || inf.health().last_error.is_some()).await;
    let err = inf.health().last_error.unwrap_or_default();
    assert!(err.to_lowercase().contains("connection refused"), "{err}");
    cancel.cancel();
}
