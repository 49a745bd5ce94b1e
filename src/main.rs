//! `solder`: a telemetry agent configured in the Alloy language.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod agent;
mod cold_code;
mod commands;
mod convert;
mod fdlimit;
mod memory;
mod runtime;
mod source;
mod tools;

#[derive(Parser)]
#[command(name = "solder", version, about = "A telemetry agent configured in the Alloy language")]
struct Cli {
    /// With no subcommand, solder runs the embedded default config.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Load a config and run it. Without PATH, runs the embedded default
    /// pipeline (OTLP in, batch, Jaeger out, span metrics to Prometheus).
    Run(commands::run::Args),
    /// Print a config in canonical form, or rewrite it in place with -w.
    Fmt(commands::fmt::Args),
    /// Check configs and print every problem found. Exits 1 if any.
    Validate(commands::validate::Args),
    /// Convert an OpenTelemetry Collector config into an Alloy config.
    Convert(commands::convert::Args),
    /// Utilities for testing and measuring pipelines.
    #[command(subcommand)]
    Tools(tools::Tool),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => commands::run::run(commands::run::Args::default()),
        Some(Command::Run(args)) => commands::run::run(args),
        Some(Command::Fmt(args)) => commands::fmt::run(args),
        Some(Command::Validate(args)) => commands::validate::run(args),
        Some(Command::Convert(args)) => commands::convert::run(args),
        Some(Command::Tools(tool)) => tools::run(tool),
    }
}
