//! Reloading when the config changes on disk.
//!
//! The watch is on the *directory*: editors replace files by renaming a new
//! one over the old, and Kubernetes updates a mounted ConfigMap by swapping
//! the `..data` symlink, and neither is seen by a watch on the file itself.
//! Events are debounced, and a reload only happens when the config's
//! content actually changed, so unrelated files in the directory and the
//! bursts of events one save produces cost one read.
//!
//! A config reached through symlinks (`/etc/solder/config.alloy` ->
//! `/srv/configs/agent.alloy`) is edited where it really is, so the
//! directory of every hop of the link chain is watched too, and the set is
//! worked out again after each change: retargeting a link moves the watch.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use super::Agent;

/// How long to wait for a burst of events to settle.
const DEBOUNCE: Duration = Duration::from_millis(100);

/// A running watch; dropping it stops the watch.
pub struct ConfigWatch {
    _watcher: Arc<Mutex<notify::RecommendedWatcher>>,
}

/// Starts watching.
pub fn start(agent: Arc<Agent>) -> Option<ConfigWatch> {
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
    let watcher = Arc::new(Mutex::new(watcher));
    let mut targets = BTreeSet::new();
    follow(&watcher, &mut targets, &path, &dir);
    let handle = Arc::clone(&watcher);
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            tokio::time::sleep(DEBOUNCE).await;
            while rx.try_recv().is_ok() {}
            follow(&handle, &mut targets, &path, &dir);
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
    Some(ConfigWatch { _watcher: watcher })
}

/// Moves the watches on the link chain's directories to where `path`'s
/// links point now. `dir` (the link's own directory) is watched for good.
fn follow(watcher: &Mutex<notify::RecommendedWatcher>, watched: &mut BTreeSet<PathBuf>, path: &Path, dir: &Path) {
    let mut wanted = link_dirs(path);
    if let Ok(own) = std::fs::canonicalize(dir) {
        wanted.remove(&own);
    }
    wanted.remove(dir);
    let mut w = match watcher.lock() {
        Ok(w) => w,
        Err(poisoned) => poisoned.into_inner(),
    };
    for gone in watched.difference(&wanted) {
        // The kernel has already dropped the watch of a deleted directory.
        let _ = w.unwatch(gone);
    }
    for new in wanted.difference(watched) {
        if let Err(e) = w.watch(new, RecursiveMode::NonRecursive) {
            tracing::warn!("cannot watch {}, where the config's link points: {e}", new.display());
        }
    }
    *watched = wanted;
}

/// The real directories holding each hop of `path`'s symlink chain and its
/// final target; empty when `path` is no link.
pub fn link_dirs(path: &Path) -> BTreeSet<PathBuf> {
    if path.is_dir() {
        // A directory of configs is read where it really is.
        return std::fs::canonicalize(path).into_iter().collect();
    }
    let mut dirs = BTreeSet::new();
    let mut hop = path.to_path_buf();
    // Linux gives up after 40 hops (ELOOP); so does this.
    for _ in 0..40 {
        let Ok(target) = std::fs::read_link(&hop) else { break };
        let base = hop.parent().map(Path::to_path_buf).unwrap_or_default();
        hop = base.join(target);
        if let Some(real) = hop.parent().and_then(|p| std::fs::canonicalize(p).ok()) {
            dirs.insert(real);
        }
    }
    if !dirs.is_empty() {
        if let Some(real) = std::fs::canonicalize(path).ok().and_then(|p| p.parent().map(Path::to_path_buf)) {
            dirs.insert(real);
        }
    }
    dirs
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
