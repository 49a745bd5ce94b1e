//! The loop every informer runs, whatever it watches: kube-runtime's
//! `watcher` events turned into updates of a slim cache.
//!
//! The protocol is kube-runtime's: it lists (paged, with the list's
//! `resourceVersion`), watches from that version with bookmarks on (so a
//! reconnect resumes from a recent version instead of relisting),
//! re-watches when the server ends a watch, and relists when the server
//! answers 410 Gone (the version was compacted away). Errors back off
//! exponentially (kube's default: 0.8 s doubling to 30 s). A relist builds
//! a new cache aside and swaps it in when complete, so lookups never see a
//! half-listed set. Each kind supplies only its cache ([`SlimCache`]) and
//! the conversion from what the API sends to what the cache keeps.

use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use kube::runtime::watcher::{self, Event};
use kube::Resource;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::selfmetrics::{ComponentMetrics, Counter};
use crate::sync::lock;

/// The informer's state as health reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InformerHealth {
    /// A list has completed, so the cache reflects the cluster.
    pub synced: bool,
    /// The last list or watch failed and no event has arrived since: the
    /// cache may be falling behind the cluster.
    pub failing: bool,
    /// The last error from the API, kept after recovery for diagnosis.
    pub last_error: Option<String>,
    /// Completed lists, the first one included.
    pub lists: u64,
    /// Errors that interrupted a list or watch (each retried after backoff).
    pub watch_errors: u64,
    /// When the last error came.
    pub last_error_at: Option<Instant>,
}

impl InformerHealth {
    /// The state as component debug info shows it.
    pub fn debug_value(&self) -> solder_syntax::Value {
        use solder_syntax::value::Number;
        use solder_syntax::Value;
        Value::object([
            ("synced", Value::Bool(self.synced)),
            ("failing", Value::Bool(self.failing)),
            ("lists", Value::Number(Number::Uint(self.lists))),
            ("watch_errors", Value::Number(Number::Uint(self.watch_errors))),
            ("last_error", Value::String(self.last_error.clone().unwrap_or_default())),
        ])
    }
}

/// A failing informer whose last error is older than this has recovered:
/// kube's watcher retries at most 30 s apart, and a watch that reopens on
/// a quiet cluster sends no event to say so.
const RECOVERED_AFTER: Duration = Duration::from_secs(35);

/// A cache an informer keeps current.
pub(crate) trait SlimCache: Send + Sync + 'static {
    /// What the cache keeps of one object.
    type Slim: Send + 'static;
    /// An empty cache with this one's settings, for a relist to fill.
    fn fresh(&self) -> Self;
    /// Adds or replaces an object (ADDED, MODIFIED, or listed).
    fn apply(&mut self, item: Self::Slim);
    /// Removes an object (DELETED) by UID.
    fn delete(&mut self, uid: &str, now: Instant);
    /// The relisted cache about to replace this one; a cache that keeps
    /// deleted objects for a while carries them over here.
    fn relisted(&self, fresh: Self, _now: Instant) -> Self
    where
        Self: Sized,
    {
        fresh
    }
    /// How often [`SlimCache::sweep`] should run; `None` never.
    fn sweep_every(&self) -> Option<Duration> {
        None
    }
    /// Drops what has outstayed its time.
    fn sweep(&mut self, _now: Instant) {}
}

/// What an informer's handle and its task share.
pub(crate) struct Informed<C> {
    pub cache: Arc<RwLock<C>>,
    pub health: Arc<Mutex<InformerHealth>>,
    /// Counts the changes to the cache and the errors, for a consumer that
    /// acts on each change instead of looking things up (the load-balancing
    /// exporter's resolver); lookups need not watch it.
    changes: Arc<watch::Sender<u64>>,
}

impl<C> Clone for Informed<C> {
    fn clone(&self) -> Self {
        Informed { cache: self.cache.clone(), health: self.health.clone(), changes: self.changes.clone() }
    }
}

/// An informer's counters in the agent's metrics.
pub(crate) struct Counters {
    lists: Counter,
    errors: Counter,
}

