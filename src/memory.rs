//! The agent's global allocator: the system allocator, counting the heap
//! bytes the process holds into [`solder_components::memory`], where the
//! receivers and sending queues compare them with the budget.
//!
//! Counting must cost the hot path nothing shared: each thread keeps its
//! own running difference and adds it to the global count only once it
//! passes [`FLUSH_BYTES`] either way, so the global count is off by less
//! than that per thread, and a thread's remainder is flushed when it exits.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use solder_components::bytesize::ByteSize;
use solder_components::memory;

/// How far a thread's own count may drift before it is added to the
/// global one.
const FLUSH_BYTES: isize = 64 << 10;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// [`System`], counting what it hands out and takes back.
pub struct Counting;

/// A thread's bytes not yet added to the global count. Flushed when the
/// thread exits, so that threads that come and go (the blocking pool) do
/// not leave their remainders out of the count.
struct Unflushed(Cell<isize>);

impl Drop for Unflushed {
    fn drop(&mut self) {
        memory::record(self.0.replace(0));
    }
}

thread_local! {
    // const-initialised: reading it never allocates, which the allocator
    // itself must not do.
    static UNFLUSHED: Unflushed = const { Unflushed(Cell::new(0)) };
}

/// Adds `delta` to this thread's count, flushing it when it has grown.
#[inline]
fn count(delta: isize) {
    // While a thread is being torn down its count is gone: go straight to
    // the global one.
    let flushed = UNFLUSHED.try_with(|u| {
        let now = u.0.get() + delta;
        if now.abs() >= FLUSH_BYTES {
            u.0.set(0);
            memory::record(now);
        } else {
            u.0.set(now);
        }
    });
    if flushed.is_err() {
        memory::record(delta);
    }
}

fn signed(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

// SAFETY: every call is passed on to `System` unchanged; counting only
// reads sizes and touches a thread-local cell and an atomic, neither of
// which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(signed(layout.size()));
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(signed(layout.size()));
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-signed(layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(signed(new_size) - signed(layout.size()));
        }
        p
    }
}

/// Below this, glibc serves an allocation from its heaps; at or above it,
/// from a mapping of its own that is unmapped again when freed.
const MMAP_THRESHOLD: libc::c_int = 4 << 20;

/// Free memory at the top of a heap that glibc keeps rather than gives
/// back to the kernel.
const TRIM_THRESHOLD: libc::c_int = 8 << 20;

/// Keeps the buffers of the hot path in the heap. By default glibc maps
/// every allocation of 128 KiB or more on its own (raising that bound only
/// after it has freed one) and trims a heap's free top past 256 KiB, so a
/// batch (about 500 KiB for 2,000 spans), a compressor's state and tonic's
/// receive buffer came back as fresh pages each time: the kernel zeroing
/// them (`clear_page_erms`) was 13% of the agent's CPU at 10K spans/s, and
/// a 50K spans/s forward took 30,000–55,000 page faults in 10 s instead of
/// about 600 (docs/compression.md, "The fixed-rate loads"). The cost is up to
/// [`TRIM_THRESHOLD`] of freed memory kept per heap.
pub fn keep_hot_buffers() {
    // SAFETY: mallopt only sets glibc's allocator parameters; it is called
    // before the runtime starts its threads.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}

/// Sets the process's budget: `limit` when given, else the default
/// ([`memory::default_budget`]). Returns it, for the startup log.
pub fn apply_budget(limit: Option<ByteSize>) -> u64 {
    let budget = limit.map_or_else(memory::default_budget, |b| b.0);
    memory::set_budget(budget);
    budget
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The live count follows what is allocated and freed, on this thread
    /// and on a thread that exits while its count is below a flush. Other
    /// tests allocate at the same time, so the checks allow them slack.
    #[test]
    fn allocating_and_freeing_move_the_live_count() {
        const BIG: usize = 64 << 20;
        let before = memory::live();
        let block = vec![1u8; BIG];
        let during = memory::live();
        assert!(during >= before + BIG as u64 - (16 << 20), "{before} -> {during} after allocating {BIG}");
        drop(block);
        let after = memory::live();
        assert!(after + (BIG as u64) - (16 << 20) <= during, "{during} -> {after} after freeing {BIG}");

        // Threads that exit holding less than a flush: only the flush on
        // exit puts what they kept (60 KiB each, 24,000 KiB in all) in the
        // global count. Tests running beside this one allocate and free
        // megabytes meanwhile, so the bar is half of it: without the flush
        // on exit the count moves by about nothing.
        let base = memory::live();
        let threads: Vec<_> = (0..400).map(|_| std::thread::spawn(|| Box::leak(vec![7u8; 60 << 10].into_boxed_slice()).len())).collect();
        let kept: usize = threads.into_iter().filter_map(|t| t.join().ok()).sum();
        let counted = memory::live().saturating_sub(base);
        assert!(counted >= 12 << 20, "400 exited threads kept {kept} bytes; the count moved by {counted}");
    }

    #[test]
    fn the_budget_comes_from_the_flag_else_the_default() {
        assert_eq!(apply_budget(None), memory::default_budget());
        assert_eq!(apply_budget(Some(ByteSize(3 << 30))), 3 << 30);
        assert_eq!(memory::budget(), 3 << 30);
        apply_budget(Some(ByteSize(0)));
        assert!(!memory::over_budget(), "0 turns the guard off");
    }
}
