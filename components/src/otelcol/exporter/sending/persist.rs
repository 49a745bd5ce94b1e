//! The disk side of a persistent sending queue (`sending_queue { storage
//! = otelcol.storage.file.<label>.handler }`).
//!
//! Every request is appended to the exporter's [`SegmentLog`] before the
//! pipeline is told it was taken, and an acknowledgement record is
//! appended once the backend took it (or it was dropped and counted).
//! After a crash, the requests without an acknowledgement are the queue.
//! So a restart sends again at most the requests that were in flight when
//! the process died: those are the only duplicates.
//!
//! Space comes back a whole segment at a time, from the oldest, so one old
//! request still waiting out its retries would keep every segment written
//! after it on disk, delivered or not. Such a request is moved: copied to
//! the newest segment, then acknowledged where it was. The disk then
//! holds the queue plus at most about one segment of delivered data.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::Payload;
use crate::durable::{Damage, Location, SegmentLog};
use crate::otelcol::storage::file::StorageHandler;
use crate::otlp::{Logs, Metrics, Signal, Traces};

/// The record kind of an acknowledgement: its payload is the sequence
/// number acknowledged, little-endian.
const ACK: u8 = 0;

fn kind(signal: Signal) -> u8 {
    match signal {
        Signal::Traces => 1,
        Signal::Metrics => 2,
        Signal::Logs => 3,
    }
}

/// One exporter's log, shared by the queue and every request taken from
/// it: a request settles against the log it was written to, even after
/// the exporter has moved to another storage.
#[derive(Clone)]
pub struct Disk(Arc<Mutex<Inner>>);

struct Inner {
    log: SegmentLog,
    handler: StorageHandler,
    /// Appended and not yet settled (queued or in flight), with where
    /// each is now.
    pending: BTreeMap<u64, Kept>,
    /// Requests moved to a newer segment: the sequence number they were
    /// queued under, to the one they have now.
    moved: HashMap<u64, u64>,
}

/// A pending request's place on disk.
#[derive(Clone, Copy)]
struct Kept {
    kind: u8,
    at: Location,
}

/// Where a queued request is kept on disk.
#[derive(Clone)]
pub struct Stored {
    pub disk: Disk,
    pub seq: u64,
    pub at: Location,
}

/// What was read back on open.
pub struct Reopened {
    pub disk: Disk,
    /// The requests never acknowledged, oldest first, with where they are.
    pub requests: Vec<(Payload, Stored)>,
    pub damage: Vec<Damage>,
    /// Records intact on disk that are not OTLP requests (written by
    /// something else): dropped, and counted as damage.
    pub unreadable: usize,
}

impl Disk {
    /// Opens `client`'s log through `handler` and reads back its queue.
    pub fn open(handler: &StorageHandler, client: &str) -> Result<Reopened, String> {
        let mut found: Vec<(u64, u8, Location, Bytes)> = Vec::new();
        let mut acked = BTreeSet::new();
        let opened = handler.open(client, |r| match r.kind {
            ACK => {
                if let Ok(seq) = <[u8; 8]>::try_from(r.payload) {
                    acked.insert(u64::from_le_bytes(seq));
                }
            }
            k => found.push((r.seq, k, r.at, Bytes::copy_from_slice(r.payload))),
        })?;
        let disk = Disk(Arc::new(Mutex::new(Inner { log: opened.log, handler: handler.clone(), pending: BTreeMap::new(), moved: HashMap::new() })));
        let mut requests = Vec::new();
        let mut unreadable = 0;
        for (seq, k, at, bytes) in found.into_iter().filter(|f| !acked.contains(&f.0)) {
            match decode(k, bytes) {
                Some(p) => {
                    disk.lock().pending.insert(seq, Kept { kind: k, at });
                    requests.push((p, Stored { disk: disk.clone(), seq, at }));
                }
                None => {
                    unreadable += 1;
                    disk.lock().acknowledge(seq);
                }
            }
        }
        if opened.compact && !requests.is_empty() {
            requests = disk.rewrite(requests);
        }
        disk.lock().release();
        Ok(Reopened { disk, requests, damage: opened.damage, unreadable })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes a request; it is on disk (and synced, with `fsync`) when
    /// this returns.
    pub fn append(&self, p: &Payload) -> std::io::Result<Stored> {
        let mut inner = self.lock();
        let fsync = inner.handler.fsync();
        inner.log.set_fsync(fsync);
        let k = kind(p.signal());
        let (seq, at) = inner.log.append(k, p.bytes())?;
        inner.pending.insert(seq, Kept { kind: k, at });
        Ok(Stored { disk: self.clone(), seq, at })
    }

    /// Reads a request back, for one whose bytes are not kept in memory,
    /// wherever it has been moved to.
    pub fn load(&self, signal: Signal, stored: &Stored) -> Result<Payload, String> {
        let inner = self.lock();
        let at = inner.pending.get(&inner.current(stored.seq)).map_or(stored.at, |k| k.at);
        let bytes = inner.log.read(&at).map_err(|e| e.to_string())?;
        drop(inner);
        decode(kind(signal), Bytes::from(bytes)).ok_or_else(|| "the stored request is not a valid OTLP request".to_string())
    }

    /// The request was delivered, or dropped and counted: it is not sent
    /// again after a restart.
    pub fn settle(&self, seq: u64) {
        let mut inner = self.lock();
        let mut now = seq;
        while let Some(next) = inner.moved.remove(&now) {
            now = next;
        }
        inner.acknowledge(now);
        inner.release();
    }

    /// `compaction.on_start`: writes what survived into new segments, so
    /// that the old ones, with everything already delivered in them, go.
    fn rewrite(&self, requests: Vec<(Payload, Stored)>) -> Vec<(Payload, Stored)> {
        self.lock().log.roll();
        let mut out = Vec::with_capacity(requests.len());
        for (p, old) in requests {
            match self.append(&p) {
                Ok(new) => {
                    self.lock().acknowledge(old.seq);
                    out.push((p, new));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "compaction on start could not rewrite a request; it stays where it was");
                    out.push((p, old));
                }
            }
        }
        out
    }

