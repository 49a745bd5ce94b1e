//! Delta sums and histograms made cumulative, as Prometheus needs: each
//! series' running total, forgotten when not updated for `gc_frequency`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A series' running total.
enum Total {
    Number(f64),
    Histogram { bounds: Vec<f64>, counts: Vec<u64>, count: u64, sum: f64 },
}

#[derive(Default)]
pub struct Accumulator {
    totals: HashMap<String, (Total, Instant)>,
    last_gc: Option<Instant>,
}

impl Accumulator {
    /// Adds a delta to a series' total and returns the new total.
    pub fn add_number(&mut self, key: String, delta: f64, now: Instant) -> f64 {
        let entry = self.totals.entry(key).or_insert((Total::Number(0.0), now));
        entry.1 = now;
        match &mut entry.0 {
            Total::Number(v) => {
                *v += delta;
                *v
            }
            other => {
                *other = Total::Number(delta);
                delta
            }
        }
    }

    /// Adds a delta histogram to a series' total and returns the new
    /// per-bucket counts, count and sum. Changed bounds start over.
    pub fn add_histogram(&mut self, key: String, bounds: &[f64], counts: &[u64], count: u64, sum: f64, now: Instant) -> (Vec<u64>, u64, f64) {
        let entry = self.totals.entry(key).or_insert((Total::Number(0.0), now));
        entry.1 = now;
        match &mut entry.0 {
            Total::Histogram { bounds: b, counts: c, count: n, sum: s } if b.as_slice() == bounds && c.len() == counts.len() => {
                c.iter_mut().zip(counts).for_each(|(have, add)| *have = have.saturating_add(*add));
                *n = n.saturating_add(count);
                *s += sum;
                (c.clone(), *n, *s)
            }
            other => {
                *other = Total::Histogram { bounds: bounds.to_vec(), counts: counts.to_vec(), count, sum };
                (counts.to_vec(), count, sum)
            }
        }
    }

    /// Forgets totals not updated within `every`, at most once per `every`.
    pub fn gc(&mut self, now: Instant, every: Duration) {
        if self.last_gc.is_some_and(|last| now.saturating_duration_since(last) < every) {
            return;
        }
        self.last_gc = Some(now);
        self.totals.retain(|_, (_, seen)| now.saturating_duration_since(*seen) < every);
    }

    /// How many series have a running total.
    pub fn tracked(&self) -> usize {
        self.totals.len()
    }
}
