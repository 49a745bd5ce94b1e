//! The running agent: one config source, the component controller, and
//! the reload story around them (file watching, SIGHUP, HTTP, status and
//! metrics).

pub mod http;
pub mod httpauth;
pub mod livedebugging;
pub mod logging;
pub mod metrics;
pub mod modules;
pub mod origin;
pub mod ready;
pub mod source;
#[cfg(test)]
mod testing;
pub mod ui;
pub mod watch;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use solder_syntax::render::{render_all, Style};
use solder_syntax::Diagnostic;

use crate::runtime::{ApplyReport, Controller};
pub use source::ConfigSource;

/// The outcome of the most recent load or reload attempt.
#[derive(Debug, Clone)]
pub struct ReloadStatus {
    pub at: SystemTime,
    /// What asked for it: `startup`, `file`, `sighup`, `http`.
    pub trigger: String,
    pub success: bool,
    /// Rendered diagnostics of a failed attempt, as the log shows them.
    pub error: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// SHA-256 of the config that was tried.
    pub hash: String,
    pub report: Option<ApplyReport>,
}

/// What is running: the config last applied successfully.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub at: SystemTime,
    pub hash: String,
    /// (file name, text) of every source file, secret literals masked.
    pub files: Vec<(String, String)>,
    /// Whether any secret literal was masked in `files`.
    pub masked: bool,
}

pub struct Agent {
    pub controller: Arc<Controller>,
    pub source: ConfigSource,
    pub logging: logging::LogHandle,
    /// The `http` block's credentials, for the HTTP server's guard.
    pub http_auth: httpauth::HttpAuth,
    ready: AtomicBool,
    /// Whether the wait for the first load's components to start has
    /// begun ([`ready`]).
    starting: AtomicBool,
    failures: AtomicU64,
    status: Mutex<Option<ReloadStatus>>,
    loaded: Mutex<Option<LoadedConfig>>,
    /// One reload at a time, whatever triggered it.
    reloading: tokio::sync::Mutex<()>,
    /// The imported modules of the running config, watched for changes.
    modules: modules::ModuleWatch,
    /// Whether to watch imported modules (off with `--config.watch=false`).
    watch_modules: AtomicBool,
    /// This agent, for the module watches' reloads.
    me: Weak<Agent>,
    /// Whether the task that reloads when an import's arguments change
    /// has started.
    follows_imports: AtomicBool,
}

impl Agent {
    pub fn new(controller: Arc<Controller>, source: ConfigSource, logging: logging::LogHandle) -> Arc<Agent> {
        Arc::new_cyclic(|me| Agent {
            me: me.clone(),
            follows_imports: AtomicBool::new(false),
            modules: modules::ModuleWatch::default(),
            watch_modules: AtomicBool::new(true),
            controller,
            source,
            logging,
            http_auth: httpauth::HttpAuth::default(),
            ready: AtomicBool::new(false),
            starting: AtomicBool::new(false),
            failures: AtomicU64::new(0),
            status: Mutex::new(None),
            loaded: Mutex::new(None),
            reloading: tokio::sync::Mutex::new(()),
        })
    }

    /// Stops watching imported modules (`--config.watch=false`); they are
    /// read again on every reload.
    pub fn no_module_watch(&self) {
        self.watch_modules.store(false, Ordering::SeqCst);
    }

    /// Reads, checks and applies the config. On failure the running graph
    /// is unchanged; the error is logged with its rendered diagnostics,
    /// kept for the API, and counted.
    pub async fn reload(&self, trigger: &str) -> Result<ApplyReport, Vec<Diagnostic>> {
        let _one = self.reloading.lock().await;
        let files = self.source.read();
        let (hash, result) = match files {
            Err(d) => (unreadable_hash(&d), Err(vec![d])),
            Ok(files) => {
                let hash = config_hash(&files);
                let checked = self
                    .controller
                    .load(files.clone())
                    .and_then(|cfg| logging::parse(&cfg.settings).map(|log| (cfg, log)))
                    .and_then(|(cfg, log)| livedebugging::parse(&cfg.settings).map(|live| (cfg, log, live)))
                    .and_then(|(cfg, log, live)| httpauth::parse(&cfg.settings).map(|http| (cfg, log, live, http)));
                let result = match checked {
                    Err(d) => Err(d),
                    Ok((cfg, log, live, http)) => {
                        let shown: Vec<(String, String)> = cfg.files.iter().chain(&cfg.module_files).map(|f| (f.name.clone(), f.shown().to_string())).collect();
                        let masked = cfg.files.iter().chain(&cfg.module_files).any(|f| f.is_masked());
                        let imports = cfg.imports.clone();
                        let module_files = cfg.module_files.clone();
                        match self.controller.apply(cfg).await {
                            Ok(report) => {
                                self.logging.set(&log);
                                self.controller.flow().live.set_enabled(live.enabled);
                                self.http_auth.set(&http);
                                if self.watch_modules.load(Ordering::SeqCst) {
                                    self.modules.follow(&self.me, &imports, &module_files);
                                }
                                *self.loaded.lock().unwrap_or_else(|p| p.into_inner()) =
                                    Some(LoadedConfig { at: SystemTime::now(), hash: hash.clone(), files: shown, masked });
                                Ok(report)
                            }
                            Err(d) => Err(d),
                        }
                    }
                };
                (hash, result)
            }
        };
        let status = match &result {
            Ok(report) => {
                self.become_ready();
                self.follow_import_arguments();
                for d in &report.update_errors {
                    tracing::error!("component update failed:\n{}", render_all(std::slice::from_ref(d), Style::Plain));
                }
                for d in &report.warnings {
                    tracing::warn!("{}", render_all(std::slice::from_ref(d), Style::Plain));
                }
                tracing::info!(
                    trigger,
                    added = report.added.len(),
                    updated = report.updated.len(),
                    removed = report.removed.len(),
                    unchanged = report.unchanged.len(),
                    "config loaded"
                );
                ReloadStatus {
                    at: SystemTime::now(),
                    trigger: trigger.into(),
                    success: true,
                    error: None,
                    diagnostics: Vec::new(),
                    hash,
                    report: Some(report.clone()),
                }
            }
            Err(diags) => {
                self.failures.fetch_add(1, Ordering::SeqCst);
                self.controller.mark_failed_imports(diags);
                let rendered = render_all(diags, Style::Plain);
                tracing::error!(trigger, "config load failed; the running graph is unchanged\n{rendered}");
                ReloadStatus {
                    at: SystemTime::now(),
                    trigger: trigger.into(),
                    success: false,
                    error: Some(rendered),
                    diagnostics: diags.clone(),
                    hash,
                    report: None,
                }
            }
        };
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = Some(status);
        result
    }

