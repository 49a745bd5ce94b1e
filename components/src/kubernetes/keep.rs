//! Which labels and annotations a pod cache keeps.
//!
//! Pods carry labels and annotations nothing reads (tooling checksums,
//! `kubectl.kubernetes.io/*`, mesh injection status, sometimes kilobytes
//! of JSON). A cache keeps what its rules read and drops the rest as each
//! pod is read, so its size follows the config, not the workloads.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

/// The keys to keep of one map.
#[derive(Clone, Debug, Default)]
pub enum Keep {
    #[default]
    All,
    Only {
        exact: BTreeSet<String>,
        prefixes: Vec<String>,
        /// Anchored patterns, as the rules that read them compile them.
        patterns: Vec<Regex>,
    },
}

impl Keep {
    /// Nothing, until keys are added.
    pub fn none() -> Keep {
        Keep::Only { exact: BTreeSet::new(), prefixes: Vec::new(), patterns: Vec::new() }
    }

    pub fn key(mut self, key: &str) -> Keep {
        if let Keep::Only { exact, .. } = &mut self {
            exact.insert(key.to_string());
        }
        self
    }

    pub fn prefix(mut self, prefix: &str) -> Keep {
        if let Keep::Only { prefixes, .. } = &mut self {
            prefixes.push(prefix.to_string());
        }
        self
    }

    pub fn pattern(mut self, pattern: Regex) -> Keep {
        if let Keep::Only { patterns, .. } = &mut self {
            patterns.push(pattern);
        }
        self
    }

    pub fn keeps(&self, key: &str) -> bool {
        match self {
            Keep::All => true,
            Keep::Only { exact, prefixes, patterns } => {
                exact.contains(key) || prefixes.iter().any(|p| key.starts_with(p.as_str())) || patterns.iter().any(|r| r.is_match(key))
            }
        }
    }

    /// Drops from `map` what this does not keep.
    pub fn retain(&self, map: &mut BTreeMap<String, String>) {
        if !matches!(self, Keep::All) {
            map.retain(|k, _| self.keeps(k));
        }
    }
}
