//! The `input` of a processor that edits telemetry in place (attributes,
//! span): decode once, apply the current rules, re-encode only what
//! changed, and forward to `output`. A refusal downstream is the sender's
//! answer, as it is for every pipeline processor.

use std::sync::{Arc, Mutex};

use crate::consumer::{ConsumeError, ConsumeFuture, Consumer, Fanout};
use crate::otelcol::output::Output;
use crate::otlp::encoded::Request;
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::{Encoded, Signal};
use crate::sync::lock;

/// What a processor does to each signal. Each returns whether it changed
/// anything; a request left as it was goes on as its original bytes.
pub trait Rewrite: Send + Sync + 'static {
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
pub struct Rewriting<R> {
    rules: Mutex<Arc<R>>,
    outputs: Mutex<Arc<[Fanout; 3]>>,
    signals: &'static [Signal],
}

impl<R: Rewrite> Rewriting<R> {
    pub fn new(rules: R, output: &Output, signals: &'static [Signal]) -> Rewriting<R> {
        Rewriting { rules: Mutex::new(Arc::new(rules)), outputs: Mutex::new(fanouts(output)), signals }
    }

    pub fn update(&self, rules: R, output: &Output) {
        *lock(&self.outputs) = fanouts(output);
        *lock(&self.rules) = Arc::new(rules);
    }

    pub fn rules(&self) -> Arc<R> {
        Arc::clone(&lock(&self.rules))
    }
}

/// Applies `apply` to an owned decode of `data`: the shared decoded view
/// is read-only, and copying it would cost what decoding does.
pub fn rewrite<M: Request>(data: Encoded<M>, apply: impl FnOnce(&mut M) -> bool) -> Result<Encoded<M>, ConsumeError> {
    let mut req = M::decode(data.bytes().clone()).map_err(|e| ConsumeError::permanent(format!("cannot decode {}: {e}", M::SIGNAL.as_str())))?;
    Ok(if apply(&mut req) { Encoded::from_message(req) } else { data })
}

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

fn fanouts(output: &Output) -> Arc<[Fanout; 3]> {
    Arc::new(SIGNALS.map(|s| output.fanout(s)))
}

/// The `input` capsule of a rewriting processor.
pub struct RewriteInput<R>(pub Arc<Rewriting<R>>);

impl<R: Rewrite> Consumer for RewriteInput<R> {
    fn consume_traces(&self, data: crate::otlp::Traces) -> ConsumeFuture<'_> {
        if !self.accepts(Signal::Traces) {
            return Box::pin(async { Err(ConsumeError::permanent("this component does not accept traces")) });
        }
        let rules = self.0.rules();
        let out = Arc::clone(&lock(&self.0.outputs));
        Box::pin(async move { out[0].traces(rewrite(data, |r| rules.traces(r))?).await })
    }

    fn consume_metrics(&self, data: crate::otlp::Metrics) -> ConsumeFuture<'_> {
        if !self.accepts(Signal::Metrics) {
            return Box::pin(async { Err(ConsumeError::permanent("this component does not accept metrics")) });
        }
        let rules = self.0.rules();
        let out = Arc::clone(&lock(&self.0.outputs));
        Box::pin(async move { out[1].metrics(rewrite(data, |r| rules.metrics(r))?).await })
    }

    fn consume_logs(&self, data: crate::otlp::Logs) -> ConsumeFuture<'_> {
        if !self.accepts(Signal::Logs) {
            return Box::pin(async { Err(ConsumeError::permanent("this component does not accept logs")) });
        }
        let rules = self.0.rules();
        let out = Arc::clone(&lock(&self.0.outputs));
        Box::pin(async move { out[2].logs(rewrite(data, |r| rules.logs(r))?).await })
    }

    fn accepts(&self, signal: Signal) -> bool {
        self.0.signals.contains(&signal)
    }
}
