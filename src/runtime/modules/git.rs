//! `import.git`: a module file (or a directory of `.alloy` files) at a
//! revision of a git repository, read with `gix` rather than a `git`
//! subprocess.
//!
//! A repository on the local file system (a path or a `file://` URL) is
//! opened where it is and its objects read directly. A remote one
//! (`http://`, `https://`) is fetched over git's smart HTTP protocol into
//! a bare mirror under the cache directory (see [`set_cache_dir`]), one per
//! repository address, and read from there; each pull fetches what is new.
//! No working tree is checked out in either case, so a revision that moved
//! is seen on the next pull.
//!
//! Remote branches land under `refs/remotes/origin/`, tags under
//! `refs/tags/`, and the remote's `HEAD` as `refs/remotes/origin/HEAD`, so
//! `revision` is looked up as a branch, then a tag, then a commit, as
//! `git clone` followed by `git checkout REVISION` would.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use solder_syntax::value::Secret;
use solder_syntax::SourceFile;

use super::ImportSource;

/// `basic_auth { username, password }`: credentials for an HTTP(S)
/// repository.
#[derive(Debug, Clone, PartialEq)]
pub struct BasicAuth {
    pub username: String,
    pub password: Secret,
}

/// Where remote repositories are mirrored; `None` means a directory under
/// the system's temporary directory.
static CACHE_DIR: RwLock<Option<PathBuf>> = RwLock::new(None);

/// One fetch at a time: two pulls of one mirror would race for its locks.
static FETCHING: Mutex<()> = Mutex::new(());

/// Sets where `import.git` keeps its mirrors of remote repositories (the
/// agent passes `STORAGE_PATH/import.git`, as Alloy keeps its clones in
/// its data directory).
pub fn set_cache_dir(dir: PathBuf) {
    *CACHE_DIR.write().unwrap_or_else(|p| p.into_inner()) = Some(dir);
}

fn cache_dir() -> PathBuf {
    let set = CACHE_DIR.read().unwrap_or_else(|p| p.into_inner()).clone();
    set.unwrap_or_else(|| std::env::temp_dir().join("solder-import-git"))
}

/// Whether `repository` is reached over the network rather than opened in
/// place.
fn is_remote(repository: &str) -> bool {
    repository.starts_with("http://") || repository.starts_with("https://")
}

/// Fetches the module files an `import.git` block names, named
/// `REPOSITORY@REVISION:PATH` so errors say where they are.
pub fn fetch(src: &ImportSource) -> Result<Vec<Arc<SourceFile>>, String> {
    let ImportSource::Git { repository, revision, path, basic_auth, pull_timeout, .. } = src else { return Err("not a git import".into()) };
    let (repo, candidates) = if is_remote(repository) {
        let repo = mirror(repository, basic_auth.as_ref(), *pull_timeout)?;
        let candidates = match revision.as_str() {
            "HEAD" => vec!["refs/remotes/origin/HEAD".to_string()],
            rev => vec![format!("refs/remotes/origin/{rev}"), format!("refs/tags/{rev}"), rev.to_string()],
        };
        (repo, candidates)
    } else if let Some(local) = local_path(repository) {
        let repo = gix::open(local).map_err(|e| format!("failed to open git repository {repository:?}: {e}"))?;
        (repo, vec![revision.clone()])
    } else {
        return Err(format!(
            "import.git cannot fetch {repository:?}: repositories are reached over http:// or https://, or on the local file system (a path or a file:// URL)"
        ));
    };
    let id = candidates
        .iter()
        .find_map(|c| repo.rev_parse_single(c.as_str()).ok())
        .ok_or_else(|| format!("failed to resolve revision {revision:?} in {repository:?}: no branch, tag or commit of that name"))?;
    let commit =
        id.object().map_err(|e| e.to_string())?.peel_to_commit().map_err(|e| format!("revision {revision:?} of {repository:?} is not a commit: {e}"))?;
    read_tree(&repo, &commit, repository, revision, path)
}

/// The path of a local repository address; `None` for one on the network.
fn local_path(repository: &str) -> Option<&str> {
    let local = repository.strip_prefix("file://").unwrap_or(repository);
    // `host:path` and `user@host:path` are scp-style SSH addresses.
    let ssh = local.contains('@') && local.contains(':');
    (!local.contains("://") && !ssh).then_some(local)
}

