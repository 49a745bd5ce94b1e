//! Diagnostics: the one error type of every layer.
//!
//! A diagnostic is plain data (severity, message, spans, help) so that each
//! edge can render it its own way: the CLI through miette, the HTTP API as
//! JSON, the UI as HTML. Nothing here prints.

use std::fmt;
use std::sync::Arc;

use crate::span::{SourceFile, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// A secondary span with its own short message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The headline. Where Alloy has a message for the same mistake this is
    /// Alloy's wording, so users can search for it.
    pub message: String,
    pub span: Span,
    /// What to say under the primary span, if more than the headline.
    pub span_label: Option<String>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// The file the spans point into; set by whoever knows it (the parser
    /// and evaluator work on one file at a time and leave it to the caller).
    pub source: Option<Arc<SourceFile>>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, message: message.into(), span, span_label: None, labels: Vec::new(), help: None, source: None }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(span, message) }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_span_label(mut self, text: impl Into<String>) -> Diagnostic {
        self.span_label = Some(text.into());
        self
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into() });
        self
    }

    pub fn with_source(mut self, source: &Arc<SourceFile>) -> Diagnostic {
        self.source = Some(Arc::clone(source));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col`, or just the message's position when no file is known.
    pub fn location(&self) -> Option<String> {
        let src = self.source.as_ref()?;
        let (line, col) = src.line_col(self.span.start);
        Some(format!("{}:{}:{}", src.name, line, col))
    }
}

/// The one-line form, `file:line:col: message`, for logs and test output.
///
/// ```
/// use solder_syntax::{Diagnostic, SourceFile, Span};
///
/// let src = SourceFile::new("config.alloy", "a = 1\nb = nope\n");
/// let error = Diagnostic::error(Span::new(10, 14), "component \"nope\" does not exist");
/// assert_eq!(error.to_string(), "component \"nope\" does not exist");
/// assert_eq!(error.with_source(&src).to_string(), "config.alloy:2:5: component \"nope\" does not exist");
/// ```
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location() {
            Some(loc) => write!(f, "{}: {}", loc, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Diagnostic {}

/// Gives every diagnostic without a file the given one.
pub fn attach_source(diags: &mut [Diagnostic], source: &Arc<SourceFile>) {
    for d in diags.iter_mut().filter(|d| d.source.is_none()) {
        d.source = Some(Arc::clone(source));
    }
}

/// True when any diagnostic in the list is an error (not only warnings).
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}
