//! Start-up code, given back once the agent has started.
//!
//! Starting runs code that steady state never runs again (parsing and
//! checking the config, building the graph, setting up the servers), and
//! the kernel maps code in large pieces around each page first run (its
//! read-ahead, then up to 64 KiB around each fault), so those pages stay
//! in the process's RSS for good: at 10K spans/s with the default config,
//! 13.7 MiB of the executable was resident and 2.7 MiB of it ever touched
//! again (docs/compression.md, "What the RSS is made of").
//!
//! [`release`] (called once, a few seconds after the first load) tells the
//! kernel that the executable's read-only mappings are cold
//! (`MADV_PAGEOUT`): their pages leave the process, and the page cache
//! unless another process maps them, as does what read-ahead cached beside
//! them. The ones the data path runs come back at their first use
//! (`MADV_RANDOM` first, so that read-ahead brings no more than the kernel
//! reads for the fault itself). The cost is those reads: 63 major faults
//! in the first 3 s of load at 10K spans/s, measured, and again for
//! start-up code a reload runs.

use std::io;
use std::path::Path;

/// What [`release`] did: the executable's read-only bytes it advised, and
/// the process's resident bytes before and after.
#[derive(Debug)]
pub struct Released {
    pub advised: usize,
    pub rss_before: u64,
    pub rss_after: u64,
}

/// Advises the kernel that the executable's read-only mappings (its code,
/// constants and unwind tables; not its writable data) are cold.
#[cfg(target_os = "linux")]
pub fn release() -> io::Result<Released> {
    let exe = std::fs::read_link("/proc/self/exe")?;
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    let rss_before = rss()?;
    let mut advised = 0;
    for (start, len) in read_only_mappings(&maps, &exe) {
        let at = start as *mut libc::c_void;
        // SAFETY: the range is a whole mapping of this process's own
        // executable, read from /proc/self/maps; neither advice changes
        // its contents, only when its pages are read back in.
        unsafe {
            if libc::madvise(at, len, libc::MADV_RANDOM) != 0 || libc::madvise(at, len, libc::MADV_PAGEOUT) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        advised += len;
    }
    // What read-ahead brought into the page cache beside the pages that
    // ran is not mapped, so the advice above leaves it there, and the
    // kernel would map it again around the next fault near it: dropped
    // too (only pages no process maps go).
    let file = std::fs::File::open("/proc/self/exe")?;
    // SAFETY: the descriptor is open for the call; the advice only drops
    // clean cached pages of the file.
    let dropped = unsafe { libc::posix_fadvise(std::os::fd::AsRawFd::as_raw_fd(&file), 0, 0, libc::POSIX_FADV_DONTNEED) };
    if dropped != 0 {
        return Err(io::Error::from_raw_os_error(dropped));
    }
    Ok(Released { advised, rss_before, rss_after: rss()? })
}

#[cfg(not(target_os = "linux"))]
pub fn release() -> io::Result<Released> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "only on Linux"))
}

/// The (start, length) of each mapping of `exe` that is not writable, as
/// `/proc/self/maps` lists them (`start-end perms offset dev inode path`).
fn read_only_mappings<'m>(maps: &'m str, exe: &'m Path) -> impl Iterator<Item = (usize, usize)> + 'm {
    maps.lines().filter_map(move |line| {
        // The path is the rest of the line after five fields and some
        // padding, and may hold spaces.
        let mut fields = line.splitn(6, ' ');
        let (range, perms) = (fields.next()?, fields.next()?);
        let path = fields.nth(3)?.trim_start();
        if Path::new(path) != exe || perms.contains('w') {
            return None;
        }
        let (start, end) = range.split_once('-')?;
        let (start, end) = (usize::from_str_radix(start, 16).ok()?, usize::from_str_radix(end, 16).ok()?);
        Some((start, end.checked_sub(start)?))
    })
}

/// The process's resident set (`VmRSS`), in bytes.
fn rss() -> io::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmRSS in /proc/self/status"))?;
    Ok(kib << 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_executables_read_only_mappings_are_chosen() {
        let maps = "\
5581a000-5581b000 r--p 00000000 fd:01 42 /usr/bin/solder
5581b000-5581f000 r-xp 00001000 fd:01 42 /usr/bin/solder
5581f000-55820000 rw-p 00005000 fd:01 42 /usr/bin/solder
55820000-55821000 rw-p 00000000 00:00 0
7f00000000-7f00001000 r-xp 00000000 fd:01 7 /usr/lib/x86_64-linux-gnu/libc.so.6
7f00002000-7f00003000 r-xp 00000000 fd:01 8 /usr/bin/solder-old
7f00004000-7f00005000 r-xp 00000000 fd:01 9                          /opt/my tools/solder
7ffd0000-7ffd1000 rw-p 00000000 00:00 0                          [stack]";
        let chosen: Vec<(usize, usize)> = read_only_mappings(maps, Path::new("/usr/bin/solder")).collect();
        assert_eq!(chosen, [(0x5581a000, 0x1000), (0x5581b000, 0x4000)]);
        let spaced: Vec<(usize, usize)> = read_only_mappings(maps, Path::new("/opt/my tools/solder")).collect();
        assert_eq!(spaced, [(0x7f00004000, 0x1000)], "a path with a space, after the padding");
    }

    /// In this test process: its own read-only pages leave its RSS, and
    /// the code that runs next (this test's) comes back and runs. 16 MiB
    /// of them are read first, so that they are resident whatever the page
    /// cache held (a run right after another found little resident).
    #[cfg(target_os = "linux")]
    #[test]
    fn releasing_gives_back_resident_code_and_the_process_runs_on() {
        const TOUCHED: usize = 16 << 20;
        let exe = std::fs::read_link("/proc/self/exe").expect("the executable");
        let maps = std::fs::read_to_string("/proc/self/maps").expect("the mappings");
        let (start, len) = read_only_mappings(&maps, &exe).max_by_key(|m| m.1).expect("a read-only mapping of the executable");
        let mut sum = 0u64;
        for at in (start..start + len.min(TOUCHED)).step_by(4096) {
            // SAFETY: `at` lies in a readable mapping of this process's
            // own executable, which stays mapped for the process's life.
            sum = sum.wrapping_add(u64::from(unsafe { std::ptr::read_volatile(at as *const u8) }));
        }
        std::hint::black_box(sum);
        let released = release().expect("madvise succeeds");
        assert!(released.advised >= len, "{released:?}");
        assert!(released.rss_after + (4 << 20) < released.rss_before, "at least 4 of the 16 MiB read leave the RSS: {released:?}");
        let sum: u64 = (0..1000u64).map(|i| i * i).sum();
        assert_eq!(sum, 332_833_500);
    }
}
