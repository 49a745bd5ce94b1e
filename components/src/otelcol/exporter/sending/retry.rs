//! The `retry_on_failure` block and its exponential [`Backoff`], as the
//! Collector's exporters retry.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration as StdDuration;

use serde::Deserialize;

use super::ArgumentError;
use crate::types::Duration;

/// `retry_on_failure { ... }`: how a request that failed with a retryable
/// error is tried again.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryOnFailure {
    /// Retry at all. Default true; when false a failed request is dropped
    /// (or, without a queue, returned to its sender) at once.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The first wait. Default `"5s"`.
    #[serde(default = "default_initial")]
    pub initial_interval: Duration,
    /// Each wait is randomized by ± this fraction of itself, so that many
    /// agents do not retry in step. Default 0.5.
    #[serde(default = "default_randomization")]
    pub randomization_factor: f64,
    /// Each wait is this many times the previous one. Default 1.5.
    #[serde(default = "default_multiplier")]
    pub multiplier: f64,
    /// The longest wait (before randomization). Default `"30s"`.
    #[serde(default = "default_max_interval")]
    pub max_interval: Duration,
    /// Give up on a request after trying for this long; `"0s"` retries
    /// forever. Default `"5m"`.
    #[serde(default = "default_max_elapsed")]
    pub max_elapsed_time: Duration,
}

fn yes() -> bool {
    true
}

fn default_initial() -> Duration {
    Duration(StdDuration::from_secs(5))
}

fn default_randomization() -> f64 {
    0.5
}

fn default_multiplier() -> f64 {
    1.5
}

fn default_max_interval() -> Duration {
    Duration(StdDuration::from_secs(30))
}

fn default_max_elapsed() -> Duration {
    Duration(StdDuration::from_secs(300))
}

impl Default for RetryOnFailure {
    fn default() -> RetryOnFailure {
        RetryOnFailure {
            enabled: true,
            initial_interval: default_initial(),
            randomization_factor: default_randomization(),
            multiplier: default_multiplier(),
            max_interval: default_max_interval(),
            max_elapsed_time: default_max_elapsed(),
        }
    }
}

impl RetryOnFailure {
    /// The Collector's checks, in its words.
    pub fn validate(&self) -> Result<(), ArgumentError> {
        if !(0.0..=1.0).contains(&self.randomization_factor) {
            return Err(ArgumentError::new("retry_on_failure", "'randomization_factor' must be within [0, 1]"));
        }
        if !self.multiplier.is_finite() || self.multiplier <= 0.0 {
            return Err(ArgumentError::new("retry_on_failure", "'multiplier' must be positive"));
        }
        Ok(())
    }

    /// The time after which a request is given up, if any.
    pub fn max_elapsed(&self) -> Option<StdDuration> {
        (!self.max_elapsed_time.0.is_zero()).then_some(self.max_elapsed_time.0)
    }
}

/// The waits between attempts at one request: exponential, capped and
/// randomized, like `cenkalti/backoff` that the Collector uses.
pub struct Backoff {
    current: StdDuration,
    multiplier: f64,
    randomization: f64,
    max: StdDuration,
}

impl Backoff {
    pub fn new(policy: &RetryOnFailure) -> Backoff {
        Backoff { current: policy.initial_interval.0, multiplier: policy.multiplier, randomization: policy.randomization_factor, max: policy.max_interval.0 }
    }

    pub fn next_delay(&mut self) -> StdDuration {
        let base = self.current.as_secs_f64();
        let spread = base * self.randomization;
        let delay = (base - spread) + random_unit() * (2.0 * spread);
        let grown = base * self.multiplier;
        self.current = if grown >= self.max.as_secs_f64() { self.max } else { StdDuration::from_secs_f64(grown) };
        StdDuration::try_from_secs_f64(delay.max(0.0)).unwrap_or(self.max)
    }
}

/// A number in [0, 1). `RandomState` is seeded per instance from the OS
/// and a counter, which is plenty for jitter and needs no extra crate.
fn random_unit() -> f64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(initial_ms: u64, factor: f64, multiplier: f64, max_ms: u64) -> RetryOnFailure {
        RetryOnFailure {
            initial_interval: Duration(StdDuration::from_millis(initial_ms)),
            randomization_factor: factor,
            multiplier,
            max_interval: Duration(StdDuration::from_millis(max_ms)),
            ..RetryOnFailure::default()
        }
    }

    #[test]
    fn grows_by_the_multiplier_up_to_the_cap() {
        let mut b = Backoff::new(&policy(100, 0.0, 2.0, 500));
        let waits: Vec<u128> = (0..5).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 400, 500, 500]);
    }

    #[test]
    fn randomization_stays_within_its_fraction() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let d = Backoff::new(&policy(1000, 0.5, 1.5, 30_000)).next_delay().as_millis();
            assert!((500..=1500).contains(&d), "{d}");
            seen.insert(d / 100);
        }
        assert!(seen.len() > 3, "waits are not randomized: {seen:?}");
    }

    #[test]
    fn validates_like_the_collector() {
        assert!(policy(1, 1.5, 1.5, 1).validate().is_err());
        assert!(policy(1, 0.5, 0.0, 1).validate().is_err());
        assert!(RetryOnFailure::default().validate().is_ok());
        assert_eq!(RetryOnFailure::default().max_elapsed(), Some(StdDuration::from_secs(300)));
        let forever = RetryOnFailure { max_elapsed_time: Duration(StdDuration::ZERO), ..RetryOnFailure::default() };
        assert_eq!(forever.max_elapsed(), None);
    }
}
