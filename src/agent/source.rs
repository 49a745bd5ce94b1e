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
                let refuses_bypass = conversion.refuses_bypass();
                let (errors, others): (Vec<Diagnostic>, Vec<Diagnostic>) = conversion.diagnostics.into_iter().partition(Diagnostic::is_error);
                if !errors.is_empty() && (!bypass_errors || refuses_bypass) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "receivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  debug:\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n";

    fn source(yaml: &str, bypass: bool) -> (ConfigSource, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("collector.yaml");
        std::fs::write(&path, yaml).unwrap();
        (ConfigSource::new(path, ConfigFormat::Otelcol, bypass), dir)
    }

    #[test]
    fn a_collector_config_reads_as_its_alloy_conversion() {
        let (src, _dir) = source(GOOD, false);
        let files = src.read().unwrap();
        assert_eq!(files.len(), 1);
        assert!(files[0].name.ends_with("collector.yaml (converted to Alloy)"), "{}", files[0].name);
        assert!(files[0].text.contains("otelcol.exporter.debug \"default\""), "{}", files[0].text);
        assert!(src.path().is_some_and(|p| p.ends_with("collector.yaml")), "the YAML is what is watched");
    }

    #[test]
    fn conversion_errors_are_one_diagnostic_pointing_into_the_yaml() {
        let broken = GOOD.replace("  debug:\n", "  debug:\n    bogus: 1\n  zipkin:\n").replace("[debug]", "[debug, zipkin]");
        let (src, _dir) = source(&broken, false);
        let err = src.read().unwrap_err();
        assert!(err.message.ends_with("(and 1 more conversion error)"), "{}", err.message);
        assert_eq!(err.labels.len(), 1);
        assert!(err.location().is_some_and(|l| l.contains("collector.yaml:")), "{err}");

        let (bypassed, _dir) = source(&broken, true);
        let files = bypassed.read().unwrap();
        assert!(!files[0].text.contains("zipkin"), "{}", files[0].text);
    }

    /// Bypassing errors never runs a receiver without the auth it asked
    /// for: that error stops the load whatever the flag says.
    #[test]
    fn a_receiver_auth_that_cannot_be_converted_is_not_bypassed() {
        let open = GOOD
            .replace("      grpc:\n", "      grpc:\n        auth:\n          authenticator: oidc\n")
            .replace("exporters:\n", "extensions:\n  oidc:\n    issuer_url: https://idp.example\nexporters:\n");
        let (src, _dir) = source(&open, true);
        let err = src.read().unwrap_err();
        assert!(err.message.contains("oidc"), "{err}");
        let (fine, _dir) = source(&GOOD.replace("  debug:\n", "  debug:\n    bogus: 1\n"), true);
        assert!(fine.read().is_ok(), "other errors are still bypassed");
    }
}
