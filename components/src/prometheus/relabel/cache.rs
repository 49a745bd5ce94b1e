//! The bounded cache of `prometheus.relabel`: the result of relabelling
//! each input label set, so a series seen every scrape is relabelled once.
//!
//! Two generations of up to half the size stand in for an LRU: entries go
//! into `young`; when it is full it becomes `old` and the previous `old`
//! is forgotten; a hit in `old` moves the entry back to `young`. Entries
//! in use survive, the total never passes `max`, and no lookup walks a
//! list.

use std::collections::HashMap;

use super::apply::Labels;

/// What relabelling one label set gave: `None` if it was dropped.
pub type Outcome = Option<Labels>;

pub struct Cache {
    max: usize,
    young: HashMap<Labels, Outcome>,
    old: HashMap<Labels, Outcome>,
}

impl Cache {
    pub fn new(max: usize) -> Cache {
        Cache { max: max.max(1), young: HashMap::new(), old: HashMap::new() }
    }

    pub fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    pub fn get(&mut self, key: &Labels) -> Option<Outcome> {
        if let Some(hit) = self.young.get(key) {
            return Some(hit.clone());
        }
        let (key, hit) = self.old.remove_entry(key)?;
        self.insert(key, hit.clone());
        Some(hit)
    }

    pub fn insert(&mut self, key: Labels, outcome: Outcome) {
        if !self.young.contains_key(&key) && self.young.len() >= (self.max / 2).max(1) {
            self.old = std::mem::take(&mut self.young);
            if self.old.len() >= self.max {
                // A cache of one keeps no old generation.
                self.old.clear();
            }
        }
        self.young.insert(key, outcome);
    }

    pub fn remove(&mut self, key: &Labels) {
        self.young.remove(key);
        self.old.remove(key);
    }
}
