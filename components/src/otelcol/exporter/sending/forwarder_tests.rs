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
