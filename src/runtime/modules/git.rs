//! `import.git`: a module file (or a directory of `.alloy` files) at a
//! revision of a git repository, read with `gix` rather than a `git`
//! subprocess.
//!
//! The repository is opened where it is and its objects read directly:
//! no working tree is checked out, so nothing on disk changes and a
//! revision that moved is seen on the next pull. Only repositories
//! reachable as a path (or a `file://` URL) are supported: cloning over
//! the network would need gix's transport features, which this build
//! leaves out.

use std::sync::Arc;

use solder_syntax::SourceFile;

use super::ImportSource;

/// Fetches the module files an `import.git` block names, named
/// `REPOSITORY@REVISION:PATH` so errors say where they are.
pub fn fetch(src: &ImportSource) -> Result<Vec<Arc<SourceFile>>, String> {
    let ImportSource::Git { repository, revision, path, .. } = src else { return Err("not a git import".into()) };
    let local = repository.strip_prefix("file://").unwrap_or(repository);
    if local.contains("://") || local.contains('@') && local.contains(':') {
        return Err(format!("import.git cannot fetch {repository:?}: this build reads repositories on the local file system only (a path or a file:// URL)"));
    }
    let repo = gix::open(local).map_err(|e| format!("failed to open git repository {repository:?}: {e}"))?;
    let id = repo.rev_parse_single(revision.as_str()).map_err(|e| format!("failed to resolve revision {revision:?} in {repository:?}: {e}"))?;
    let commit =
        id.object().map_err(|e| e.to_string())?.peel_to_commit().map_err(|e| format!("revision {revision:?} of {repository:?} is not a commit: {e}"))?;
    let tree = commit.tree().map_err(|e| e.to_string())?;
    let name = |file: &str| format!("{repository}@{revision}:{file}");
    let entry = tree
        .lookup_entry_by_path(path.as_str())
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("path {path:?} does not exist in {repository:?} at revision {revision:?}"))?;
    let object = entry.object().map_err(|e| e.to_string())?;
    match object.kind {
        gix::object::Kind::Blob => Ok(vec![SourceFile::new(name(path), text(&object.data, path)?)]),
        gix::object::Kind::Tree => {
            let tree = object.into_tree();
            let mut files = Vec::new();
            for entry in tree.iter() {
                let entry = entry.map_err(|e| e.to_string())?;
                let file = entry.filename().to_string();
                if !entry.mode().is_blob() || !file.ends_with(".alloy") {
                    continue;
                }
                let blob = repo.find_object(entry.oid()).map_err(|e| e.to_string())?;
                let full = format!("{}/{file}", path.trim_end_matches('/'));
                files.push(SourceFile::new(name(&full), text(&blob.data, &full)?));
            }
            files.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(files)
        }
        other => Err(format!("path {path:?} in {repository:?} is a {other}, not a file or directory")),
    }
}

fn text(data: &[u8], path: &str) -> Result<String, String> {
    String::from_utf8(data.to_vec()).map_err(|_| format!("module {path:?} is not UTF-8 text"))
}
