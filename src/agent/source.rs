//! Where the config comes from: the embedded default, one file, a
//! directory of `.alloy` files, or an OpenTelemetry Collector YAML file
//! translated into Alloy each time it is read.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use solder_syntax::render::{render_all, Style};
use solder_syntax::{Diagnostic, SourceFile};

/// The language a config file is written in (`--config.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ConfigFormat {
    /// The Alloy configuration language.
    #[default]
    Alloy,
    /// OpenTelemetry Collector YAML, converted as `solder convert` does.
    Otelcol,
}

#[derive(Debug, Clone)]
pub enum ConfigSource {
    Embedded {
        name: &'static str,
        text: &'static str,
    },
    Path(PathBuf),
    /// A collector config. Every read converts it again, so hot reload
    /// sees edits to the YAML.
    Otelcol {
        path: PathBuf,
        /// Run what converts and leave the rest out, instead of failing.
        bypass_errors: bool,
        /// The YAML whose warnings were last logged, so the watcher's
        /// reads do not repeat them.
        warned: Arc<Mutex<String>>,
    },
}

impl ConfigSource {
    pub fn new(path: PathBuf, format: ConfigFormat, bypass_errors: bool) -> ConfigSource {
        match format {
            ConfigFormat::Alloy => ConfigSource::Path(path),
            ConfigFormat::Otelcol => ConfigSource::Otelcol { path, bypass_errors, warned: Arc::default() },
        }
    }

    pub fn read(&self) -> Result<Vec<Arc<SourceFile>>, Diagnostic> {
        match self {
            ConfigSource::Embedded { name, text } => Ok(vec![SourceFile::new(*name, *text)]),
            ConfigSource::Path(path) => crate::source::config_files(path)?.iter().map(|f| crate::source::read(f)).collect(),
            ConfigSource::Otelcol { path, bypass_errors, warned } => {
                let yaml = crate::source::read(path)?;
                let conversion = crate::convert::otelcol(&yaml);
                let (errors, others): (Vec<Diagnostic>, Vec<Diagnostic>) = conversion.diagnostics.into_iter().partition(Diagnostic::is_error);
                if !errors.is_empty() && !bypass_errors {
                    return Err(combine(errors));
                }
                let mut last = warned.lock().unwrap_or_else(|p| p.into_inner());
                if *last != yaml.text {
                    for d in errors.iter().chain(&others) {
                        tracing::warn!("converting {}:\n{}", path.display(), render_all(std::slice::from_ref(d), Style::Plain));
                    }
                    last.clone_from(&yaml.text);
                }
                Ok(vec![SourceFile::new(format!("{} (converted to Alloy)", path.display()), conversion.alloy)])
            }
        }
    }

    /// The path to watch, if any.
    pub fn path(&self) -> Option<&PathBuf> {
        match self {
            ConfigSource::Embedded { .. } => None,
            ConfigSource::Path(p) | ConfigSource::Otelcol { path: p, .. } => Some(p),
        }
    }
}

/// One diagnostic for a failed conversion, as a reload reports one: the
/// first error, with the others as labels in the same YAML excerpt.
fn combine(mut errors: Vec<Diagnostic>) -> Diagnostic {
    let mut first = errors.remove(0);
    let more = errors.len();
    for e in errors {
        if e.source == first.source {
            first = first.with_label(e.span, e.message);
        }
    }
    if more > 0 {
        first.message = format!("{} (and {more} more conversion error{})", first.message, if more == 1 { "" } else { "s" });
    }
    first
}
