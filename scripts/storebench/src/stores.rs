//! The four candidates behind one FIFO queue interface: push a payload,
//! read the oldest once, delete it after the ack. Each is configured as
//! the persistent queue would use it, with `fsync` on meaning "the push is
//! on disk when it returns" and off meaning "it survives the process being
//! killed" where the store can promise that (redb cannot: see `Redb`).

use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use redb::ReadableDatabase;
use solder_components::durable::{Location, LogOptions, SegmentLog};

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

pub trait Queue {
    fn push(&mut self, payload: &[u8]) -> Result<()>;
    /// Reads the oldest payload, then deletes it: the read for the export
    /// and the release after its ack.
    fn pop(&mut self) -> Result<Option<Vec<u8>>>;
    fn len(&self) -> usize;
    /// Reads every pending payload without removing it (a WAL replay);
    /// returns the bytes read.
    fn read_all(&mut self) -> Result<u64>;
    /// Makes what was pushed with `fsync` off durable.
    fn sync(&mut self) -> Result<()>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Segments,
    Redb,
    Fjall,
    Sqlite,
}

impl Store {
    pub const ALL: [Store; 4] = [Store::Segments, Store::Redb, Store::Fjall, Store::Sqlite];

    pub fn name(self) -> &'static str {
        match self {
            Store::Segments => "SegmentLog",
            Store::Redb => "redb",
            Store::Fjall => "fjall",
            Store::Sqlite => "sqlite",
        }
    }

    pub fn parse(name: &str) -> Option<Store> {
        Store::ALL.into_iter().find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// Opens (creating) the queue in `dir` and finds what is pending: the
    /// whole of recovery up to "ready to export".
    pub fn open(self, dir: &Path, fsync: bool) -> Result<Box<dyn Queue>> {
        std::fs::create_dir_all(dir)?;
        Ok(match self {
            Store::Segments => Box::new(Segments::open(dir, fsync)?),
            Store::Redb => Box::new(Redb::open(dir, fsync)?),
            Store::Fjall => Box::new(Fjall::open(dir, fsync)?),
            Store::Sqlite => Box::new(Sqlite::open(dir, fsync)?),
        })
    }
}

struct Segments {
    log: SegmentLog,
    pending: VecDeque<(u64, Location)>,
}

impl Segments {
    fn open(dir: &Path, fsync: bool) -> Result<Segments> {
        let mut pending = VecDeque::new();
        let options = LogOptions { fsync, ..LogOptions::default() };
        let (log, _damage) = SegmentLog::open(dir, options, Duration::from_secs(1), |r| pending.push_back((r.seq, r.at)))?;
        Ok(Segments { log, pending })
    }
}

impl Queue for Segments {
    fn push(&mut self, payload: &[u8]) -> Result<()> {
        let (seq, at) = self.log.append(0, payload)?;
        self.pending.push_back((seq, at));
        Ok(())
    }

    fn pop(&mut self) -> Result<Option<Vec<u8>>> {
        let Some((seq, at)) = self.pending.pop_front() else { return Ok(None) };
        let payload = self.log.read(&at)?;
        self.log.release_below(seq + 1)?;
        Ok(Some(payload))
    }

    fn len(&self) -> usize {
        self.pending.len()
    }

    fn read_all(&mut self) -> Result<u64> {
        let mut bytes = 0;
        for (_, at) in &self.pending {
            bytes += self.log.read(at)?.len() as u64;
        }
        Ok(bytes)
    }

    fn sync(&mut self) -> Result<()> {
        // Appends are in the page cache when `append` returns.
        Ok(())
    }
}

const QUEUE: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("queue");

/// One transaction per push and per delete. `Durability::None` is redb's
/// "fsync off", but a non-durable commit is only kept by a later durable
/// one: after a kill, everything since the last durable commit is gone.
struct Redb {
    db: redb::Database,
    durability: redb::Durability,
    next: u64,
    len: usize,
}

impl Redb {
    fn open(dir: &Path, fsync: bool) -> Result<Redb> {
        use redb::{ReadableTable, ReadableTableMetadata};
        let db = redb::Database::create(dir.join("queue.redb"))?;
        let durability = if fsync { redb::Durability::Immediate } else { redb::Durability::None };
        let (mut next, mut len) = (1, 0);
        let tx = db.begin_read()?;
        if let Ok(table) = tx.open_table(QUEUE) {
            len = table.len()? as usize;
            if let Some((k, _)) = table.last()? {
                next = k.value() + 1;
            }
        }
        drop(tx);
        Ok(Redb { db, durability, next, len })
    }

    fn commit(&self, change: impl FnOnce(&mut redb::Table<u64, &[u8]>) -> Result<()>) -> Result<()> {
        let mut tx = self.db.begin_write()?;
        tx.set_durability(self.durability)?;
        change(&mut tx.open_table(QUEUE)?)?;
        tx.commit()?;
        Ok(())
    }
}

impl Queue for Redb {
    fn push(&mut self, payload: &[u8]) -> Result<()> {
        let seq = self.next;
        self.commit(|t| {
            t.insert(seq, payload)?;
            Ok(())
        })?;
        self.next += 1;
        self.len += 1;
        Ok(())
    }

