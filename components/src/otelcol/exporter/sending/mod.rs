//! What the network exporters (`otelcol.exporter.otlp`, `otelcol.exporter.otlphttp`)
//! share: the `sending_queue` and `retry_on_failure` blocks, TLS and
//! compression settings, and the [`Forwarder`] that drives a protocol's
//! [`Transport`] with them.
//!
//! A protocol only knows how to make one attempt at delivering one request
//! and how to tell a retryable failure from a permanent one. Queueing,
//! concurrency, backoff, health, counting and the flush on shutdown are the
//! same for every protocol, as in the Collector's `exporterhelper`.

pub mod client;
mod component;
pub mod forwarder;
pub(crate) mod persist;
pub mod queue;
pub mod retry;
pub(crate) mod status;
pub mod tls;

#[cfg(test)]
mod forwarder_tests;
#[cfg(test)]
mod persist_tests;
#[cfg(test)]
pub(crate) mod testkit;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration as StdDuration;

use bytes::Bytes;

pub(crate) use component::{validate, Exporter};
pub use forwarder::Forwarder;
pub use queue::{SendingQueue, Sizer};
pub use retry::RetryOnFailure;
pub(crate) use status::{partial_success, rpc_status};

use crate::otlp::{Logs, Metrics, Signal, Traces};

/// One export request of any signal, as it waits in the queue.
#[derive(Clone, Debug)]
pub enum Payload {
    Traces(Traces),
    Metrics(Metrics),
    Logs(Logs),
}

impl Payload {
    pub fn signal(&self) -> Signal {
        match self {
            Payload::Traces(_) => Signal::Traces,
            Payload::Metrics(_) => Signal::Metrics,
            Payload::Logs(_) => Signal::Logs,
        }
    }

    /// The request's protobuf encoding, exactly as it will be sent.
    pub fn bytes(&self) -> &Bytes {
        match self {
            Payload::Traces(t) => t.bytes(),
            Payload::Metrics(m) => m.bytes(),
            Payload::Logs(l) => l.bytes(),
        }
    }

    /// Spans, metric points or log records.
    pub fn items(&self) -> usize {
        match self {
            Payload::Traces(t) => t.items(),
            Payload::Metrics(m) => m.items(),
            Payload::Logs(l) => l.items(),
        }
    }
}

/// The longest a server may make us wait before the next attempt. A
/// `Retry-After` or gRPC `RetryInfo` asking for more is read as this: the
/// value comes from the network, and an absurd one (`u64::MAX` seconds)
/// must neither overflow a deadline nor park a queue for good.
pub const MAX_SERVER_DELAY: StdDuration = StdDuration::from_secs(300);

/// `Retry-After` in seconds, clamped to [`MAX_SERVER_DELAY`]. An HTTP date
/// is ignored and the backoff decides.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<StdDuration> {
    let seconds = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok()?;
    Some(StdDuration::from_secs(seconds).min(MAX_SERVER_DELAY))
}

/// Why one attempt failed, and whether another attempt may succeed.
#[derive(Debug, Clone, PartialEq)]
pub struct SendError {
    pub message: String,
    pub retryable: bool,
    /// How long the server asked us to wait (gRPC `RetryInfo`, HTTP
    /// `Retry-After`); the backoff waits at least this long.
    pub retry_after: Option<StdDuration>,
}

impl SendError {
    pub fn retryable(message: impl Into<String>) -> SendError {
        SendError { message: message.into(), retryable: true, retry_after: None }
    }

    pub fn permanent(message: impl Into<String>) -> SendError {
        SendError { message: message.into(), retryable: false, retry_after: None }
    }

    /// A retryable failure with the server's requested delay, clamped to
    /// [`MAX_SERVER_DELAY`].
    pub fn throttled(message: impl Into<String>, after: Option<StdDuration>) -> SendError {
        SendError { message: message.into(), retryable: true, retry_after: after.map(|d| d.min(MAX_SERVER_DELAY)) }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// One protocol's way of delivering a request. Building a transport opens
/// nothing; connections are made on the first send, inside the runtime.
pub trait Transport: Send + Sync + 'static {
    /// The configured endpoint, for debug info.
    fn endpoint(&self) -> &str;

    /// Where requests of `signal` go, as health and logs name it.
    fn destination(&self, signal: Signal) -> &str;

    /// Makes one attempt, bounded by the transport's own timeout.
    fn send<'a>(&'a self, payload: &'a Payload) -> SendFuture<'a>;
}

pub use crate::component::ArgumentError;

/// What a network exporter component adds to the shared machinery: its
/// arguments and how they make a transport.
pub trait Protocol: Send + Sync + 'static {
    type Arguments: crate::component::Arguments + PartialEq;
    type Transport: Transport;

    /// Checks what the types cannot and prepares a transport.
    fn transport(args: &Self::Arguments) -> Result<Self::Transport, ArgumentError>;

    /// Whether going from `old` to `new` needs a new transport (and so new
    /// connections); queue and retry changes do not.
    fn transport_changed(old: &Self::Arguments, new: &Self::Arguments) -> bool;

    fn sending_queue(args: &Self::Arguments) -> &SendingQueue;

    fn retry_on_failure(args: &Self::Arguments) -> &RetryOnFailure;
}

/// Formats an error with its sources, which is where connection errors
/// keep their cause ("connection refused").
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, RETRY_AFTER};

    use super::*;

    #[test]
    fn reads_retry_after_seconds_only() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(StdDuration::from_secs(7)));
        h.insert(RETRY_AFTER, "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    /// A delay from the network never overflows a deadline: the value that
    /// once panicked `prometheus.remote_write`'s sender is clamped.
    #[test]
    fn server_delays_are_clamped() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "18446744073709551615".parse().unwrap());
        assert_eq!(retry_after(&h), Some(MAX_SERVER_DELAY));
        let e = SendError::throttled("slow down", Some(StdDuration::MAX));
        assert_eq!(e.retry_after, Some(MAX_SERVER_DELAY));
        assert!(tokio::time::Instant::now().checked_add(e.retry_after.unwrap_or_default()).is_some());
    }
}
