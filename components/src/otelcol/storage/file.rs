//! `otelcol.storage.file`: a directory where exporters keep their sending
//! queues, so that what was acknowledged upstream survives a crash, an
//! OOM kill or a rollout.
//!
//! The Collector's extension is a bbolt key-value file per client; Solder
//! gives each client (each exporter) a [`SegmentLog`] of its own in a
//! subdirectory named after the client's component ID. Why a segment log
//! and not an embedded database is in `docs/storage.md`.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use solder_syntax::value::Capsule;
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use crate::component::{self, ArgumentError, Component, Health, HealthCell, HealthState, Options, Registration, RunFuture, Signals, Stability};
use crate::durable::{Damage, LogOptions, Recovered, SegmentLog};
use crate::otelcol::auth::{AuthExports, HANDLER_CAPSULE};
use crate::types::Duration;

pub const REGISTRATION: Registration = Registration::of::<FileStorage>("otelcol.storage.file", Stability::PublicPreview, Signals::NONE);

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// Where the data goes. Default: the component's own directory under
    /// `--storage.path` (`<storage.path>/otelcol.storage.file.<label>`).
    #[serde(default)]
    pub directory: String,
    /// How long opening a client's data waits for another process (or a
    /// component being replaced) to let go of it. Default `"1s"`.
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// `fsync` after every write: what was acknowledged then survives the
    /// machine losing power, not only the process dying. Default false.
    #[serde(default)]
    pub fsync: bool,
    /// Create `directory` when it does not exist. Default true.
    #[serde(default = "yes")]
    pub create_directory: bool,
    /// The octal mode of a directory created. Default `"0750"`.
    #[serde(default = "default_permissions")]
    pub directory_permissions: String,
    #[serde(default)]
    pub compaction: Compaction,
}

/// `compaction { ... }`. A segment log gives space back a whole segment
/// at a time as soon as everything in it is delivered, so it needs no
/// online compaction; `on_start` rewrites what survived a restart into
/// fresh segments, and the other fields are accepted for compatibility.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compaction {
    /// Rewrite the data that survived a restart into new segments, giving
    /// back the space of what was already delivered. Default false.
    #[serde(default)]
    pub on_start: bool,
    /// Accepted; see above. Default false.
    #[serde(default)]
    pub on_rebound: bool,
    /// Accepted for compatibility: compaction writes into the data
    /// directory itself.
    #[serde(default)]
    pub directory: String,
    #[serde(default = "default_transaction")]
    pub max_transaction_size: i64,
    #[serde(default = "default_needed")]
    pub rebound_needed_threshold_mib: i64,
    #[serde(default = "default_trigger")]
    pub rebound_trigger_threshold_mib: i64,
    #[serde(default = "default_check_interval")]
    pub check_interval: Duration,
    #[serde(default)]
    pub cleanup_on_start: bool,
}

impl Default for Compaction {
    fn default() -> Compaction {
        Compaction {
            on_start: false,
            on_rebound: false,
            directory: String::new(),
            max_transaction_size: default_transaction(),
            rebound_needed_threshold_mib: default_needed(),
            rebound_trigger_threshold_mib: default_trigger(),
            check_interval: default_check_interval(),
            cleanup_on_start: false,
        }
    }
}

fn default_timeout() -> Duration {
    Duration(std::time::Duration::from_secs(1))
}

fn yes() -> bool {
    true
}

fn default_permissions() -> String {
    "0750".into()
}

fn default_transaction() -> i64 {
    65536
}

fn default_needed() -> i64 {
    100
}

fn default_trigger() -> i64 {
    10
}

fn default_check_interval() -> Duration {
    Duration(std::time::Duration::from_secs(5))
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        permissions(&self.directory_permissions)?;
        let c = &self.compaction;
        if c.max_transaction_size < 0 {
            return Err(ArgumentError::new("compaction", "max_transaction_size must be greater than or equal to 0"));
        }
        if c.rebound_needed_threshold_mib < 0 || c.rebound_trigger_threshold_mib < 0 {
            return Err(ArgumentError::new("compaction", "rebound thresholds must be greater than or equal to 0"));
        }
        if c.on_rebound && c.check_interval.0.is_zero() {
            return Err(ArgumentError::new("compaction", "check_interval must be greater than 0 when on_rebound is set"));
        }
        Ok(())
    }
}

fn permissions(text: &str) -> Result<u32, ArgumentError> {
    u32::from_str_radix(text, 8)
        .ok()
        .filter(|m| *m <= 0o7777)
        .ok_or_else(|| ArgumentError::new("directory_permissions", format!("{text:?} is not an octal file mode such as \"0750\"")))
}

/// The value inside the `handler` capsule: where a client's log lives,
/// and how it is written. `fsync` changes reach logs already open.
#[derive(Clone)]
pub struct StorageHandler {
    inner: Arc<Shared>,
}

struct Shared {
    directory: PathBuf,
    timeout: std::time::Duration,
    fsync: AtomicBool,
    compact_on_start: AtomicBool,
    /// Where a log starts a new segment file.
    segment_bytes: u64,
    /// With `create_directory`, the mode to create `directory` with.
    create: Option<u32>,
    /// Clients opened through this handler, for debug info.
    clients: Mutex<Vec<String>>,
}

