//! `solder fmt [-w] FILE|-`

use std::path::PathBuf;
use std::process::ExitCode;

use solder_syntax::diagnostic::attach_source;

use crate::source;

#[derive(clap::Args)]
pub struct Args {
    /// Write the result back to the file instead of printing it.
    #[arg(short = 'w', long = "write")]
    write: bool,
    /// The file to format, or `-` for standard input.
    path: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let src = match source::read(&args.path) {
        Ok(src) => src,
        Err(d) => {
            super::report(&[d]);
            return ExitCode::FAILURE;
        }
    };
    let formatted = match solder_syntax::format_source(&src.text) {
        Ok(text) => text,
        Err(mut diags) => {
            attach_source(&mut diags, &src);
            super::report(&diags);
            return ExitCode::FAILURE;
        }
    };
    let stdin = args.path.as_os_str() == "-";
    if args.write && !stdin {
        if formatted != src.text {
            if let Err(e) = std::fs::write(&args.path, formatted) {
                eprintln!("error: cannot write {}: {e}", args.path.display());
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{formatted}");
    }
    ExitCode::SUCCESS
}
