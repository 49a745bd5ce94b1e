//! Load-time and run-time errors of OTTL statements. Both are plain data:
//! the component decides how to render or log them.

use std::fmt;
use std::ops::Range;

/// A load-time error: which source (statement index), the byte range
/// within that source's text under the bad token, the message and an
/// optional help line (a did-you-mean, or how OTTL writes the thing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OttlError {
    pub index: usize,
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl OttlError {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> OttlError {
        OttlError { index: 0, span, message: message.into(), help: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> OttlError {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn at_index(mut self, index: usize) -> OttlError {
        self.index = index;
        self
    }
}

impl fmt::Display for OttlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for OttlError {}

/// A statement or condition that failed on one item. `message` is the
/// whole sentence, in the Collector's form: `failed to execute statement:
/// <statement>, <reason>` (or `failed to eval condition: ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunError {
    pub index: usize,
    pub message: String,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RunError {}
