//! The `output` block every pipeline component shares.

use serde::Deserialize;

use crate::consumer::{ConsumerHandle, Fanout};
use crate::otlp::Signal;
use crate::types::Handle;

/// `output { traces = [...] metrics = [...] logs = [...] }`: where each
/// signal goes next. Each list holds `input` exports of other components.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    #[serde(default)]
    pub traces: Vec<Handle<ConsumerHandle>>,
    #[serde(default)]
    pub metrics: Vec<Handle<ConsumerHandle>>,
    #[serde(default)]
    pub logs: Vec<Handle<ConsumerHandle>>,
}

impl Output {
    pub fn fanout(&self, signal: Signal) -> Fanout {
        let list = match signal {
            Signal::Traces => &self.traces,
            Signal::Metrics => &self.metrics,
            Signal::Logs => &self.logs,
        };
        Fanout { consumers: list.iter().filter_map(|h| h.get().cloned()).collect() }
    }

    /// Checks each listed consumer accepts the signal of the list it is in.
    pub fn check(&self) -> Result<(), String> {
        for (signal, list) in [(Signal::Traces, &self.traces), (Signal::Metrics, &self.metrics), (Signal::Logs, &self.logs)] {
            for h in list {
                if let Some(c) = h.get() {
                    if !c.0.accepts(signal) {
                        return Err(format!("output {}: a listed component does not accept {}", signal.as_str(), signal.as_str()));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Capsules compare by identity, so two outputs are equal when they name
/// the same consumers in the same order.
impl PartialEq for Output {
    fn eq(&self, other: &Output) -> bool {
        let same = |a: &[Handle<ConsumerHandle>], b: &[Handle<ConsumerHandle>]| {
            a.len() == b.len()
                && a.iter().zip(b).all(|(x, y)| match (x.get(), y.get()) {
                    (Some(x), Some(y)) => std::sync::Arc::ptr_eq(&x.0, &y.0),
                    _ => false,
                })
        };
        same(&self.traces, &other.traces) && same(&self.metrics, &other.metrics) && same(&self.logs, &other.logs)
    }
}
