//! What a failing endpoint gets: server errors and 429s are retried
//! (honouring Retry-After) without loss or duplicates, other 4xx drop the
//! batch, and health names the endpoint until a send succeeds.

use std::sync::atomic::Ordering;
use std::time::Duration;

use solder_syntax::Value;

use super::fixtures::{endpoint, gauges, stat, FAST};
use super::running;
use super::sink::Sink;
use crate::component::HealthState;
use crate::harness::until;

#[tokio::test]
async fn retries_server_errors_without_loss_or_duplicates() {
    let (sink, url) = Sink::start(vec![(500, vec![]), (503, vec![]), (500, vec![])]).await;
    let rw = running("prometheus.remote_write.retry", &endpoint(&url, &format!("name = \"main\"\n{FAST}")));
    for name in ["a", "b", "c"] {
        rw.receiver().0.append(gauges(name, 10)).unwrap();
    }
    until("all thirty series", || sink.series().len() >= 30).await;
    let mut names: Vec<String> = sink.series().into_iter().map(|(labels, _)| labels).collect();
    let total = names.len();
    names.sort();
    names.dedup();
    assert_eq!((total, names.len()), (30, 30), "no series lost or sent twice");
    assert!(stat(&rw.component, 0, "retries") >= 3);
    assert!(stat(&rw.component, 0, "samples_retried") >= 3);
    assert_eq!(stat(&rw.component, 0, "samples_failed"), 0);
    until("healthy again", || rw.health().state == HealthState::Healthy).await;
    rw.stop().await;
}

#[tokio::test]
async fn health_names_the_failing_endpoint_until_a_send_succeeds() {
    let failures = (0..400).map(|_| (500, vec![])).collect();
    let (sink, url) = Sink::start(failures).await;
    let queue = "queue_config {\n batch_send_deadline = \"5ms\"\n min_backoff = \"5ms\"\n max_backoff = \"5ms\"\n }";
    let rw = running("prometheus.remote_write.health", &endpoint(&url, &format!("name = \"mimir\"\n{queue}")));
    rw.receiver().0.append(gauges("up", 1)).unwrap();
    until("unhealthy", || rw.health().state == HealthState::Unhealthy).await;
    let message = rw.health().message;
    assert!(message.contains("endpoint mimir") && message.contains("HTTP status 500"), "{message}");
    sink.script.lock().unwrap().clear();
    until("delivered", || !sink.accepted().is_empty()).await;
    until("healthy", || rw.health().state == HealthState::Healthy).await;
    rw.stop().await;
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let (sink, url) = Sink::start(vec![(429, vec![("retry-after", "1")])]).await;
    let rw = running("prometheus.remote_write.429", &endpoint(&url, FAST));
    rw.receiver().0.append(gauges("up", 2)).unwrap();
    until("the retry", || sink.accepted().len() == 1).await;
    let waited = {
        let seen = sink.seen.lock().unwrap();
        seen[1].at - seen[0].at
    };
    assert!(waited >= Duration::from_millis(950), "waited only {waited:?}, not the 1s Retry-After asks for");
    assert_eq!(sink.series().len(), 2);
    rw.stop().await;
}

#[tokio::test]
async fn drops_on_429_when_retry_on_http_429_is_false() {
    let (sink, url) = Sink::start(vec![(429, vec![])]).await;
    let queue = "queue_config {\n batch_send_deadline = \"5ms\"\n retry_on_http_429 = false\n }";
    let rw = running("prometheus.remote_write.no429", &endpoint(&url, queue));
    rw.receiver().0.append(gauges("up", 3)).unwrap();
    until("counted as failed", || stat(&rw.component, 0, "samples_failed") == 3).await;
    assert_eq!((sink.calls.load(Ordering::SeqCst), stat(&rw.component, 0, "retries")), (1, 0));
    rw.stop().await;
}

#[tokio::test]
async fn drops_a_batch_on_400_and_keeps_working() {
    let (sink, url) = Sink::start(vec![(400, vec![])]).await;
    let rw = running("prometheus.remote_write.400", &endpoint(&url, FAST));
    rw.receiver().0.append(gauges("rejected", 4)).unwrap();
    until("counted as failed", || stat(&rw.component, 0, "samples_failed") == 4).await;
    let Value::Object(info) = rw.component.debug_info() else { panic!() };
    assert!(format!("{info:?}").contains("HTTP status 400"), "{info:?}");
    rw.receiver().0.append(gauges("accepted", 2)).unwrap();
    until("the next batch", || sink.series().len() == 2).await;
    assert!(sink.series().iter().all(|(labels, _)| labels.contains("accepted")));
    assert_eq!(stat(&rw.component, 0, "retries"), 0);
    until("healthy", || rw.health().state == HealthState::Healthy).await;
    rw.stop().await;
}

/// `Retry-After: 18446744073709551615` once overflowed the sender's
/// deadline and panicked it; the delay is clamped, the sender lives, and
/// what it holds is counted when it stops.
#[tokio::test]
async fn an_absurd_retry_after_does_not_kill_the_sender() {
    let (sink, url) = Sink::start(vec![(503, vec![("retry-after", "18446744073709551615")])]).await;
    let rw = running("prometheus.remote_write.absurd", &endpoint(&url, &format!("name = \"main\"\n{FAST}")));
    rw.receiver().0.append(gauges("up", 3)).unwrap();
    until("the refused send", || sink.calls.load(Ordering::SeqCst) == 1).await;
    until("unhealthy, naming the 503", || rw.health().message.contains("HTTP status 503")).await;
    // Still alive: it takes more, and stops cleanly (a panicked task fails `stop`).
    rw.receiver().0.append(gauges("later", 1)).unwrap();
    let rw_component = rw.stop().await;
    let dropped = stat(&rw_component, 0, "samples_dropped");
    let kept = stat(&rw_component, 0, "samples_unsent");
    assert_eq!(dropped + kept + sink.series().len() as u64, 4, "every sample is delivered, counted as dropped, or kept in the WAL");
}
