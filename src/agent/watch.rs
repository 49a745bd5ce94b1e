//! Reloading when the config changes on disk, through the shared
//! [`FileWatch`] (the config's directory, and every hop of a symlinked
//! config's link chain). Events are debounced, and a reload only happens
//! when the config's content actually changed, so unrelated files in the
//! directory and the bursts of events one save produces cost one read.

use std::sync::Arc;
use std::time::Duration;

use solder_components::filewatch::FileWatch;

use super::Agent;

/// How long to wait for a burst of events to settle.
const DEBOUNCE: Duration = Duration::from_millis(100);

/// Starts watching; the returned watch must be kept alive.
pub fn start(agent: Arc<Agent>) -> Option<Arc<FileWatch>> {
    let path = agent.source.path()?.clone();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let watch = match FileWatch::start(&path, tx) {
        Ok(w) => Arc::new(w),
        Err(e) => {
            tracing::warn!("{e}; reload with SIGHUP or POST /-/reload");
            return None;
        }
    };
    let handle = Arc::clone(&watch);
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            tokio::time::sleep(DEBOUNCE).await;
            while rx.try_recv().is_ok() {}
            handle.refollow();
            // An unreadable or unconvertible config has a fingerprint too,
            // so that breaking it is reported, not only repairing it.
            let current = match agent.source.read() {
                Ok(files) => super::config_hash(&files),
                Err(d) => super::unreadable_hash(&d),
            };
            if agent.status().map(|s| s.hash) != Some(current) {
                let _ = agent.reload("file").await;
            }
        }
    });
    Some(watch)
}
