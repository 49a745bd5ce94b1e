//! [`SampleQueue`]: the part of one endpoint's backlog held in memory, a
//! bounded window onto the WAL, counted in samples.
//!
//! Records enter it in WAL order, each at most once: the record just
//! appended goes straight in when the queue has taken every record before
//! it and has room; otherwise the endpoint has fallen behind, and its
//! sender reads records back from the WAL as room frees up. So a full
//! queue never refuses anything: the backlog waits on disk. A batch larger
//! than the whole queue enters only an empty queue, and leaves in pieces
//! of `max_samples_per_send`.
//!
//! The queue also knows how far the endpoint is ([`SampleQueue::low_water`]):
//! the oldest sample not yet done, whether queued or in the request being
//! sent. That is the position saved for a restart.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio::time::Instant;

use super::convert::Converted;
use super::wal::Position;
use crate::sync::lock;

/// Part of a queued batch, taken for one request.
pub struct Slice {
    pub batch: Arc<Converted>,
    pub range: Range<usize>,
}

pub struct SampleQueue {
    state: Mutex<State>,
    /// A batch was queued, or the queue was asked to wake its reader.
    pub pushed: Notify,
}

struct State {
    /// Batches in WAL order; the first may be partly taken already.
    chunks: VecDeque<Chunk>,
    samples: usize,
    capacity: usize,
    /// The sequence number from which WAL records have not entered the
    /// queue yet.
    cursor: u64,
    /// Where the request being sent starts, from `take` until `finish`.
    in_flight: Option<Position>,
    /// Samples taken since the last `finish`.
    in_flight_samples: usize,
    /// Where a restart resumed: record `resume.seq` enters from sample
    /// `resume.offset` on.
    resume: Position,
}

struct Chunk {
    seq: u64,
    batch: Arc<Converted>,
    next: usize,
    queued_at: Instant,
}

impl Chunk {
    fn position(&self) -> Position {
        Position { seq: self.seq, offset: u32::try_from(self.next).unwrap_or(u32::MAX) }
    }
}

impl State {
    fn unread(&self) -> Position {
        if self.cursor == self.resume.seq {
            self.resume
        } else {
            Position::at(self.cursor)
        }
    }

    /// Room for `n` more samples: what fits, or anything in an empty queue.
    fn fits(&self, n: usize) -> bool {
        self.samples == 0 || self.samples + n <= self.capacity
    }

    /// Samples of record `seq` already done before a restart.
    fn skip(&self, seq: u64) -> usize {
        if seq == self.resume.seq {
            self.resume.offset as usize
        } else {
            0
        }
    }

    fn push(&mut self, seq: u64, batch: &Arc<Converted>) {
        let skip = self.skip(seq);
        self.cursor = seq + 1;
        let n = batch.len().saturating_sub(skip);
        if n > 0 {
            self.samples += n;
            self.chunks.push_back(Chunk { seq, batch: Arc::clone(batch), next: skip, queued_at: Instant::now() });
        }
    }
}

impl SampleQueue {
    /// An empty queue whose first record will be `cursor`.
    pub fn new(capacity: usize, cursor: u64) -> SampleQueue {
        let state = State { chunks: VecDeque::new(), samples: 0, capacity, cursor, in_flight: None, in_flight_samples: 0, resume: Position::at(cursor) };
        SampleQueue { state: Mutex::new(state), pushed: Notify::new() }
    }

    /// Takes record `seq`, just appended to the WAL, if every record before
    /// it has entered the queue and it fits. Otherwise the sender reads it
    /// back later.
    pub fn push_next(&self, seq: u64, batch: &Arc<Converted>) -> bool {
        let mut s = lock(&self.state);
        if s.cursor != seq || !s.fits(batch.len().saturating_sub(s.skip(seq))) {
            return false;
        }
        s.push(seq, batch);
        drop(s);
        self.pushed.notify_one();
        true
    }

    /// Whether record `seq` of `samples` samples would be taken by
    /// [`SampleQueue::push_read`] now: checked before reading it.
    pub fn wants(&self, seq: u64, samples: usize) -> bool {
        let s = lock(&self.state);
        seq >= s.cursor && s.fits(samples.saturating_sub(s.skip(seq)))
    }

    /// Takes record `seq`, read back from the WAL; the records between the
    /// cursor and it are gone from the WAL.
    pub fn push_read(&self, seq: u64, batch: &Arc<Converted>) -> bool {
        let mut s = lock(&self.state);
        if seq < s.cursor || !s.fits(batch.len().saturating_sub(s.skip(seq))) {
            return false;
        }
        s.push(seq, batch);
        true
    }

    /// Places an empty queue at `pos`, where the endpoint stopped before.
    pub fn resume_at(&self, pos: Position) {
        let mut s = lock(&self.state);
        s.cursor = pos.seq;
        s.resume = pos;
    }

    /// The first record that has not entered the queue.
    pub fn cursor(&self) -> u64 {
        lock(&self.state).cursor
    }

    /// The first sample that has not entered the queue.
    pub fn unread(&self) -> Position {
        lock(&self.state).unread()
    }

    /// Moves the cursor past records the WAL no longer has.
    pub fn skip_to(&self, seq: u64) {
        let mut s = lock(&self.state);
        s.cursor = s.cursor.max(seq);
    }

    /// Takes up to `max` samples, oldest first, for one request; the
    /// request is in flight until [`SampleQueue::finish`].
    pub fn take(&self, max: usize) -> Vec<Slice> {
        let mut s = lock(&self.state);
        let mut out = Vec::new();
        let mut left = max;
        if s.in_flight.is_none() {
            s.in_flight = s.chunks.front().map(Chunk::position);
        }
        while left > 0 {
            let Some(chunk) = s.chunks.front_mut() else { break };
            let end = chunk.batch.len().min(chunk.next + left);
            if end > chunk.next {
                out.push(Slice { batch: Arc::clone(&chunk.batch), range: chunk.next..end });
            }
            left -= end - chunk.next;
            chunk.next = end;
            if end == chunk.batch.len() {
                s.chunks.pop_front();
            }
        }
        s.samples -= max - left;
        s.in_flight_samples += max - left;
        out
    }

    /// The request taken last is done: sent, or counted as failed or
    /// dropped.
    pub fn finish(&self) {
        let mut s = lock(&self.state);
        s.in_flight = None;
        s.in_flight_samples = 0;
    }

    /// Samples queued or in the request in flight.
    pub fn held(&self) -> usize {
        let s = lock(&self.state);
        s.samples + s.in_flight_samples
    }

    /// The oldest sample not done: in the request in flight, queued, or
    /// still in the WAL only.
    pub fn low_water(&self) -> Position {
        let s = lock(&self.state);
        s.in_flight.or_else(|| s.chunks.front().map(Chunk::position)).unwrap_or_else(|| s.unread())
    }

    /// Samples waiting, and when the oldest of them arrived.
    pub fn depth(&self) -> (usize, Option<Instant>) {
        let s = lock(&self.state);
        (s.samples, s.chunks.front().map(|c| c.queued_at))
    }

    pub fn capacity(&self) -> usize {
        lock(&self.state).capacity
    }

    /// A new capacity; what is queued stays, even above it.
    pub fn set_capacity(&self, capacity: usize) {
        lock(&self.state).capacity = capacity;
    }

    /// Empties the queue; returns how many samples it held.
    pub fn clear(&self) -> usize {
        let mut s = lock(&self.state);
        s.chunks.clear();
        std::mem::take(&mut s.samples)
    }
}
