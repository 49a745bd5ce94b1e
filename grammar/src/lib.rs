//! `solder-syntax`: the Alloy configuration language as a library.
//!
//! Parse to a spanned AST ([`parse`]), evaluate expressions to [`Value`]s
//! ([`eval`]), format ([`format`]) and report problems as [`Diagnostic`]s.
//! Nothing here is async or touches the network, so the language can be
//! fuzzed, benchmarked and embedded in editor tooling on its own.

pub mod ast;
pub mod diagnostic;
pub mod eval;
pub mod format;
mod fast_parser;
pub mod literal;
mod parse_error;
pub mod parser;
pub mod render;
pub mod scanner;
pub mod span;
pub mod stdlib;
pub mod suggest;
pub mod value;

pub use diagnostic::{Diagnostic, Severity};
pub use parser::{parse, parse_expression};
pub use eval::{Evaluator, Scope};
pub use format::format_source;
pub use span::{SourceFile, Span};
pub use value::Value;
