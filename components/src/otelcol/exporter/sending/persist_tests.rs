//! The persistent sending queue: what survives a crash, a shutdown with
//! the backend down, damage on disk, a full disk, and a change of storage.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::forwarder::Forwarder;
use super::persist::Disk;
use super::queue::{ExportQueue, Rejected};
use super::testkit::traces;
use super::{Payload, RetryOnFailure, SendError, SendFuture, SendingQueue, Sizer, Transport};
use crate::harness::eventually;
use crate::otelcol::storage::file::StorageHandler;
use crate::otlp::Signal;
use crate::selfmetrics::{ComponentMetrics, Gauge};

fn handler(dir: &std::path::Path) -> StorageHandler {
    StorageHandler::new(dir.to_path_buf(), Duration::from_millis(200), false)
}

fn queue_on(h: &StorageHandler) -> ExportQueue {
    let q = ExportQueue::new(1000, Sizer::Requests, Gauge::default(), Gauge::default());
    let opened = Disk::open(h, "otelcol.exporter.otlp.test").unwrap();
    q.set_storage(Some(opened.disk), opened.requests);
    q
}

/// Item counts of what a reopen finds, in order.
fn reopened(h: &StorageHandler) -> Vec<usize> {
    let opened = Disk::open(h, "otelcol.exporter.otlp.test").unwrap();
    opened.requests.iter().map(|(p, _)| p.items()).collect()
}

fn pop(q: &ExportQueue) -> super::queue::Taken {
    match q.try_pop() {
        Some(Ok(t)) => t,
        _ => panic!("expected a request"),
    }
}

/// A crash (the queue dropped without any shutdown): what was settled is
/// gone, what was in flight or waiting comes back, in order.
#[test]
fn a_crash_keeps_everything_not_settled_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let h = handler(dir.path());
    let q = queue_on(&h);
    for n in 1..=4 {
        q.try_push(traces(n)).unwrap();
    }
    pop(&q).settle();
    let in_flight = pop(&q);
    assert_eq!(in_flight.payload.items(), 2);
    drop(q);
    drop(in_flight); // the process died with it in hand: never settled
    assert_eq!(reopened(&h), vec![2, 3, 4]);
}

/// Requests past the memory share are read back from disk when their turn
/// comes, and arrive whole.
#[test]
fn requests_beyond_the_memory_share_come_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_on(&handler(dir.path()));
    q.set_memory_share(1);
    for n in 1..=3 {
        q.try_push(traces(n * 10)).unwrap();
    }
    for n in 1..=3 {
        let t = pop(&q);
        assert_eq!(t.payload.items(), n * 10);
        assert!(t.payload.bytes().len() > 100);
        t.settle();
    }
}

#[test]
fn a_full_disk_refuses_with_the_request_and_the_queue_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let h = handler(dir.path());
    let q = queue_on(&h);
    q.try_push(traces(1)).unwrap();
    let disk = q.disk().unwrap();
    disk.fill_at(Some(64));
    match q.try_push(traces(50)) {
        Err(Rejected::Storage(p, e)) => {
            assert_eq!(p.items(), 50);
            assert_eq!(e.raw_os_error(), Some(28), "{e}");
        }
        other => panic!("expected a storage refusal, got {:?}", other.map(|_| ())),
    }
    disk.fill_at(None);
    q.try_push(traces(3)).unwrap();
    drop((q, disk));
    assert_eq!(reopened(&h), vec![1, 3]);
}

/// A flipped byte in one request's record costs that request only.
#[test]
fn damage_on_disk_costs_only_the_damaged_request() {
    let dir = tempfile::tempdir().unwrap();
    let h = handler(dir.path());
    let q = queue_on(&h);
    for n in 1..=3 {
        q.try_push(traces(n)).unwrap();
    }
    drop(q);
    let seg_dir = dir.path().join("otelcol.exporter.otlp.test");
    let seg = std::fs::read_dir(&seg_dir).unwrap().map(|e| e.unwrap().path()).find(|p| p.extension().is_some_and(|e| e == "seg")).unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    let len = bytes.len();
    bytes[len / 2] ^= 0xff;
    std::fs::write(&seg, bytes).unwrap();
    let opened = Disk::open(&h, "otelcol.exporter.otlp.test").unwrap();
    assert_eq!(opened.damage.len(), 1, "{:?}", opened.damage);
    assert_eq!(opened.requests.len(), 2);
}