/// A client's log, freshly opened.
pub struct Opened {
    pub log: SegmentLog,
    pub damage: Vec<Damage>,
    /// Rewrite what survived into new segments (`compaction.on_start`).
    pub compact: bool,
}

impl StorageHandler {
    /// A handler writing under `directory`, which must exist.
    pub fn new(directory: PathBuf, timeout: std::time::Duration, fsync: bool) -> StorageHandler {
        StorageHandler {
            inner: Arc::new(Shared {
                directory,
                timeout,
                fsync: AtomicBool::new(fsync),
                compact_on_start: AtomicBool::new(false),
                segment_bytes: LogOptions::default().segment_bytes,
                create: Some(0o750),
                clients: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Opens the log of `client` (a component ID), calling `each` for
    /// every record that survived.
    pub fn open(&self, client: &str, each: impl FnMut(Recovered<'_>)) -> Result<Opened, String> {
        let base = &self.inner.directory;
        match self.inner.create {
            Some(mode) => std::fs::DirBuilder::new().recursive(true).mode(mode).create(base).map_err(|e| format!("cannot create {}: {e}", base.display()))?,
            None if !base.is_dir() => return Err(format!("directory must exist: {} (set create_directory = true to create it)", base.display())),
            None => {}
        }
        let dir = base.join(client);
        let options = LogOptions { fsync: self.fsync(), segment_bytes: self.inner.segment_bytes };
        let (log, damage) = SegmentLog::open(&dir, options, self.inner.timeout, each).map_err(|e| format!("cannot open {}: {e}", dir.display()))?;
        let mut clients = self.inner.clients.lock().unwrap_or_else(|p| p.into_inner());
        if !clients.iter().any(|c| c == client) {
            clients.push(client.to_string());
        }
        Ok(Opened { log, damage, compact: self.inner.compact_on_start.load(Ordering::Relaxed) })
    }

    /// Tests: a handler whose logs roll segments at `bytes`.
    #[cfg(test)]
    pub(crate) fn with_segment_bytes(mut self, bytes: u64) -> StorageHandler {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.segment_bytes = bytes;
        }
        self
    }

    pub fn segment_bytes(&self) -> u64 {
        self.inner.segment_bytes
    }

    pub fn fsync(&self) -> bool {
        self.inner.fsync.load(Ordering::Relaxed)
    }

    pub fn directory(&self) -> &Path {
        &self.inner.directory
    }
}

pub struct FileStorage {
    data_path: PathBuf,
    state: Mutex<(Arguments, StorageHandler, Capsule)>,
    on_exports_changed: Arc<dyn Fn() + Send + Sync>,
    health: HealthCell,
}

/// The handler for `args`. Nothing is created here: `build` also runs
/// for `solder validate` and for reload plans that may be dropped, so the
/// directory is made (or checked) when an exporter first opens its queue.
fn prepare(data_path: &Path, args: &Arguments) -> Result<StorageHandler, ArgumentError> {
    let directory = if args.directory.is_empty() { data_path.to_path_buf() } else { PathBuf::from(&args.directory) };
    let mut handler = StorageHandler::new(directory, args.timeout.0, args.fsync);
    let create = args.create_directory.then(|| permissions(&args.directory_permissions)).transpose()?;
    if let Some(inner) = Arc::get_mut(&mut handler.inner) {
        inner.create = create;
    }
    handler.inner.compact_on_start.store(args.compaction.on_start, Ordering::Relaxed);
    Ok(handler)
}

impl Component for FileStorage {
    type Arguments = Arguments;
    type Exports = AuthExports;

    fn build(opts: Options, args: Arguments) -> Result<FileStorage, ArgumentError> {
        let handler = prepare(&opts.data_path, &args)?;
        let capsule = Capsule::new(HANDLER_CAPSULE, handler.clone());
        Ok(FileStorage {
            data_path: opts.data_path,
            state: Mutex::new((args, handler, capsule)),
            on_exports_changed: opts.on_exports_changed,
            health: HealthCell::default(),
        })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.health.set(HealthState::Healthy, "ready");
            shutdown.cancelled().await;
        })
    }

    /// A new directory or timeout is a new handler: the exporters that use
    /// it move their queues there. `fsync` and `compaction` apply in place.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (old, handler, _) = &*state;
        if old.directory == args.directory
            && old.timeout == args.timeout
            && old.create_directory == args.create_directory
            && old.directory_permissions == args.directory_permissions
        {
            handler.inner.fsync.store(args.fsync, Ordering::Relaxed);
            handler.inner.compact_on_start.store(args.compaction.on_start, Ordering::Relaxed);
            state.0 = args;
            return Ok(());
        }
        let handler = prepare(&self.data_path, &args)?;
        let capsule = Capsule::new(HANDLER_CAPSULE, handler.clone());
        *state = (args, handler, capsule);
        drop(state);
        (self.on_exports_changed)();
        Ok(())
    }

    fn exports(&self) -> AuthExports {
        AuthExports { handler: self.state.lock().unwrap_or_else(|p| p.into_inner()).2.clone() }
    }

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let handler = &state.1;
        let clients = handler.inner.clients.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|c| Value::from(c.as_str())).collect();
        Value::object([
            ("directory", Value::from(handler.directory().display().to_string())),
            ("fsync", Value::Bool(handler.fsync())),
            ("clients", Value::Array(clients)),
        ])
    }
}
