//! Rendering diagnostics as text with miette: the excerpt, the underline,
//! `file:line:col`, labels and help.
//!
//! This only builds strings; the edges (CLI, logs, API) decide where they go.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::{floor_char_boundary, Span};

/// How rendered text should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Colours and Unicode box drawing, for a terminal.
    Fancy,
    /// No colour, ASCII only: stable text for logs and snapshot tests.
    Plain,
}

/// Renders one diagnostic with its source excerpt.
///
/// ```
/// use solder_syntax::diagnostic::attach_source;
/// use solder_syntax::render::{render, Style};
/// use solder_syntax::{parse, SourceFile};
///
/// let src = "logging {\n  level = \"debug\" \"info\"\n}\n";
/// let mut errors = parse(src).unwrap_err();
/// attach_source(&mut errors, &SourceFile::new("config.alloy", src));
/// let text = render(&errors[0], Style::Plain);
/// // The headline, where it is, and the line it is on.
/// assert!(text.contains(&errors[0].message), "{text}");
/// assert!(text.contains("[config.alloy:2:"), "{text}");
/// assert!(text.contains(r#"level = "debug" "info""#), "{text}");
/// // Plain is for logs and snapshots: no colour codes.
/// assert!(!text.contains('\u{1b}'));
/// ```
pub fn render(diag: &Diagnostic, style: Style) -> String {
    let theme = match style {
        Style::Fancy => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let report = to_miette(diag);
    let mut out = String::new();
    // Writing into a String cannot fail; fall back to the one-line form if
    // miette ever reports an error of its own.
    if handler.render_report(&mut out, &report).is_err() {
        return diag.to_string();
    }
    out
}

/// Renders a list of diagnostics, errors and warnings alike, in order.
pub fn render_all(diags: &[Diagnostic], style: Style) -> String {
    diags.iter().map(|d| render(d, style)).collect::<Vec<_>>().join("\n")
}

/// A diagnostic in the shape miette draws.
struct Drawable {
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    labels: Vec<LabeledSpan>,
    source: Option<NamedSource<String>>,
}

fn to_miette(diag: &Diagnostic) -> Drawable {
    let severity = match diag.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    };
    let mut drawable = Drawable { message: diag.message.clone(), severity, help: diag.help.clone(), labels: Vec::new(), source: None };
    if let Some(source) = &diag.source {
        let text = source.shown();
        drawable.labels.push(LabeledSpan::new_primary_with_span(diag.span_label.clone(), visible(text, diag.span)));
        for label in &diag.labels {
            drawable.labels.push(LabeledSpan::new_with_span(Some(label.message.clone()), visible(text, label.span)));
        }
        drawable.source = Some(NamedSource::new(source.name.clone(), text.to_string()));
    }
    drawable
}

/// A span miette can draw: clamped to the text, on char boundaries, and at
/// least one character wide so an insertion point still gets an underline.
fn visible(text: &str, span: Span) -> miette::SourceSpan {
    let start = floor_char_boundary(text, span.start);
    let mut end = floor_char_boundary(text, span.end.max(start));
    if end == start && start < text.len() {
        end = start + text[start..].chars().next().map_or(1, char::len_utf8);
    }
    (start, end - start).into()
}

impl std::fmt::Debug for Drawable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::fmt::Display for Drawable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Drawable {}

impl miette::Diagnostic for Drawable {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
}
