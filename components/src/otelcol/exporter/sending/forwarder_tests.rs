//! A sending worker that dies with a request in hand.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::forwarder::Forwarder;
use super::testkit::traces;
use super::{Payload, RetryOnFailure, SendFuture, SendingQueue, Transport};
use crate::harness::eventually;
use crate::otlp::Signal;
use crate::selfmetrics::ComponentMetrics;

/// Panics on its first attempt (a bug in a transport, or in code it calls),
/// then delivers, counting what it delivered.
#[derive(Default)]
struct PanicsOnce {
    attempts: AtomicUsize,
    delivered: AtomicUsize,
}

impl Transport for Arc<PanicsOnce> {
    fn endpoint(&self) -> &str {
        "test"
    }

    fn destination(&self, _signal: Signal) -> &str {
        "test"
    }

    fn send<'a>(&'a self, payload: &'a Payload) -> SendFuture<'a> {
        Box::pin(async move {
            if self.attempts.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("a transport bug");
            }
            self.delivered.fetch_add(payload.items(), Ordering::SeqCst);
            Ok(())
        })
    }
}

#[tokio::test]
async fn a_worker_that_panics_puts_its_request_back_and_is_replaced() {
    let transport = Arc::new(PanicsOnce::default());
    let queue = SendingQueue { num_consumers: 1, ..SendingQueue::default() };
    let forwarder = Arc::new(Forwarder::new(&ComponentMetrics::new("test"), Arc::clone(&transport), queue, RetryOnFailure::default()));
    let stop = CancellationToken::new();
    let run = tokio::spawn(Arc::clone(&forwarder).run(stop.clone()));
    forwarder.accept(traces(5)).await.unwrap();
    eventually("the request to be delivered by a new worker", || async { transport.delivered.load(Ordering::SeqCst) == 5 }).await;
    assert_eq!(transport.attempts.load(Ordering::SeqCst), 2, "one attempt panicked, the next delivered");
    forwarder.accept(traces(3)).await.unwrap();
    eventually("the worker to carry on", || async { transport.delivered.load(Ordering::SeqCst) == 8 }).await;
    stop.cancel();
    run.await.unwrap();
}

/// Fails every attempt while `down`, after `delay`; counts what it delivered.
#[derive(Default)]
struct Flaky {
    down: std::sync::atomic::AtomicBool,
    attempts: AtomicUsize,
    delivered: AtomicUsize,
}

impl Transport for Arc<Flaky> {
    fn endpoint(&self) -> &str {
        "flaky"
    }

    fn destination(&self, _signal: Signal) -> &str {
        "flaky"
    }

    fn send<'a>(&'a self, payload: &'a Payload) -> SendFuture<'a> {
        Box::pin(async move {
            self.attempts.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            if self.down.load(Ordering::SeqCst) {
                return Err(super::SendError::retryable("down"));
            }
            self.delivered.fetch_add(payload.items(), Ordering::SeqCst);
            Ok(())
        })
    }
}

/// A retired forwarder gives back its queue, the requests it was retrying,
/// and whatever it is given later; it sends nothing more and drops nothing.
#[tokio::test]
async fn a_retired_forwarder_hands_back_everything_it_holds() {
    let transport = Arc::new(Flaky::default());
    transport.down.store(true, Ordering::SeqCst);
    let queue = SendingQueue { num_consumers: 2, ..SendingQueue::default() };
    let retry = RetryOnFailure { initial_interval: crate::types::Duration(std::time::Duration::from_millis(5)), ..RetryOnFailure::default() };
    let metrics = ComponentMetrics::new("test.retire");
    let forwarder = Arc::new(Forwarder::new(&metrics, Arc::clone(&transport), queue, retry));
    let stop = CancellationToken::new();
    let run = tokio::spawn(Arc::clone(&forwarder).run(stop.clone()));
    for n in 1..=6 {
        forwarder.accept(traces(n)).await.unwrap();
    }
    eventually("both workers retrying", || async { transport.attempts.load(Ordering::SeqCst) >= 4 }).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    forwarder.retire(tx);
    forwarder.accept(traces(10)).await.unwrap();
    stop.cancel();
    run.await.unwrap();
    let mut back = Vec::new();
    while let Ok(p) = rx.try_recv() {
        back.push(p.items());
    }
    back.sort();
    assert_eq!(back, vec![1, 2, 3, 4, 5, 6, 10], "queued, in retry and later requests all come back");
    let attempts = transport.attempts.load(Ordering::SeqCst);
    transport.down.store(false, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert_eq!(transport.attempts.load(Ordering::SeqCst), attempts);
    assert_eq!(transport.delivered.load(Ordering::SeqCst), 0);
    let info = forwarder.debug_info();
    let solder_syntax::Value::Object(o) = info else { panic!() };
    assert_eq!(format!("{:?}", o.get("send_failed")), format!("{:?}", o.get("sent")), "nothing counted failed (or sent)");
}
