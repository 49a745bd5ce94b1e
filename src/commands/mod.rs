//! One module per subcommand. Each renders diagnostics itself: this is the
//! edge where they become text.

pub mod convert;
pub mod fmt;
pub mod run;
pub mod validate;

use std::io::IsTerminal;

use solder_syntax::render::{render_all, Style};
use solder_syntax::Diagnostic;

/// Prints diagnostics to stderr, with colour only when stderr is a terminal.
pub fn report(diags: &[Diagnostic]) {
    if diags.is_empty() {
        return;
    }
    let style = if std::io::stderr().is_terminal() { Style::Fancy } else { Style::Plain };
    eprintln!("{}", render_all(diags, style));
}
