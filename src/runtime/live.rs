//! Live debugging: the telemetry passing through a component, streamed to
//! whoever is watching it in the UI.
//!
//! Off unless the config has `livedebugging { enabled = true }`. Even then
//! nothing is rendered until someone subscribes: taps check one atomic
//! before doing anything else. Every subscriber has a bounded buffer; when
//! a slow reader fills it, messages are dropped and the next one says how
//! many.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::json;
use solder_components::otlp::text::{render_logs, render_metrics, render_traces, Verbosity};
use solder_components::otlp::{Logs, Metrics, Traces};
use solder_components::prometheus::{Batch, SampleValue};
use solder_components::sync::lock;
use tokio::sync::mpsc;

/// Messages a subscriber may have waiting before new ones are dropped.
pub const BUFFER: usize = 128;
/// Lines of rendered telemetry kept per message.
const MAX_LINES: usize = 60;

/// A payload seen on an edge.
pub enum Payload {
    Traces(Traces),
    Metrics(Metrics),
    Logs(Logs),
    Samples(Arc<Batch>),
}

struct Subscriber {
    /// Keep one payload in `every`.
    every: u64,
    seen: u64,
    dropped: u64,
    tx: mpsc::Sender<String>,
}

/// Why a subscription was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disabled;

impl std::fmt::Display for Disabled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("live debugging is disabled: add `livedebugging { enabled = true }` to the config and reload")
    }
}

#[derive(Default)]
pub struct LiveDebug {
    enabled: AtomicBool,
    /// Subscribers while enabled; zero keeps taps on their fast path.
    active: AtomicUsize,
    subscribers: Mutex<HashMap<String, Vec<Subscriber>>>,
}

impl LiveDebug {
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Turns live debugging on or off; off ends every open stream.
    pub fn set_enabled(&self, on: bool) {
        let mut subs = lock(&self.subscribers);
        self.enabled.store(on, Ordering::Relaxed);
        if !on {
            subs.clear();
        }
        self.active.store(subs.values().map(Vec::len).sum(), Ordering::Relaxed);
    }

    /// Whether anyone is watching anything.
    pub fn listening(&self) -> bool {
        self.active.load(Ordering::Relaxed) > 0
    }

    /// Streams what passes through `component`, one payload in `every`,
    /// as JSON messages.
    pub fn subscribe(&self, component: &str, every: u64) -> Result<mpsc::Receiver<String>, Disabled> {
        let mut subs = lock(&self.subscribers);
        if !self.enabled() {
            return Err(Disabled);
        }
        let (tx, rx) = mpsc::channel(BUFFER);
        subs.entry(component.to_string()).or_default().push(Subscriber { every: every.max(1), seen: 0, dropped: 0, tx });
        prune(&mut subs);
        self.active.store(subs.values().map(Vec::len).sum(), Ordering::Relaxed);
        Ok(rx)
    }

    /// Offers a payload sent from `from` to `to`: it is output for one and
    /// input for the other. The payload is made and rendered only if a
    /// subscriber takes it.
    pub fn publish(&self, from: &str, to: &str, make: impl FnOnce() -> Payload) {
        let mut takers: Vec<(mpsc::Sender<String>, &str, &str, &str, u64)> = Vec::new();
        {
            let mut subs = lock(&self.subscribers);
            for (component, direction, peer) in [(from, "out", to), (to, "in", from)] {
                let Some(list) = subs.get_mut(component) else { continue };
                for s in list.iter_mut() {
                    s.seen += 1;
                    if (s.seen - 1) % s.every == 0 {
                        takers.push((s.tx.clone(), component, direction, peer, std::mem::take(&mut s.dropped)));
                    }
                }
            }
            if takers.is_empty() {
                return;
            }
        }
        let (summary, text) = render(&make());
        let time = solder_components::calendar::rfc3339(SystemTime::now());
        let mut dropped_again: Vec<(String, mpsc::Sender<String>, u64)> = Vec::new();
        for (tx, component, direction, peer, dropped) in takers {
            let msg = json!({
                "time": time, "component": component, "direction": direction, "peer": peer,
                "signal": summary.signal, "items": summary.items, "unit": summary.unit, "dropped": dropped, "text": text,
            });
            if tx.try_send(msg.to_string()).is_err() {
                dropped_again.push((component.to_string(), tx, dropped + 1));
            }
        }
        if !dropped_again.is_empty() {
            let mut subs = lock(&self.subscribers);
            for (component, tx, n) in dropped_again {
                if let Some(s) = subs.get_mut(&component).and_then(|l| l.iter_mut().find(|s| s.tx.same_channel(&tx))) {
                    s.dropped += n;
                }
            }
            prune(&mut subs);
            self.active.store(subs.values().map(Vec::len).sum(), Ordering::Relaxed);
        }
    }
}

