//! A component kind as the runtime sees it: its name, what it declares
//! (stability, signals, exports, the schema of its arguments), and the
//! type-erased steps that decode, build and update it.
//!
//! [`Registration::of`] is the one place a component's types meet the
//! runtime; everything after it works on [`Decoded`] arguments and
//! [`Running`] instances and never names a component's internals.

use std::any::Any;
use std::sync::Arc;

use solder_syntax::{Diagnostic, Value};
use tokio_util::sync::CancellationToken;

use crate::body::EvalBody;
use crate::component::{ArgumentError, Arguments, Component, Exports, Health, Options, RunFuture};
use crate::decode::{decode, schema, Schema};

/// How settled a component's arguments and behaviour are, as Alloy grades
/// them. Shown in the docs and the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stability {
    Experimental,
    PublicPreview,
    GenerallyAvailable,
}

impl Stability {
    pub fn as_str(self) -> &'static str {
        match self {
            Stability::Experimental => "experimental",
            Stability::PublicPreview => "public-preview",
            Stability::GenerallyAvailable => "generally-available",
        }
    }
}

/// A kind of telemetry that flows between components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Telemetry {
    Traces,
    Metrics,
    Logs,
    /// Prometheus samples, as `forward_to` lists carry them.
    Samples,
}

impl Telemetry {
    pub fn as_str(self) -> &'static str {
        match self {
            Telemetry::Traces => "traces",
            Telemetry::Metrics => "metrics",
            Telemetry::Logs => "logs",
            Telemetry::Samples => "samples",
        }
    }
}

/// What a component takes in (through its exports) and gives out
/// (through its arguments, such as `output` or `forward_to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signals {
    pub takes: &'static [Telemetry],
    pub gives: &'static [Telemetry],
}

impl Signals {
    pub const NONE: Signals = Signals { takes: &[], gives: &[] };
}

/// Arguments decoded and validated for one component kind, ready for its
/// `build` or `update`. Opaque to the runtime.
pub struct Decoded(Box<dyn Any + Send + Sync>);

/// A built component, its type erased.
pub trait Running: Send + Sync {
    /// Runs the component until `shutdown` is cancelled. Called once.
    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture;
    /// Applies arguments decoded by the same registration.
    fn update(&self, args: Decoded) -> Result<(), ArgumentError>;
    fn exports(&self) -> Value;
    fn health(&self) -> Health;
    fn debug_info(&self) -> Value;
}

/// One kind of component, as registered.
#[derive(Clone, Copy)]
pub struct Registration {
    /// The block name users write: `otelcol.receiver.otlp`.
    pub name: &'static str,
    pub stability: Stability,
    pub signals: Signals,
    /// The names the component exports.
    pub exports: &'static [&'static str],
    decode: fn(&EvalBody) -> Result<Decoded, Diagnostic>,
    build: fn(Options, Decoded) -> Result<Arc<dyn Running>, ArgumentError>,
    schema: fn() -> Schema,
}

impl Registration {
    /// Registers component type `C` under `name`.
    pub const fn of<C: Component>(name: &'static str, stability: Stability, signals: Signals) -> Registration {
        Registration {
            name,
            stability,
            signals,
            exports: <C::Exports as Exports>::NAMES,
            decode: decode_as::<C>,
            build: build_as::<C>,
            schema: schema::of::<C::Arguments>,
        }
    }

    /// Decodes a block body into this component's arguments and validates
    /// them. The runtime calls this once per load for each component whose
    /// body changed.
    pub fn decode(&self, body: &EvalBody) -> Result<Decoded, Diagnostic> {
        (self.decode)(body)
    }

    /// Builds a component from arguments this registration decoded from
    /// `body`; errors point into `body`.
    pub fn build(&self, opts: Options, args: Decoded, body: &EvalBody) -> Result<Arc<dyn Running>, Diagnostic> {
        (self.build)(opts, args).map_err(|e| e.at(body))
    }

    /// Decodes and builds in one step: for tests and tools that run one
    /// component on its own.
    pub fn build_body(&self, opts: Options, body: &EvalBody) -> Result<Arc<dyn Running>, Diagnostic> {
        let args = self.decode(body)?;
        self.build(opts, args, body)
    }

    /// Decodes `body` and updates `component` with it.
    pub fn update_body(&self, component: &dyn Running, body: &EvalBody) -> Result<(), Diagnostic> {
        let args = self.decode(body)?;
        component.update(args).map_err(|e| e.at(body))
    }

    /// Every argument and block the component takes, and which are secrets.
    pub fn schema(&self) -> Schema {
        (self.schema)()
    }
}

fn decode_as<C: Component>(body: &EvalBody) -> Result<Decoded, Diagnostic> {
    let args: C::Arguments = decode(body)?;
    args.validate().map_err(|e| e.at(body))?;
    Ok(Decoded(Box::new(args)))
}

fn build_as<C: Component>(opts: Options, args: Decoded) -> Result<Arc<dyn Running>, ArgumentError> {
    let args = typed::<C>(args)?;
    Ok(Arc::new(Instance(Arc::new(C::build(opts, args)?))))
}

fn typed<C: Component>(args: Decoded) -> Result<C::Arguments, ArgumentError> {
    args.0.downcast::<C::Arguments>().map(|a| *a).map_err(|_| ArgumentError::whole("arguments decoded for another kind of component"))
}

/// A component behind the erased interface.
struct Instance<C>(Arc<C>);

impl<C: Component> Running for Instance<C> {
    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        C::run(Arc::clone(&self.0), shutdown)
    }

    fn update(&self, args: Decoded) -> Result<(), ArgumentError> {
        self.0.update(typed::<C>(args)?)
    }

    fn exports(&self) -> Value {
        self.0.exports().to_value()
    }

    fn health(&self) -> Health {
        self.0.health()
    }

    fn debug_info(&self) -> Value {
        self.0.debug_info()
    }
}
