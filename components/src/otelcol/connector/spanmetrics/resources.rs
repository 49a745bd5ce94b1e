//! [`Resources`]: the state of each resource the connector reports, bounded
//! by `resource_metrics_cache_size` as the Collector bounds it.
//!
//! Past the bound the least recently used resource is evicted. As in the
//! Collector, an evicted resource is still reported at the next flush (so
//! the spans it counted are not lost) and forgotten after it; a span of it
//! arriving before that flush takes it back. Unlike the Collector, the
//! evicted resources are bounded too, by the same number: a flood of new
//! resources within one flush interval holds at most twice the bound, and
//! the spans of an evicted resource forgotten unreported are counted
//! ([`Counters::dropped_spans`]).
//!
//! Finding the least recently used resource is a scan, paid only when a new
//! resource arrives at a full cache: at the default of 1000 it is about a
//! microsecond, against the per-span map probes it saves from growing.

use crate::otlp::proto::common::v1::KeyValue;

use super::counters::Counters;
use super::series::Series;
use super::table::{Map, SeriesTable};

/// One resource's series: its own cardinality budget and overflow series.
#[derive(Default)]
pub(super) struct ResourceState {
    pub(super) attributes: Vec<KeyValue>,
    pub(super) series: SeriesTable<Series>,
    pub(super) overflow: Option<Series>,
    pub(super) events: SeriesTable<Series>,
    pub(super) events_overflow: Option<Series>,
    /// When it was last looked up, in [`Resources`] ticks.
    pub(super) last_used: u64,
    /// Spans counted since the last flush: what forgetting it would lose.
    pub(super) unreported: u64,
}

impl ResourceState {
    pub(super) fn is_empty(&self) -> bool {
        self.series.is_empty() && self.events.is_empty() && self.overflow.is_none() && self.events_overflow.is_none()
    }
}

pub(super) struct Resources {
    live: Map<ResourceState>,
    /// Evicted since the last flush, reported by it, then dropped.
    evicted: Map<ResourceState>,
    capacity: usize,
    tick: u64,
}

impl Resources {
    pub(super) fn new(capacity: usize) -> Resources {
        Resources { live: Map::default(), evicted: Map::default(), capacity: capacity.max(1), tick: 0 }
    }

    /// The live resource of `key`, made with `make` (or taken back from the
    /// evicted ones) if there is none, after evicting the least recently
    /// used one if the cache is full. `None` cannot happen: the resource
    /// was just put in.
    pub(super) fn get_or_insert<E>(
        &mut self,
        key: &[u8],
        make: impl FnOnce() -> Result<ResourceState, E>,
        counters: &Counters,
    ) -> Result<Option<&mut ResourceState>, E> {
        self.tick += 1;
        if !self.live.contains_key(key) {
            let state = match self.evicted.remove(key) {
                Some(state) => state,
                None => make()?,
            };
            self.evict_to(self.capacity - 1, counters);
            self.live.insert(key.into(), state);
        }
        let tick = self.tick;
        let mut state = self.live.get_mut(key);
        if let Some(r) = state.as_deref_mut() {
            r.last_used = tick;
        }
        Ok(state)
    }

    /// Sets the bound, evicting down to it at once.
    pub(super) fn set_capacity(&mut self, capacity: usize, counters: &Counters) {
        self.capacity = capacity.max(1);
        self.evict_to(self.capacity, counters);
    }

    /// Evicts least recently used resources until at most `keep` are live.
    fn evict_to(&mut self, keep: usize, counters: &Counters) {
        while self.live.len() > keep {
            let Some(key) = oldest(&self.live) else { return };
            let Some(state) = self.live.remove(&key) else { return };
            if self.evicted.len() >= self.capacity {
                if let Some(old) = oldest(&self.evicted).and_then(|k| self.evicted.remove(&k)) {
                    counters.dropped_spans.add(old.unreported);
                }
            }
            self.evicted.insert(key, state);
            counters.evicted_resources.add(1);
        }
    }

    /// Live resources, then those evicted since the last flush.
    pub(super) fn values(&self) -> impl Iterator<Item = &ResourceState> {
        self.live.values().chain(self.evicted.values())
    }

    pub(super) fn len(&self) -> usize {
        self.live.len() + self.evicted.len()
    }

    /// After a flush reported them: the evicted are forgotten, and live
    /// resources start a new window with `start_window`, dropped if they
    /// are left with no series.
    pub(super) fn after_flush(&mut self, mut start_window: impl FnMut(&mut ResourceState)) {
        self.evicted.clear();
        self.live.retain(|_, r| {
            start_window(r);
            r.unreported = 0;
            !r.is_empty()
        });
    }

    pub(super) fn clear(&mut self) {
        self.live.clear();
        self.evicted.clear();
    }
}

fn oldest(map: &Map<ResourceState>) -> Option<Box<[u8]>> {
    map.iter().min_by_key(|(_, r)| r.last_used).map(|(k, _)| k.clone())
}
