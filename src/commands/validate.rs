//! `solder validate FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

use solder_syntax::diagnostic::has_errors;

use crate::{check, source};

#[derive(clap::Args)]
pub struct Args {
    /// Config files, or directories of .alloy files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let mut failed = false;
    for path in &args.paths {
        let files = match source::config_files(path) {
            Ok(files) => files,
            Err(d) => {
                super::report(&[d]);
                failed = true;
                continue;
            }
        };
        for file in files {
            let diags = match source::read(&file) {
                Ok(src) => check::check(&src),
                Err(d) => vec![d],
            };
            super::report(&diags);
            failed |= has_errors(&diags);
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
