//! Start times for cumulative points, as the Collector's true-reset-point
//! adjuster sets them: a series' first point starts at its own timestamp,
//! later points keep that start, and a reset (a value going down) starts
//! the series again 1 ms before the point that showed it.
//!
//! State is kept per series and dropped when the series is marked stale
//! or has not been seen for [`MAX_IDLE`], so a target that churns series
//! cannot grow it without bound.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a series' start is kept without a point: longer than any
/// sensible scrape interval, as the Collector's default GC interval is.
pub const MAX_IDLE: Duration = Duration::from_secs(10 * 60);

/// What a series showed last, to tell a reset from growth.
#[derive(Debug, Clone, PartialEq)]
pub enum Previous {
    Number(f64),
    Histogram { count: u64, sum: f64, bounds: Vec<f64>, buckets: Vec<u64> },
    Summary { count: u64, sum: f64 },
}

impl Previous {
    /// Whether `self`, seen now, means the series restarted since `before`.
    fn is_reset_from(&self, before: &Previous) -> bool {
        match (before, self) {
            (Previous::Number(b), Previous::Number(n)) => n < b,
            (Previous::Histogram { count: bc, sum: bs, bounds: bb, buckets: bk }, Previous::Histogram { count, sum, bounds, buckets }) => {
                count < bc || sum < bs || bounds != bb || buckets.iter().zip(bk).any(|(n, b)| n < b)
            }
            (Previous::Summary { count: bc, sum: bs }, Previous::Summary { count, sum }) => count < bc || sum < bs,
            // A series that changed type starts over.
            _ => true,
        }
    }
}

struct Entry {
    start_ns: u64,
    previous: Previous,
    seen: Instant,
}

/// Start times of the cumulative series seen so far, by series key.
#[derive(Default)]
pub struct StartTimes {
    series: HashMap<String, Entry>,
    last_gc: Option<Instant>,
    resets: u64,
}

impl StartTimes {
    /// The start time of a point of series `key` at `time_ns` showing
    /// `now`.
    pub fn observe(&mut self, key: &str, time_ns: u64, now: Previous, at: Instant) -> u64 {
        match self.series.get_mut(key) {
            None => {
                self.series.insert(key.to_owned(), Entry { start_ns: time_ns, previous: now, seen: at });
                time_ns
            }
            Some(e) => {
                if now.is_reset_from(&e.previous) {
                    e.start_ns = time_ns.saturating_sub(1_000_000);
                    self.resets += 1;
                }
                e.previous = now;
                e.seen = at;
                e.start_ns
            }
        }
    }

    /// The start time for a staleness marker of series `key`: the start it
    /// had (or the marker's own time if it was never seen). The series is
    /// forgotten, so if it comes back it starts again.
    pub fn stale(&mut self, key: &str, time_ns: u64) -> u64 {
        self.series.remove(key).map_or(time_ns, |e| e.start_ns)
    }

    /// Forgets series not seen for [`MAX_IDLE`]; runs at most once a
    /// minute, so it costs nothing per batch.
    pub fn gc(&mut self, at: Instant) {
        if self.last_gc.is_some_and(|t| at.duration_since(t) < Duration::from_secs(60)) {
            return;
        }
        self.last_gc = Some(at);
        self.series.retain(|_, e| at.duration_since(e.seen) < MAX_IDLE);
    }

    /// How many series have a start time.
    pub fn tracked(&self) -> usize {
        self.series.len()
    }

    /// How many resets were seen.
    pub fn resets(&self) -> u64 {
        self.resets
    }
}
