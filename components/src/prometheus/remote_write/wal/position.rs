//! Where each endpoint is in the WAL, kept in a small file per endpoint
//! so that a restart resumes where the last one stopped, and sends what it
//! had not sent, instead of starting from the WAL's end as Prometheus'
//! and Alloy's watchers do.
//!
//! A file is replaced whole (written beside, then renamed over), so a
//! crash leaves the old position or the new one, never half of each. A
//! position that is behind only costs duplicates of what was sent since;
//! one that is ahead would lose samples, which is why it is saved only
//! after the samples before it are done.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::super::config::fnv1a;

/// How far an endpoint is: every sample before sample `offset` of record
/// `seq` is done (sent, or counted as failed or dropped); records with a
/// lower sequence number are done whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub seq: u64,
    pub offset: u32,
}

impl Position {
    pub fn at(seq: u64) -> Position {
        Position { seq, offset: 0 }
    }
}

/// The directory of position files, one per endpoint key.
pub struct Positions {
    dir: PathBuf,
    fsync: bool,
}

const SUFFIX: &str = ".position";

impl Positions {
    pub fn new(wal_dir: &Path, fsync: bool) -> Positions {
        Positions { dir: wal_dir.join("positions"), fsync }
    }

    /// Named after a hash of the key, which may be a URL; the key itself is
    /// in the file.
    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{:016x}{SUFFIX}", fnv1a(key)))
    }

    /// The endpoint's saved position: `Ok(None)` when it has none (a new
    /// endpoint), an error when the file is there but cannot be read.
    pub fn load(&self, key: &str) -> Result<Option<Position>, String> {
        let path = self.path(key);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        match parse(&text) {
            Some((pos, saved_key)) if saved_key == key => Ok(Some(pos)),
            Some((_, other)) => Err(format!("{}: holds the position of endpoint {other:?}, not {key:?}", path.display())),
            None => Err(format!("{}: not a position file", path.display())),
        }
    }

    pub fn save(&self, key: &str, pos: Position) -> io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let path = self.path(key);
        let tmp = path.with_extension("tmp");
        let mut file = fs::File::create(&tmp)?;
        file.write_all(format!("{} {}\n{key}\n", pos.seq, pos.offset).as_bytes())?;
        if self.fsync {
            file.sync_data()?;
        }
        drop(file);
        fs::rename(&tmp, &path)
    }

    /// Forgets an endpoint, so that it no longer holds the WAL back.
    pub fn remove(&self, key: &str) -> io::Result<()> {
        match fs::remove_file(self.path(key)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Removes the files of endpoints other than `keep` (removed from the
    /// config while the agent was down), and any unreadable ones; returns
    /// what was removed, for the log.
    pub fn remove_others(&self, keep: &[String]) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.dir) else { return Vec::new() };
        let mut removed = Vec::new();
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let key = fs::read_to_string(&path).ok().and_then(|t| parse(&t)).map(|(_, k)| k);
            let wanted = key.as_ref().is_some_and(|k| keep.contains(k) && self.path(k) == path);
            if !wanted && fs::remove_file(&path).is_ok() {
                removed.push(key.unwrap_or_else(|| path.display().to_string()));
            }
        }
        removed
    }
}

fn parse(text: &str) -> Option<(Position, String)> {
    let (first, key) = text.split_once('\n')?;
    let (seq, offset) = first.split_once(' ')?;
    let pos = Position { seq: seq.parse().ok()?, offset: offset.parse().ok()? };
    Some((pos, key.strip_suffix('\n')?.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_loaded_and_removed_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = Positions::new(dir.path(), false);
        assert_eq!(p.load("http://a/push"), Ok(None));
        p.save("http://a/push", Position { seq: 7, offset: 3 }).unwrap();
        p.save("b", Position::at(9)).unwrap();
        p.save("b", Position::at(10)).unwrap();
        assert_eq!(p.load("http://a/push"), Ok(Some(Position { seq: 7, offset: 3 })));
        assert_eq!(p.load("b"), Ok(Some(Position::at(10))));
        assert_eq!(p.remove_others(&["b".to_string()]), vec!["http://a/push".to_string()]);
        assert_eq!(p.load("http://a/push"), Ok(None));
        p.remove("b").unwrap();
        p.remove("b").unwrap();
        assert_eq!(p.load("b"), Ok(None));
    }

    #[test]
    fn an_unreadable_file_is_an_error_not_a_fresh_start() {
        let dir = tempfile::tempdir().unwrap();
        let p = Positions::new(dir.path(), false);
        p.save("a", Position::at(1)).unwrap();
        fs::write(p.path("a"), "garbage").unwrap();
        assert!(p.load("a").unwrap_err().contains("not a position file"));
    }
}
