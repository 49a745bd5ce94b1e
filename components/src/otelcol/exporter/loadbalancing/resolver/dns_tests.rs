//! The DNS resolver against a DNS server started in the test, run as the
//! exporter runs it: a task sending into a watch channel.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::standin::{DnsStandin, Mode};
use super::*;
use crate::harness::until;
use crate::otelcol::exporter::loadbalancing::resolver::running::Running;
use crate::otelcol::exporter::loadbalancing::resolver::ResolverArgs;

const INTERVAL: StdDuration = StdDuration::from_millis(100);

fn args(port: &str) -> Arguments {
    Arguments {
        hostname: "gateway-headless.obs.svc.cluster.local".to_string(),
        port: port.to_string(),
        interval: Duration(INTERVAL),
        timeout: Duration(StdDuration::from_millis(300)),
    }
}

/// A resolver asking `server`, run as the exporter runs it.
fn start(server: &DnsStandin, port: &str) -> Running {
    let metrics = ComponentMetrics::new(&format!("otelcol.exporter.loadbalancing.dns_{}", server.addr().port()));
    let resolver = DnsResolver::new(&args(port), &metrics).unwrap().with_nameserver(server.addr());
    Running::start(Arc::new(resolver), metrics)
}

#[tokio::test]
async fn every_a_and_aaaa_record_is_a_backend_sorted_with_ipv6_in_brackets() {
    let server = DnsStandin::start(&["10.0.0.2", "fd00::1", "10.0.0.1"]).await.unwrap();
    let mut r = start(&server, "4317");
    r.wait_for(&["10.0.0.1:4317", "10.0.0.2:4317", "[fd00::1]:4317"]).await;
    assert_eq!(r.backends(), 3);
    assert_eq!(r.updates(), 1);
    assert!(r.resolver.error().is_none());
}

#[tokio::test]
async fn a_record_added_then_removed_shows_up_within_an_interval() {
    let server = DnsStandin::start(&["10.0.0.1", "10.0.0.2"]).await.unwrap();
    let mut r = start(&server, "4317");
    r.wait_for(&["10.0.0.1:4317", "10.0.0.2:4317"]).await;

    // The records' TTL (300 s) is far past the wait's deadline: only a
    // lookup that asks the server each round sees the change.
    server.set(&["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    r.wait_for(&["10.0.0.1:4317", "10.0.0.2:4317", "10.0.0.3:4317"]).await;

    server.set(&["10.0.0.1", "10.0.0.3"]);
    r.wait_for(&["10.0.0.1:4317", "10.0.0.3:4317"]).await;
    assert_eq!(r.updates(), 3);
    assert_eq!(r.backends(), 2);
    let before = r.resolutions("true");
    until("a resolution that changes nothing", || r.resolutions("true") > before).await;
    assert_eq!(r.updates(), 3, "an unchanged set is not an update");
}

#[tokio::test]
async fn a_refusal_a_timeout_and_nxdomain_keep_the_last_set_and_count_as_failures() {
    let server = DnsStandin::start(&["10.0.0.1", "10.0.0.2"]).await.unwrap();
    let mut r = start(&server, "4317");
    let last = ["10.0.0.1:4317", "10.0.0.2:4317"];
    r.wait_for(&last).await;

    for (mode, records, why) in
        [(Mode::Refuse, &["10.0.0.9"][..], "REFUSED"), (Mode::Silent, &["10.0.0.9"][..], "timed out"), (Mode::Answer, &[][..], "NXDOMAIN")]
    {
        let failed = r.resolutions("false");
        server.set(records);
        server.set_mode(mode.clone());
        until("a failed resolution", || r.resolutions("false") >= failed + 2).await;
        assert_eq!(r.current(), Some(last.iter().map(|s| s.to_string()).collect()), "{mode:?} keeps the last set");
        let error = r.resolver.error().unwrap_or_default();
        assert!(error.contains("gateway-headless.obs.svc.cluster.local"), "{error}");
        assert!(error.contains(why), "{mode:?}: {error}");
        assert_eq!(r.backends(), 2);
    }

    server.set(&["10.0.0.1"]);
    server.set_mode(Mode::Answer);
    r.wait_for(&["10.0.0.1:4317"]).await;
    assert!(r.resolver.error().is_none(), "a good resolution clears the error");
}

#[tokio::test]
async fn a_name_server_that_never_answers_leaves_the_set_unresolved() {
    let server = DnsStandin::start(&["10.0.0.1"]).await.unwrap();
    server.set_mode(Mode::Silent);
    let r = start(&server, "4317");
    until("two failed resolutions", || r.resolutions("false") >= 2).await;
    assert_eq!(r.current(), None, "nothing resolved yet is None, not an empty ring");
    assert!(server.queries() >= 2);
}

#[tokio::test]
async fn shutdown_ends_the_run() {
    let server = DnsStandin::start(&["10.0.0.1"]).await.unwrap();
    let metrics = ComponentMetrics::new("otelcol.exporter.loadbalancing.dns_shutdown");
    let resolver = Arc::new(DnsResolver::new(&args("4317"), &metrics).unwrap().with_nameserver(server.addr()));
    let (tx, _rx) = watch::channel(None);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(resolver.run(tx, shutdown.clone()));
    shutdown.cancel();
    assert!(tokio::time::timeout(StdDuration::from_secs(2), task).await.is_ok());
}

#[test]
fn endpoints_are_spelled_as_the_collector_spells_them() {
    let ip = |s: &str| s.parse().unwrap();
    assert_eq!(endpoint(ip("10.1.2.3"), "4317"), "10.1.2.3:4317");
    assert_eq!(endpoint(ip("2001:db8::7"), "4317"), "[2001:db8::7]:4317");
    assert_eq!(endpoint(ip("::ffff:10.1.2.3"), "4317"), "10.1.2.3:4317", "Go's To4 turns a mapped address into IPv4");
    assert_eq!(endpoint(ip("10.1.2.3"), ""), "10.1.2.3");
    assert_eq!(endpoint(ip("2001:db8::7"), ""), "[2001:db8::7]");
}

#[test]
fn building_reads_and_opens_nothing() {
    let metrics = ComponentMetrics::new("otelcol.exporter.loadbalancing.dns_build");
    let resolver = ResolverArgs { dns: Some(args("4317")), ..ResolverArgs::default() }.build(&metrics).unwrap();
    assert_eq!(resolver.name(), "dns");
    assert!(resolver.error().is_none());

    let mut zero = args("4317");
    zero.interval = Duration(StdDuration::ZERO);
    let err = ResolverArgs { dns: Some(zero), ..ResolverArgs::default() }.build(&metrics).err().unwrap();
    assert!(err.message.contains("interval"), "{}", err.message);
}