/// Forgets subscribers whose stream was closed.
fn prune(subs: &mut HashMap<String, Vec<Subscriber>>) {
    subs.values_mut().for_each(|l| l.retain(|s| !s.tx.is_closed()));
    subs.retain(|_, l| !l.is_empty());
}

/// What a payload is: its signal, how many items and what they are.
struct Summary {
    signal: &'static str,
    items: usize,
    unit: &'static str,
}

/// The payload's summary and the text the debug exporter would write
/// (normal verbosity), cut to [`MAX_LINES`].
fn render(p: &Payload) -> (Summary, String) {
    let undecodable = |e: prost::DecodeError| format!("(payload does not decode: {e})\n");
    let summary = |signal, items, unit| Summary { signal, items, unit };
    let (summary, text) = match p {
        Payload::Traces(t) => (summary("traces", t.items(), "spans"), t.decode().map_or_else(undecodable, |r| render_traces(&r, Verbosity::Normal))),
        Payload::Metrics(m) => (summary("metrics", m.items(), "metric points"), m.decode().map_or_else(undecodable, |r| render_metrics(&r, Verbosity::Normal))),
        Payload::Logs(l) => (summary("logs", l.items(), "log records"), l.decode().map_or_else(undecodable, |r| render_logs(&r, Verbosity::Normal))),
        Payload::Samples(b) => (summary("samples", b.series_count(), "series"), render_samples(b)),
    };
    (summary, truncate(text))
}

fn render_samples(b: &Batch) -> String {
    let mut out = String::new();
    for f in &b.families {
        for s in &f.series {
            let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            let value = match &s.value {
                SampleValue::Number(n) => n.to_string(),
                SampleValue::Histogram { count, sum, .. } => {
                    format!("histogram count={count} sum={sum}")
                }
                SampleValue::Summary { count, sum, .. } => {
                    format!("summary count={count} sum={sum}")
                }
            };
            out.push_str(&format!("{}{{{}}} {value}\n", f.name, labels.join(",")));
        }
    }
    out
}

fn truncate(text: String) -> String {
    let total = text.lines().count();
    if total <= MAX_LINES {
        return text;
    }
    let mut out: String = text.lines().take(MAX_LINES).flat_map(|l| [l, "\n"]).collect();
    out.push_str(&format!("… {} more lines\n", total - MAX_LINES));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_and_refuses_subscribers() {
        let live = LiveDebug::default();
        assert_eq!(live.subscribe("x", 1).err(), Some(Disabled));
        assert!(!live.listening());
    }

    #[test]
    fn samples_one_in_n_and_bounds_the_buffer() {
        let live = LiveDebug::default();
        live.set_enabled(true);
        let mut rx = live.subscribe("b", 2).unwrap();
        let batch = Arc::new(Batch::default());
        for _ in 0..(BUFFER * 4) {
            live.publish("a", "b", || Payload::Samples(Arc::clone(&batch)));
        }
        let mut got = 0;
        while rx.try_recv().is_ok() {
            got += 1;
        }
        assert_eq!(got, BUFFER, "half of the payloads were kept, up to the buffer");
        live.set_enabled(false);
        assert!(!live.listening());
    }
}
