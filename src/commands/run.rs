//! `solder run [PATH]`

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use solder_syntax::diagnostic::has_errors;
use solder_syntax::SourceFile;

use crate::{check, source};

/// The pipeline of the seeds: OTLP in, batch, to Jaeger, span metrics out
/// to Prometheus. What `solder run` runs when given no config.
pub const DEFAULT_CONFIG: &str = include_str!("../default.alloy");

#[derive(clap::Args)]
pub struct Args {
    /// A config file or a directory of .alloy files. Omit it to run the
    /// embedded default pipeline.
    path: Option<PathBuf>,
    /// Where the HTTP server (UI, API, /metrics) listens.
    #[arg(long = "server.http.listen-addr", default_value = "127.0.0.1:12345")]
    listen_addr: SocketAddr,
    /// Where components keep state that must survive restarts.
    #[arg(long = "storage.path", default_value = "data-solder")]
    storage_path: PathBuf,
}

impl Default for Args {
    fn default() -> Args {
        Args {
            path: None,
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 12345)),
            storage_path: PathBuf::from("data-solder"),
        }
    }
}

/// Loads and checks the config. The component runtime is the next piece of
/// work; until it lands, `run` stops after a successful check and says so.
pub fn run(args: Args) -> ExitCode {
    let sources = match &args.path {
        None => vec![SourceFile::new("<default config>", DEFAULT_CONFIG)],
        Some(path) => {
            let loaded = source::config_files(path).and_then(|files| files.iter().map(|f| source::read(f)).collect::<Result<Vec<_>, _>>());
            match loaded {
                Ok(sources) => sources,
                Err(d) => {
                    super::report(&[d]);
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let mut failed = false;
    for src in &sources {
        let diags = check::check(src);
        super::report(&diags);
        failed |= has_errors(&diags);
    }
    if failed {
        return ExitCode::FAILURE;
    }
    let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    eprintln!(
        "config {} is valid; the component runtime is not built yet, so nothing runs (HTTP would listen on {}, storage at {})",
        names.join(", "),
        args.listen_addr,
        args.storage_path.display()
    );
    ExitCode::SUCCESS
}
