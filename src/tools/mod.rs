//! `solder tools`: utilities for testing and measuring a pipeline.

pub mod loadgen;
pub mod sink;

#[derive(clap::Subcommand)]
pub enum Tool {
    /// Send OTLP traces at a fixed rate or flat out, with realistic spans.
    Loadgen(loadgen::Args),
    /// Receive OTLP and print running counts each second, for load tests.
    Sink(sink::Args),
}

pub fn run(tool: Tool) -> std::process::ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        match tool {
            Tool::Loadgen(args) => loadgen::run(args).await,
            Tool::Sink(args) => sink::run(args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
