//! The `logging` block, applied live: changing `level` or `format` in the
//! config takes effect on the next reload, without a restart.

use serde::Deserialize;
use solder_syntax::Diagnostic;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, Layer, Registry};

use crate::runtime::loader::{decode_settings, Settings};

/// Alloy's `logging` block.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingArgs {
    /// `"debug"`, `"info"` (default), `"warn"` or `"error"`.
    #[serde(default)]
    pub level: Level,
    /// `"logfmt"` (default: one `key=value` line per event) or `"json"`.
    #[serde(default)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    #[default]
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Logfmt,
    Json,
}

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;
/// The subscriber the level filter sits on: the reloadable format layer.
type FormatStack = tracing_subscriber::layer::Layered<reload::Layer<BoxedLayer, Registry>, Registry>;

/// Handles to change the installed subscriber's level and format.
#[derive(Clone)]
pub struct LogHandle {
    level: Option<reload::Handle<LevelFilter, FormatStack>>,
    format: Option<reload::Handle<BoxedLayer, Registry>>,
}

fn layer(format: Format) -> BoxedLayer {
    let base = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false);
    match format {
        Format::Logfmt => Box::new(base),
        Format::Json => Box::new(base.json()),
    }
}

impl LogHandle {
    /// Installs the global subscriber (once per process) at the defaults.
    pub fn install() -> LogHandle {
        let (fmt, format) = reload::Layer::new(layer(Format::Logfmt));
        let (filter, level) = reload::Layer::new(LevelFilter::INFO);
        match tracing_subscriber::registry().with(fmt).with(filter).try_init() {
            Ok(()) => LogHandle { level: Some(level), format: Some(format) },
            Err(_) => LogHandle::detached(),
        }
    }

    /// A handle that changes nothing, for tests that share a process.
    pub fn detached() -> LogHandle {
        LogHandle { level: None, format: None }
    }

    /// Installs logging settings checked by [`parse`].
    pub fn set(&self, args: &LoggingArgs) {
        let filter = match args.level {
            Level::Debug => LevelFilter::DEBUG,
            Level::Info => LevelFilter::INFO,
            Level::Warn => LevelFilter::WARN,
            Level::Error => LevelFilter::ERROR,
        };
        if let Some(h) = &self.level {
            let _ = h.modify(|f| *f = filter);
        }
        if let Some(h) = &self.format {
            let _ = h.modify(|l| *l = layer(args.format));
        }
    }
}

/// Decodes the config's `logging` block (the defaults without one), so a
/// bad block fails the load before anything changes.
pub fn parse(settings: &Settings) -> Result<LoggingArgs, Vec<Diagnostic>> {
    Ok(decode_settings(&settings.logging)?.unwrap_or(LoggingArgs { level: Level::Info, format: Format::Logfmt }))
}
