//! `solder-syntax`: the Alloy configuration language as a library.
//!
//! Parse to a spanned AST ([`parse`]), evaluate expressions to [`Value`]s
//! ([`eval`]), format ([`format`]) and report problems as [`Diagnostic`]s.
//! Nothing here is async or touches the network, so the language can be
//! fuzzed, benchmarked and embedded in editor tooling on its own.
//!
//! ```
//! use solder_syntax::ast::Stmt;
//! use solder_syntax::{parse, Evaluator, Scope, Value};
//!
//! let src = r#"
//! prometheus.scrape "node" {
//!   targets = [{"__address__" = "localhost:9100"}]
//!   scrape_interval = string.format("%ds", 15)
//! }
//! "#;
//! let file = parse(src).expect("a valid config");
//! let Stmt::Block(block) = &file.body[0] else { panic!("a block") };
//! assert_eq!(block.full_name(), "prometheus.scrape");
//! assert_eq!(block.label.as_ref().map(|l| l.value.as_str()), Some("node"));
//!
//! // Attributes are expressions until evaluated; the standard library is
//! // always in scope.
//! let Stmt::Attribute(interval) = &block.body[1] else { panic!("an attribute") };
//! assert_eq!(interval.name.name, "scrape_interval");
//! let scope = Scope::new();
//! let value = Evaluator::new(src, &scope).eval(&interval.value).expect("it evaluates");
//! assert_eq!(value, Value::string("15s"));
//!
//! // The canonical layout: tabs, and `=` aligned within a block.
//! assert_eq!(
//!     solder_syntax::format_source(src).expect("it parses"),
//!     "prometheus.scrape \"node\" {\n\ttargets         = [{\"__address__\" = \"localhost:9100\"}]\n\tscrape_interval = string.format(\"%ds\", 15)\n}\n",
//! );
//! ```

pub mod ast;
pub mod diagnostic;
pub mod eval;
mod fast_parser;
pub mod format;
pub mod literal;
pub mod ottl;
mod parse_error;
pub mod parser;
pub mod re2;
pub mod render;
pub mod scanner;
pub mod span;
pub mod stdlib;
pub mod suggest;
pub mod value;

pub use diagnostic::{Diagnostic, Severity};
pub use eval::{Evaluator, Scope};
pub use format::format_source;
pub use parser::{parse, parse_expression};
pub use span::{SourceFile, Span};
pub use value::Value;
