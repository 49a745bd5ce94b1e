//! What every component is: built from arguments, run until told to stop,
//! updated in place when its arguments change, and able to report its
//! exports, health and debug state.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use solder_syntax::{Diagnostic, Value};
use tokio_util::sync::CancellationToken;

use crate::body::EvalBody;

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

pub trait Component: Send + Sync + 'static {
    /// Runs the component until `shutdown` is cancelled. Called once.
    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture;

    /// Applies new arguments to the running component in place: a listener
    /// whose address did not change keeps its socket, an aggregator keeps
    /// its state. An error leaves the component as it was.
    fn update(&self, args: &EvalBody) -> Result<(), Diagnostic>;

    /// The component's exports as an object (empty if it has none).
    fn exports(&self) -> Value {
        Value::Object(Default::default())
    }

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
}

/// How to build one kind of component.
#[derive(Clone, Copy)]
pub struct Registration {
    /// The block name users write: `otelcol.receiver.otlp`.
    pub name: &'static str,
    pub build: fn(Options, &EvalBody) -> Result<Arc<dyn Component>, Diagnostic>,
}
