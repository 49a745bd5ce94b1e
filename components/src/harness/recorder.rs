//! What stands downstream of a component under test: it records every
//! payload and sample batch it is given and answers as the test tells it.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use solder_syntax::{Scope, Value};
use tokio::time::Instant;

use crate::consumer::{ConsumeError, ConsumeFuture, Consumer, ConsumerHandle};
use crate::otlp::encoded::Request;
use crate::otlp::{Encoded, Logs, Metrics, Signal, Traces};
use crate::prometheus::{Batch, ReceiverHandle, SampleReceiver};
use crate::sync::lock;

/// How the recorder answers a payload.
#[derive(Debug, Clone)]
pub enum Answer {
    Accept,
    /// Refuses with this error; nothing is recorded.
    Refuse(ConsumeError),
    /// Accepts after a pause: a slow downstream.
    Slow(Duration),
    /// Panics, as a bug in a consumer's code would, on the caller's task.
    Panic,
}

/// One payload the recorder accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub signal: Signal,
    /// The payload's bytes, as the component handed them over.
    pub bytes: Bytes,
    /// Its spans, metric points or log records.
    pub items: usize,
    /// The client address it carried ([`Encoded::peer`]).
    pub peer: Option<IpAddr>,
    /// When it was accepted: after any [`Answer::Slow`] pause.
    pub at: Instant,
}

#[derive(Default)]
struct State {
    /// Every accepted payload of any signal, in the order they came.
    received: Vec<Received>,
    traces: Vec<Traces>,
    metrics: Vec<Metrics>,
    logs: Vec<Logs>,
    samples: Vec<Arc<Batch>>,
    /// Answers for the next calls, in order; then `otherwise`.
    next: VecDeque<Answer>,
    otherwise: Option<Answer>,
    refused: u64,
    /// Every call so far, whatever it was answered.
    calls: u64,
    /// Which signals the consumer says it takes; `None` is all.
    accepts: Option<Vec<Signal>>,
}

/// A recording consumer and sample receiver. Clones share what was seen.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<State>>);

impl Recorder {
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// A recorder that says it takes only `signals`, as a connector does.
    pub fn accepting(signals: &[Signal]) -> Recorder {
        let r = Recorder::default();
        lock(&r.0).accepts = Some(signals.to_vec());
        r
    }

    /// The consumer, as a capsule for an `output` list.
    pub fn consumer(&self) -> Value {
        Value::Capsule(ConsumerHandle::new(RecordingConsumer(self.clone())).capsule())
    }

    /// The sample receiver, as a capsule for a `forward_to` list.
    pub fn receiver(&self) -> Value {
        Value::Capsule(ReceiverHandle::new(RecordingReceiver(self.clone())).capsule())
    }

    /// A scope where `name` is this recorder's consumer and
    /// `{name}_receiver` its sample receiver.
    pub fn scope(&self, name: &str) -> Scope {
        Scope::new().with(name, self.consumer()).with(format!("{name}_receiver"), self.receiver())
    }

    /// Answers the next calls with `answers`, in order.
    pub fn answer_next(&self, answers: impl IntoIterator<Item = Answer>) {
        lock(&self.0).next.extend(answers);
    }

    /// Answers every call with `answer` (after any queued by
    /// [`Recorder::answer_next`]).
    pub fn answer_always(&self, answer: Answer) {
        lock(&self.0).otherwise = Some(answer);
    }

    pub fn traces(&self) -> Vec<Traces> {
        lock(&self.0).traces.clone()
    }

    pub fn metrics(&self) -> Vec<Metrics> {
        lock(&self.0).metrics.clone()
    }

    pub fn logs(&self) -> Vec<Logs> {
        lock(&self.0).logs.clone()
    }

    /// Every payload accepted so far, of any signal, in the order they
    /// came (sample batches are in [`Recorder::samples`]).
    pub fn received(&self) -> Vec<Received> {
        lock(&self.0).received.clone()
    }

    pub fn samples(&self) -> Vec<Arc<Batch>> {
        lock(&self.0).samples.clone()
    }

    /// Payloads refused so far.
    pub fn refused(&self) -> u64 {
        lock(&self.0).refused
    }

    /// Calls so far (payloads and sample batches), counted as each comes
    /// in: accepted, refused, or still in an [`Answer::Slow`] pause. Tells
    /// a test that data reached the downstream before it was taken, and
    /// counts retries, which [`Recorder::received`] alone would not.
    pub fn calls(&self) -> u64 {
        lock(&self.0).calls
    }

    /// Spans, metric points and log records accepted so far.
    pub fn items(&self) -> usize {
        let s = lock(&self.0);
        s.traces.iter().map(Traces::items).sum::<usize>() + s.metrics.iter().map(Metrics::items).sum::<usize>() + s.logs.iter().map(Logs::items).sum::<usize>()
    }

    /// Waits until at least `n` items were accepted.
    pub async fn wait_for_items(&self, n: usize) {
        super::until(&format!("{n} items downstream"), || self.items() >= n).await;
    }

    fn answer(&self) -> Answer {
        let mut s = lock(&self.0);
        s.calls += 1;
        let a = s.next.pop_front().or_else(|| s.otherwise.clone()).unwrap_or(Answer::Accept);
        if matches!(a, Answer::Refuse(_)) {
            s.refused += 1;
        }
        a
    }

    async fn take<M: Request>(&self, data: Encoded<M>, record: impl FnOnce(&mut State, Encoded<M>)) -> Result<(), ConsumeError> {
        match self.answer() {
            Answer::Refuse(e) => return Err(e),
            Answer::Slow(d) => tokio::time::sleep(d).await,
            Answer::Panic => panic!("the recorder was told to panic"),
            Answer::Accept => {}
        }
        let mut s = lock(&self.0);
        s.received.push(Received { signal: data.signal(), bytes: data.bytes().clone(), items: data.items(), peer: data.peer(), at: Instant::now() });
        record(&mut s, data);
        Ok(())
    }
}

struct RecordingConsumer(Recorder);

impl Consumer for RecordingConsumer {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        Box::pin(self.0.take(data, |s, d| s.traces.push(d)))
    }

    fn consume_metrics(&self, data: Metrics) -> ConsumeFuture<'_> {
        Box::pin(self.0.take(data, |s, d| s.metrics.push(d)))
    }

    fn consume_logs(&self, data: Logs) -> ConsumeFuture<'_> {
        Box::pin(self.0.take(data, |s, d| s.logs.push(d)))
    }

    fn accepts(&self, signal: Signal) -> bool {
        lock(&self.0 .0).accepts.as_ref().is_none_or(|a| a.contains(&signal))
    }
}

struct RecordingReceiver(Recorder);

impl SampleReceiver for RecordingReceiver {
    fn append(&self, batch: Arc<Batch>) -> Result<(), String> {
        match self.0.answer() {
            Answer::Refuse(e) => Err(e.to_string()),
            Answer::Panic => panic!("the recorder was told to panic"),
            _ => {
                lock(&self.0 .0).samples.push(batch);
                Ok(())
            }
        }
    }
}
