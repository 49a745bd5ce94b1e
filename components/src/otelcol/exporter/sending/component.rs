//! The [`Component`] every network exporter is: arguments in, an `input`
//! export, and a [`Forwarder`] doing the work.

use std::sync::{Arc, Mutex};

use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use super::{ArgumentError, Forwarder, Payload, Protocol};
use crate::component::{Component, Health, InputExports, Options, RunFuture};
use crate::consumer::{ConsumeFuture, Consumer, ConsumerHandle};
use crate::otelcol::storage::file::StorageHandler;
use crate::otlp::{Logs, Metrics, Signal, Traces};

pub(crate) struct Exporter<P: Protocol> {
    args: Mutex<P::Arguments>,
    forwarder: Arc<Forwarder<P::Transport>>,
    /// Built once, so the capsule is the same value for as long as the
    /// component lives and readers of `input` never see it change.
    exports: InputExports,
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

/// What every protocol's arguments must pass: the queue and retry blocks,
/// and a transport that can be made from them (made and dropped: building
/// one opens nothing).
pub(crate) fn validate<P: Protocol>(args: &P::Arguments) -> Result<(), ArgumentError> {
    P::sending_queue(args).validate()?;
    P::retry_on_failure(args).validate()?;
    P::transport(args).map(drop)
}

/// The storage handler `sending_queue { storage = ... }` names, if any.
fn storage<P: Protocol>(args: &P::Arguments) -> Result<Option<&StorageHandler>, ArgumentError> {
    match &P::sending_queue(args).storage {
        None => Ok(None),
        Some(h) => h.get().map(Some).ok_or_else(|| ArgumentError::new("sending_queue", "`storage` must be the handler of an otelcol.storage.* component")),
    }
}

impl<P: Protocol> Component for Exporter<P> {
    type Arguments = P::Arguments;
    type Exports = InputExports;

    /// Nothing is opened: connections are made by the first send, and the
    /// workers start in `run`.
    fn build(opts: Options, args: P::Arguments) -> Result<Exporter<P>, ArgumentError> {
        let transport = P::transport(&args)?;
        let forwarder = Arc::new(Forwarder::new(&opts.metrics, transport, P::sending_queue(&args).clone(), P::retry_on_failure(&args).clone()));
        forwarder.want_storage(storage::<P>(&args)?.cloned());
        let input = ConsumerHandle::new(Input::<P>(Arc::clone(&forwarder))).capsule();
        Ok(Exporter::<P> { args: Mutex::new(args), forwarder, exports: InputExports { input } })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(Arc::clone(&self.forwarder).run(shutdown))
    }

    fn update(&self, new: P::Arguments) -> Result<(), ArgumentError> {
        let mut args = self.args.lock().unwrap_or_else(|p| p.into_inner());
        let transport = match P::transport_changed(&args, &new) {
            true => Some(P::transport(&new)?),
            false => None,
        };
        if P::sending_queue(&args).storage != P::sending_queue(&new).storage {
            self.forwarder.want_storage(storage::<P>(&new)?.cloned());
            self.forwarder.open_storage();
        }
        self.forwarder.reconfigure(transport, P::sending_queue(&new).clone(), P::retry_on_failure(&new).clone());
        *args = new;
        Ok(())
    }

    fn exports(&self) -> InputExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.forwarder.health()
    }

    fn debug_info(&self) -> Value {
        self.forwarder.debug_info()
    }
}
