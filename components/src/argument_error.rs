//! An error about one argument, named by its path in the block rather
//! than by a place in the file.

use std::ops::Range;

use solder_syntax::Diagnostic;

use crate::body::EvalBody;

/// What a component's `validate`, `build` or `update` returns when an
/// argument is wrong. `path` names the argument the way a user reads it:
/// `send_batch_max_size`, `client.tls.ca_file`, `endpoint[1].url`, or
/// `""` for the component as a whole. The runtime turns it into a
/// [`Diagnostic`] pointing at that argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgumentError {
    pub path: String,
    pub message: String,
    pub help: Option<String>,
    /// Where inside the string at `path` the mistake is, as byte offsets
    /// into its value: the bad token of an OTTL statement. The diagnostic
    /// then points at those characters of the literal, not the whole value.
    pub within: Option<Range<usize>>,
}

impl ArgumentError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> ArgumentError {
        ArgumentError { path: path.into(), message: message.into(), help: None, within: None }
    }

    /// An error about the component as a whole.
    pub fn whole(message: impl Into<String>) -> ArgumentError {
        ArgumentError::new("", message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> ArgumentError {
        self.help = Some(help.into());
        self
    }

    /// Narrows the error to bytes `range` of the string value at its path.
    pub fn within(mut self, range: Range<usize>) -> ArgumentError {
        self.within = Some(range);
        self
    }

    /// The error as a diagnostic pointing at its argument in `body`: an
    /// attribute's value, a block's name, or, for an argument that is not
    /// written, the closest enclosing block; with [`ArgumentError::within`],
    /// the characters of a string literal that wrote those bytes.
    pub fn at(&self, body: &EvalBody) -> Diagnostic {
        let span = match &self.within {
            Some(range) => body.span_within(&self.path, range.clone()),
            None => body.span_of(&self.path),
        };
        let d = Diagnostic::error(span, self.message.clone());
        match &self.help {
            Some(h) => d.with_help(h.clone()),
            None => d,
        }
    }
}

impl std::fmt::Display for ArgumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ArgumentError {}
