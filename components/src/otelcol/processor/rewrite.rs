//! A processor that edits telemetry in place (attributes, span): decode
//! once, apply the current rules, re-encode only what changed, and forward
//! to `output`. A refusal downstream is the sender's answer, as it is for
//! every pipeline processor. Each such component is a [`Rewrite`] (its
//! compiled rules) run by [`RewriteProcessor`].

use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::component::{self, ArgumentError, Component, Health, HealthCell, HealthState, InputExports, Options, RunFuture};
use crate::consumer::{ConsumeError, ConsumeFuture, Consumer, ConsumerHandle, Fanout};
use crate::otelcol::output::Output;
use crate::otlp::encoded::Request;
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::{Encoded, Logs, Metrics, Signal, Traces};
use crate::sync::lock;

/// A processor's compiled arguments and what they do to each signal.
/// Each edit returns whether it changed anything; a request left as it
/// was goes on as its original bytes.
pub trait Rewrite: Sized + Send + Sync + 'static {
    type Arguments: component::Arguments;
    /// The signals the processor takes.
    const SIGNALS: &'static [Signal];

    fn compile(args: &Self::Arguments) -> Result<Self, ArgumentError>;
    fn output(args: &Self::Arguments) -> &Output;

    fn traces(&self, _req: &mut ExportTraceServiceRequest) -> bool {
        false
    }
    fn metrics(&self, _req: &mut ExportMetricsServiceRequest) -> bool {
        false
    }
    fn logs(&self, _req: &mut ExportLogsServiceRequest) -> bool {
        false
    }
}

/// The rules and the outputs, swapped whole on update.
struct Rewriting<R> {
    rules: Mutex<Arc<R>>,
    outputs: Mutex<Arc<[Fanout; 3]>>,
}

/// Applies `apply` to an owned decode of `data`: the shared decoded view
/// is read-only, and copying it would cost what decoding does. The result
/// is still from `data`'s client, so it keeps its address.
pub fn rewrite<M: Request>(data: Encoded<M>, apply: impl FnOnce(&mut M) -> bool) -> Result<Encoded<M>, ConsumeError> {
    let mut req = M::decode(data.bytes().clone()).map_err(|e| ConsumeError::permanent(format!("cannot decode {}: {e}", M::SIGNAL.as_str())))?;
    Ok(if apply(&mut req) { Encoded::from_message(req).with_peer(data.peer()) } else { data })
}

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

fn fanouts(output: &Output) -> Arc<[Fanout; 3]> {
    Arc::new(SIGNALS.map(|s| output.fanout(s)))
}

/// The `input` capsule of a rewriting processor.
struct RewriteInput<R>(Arc<Rewriting<R>>);

macro_rules! rewritten {
    ($method:ident, $t:ty, $signal:expr, $slot:expr, $fan:ident) => {
        fn $method(&self, data: $t) -> ConsumeFuture<'_> {
            if !R::SIGNALS.contains(&$signal) {
                return Box::pin(async { Err(ConsumeError::permanent(format!("this component does not accept {}", $signal.as_str()))) });
            }
            let rules = Arc::clone(&lock(&self.0.rules));
            let out = Arc::clone(&lock(&self.0.outputs));
            Box::pin(async move { out[$slot].$fan(rewrite(data, |r| rules.$fan(r))?).await })
        }
    };
}

impl<R: Rewrite> Consumer for RewriteInput<R> {
    rewritten!(consume_traces, Traces, Signal::Traces, 0, traces);
    rewritten!(consume_metrics, Metrics, Signal::Metrics, 1, metrics);
    rewritten!(consume_logs, Logs, Signal::Logs, 2, logs);

    fn accepts(&self, signal: Signal) -> bool {
        R::SIGNALS.contains(&signal)
    }
}

/// The component: its registration names `RewriteProcessor<Rules>`.
pub struct RewriteProcessor<R> {
    shared: Arc<Rewriting<R>>,
    exports: InputExports,
    health: HealthCell,
}

impl<R: Rewrite> Component for RewriteProcessor<R> {
    type Arguments = R::Arguments;
    type Exports = InputExports;

    fn build(_opts: Options, args: R::Arguments) -> Result<Self, ArgumentError> {
        let shared = Arc::new(Rewriting { rules: Mutex::new(Arc::new(R::compile(&args)?)), outputs: Mutex::new(fanouts(R::output(&args))) });
        let input = ConsumerHandle::new(RewriteInput(Arc::clone(&shared))).capsule();
        Ok(RewriteProcessor { shared, exports: InputExports { input }, health: HealthCell::default() })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.health.set(HealthState::Healthy, "running");
            shutdown.cancelled().await;
            self.health.set(HealthState::Exited, "stopped");
        })
    }

    fn update(&self, args: R::Arguments) -> Result<(), ArgumentError> {
        let rules = R::compile(&args)?;
        *lock(&self.shared.outputs) = fanouts(R::output(&args));
        *lock(&self.shared.rules) = Arc::new(rules);
        Ok(())
    }

    fn exports(&self) -> InputExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.health.get()
    }
}
