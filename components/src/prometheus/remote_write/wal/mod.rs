//! [`Wal`]: the component's write-ahead log, in `<data path>/wal` as
//! Alloy keeps it, on the segment log of [`crate::durable`].
//!
//! A batch is written to the log before `append` returns, and from then
//! on each endpoint reads it from there: straight from memory when the
//! endpoint is keeping up, from disk when it has fallen behind (see
//! [`super::queue`]). Each endpoint saves how far it has sent
//! ([`position`]), so a restart after a crash sends what was not sent.
//!
//! Space comes back a segment at a time ([`Wal::truncate`]): once every
//! endpoint has sent it and it is older than `min_keepalive_time`, or,
//! sent or not, once it is older than `max_keepalive_time`; past
//! `max_size` new samples are refused.

pub mod position;
pub mod record;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio::sync::Notify;

pub use position::Position;

use super::config::WalArgs;
use super::convert::Converted;
use super::sender::Endpoint;
use crate::durable::{Location, LogOptions, SegmentLog};
use crate::selfmetrics::{ComponentMetrics, Counter, Gauge};
use crate::sync::lock;
use position::Positions;

/// How long a failed open waits before an append tries again.
const REOPEN_AFTER: Duration = Duration::from_secs(5);

pub struct Wal {
    dir: PathBuf,
    positions: Positions,
    args: Mutex<WalArgs>,
    state: Mutex<State>,
    metrics: WalMetrics,
    component: String,
    /// Fired when the log passes half of `max_size`: the run loop then
    /// removes what every endpoint has sent, without waiting for
    /// `truncate_frequency`.
    pub filling: Notify,
    /// Appends are being refused; logged once per episode.
    refusing: AtomicBool,
}

enum State {
    Unopened,
    Open(Box<Opened>),
    /// Appends are refused with `error` until an open succeeds.
    Failed {
        error: String,
        at: Instant,
    },
    /// The component stopped: the log is closed and its lock let go. The
    /// index stays, to tell what was left for the next start.
    Closed(BTreeMap<u64, Entry>),
}

struct Opened {
    log: SegmentLog,
    /// The records on disk, by sequence number.
    index: BTreeMap<u64, Entry>,
}

#[derive(Clone, Copy)]
struct Entry {
    at: Location,
    samples: u32,
}

/// Named as Prometheus' `tsdb/wlog` and Alloy's WAL storage name theirs,
/// where they have one.
struct WalMetrics {
    bytes: Gauge,
    segments: Gauge,
    corruptions: Counter,
    truncations: Counter,
    truncations_failed: Counter,
    writes_failed: Counter,
    appended: Counter,
    refused_full: Counter,
    refused_failed: Counter,
}

impl WalMetrics {
    fn new(m: &ComponentMetrics) -> WalMetrics {
        let refused = |reason| {
            let help = "Samples refused because the WAL could not take them: past max_size, or a failed write or open.";
            m.counter("prometheus_remote_write_wal_samples_refused_total", help, &[("reason", reason)])
        };
        WalMetrics {
            bytes: m.gauge("prometheus_tsdb_wal_storage_size_bytes", "Size of the WAL's segment files, in bytes.", &[]),
            segments: m.gauge("prometheus_remote_write_wal_segments", "Segment files in the WAL.", &[]),
            corruptions: m.counter("prometheus_tsdb_wal_corruptions_total", "Damaged stretches of the WAL skipped when it was opened or read.", &[]),
            truncations: m.counter("prometheus_tsdb_wal_truncations_total", "Truncations of the WAL that removed segments.", &[]),
            truncations_failed: m.counter("prometheus_tsdb_wal_truncations_failed_total", "Truncations of the WAL that failed.", &[]),
            writes_failed: m.counter("prometheus_tsdb_wal_writes_failed_total", "Records that could not be written to the WAL.", &[]),
            appended: m.counter("prometheus_remote_write_wal_samples_appended_total", "Samples written to the WAL.", &[]),
            refused_full: refused("max_size"),
            refused_failed: refused("write_failed"),
        }
    }
}

