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

/// The exports of a component whose only export is its `input` capsule.
pub fn input_exports(input: &solder_syntax::value::Capsule) -> solder_syntax::Value {
    solder_syntax::Value::object([("input", solder_syntax::Value::Capsule(input.clone()))])
}

/// Sends one payload to several consumers, sharing it (a clone is two
/// reference counts). Every consumer is tried; the first error is returned,
/// a retryable one before a permanent one, so the sender retries when any
/// consumer might still take the data. A caller that retries should retry
/// only the consumers that refused, as the batch processor does (by
/// [`ConsumerHandle::identity`]); a retry of the whole fan-out gives the
/// same data again to those that took it.
#[derive(Clone, Default)]
pub struct Fanout {
    pub consumers: Vec<ConsumerHandle>,
}

macro_rules! fan {
    ($name:ident, $method:ident, $t:ty) => {
        pub async fn $name(&self, data: $t) -> Result<(), ConsumeError> {
            let mut first: Option<ConsumeError> = None;
            let n = self.consumers.len();
            let mut data = Some(data);
            for (i, c) in self.consumers.iter().enumerate() {
                // The last consumer takes the payload itself: one clone fewer.
                let payload = if i + 1 == n { data.take() } else { data.clone() };
                let Some(payload) = payload else { break };
                if let Err(e) = c.0.$method(payload).await {
                    let replace = match &first {
                        None => true,
                        Some(f) => f.kind == ErrorKind::Permanent && e.kind == ErrorKind::Retryable,
                    };
                    if replace {
                        first = Some(e);
                    }
                }
            }
            first.map_or(Ok(()), Err)
        }
    };
}

impl Fanout {
    pub fn is_empty(&self) -> bool {
        self.consumers.is_empty()
    }

    fan!(traces, consume_traces, Traces);
    fan!(metrics, consume_metrics, Metrics);
    fan!(logs, consume_logs, Logs);
}
