//! The segment log's costs as the persistent queue meets them: a 1 MiB
//! record appended, read back once and released (fsync off, so the figure
//! is the log's own cost, not the disk's), and recovery's scan of a full
//! 16 MiB segment, intact and with its first record damaged (the scanner
//! then looks for the next record byte by byte). Figures: docs/storage.md.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use solder_components::durable::record::{self, HEADER, MAGIC};
use solder_components::durable::{LogOptions, SegmentLog};

const MIB: usize = 1 << 20;

/// Payload bytes with no runs of zeros, so that a damaged segment's scan
/// meets few places that look like a header: the top byte of a
/// multiplicative hash of the position.
fn payload_bytes(len: usize, seed: u64) -> Vec<u8> {
    (0..len as u64).map(|i| ((i ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8).collect()
}

fn append_read_release(c: &mut Criterion) {
    let mut group = c.benchmark_group("segment_log_1mib");
    group.throughput(Throughput::Bytes(MIB as u64));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (mut log, _) = SegmentLog::open(dir.path(), LogOptions::default(), Duration::from_secs(1), |_| {}).expect("the log opens");
    let payload = payload_bytes(MIB, 1);
    group.bench_function("append_read_release", |b| {
        b.iter(|| {
            let (seq, at) = log.append(0, &payload).expect("append");
            let back = log.read(&at).expect("read");
            assert_eq!(back.len(), MIB);
            log.release_below(seq + 1).expect("release");
        })
    });
    group.finish();
}

/// A 16 MiB segment of `record_bytes` records.
fn segment(record_bytes: usize) -> Vec<u8> {
    let mut buf = MAGIC.to_vec();
    let payload = payload_bytes(record_bytes - HEADER, 2);
    for seq in 1.. {
        if buf.len() + record_bytes > 16 * MIB {
            break;
        }
        buf.extend_from_slice(&record::header(seq, 0, &payload));
        buf.extend_from_slice(&payload);
    }
    buf
}

fn scan(c: &mut Criterion) {
    let mut group = c.benchmark_group("scan_16mib_segment");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(16 * MIB as u64));
    for record_bytes in [200 << 10, MIB] {
        let intact = segment(record_bytes);
        let count = intact.len() / record_bytes;
        group.bench_with_input(BenchmarkId::new("intact", record_bytes >> 10), &intact, |b, buf| b.iter(|| assert_eq!(record::scan(buf).records.len(), count)));
        let mut damaged = intact.clone();
        damaged[MAGIC.len() + 4] ^= 1;
        group.bench_with_input(BenchmarkId::new("first_record_damaged", record_bytes >> 10), &damaged, |b, buf| {
            b.iter(|| assert_eq!(record::scan(buf).records.len(), count - 1))
        });
    }
    group.finish();
}

criterion_group!(benches, append_read_release, scan);
criterion_main!(benches);
