//! Reloading when an imported module changes: `import.file` paths are
//! watched through the shared [`FileWatch`] (their directories, and every
//! hop of a symlinked path), `import.http` and `import.git` sources are
//! polled at their own frequency.
//!
//! A change reloads the whole config through [`Agent::reload`], so the
//! controller's rules apply inside modules as at the top level: what did
//! not change is kept, what changed is updated in place, and a module that
//! no longer loads leaves the last good graph running and reports where it
//! is broken. The set of sources is replaced after each successful load;
//! after a failed one the last good set stays watched, so a fix is seen.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use solder_components::filewatch::FileWatch;
use solder_syntax::SourceFile;
use tokio_util::sync::CancellationToken;

use super::Agent;
use crate::runtime::modules::{self, ImportSource};

/// How long to wait for a burst of file events to settle.
const DEBOUNCE: Duration = Duration::from_millis(100);

/// What is watched for the running config's modules.
#[derive(Default)]
pub struct ModuleWatch {
    state: Mutex<Watched>,
}

#[derive(Default)]
struct Watched {
    sources: Vec<ImportSource>,
    files: Vec<Arc<FileWatch>>,
    /// Stops the pollers and the file-event loop of this set.
    stop: Option<CancellationToken>,
}

impl Drop for Watched {
    fn drop(&mut self) {
        if let Some(stop) = &self.stop {
            stop.cancel();
        }
    }
}

impl ModuleWatch {
    /// Watches `sources` (the imports of a config that just loaded) unless
    /// they are what is watched already. `read` is the module files that
    /// load read: a file edited since (before its watch started) reloads
    /// at once, or the edit would go unseen until the next one.
    pub fn follow(&self, agent: &Weak<Agent>, sources: &[ImportSource], read: &[Arc<SourceFile>]) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.sources == sources {
            return;
        }
        *state = Watched { sources: sources.to_vec(), files: Vec::new(), stop: None };
        if sources.iter().all(|s| *s == ImportSource::Inline) {
            return;
        }
        let stop = CancellationToken::new();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        for source in sources {
            match source {
                ImportSource::File(path) => match FileWatch::start(path, tx.clone()) {
                    Ok(w) => state.files.push(Arc::new(w)),
                    Err(e) => tracing::warn!("{e}; edits of this module are seen on the next reload only"),
                },
                ImportSource::Http { poll_frequency, .. }
                | ImportSource::Git { pull_frequency: poll_frequency, .. }
                | ImportSource::PolledFile(_, poll_frequency) => {
                    tokio::spawn(poll(source.clone(), *poll_frequency, agent.clone(), stop.clone()));
                }
                ImportSource::Inline => {}
            }
        }
        let files = state.files.clone();
        let file_sources: Vec<ImportSource> = sources.iter().filter(|s| matches!(s, ImportSource::File(_))).cloned().collect();
        // Taken here, with the watches already on, not when the task
        // first runs: an edit made in between (the task may wait for a
        // busy worker) would be in both fingerprints and never reload.
        // If the files already differ from what the load read, the
        // baseline is one no fingerprint equals (its complement), and an
        // event is queued: the task reloads once the debounce has passed.
        let now = on_disk(&file_sources);
        let mut loaded = fingerprint_of(&now);
        if edited_since(&now, read) {
            loaded = !loaded;
            let _ = tx.send(());
        }
        tokio::spawn(file_events(rx, files, file_sources, loaded, agent.clone(), stop.clone()));
        state.stop = Some(stop);
    }
}

/// Reloads when a watched module file's content changes from `last`.
async fn file_events(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<()>,
    files: Vec<Arc<FileWatch>>,
    sources: Vec<ImportSource>,
    mut last: u64,
    agent: Weak<Agent>,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            event = rx.recv() => if event.is_none() { return },
        }
        tokio::time::sleep(DEBOUNCE).await;
        while rx.try_recv().is_ok() {}
        files.iter().for_each(|f| f.refollow());
        let now = fingerprint(&sources);
        if now == last {
            continue;
        }
        last = now;
        let Some(agent) = agent.upgrade() else { return };
        let _ = agent.reload("module").await;
    }
}

