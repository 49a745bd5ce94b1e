//! The component contract: what every component is and what the runtime
//! may ask of it.
//!
//! A component declares its typed [`Arguments`] and [`Exports`]; the
//! runtime decodes a block once into those arguments, validates them, and
//! hands `build` and `update` the typed value. A component never sees the
//! block body, so it cannot decode twice, and its errors name the argument
//! they are about ([`ArgumentError`]) rather than a place in the file: the
//! runtime, which holds the body, turns the path into a span.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::de::DeserializeOwned;
use solder_syntax::value::Capsule;
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

pub use crate::argument_error::ArgumentError;
pub use crate::registration::{Decoded, Registration, Running, Signals, Stability, Telemetry};
pub use crate::selfmetrics::ComponentMetrics;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HealthState {
    Unknown,
    Healthy,
    Unhealthy,
    Exited,
}

impl HealthState {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Unknown => "unknown",
            HealthState::Healthy => "healthy",
            HealthState::Unhealthy => "unhealthy",
            HealthState::Exited => "exited",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub state: HealthState,
    pub message: String,
    pub updated: SystemTime,
}

impl Health {
    pub fn new(state: HealthState, message: impl Into<String>) -> Health {
        Health { state, message: message.into(), updated: SystemTime::now() }
    }
}

/// Health that a component shares between its running task and the
/// controller. Setting the same state and message again keeps the original
/// timestamp, so "updated" means "changed".
#[derive(Debug, Clone)]
pub struct HealthCell(Arc<Mutex<Health>>);

impl Default for HealthCell {
    fn default() -> HealthCell {
        HealthCell(Arc::new(Mutex::new(Health::new(HealthState::Unknown, "not started"))))
    }
}

impl HealthCell {
    pub fn set(&self, state: HealthState, message: impl Into<String>) {
        let message = message.into();
        let mut h = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if h.state != state || h.message != message {
            *h = Health::new(state, message);
        }
    }

    pub fn get(&self) -> Health {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A component's task. It runs until `shutdown` fires, then flushes what it
/// holds and returns.
pub type RunFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A component's arguments: the block body, decoded once by the runtime.
///
/// `validate` checks what the types alone cannot (ranges, exclusive
/// options, well-formed addresses). It runs on every load before `build`
/// or `update`, and on `solder validate`, so it must be cheap and have no
/// side effects: it replaces building a throwaway instance to see whether
/// new arguments would be accepted.
pub trait Arguments: DeserializeOwned + Clone + Send + Sync + 'static {
    fn validate(&self) -> Result<(), ArgumentError> {
        Ok(())
    }
}

/// What a component exports to the expressions of others.
pub trait Exports: Send + Sync + 'static {
    /// Every name [`Exports::to_value`] has, for the docs check and the
    /// API. A component with no exports uses `()`.
    const NAMES: &'static [&'static str];

    fn to_value(&self) -> Value;
}

impl Exports for () {
    const NAMES: &'static [&'static str] = &[];

    fn to_value(&self) -> Value {
        Value::Object(Default::default())
    }
}

/// The exports of a pipeline component whose only export is its `input`:
/// the consumer other components list in their `output`.
#[derive(Clone)]
pub struct InputExports {
    pub input: Capsule,
}

impl Exports for InputExports {
    const NAMES: &'static [&'static str] = &["input"];

    fn to_value(&self) -> Value {
        Value::object([("input", Value::Capsule(self.input.clone()))])
    }
}

/// The exports of a Prometheus sample sink: the `receiver` that
/// `forward_to` lists take.
#[derive(Clone)]
pub struct ReceiverExports {
    pub receiver: Capsule,
}

impl Exports for ReceiverExports {
    const NAMES: &'static [&'static str] = &["receiver"];

    fn to_value(&self) -> Value {
        Value::object([("receiver", Value::Capsule(self.receiver.clone()))])
    }
}

/// One kind of component. Registered once with [`Registration::of`].
pub trait Component: Send + Sync + Sized + 'static {
    type Arguments: Arguments;
    type Exports: Exports;

    /// Makes the component from validated arguments. Building has no side
    /// effects: sockets, files and tasks start in `run`.
    fn build(opts: Options, args: Self::Arguments) -> Result<Self, ArgumentError>;

    /// Runs the component until `shutdown` is cancelled. Called once, and
    /// again after a backoff if it panicked, so a run starts from whatever
    /// state the component holds.
    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture;

    /// Applies new, validated arguments to the running component in place:
    /// a listener whose address did not change keeps its socket, an
    /// aggregator keeps its state. An error leaves the component as it was.
    fn update(&self, args: Self::Arguments) -> Result<(), ArgumentError>;

    fn exports(&self) -> Self::Exports;

    fn health(&self) -> Health;

    /// Component-specific state for the UI: queue depths, counts, addresses.
    fn debug_info(&self) -> Value {
        Value::Null
    }
}

/// What the controller gives a component when it is built.
#[derive(Clone)]
pub struct Options {
    /// `name.label`, e.g. `otelcol.processor.batch.default`.
    pub id: String,
    /// A directory the component may keep state in across restarts.
    pub data_path: PathBuf,
    /// Tells the controller the component's exports changed, so that the
    /// components that read them are evaluated again.
    pub on_exports_changed: Arc<dyn Fn() + Send + Sync>,
    /// The component's own metrics, labelled with its ID. They are
    /// registered on the agent's `/metrics` while the component runs and
    /// go away with it.
    pub metrics: ComponentMetrics,
}

impl Options {
    /// Options for a component run on its own, outside any graph: tests,
    /// benchmarks and tools. Its metrics are not on any `/metrics`.
    pub fn standalone(id: &str) -> Options {
        Options {
            id: id.to_string(),
            data_path: std::env::temp_dir().join("solder-standalone").join(id),
            on_exports_changed: Arc::new(|| {}),
            metrics: ComponentMetrics::new(id),
        }
    }
}
