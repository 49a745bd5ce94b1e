//! `import.git`: a module file (or directory) at a revision of a git
//! repository.

use std::sync::Arc;

use solder_syntax::SourceFile;

use super::ImportSource;

/// Fetches the module files an `import.git` block names.
pub fn fetch(src: &ImportSource) -> Result<Vec<Arc<SourceFile>>, String> {
    let ImportSource::Git { repository, .. } = src else { return Err("not a git import".into()) };
    Err(format!("import.git is not supported by this build (repository {repository:?})"))
}
