//! The [`Component`] every network exporter is: arguments in, an `input`
//! export, and a [`Forwarder`] doing the work.

use std::sync::{Arc, Mutex};

use solder_syntax::{Diagnostic, Value};
use tokio_util::sync::CancellationToken;

use super::{ArgumentError, Forwarder, Payload, Protocol};
use crate::body::EvalBody;
use crate::component::{Component, Health, Options, RunFuture};
use crate::consumer::{ConsumeFuture, Consumer, ConsumerHandle};
use crate::decode::decode;
use crate::otlp::{Logs, Metrics, Signal, Traces};

struct Exporter<P: Protocol> {
    args: Mutex<P::Arguments>,
    forwarder: Arc<Forwarder<P::Transport>>,
    /// Built once, so the capsule is the same value for as long as the
    /// component lives and readers of `input` never see it change.
    exports: Value,
}

/// The `input` consumer: takes every signal into the forwarder.
struct Input<P: Protocol>(Arc<Forwarder<P::Transport>>);

impl<P: Protocol> Consumer for Input<P> {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        Box::pin(self.0.accept(Payload::Traces(data.detached())))
    }

    fn consume_metrics(&self, data: Metrics) -> ConsumeFuture<'_> {
        Box::pin(self.0.accept(Payload::Metrics(data.detached())))
    }

    fn consume_logs(&self, data: Logs) -> ConsumeFuture<'_> {
        Box::pin(self.0.accept(Payload::Logs(data.detached())))
    }

    fn accepts(&self, _signal: Signal) -> bool {
        true
    }
}

/// Builds a network exporter. Nothing is opened: connections are made by
/// the first send, and the workers start in `run`.
#[allow(clippy::result_large_err)] // The signature is `Registration::build`'s.
pub fn build<P: Protocol>(opts: Options, body: &EvalBody) -> Result<Arc<dyn Component>, Diagnostic> {
    let args = checked::<P>(body)?;
    let transport = P::transport(&args).map_err(|e| diagnostic(body, e))?;
    let forwarder = Arc::new(Forwarder::new(
        &opts.id,
        transport,
        P::sending_queue(&args).clone(),
        P::retry_on_failure(&args).clone(),
    ));
    let input = ConsumerHandle::new(Input::<P>(Arc::clone(&forwarder)));
    let exports = Value::object([("input", Value::Capsule(input.capsule()))]);
    Ok(Arc::new(Exporter::<P> { args: Mutex::new(args), forwarder, exports }))
}

#[allow(clippy::result_large_err)] // `decode`'s error, passed on.
fn checked<P: Protocol>(body: &EvalBody) -> Result<P::Arguments, Diagnostic> {
    let args: P::Arguments = decode(body)?;
    P::sending_queue(&args).validate().map_err(|e| diagnostic(body, e))?;
    P::retry_on_failure(&args).validate().map_err(|e| diagnostic(body, e))?;
    Ok(args)
}

/// Points the error at the attribute or block it is about, or at the
/// component when that is not written (a missing block).
fn diagnostic(body: &EvalBody, e: ArgumentError) -> Diagnostic {
    let span = body.items.iter().find(|i| i.name() == e.field).map_or(body.span, |i| i.name_span());
    Diagnostic::error(span, e.message)
}

impl<P: Protocol> Component for Exporter<P> {
    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(Arc::clone(&self.forwarder).run(shutdown))
    }

    fn update(&self, body: &EvalBody) -> Result<(), Diagnostic> {
        let new = checked::<P>(body)?;
        let mut args = self.args.lock().unwrap_or_else(|p| p.into_inner());
        let transport = match P::transport_changed(&args, &new) {
            true => Some(P::transport(&new).map_err(|e| diagnostic(body, e))?),
            false => None,
        };
        self.forwarder.reconfigure(transport, P::sending_queue(&new).clone(), P::retry_on_failure(&new).clone());
        *args = new;
        Ok(())
    }

    fn exports(&self) -> Value {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.forwarder.health()
    }

    fn debug_info(&self) -> Value {
        self.forwarder.debug_info()
    }
}
