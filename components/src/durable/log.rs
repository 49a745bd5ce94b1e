//! [`SegmentLog`]: a directory of append-only segment files.
//!
//! Records are appended to the newest segment; a segment is closed when it
//! passes its size and is never written again, and a log that is opened
//! starts a new segment rather than appending after whatever tail a crash
//! left. So a damaged tail is only ever read, never built upon, and the
//! only file ever written is one this process created.
//!
//! Space is given back a whole segment at a time, from the oldest:
//! the owner says which sequence numbers it no longer needs
//! ([`SegmentLog::release_below`]).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::record::{self, Flaw, HEADER, MAGIC};

/// How a log writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogOptions {
    /// A segment is closed once it holds this many bytes.
    pub segment_bytes: u64,
    /// `fsync` after every append (and the directory after every new or
    /// removed segment). Without it, an append survives the process being
    /// killed, but not the machine losing power.
    pub fsync: bool,
}

impl Default for LogOptions {
    fn default() -> LogOptions {
        LogOptions { segment_bytes: 16 << 20, fsync: false }
    }
}

/// Where a record's payload is, to read it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// The segment, by the first sequence number it was created for.
    pub segment: u64,
    /// The record header's offset in the segment file.
    pub offset: u64,
    pub len: u32,
}

/// One intact record found when the log was opened.
pub struct Recovered<'a> {
    pub seq: u64,
    pub kind: u8,
    pub payload: &'a [u8],
    pub at: Location,
}

/// Bytes of a segment that could not be read back, as found on open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub segment: PathBuf,
    pub offset: u64,
    pub bytes: u64,
    pub flaw: Flaw,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: skipped {} bytes at offset {}: {}", self.segment.display(), self.bytes, self.offset, self.flaw.describe())
    }
}

struct Segment {
    path: PathBuf,
    file: File,
    bytes: u64,
    /// The last sequence number written to it, if any.
    last_seq: Option<u64>,
    modified: SystemTime,
}

pub struct SegmentLog {
    dir: PathBuf,
    options: LogOptions,
    /// By first sequence number. The last one is the segment being
    /// written, when `writing` is set.
    segments: BTreeMap<u64, Segment>,
    writing: Option<u64>,
    next_seq: u64,
    bytes: u64,
    /// Held open for as long as the log is: the lock is the file's.
    _lock: File,
    /// Tests: the size at which segment writes fail as on a full disk,
    /// after writing what fits.
    #[cfg(test)]
    pub(crate) disk_full_at: Option<u64>,
}

fn segment_name(first_seq: u64) -> String {
    format!("{first_seq:020}.seg")
}