    fn pop(&mut self) -> Result<Option<Vec<u8>>> {
        use redb::ReadableTable;
        let tx = self.db.begin_read()?;
        let Some((seq, payload)) = tx.open_table(QUEUE)?.first()?.map(|(k, v)| (k.value(), v.value().to_vec())) else { return Ok(None) };
        drop(tx);
        self.commit(|t| {
            t.remove(seq)?;
            Ok(())
        })?;
        self.len -= 1;
        Ok(Some(payload))
    }

    fn len(&self) -> usize {
        self.len
    }

    fn read_all(&mut self) -> Result<u64> {
        use redb::ReadableTable;
        let tx = self.db.begin_read()?;
        let mut bytes = 0;
        for entry in tx.open_table(QUEUE)?.iter()? {
            bytes += entry?.1.value().len() as u64;
        }
        Ok(bytes)
    }

    fn sync(&mut self) -> Result<()> {
        let mut tx = self.db.begin_write()?;
        tx.set_durability(redb::Durability::Immediate)?;
        tx.commit()?;
        Ok(())
    }
}

/// An LSM tree with key-value separation, so that payloads go to blob
/// files instead of being rewritten by every compaction.
struct Fjall {
    db: fjall::Database,
    queue: fjall::Keyspace,
    fsync: bool,
    next: u64,
    len: usize,
}

impl Fjall {
    fn open(dir: &Path, fsync: bool) -> Result<Fjall> {
        let db = fjall::Database::builder(dir).open()?;
        let options = || fjall::KeyspaceCreateOptions::default().with_kv_separation(Some(fjall::KvSeparationOptions::default()));
        let queue = db.keyspace("queue", options)?;
        let len = queue.len()?;
        let next = match queue.last_key_value() {
            Some(kv) => u64::from_be_bytes(kv.key()?.as_ref().try_into()?) + 1,
            None => 1,
        };
        Ok(Fjall { db, queue, fsync, next, len })
    }

    fn persist(&self) -> Result<()> {
        if self.fsync {
            self.db.persist(fjall::PersistMode::SyncData)?;
        }
        Ok(())
    }
}

impl Queue for Fjall {
    fn push(&mut self, payload: &[u8]) -> Result<()> {
        self.queue.insert(self.next.to_be_bytes(), payload)?;
        self.persist()?;
        self.next += 1;
        self.len += 1;
        Ok(())
    }

    fn pop(&mut self) -> Result<Option<Vec<u8>>> {
        let Some(kv) = self.queue.first_key_value() else { return Ok(None) };
        let (key, payload) = kv.into_inner()?;
        self.queue.remove(key)?;
        self.persist()?;
        self.len -= 1;
        Ok(Some(payload.to_vec()))
    }

    fn len(&self) -> usize {
        self.len
    }

    fn read_all(&mut self) -> Result<u64> {
        let mut bytes = 0;
        for kv in self.queue.iter() {
            bytes += kv.value()?.len() as u64;
        }
        Ok(bytes)
    }

    fn sync(&mut self) -> Result<()> {
        self.db.persist(fjall::PersistMode::SyncData)?;
        Ok(())
    }
}

/// WAL mode, one autocommit statement per push and per delete;
/// `synchronous=FULL` with fsync, `OFF` without (a commit is then written
/// to the WAL file but not synced).
struct Sqlite {
    conn: rusqlite::Connection,
    len: usize,
}

impl Sqlite {
    fn open(dir: &Path, fsync: bool) -> Result<Sqlite> {
        let conn = rusqlite::Connection::open(dir.join("queue.db"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", if fsync { "FULL" } else { "OFF" })?;
        conn.execute("CREATE TABLE IF NOT EXISTS queue (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL)", ())?;
        let len: i64 = conn.query_row("SELECT count(*) FROM queue", (), |r| r.get(0))?;
        Ok(Sqlite { conn, len: len as usize })
    }
}

impl Queue for Sqlite {
    fn push(&mut self, payload: &[u8]) -> Result<()> {
        // The rowid alias numbers the queue: max + 1, so FIFO by `seq`.
        self.conn.prepare_cached("INSERT INTO queue (payload) VALUES (?1)")?.execute([payload])?;
        self.len += 1;
        Ok(())
    }

    fn pop(&mut self) -> Result<Option<Vec<u8>>> {
        use rusqlite::OptionalExtension;
        let oldest = self
            .conn
            .prepare_cached("SELECT seq, payload FROM queue ORDER BY seq LIMIT 1")?
            .query_row((), |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .optional()?;
        let Some((seq, payload)) = oldest else { return Ok(None) };
        self.conn.prepare_cached("DELETE FROM queue WHERE seq = ?1")?.execute([seq])?;
        self.len -= 1;
        Ok(Some(payload))
    }

    fn len(&self) -> usize {
        self.len
    }

    fn read_all(&mut self) -> Result<u64> {
        let mut stmt = self.conn.prepare("SELECT payload FROM queue ORDER BY seq")?;
        let mut rows = stmt.query(())?;
        let mut bytes = 0;
        while let Some(row) = rows.next()? {
            bytes += row.get_ref(0)?.as_blob()?.len() as u64;
        }
        Ok(bytes)
    }

    fn sync(&mut self) -> Result<()> {
        // With synchronous=OFF a commit is already in the WAL file.
        Ok(())
    }
}
