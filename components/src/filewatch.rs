//! Watching a file for new content, shared by the config loader,
//! `local.file` and `import.file`.
//!
//! The watch is on the file's *directory*: editors replace files by renaming
//! a new one over the old, and Kubernetes updates a mounted ConfigMap by
//! swapping the `..data` symlink, and a watch on the file itself sees
//! neither. A file reached through symlinks (`/etc/solder/config.alloy` ->
//! `/srv/configs/agent.alloy`) is edited where it really is, so the
//! directory of every hop of the link chain is watched too; [`FileWatch::refollow`]
//! works that set out again, so that retargeting a link moves the watch.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;

use crate::sync::lock;

/// A running watch; dropping it stops it.
pub struct FileWatch {
    watcher: Mutex<notify::RecommendedWatcher>,
    path: PathBuf,
    dir: PathBuf,
    followed: Mutex<BTreeSet<PathBuf>>,
}

impl FileWatch {
    /// Watches `path` (a file, or a directory of files), sending on `tx`
    /// for every event that can mean new content. Bursts are the caller's
    /// to debounce; after one settles, call [`FileWatch::refollow`].
    pub fn start(path: &Path, tx: UnboundedSender<()>) -> Result<FileWatch, String> {
        let dir = watched_dir(path);
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if event.is_ok_and(|e| is_change(&e)) {
                let _ = tx.send(());
            }
        })
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
        watcher.watch(&dir, RecursiveMode::NonRecursive).map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
        let fw = FileWatch { watcher: Mutex::new(watcher), path: path.to_path_buf(), dir, followed: Mutex::new(BTreeSet::new()) };
        fw.refollow();
        Ok(fw)
    }

    /// The directory watched for good: the path's own, or the path itself.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Moves the watches on the link chain's directories to where the
    /// path's links point now. Not to be called from the event callback:
    /// the watcher's own thread runs that.
    pub fn refollow(&self) {
        let mut wanted = link_dirs(&self.path);
        if let Ok(own) = std::fs::canonicalize(&self.dir) {
            wanted.remove(&own);
        }
        wanted.remove(&self.dir);
        let mut followed = lock(&self.followed);
        let mut w = lock(&self.watcher);
        for gone in followed.difference(&wanted) {
            // The kernel has already dropped the watch of a deleted directory.
            let _ = w.unwatch(gone);
        }
        for new in wanted.difference(&followed) {
            if let Err(e) = w.watch(new, RecursiveMode::NonRecursive) {
                tracing::warn!("cannot watch {}, where {}'s link points: {e}", new.display(), self.path.display());
            }
        }
        *followed = wanted;
    }
}

/// Whether an event can mean new content. Reads are reported too (opening
/// and closing a file), and reacting to them would make every reader of the
/// directory, this watcher's own included, wake every other one.
pub fn is_change(event: &notify::Event) -> bool {
    !matches!(event.kind, notify::EventKind::Access(_))
}

/// The directory to watch for a path: the directory itself, or the
/// file's parent.
pub fn watched_dir(path: &Path) -> PathBuf {
    if path.is_dir() {
        return path.to_path_buf();
    }
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The real directories holding each hop of `path`'s symlink chain and its
/// final target (for a directory, the directory itself, where it really
/// is); empty for a file that is no link.
pub fn link_dirs(path: &Path) -> BTreeSet<PathBuf> {
    if path.is_dir() {
        return std::fs::canonicalize(path).into_iter().collect();
    }
    let mut dirs = BTreeSet::new();
    let mut hop = path.to_path_buf();
    // Linux gives up after 40 hops (ELOOP); so does this.
    for _ in 0..40 {
        let Ok(target) = std::fs::read_link(&hop) else { break };
        let base = hop.parent().map(Path::to_path_buf).unwrap_or_default();
        hop = base.join(target);
        if let Some(real) = hop.parent().and_then(|p| std::fs::canonicalize(p).ok()) {
            dirs.insert(real);
        }
    }
    if !dirs.is_empty() {
        if let Some(real) = std::fs::canonicalize(path).ok().and_then(|p| p.parent().map(Path::to_path_buf)) {
            dirs.insert(real);
        }
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_chain_names_every_hops_real_directory() {
        let root = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(root.path()).unwrap();
        for d in ["etc", "srv/a", "srv/b"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("srv/b/agent.alloy"), "").unwrap();
        std::os::unix::fs::symlink("../b/agent.alloy", root.join("srv/a/current.alloy")).unwrap();
        std::os::unix::fs::symlink(root.join("srv/a/current.alloy"), root.join("etc/config.alloy")).unwrap();
        let dirs: Vec<PathBuf> = link_dirs(&root.join("etc/config.alloy")).into_iter().collect();
        assert_eq!(dirs, vec![root.join("srv/a"), root.join("srv/b")]);
        assert!(link_dirs(&root.join("srv/b/agent.alloy")).is_empty(), "a plain file has no links to follow");
        assert_eq!(link_dirs(&root.join("srv")), BTreeSet::from([root.join("srv")]));
    }
}
