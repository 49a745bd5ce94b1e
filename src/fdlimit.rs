//! The open-files limit. Servers allow [`Limits::max_connections`]
//! (4096) connections each, but a shell's soft `RLIMIT_NOFILE` is often
//! 1024: past it accept fails and the agent stops taking connections long
//! before its own bound. The hard limit is what the administrator granted,
//! so the agent raises its soft limit to it at start, as the Go runtime
//! does for Alloy and the Collector.
//!
//! [`Limits::max_connections`]: solder_components::serve::Limits

/// Raises the soft open-files limit to the hard one; returns the limit in
/// force afterwards. A failure leaves the limit as it was: the agent runs,
/// with fewer connections.
pub fn raise_open_files() -> std::io::Result<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes only the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if limit.rlim_cur >= limit.rlim_max {
        return Ok(limit.rlim_cur);
    }
    let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
    // SAFETY: setrlimit reads only the struct it is given.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(raised.rlim_cur)
}
