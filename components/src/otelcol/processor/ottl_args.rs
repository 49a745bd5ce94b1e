//! What `otelcol.processor.transform` and `otelcol.processor.filter`
//! share: reading `error_mode` and `context`, turning an OTTL load error
//! into an argument error whose caret lands on the bad token, and
//! reporting run-time failures without flooding the log.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use solder_syntax::ottl::{ErrorMode, OttlError, RunError, Schema};

use crate::component::ArgumentError;
use crate::selfmetrics::{ComponentMetrics, Counter};

/// `error_mode`'s default in Alloy and the Collector: a failing statement
/// refuses the data.
pub fn default_error_mode() -> String {
    "propagate".to_string()
}

/// Reads an `error_mode` argument at `path`.
pub fn error_mode(value: &str, path: &str) -> Result<ErrorMode, ArgumentError> {
    ErrorMode::parse(value)
        .ok_or_else(|| ArgumentError::new(path, format!("unknown error mode {value}")).with_help(r#"error_mode is one of "ignore", "silent" or "propagate""#))
}

/// The schema `context` names among those a signal allows. Alloy reads the
/// name case-insensitively.
pub fn context(value: &str, allowed: &[&'static Schema], path: &str, signal: &str) -> Result<&'static Schema, ArgumentError> {
    let lower = value.to_ascii_lowercase();
    allowed.iter().copied().find(|s| s.name == lower).ok_or_else(|| {
        let names: Vec<String> = allowed.iter().map(|s| format!("{:?}", s.name)).collect();
        ArgumentError::new(path, format!("unknown context {value:?} for {signal}")).with_help(format!("the contexts for {signal} are {}", names.join(", ")))
    })
}

/// An OTTL load error in the list at `list` (`trace_statements[1].statements`)
/// as an argument error naming the statement, narrowed to the bad token.
pub fn load_error(list: &str, e: OttlError) -> ArgumentError {
    let err = ArgumentError::new(format!("{list}[{}]", e.index), e.message).within(e.span);
    match e.help {
        Some(h) => err.with_help(h),
        None => err,
    }
}

/// How often one failing statement may be logged.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// Run-time failures of one list of statements or conditions: each is
/// counted, and under `ignore` logged at most once per [`WARN_EVERY`] per
/// statement, with how many were not logged since, so a statement failing
/// on every span cannot flood the log.
pub struct FailureLog {
    sources: Vec<String>,
    /// Per statement: milliseconds after `since` of the last warning, plus
    /// one (0: never warned), and the failures since.
    last_warned: Vec<AtomicU64>,
    unlogged: Vec<AtomicU64>,
    since: Instant,
    failures: Counter,
}

impl FailureLog {
    pub fn new(sources: &[String]) -> FailureLog {
        FailureLog {
            sources: sources.to_vec(),
            last_warned: sources.iter().map(|_| AtomicU64::new(0)).collect(),
            unlogged: sources.iter().map(|_| AtomicU64::new(0)).collect(),
            since: Instant::now(),
            failures: Counter::default(),
        }
    }

    /// Counts into the component's `solder_ottl_failures_total`.
    pub fn with_metrics(mut self, metrics: &ComponentMetrics) -> FailureLog {
        self.failures = metrics.counter(FAILURES, FAILURES_HELP, &[]);
        self
    }

    /// Counts and, if `mode` logs and the statement has not been logged
    /// lately, logs `errors`. Propagated failures are counted here too.
    pub fn report(&self, errors: &[RunError], mode: ErrorMode) {
        self.failures.add(errors.len() as u64);
        if mode != ErrorMode::Ignore {
            return;
        }
        for e in errors {
            let (Some(last), Some(unlogged)) = (self.last_warned.get(e.index), self.unlogged.get(e.index)) else { continue };
            let now = self.since.elapsed().as_millis() as u64 + 1;
            let prev = last.load(Ordering::Relaxed);
            let due = prev == 0 || now.saturating_sub(prev) >= WARN_EVERY.as_millis() as u64;
            if due && last.compare_exchange(prev, now, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
                let suppressed = unlogged.swap(0, Ordering::Relaxed);
                let statement = self.sources.get(e.index).map_or("", String::as_str);
                tracing::warn!(statement, error = %e.message, suppressed, "failed to execute OTTL statement; going on (error_mode = \"ignore\")");
            } else {
                unlogged.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The mode to run in for `mode`: `silent` runs as `ignore` (the
    /// failures come back, to be counted) and [`FailureLog::report`] keeps
    /// them out of the log.
    pub fn run_mode(mode: ErrorMode) -> ErrorMode {
        match mode {
            ErrorMode::Silent => ErrorMode::Ignore,
            other => other,
        }
    }

    /// The failures counted so far.
    pub fn failures(&self) -> u64 {
        self.failures.get()
    }
}

const FAILURES: &str = "solder_ottl_failures_total";
const FAILURES_HELP: &str = "OTTL statements and conditions that failed at run time, whatever the error_mode.";

/// Rules that argument validation compiled, handed to the build or update
/// that follows it, so that a load compiles each statement once. Clones
/// share the slot; the first taker gets the rules, later ones compile.
pub struct Compiled<R>(std::sync::Arc<std::sync::Mutex<Option<R>>>);

impl<R> Compiled<R> {
    pub fn keep(&self, rules: R) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(rules);
    }

    pub fn take(&self) -> Option<R> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl<R> Clone for Compiled<R> {
    fn clone(&self) -> Self {
        Compiled(std::sync::Arc::clone(&self.0))
    }
}

impl<R> Default for Compiled<R> {
    fn default() -> Self {
        Compiled(Default::default())
    }
}

impl<R> std::fmt::Debug for Compiled<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Compiled")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(index: usize, n: usize) -> Vec<RunError> {
        (0..n).map(|_| RunError { index, message: "boom".into() }).collect()
    }

    /// A statement failing on every item is logged once per interval, the
    /// rest remembered as suppressed; every failure is counted, whatever
    /// the mode.
    #[test]
    fn a_failing_statement_is_logged_once_per_interval_and_always_counted() {
        let log = FailureLog::new(&["a".to_string(), "b".to_string()]);
        log.report(&failures(0, 5), ErrorMode::Ignore);
        assert_eq!(log.unlogged[0].load(Ordering::Relaxed), 4, "one of five logged");
        log.report(&failures(1, 1), ErrorMode::Ignore);
        assert_eq!(log.unlogged[1].load(Ordering::Relaxed), 0, "another statement has its own interval");
        log.report(&failures(0, 3), ErrorMode::Silent);
        assert_eq!(log.unlogged[0].load(Ordering::Relaxed), 4, "silent logs nothing and suppresses nothing");
        assert_eq!(log.failures(), 9, "counted in all modes");
        let metrics = ComponentMetrics::new("otelcol.processor.transform.failure_log");
        let log = log.with_metrics(&metrics);
        log.report(&failures(0, 2), ErrorMode::Silent);
        log.report(&failures(9, 1), ErrorMode::Ignore);
        assert_eq!(log.failures(), 3, "into the component's series now; an index past the list is still counted");
    }
}