impl SegmentLog {
    /// Opens (creating) the log in `dir`, calling `each` for every intact
    /// record in order, and returns what was damaged. Waits up to
    /// `lock_timeout` for another process that has the directory open.
    pub fn open(dir: &Path, options: LogOptions, lock_timeout: Duration, mut each: impl FnMut(Recovered<'_>)) -> io::Result<(SegmentLog, Vec<Damage>)> {
        fs::create_dir_all(dir)?;
        let lock = lock(dir, lock_timeout)?;
        let mut names: Vec<(u64, PathBuf)> = Vec::new();
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            let first = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".seg")).and_then(|n| n.parse::<u64>().ok());
            if let Some(first) = first {
                names.push((first, path));
            }
        }
        names.sort();
        let mut log = SegmentLog {
            dir: dir.to_path_buf(),
            options,
            segments: BTreeMap::new(),
            writing: None,
            next_seq: 1,
            bytes: 0,
            _lock: lock,
            #[cfg(test)]
            disk_full_at: None,
        };
        let mut damage = Vec::new();
        let mut last_seq: Option<u64> = None;
        for (first, path) in names {
            log.next_seq = log.next_seq.max(first);
            let buf = fs::read(&path)?;
            let scan = record::scan_numbered(&buf, Some(first));
            damage.extend(scan.gaps.iter().map(|g| Damage { segment: path.clone(), offset: g.offset as u64, bytes: g.bytes as u64, flaw: g.flaw }));
            let mut seg_last = None;
            for found in &scan.records {
                // Sequence numbers rise across segments too; a record at or
                // below one already read is left over from elsewhere.
                if last_seq.is_some_and(|l| found.seq <= l) {
                    damage.push(Damage { segment: path.clone(), offset: found.offset as u64, bytes: (HEADER + found.len) as u64, flaw: Flaw::BadHeader });
                    continue;
                }
                last_seq = Some(found.seq);
                seg_last = Some(found.seq);
                let at = Location { segment: first, offset: found.offset as u64, len: found.len as u32 };
                each(Recovered { seq: found.seq, kind: found.kind, payload: found.payload(&buf), at });
            }
            if seg_last.is_none() {
                // Nothing readable: what it was is in the damage report.
                fs::remove_file(&path)?;
                continue;
            }
            let modified = fs::metadata(&path)?.modified().unwrap_or_else(|_| SystemTime::now());
            let file = OpenOptions::new().read(true).open(&path)?;
            log.bytes += buf.len() as u64;
            log.segments.insert(first, Segment { path, file, bytes: buf.len() as u64, last_seq: seg_last, modified });
        }
        if let Some(l) = last_seq {
            log.next_seq = log.next_seq.max(l.saturating_add(1));
        }
        Ok((log, damage))
    }

    /// Appends one record; returns its sequence number and location. On a
    /// failed write (a full disk) nothing is appended: the partial record
    /// is cut off, or the segment is closed where it was last intact.
    pub fn append(&mut self, kind: u8, payload: &[u8]) -> io::Result<(u64, Location)> {
        self.write(kind, payload, self.options.fsync)
    }

    /// Appends without `fsync`, whatever the options: for records whose
    /// loss in a power cut only repeats work (an acknowledgement), never
    /// loses data. The next synced append makes it durable too.
    pub fn append_unsynced(&mut self, kind: u8, payload: &[u8]) -> io::Result<(u64, Location)> {
        self.write(kind, payload, false)
    }

    fn write(&mut self, kind: u8, payload: &[u8], fsync: bool) -> io::Result<(u64, Location)> {
        // Only a damaged or planted file name gets here: 2^64 appends do not.
        if self.next_seq == u64::MAX {
            return Err(io::Error::other("the log's sequence numbers are exhausted; move its directory away to start afresh"));
        }
        if payload.len() > u32::MAX as usize {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "a record is limited to 4 GiB"));
        }
        let first = self.writable()?;
        let seq = self.next_seq;
        let Some(seg) = self.segments.get_mut(&first) else { return Err(io::Error::other("the segment being written is missing")) };
        let offset = seg.bytes;
        let head = record::header(seq, kind, payload);
        let written = write_at_end(&seg.file, offset, &head, payload).and_then(|()| if fsync { seg.file.sync_data() } else { Ok(()) });
        #[cfg(test)]
        let written = match self.disk_full_at.filter(|&l| offset + (HEADER + payload.len()) as u64 > l) {
            Some(_) => Err(io::Error::from_raw_os_error(28)),
            None => written,
        };
        if let Err(e) = written {
            // Keep the segment intact for readers: cut the partial record.
            // Then close it, so that it can be given back once what is in it
            // is released: on a full disk, that is what makes room. A segment
            // with no record yet stays, or each refusal would leave a file.
            let _ = seg.file.set_len(offset);
            if seg.last_seq.is_some() {
                self.writing = None;
            }
            return Err(e);
        }
        let len = (HEADER + payload.len()) as u64;
        seg.bytes += len;
        seg.last_seq = Some(seq);
        seg.modified = SystemTime::now();
        self.bytes += len;
        self.next_seq += 1;
        if seg.bytes >= self.options.segment_bytes {
            self.writing = None;
        }
        Ok((seq, Location { segment: first, offset, len: payload.len() as u32 }))
    }

    /// The segment being written, created when there is none.
    fn writable(&mut self) -> io::Result<u64> {
        if let Some(first) = self.writing {
            return Ok(first);
        }
        let first = self.next_seq;
        let path = self.dir.join(segment_name(first));
        let mut file = OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
        if let Err(e) = file.write_all(MAGIC).and_then(|()| if self.options.fsync { file.sync_data() } else { Ok(()) }) {
            drop(file);
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        self.sync_dir()?;
        let bytes = MAGIC.len() as u64;
        self.bytes += bytes;
        self.segments.insert(first, Segment { path, file, bytes, last_seq: None, modified: SystemTime::now() });
        self.writing = Some(first);
        Ok(first)
    }

    /// Reads a record's payload again, checking its checksum.
    pub fn read(&self, at: &Location) -> io::Result<Vec<u8>> {
        let seg = self.segments.get(&at.segment).ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "the record's segment was removed"))?;
        let mut buf = vec![0u8; HEADER + at.len as usize];
        seg.file.read_exact_at(&mut buf, at.offset)?;
        match record::parse(&buf, 0, None) {
            Ok(found) if found.len == at.len as usize => {
                buf.drain(..HEADER);
                Ok(buf)
            }
            Ok(_) => Err(io::Error::new(io::ErrorKind::InvalidData, "the record's length changed on disk")),
            Err(flaw) => Err(io::Error::new(io::ErrorKind::InvalidData, format!("{}: {}", seg.path.display(), flaw.describe()))),
        }
    }

    /// Removes every segment, oldest first, whose records all have
    /// sequence numbers below `seq`; the segment being written stays.
    /// Returns how many records' worth of segments went: the number of
    /// segments removed.
    pub fn release_below(&mut self, seq: u64) -> io::Result<usize> {
        let mut removed = 0;
        while let Some((&first, seg)) = self.segments.first_key_value() {
            let done = Some(first) != self.writing && seg.last_seq.is_none_or(|l| l < seq);
            if !done {
                break;
            }
            fs::remove_file(&seg.path)?;
            self.bytes -= seg.bytes;
            self.segments.remove(&first);
            removed += 1;
        }
        if removed > 0 {
            self.sync_dir()?;
        }
        Ok(removed)
    }

    /// The last sequence number of the newest closed segment last written
    /// before `time`: what an age bound would give up.
    pub fn last_seq_written_before(&self, time: SystemTime) -> Option<u64> {
        self.segments.iter().filter(|(first, s)| Some(**first) != self.writing && s.modified < time).filter_map(|(_, s)| s.last_seq).max()
    }

    /// Closes the segment being written, so that the next append starts a
    /// new one and everything before can be released.
    pub fn roll(&mut self) {
        self.writing = None;
    }

    /// Turns `fsync` on or off for the appends from now on.
    pub fn set_fsync(&mut self, fsync: bool) {
        self.options.fsync = fsync;
    }

    /// Bytes on disk, in segment files.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn segments(&self) -> usize {
        self.segments.len()
    }

    /// The oldest segment, by the first sequence number it was created for:
    /// every record below it has been released.
    pub fn first_segment(&self) -> Option<u64> {
        self.segments.keys().next().copied()
    }

    /// The sequence number the next append gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn sync_dir(&self) -> io::Result<()> {
        if self.options.fsync {
            File::open(&self.dir)?.sync_all()?;
        }
        Ok(())
    }
}

/// Writes a record at `offset` (the end of the file) with positioned
/// writes, so that readers of the same file never move its cursor.
fn write_at_end(file: &File, offset: u64, head: &[u8], payload: &[u8]) -> io::Result<()> {
    file.write_all_at(head, offset)?;
    file.write_all_at(payload, offset + head.len() as u64)
}

/// Takes the directory's lock file, waiting up to `timeout` for another
/// process to let go of it.
fn lock(dir: &Path, timeout: Duration) -> io::Result<File> {
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("LOCK"))?;
    let deadline = Instant::now() + timeout;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(io::ErrorKind::WouldBlock, format!("{} is in use by another process (its LOCK is held)", dir.display())))
            }
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}
