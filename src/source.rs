//! Reading config sources from disk or stdin into [`SourceFile`]s.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use solder_syntax::{Diagnostic, SourceFile, Span};

/// Reads one file (or stdin for `-`). Problems reading it become a
/// diagnostic, so callers report them like any other.
pub fn read(path: &Path) -> Result<Arc<SourceFile>, Diagnostic> {
    let name = path.display().to_string();
    let bytes = if name == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    }
    .map_err(|e| Diagnostic::error(Span::at(0), format!("cannot read {name}: {e}")))?;
    decode(name, bytes)
}

/// Checks the bytes are UTF-8, pointing at the first bad byte if not.
pub fn decode(name: String, bytes: Vec<u8>) -> Result<Arc<SourceFile>, Diagnostic> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
            let file = SourceFile::new(name.clone(), valid);
            Err(Diagnostic::error(Span::at(at), format!("{name} is not valid UTF-8 (invalid byte at offset {at})")).with_source(&file))
        }
    }
}

/// The `.alloy` files a path names: the path itself, or for a directory,
/// every `.alloy` file directly inside it, sorted by name so the load order
/// is stable.
pub fn config_files(path: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| Diagnostic::error(Span::at(0), format!("cannot read directory {}: {e}", path.display())))?;
    let mut files: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "alloy") && !p.is_dir()).collect();
    files.sort();
    if files.is_empty() {
        return Err(Diagnostic::error(Span::at(0), format!("directory {} holds no .alloy files", path.display())));
    }
    Ok(files)
}