impl Counters {
    /// The two counters of one kind (`solder_kubernetes_<kind>_lists_total`
    /// and `…_watch_errors_total`), when there is a metrics scope.
    pub(crate) fn new(metrics: Option<&ComponentMetrics>, lists: &'static str, errors: &'static str) -> Option<Counters> {
        metrics.map(|m| Counters {
            lists: m.counter(lists, "Complete lists, the first included", &[]),
            errors: m.counter(errors, "List or watch errors, each retried after a backoff", &[]),
        })
    }
}

impl<C: SlimCache> Informed<C> {
    pub(crate) fn new(cache: C) -> Informed<C> {
        Informed { cache: Arc::new(RwLock::new(cache)), health: Arc::default(), changes: Arc::new(watch::channel(0).0) }
    }

    /// Sees a new value after each change to the cache (a completed list,
    /// an object applied or deleted) and each error.
    pub(crate) fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn changed(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, C> {
        // A writer that panicked left the cache whole (every update is one
        // map operation at a time), so poison is ignored.
        self.cache.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, C> {
        self.cache.write().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn health(&self) -> InformerHealth {
        let mut h = lock(&self.health).clone();
        if h.last_error_at.is_some_and(|at| at.elapsed() >= RECOVERED_AFTER) {
            h.failing = false;
        }
        h
    }

    /// Runs `events` into the cache on a task of its own until `cancel`
    /// fires, converting each object with `slim` (`None`: not kept).
    pub(crate) fn spawn<K, S, F>(&self, events: S, slim: F, counters: Option<Counters>, cancel: CancellationToken)
    where
        K: Resource + Send + 'static,
        S: Stream<Item = watcher::Result<Event<K>>> + Send + 'static,
        F: Fn(K) -> Option<C::Slim> + Send + 'static,
    {
        let run = self.clone();
        let mut sweeps = self.read().sweep_every().map(tokio::time::interval);
        tokio::spawn(async move {
            tokio::pin!(events);
            let mut listing = run.read().fresh();
            loop {
                let next = tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tick(&mut sweeps) => {
                        run.write().sweep(Instant::now());
                        continue;
                    }
                    next = events.next() => next,
                };
                match next {
                    None => return,
                    Some(Ok(event)) => {
                        lock(&run.health).failing = false;
                        let changes_cache = matches!(event, Event::InitDone | Event::Apply(_) | Event::Delete(_));
                        run.on_event(event, &slim, &mut listing, counters.as_ref());
                        if changes_cache {
                            run.changed();
                        }
                    }
                    Some(Err(e)) => {
                        let mut h = lock(&run.health);
                        h.failing = true;
                        h.last_error_at = Some(Instant::now());
                        h.watch_errors += 1;
                        h.last_error = Some(with_causes(&e));
                        if let Some(c) = &counters {
                            c.errors.add(1);
                        }
                        drop(h);
                        run.changed();
                    }
                }
            }
        });
    }

    fn on_event<K: Resource>(&self, event: Event<K>, slim: &impl Fn(K) -> Option<C::Slim>, listing: &mut C, counters: Option<&Counters>) {
        match event {
            Event::Init => *listing = self.read().fresh(),
            Event::InitApply(object) => {
                if let Some(item) = slim(object) {
                    listing.apply(item);
                }
            }
            Event::InitDone => {
                let listed = std::mem::replace(listing, self.read().fresh());
                let mut cache = self.write();
                *cache = cache.relisted(listed, Instant::now());
                drop(cache);
                let mut h = lock(&self.health);
                h.synced = true;
                h.lists += 1;
                if let Some(c) = counters {
                    c.lists.add(1);
                }
            }
            Event::Apply(object) => {
                if let Some(item) = slim(object) {
                    self.write().apply(item);
                }
            }
            Event::Delete(object) => {
                if let Some(uid) = object.meta().uid.as_deref() {
                    self.write().delete(uid, Instant::now());
                }
            }
        }
    }
}

/// The next sweep, or never.
async fn tick(sweeps: &mut Option<tokio::time::Interval>) {
    match sweeps {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// An error and its causes, `: `-joined: kube's own message ("client error
/// (Connect)") does not say what failed; its sources do ("Connection
/// refused").
pub(crate) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}
