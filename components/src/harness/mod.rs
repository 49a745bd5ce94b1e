//! Runs one component on its own, as the runtime would: built from config
//! text through its registration (so arguments are decoded and validated
//! exactly as on a load), run on its own task, fed through its exports,
//! with a [`Recorder`] standing in for whatever is downstream.
//!
//! Every component's tests use this rather than plumbing of their own, as
//! Alloy's `componenttest` does for its components.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use solder_components::harness::{Harness, Recorder};
//! use solder_components::otelcol::processor::batch::REGISTRATION;
//!
//! let rec = Recorder::new();
//! let batch = Harness::start(&REGISTRATION, "timeout = \"0s\"\noutput { traces = [sink] }", &rec.scope("sink")).unwrap();
//! batch.input().0.consume_traces(solder_components::harness::traces(3)).await.unwrap();
//! rec.wait_for_items(3).await;
//! batch.stop().await;
//! # }
//! ```

mod payloads;
mod recorder;
pub mod slowloris;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use solder_syntax::ast::Stmt;
use solder_syntax::{Diagnostic, Evaluator, Scope, Value};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::body::{self, EvalBody};
use crate::component::{Health, HealthState, Options, Registration, Running};
use crate::consumer::ConsumerHandle;
use crate::prometheus::ReceiverHandle;

pub use payloads::{logs, metrics, traces};
pub use recorder::{Answer, Received, Recorder};

/// How long [`eventually`] and the harness's waits give a condition.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// One component under test.
pub struct Harness {
    pub registration: Registration,
    pub component: Arc<dyn Running>,
    scope: Scope,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Harness {
    /// Builds the component from the text of its block body, evaluated in
    /// `scope`, without running it. Its ID is `{name}.test`: components'
    /// own metrics are kept per ID for the whole process, so tests that
    /// read them (or counts made from them) give each instance an ID of
    /// its own with [`Harness::build_with`] and `Options::standalone`.
    pub fn build(reg: &Registration, args: &str, scope: &Scope) -> Result<Harness, Diagnostic> {
        Harness::build_with(reg, Options::standalone(&format!("{}.test", reg.name)), args, scope)
    }

    /// [`Harness::build`] with options of the caller's.
    pub fn build_with(reg: &Registration, opts: Options, args: &str, scope: &Scope) -> Result<Harness, Diagnostic> {
        let body = evaluate(reg.name, args, scope)?;
        let component = reg.build_body(opts, &body)?;
        Ok(Harness { registration: *reg, component, scope: scope.clone(), cancel: CancellationToken::new(), task: None })
    }

    /// Builds the component and runs it.
    pub fn start(reg: &Registration, args: &str, scope: &Scope) -> Result<Harness, Diagnostic> {
        let mut h = Harness::build(reg, args, scope)?;
        h.run();
        Ok(h)
    }

    /// [`Harness::start`] with options of the caller's.
    pub fn start_with(reg: &Registration, opts: Options, args: &str, scope: &Scope) -> Result<Harness, Diagnostic> {
        let mut h = Harness::build_with(reg, opts, args, scope)?;
        h.run();
        Ok(h)
    }

    /// Runs the built component on its own task. Must be called from
    /// within a Tokio runtime.
    pub fn run(&mut self) {
        if self.task.is_none() {
            self.task = Some(tokio::spawn(Arc::clone(&self.component).run(self.cancel.clone())));
        }
    }

    /// Updates the running component with a new block body, as a reload
    /// would.
    pub fn update(&self, args: &str) -> Result<(), Diagnostic> {
        let body = evaluate(self.registration.name, args, &self.scope)?;
        self.registration.update_body(self.component.as_ref(), &body)
    }

    pub fn exports(&self) -> Value {
        self.component.exports()
    }

    /// The `input` export: the consumer upstream components send to.
    pub fn input(&self) -> ConsumerHandle {
        self.capsule::<ConsumerHandle>("input")
    }

    /// The `receiver` export: the sample sink `forward_to` lists take.
    pub fn receiver(&self) -> ReceiverHandle {
        self.capsule::<ReceiverHandle>("receiver")
    }

    fn capsule<T: Clone + Send + Sync + 'static>(&self, name: &str) -> T {
        let Value::Object(exports) = self.exports() else { panic!("{}: exports are not an object", self.registration.name) };
        let Some(Value::Capsule(c)) = exports.get(name) else { panic!("{}: no {name} capsule in its exports", self.registration.name) };
        c.downcast::<T>().cloned().unwrap_or_else(|| panic!("{}: {name} holds a {}", self.registration.name, c.type_name()))
    }

