//! Update and shutdown: an update keeps what is queued and follows the
//! new endpoint, and a stop flushes the queue but never waits on a dead
//! endpoint past the flush timeout; what it could not send stays in the
//! WAL (see `wal` for the restart that sends it).

use solder_syntax::Value;

use super::fixtures::{endpoint, gauges, stat, FAST};
use super::sink::Sink;
use super::{built, running};
use crate::component::HealthState;
use crate::harness::until;
use crate::otelcol::exporter::sending::forwarder::FLUSH_TIMEOUT;
use crate::selfmetrics;

#[tokio::test]
async fn update_keeps_queued_samples_and_swaps_the_endpoint() {
    let (sink, url) = Sink::start(vec![]).await;
    let dead = "http://127.0.0.1:9/push";
    let slow = "queue_config {\n batch_send_deadline = \"1h\"\n }";
    let mut rw = built(
        "prometheus.remote_write.update",
        &format!("{}\n{}", endpoint(dead, &format!("name = \"main\"\n{slow}")), endpoint("http://127.0.0.1:9/gone", slow)),
    );
    rw.receiver().0.append(gauges("queued", 5)).unwrap();
    assert_eq!((stat(&rw.component, 0, "queue_samples"), stat(&rw.component, 1, "queue_samples")), (5, 5));

    // Same name, new URL and settings; the unnamed endpoint is removed.
    let src = format!("external_labels = {{ \"env\" = \"new\" }}\n{}", endpoint(&url, &format!("name = \"main\"\n{FAST}")));
    rw.update(&src).unwrap_or_else(|d| panic!("update: {}", d.message));
    assert_eq!(stat(&rw.component, 0, "queue_samples"), 5, "queued samples survive the update");
    let gone = selfmetrics::render();
    let dropped = r#"prometheus_remote_storage_samples_dropped_total{component_id="prometheus.remote_write.update",remote_name="#;
    assert!(
        gone.lines().any(|l| l.starts_with(dropped) && l.contains("/gone") && l.contains(r#"reason="endpoint_removed""#) && l.ends_with(" 5")),
        "the removed endpoint's queue is counted as dropped:\n{gone}"
    );
    rw.run();
    rw.receiver().0.append(gauges("later", 1)).unwrap();
    until("all six", || sink.series().len() == 6).await;
    let series = sink.series();
    assert_eq!(series.iter().filter(|(l, _)| l.contains("queued")).count(), 5);
    assert!(series.iter().any(|(l, _)| l == r#"{__name__="later",env="new",i="0"}"#), "new external labels apply to new batches");
    let Value::Object(info) = rw.component.debug_info() else { panic!() };
    assert!(format!("{info:?}").contains(&url), "debug info shows the new URL: {info:?}");
    // The sink holds the samples before the sender has read its answer
    // and counted them sent: wait for the count.
    let sent = format!(r#"prometheus_remote_storage_samples_total{{component_id="prometheus.remote_write.update",remote_name="main",url="{url}"}} 6"#);
    until("the new URL's sent count", || selfmetrics::render().lines().any(|l| l == sent)).await;
    let metrics = selfmetrics::render();
    let old_pending =
        r#"prometheus_remote_storage_samples_pending{component_id="prometheus.remote_write.update",remote_name="main",url="http://127.0.0.1:9/push"} 0"#;
    assert!(metrics.lines().any(|l| l == old_pending), "the old URL's queue gauge is zeroed:\n{metrics}");
    rw.stop().await;
}

#[tokio::test]
async fn shutdown_flushes_what_is_queued() {
    let (sink, url) = Sink::start(vec![]).await;
    let rw = running("prometheus.remote_write.flush", &endpoint(&url, "queue_config {\n batch_send_deadline = \"1h\"\n }"));
    let receiver = rw.receiver();
    receiver.0.append(gauges("pending", 3)).unwrap();
    rw.stop().await;
    assert_eq!(sink.series().len(), 3);
    assert!(receiver.0.append(gauges("late", 1)).is_err(), "a stopped component refuses batches");
}

#[tokio::test]
async fn shutdown_gives_up_on_a_failing_endpoint_within_the_flush_timeout() {
    let failures = (0..100_000).map(|_| (500, vec![])).collect();
    let (sink, url) = Sink::start(failures).await;
    let rw = running("prometheus.remote_write.stuck", &endpoint(&url, FAST));
    rw.receiver().0.append(gauges("stuck", 4)).unwrap();
    until("a retry", || stat(&rw.component, 0, "retries") > 0).await;
    // The harness waits for the stop with a deadline, and fails past it: a
    // dead endpoint must not hold the stop for its remote_timeout (30s) per
    // request, let alone forever; the flush timeout fits well within.
    assert!(FLUSH_TIMEOUT * 2 <= crate::harness::DEADLINE);
    let component = rw.stop().await;
    assert_eq!(stat(&component, 0, "samples_failed"), 0, "not failed: kept in the WAL for the next start");
    assert_eq!(stat(&component, 0, "samples_unsent"), 4);
    assert!(sink.accepted().is_empty());
    assert_eq!(component.health().state, HealthState::Exited);
}

/// A request the endpoint never answers is cut off by the flush timeout
/// at shutdown, and stays in the WAL rather than counting as failed.
#[tokio::test]
async fn a_request_hanging_at_shutdown_stays_in_the_wal() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/push", listener.local_addr().unwrap());
    let held = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = std::sync::Arc::clone(&held);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            keep.lock().unwrap().push(socket);
        }
    });
    let rw = running("prometheus.remote_write.hanging", &endpoint(&url, FAST));
    rw.receiver().0.append(gauges("hanging", 3)).unwrap();
    until("the request sent", || !held.lock().unwrap().is_empty()).await;
    let component = rw.stop().await;
    assert_eq!((stat(&component, 0, "samples_failed"), stat(&component, 0, "samples_unsent")), (0, 3));
}
