//! Where the config comes from: the embedded default, one file, or a
//! directory of `.alloy` files.

use std::path::PathBuf;
use std::sync::Arc;

use solder_syntax::{Diagnostic, SourceFile};

#[derive(Debug, Clone)]
pub enum ConfigSource {
    Embedded { name: &'static str, text: &'static str },
    Path(PathBuf),
}

impl ConfigSource {
    pub fn read(&self) -> Result<Vec<Arc<SourceFile>>, Diagnostic> {
        match self {
            ConfigSource::Embedded { name, text } => Ok(vec![SourceFile::new(*name, *text)]),
            ConfigSource::Path(path) => crate::source::config_files(path)?.iter().map(|f| crate::source::read(f)).collect(),
        }
    }

    /// The path to watch, if any.
    pub fn path(&self) -> Option<&PathBuf> {
        match self {
            ConfigSource::Embedded { .. } => None,
            ConfigSource::Path(p) => Some(p),
        }
    }
}