    pub fn health(&self) -> Health {
        self.component.health()
    }

    /// A field of the component's debug info.
    pub fn debug(&self, field: &str) -> Value {
        let Value::Object(info) = self.component.debug_info() else { panic!("{}: debug info is not an object", self.registration.name) };
        info.get(field).cloned().unwrap_or_else(|| panic!("{}: no {field:?} in its debug info", self.registration.name))
    }

    /// A field of the component's debug info, or `None` where
    /// [`Harness::debug`] would panic: for a field that comes and goes,
    /// such as the address of a server that may not be listening.
    pub fn try_debug(&self, field: &str) -> Option<Value> {
        match self.component.debug_info() {
            Value::Object(info) => info.get(field).cloned(),
            _ => None,
        }
    }

    /// A numeric field of the component's debug info.
    pub fn debug_count(&self, field: &str) -> i64 {
        match self.debug(field) {
            Value::Number(n) => n.as_i64().unwrap_or(i64::MAX),
            other => panic!("{}: {field} is {other:?}, not a number", self.registration.name),
        }
    }

    /// Waits until the component reports `state`.
    pub async fn wait_for_health(&self, state: HealthState) -> Health {
        eventually(&format!("{} to be {}", self.registration.name, state.as_str()), || async { self.health().state == state }).await;
        self.health()
    }

    /// Tells the component to stop, without waiting for it: for a test
    /// that watches what it does while it shuts down. [`Harness::stop`]
    /// then waits for it.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Stops the component and waits for it to flush and return.
    pub async fn stop(mut self) -> Arc<dyn Running> {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            match tokio::time::timeout(DEADLINE, task).await {
                Ok(joined) => joined.unwrap_or_else(|e| panic!("{} panicked: {e}", self.registration.name)),
                Err(_) => panic!("{} did not stop within {DEADLINE:?}", self.registration.name),
            }
        }
        Arc::clone(&self.component)
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The evaluated body of a `name "test" { args }` block.
pub fn evaluate(name: &str, args: &str, scope: &Scope) -> Result<EvalBody, Diagnostic> {
    let src = format!("{name} \"test\" {{\n{args}\n}}\n");
    let file = solder_syntax::parse(&src).map_err(first)?;
    let Some(Stmt::Block(block)) = file.body.first() else { return Err(Diagnostic::error(Default::default(), "no block")) };
    let mut ev = Evaluator::new(&src, scope);
    body::evaluate(&mut ev, &block.body, block.name_span()).map_err(first)
}

fn first(all: Vec<Diagnostic>) -> Diagnostic {
    all.into_iter().next().unwrap_or_else(|| Diagnostic::error(Default::default(), "failed without a diagnostic"))
}

/// Standalone options whose `on_exports_changed` counts its calls: for a
/// test that checks a component tells the graph when its exports change.
pub fn counting_export_changes(id: &str) -> (Options, Arc<std::sync::atomic::AtomicUsize>) {
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut opts = Options::standalone(id);
    let c = Arc::clone(&count);
    opts.on_exports_changed = Arc::new(move || {
        c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    (opts, count)
}

/// The message of the error building `args` gives.
pub fn build_error(reg: &Registration, args: &str, scope: &Scope) -> String {
    match Harness::build(reg, args, scope) {
        Ok(_) => panic!("{}: expected an error from {args}", reg.name),
        Err(d) => d.message,
    }
}

/// Waits until `check` holds, for at most [`DEADLINE`]; panics naming
/// `what` if it never does.
pub async fn eventually<F: Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// [`eventually`] for a plain condition.
pub async fn until(what: &str, check: impl Fn() -> bool) {
    eventually(what, || std::future::ready(check())).await;
}
