//! The record framing of a segment file, and the scanner that reads it
//! back after a crash.
//!
//! A segment is an 8-byte magic followed by records:
//!
//! ```text
//! len u32 LE | crc u32 LE | seq u64 LE | kind u8 | 0u8 0u8 0u8 | payload (len bytes)
//! ```
//!
//! `crc` is CRC-32 (IEEE) over everything after it: sequence number, kind,
//! the reserved zeros, the length and the payload. Sequence numbers rise
//! strictly within a log, so a stale record left behind by a reused file
//! and a header that happens to checksum are both told apart from the
//! records that belong here.
//!
//! The scanner never trusts a length it has not checked: a damaged record
//! is reported and skipped by looking for the next header whose checksum
//! and sequence number hold, so one flipped byte costs one record, not the
//! rest of the segment.

/// Every segment file starts with this.
pub const MAGIC: &[u8; 8] = b"SOLDLOG1";

/// Bytes before a record's payload.
pub const HEADER: usize = 20;

/// Where a record starts, what it is, and how long its payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub seq: u64,
    pub kind: u8,
    /// Offset of the header from the start of the scanned bytes.
    pub offset: usize,
    pub len: usize,
}

impl Found {
    pub fn payload<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        &buf[self.offset + HEADER..self.end()]
    }

    pub fn end(&self) -> usize {
        self.offset + HEADER + self.len
    }
}

/// Why bytes were skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// The segment ends inside a record: the write that was cut short by a
    /// crash or a full disk. Expected after `kill -9`.
    TornTail,
    /// A record's checksum does not match its bytes.
    Checksum,
    /// A header that cannot be one: reserved bytes set, or a sequence
    /// number that does not follow the one before it.
    BadHeader,
    /// The file does not start with [`MAGIC`].
    NotASegment,
}

impl Flaw {
    pub fn describe(self) -> &'static str {
        match self {
            Flaw::TornTail => "the last record was cut short (a write interrupted by a crash or a full disk)",
            Flaw::Checksum => "a record's checksum does not match its bytes",
            Flaw::BadHeader => "a record header is invalid",
            Flaw::NotASegment => "the file is not a Solder segment",
        }
    }
}

/// A stretch of bytes the scanner could not read as records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub offset: usize,
    pub bytes: usize,
    pub flaw: Flaw,
}

/// What a scan found: the intact records in order, and the damage.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan {
    pub records: Vec<Found>,
    pub gaps: Vec<Gap>,
}

/// Frames one record's header.
pub fn header(seq: u64, kind: u8, payload: &[u8]) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[0..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    h[8..16].copy_from_slice(&seq.to_le_bytes());
    h[16] = kind;
    let crc = checksum(&h, payload);
    h[4..8].copy_from_slice(&crc.to_le_bytes());
    h
}

fn checksum(h: &[u8; HEADER], payload: &[u8]) -> u32 {
    let mut c = crc32fast::Hasher::new();
    c.update(&h[8..HEADER]);
    c.update(&h[0..4]);
    c.update(payload);
    c.finalize()
}

/// Checks the record at `at` and returns it, or why it is not one.
/// `after`: the sequence number of the record before, if any.
pub fn parse(buf: &[u8], at: usize, after: Option<u64>) -> Result<Found, Flaw> {
    let rest = &buf[at..];
    let Some(h) = rest.get(..HEADER) else { return Err(Flaw::TornTail) };
    let h: &[u8; HEADER] = h.try_into().map_err(|_| Flaw::TornTail)?;
    let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
    let crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    let seq = u64::from_le_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]);
    if h[17..20] != [0, 0, 0] || after.is_some_and(|a| seq <= a) {
        return Err(Flaw::BadHeader);
    }
    let Some(payload) = rest.get(HEADER..HEADER + len) else { return Err(Flaw::TornTail) };
    if checksum(h, payload) != crc {
        return Err(Flaw::Checksum);
    }
    Ok(Found { seq, kind: h[16], offset: at, len })
}

/// Reads every intact record of a segment's bytes (magic included).
pub fn scan(buf: &[u8]) -> Scan {
    scan_numbered(buf, None)
}

/// As [`scan`], for a segment whose first record is numbered `first` (its
/// file name says so). A log numbers its records one by one, so after
/// damage the next intact record can only be a few numbers on: at most one
/// more per [`HEADER`] bytes skipped. A "record" further on is bytes inside
/// a payload that happen to frame one (a crafted span attribute, a segment
/// file sent as data), and taking it would refuse every real record after
/// it as out of order.
pub fn scan_numbered(buf: &[u8], first: Option<u64>) -> Scan {
    let mut out = Scan::default();
    if buf.len() < MAGIC.len() || &buf[..MAGIC.len()] != MAGIC {
        if !buf.is_empty() {
            out.gaps.push(Gap { offset: 0, bytes: buf.len(), flaw: Flaw::NotASegment });
        }
        return out;
    }
    let mut at = MAGIC.len();
    let mut last: Option<u64> = None;
    while at < buf.len() {
        match parse(buf, at, last) {
            Ok(found) => {
                last = Some(found.seq);
                at = found.end();
                out.records.push(found);
            }
            Err(flaw) => {
                let floor = last.map(|l| l.saturating_add(1)).or(first);
                let next = resync(buf, at, floor, last);
                let end = next.unwrap_or(buf.len());
                let flaw = match (flaw, next) {
                    // A length running past the end, with a record after it,
                    // is a damaged length, not a short write.
                    (Flaw::TornTail, Some(_)) => Flaw::BadHeader,
                    // Filesystems may leave an interrupted append as zeros.
                    (_, None) if buf[at..].iter().all(|&b| b == 0) => Flaw::TornTail,
                    (flaw, _) => flaw,
                };
                out.gaps.push(Gap { offset: at, bytes: end - at, flaw });
                at = end;
            }
        }
    }
    out
}