impl Wal {
    /// The WAL of the component whose data path is `data_path`. Nothing
    /// is opened yet: a build has no side effects.
    pub fn new(data_path: &Path, metrics: &ComponentMetrics, args: WalArgs) -> Wal {
        let dir = data_path.join("wal");
        Wal {
            positions: Positions::new(&dir, false),
            dir,
            args: Mutex::new(args),
            state: Mutex::new(State::Unopened),
            metrics: WalMetrics::new(metrics),
            component: metrics.component_id().to_string(),
            filling: Notify::new(),
            refusing: AtomicBool::new(false),
        }
    }

    pub fn set_args(&self, args: WalArgs) {
        *lock(&self.args) = args;
    }

    pub fn args(&self) -> WalArgs {
        lock(&self.args).clone()
    }

    /// Opens the log if it is not open yet, reading back what a previous
    /// run left and placing every endpoint where it stopped. Waits up to
    /// `lock_timeout` for another holder of the directory.
    pub fn open(&self, endpoints: &[Arc<Endpoint>], lock_timeout: Duration) -> Result<(), String> {
        let mut state = lock(&self.state);
        match &*state {
            State::Open(_) => return Ok(()),
            State::Closed(_) => return Err("prometheus.remote_write is shutting down".into()),
            _ => {}
        }
        let max_size = lock(&self.args).max_size.0;
        let options = LogOptions { segment_bytes: (max_size / 16).clamp(4 << 10, 16 << 20), fsync: false };
        let mut index = BTreeMap::new();
        let mut unknown = Vec::new();
        let opened = SegmentLog::open(&self.dir, options, lock_timeout, |r| match record::samples(r.kind, r.payload) {
            Some(samples) => {
                index.insert(r.seq, Entry { at: r.at, samples });
            }
            None => unknown.push(r.seq),
        });
        let (log, damage) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                let error = format!("cannot open the WAL in {}: {e}", self.dir.display());
                tracing::error!(component = %self.component, "{error}; samples are refused until it opens");
                *state = State::Failed { error: error.clone(), at: Instant::now() };
                return Err(error);
            }
        };
        for d in &damage {
            tracing::warn!(component = %self.component, "WAL damaged, the intact records around it are kept: {d}");
        }
        for seq in &unknown {
            tracing::warn!(component = %self.component, "WAL record {seq} in {} is of an unknown kind; skipped", self.dir.display());
        }
        self.metrics.corruptions.add((damage.len() + unknown.len()) as u64);
        let mut opened = Opened { log, index };
        let keys: Vec<String> = endpoints.iter().map(|e| e.key()).collect();
        for gone in self.positions.remove_others(&keys) {
            tracing::info!(component = %self.component, "forgot the WAL position of endpoint {gone:?}, which is no longer configured");
        }
        for e in endpoints {
            self.place(&mut opened, e, true);
        }
        self.publish(&opened);
        *state = State::Open(Box::new(opened));
        Ok(())
    }

    /// Whether an append should try to open the log: it has not been
    /// opened, or its last failure is [`REOPEN_AFTER`] old.
    pub fn open_due(&self) -> bool {
        match &*lock(&self.state) {
            State::Unopened => true,
            State::Failed { at, .. } => at.elapsed() >= REOPEN_AFTER,
            _ => false,
        }
    }

    /// Gives a new endpoint its place in an open log: where it stopped,
    /// or, if it never ran, the end of the log (it sends what arrives from
    /// now on). An endpoint created before the log opens is placed then.
    pub fn attach(&self, e: &Endpoint) {
        if let State::Open(opened) = &mut *lock(&self.state) {
            self.place(opened, e, false);
        }
    }

    fn place(&self, opened: &mut Opened, e: &Endpoint, replay: bool) {
        let key = e.key();
        let saved = self.positions.load(&key).unwrap_or_else(|error| {
            // Resending the whole log beats losing part of it.
            tracing::warn!(component = %self.component, endpoint = %e.name, "{error}; the endpoint starts from the oldest record in the WAL");
            Some(Position::at(opened.index.keys().next().copied().unwrap_or(opened.log.next_seq())))
        });
        let start = saved.unwrap_or(Position::at(opened.log.next_seq()));
        if saved.is_none() {
            // Saved at once: a crash before its first send must not make it
            // a new endpoint again, one that skips what it was given.
            if let Err(error) = self.positions.save(&key, start) {
                tracing::warn!(component = %self.component, endpoint = %e.name, "cannot save the endpoint's WAL position: {error}");
            }
        }
        let behind = samples_from(&opened.index, start);
        e.attached(start, if replay { behind } else { 0 });
    }

    /// Takes an endpoint out, for good: what it had queued or still to
    /// read is returned (to be counted as dropped), nothing more enters its
    /// queue, and its position is forgotten so that it no longer holds the
    /// log back.
    pub fn detach(&self, e: &Endpoint) -> u64 {
        let state = lock(&self.state);
        let behind = match &*state {
            State::Open(opened) => samples_from(&opened.index, e.queue.unread()),
            _ => 0,
        };
        let queued = e.queue.clear() as u64;
        e.queue.skip_to(u64::MAX);
        drop(state);
        if let Err(error) = self.positions.remove(&e.key()) {
            tracing::warn!(component = %self.component, endpoint = %e.name, "cannot remove the endpoint's WAL position: {error}");
        }
        queued + behind
    }

    /// Writes a converted batch, then offers it to every endpoint that is
    /// keeping up. Refuses it when the log is not open, is past
    /// `max_size`, or the write fails (a full disk).
    pub fn append(&self, payload: &[u8], batch: &Arc<Converted>, endpoints: &[Arc<Endpoint>]) -> Result<(), String> {
        let samples = u32::try_from(batch.len()).unwrap_or(u32::MAX);
        let max_size = lock(&self.args).max_size;
        let mut state = lock(&self.state);
        let opened = match &mut *state {
            State::Open(opened) => opened,
            State::Failed { error, .. } => return Err(self.refuse(&self.metrics.refused_failed, samples, error.clone())),
            State::Unopened | State::Closed(_) => return Err("prometheus.remote_write is not running".into()),
        };
        if opened.log.bytes() >= max_size.0 {
            self.filling.notify_one();
            let why = format!("the WAL in {} is full ({} bytes, max_size {max_size}): the endpoints are behind", self.dir.display(), opened.log.bytes());
            return Err(self.refuse(&self.metrics.refused_full, samples, why));
        }
        let (seq, at) = match opened.log.append(record::BATCH, payload) {
            Ok(written) => written,
            Err(e) => {
                self.metrics.writes_failed.add(1);
                let why = format!("cannot write to the WAL in {}: {e}", self.dir.display());
                return Err(self.refuse(&self.metrics.refused_failed, samples, why));
            }
        };
        opened.index.insert(seq, Entry { at, samples });
        self.metrics.appended.add(u64::from(samples));
        for e in endpoints {
            e.appended(seq, batch);
        }
        self.publish(opened);
        if opened.log.bytes() > max_size.0 / 2 {
            self.filling.notify_one();
        }
        if self.refusing.swap(false, Ordering::Relaxed) {
            tracing::info!(component = %self.component, "the WAL takes samples again");
        }
        Ok(())
    }

    /// Counts and logs a refusal (the log once per episode).
    fn refuse(&self, counter: &Counter, samples: u32, why: String) -> String {
        counter.add(u64::from(samples));
        if !self.refusing.swap(true, Ordering::Relaxed) {
            tracing::error!(component = %self.component, "refusing samples: {why}");
        }
        format!("{why}; refused {samples} samples")
    }

    /// Reads records back into an endpoint's queue, from its cursor on,
    /// while the queue has room.
    pub fn fill(&self, e: &Endpoint) {
        let state = lock(&self.state);
        let State::Open(opened) = &*state else { return };
        loop {
            let cursor = e.queue.cursor();
            let Some((&seq, entry)) = opened.index.range(cursor..).next() else { return };
            if !e.queue.wants(seq, entry.samples as usize) {
                return;
            }
            let read = opened.log.read(&entry.at).map_err(|err| err.to_string()).and_then(|payload| record::decode(record::BATCH, &payload));
            match read {
                Ok(batch) => {
                    e.queue.push_read(seq, &Arc::new(batch));
                }
                Err(err) => {
                    self.metrics.corruptions.add(1);
                    tracing::error!(component = %self.component, endpoint = %e.name, "cannot read WAL record {seq} back: {err}; its {} samples are dropped", entry.samples);
                    e.unreadable(u64::from(entry.samples));
                    e.queue.skip_to(seq + 1);
                }
            }
        }
    }

    /// Removes the segments no endpoint needs: those every endpoint has
    /// sent and older than `min_keepalive_time` (any age when `sent_now`,
    /// the log passing half its size), and those older than
    /// `max_keepalive_time`, whose unsent samples are counted as dropped.
    pub fn truncate(&self, endpoints: &[Arc<Endpoint>], sent_now: bool) {
        let args = lock(&self.args).clone();
        let mut state = lock(&self.state);
        let State::Open(opened) = &mut *state else { return };
        let now = SystemTime::now();
        let before = |age: Duration| now.checked_sub(age).and_then(|t| opened.log.last_seq_written_before(t)).map_or(0, |last| last + 1);
        let low = endpoints.iter().map(|e| e.queue.low_water().seq).min().unwrap_or(opened.log.next_seq());
        let sent = if sent_now { low } else { low.min(before(args.min_keepalive_time.0)) };
        let expired = before(args.max_keepalive_time.0);
        for e in endpoints {
            let cursor = e.queue.cursor();
            if cursor < expired {
                let lost: u64 = opened.index.range(cursor..expired).map(|(_, en)| u64::from(en.samples)).sum();
                tracing::warn!(component = %self.component, endpoint = %e.name, samples = lost, "dropped unsent samples older than max_keepalive_time ({}) from the WAL", args.max_keepalive_time);
                e.expired(lost);
                e.queue.skip_to(expired);
            }
        }
        match opened.log.release_below(sent.max(expired)) {
            Ok(0) => {}
            Ok(_) => {
                self.metrics.truncations.add(1);
                match opened.log.first_segment() {
                    Some(first) => opened.index = opened.index.split_off(&first),
                    None => opened.index.clear(),
                }
            }
            Err(e) => {
                self.metrics.truncations_failed.add(1);
                tracing::warn!(component = %self.component, "cannot remove WAL segments in {}: {e}", self.dir.display());
            }
        }
        self.publish(opened);
    }

    /// Samples in the log from `from` on: what an endpoint there has still
    /// to read.
    pub fn behind(&self, from: Position) -> u64 {
        match &*lock(&self.state) {
            State::Open(opened) => samples_from(&opened.index, from),
            State::Closed(index) => samples_from(index, from),
            _ => 0,
        }
    }

    pub fn save_position(&self, key: &str, pos: Position) -> std::io::Result<()> {
        self.positions.save(key, pos)
    }

    pub fn is_open(&self) -> bool {
        matches!(&*lock(&self.state), State::Open(_))
    }

    /// Why the log is not open, if it failed to.
    pub fn failure(&self) -> Option<String> {
        match &*lock(&self.state) {
            State::Failed { error, .. } => Some(error.clone()),
            _ => None,
        }
    }

    /// Closes the log and lets go of its lock, at the end of `run`.
    pub fn close(&self) {
        let mut state = lock(&self.state);
        let index = match std::mem::replace(&mut *state, State::Unopened) {
            State::Open(opened) => opened.index,
            State::Closed(index) => index,
            _ => BTreeMap::new(),
        };
        *state = State::Closed(index);
    }

    fn publish(&self, opened: &Opened) {
        self.metrics.bytes.set(i64::try_from(opened.log.bytes()).unwrap_or(i64::MAX));
        self.metrics.segments.set(opened.log.segments() as i64);
    }

    pub fn debug_info(&self) -> Value {
        let uint = |n: u64| Value::Number(Number::Uint(n));
        let mut fields = vec![("dir", Value::from(self.dir.display().to_string()))];
        match &*lock(&self.state) {
            State::Open(o) => {
                fields.push(("state", Value::from("open")));
                fields.push(("bytes", uint(o.log.bytes())));
                fields.push(("segments", uint(o.log.segments() as u64)));
                fields.push(("records", uint(o.index.len() as u64)));
                fields.push(("next_record", uint(o.log.next_seq())));
            }
            State::Failed { error, .. } => {
                fields.push(("state", Value::from("failed")));
                fields.push(("error", Value::from(error.as_str())));
            }
            State::Unopened => fields.push(("state", Value::from("not opened"))),
            State::Closed(_) => fields.push(("state", Value::from("closed"))),
        }
        Value::object(fields)
    }
}

/// Samples in `index` from `from` on.
fn samples_from(index: &BTreeMap<u64, Entry>, from: Position) -> u64 {
    let all: u64 = index.range(from.seq..).map(|(_, e)| u64::from(e.samples)).sum();
    let skipped = index.get(&from.seq).map_or(0, |e| u64::from(e.samples.min(from.offset)));
    all - skipped
}
