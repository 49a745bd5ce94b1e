//! What the in-memory queue refuses: batches past its capacity, and
//! samples older than `sample_age_limit`; and the one large batch it takes
//! whole when empty, to send in pieces.

use std::sync::Arc;

use super::fixtures::{endpoint, family, gauges, number, stat};
use super::sink::Sink;
use super::{built, running};
use crate::harness::until;
use crate::prometheus::remote_write::sender;
use crate::prometheus::{Batch, MetricType};

#[tokio::test]
async fn a_full_queue_refuses_batches_and_counts_them() {
    // Not running: nothing drains the queue.
    let rw = built("prometheus.remote_write.full", &endpoint("http://127.0.0.1:9/push", "queue_config {\n capacity = 10\n }"));
    rw.receiver().0.append(gauges("a", 6)).unwrap();
    let err = rw.receiver().0.append(gauges("b", 6)).unwrap_err();
    assert!(err.contains("queue is full") && err.contains("dropped 6 samples"), "{err}");
    let err = rw.receiver().0.append(gauges("c", 11)).unwrap_err();
    assert!(err.contains("larger than the whole queue"), "{err}");
    rw.receiver().0.append(gauges("d", 4)).unwrap();
    for _ in 0..1000 {
        let _ = rw.receiver().0.append(gauges("e", 3));
    }
    assert_eq!(stat(&rw.component, 0, "queue_samples"), 10, "the queue never holds more than its capacity");
    assert_eq!(stat(&rw.component, 0, "samples_dropped"), 6 + 11 + 3000);
}

#[tokio::test]
async fn old_samples_are_dropped_by_sample_age_limit() {
    let (sink, url) = Sink::start(vec![]).await;
    let queue = "queue_config {\n batch_send_deadline = \"5ms\"\n sample_age_limit = \"1h\"\n }";
    let rw = running("prometheus.remote_write.age", &endpoint(&url, queue));
    let series = vec![number(&[("age", "old")], 1.0, Some(sender::unix_ms() - 7_200_000)), number(&[("age", "new")], 2.0, None)];
    rw.receiver().0.append(Arc::new(Batch { families: vec![family("g", MetricType::Gauge, series)] })).unwrap();
    until("the new sample", || sink.series().len() == 1).await;
    assert!(sink.series()[0].0.contains("new"));
    assert_eq!(stat(&rw.component, 0, "samples_dropped"), 1);
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
