//! Data that outlives the process: the append-only, checksummed segment
//! log behind `otelcol.storage.file`'s persistent sending queues and
//! `prometheus.remote_write`'s WAL.
//!
//! One format serves both because both need the same three things: an
//! append that is on disk before the data is acknowledged, a read-back
//! after a crash that keeps every intact record and names the damaged
//! ones, and space given back as soon as the data is delivered. Why this
//! format rather than an embedded database is in `docs/storage.md`.

pub mod log;
pub mod record;

#[cfg(test)]
mod log_tests;

pub use log::{Damage, Location, LogOptions, Recovered, SegmentLog};
pub use record::Flaw;