    /// Bytes of segment files, including what is delivered but not yet
    /// given back.
    pub fn bytes(&self) -> u64 {
        self.lock().log.bytes()
    }

    pub fn directory(&self) -> String {
        self.lock().log.dir().display().to_string()
    }

    /// Tests: writes fail as on a full disk once a segment reaches `at`.
    #[cfg(test)]
    pub(crate) fn fill_at(&self, at: Option<u64>) {
        self.lock().log.disk_full_at = at;
    }

    pub fn same(&self, other: &Disk) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Inner {
    /// The sequence number a request queued as `seq` has now.
    fn current(&self, seq: u64) -> u64 {
        let mut now = seq;
        while let Some(&next) = self.moved.get(&now) {
            now = next;
        }
        now
    }

    fn acknowledge(&mut self, seq: u64) {
        self.pending.remove(&seq);
        if let Err(e) = self.log.append_unsynced(ACK, &seq.to_le_bytes()) {
            tracing::warn!(error = %e, directory = %self.log.dir().display(), "could not record that a queued request was delivered; it may be sent again after a restart");
        }
    }

    /// Gives back the segments that hold only settled requests, moving
    /// the few requests that would keep a closed segment of delivered data.
    fn release(&mut self) {
        self.release_below_oldest();
        // All delivered: the segment being written goes too, rather than
        // sitting on disk until traffic fills it.
        if self.pending.is_empty() && self.log.bytes() > self.handler.segment_bytes() / 4 {
            self.log.roll();
            self.release_below_oldest();
        }
        while self.log.segments() > 1 {
            let Some(first) = self.log.first_segment() else { return };
            let pinned: Vec<(u64, Kept)> = self.pending.iter().filter(|(_, k)| k.at.segment == first).map(|(s, k)| (*s, *k)).collect();
            let bytes: u64 = pinned.iter().map(|(_, k)| u64::from(k.at.len)).sum();
            if pinned.is_empty() || bytes > self.handler.segment_bytes() / 4 {
                return;
            }
            for (seq, kept) in pinned {
                if let Err(e) = self.relocate(seq, kept) {
                    tracing::warn!(error = %e, directory = %self.log.dir().display(), "could not move a queued request out of an old segment; the segment stays");
                    return;
                }
            }
            self.release_below_oldest();
        }
    }

    fn release_below_oldest(&mut self) {
        let oldest = self.pending.keys().next().copied().unwrap_or_else(|| self.log.next_seq());
        if let Err(e) = self.log.release_below(oldest) {
            tracing::warn!(error = %e, directory = %self.log.dir().display(), "could not remove delivered segments");
        }
    }

    /// Copies a pending request to the newest segment, then acknowledges
    /// it where it was: a crash between the two sends it twice, never
    /// loses it.
    fn relocate(&mut self, seq: u64, kept: Kept) -> std::io::Result<()> {
        let bytes = self.log.read(&kept.at)?;
        let (new, at) = self.log.append(kept.kind, &bytes)?;
        self.pending.remove(&seq);
        self.pending.insert(new, Kept { kind: kept.kind, at });
        self.moved.insert(seq, new);
        if let Err(e) = self.log.append_unsynced(ACK, &seq.to_le_bytes()) {
            tracing::warn!(error = %e, "could not record that a queued request moved; it may be sent twice after a restart");
        }
        Ok(())
    }
}

fn decode(kind: u8, bytes: Bytes) -> Option<Payload> {
    match kind {
        1 => Traces::from_bytes(bytes).ok().map(Payload::Traces),
        2 => Metrics::from_bytes(bytes).ok().map(Payload::Metrics),
        3 => Logs::from_bytes(bytes).ok().map(Payload::Logs),
        _ => None,
    }
}
