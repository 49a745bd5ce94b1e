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
use crate::selfmetrics::ComponentMetrics;
use crate::sync::lock;

/// What a fallible rewrite did to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Nothing changed: the request goes on as its original bytes.
    Unchanged,
    /// Something changed: the request is encoded again.
    Changed,
    /// Nothing is left to send (a filter dropped every item): the request
    /// is answered as delivered without going further, as the Collector's
    /// filter processor skips an emptied batch. What was dropped is the
    /// rewrite's to count.
    Emptied,
}

impl From<bool> for Edit {
    fn from(changed: bool) -> Edit {
        if changed {
            Edit::Changed
        } else {
            Edit::Unchanged
        }
    }
}

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

    /// The rules with the component's own metrics to count into. `compile`
    /// runs without them too (in `validate`), so counters start detached.
    fn with_metrics(self, _metrics: &ComponentMetrics) -> Self {
        self
    }

    /// As [`Rewrite::traces`], for rules that can refuse a request (an
    /// OTTL statement failing under `error_mode = "propagate"`) or empty it.
    fn try_traces(&self, req: &mut ExportTraceServiceRequest) -> Result<Edit, ConsumeError> {
        Ok(self.traces(req).into())
    }
    fn try_metrics(&self, req: &mut ExportMetricsServiceRequest) -> Result<Edit, ConsumeError> {
        Ok(self.metrics(req).into())
    }
    fn try_logs(&self, req: &mut ExportLogsServiceRequest) -> Result<Edit, ConsumeError> {
        Ok(self.logs(req).into())
    }

    /// Whether the rules can change requests of `signal` at all. When they
    /// cannot, requests go on as they came, without being decoded.
    fn touches(&self, _signal: Signal) -> bool {
        true
    }

    /// Rewrites a request on its wire bytes, without decoding it, when the
    /// rules can; `None` when the request must be decoded instead.
    fn on_wire(&self, _signal: Signal, _bytes: &[u8]) -> Option<Result<WireEdit, ConsumeError>> {
        None
    }
}

/// What [`Rewrite::on_wire`] made of a request.
#[derive(Debug)]
pub enum WireEdit {
    /// Nothing changed: the request goes on as it came.
    Unchanged,
    /// The new request, with `removed` fewer items than it came with.
    Changed { bytes: Vec<u8>, removed: usize },
    /// Every item removed: nothing goes on.
    Emptied,
}

/// A rewrite that keeps every item: `None` when nothing changed.
impl From<Option<Vec<u8>>> for WireEdit {
    fn from(bytes: Option<Vec<u8>>) -> WireEdit {
        match bytes {
            None => WireEdit::Unchanged,
            Some(bytes) => WireEdit::Changed { bytes, removed: 0 },
        }
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

/// As [`rewrite`], for an edit that can fail or leave nothing to send
/// (`None`).
pub fn try_rewrite<M: Request>(data: Encoded<M>, apply: impl FnOnce(&mut M) -> Result<Edit, ConsumeError>) -> Result<Option<Encoded<M>>, ConsumeError> {
    let mut req = M::decode(data.bytes().clone()).map_err(|e| ConsumeError::permanent(format!("cannot decode {}: {e}", M::SIGNAL.as_str())))?;
    Ok(match apply(&mut req)? {
        Edit::Unchanged => Some(data),
        Edit::Changed => Some(Encoded::from_message(req).with_peer(data.peer())),
        Edit::Emptied => None,
    })
}

/// What a rewriting processor does with one request: passes it on
/// untouched if its rules cannot change that signal, else rewrites it on
/// the wire if the rules can, else decodes it and applies `edit`.
pub fn process<R: Rewrite, M: Request>(
    rules: &R,
    data: Encoded<M>,
    edit: impl FnOnce(&mut M) -> Result<Edit, ConsumeError>,
) -> Result<Option<Encoded<M>>, ConsumeError> {
    if !rules.touches(M::SIGNAL) {
        return Ok(Some(data));
    }
    match rules.on_wire(M::SIGNAL, data.bytes()) {
        Some(Ok(WireEdit::Unchanged)) => Ok(Some(data)),
        // The count is known without walking the new request.
        Some(Ok(WireEdit::Changed { bytes, removed })) => {
            Ok(Some(Encoded::from_validated_part(bytes.into(), Some(data.items().saturating_sub(removed)), data.peer())))
        }
        Some(Ok(WireEdit::Emptied)) => Ok(None),
        Some(Err(e)) => Err(e),
        None => try_rewrite(data, edit),
    }
}

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

fn fanouts(output: &Output) -> Arc<[Fanout; 3]> {
    Arc::new(SIGNALS.map(|s| output.fanout(s)))
}

/// The `input` capsule of a rewriting processor.
struct RewriteInput<R>(Arc<Rewriting<R>>);

macro_rules! rewritten {
    ($method:ident, $t:ty, $signal:expr, $slot:expr, $fan:ident, $try:ident) => {
        fn $method(&self, data: $t) -> ConsumeFuture<'_> {
            if !R::SIGNALS.contains(&$signal) {
                return Box::pin(async { Err(ConsumeError::permanent(format!("this component does not accept {}", $signal.as_str()))) });
            }
            let rules = Arc::clone(&lock(&self.0.rules));
            let out = Arc::clone(&lock(&self.0.outputs));
            Box::pin(async move {
                match process(&*rules, data, |r| rules.$try(r))? {
                    Some(data) => out[$slot].$fan(data).await,
                    None => Ok(()),
                }
            })
        }
    };
}

impl<R: Rewrite> Consumer for RewriteInput<R> {
    rewritten!(consume_traces, Traces, Signal::Traces, 0, traces, try_traces);
    rewritten!(consume_metrics, Metrics, Signal::Metrics, 1, metrics, try_metrics);
    rewritten!(consume_logs, Logs, Signal::Logs, 2, logs, try_logs);

    fn accepts(&self, signal: Signal) -> bool {
        R::SIGNALS.contains(&signal)
    }
}

/// The component: its registration names `RewriteProcessor<Rules>`.
pub struct RewriteProcessor<R> {
    shared: Arc<Rewriting<R>>,
    exports: InputExports,
    health: HealthCell,
    metrics: ComponentMetrics,
}

impl<R: Rewrite> Component for RewriteProcessor<R> {
    type Arguments = R::Arguments;
    type Exports = InputExports;

    fn build(opts: Options, args: R::Arguments) -> Result<Self, ArgumentError> {
        let rules = R::compile(&args)?.with_metrics(&opts.metrics);
        let shared = Arc::new(Rewriting { rules: Mutex::new(Arc::new(rules)), outputs: Mutex::new(fanouts(R::output(&args))) });
        let input = ConsumerHandle::new(RewriteInput(Arc::clone(&shared))).capsule();
        Ok(RewriteProcessor { shared, exports: InputExports { input }, health: HealthCell::default(), metrics: opts.metrics })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.health.set(HealthState::Healthy, "running");
            shutdown.cancelled().await;
            self.health.set(HealthState::Exited, "stopped");
        })
    }

    fn update(&self, args: R::Arguments) -> Result<(), ArgumentError> {
        let rules = R::compile(&args)?.with_metrics(&self.metrics);
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
