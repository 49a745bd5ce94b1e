//! [`SampleQueue`]: one endpoint's bounded queue of converted batches,
//! counted in samples. The producer never waits on it: a batch that does
//! not fit is refused whole. A batch larger than the whole queue is taken
//! when the queue is empty, and leaves in pieces of `max_samples_per_send`:
//! otherwise one large flush (a few hundred histogram series) would be
//! dropped every time.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio::time::Instant;

use super::convert::Converted;
use crate::sync::lock;

/// Part of a queued batch, taken for one request.
pub struct Slice {
    pub batch: Arc<Converted>,
    pub range: Range<usize>,
}

/// Why a batch was not queued.
#[derive(Debug, PartialEq)]
pub enum Refused {
    /// Not enough room now: `free` samples left.
    Full { free: usize },
    /// More samples than the whole queue holds, while it is not empty.
    TooLarge,
}

pub struct SampleQueue {
    state: Mutex<State>,
    /// A batch was queued, or the queue was asked to wake its reader.
    pub pushed: Notify,
}

struct State {
    /// Batches in arrival order; the first may be partly taken already.
    chunks: VecDeque<Chunk>,
    samples: usize,
    capacity: usize,
}

struct Chunk {
    batch: Arc<Converted>,
    next: usize,
    queued_at: Instant,
}

impl SampleQueue {
    pub fn new(capacity: usize) -> SampleQueue {
        SampleQueue { state: Mutex::new(State { chunks: VecDeque::new(), samples: 0, capacity }), pushed: Notify::new() }
    }

    pub fn try_push(&self, batch: &Arc<Converted>) -> Result<(), Refused> {
        let n = batch.len();
        let mut s = lock(&self.state);
        if n > s.capacity && s.samples > 0 {
            return Err(Refused::TooLarge);
        }
        if n <= s.capacity && s.samples + n > s.capacity {
            return Err(Refused::Full { free: s.capacity.saturating_sub(s.samples) });
        }
        s.samples += n;
        s.chunks.push_back(Chunk { batch: Arc::clone(batch), next: 0, queued_at: Instant::now() });
        drop(s);
        self.pushed.notify_one();
        Ok(())
    }

    /// Takes up to `max` samples, oldest first.
    pub fn take(&self, max: usize) -> Vec<Slice> {
        let mut s = lock(&self.state);
        let mut out = Vec::new();
        let mut left = max;
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
        out
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
