use std::time::{Duration, SystemTime};

use super::*;

const WAIT: Duration = Duration::from_millis(100);

fn small() -> LogOptions {
    LogOptions { segment_bytes: 200, fsync: false }
}

/// Opens the log and returns it with the payloads recovered, in order.
type Payloads = Vec<(u64, Vec<u8>)>;

fn reopen(dir: &std::path::Path) -> (SegmentLog, Payloads, Vec<Damage>) {
    let mut got = Vec::new();
    let (log, damage) = SegmentLog::open(dir, small(), WAIT, |r| got.push((r.seq, r.payload.to_vec()))).unwrap();
    (log, got, damage)
}

fn segment_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "seg")).collect();
    files.sort();
    files
}

#[test]
fn records_survive_a_reopen_in_order_and_segments_roll() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, got, _) = reopen(dir.path());
    assert!(got.is_empty());
    let mut at = Vec::new();
    for i in 0..20u32 {
        at.push(log.append(3, format!("payload {i}").as_bytes()).unwrap());
    }
    assert!(log.segments() > 1, "20 records of 30 bytes roll past 200-byte segments");
    assert_eq!(log.read(&at[7].1).unwrap(), b"payload 7");
    drop(log);
    let (mut log, got, damage) = reopen(dir.path());
    assert!(damage.is_empty());
    assert_eq!(got.len(), 20);
    assert_eq!(got[19], (20, b"payload 19".to_vec()));
    // Numbering goes on after the records already there.
    assert_eq!(log.append(3, b"next").unwrap().0, 21);
}

#[test]
fn releasing_removes_whole_segments_from_the_oldest() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _, _) = reopen(dir.path());
    for i in 0..20u32 {
        log.append(0, format!("payload {i:02}").as_bytes()).unwrap();
    }
    let before = (log.segments(), log.bytes());
    assert_eq!(log.release_below(1).unwrap(), 0);
    assert_eq!(log.first_segment(), Some(1));
    let removed = log.release_below(15).unwrap();
    assert!(removed > 0);
    let first = log.first_segment().unwrap();
    assert!(first > 1 && first <= 15, "the oldest segment left starts past what was released: {first}");
    assert_eq!(log.segments(), before.0 - removed);
    assert!(log.bytes() < before.1);
    assert_eq!(segment_files(dir.path()).len(), log.segments());
    drop(log);
    let (_, got, _) = reopen(dir.path());
    assert!(got.iter().any(|(s, _)| *s == 15), "a record not released stays: {:?}", got.iter().map(|g| g.0).collect::<Vec<_>>());
    assert_eq!(got.last().map(|g| g.0), Some(20));
}

#[test]
fn a_torn_tail_is_reported_and_everything_before_it_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _, _) = reopen(dir.path());
    for i in 0..3u32 {
        log.append(0, format!("payload {i}").as_bytes()).unwrap();
    }
    drop(log);
    let file = segment_files(dir.path()).pop().unwrap();
    let len = std::fs::metadata(&file).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(len - 4).unwrap();
    let (mut log, got, damage) = reopen(dir.path());
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(damage.len(), 1);
    assert_eq!(damage[0].flaw, Flaw::TornTail);
    assert!(damage[0].to_string().contains("cut short"), "{}", damage[0]);
    // New records go to a new segment, never after the damaged tail.
    log.append(0, b"after").unwrap();
    drop(log);
    let (_, got, damage) = reopen(dir.path());
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 2, 3], "the torn record never counted, so its number is given again");
    assert_eq!(damage.len(), 1, "the old damage is reported again, and nothing new");
}

#[test]
fn a_flipped_byte_loses_one_record_and_reading_it_again_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _, _) = reopen(dir.path());
    let at: Vec<_> = (0..3u32).map(|i| log.append(0, format!("payload {i}").as_bytes()).unwrap().1).collect();
    let file = segment_files(dir.path()).pop().unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = at[1].offset as usize + record::HEADER + 2;
    bytes[middle] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    assert_eq!(log.read(&at[1]).unwrap_err().kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(log.read(&at[2]).unwrap(), b"payload 2");
    drop(log);
    let (_, got, damage) = reopen(dir.path());
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!(damage[0].flaw, Flaw::Checksum);
}

#[test]
fn a_segment_with_nothing_readable_is_reported_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("00000000000000000001.seg"), b"garbage that is not a segment").unwrap();
    let (mut log, got, damage) = reopen(dir.path());
    assert!(got.is_empty());
    assert_eq!(damage[0].flaw, Flaw::NotASegment);
    assert!(segment_files(dir.path()).is_empty());
    // Numbering starts past the name of the file that was there.
    assert!(log.append(0, b"x").unwrap().0 >= 1);
}

#[test]
fn one_process_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let (_log, _, _) = reopen(dir.path());
    let second = SegmentLog::open(dir.path(), small(), WAIT, |_| {});
    let err = second.err().unwrap();
    assert!(err.to_string().contains("in use by another process"), "{err}");
}

#[test]
fn age_bound_names_the_closed_segments_written_before_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _, _) = reopen(dir.path());
    for i in 0..20u32 {
        log.append(0, format!("payload {i:02}").as_bytes()).unwrap();
    }
    assert_eq!(log.last_seq_written_before(SystemTime::UNIX_EPOCH), None);
    let future = SystemTime::now() + Duration::from_secs(60);
    let last = log.last_seq_written_before(future).unwrap();
    assert!(last < 20, "the segment being written is not given up");
    log.roll();
    assert_eq!(log.last_seq_written_before(future), Some(20));
}

/// A full disk: the failed append leaves nothing behind, and the log goes
/// on once there is room again.
#[test]
fn a_failed_write_leaves_the_segment_intact() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _, _) = reopen(dir.path());
    log.append(0, b"kept").unwrap();
    log.disk_full_at = Some(100);
    let failed = log.append(0, &[7u8; 150]).unwrap_err();
    assert_eq!(failed.raw_os_error(), Some(28));
    log.disk_full_at = None;
    assert_eq!(log.append(0, b"after").unwrap().0, 2);
    drop(log);
    let (_, got, damage) = reopen(dir.path());
    assert!(damage.is_empty(), "{damage:?}");
    assert_eq!(got.iter().map(|g| g.1.clone()).collect::<Vec<_>>(), vec![b"kept".to_vec(), b"after".to_vec()]);
}

/// A segment named with the last sequence number there is (planted, or
/// damaged): opening it and appending give errors, never an overflow.
#[test]
fn the_last_sequence_number_is_an_error_not_an_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let mut buf = record::MAGIC.to_vec();
    buf.extend_from_slice(&record::header(u64::MAX, 0, b"x"));
    buf.extend_from_slice(b"x");
    std::fs::write(dir.path().join(format!("{:020}.seg", u64::MAX)), &buf).unwrap();
    let (mut log, got, _) = reopen(dir.path());
    assert_eq!(got.len(), 1);
    assert!(log.append(0, b"y").is_err());
}
