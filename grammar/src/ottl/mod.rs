//! OTTL, the OpenTelemetry Transformation Language, as a library: parse a
//! statement or condition to a spanned AST, check it against a context's
//! [`Schema`] and the function table before anything runs, and evaluate the
//! compiled form against any [`Context`].
//!
//! Like the Alloy language beside it, nothing here knows about telemetry
//! encodings, tokio or the network: a context is a trait, implemented over
//! the OTLP types by `solder-components`. That keeps OTTL fuzzable and
//! benchmarkable on its own, and keeps its errors [`crate::Diagnostic`]s
//! that point at the exact character of the statement.
//!
//! The pipeline, one file each: [`parse`] (the pest grammar in
//! `ottl.pest`, to [`ast`]), [`check`] (names, arity and literals resolved
//! against the [`Schema`] and [`FunctionDef`] table, to the compiled form in
//! [`eval`]), and [`program`], the [`Statements`] and [`Conditions`] a
//! processor holds.
//!
//! ```
//! use solder_syntax::ottl::{testing, ErrorMode, Statements, Value};
//!
//! let stmts = Statements::compile(&testing::SPAN, testing::functions(), &[
//!     r#"set(attributes["route"], "/users/{id}") where HasPrefix(name, "/users/")"#,
//! ]).unwrap();
//! let mut span = testing::Item::named("/users/123");
//! stmts.execute(&mut span, ErrorMode::Propagate, &mut Vec::new()).unwrap();
//! assert_eq!(span.attribute("route"), Some(&Value::str("/users/{id}")));
//! ```

pub mod ast;
pub mod check;
pub mod context;
mod error;
pub mod eval;
pub mod funcs;
pub mod function;
pub mod metric_edit;
pub mod parse;
pub mod plan;
pub mod program;
pub mod testing;
pub mod value;

pub use context::{Context, Key, MapEdit, PathId, PathSpec, Schema};
pub use eval::uses::PathUse;
pub use function::{Args, CompileArgs, FunctionDef, Param, ParamKind};
pub use metric_edit::MetricEdit;
pub use program::{infer_context, Conditions, OttlError, RunError, Statements};
pub use value::Value;

/// What to do when a statement fails at run time, as the Collector's
/// `error_mode` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorMode {
    /// Log the error and go on with the next statement.
    #[default]
    Ignore,
    /// Go on with the next statement without logging.
    Silent,
    /// Stop and return the error: the processor refuses the data.
    Propagate,
}

impl ErrorMode {
    pub fn parse(s: &str) -> Option<ErrorMode> {
        match s {
            "ignore" => Some(ErrorMode::Ignore),
            "silent" => Some(ErrorMode::Silent),
            "propagate" => Some(ErrorMode::Propagate),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