/// The first offset after the damage at `damaged` where an intact record
/// starts whose number follows `after` and fits the numbering: at most
/// `floor` plus one per [`HEADER`] bytes skipped. Cheap checks go first:
/// most offsets of damaged bytes fail on the reserved bytes or the length.
fn resync(buf: &[u8], damaged: usize, floor: Option<u64>, after: Option<u64>) -> Option<usize> {
    let last_start = buf.len().checked_sub(HEADER)?;
    (damaged + 1..=last_start).find(|&at| {
        let h = &buf[at..at + HEADER];
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let seq = u64::from_le_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]);
        let reachable = floor.is_none_or(|f| seq >= f && seq - f <= ((at - damaged) / HEADER) as u64);
        h[17..20] == [0, 0, 0] && len <= buf.len() - at - HEADER && reachable && parse(buf, at, after).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(records: &[(u64, &[u8])]) -> Vec<u8> {
        let mut buf = MAGIC.to_vec();
        for (seq, payload) in records {
            buf.extend_from_slice(&header(*seq, 1, payload));
            buf.extend_from_slice(payload);
        }
        buf
    }

    fn seqs(s: &Scan) -> Vec<u64> {
        s.records.iter().map(|r| r.seq).collect()
    }

    #[test]
    fn reads_back_what_was_framed() {
        let buf = segment(&[(1, b"one"), (2, b""), (5, b"five")]);
        let s = scan(&buf);
        assert_eq!(seqs(&s), vec![1, 2, 5]);
        assert!(s.gaps.is_empty());
        assert_eq!(s.records[2].payload(&buf), b"five");
        assert_eq!(s.records[0].kind, 1);
    }

    #[test]
    fn a_torn_tail_keeps_every_record_before_it() {
        let full = segment(&[(1, b"one"), (2, b"two"), (3, b"three")]);
        for cut in MAGIC.len() + 1..full.len() {
            let s = scan(&full[..cut]);
            let ends = [MAGIC.len() + HEADER + 3, MAGIC.len() + 2 * HEADER + 6, full.len()];
            let whole: Vec<u64> = (1..=3).filter(|&n| ends[n as usize - 1] <= cut).collect();
            assert_eq!(seqs(&s), whole, "cut at {cut}");
            if let Some(g) = s.gaps.first() {
                assert_eq!(g.flaw, Flaw::TornTail, "cut at {cut}");
                assert_eq!(g.offset + g.bytes, cut);
            }
        }
    }

    /// One flipped byte anywhere costs at most the record it is in.
    #[test]
    fn a_flipped_byte_costs_one_record() {
        let full = segment(&[(1, b"first record"), (2, b"second record"), (3, b"third record")]);
        for at in MAGIC.len()..full.len() {
            let mut buf = full.clone();
            buf[at] ^= 0x40;
            let s = scan(&buf);
            assert!(s.records.len() >= 2, "flip at {at} lost more than one record: {s:?}");
            assert_eq!(s.gaps.len(), 1, "flip at {at}: {s:?}");
            assert!(s.records.iter().all(|r| r.payload(&buf).ends_with(b"record")));
        }
    }

    #[test]
    fn a_zero_filled_tail_is_a_torn_write() {
        let mut buf = segment(&[(1, b"one")]);
        buf.extend_from_slice(&[0; 64]);
        let s = scan(&buf);
        assert_eq!(seqs(&s), vec![1]);
        assert_eq!(s.gaps, vec![Gap { offset: MAGIC.len() + HEADER + 3, bytes: 64, flaw: Flaw::TornTail }]);
    }

    #[test]
    fn stale_or_repeated_sequence_numbers_are_refused() {
        let mut buf = segment(&[(7, b"a"), (8, b"b")]);
        buf.extend_from_slice(&header(8, 1, b"again"));
        buf.extend_from_slice(b"again");
        let s = scan(&buf);
        assert_eq!(seqs(&s), vec![7, 8]);
        assert_eq!(s.gaps[0].flaw, Flaw::BadHeader);
    }

    /// The fuzzer's finding: a damaged record whose payload holds a whole
    /// record of its own with a high number. Taken for a real one, it
    /// would refuse the intact records after it as out of order.
    #[test]
    fn a_record_inside_a_damaged_payload_is_not_taken_for_a_real_one() {
        let mut inner = header(1_000_000, 1, b"inner").to_vec();
        inner.extend_from_slice(b"inner");
        let mut outer_payload = b"prefix".to_vec();
        outer_payload.extend_from_slice(&inner);
        outer_payload.extend_from_slice(b"suffix");
        let mut buf = segment(&[(1, b"one"), (2, &outer_payload), (3, b"three"), (4, b"four")]);
        let damaged = MAGIC.len() + HEADER + 3 + HEADER + 2; // inside record 2's payload
        buf[damaged] ^= 0xff;
        let s = scan_numbered(&buf, Some(1));
        assert_eq!(seqs(&s), vec![1, 3, 4], "{s:?}");
        // A segment numbered from 5 cannot start with record 1_000_000 either.
        let mut lone = MAGIC.to_vec();
        lone.extend_from_slice(&[0xff; 4]);
        lone.extend_from_slice(&inner);
        assert!(scan_numbered(&lone, Some(5)).records.is_empty());
        assert_eq!(scan(&lone).records.len(), 1, "without its number, the scanner cannot tell");
    }

    #[test]
    fn a_file_of_something_else_is_named_as_such() {
        let s = scan(b"{\"not\": \"a segment\"}");
        assert!(s.records.is_empty());
        assert_eq!(s.gaps[0].flaw, Flaw::NotASegment);
        assert_eq!(scan(b""), Scan::default());
    }
}