/// Fetches an HTTP, git or polled file module every `every`, and reloads when what it
/// returns changes (a failing fetch counts as a change, so it is reported).
async fn poll(source: ImportSource, every: Duration, agent: Weak<Agent>, stop: CancellationToken) {
    let fetch = move |source: ImportSource| async move {
        let text = |files: Vec<Arc<solder_syntax::SourceFile>>| files.iter().map(|f| format!("{}\0{}", f.name, f.text)).collect::<Vec<_>>().join("\0");
        tokio::task::spawn_blocking(move || match &source {
            ImportSource::Http { .. } => modules::fetch_http(&source),
            ImportSource::PolledFile(path, _) => modules::read_path(path).map(text),
            _ => modules::fetch_git(&source).map(text),
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()))
    };
    // The load fetched the module before this task started, and it may
    // have changed in between: the first fetch is compared with nothing,
    // so it reloads once rather than taking a change it never loaded as
    // its baseline.
    let mut last = None;
    let mut every = tokio::time::interval(every.max(Duration::from_millis(100)));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        let now = Some(hash(&fetch(source.clone()).await));
        if now != last {
            last = now;
            let Some(agent) = agent.upgrade() else { return };
            let _ = agent.reload("module").await;
        }
    }
}

/// What the watched module files hold now (or why they cannot be read).
fn fingerprint(sources: &[ImportSource]) -> u64 {
    fingerprint_of(&on_disk(sources))
}

/// Each watched source's files as they are now, or why they cannot be
/// read.
fn on_disk(sources: &[ImportSource]) -> Vec<Result<Vec<Arc<SourceFile>>, String>> {
    sources
        .iter()
        .filter_map(|source| match source {
            ImportSource::File(path) => Some(modules::read_path(path)),
            _ => None,
        })
        .collect()
}

fn fingerprint_of(files: &[Result<Vec<Arc<SourceFile>>, String>]) -> u64 {
    let mut h = DefaultHasher::new();
    for source in files {
        match source {
            Ok(files) => files.iter().for_each(|f| (&f.name, &f.text).hash(&mut h)),
            Err(e) => e.hash(&mut h),
        }
    }
    h.finish()
}

/// Whether a watched module file is not what the load read: its text
/// changed, it is new, or it cannot be read now.
fn edited_since(files: &[Result<Vec<Arc<SourceFile>>, String>], read: &[Arc<SourceFile>]) -> bool {
    files.iter().any(|source| match source {
        Ok(files) => files.iter().any(|f| !read.iter().any(|r| r.name == f.name && r.text == f.text)),
        Err(_) => true,
    })
}

fn hash<T: Hash>(v: &T) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use solder_syntax::SourceFile;

    use super::ModuleWatch;
    use crate::agent::testing::agent;
    use crate::runtime::modules::ImportSource;

    fn module(timeout: &str) -> String {
        format!("declare \"pipeline\" {{\n  otelcol.processor.batch \"b\" {{\n    timeout = \"{timeout}\"\n    output {{ }}\n  }}\n}}\n")
    }

    /// Whether the agent reloaded for a module before `limit` passed.
    async fn reloaded_for_a_module(agent: &crate::agent::Agent, limit: Duration) -> bool {
        let began = Instant::now();
        while began.elapsed() < limit {
            if agent.status().is_some_and(|s| s.trigger == "module") {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    /// A module file edited after the load read it but before its watch
    /// started (the load and the watch are apart while the controller
    /// applies the config) makes no event the watch sees; the watch
    /// finds it by comparing the files with what the load read. Files as
    /// the load read them reload nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_module_edited_before_its_watch_started_reloads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.alloy");
        std::fs::write(&path, module("1s")).expect("writes");
        let config = format!("import.file \"m\" {{\n  filename = {:?}\n}}\nm.pipeline \"p\" {{ }}\n", path.display().to_string());
        let agent = agent(config, dir.path());
        // The agent's own watch stays off: only the one under test runs.
        agent.no_module_watch();
        agent.reload("test").await.expect("loads");
        let sources = [ImportSource::File(path.clone())];
        let read = [SourceFile::new(path.display().to_string(), module("1s"))];

        let unchanged = ModuleWatch::default();
        unchanged.follow(&Arc::downgrade(&agent), &sources, &read);
        assert!(!reloaded_for_a_module(&agent, super::DEBOUNCE * 4).await, "files as loaded reloaded");
        drop(unchanged);

        std::fs::write(&path, module("2s")).expect("writes");
        let edited = ModuleWatch::default();
        edited.follow(&Arc::downgrade(&agent), &sources, &read);
        assert!(reloaded_for_a_module(&agent, Duration::from_secs(10)).await, "an edit made before the watch started was never loaded");
        agent.controller.shutdown().await;
    }
}
