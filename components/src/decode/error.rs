//! The decoder's error: a message, and the span it belongs to once known.

use std::fmt;

use solder_syntax::{Diagnostic, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    pub message: String,
    pub span: Option<Span>,
    pub help: Option<String>,
}

impl DecodeError {
    pub fn new(message: impl Into<String>) -> DecodeError {
        DecodeError { message: message.into(), span: None, help: None }
    }

    pub fn at(span: Span, message: impl Into<String>) -> DecodeError {
        DecodeError { message: message.into(), span: Some(span), help: None }
    }

    pub fn with_help(mut self, help: Option<String>) -> DecodeError {
        self.help = help;
        self
    }

    /// Gives the error a span if it has none yet. Errors bubble up from the
    /// innermost value, so the first span attached is the most precise.
    pub fn or_at(mut self, span: Span) -> DecodeError {
        self.span.get_or_insert(span);
        self
    }

    pub fn into_diagnostic(self, fallback: Span) -> Diagnostic {
        let d = Diagnostic::error(self.span.unwrap_or(fallback), self.message);
        match self.help {
            Some(h) => d.with_help(h),
            None => d,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl serde::de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> DecodeError {
        DecodeError::new(msg.to_string())
    }

    fn missing_field(field: &'static str) -> DecodeError {
        DecodeError::new(format!("missing required attribute {field:?}"))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> DecodeError {
        let list: Vec<String> = expected.iter().map(|v| format!("{v:?}")).collect();
        DecodeError::new(format!("invalid value {variant:?}, expected one of {}", list.join(", ")))
            .with_help(solder_syntax::suggest::did_you_mean(variant, expected.iter().copied()).map(|s| format!("did you mean {s:?}?")))
    }
}
