//! The persistent queue's workload against candidate stores, for the
//! choice recorded in `docs/storage.md`: push payloads of one size, export
//! the oldest (read it once) and delete it after the ack, first in first
//! out, with a few payloads in flight; then a large backlog left by a
//! killed process and the time to be ready again.
//!
//! Usage: `storebench [--mib N] [--backlog-mib N] [--runs N] [--store NAME] [--part throughput|recovery] [--dir PATH]`
//!
//! Each throughput row is the run of median wall time out of `--runs`
//! rounds, with the slowest and fastest run's MB/s beside it.
//! Recovery is timed with the store's files dropped from the page cache
//! (and nothing else's), as after a reboot.

mod stores;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use stores::{Result, Store};

/// Payloads pushed but not yet acked: the exporter's in-flight requests.
const IN_FLIGHT: usize = 8;
const SIZES: [usize; 2] = [200 << 10, 1 << 20];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "fill") {
        return fill(&args[1..]);
    }
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let mib: usize = flag("--mib").map_or(Ok(256), |v| v.parse())?;
    let backlog_mib: usize = flag("--backlog-mib").map_or(Ok(500), |v| v.parse())?;
    let runs: usize = flag("--runs").map_or(Ok(3), |v| v.parse())?;
    let dir = PathBuf::from(flag("--dir").unwrap_or_else(|| "storebench-data".into()));
    let part = flag("--part");
    let stores: Vec<Store> = match flag("--store") {
        Some(name) => vec![Store::parse(&name).ok_or(format!("unknown store {name}"))?],
        None => Store::ALL.to_vec(),
    };

    if part.as_deref() != Some("recovery") {
        throughput_table(&stores, &dir, mib, runs)?;
    }
    if part.as_deref() != Some("throughput") {
        recovery_table(&stores, &dir, backlog_mib)?;
    }
    Ok(())
}

fn throughput_table(stores: &[Store], dir: &Path, mib: usize, runs: usize) -> Result<()> {
    let cases: Vec<(Store, bool, usize)> = stores.iter().flat_map(|&s| [false, true].into_iter().flat_map(move |f| SIZES.map(|z| (s, f, z)))).collect();
    // Round by round, every case once per round: a disk that is busy for a
    // while slows every store alike, not the one that ran then.
    let mut all: Vec<Vec<(Measured, u64)>> = cases.iter().map(|_| Vec::new()).collect();
    for _ in 0..runs.max(1) {
        for (&(store, fsync, size), runs) in cases.iter().zip(&mut all) {
            let at = fresh(dir, store)?;
            runs.push((throughput(store, &at, size, mib << 20, fsync)?, du(&at)));
            std::fs::remove_dir_all(&at)?;
        }
    }
    println!(
        "| store | payload | fsync | MB/s (slowest–fastest run) | CPU ms per MB | dirtied / payload byte | after cancelled writes | on disk after drain |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|");
    for ((store, fsync, size), mut runs) in cases.into_iter().zip(all) {
        runs.sort_by_key(|(m, _)| m.wall);
        let rate = |m: &Measured| m.mb / m.wall.as_secs_f64();
        let (slowest, fastest) = (rate(&runs[runs.len() - 1].0), rate(&runs[0].0));
        let (m, left) = &runs[runs.len() / 2];
        println!(
            "| {} | {} KiB | {} | {:.0} ({slowest:.0}–{fastest:.0}) | {:.2} | {:.2} | {:.2} | {} KiB |",
            store.name(),
            size >> 10,
            if fsync { "on" } else { "off" },
            rate(m),
            m.cpu.as_secs_f64() * 1000.0 / m.mb,
            m.dirtied as f64 / (m.mb * 1e6),
            m.dirtied.saturating_sub(m.cancelled) as f64 / (m.mb * 1e6),
            left >> 10,
        );
    }
    Ok(())
}

fn recovery_table(stores: &[Store], dir: &Path, backlog_mib: usize) -> Result<()> {
    println!();
    println!("| store | backlog | after a clean close: ready | + every payload read | after a kill: ready | + every payload read | payloads kept after a kill without a final sync |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for &store in stores {
        let at = fresh(dir, store)?;
        child_fill(store, &at, backlog_mib, End::Close)?;
        let closed = recover(store, &at)?;
        std::fs::remove_dir_all(&at)?;
        child_fill(store, &at, backlog_mib, End::Kill)?;
        let killed = recover(store, &at)?;
        std::fs::remove_dir_all(&at)?;
        child_fill(store, &at, 20, End::KillWithoutSync)?;
        let kept = store.open(&at, false)?.len();
        std::fs::remove_dir_all(&at)?;
        let s = |d: Duration| format!("{:.3} s", d.as_secs_f64());
        println!(
            "| {} | {backlog_mib} MiB in {} payloads | {} | {} | {} | {} | {kept} of {} |",
            store.name(),
            killed.pending,
            s(closed.ready),
            s(closed.replayed),
            s(killed.ready),
            s(killed.replayed),
            (20 << 20) / SIZES[0]
        );
    }
    Ok(())
}

