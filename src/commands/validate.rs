//! `solder validate PATH...`: checks each config exactly as `solder run`
//! would load it (syntax, top-level rules, references, cycles, and every
//! component's arguments through a trial build), without starting anything.

use std::path::PathBuf;
use std::process::ExitCode;

use solder_components::Registry;
use solder_syntax::Diagnostic;

use crate::runtime::Controller;
use crate::source;

#[derive(clap::Args)]
pub struct Args {
    /// Config files, or directories of .alloy files (each directory is one
    /// config).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let failed = rt.block_on(async {
        let storage = std::env::temp_dir().join(format!("solder-validate-{}", std::process::id()));
        let controller = Controller::new(Registry::builtin(), storage);
        let mut failed = false;
        for path in &args.paths {
            let diags = check(&controller, path);
            super::report(&diags);
            failed |= solder_syntax::diagnostic::has_errors(&diags);
        }
        failed
    });
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn check(controller: &Controller, path: &std::path::Path) -> Vec<Diagnostic> {
    let files = match source::config_files(path).and_then(|fs| fs.iter().map(|f| source::read(f)).collect::<Result<Vec<_>, _>>()) {
        Ok(files) => files,
        Err(d) => return vec![d],
    };
    let cfg = match controller.load(files) {
        Ok(cfg) => cfg,
        Err(d) => return d,
    };
    let mut logging = crate::agent::logging::parse(&cfg.settings).err().unwrap_or_default();
    logging.extend(crate::agent::httpauth::parse(&cfg.settings).err().unwrap_or_default());
    let mut diags = match controller.check(&cfg) {
        Ok(warnings) => warnings,
        Err(errors) => errors,
    };
    diags.extend(logging);
    diags
}