    /// Reloads whenever an import's arguments change at run time (they
    /// read an export that moved), from the first load on.
    fn follow_import_arguments(&self) {
        if self.follows_imports.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut changes = self.controller.import_changes();
        let me = self.me.clone();
        tokio::spawn(async move {
            while changes.changed().await.is_ok() {
                let Some(agent) = me.upgrade() else { return };
                let _ = agent.reload("module").await;
            }
        });
    }

    /// Turns the agent ready once the components of its first successful
    /// load have started ([`ready`]), waiting in a task of its own so that
    /// reloads are not held up meanwhile.
    fn become_ready(&self) {
        if self.starting.swap(true, Ordering::SeqCst) {
            return;
        }
        let me = self.me.clone();
        let controller = Arc::clone(&self.controller);
        tokio::spawn(async move {
            let began = std::time::Instant::now();
            let waiting = ready::wait_for_start(&controller, ready::READY_WAIT).await;
            if !waiting.is_empty() {
                tracing::warn!(waited_s = ready::READY_WAIT.as_secs(), not_started = %waiting.join(", "), "ready, though some components have not started");
            }
            if let Some(agent) = me.upgrade() {
                agent.ready.store(true, Ordering::SeqCst);
                tracing::info!(after_ms = began.elapsed().as_millis() as u64, "ready");
            }
        });
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    pub fn load_failures(&self) -> u64 {
        self.failures.load(Ordering::SeqCst)
    }

    pub fn status(&self) -> Option<ReloadStatus> {
        self.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The status once a reload in progress has finished: its components
    /// change before its status is recorded, so a client that has seen a
    /// new component state would otherwise read the previous reload's
    /// trigger and report. A reload stuck past `patience` (a slow module
    /// fetch) is not waited for.
    pub async fn settled_status(&self, patience: std::time::Duration) -> Option<ReloadStatus> {
        let _settled = tokio::time::timeout(patience, self.reloading.lock()).await;
        self.status()
    }

    pub fn loaded(&self) -> Option<LoadedConfig> {
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// What every UI page says while the running config is older than a
    /// failed attempt to load a newer one; `None` when the last attempt
    /// succeeded.
    pub fn stale_banner(&self) -> Option<String> {
        let status = self.status().filter(|s| !s.success)?;
        let why = match status.diagnostics.first() {
            Some(d) => match &d.source {
                Some(src) => {
                    let (line, column) = src.line_col(d.span.start);
                    format!("{} ({}:{line}:{column})", d.message, src.name)
                }
                None => d.message.clone(),
            },
            None => status.error.clone().unwrap_or_default(),
        };
        let more = match status.diagnostics.len() {
            0 | 1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        let failed_at = clock(status.at);
        Some(match self.loaded() {
            Some(running) => format!("the running config is from {}; the edit at {failed_at} failed to load: {why}{more}", clock(running.at)),
            None => format!("no config is running; the load at {failed_at} failed: {why}{more}"),
        })
    }
}

/// `HH:MM:SS` in UTC.
fn clock(t: SystemTime) -> String {
    solder_components::calendar::rfc3339(t).get(11..19).unwrap_or_default().to_string()
}

/// What stands for the content of a config that could not be read (or,
/// from collector YAML, converted): a hash of why, so that the watcher
/// reloads when the reason changes and not on every event.
pub(crate) fn unreadable_hash(d: &Diagnostic) -> String {
    let digest = Sha256::digest(format!("unreadable\0{}\0{:?}", d.message, d.span).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 over every file's name and text, in load order.
fn config_hash(files: &[Arc<solder_syntax::SourceFile>]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.name.as_bytes());
        h.update([0]);
        h.update(f.text.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
