//! How telemetry moves between components: a component's `input` export is
//! a capsule holding a [`ConsumerHandle`], and an `output` block names the
//! handles to send to.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::otlp::{Logs, Metrics, Signal, Traces};

/// The capsule type name of `input` exports, as Alloy calls it.
pub const CONSUMER_CAPSULE: &str = "otelcol.Consumer";

pub type ConsumeFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ConsumeError>> + Send + 'a>>;

/// Why a consumer did not take the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumeError {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Full or unavailable for now: the sender should retry later. Receivers
    /// turn this into 429/503 or UNAVAILABLE so SDKs back off and resend.
    Retryable,
    /// The data itself was refused; sending it again will not help.
    Permanent,
}

impl ConsumeError {
    pub fn retryable(message: impl Into<String>) -> ConsumeError {
        ConsumeError { kind: ErrorKind::Retryable, message: message.into() }
    }

    pub fn permanent(message: impl Into<String>) -> ConsumeError {
        ConsumeError { kind: ErrorKind::Permanent, message: message.into() }
    }
}

impl std::fmt::Display for ConsumeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Something that takes telemetry. A component implements the signals it
/// handles; the others refuse permanently.
pub trait Consumer: Send + Sync + 'static {
    fn consume_traces(&self, _data: Traces) -> ConsumeFuture<'_> {
        Box::pin(async { Err(ConsumeError::permanent("this component does not accept traces")) })
    }

    fn consume_metrics(&self, _data: Metrics) -> ConsumeFuture<'_> {
        Box::pin(async { Err(ConsumeError::permanent("this component does not accept metrics")) })
    }

    fn consume_logs(&self, _data: Logs) -> ConsumeFuture<'_> {
        Box::pin(async { Err(ConsumeError::permanent("this component does not accept logs")) })
    }

    /// Which signals this consumer accepts, so that wiring a signal to a
    /// component that cannot take it is a config error, not a runtime one.
    fn accepts(&self, signal: Signal) -> bool;
}

/// A shared handle to a consumer: the value inside `input` capsules.
#[derive(Clone)]
pub struct ConsumerHandle(pub Arc<dyn Consumer>);

impl ConsumerHandle {
    pub fn new(c: impl Consumer) -> ConsumerHandle {
        ConsumerHandle(Arc::new(c))
    }

    /// The capsule to export as `input`.
    pub fn capsule(&self) -> solder_syntax::value::Capsule {
        solder_syntax::value::Capsule::new(CONSUMER_CAPSULE, self.clone())
    }

    /// Which consumer this is: handles to the same consumer share it.
    pub fn identity(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }
}

/// Sends one payload to several consumers, sharing it (a clone is two
/// reference counts). Every consumer is tried; the first error is returned,
/// a retryable one before a permanent one, so the sender retries when any
/// consumer might still take the data.
///
/// A sender that retries does it with [`Progress`] (the `*_to_rest`
/// methods): the retry goes only to the consumers that asked for one, never
/// again to those that took the payload, so one branch's outage cannot make
/// another count the same data twice.
#[derive(Clone, Default)]
pub struct Fanout {
    pub consumers: Vec<ConsumerHandle>,
}

/// Where one payload stands with the consumers of a fan-out, across
/// retries: who is done with it (took it, or refused it for good), and the
/// first permanent refusal.
#[derive(Default)]
pub struct Progress {
    done: Vec<usize>,
    /// How many consumers took the payload.
    pub took: usize,
    pub refused_for_good: Option<ConsumeError>,
}

impl Progress {
    /// Whether some consumer is done with the payload (took it, or refused
    /// it for good): sending it again from the start would reach them twice.
    pub fn started(&self) -> bool {
        !self.done.is_empty()
    }
}

macro_rules! fan {
    ($name:ident, $rest:ident, $method:ident, $t:ty) => {
        /// Sends to every consumer; the first error, retryable first.
        pub async fn $name(&self, data: $t) -> Result<(), ConsumeError> {
            let mut progress = Progress::default();
            match self.$rest(data, &mut progress).await {
                Some(retryable) => Err(retryable),
                None => progress.refused_for_good.map_or(Ok(()), Err),
            }
        }

        /// Sends to the consumers `progress` has not seen done, and records
        /// who is done now. Returns the first retryable refusal, if any
        /// consumer asked to be tried again.
        pub async fn $rest(&self, data: $t, progress: &mut Progress) -> Option<ConsumeError> {
            let waiting: Vec<&ConsumerHandle> = self.consumers.iter().filter(|c| !progress.done.contains(&c.identity())).collect();
            let mut retry: Option<ConsumeError> = None;
            let n = waiting.len();
            let mut data = Some(data);
            for (i, c) in waiting.into_iter().enumerate() {
                // The last consumer takes the payload itself: one clone fewer.
                let payload = if i + 1 == n { data.take() } else { data.clone() };
                let Some(payload) = payload else { break };
                match c.0.$method(payload).await {
                    Ok(()) => {
                        progress.done.push(c.identity());
                        progress.took += 1;
                    }
                    Err(e) if e.kind == ErrorKind::Permanent => {
                        progress.done.push(c.identity());
                        progress.refused_for_good.get_or_insert(e);
                    }
                    Err(e) => {
                        retry.get_or_insert(e);
                    }
                }
            }
            retry
        }
    };
}

impl Fanout {
    pub fn is_empty(&self) -> bool {
        self.consumers.is_empty()
    }

    fan!(traces, traces_to_rest, consume_traces, Traces);
    fan!(metrics, metrics_to_rest, consume_metrics, Metrics);
    fan!(logs, logs_to_rest, consume_logs, Logs);
}
