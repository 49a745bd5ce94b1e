//! Reloading when the config changes on disk.
//!
//! The watch is on the *directory*: editors replace files by renaming a new
//! one over the old, and Kubernetes updates a mounted ConfigMap by swapping
//! the `..data` symlink, and neither is seen by a watch on the file itself.
//! Events are debounced, and a reload only happens when the config's
//! content actually changed, so unrelated files in the directory and the
//! bursts of events one save produces cost one read.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use super::Agent;

/// How long to wait for a burst of events to settle.
const DEBOUNCE: Duration = Duration::from_millis(100);

/// Starts watching; the returned watcher must be kept alive.
pub fn start(agent: Arc<Agent>) -> Option<notify::RecommendedWatcher> {
    let path = agent.source.path()?.clone();
    let dir = watched_dir(&path);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut watcher = match notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| is_change(&e)) {
            let _ = tx.send(());
        }
    }) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("cannot watch {}: {e}; reload with SIGHUP or POST /-/reload", dir.display());
            return None;
        }
    };
    if let Err(e) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
        tracing::warn!("cannot watch {}: {e}; reload with SIGHUP or POST /-/reload", dir.display());
        return None;
    }
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            tokio::time::sleep(DEBOUNCE).await;
            while rx.try_recv().is_ok() {}
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
    Some(watcher)
}

/// Whether an event can mean new content. Reads are reported too (opening
/// and closing a file), and reacting to them would make every reader of the
/// directory, this watcher included, wake every other one.
pub fn is_change(event: &notify::Event) -> bool {
    !matches!(event.kind, notify::EventKind::Access(_))
}

/// The directory to watch for a config path: the directory itself, or the
/// file's parent.
fn watched_dir(path: &Path) -> PathBuf {
    if path.is_dir() {
        return path.to_path_buf();
    }
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