/// The module file or directory at `path` of `commit`.
fn read_tree(repo: &gix::Repository, commit: &gix::Commit<'_>, repository: &str, revision: &str, path: &str) -> Result<Vec<Arc<SourceFile>>, String> {
    let tree = commit.tree().map_err(|e| e.to_string())?;
    let name = |file: &str| format!("{repository}@{revision}:{file}");
    let entry = tree
        .lookup_entry_by_path(path)
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

/// Brings the mirror of a remote repository up to date and opens it.
fn mirror(repository: &str, auth: Option<&BasicAuth>, timeout: Duration) -> Result<gix::Repository, String> {
    // The HTTPS client is built without a crypto provider of its own.
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        // Already installed by someone else is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    let _one = FETCHING.lock().unwrap_or_else(|p| p.into_inner());
    let dir = mirror_dir(repository);
    let repo = if dir.join("HEAD").is_file() {
        gix::open(&dir).map_err(|e| format!("failed to open the mirror of {repository:?} at {}: {e}", dir.display()))?
    } else {
        std::fs::create_dir_all(&dir).map_err(|e| format!("failed to create {}: {e}", dir.display()))?;
        gix::init_bare(&dir).map_err(|e| format!("failed to create the mirror of {repository:?} at {}: {e}", dir.display()))?
    };
    pull(&repo, repository, auth, timeout).map_err(|e| format!("failed to fetch {repository:?}: {e}"))?;
    // Reopen, so what the fetch wrote (packs, refs) is certainly seen.
    gix::open(&dir).map_err(|e| format!("failed to open the mirror of {repository:?}: {e}"))
}

/// One directory per repository address; the address itself may hold a
/// user name, so the directory is named by its hash.
fn mirror_dir(repository: &str) -> PathBuf {
    let digest = Sha256::digest(repository.as_bytes());
    let name: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    cache_dir().join(name)
}

/// Fetches every branch, tag and the remote's `HEAD` into the mirror.
fn pull(repo: &gix::Repository, repository: &str, auth: Option<&BasicAuth>, timeout: Duration) -> Result<(), String> {
    use gix::credentials::helper::Action;
    let specs = ["+HEAD:refs/remotes/origin/HEAD", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];
    let remote = repo.remote_at(repository).map_err(chain)?.with_refspecs(specs, gix::remote::Direction::Fetch).map_err(chain)?;
    let mut connection = remote.connect(gix::remote::Direction::Fetch).map_err(chain)?;
    // Credentials come from the block only: never from git's helpers or a
    // prompt, which an agent has no one to answer.
    let auth = auth.cloned();
    connection.set_credentials(move |action| match (&auth, action) {
        (Some(auth), Action::Get(ctx)) => Ok(Some(gix::credentials::protocol::Outcome {
            credentials: gix::sec::identity::Credentials::UsernamePassword {
                username: auth.username.clone(),
                password: auth.password.expose().to_string(),
                oauth_refresh_token: None,
            },
            next: ctx.into(),
        })),
        (None, Action::Get(_)) => Err(gix::Error::from_error(std::io::Error::other("the repository asks for credentials: give them in a basic_auth block"))),
        _ => Ok(None),
    });
    // Every request of the pull ends within `pull_timeout`; the rest of
    // the HTTP settings are what the mirror's (empty) git config gives.
    if let Ok(Some(mut options)) = repo.transport_options(repository, None) {
        if let Some(http) = options.downcast_mut::<gix_transport::client::blocking_io::http::Options>() {
            let client = gix_transport::client::blocking_io::http::reqwest::Options {
                configure_client: Some(Box::new(move |builder| Ok(builder.timeout(timeout)))),
                configure_request: None,
            };
            http.backend = Some(Arc::new(Mutex::new(client)));
        }
        connection.set_transport_options(options);
    }
    let interrupt = AtomicBool::new(false);
    connection.prepare_fetch(gix::progress::Discard, Default::default()).map_err(chain)?.receive(gix::progress::Discard, &interrupt).map_err(chain)?;
    Ok(())
}

/// An error with every cause, on one line: gix's own `Display` shows only
/// the outermost ("handshake failed"), not why.
fn chain(e: impl std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.ends_with(&text) {
            out = format!("{out}: {text}");
        }
        cause = c.source();
    }
    out
}

fn text(data: &[u8], path: &str) -> Result<String, String> {
    String::from_utf8(data.to_vec()).map_err(|_| format!("module {path:?} is not UTF-8 text"))
}

/// The mirror directory of `repository`, for tests that look at it.
#[cfg(test)]
pub fn mirror_of(repository: &str) -> PathBuf {
    mirror_dir(repository)
}
