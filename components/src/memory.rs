//! The process-wide memory budget: how much heap the agent may hold, how
//! much it holds now, and [`over_budget`], which the places that admit new
//! data (the OTLP receiver, the exporters' sending queues) ask before they
//! take more.
//!
//! The live count is kept by the `solder` binary's global allocator, which
//! calls [`record`]; this crate only reads it, so components never depend
//! on the binary. Where no counting allocator is installed (this crate's
//! own unit tests), the count stays at zero and nothing is ever refused.
//!
//! Why admission and not the allocator itself: a failed allocation aborts
//! a Rust process, so the guard must act before memory is asked for. Data
//! enters the agent at a few doors; refusing there, with a retryable error,
//! makes senders back off and lets the queues drain, while what is already
//! inside keeps moving.

use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};

/// The budget when neither `--memory.limit` nor a cgroup limit sets one.
pub const DEFAULT_BUDGET: u64 = 512 << 20;

/// The share of a cgroup's memory limit that the heap may take: the rest
/// is for what the allocator keeps in reserve, thread stacks and code,
/// which the heap count does not see.
pub const CGROUP_SHARE_PERCENT: u64 = 80;

/// Heap bytes the process holds, as the global allocator last flushed them.
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// The budget in bytes; 0 means no budget (nothing is refused).
static BUDGET: AtomicU64 = AtomicU64::new(0);

/// Adds an allocation (positive) or a release (negative) to the live
/// count. Called by the global allocator, in batches, never per call.
pub fn record(delta: isize) {
    LIVE.fetch_add(delta, Ordering::Relaxed);
}

/// Heap bytes held now, give or take what threads have not flushed yet
/// (under 64 KiB each).
pub fn live() -> u64 {
    u64::try_from(LIVE.load(Ordering::Relaxed)).unwrap_or(0)
}

/// The budget in force; 0 when there is none.
pub fn budget() -> u64 {
    BUDGET.load(Ordering::Relaxed)
}

/// Sets the budget; 0 removes it. The agent sets it once at startup.
pub fn set_budget(bytes: u64) {
    BUDGET.store(bytes, Ordering::Relaxed);
}

/// Whether the heap is at or above the budget, so new data must wait.
pub fn over_budget() -> bool {
    exceeds(live(), budget())
}

/// The rule [`over_budget`] applies, apart from the globals so that tests
/// can check it without refusing data in every other test of the process.
fn exceeds(live: u64, budget: u64) -> bool {
    budget > 0 && live >= budget
}

/// The budget when the command line sets none: [`CGROUP_SHARE_PERCENT`] of
/// the cgroup's memory limit when there is one (a Kubernetes container's
/// `resources.limits.memory`), else [`DEFAULT_BUDGET`].
pub fn default_budget() -> u64 {
    cgroup_limit().map_or(DEFAULT_BUDGET, |limit| limit / 100 * CGROUP_SHARE_PERCENT)
}

/// The memory limit of the process's cgroup (v2, then v1), if one is set
/// below the machine's memory. "max" (v2) or a huge number (v1) is none.
pub fn cgroup_limit() -> Option<u64> {
    let read = |path: &str| std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse::<u64>().ok());
    let limit = read("/sys/fs/cgroup/memory.max").or_else(|| read("/sys/fs/cgroup/memory/memory.limit_in_bytes"))?;
    (limit < machine_memory()).then_some(limit)
}

/// The memory the process may use: its cgroup's limit, else the machine's.
pub fn available() -> u64 {
    cgroup_limit().unwrap_or_else(machine_memory)
}

/// The machine's total memory, from `/proc/meminfo`; unbounded if unknown.
fn machine_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().find_map(|l| l.strip_prefix("MemTotal:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()))
        .map_or(u64::MAX, |kib| kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_means_at_or_above_a_budget_that_is_set() {
        assert!(!exceeds(u64::MAX, 0), "no budget: never over");
        assert!(!exceeds(99, 100));
        assert!(exceeds(100, 100), "at the budget is over it");
        assert!(exceeds(101, 100));
        // Nothing in this crate counts allocations, and nothing sets a
        // budget: the components' tests never see data refused for memory.
        assert!(!over_budget());
    }

    #[test]
    fn the_default_budget_is_a_share_of_the_cgroup_limit_or_the_fixed_default() {
        let expected = cgroup_limit().map_or(DEFAULT_BUDGET, |l| l / 100 * 80);
        assert_eq!(default_budget(), expected);
        assert!(available() >= cgroup_limit().unwrap_or(0));
    }
}
