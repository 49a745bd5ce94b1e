//! Fault injection for the chaos tests, which must show that a panicking
//! component loses nothing silently. `SOLDER_FAULT=<point>:<n>` makes the
//! n-th pass through [`point`] named `<point>` panic, once.
//!
//! Only debug builds read it: a release binary has no way to be made to
//! panic from its environment, and the check costs nothing there.

/// Panics here if `SOLDER_FAULT` names this point and this is its n-th pass.
#[cfg(debug_assertions)]
pub fn point(name: &str) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    static SPEC: OnceLock<Option<(String, u64)>> = OnceLock::new();
    static PASSES: AtomicU64 = AtomicU64::new(0);
    let spec = SPEC.get_or_init(|| {
        let raw = std::env::var("SOLDER_FAULT").ok()?;
        let (point, nth) = raw.rsplit_once(':')?;
        Some((point.to_string(), nth.parse().ok()?))
    });
    if let Some((point, nth)) = spec {
        if point == name && PASSES.fetch_add(1, Ordering::Relaxed) + 1 == *nth {
            panic!("fault injected at {name} (SOLDER_FAULT)");
        }
    }
}

#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn point(_name: &str) {}