#[test]
fn moving_to_and_from_storage_keeps_what_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let h = handler(dir.path());
    let q = ExportQueue::new(1000, Sizer::Requests, Gauge::default(), Gauge::default());
    q.try_push(traces(1)).unwrap();
    q.try_push(traces(2)).unwrap();
    let opened = Disk::open(&h, "otelcol.exporter.otlp.test").unwrap();
    q.set_storage(Some(opened.disk), opened.requests);
    q.try_push(traces(3)).unwrap();
    assert_eq!(reopened_while_open(&q), 3);
    // Back to memory: the disk is emptied (settled), the queue keeps all.
    q.set_storage(None, Vec::new());
    let items: Vec<usize> = std::iter::from_fn(|| q.try_pop()).map(|t| t.ok().map_or(0, |t| t.payload.items())).collect();
    assert_eq!(items, vec![1, 2, 3]);
    assert!(reopened(&h).is_empty());
}

fn reopened_while_open(q: &ExportQueue) -> usize {
    q.depth().0
}

/// Refuses every attempt while `down`, counting what it delivered.
#[derive(Default)]
struct Backend {
    down: AtomicBool,
    delivered: AtomicUsize,
}

impl Transport for Arc<Backend> {
    fn endpoint(&self) -> &str {
        "test"
    }

    fn destination(&self, _signal: Signal) -> &str {
        "test"
    }

    fn send<'a>(&'a self, payload: &'a Payload) -> SendFuture<'a> {
        Box::pin(async move {
            if self.down.load(Ordering::SeqCst) {
                return Err(SendError::retryable("connection refused"));
            }
            self.delivered.fetch_add(payload.items(), Ordering::SeqCst);
            Ok(())
        })
    }
}

fn forwarder(h: &StorageHandler, backend: &Arc<Backend>, metrics: &ComponentMetrics) -> Arc<Forwarder<Arc<Backend>>> {
    let f = Arc::new(Forwarder::new(metrics, Arc::clone(backend), SendingQueue::default(), RetryOnFailure::default()));
    f.want_storage(Some(h.clone()));
    f.open_storage();
    f
}

/// A shutdown while the backend is down drops nothing: the requests stay
/// on disk, and the next start sends them.
#[tokio::test]
async fn a_shutdown_with_the_backend_down_keeps_the_queue_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let h = handler(dir.path());
    let backend = Arc::new(Backend::default());
    backend.down.store(true, Ordering::SeqCst);
    let metrics = ComponentMetrics::new("otelcol.exporter.otlp.test");
    let f = forwarder(&h, &backend, &metrics);
    let stop = CancellationToken::new();
    let run = tokio::spawn(Arc::clone(&f).run(stop.clone()));
    for n in [5, 7, 11] {
        f.accept(traces(n)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.cancel();
    run.await.unwrap();
    let info = f.debug_info().to_string();
    assert!(info.contains("send_failed = { log_records = 0, metric_points = 0, spans = 0 }"), "nothing counted as dropped: {info}");
    drop(f);
    assert_eq!(reopened(&h), vec![5, 7, 11]);

    backend.down.store(false, Ordering::SeqCst);
    // The same component ID: the queue is found by it.
    let f = forwarder(&h, &backend, &metrics);
    let stop = CancellationToken::new();
    let run = tokio::spawn(Arc::clone(&f).run(stop.clone()));
    eventually("the requests kept on disk to be sent after the restart", || async { backend.delivered.load(Ordering::SeqCst) == 23 }).await;
    stop.cancel();
    run.await.unwrap();
    drop(f);
    assert!(reopened(&h).is_empty(), "delivered requests are not sent a third time");
}

/// One request held up (retrying) while many after it are delivered: the
/// delivered segments go anyway, because the held request is moved to the
/// newest segment. It is still sent once, from memory or from disk, and
/// after a crash it comes back once.
#[test]
fn a_request_held_up_does_not_keep_delivered_segments_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let h = handler(dir.path()).with_segment_bytes(8192);
    for crash in [false, true] {
        let q = queue_on(&h);
        q.set_memory_share(0);
        q.try_push(traces(5)).unwrap();
        q.try_push(traces(7)).unwrap();
        let held = pop(&q);
        let seven = pop(&q);
        for _ in 0..300 {
            q.try_push(traces(20)).unwrap();
            pop(&q).settle();
        }
        // Back in the queue with its bytes on disk only (no memory share).
        q.unshift(seven);
        let disk = q.disk().unwrap();
        assert!(disk.bytes() < 3 * 8192, "{} bytes on disk for two queued requests of a few hundred bytes", disk.bytes());
        let seven = pop(&q);
        assert_eq!(seven.payload.items(), 7, "read back from where it was moved to");
        seven.settle();
        if crash {
            drop((held, q, disk));
            assert_eq!(reopened(&h), vec![5], "the held request comes back once");
        } else {
            assert_eq!(held.payload.items(), 5);
            held.settle();
            assert!(disk.bytes() < 8192 / 4, "all delivered: {} bytes left on disk", disk.bytes());
            drop((q, disk));
            assert!(reopened(&h).is_empty(), "a moved request settles where it is now");
        }
    }
}