struct Measured {
    /// Payload megabytes (10^6 bytes) pushed, read and deleted.
    mb: f64,
    wall: Duration,
    cpu: Duration,
    dirtied: u64,
    cancelled: u64,
}

/// Pushes `total` bytes of `size`-byte payloads through the queue, keeping
/// `IN_FLIGHT` pending, then drains it; opening and closing are counted.
fn throughput(store: Store, dir: &Path, size: usize, total: usize, fsync: bool) -> Result<Measured> {
    let mut payload = random(size, size as u64);
    let (cpu0, io0, t) = (cpu(), io()?, Instant::now());
    let mut q = store.open(dir, fsync)?;
    let count = total / size;
    for i in 0..count {
        payload[..8].copy_from_slice(&(i as u64).to_le_bytes());
        q.push(&payload)?;
        if q.len() > IN_FLIGHT {
            let got = q.pop()?.ok_or("queue empty")?;
            assert_eq!(got.len(), size);
        }
    }
    while let Some(got) = q.pop()? {
        assert_eq!(got.len(), size);
    }
    drop(q);
    let (wall, cpu1, io1) = (t.elapsed(), cpu(), io()?);
    Ok(Measured { mb: (count * size) as f64 / 1e6, wall, cpu: cpu1 - cpu0, dirtied: io1.0 - io0.0, cancelled: io1.1 - io0.1 })
}

/// How the process that wrote a backlog ends.
#[derive(Clone, Copy)]
enum End {
    Close,
    /// Exits without closing the store, after making it durable.
    Kill,
    /// Exits without closing and without a final sync: `kill -9`.
    KillWithoutSync,
}

fn child_fill(store: Store, dir: &Path, mib: usize, end: End) -> Result<()> {
    let me = std::env::current_exe()?;
    let end = match end {
        End::Close => "close",
        End::Kill => "kill",
        End::KillWithoutSync => "kill-without-sync",
    };
    let status = Command::new(me).arg("fill").arg(store.name()).arg(dir).arg(mib.to_string()).arg(end).status()?;
    if !status.success() {
        return Err(format!("fill {} failed: {status}", store.name()).into());
    }
    Ok(())
}

/// `fill STORE DIR MIB END`: pushes 200 KiB payloads with fsync off, then
/// ends as `END` says.
fn fill(args: &[String]) -> Result<()> {
    let [store, dir, mib, end] = args else { return Err("fill STORE DIR MIB close|kill|kill-without-sync".into()) };
    let store = Store::parse(store).ok_or("unknown store")?;
    let mut q = store.open(Path::new(dir), false)?;
    let mut payload = random(SIZES[0], 7);
    for i in 0..(mib.parse::<usize>()? << 20) / SIZES[0] {
        payload[..8].copy_from_slice(&(i as u64).to_le_bytes());
        q.push(&payload)?;
    }
    match end.as_str() {
        "close" => drop(q),
        "kill" => q.sync()?,
        _ => {}
    }
    std::process::exit(0)
}

struct Recovery {
    /// Open, and know what is pending.
    ready: Duration,
    /// Then read every pending payload, as a WAL replay does.
    replayed: Duration,
    pending: usize,
}

/// Opens the store with its files out of the page cache and reads back
/// everything pending.
fn recover(store: Store, dir: &Path) -> Result<Recovery> {
    uncache(dir)?;
    let t = Instant::now();
    let mut q = store.open(dir, false)?;
    let ready = t.elapsed();
    q.read_all()?;
    Ok(Recovery { ready, replayed: t.elapsed(), pending: q.len() })
}

/// Writes back and drops from the page cache the files under `dir` only:
/// a cold start without disturbing the rest of the machine.
fn uncache(dir: &Path) -> Result<()> {
    use std::os::fd::AsRawFd;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            uncache(&entry.path())?;
            continue;
        }
        let file = std::fs::File::open(entry.path())?;
        file.sync_all()?;
        // SAFETY: advice on a descriptor this function owns.
        unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    }
    Ok(())
}

fn fresh(dir: &Path, store: Store) -> Result<PathBuf> {
    let at = dir.join(store.name());
    if at.exists() {
        std::fs::remove_dir_all(&at)?;
    }
    Ok(at)
}

/// Incompressible bytes, as compressed request bodies are.
fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// User plus system CPU time of this process, all threads.
fn cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Bytes this process caused to be written to storage, and bytes whose
/// write was cancelled (dirty pages of a file deleted before writeback).
fn io() -> Result<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/self/io")?;
    let field = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(0);
    Ok((field("write_bytes:"), field("cancelled_write_bytes:")))
}

/// Bytes of the files under `dir`.
fn du(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => du(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
