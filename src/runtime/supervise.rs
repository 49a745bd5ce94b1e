//! Runs a component's task and restarts it when it panics.
//!
//! A panic in one component must not silently leave a hole in the graph:
//! the component turns unhealthy with the panic's message (so `/-/healthy`
//! and the UI say so), and its `run` is called again after a backoff that
//! doubles up to a minute. The restarted run stays unhealthy, saying it
//! was restarted and why, until it has lasted [`STEADY`]. A run that returns normally is not restarted: it was told to
//! stop, or it chose to exit and its health says why.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use solder_components::Running;
use tokio_util::sync::CancellationToken;

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long a restarted run must last before its fault is forgotten.
const STEADY: Duration = Duration::from_secs(30);

/// The last panic of a component's task, while it counts.
#[derive(Clone, Default)]
pub struct Fault(Arc<Mutex<Option<(String, SystemTime)>>>);

impl Fault {
    pub fn get(&self) -> Option<(String, SystemTime)> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, fault: Option<(String, SystemTime)>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = fault;
    }
}

/// Runs `component` until `cancel` fires, restarting it after panics.
pub async fn supervise(id: String, component: Arc<dyn Running>, cancel: CancellationToken, fault: Fault) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let mut run = tokio::spawn(Arc::clone(&component).run(cancel.clone()));
        let outcome = loop {
            tokio::select! {
                joined = &mut run => break joined,
                _ = tokio::time::sleep(STEADY), if fault.get().is_some() => {
                    fault.set(None);
                    backoff = FIRST_BACKOFF;
                }
            }
        };
        let Err(e) = outcome else { return };
        if !e.is_panic() || cancel.is_cancelled() {
            return;
        }
        let message = panic_message(e.into_panic());
        tracing::error!(component = %id, panic = %message, "component task panicked; restarting in {backoff:?}");
        fault.set(Some((format!("panicked: {message}; restarting in {}s", backoff.as_secs()), SystemTime::now())));
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        // Still unhealthy until the new run is steady, but no longer
        // "restarting": whoever looks sees it is running again.
        fault.set(Some((format!("restarted after it panicked: {message}"), SystemTime::now())));
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload.downcast::<&str>().map(|s| (*s).to_string()).unwrap_or_else(|_| "a panic with no message".into()),
    }
}
