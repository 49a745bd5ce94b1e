//! `local.file`: exports the contents of a file and keeps them current.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use serde::Deserialize;
use solder_syntax::value::Secret;
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use crate::component::{self, ArgumentError, Component, Health, HealthCell, HealthState, Options, Registration, RunFuture, Signals, Stability};
use crate::filewatch::FileWatch;
use crate::types::Duration;

pub const REGISTRATION: Registration = Registration::of::<LocalFile>("local.file", Stability::GenerallyAvailable, Signals::NONE);

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// Path of the file to read. Required.
    pub filename: String,
    /// How changes are noticed: `"fsnotify"` (default) watches the file's
    /// directory, which also catches atomic renames and Kubernetes
    /// `..data` symlink swaps; `"poll"` re-reads every `poll_frequency`.
    #[serde(default)]
    pub detector: Detector,
    /// How often to re-read the file. Default `"1m"`. With `fsnotify` this
    /// is a safety net for changes the watcher cannot see.
    #[serde(default = "default_poll")]
    pub poll_frequency: Duration,
    /// Export the contents as a secret, so they never print. Default false.
    #[serde(default)]
    pub is_secret: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detector {
    #[default]
    Fsnotify,
    Poll,
}

fn default_poll() -> Duration {
    Duration(StdDuration::from_secs(60))
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        if self.filename.is_empty() {
            return Err(ArgumentError::new("filename", "filename must not be empty"));
        }
        if self.poll_frequency.0.is_zero() {
            return Err(ArgumentError::new("poll_frequency", "poll_frequency must be greater than 0"));
        }
        Ok(())
    }
}

/// `content`: the file's contents, a secret when `is_secret` is set.
pub struct Exports {
    pub content: Value,
}

impl component::Exports for Exports {
    const NAMES: &'static [&'static str] = &["content"];

    fn to_value(&self) -> Value {
        Value::object([("content", self.content.clone())])
    }
}

pub struct LocalFile {
    opts: Options,
    args: Mutex<Arguments>,
    content: Mutex<Option<String>>,
    health: HealthCell,
    /// Wakes the run loop when the arguments change.
    changed: tokio::sync::Notify,
}

impl LocalFile {
    fn args(&self) -> Arguments {
        self.args.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Re-reads the file; tells the controller when the contents changed.
    fn refresh(&self) {
        let path = PathBuf::from(self.args().filename);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                self.health.set(HealthState::Healthy, format!("read {} bytes", text.len()));
                let mut content = self.content.lock().unwrap_or_else(|p| p.into_inner());
                if content.as_deref() != Some(text.as_str()) {
                    *content = Some(text);
                    drop(content);
                    (self.opts.on_exports_changed)();
                }
            }
            Err(e) => self.health.set(HealthState::Unhealthy, format!("cannot read {}: {e}", path.display())),
        }
    }
}

impl Component for LocalFile {
    type Arguments = Arguments;
    type Exports = Exports;

    fn build(opts: Options, args: Arguments) -> Result<LocalFile, ArgumentError> {
        let c = LocalFile { opts, args: Mutex::new(args), content: Mutex::new(None), health: HealthCell::default(), changed: tokio::sync::Notify::new() };
        // Read once now so the first evaluation of dependants sees the contents.
        c.refresh();
        Ok(c)
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
            loop {
                let args = self.args();
                let watch = match args.detector {
                    Detector::Fsnotify => FileWatch::start(Path::new(&args.filename), tx.clone()).ok(),
                    Detector::Poll => None,
                };
                // The file may have changed between the last read and the
                // watch starting; nothing would report that change.
                self.refresh();
                let mut tick = tokio::time::interval(args.poll_frequency.0.max(StdDuration::from_millis(10)));
                tick.tick().await;
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = self.changed.notified() => break,
                        _ = tick.tick() => self.refresh(),
                        Some(()) = rx.recv() => {
                            self.refresh();
                            // A link may point elsewhere now.
                            if let Some(w) = &watch {
                                w.refollow();
                            }
                        }
                    }
                }
                self.refresh();
            }
        })
    }

    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        *self.args.lock().unwrap_or_else(|p| p.into_inner()) = args;
        self.refresh();
        self.changed.notify_one();
        Ok(())
    }

    fn exports(&self) -> Exports {
        let content = self.content.lock().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_default();
        let content = if self.args().is_secret { Value::Secret(Secret::new(content)) } else { Value::String(content) };
        Exports { content }
    }

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        let args = self.args();
        Value::object([("filename", Value::from(args.filename)), ("detector", Value::from(format!("{:?}", args.detector).to_lowercase()))])
    }
}
