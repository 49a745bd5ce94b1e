//! `solder convert --source-format=otelcol FILE [-o OUT] [--bypass-errors]`:
//! translates an OpenTelemetry Collector config into Alloy, as
//! `alloy convert` does.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::convert;
use crate::source;

#[derive(clap::Args)]
pub struct Args {
    /// The format of the input.
    #[arg(short = 'f', long = "source-format", value_enum)]
    source_format: SourceFormat,
    /// Where to write the Alloy config; standard output when omitted.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Write the best-effort conversion even when there are errors
    /// (unsupported components and options are left out). The errors are
    /// still printed.
    #[arg(short = 'b', long = "bypass-errors")]
    bypass_errors: bool,
    /// The file to convert, or `-` for standard input.
    path: PathBuf,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SourceFormat {
    /// OpenTelemetry Collector YAML.
    Otelcol,
}

pub fn run(args: Args) -> ExitCode {
    let src = match source::read(&args.path) {
        Ok(src) => src,
        Err(d) => {
            super::report(&[d]);
            return ExitCode::FAILURE;
        }
    };
    let SourceFormat::Otelcol = args.source_format;
    let mut conversion = convert::otelcol(&src);
    if !conversion.has_errors() {
        let name = args.output.as_ref().map_or_else(|| "<converted>".to_string(), |p| p.display().to_string());
        conversion.diagnostics.extend(convert::check_output(&name, &conversion.alloy));
    }
    super::report(&conversion.diagnostics);
    // Bypassing errors still needs something to write: a YAML that does
    // not parse converts to nothing.
    if conversion.has_errors() && (!args.bypass_errors || conversion.refuses_bypass() || conversion.alloy.trim().is_empty()) {
        return ExitCode::FAILURE;
    }
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &conversion.alloy) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
        None => print!("{}", conversion.alloy),
    }
    ExitCode::SUCCESS
}
