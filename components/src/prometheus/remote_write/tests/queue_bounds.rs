//! The in-memory queue's bounds: batches past its capacity wait in the
//! WAL; samples older than `sample_age_limit` are dropped when a request
//! is built and again before each retry; and the one large batch it takes
//! whole when empty is sent in pieces.

use std::sync::Arc;

use super::fixtures::{endpoint, family, gauges, number, stat};
use super::sink::Sink;
use super::{built, running};
use crate::harness::until;
use crate::prometheus::remote_write::sender;
use crate::prometheus::{Batch, MetricType};
use crate::selfmetrics;

/// A full queue refuses nothing: what does not fit waits in the WAL, and
/// the sender reads it back, in order, once the queue drains.
#[tokio::test]
async fn a_full_queue_leaves_the_rest_in_the_wal_and_reads_it_back() {
    let (sink, url) = Sink::start(vec![]).await;
    let queue = "queue_config {\n capacity = 10\n max_samples_per_send = 4\n batch_send_deadline = \"5ms\"\n }";
    // Not running yet: nothing drains the queue.
    let mut rw = built("prometheus.remote_write.full", &endpoint(&url, queue));
    rw.receiver().0.append(gauges("a", 6)).unwrap();
    rw.receiver().0.append(gauges("b", 6)).unwrap();
    rw.receiver().0.append(gauges("c", 11)).unwrap();
    for i in 0..100 {
        rw.receiver().0.append(gauges(&format!("e{i}"), 3)).unwrap();
    }
    assert_eq!(stat(&rw.component, 0, "queue_samples"), 6, "the queue holds what fits; b did not, so nothing after it entered");
    assert_eq!(stat(&rw.component, 0, "samples_unsent"), 6 + 6 + 11 + 300, "queued or not, all of it is unsent");
    rw.run();
    until("every sample", || sink.series().len() >= 323).await;
    let mut names: Vec<String> = sink.series().into_iter().map(|(labels, _)| labels).collect();
    let in_order: Vec<String> = names.iter().map(|l| l.split('"').nth(1).unwrap_or_default().to_string()).collect();
    let mut deduped = in_order.clone();
    deduped.dedup();
    assert_eq!(deduped.len(), 103, "each batch arrives whole and in WAL order: {deduped:?}");
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 323, "nothing twice");
    until("all counted", || stat(&rw.component, 0, "samples_sent") == 323).await;
    assert_eq!(stat(&rw.component, 0, "samples_dropped"), 0);
    rw.stop().await;
}

#[tokio::test]
async fn old_samples_are_dropped_by_sample_age_limit() {
    let (sink, url) = Sink::start(vec![]).await;
    let queue = "queue_config {\n batch_send_deadline = \"5ms\"\n sample_age_limit = \"1h\"\n }";
    let rw = running("prometheus.remote_write.age", &endpoint(&url, queue));
    let series = vec![number(&[("age", "old")], 1.0, Some(sender::unix_ms() - 7_200_000)), number(&[("age", "new")], 2.0, None)];
    rw.receiver().0.append(Arc::new(Batch::new(vec![family("g", MetricType::Gauge, series)]))).unwrap();
    until("the new sample", || sink.series().len() == 1).await;
    assert!(sink.series()[0].0.contains("new"));
    assert_eq!(stat(&rw.component, 0, "samples_dropped"), 1);
    let line = r#"prometheus_remote_storage_samples_dropped_total{component_id="prometheus.remote_write.age",remote_name="#;
    let too_old = |l: &&str| l.starts_with(line) && l.contains(r#"reason="too_old""#) && l.ends_with(" 1");
    assert!(selfmetrics::render().lines().any(|l| too_old(&l)), "{}", selfmetrics::render());
    rw.stop().await;
}

/// A sample young enough when its request is built but past
/// `sample_age_limit` by the time the request is retried is dropped before
/// the retry, as Prometheus does: sent + dropped = appended.
#[tokio::test]
async fn samples_that_age_out_while_retrying_are_dropped_before_the_retry() {
    // The first answer makes the sender wait 3 s: the 8 s old sample is then
    // past the 10 s limit, the fresh one is not. The stale one never goes,
    // and is counted once, not again at the retry.
    let (sink, url) = Sink::start(vec![(503, vec![("retry-after", "3")])]).await;
    let queue = "queue_config {\n batch_send_deadline = \"5ms\"\n sample_age_limit = \"10s\"\n }";
    let rw = running("prometheus.remote_write.age_retry", &endpoint(&url, queue));
    let now = sender::unix_ms();
    let series = vec![
        number(&[("age", "stale")], 0.0, Some(now - 20_000)),
        number(&[("age", "ageing")], 1.0, Some(now - 8_000)),
        number(&[("age", "fresh")], 2.0, None),
    ];
    rw.receiver().0.append(Arc::new(Batch::new(vec![family("g", MetricType::Gauge, series)]))).unwrap();
    until("the retried request", || sink.accepted().len() == 1).await;
    let first = sink.seen.lock().unwrap()[0].request.timeseries.len();
    assert_eq!(first, 2, "both samples were young enough for the first attempt");
    let retried: Vec<String> = sink.series().into_iter().map(|(labels, _)| labels).collect();
    assert_eq!(retried, [r#"{__name__="g",age="fresh"}"#], "the aged sample is not sent again");
    until("counted", || stat(&rw.component, 0, "samples_sent") == 1).await;
    assert_eq!((stat(&rw.component, 0, "samples_too_old"), stat(&rw.component, 0, "samples_failed")), (2, 0), "balance: 3 = 1 sent + 2 too old");
    rw.stop().await;
}

/// A flush larger than the whole queue (span metrics' histograms can be)
/// is taken into an empty queue and sent in pieces, not dropped.
#[tokio::test]
async fn a_batch_larger_than_the_queue_is_sent_in_pieces() {
    let (sink, url) = Sink::start(vec![]).await;
    let queue = "queue_config {\n capacity = 10\n max_samples_per_send = 4\n batch_send_deadline = \"5ms\"\n }";
    let rw = running("prometheus.remote_write.large", &endpoint(&url, queue));
    rw.receiver().0.append(gauges("big", 25)).unwrap();
    until("all 25 series", || sink.series().len() == 25).await;
    assert!(sink.accepted().len() >= 7, "in pieces of at most 4: {} requests", sink.accepted().len());
    assert!(sink.accepted().iter().all(|r| r.timeseries.len() <= 4));
    assert_eq!(stat(&rw.component, 0, "samples_dropped"), 0);
    rw.stop().await;
}
