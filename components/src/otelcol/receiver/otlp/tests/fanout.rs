//! The receiver's own fan-out: with two consumers in an `output` list and
//! one refusing, the client is never asked to retry what a consumer took,
//! so nothing reaches the accepting consumer twice, and what the refusing
//! one never got is counted.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use reqwest::StatusCode;

use super::{permanent, received, retryable, traces, Receiver};
use crate::consumer::ConsumeError;
use crate::harness::Answer;
use crate::otlp::Signal;

const TWO_CONSUMERS: &str = "http {\n endpoint = \"127.0.0.1:0\"\n}\noutput {\n traces = [sink, other]\n}";

async fn post(h: &Receiver) -> reqwest::Response {
    let url = format!("http://{}/v1/traces", h.addr("http").unwrap());
    reqwest::Client::new().post(url).header("content-type", "application/x-protobuf").body(traces()).send().await.unwrap()
}

/// `other` refuses for as long as the receiver retries it: the client
/// hears success (with a warning), so it does not send again; `sink` got
/// the spans once; and `other`'s share is counted dropped.
#[tokio::test]
async fn a_refusing_consumer_does_not_make_the_client_resend_to_the_others() {
    let h = Receiver::start("fanout_refusing", TWO_CONSUMERS).await;
    h.other.answer_always(retryable());
    let r = post(&h).await;
    assert_eq!(r.status(), StatusCode::OK, "a consumer took it: the client must not retry");
    let partial = ExportTraceServiceResponse::decode(r.bytes().await.unwrap()).unwrap().partial_success.unwrap();
    assert_eq!(partial.rejected_spans, 0);
    assert!(partial.error_message.contains("delivered to some consumers only"), "{}", partial.error_message);
    assert_eq!(received(&h.sink), vec![(Signal::Traces, traces(), 2)], "the accepting consumer got it once");
    assert!(h.other.calls() > 1, "the refusing consumer was retried by the receiver");
    // Balance, per consumer: delivered + counted dropped = sent (2 spans).
    assert_eq!(received(&h.other).len(), 0);
    assert_eq!((h.count("traces", "accepted"), h.count("traces", "dropped"), h.count("traces", "refused")), (2, 2, 0));
}

/// A consumer that refuses for a moment gets the data once it takes it,
/// retried by the receiver alone; the one that took it at once is not
/// asked again.
#[tokio::test]
async fn a_consumer_that_recovers_is_retried_alone() {
    let h = Receiver::start("fanout_recovers", TWO_CONSUMERS).await;
    h.other.answer_next([retryable(), retryable()]);
    assert_eq!(post(&h).await.status(), StatusCode::OK);
    assert_eq!((h.sink.calls(), received(&h.sink).len()), (1, 1));
    assert_eq!((h.other.calls(), received(&h.other).len()), (3, 1));
    assert_eq!((h.count("traces", "accepted"), h.count("traces", "dropped")), (2, 0));
}

/// Nobody took it: the client hears the retryable refusal and sends again,
/// which duplicates nothing.
#[tokio::test]
async fn when_every_consumer_refuses_the_client_retries() {
    let h = Receiver::start("fanout_none", TWO_CONSUMERS).await;
    h.sink.answer_next([retryable()]);
    h.other.answer_next([Answer::Refuse(ConsumeError::retryable("other is full"))]);
    assert_eq!(post(&h).await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(post(&h).await.status(), StatusCode::OK, "the client's retry");
    assert_eq!((received(&h.sink).len(), received(&h.other).len()), (1, 1));
    h.other.answer_always(permanent());
    assert_eq!(post(&h).await.status(), StatusCode::OK, "refused for good by one, taken by the other");
    assert_eq!((received(&h.sink).len(), h.count("traces", "dropped")), (2, 2));
    assert_eq!((h.count("traces", "accepted"), h.count("traces", "refused")), (4, 2));
}
