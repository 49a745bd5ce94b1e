//! `import.file`, `import.string`, `import.http` and `import.git`: where a
//! module's text comes from.
//!
//! An import block's arguments are evaluated when the config loads, with
//! the standard library, `module_path` (the directory of the file the
//! block is written in) and whatever exports and arguments they read,
//! evaluated ahead of the rest of the graph (see
//! [`Controller::load`](crate::runtime::Controller::load)). The module's
//! text is fetched then too, so a broken or unreachable module fails the
//! load and the running graph stays as it was. Each import also reports an [`ImportSource`], which the
//! agent watches (files) or polls (HTTP, git) to reload on a change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use serde::Deserialize;
use solder_components::body::Item;
use solder_components::decode::Schema;
use solder_components::types::{Duration, Secret};
use solder_syntax::diagnostic::attach_source;
use solder_syntax::{ast, Diagnostic, Scope, SourceFile, Value};

/// Where an imported module's text comes from, for the agent to watch it.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportSource {
    /// A file, or a directory of `.alloy` files; watched.
    File(PathBuf),
    /// The same, with `detector = "poll"`: read again every interval.
    PolledFile(PathBuf, StdDuration),
    /// Polled every `poll_frequency`.
    Http { url: String, method: String, headers: BTreeMap<String, solder_syntax::value::Secret>, poll_frequency: StdDuration, poll_timeout: StdDuration },
    /// Written in the config itself (`import.string`): nothing to watch.
    Inline,
    /// Pulled every `pull_frequency`.
    Git {
        repository: String,
        revision: String,
        path: String,
        pull_frequency: StdDuration,
        /// How long one HTTP request of a pull may take.
        pull_timeout: StdDuration,
        basic_auth: Option<super::git::BasicAuth>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileArgs {
    filename: String,
    /// `"fsnotify"` (the default) or `"poll"`.
    #[serde(default)]
    detector: Option<String>,
    #[serde(default = "one_minute")]
    poll_frequency: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StringArgs {
    /// A string or a secret, as in Alloy (`local.file` with `is_secret`).
    content: Secret,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpArgs {
    url: String,
    #[serde(default = "get")]
    method: String,
    /// Secrets, as in Alloy: they may carry tokens.
    #[serde(default)]
    headers: BTreeMap<String, Secret>,
    #[serde(default = "one_minute")]
    poll_frequency: Duration,
    #[serde(default = "ten_seconds")]
    poll_timeout: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GitArgs {
    repository: String,
    #[serde(default = "head")]
    revision: String,
    path: String,
    #[serde(default = "one_minute")]
    pull_frequency: Duration,
    #[serde(default = "ten_seconds")]
    pull_timeout: Duration,
    basic_auth: Option<GitBasicAuth>,
    ssh_key: Option<GitSshKey>,
}

/// `basic_auth`: credentials for a repository served over HTTP(S).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GitBasicAuth {
    username: String,
    password: Option<Secret>,
    /// A file holding the password, read on every pull.
    password_file: Option<String>,
}

/// `ssh_key`: Alloy's credentials for a repository reached over SSH.
/// Decoded so configs written for Alloy load, and refused with a
/// clear error: this build has no SSH transport.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct GitSshKey {
    username: String,
    key: Option<Secret>,
    key_file: Option<String>,
    passphrase: Option<Secret>,
}

fn get() -> String {
    "GET".into()
}
fn head() -> String {
    "HEAD".into()
}
fn one_minute() -> Duration {
    Duration(StdDuration::from_secs(60))
}
fn ten_seconds() -> Duration {
    Duration(StdDuration::from_secs(10))
}

/// What one load fetched over the network, by source, shared by its
/// passes (see [`Known`](crate::runtime::loader::Known)). A failure is
/// not kept: the next pass tries again.
#[derive(Default, Clone)]
pub struct FetchCache(Arc<std::sync::Mutex<Vec<Fetched>>>);

/// A source and the module files it gave.
type Fetched = (ImportSource, Vec<Arc<SourceFile>>);

impl FetchCache {
    fn get_or_fetch(&self, src: &ImportSource, fetch: impl FnOnce() -> Result<Vec<Arc<SourceFile>>, String>) -> Result<Vec<Arc<SourceFile>>, String> {
        let cached = self.0.lock().unwrap_or_else(|p| p.into_inner()).iter().find(|(s, _)| s == src).map(|(_, f)| f.clone());
        if let Some(files) = cached {
            return Ok(files);
        }
        let files = fetch()?;
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push((src.clone(), files.clone()));
        Ok(files)
    }
}

/// The import kinds, by block name.
pub const KINDS: &[&str] = &["import.file", "import.string", "import.http", "import.git"];

/// Evaluates an import block and fetches its module's files. `nested`
/// says whether the block is written in an imported module file; `scope`
/// holds the exports and arguments its expressions may read.
pub fn fetch(
    block: &ast::Block,
    source: &Arc<SourceFile>,
    nested: bool,
    mut scope: Scope,
    cache: &FetchCache,
) -> Result<(Vec<Arc<SourceFile>>, ImportSource), Vec<Diagnostic>> {
    let dir = file_dir(source);
    // Relative paths: from the main config, the working directory (as in
    // Alloy); from a module file, that file's directory.
    let base = if nested { dir.clone() } else { PathBuf::new() };
    scope.vars.insert("module_path".into(), module_path(source));
    let mut ev = solder_syntax::Evaluator::new(&source.text, &scope);
    let body = solder_components::body::evaluate(&mut ev, &block.body, block.name_span()).map_err(|mut d| {
        attach_source(&mut d, source);
        d
    })?;
    let decode_err = |d: Diagnostic| vec![d.with_source(source)];
    let fail = |msg: String| vec![Diagnostic::error(block.name_span(), msg).with_source(source)];
    let label = block.label.as_ref().map(|l| l.value.as_str()).unwrap_or_default();
    match block.full_name().as_str() {
        "import.file" => {
            let args: FileArgs = solder_components::decode::decode(&body).map_err(decode_err)?;
            let path = base.join(&args.filename);
            let files = read_path(&path).map_err(fail)?;
            match args.detector.as_deref() {
                None | Some("fsnotify") => Ok((files, ImportSource::File(path))),
                Some("poll") => Ok((files, ImportSource::PolledFile(path, args.poll_frequency.0))),
                Some(other) => Err(fail(format!("unknown detector {other:?}, expected \"fsnotify\" or \"poll\""))),
            }
        }
        "import.string" => {
            let secret = body.items.iter().any(|i| matches!(i, Item::Attribute { name, value: Value::Secret(_), .. } if name == "content"));
            let args: StringArgs = solder_components::decode::decode(&body).map_err(decode_err)?;
            let file = SourceFile::new(format!("import.string.{label}"), args.content.0.expose());
            // A module that came as a secret is shown as nothing but its
            // shape: every character but line breaks masked.
            let file = if secret { file.with_masked(file.text.chars().map(|c| if c == '\n' { c } else { '*' }).collect()) } else { file };
            Ok((vec![file], ImportSource::Inline))
        }
        "import.http" => {
            let args: HttpArgs = solder_components::decode::decode(&body).map_err(decode_err)?;
            let src = ImportSource::Http {
                url: args.url,
                method: args.method,
                headers: args.headers.into_iter().map(|(k, v)| (k, v.0)).collect(),
                poll_frequency: args.poll_frequency.0,
                poll_timeout: args.poll_timeout.0,
            };
            let files = cache.get_or_fetch(&src, || {
                let text = fetch_http(&src)?;
                let ImportSource::Http { url, .. } = &src else { return Err("not an HTTP import".into()) };
                Ok(vec![SourceFile::new(url.clone(), text)])
            });
            Ok((files.map_err(fail)?, src))
        }
        "import.git" => {
            let args: GitArgs = solder_components::decode::decode(&body).map_err(decode_err)?;
            if args.ssh_key.is_some() {
                return Err(fail("ssh_key: this build fetches git repositories over HTTP(S) or from the local file system, not over SSH".into()));
            }
            let basic_auth = match args.basic_auth {
                None => None,
                Some(auth) => Some(super::git::BasicAuth { username: auth.username, password: password(auth.password, auth.password_file).map_err(fail)? }),
            };
            let src = ImportSource::Git {
                repository: args.repository,
                revision: args.revision,
                path: args.path,
                pull_frequency: args.pull_frequency.0,
                pull_timeout: args.pull_timeout.0,
                basic_auth,
            };
            let files = cache.get_or_fetch(&src, || super::git::fetch(&src)).map_err(fail)?;
            Ok((files, src))
        }
        other => Err(fail(format!("cannot find the definition of component name {other:?}"))),
    }
}

/// The password of a `basic_auth` block: exactly one of `password` and
/// `password_file`.
fn password(password: Option<Secret>, file: Option<String>) -> Result<solder_syntax::value::Secret, String> {
    match (password, file) {
        (Some(p), None) => Ok(p.0),
        (None, Some(f)) => std::fs::read_to_string(&f)
            .map(|p| solder_syntax::value::Secret::new(p.trim_end_matches(['\r', '\n'])))
            .map_err(|e| format!("basic_auth: failed to read password_file {f}: {e}")),
        (Some(_), Some(_)) => Err("basic_auth: at most one of password and password_file can be set".into()),
        (None, None) => Err("basic_auth: one of password and password_file must be set".into()),
    }
}

/// The arguments an import block takes, by block name: what the docs
/// check compares its page with, and which of them are secrets.
pub fn schema(kind: &str) -> Option<Schema> {
    use solder_components::decode::schema::of;
    match kind {
        "import.file" => Some(of::<FileArgs>()),
        // `content` may be a secret but need not be: a plain string shows
        // (Alloy's "secret or string"), a secret value prints as one anyway.
        "import.string" => Some(Schema {
            fields: of::<StringArgs>().fields.into_iter().map(|(k, f)| (k, solder_components::decode::schema::Field { secret: false, ..f })).collect(),
        }),
        "import.http" => Some(of::<HttpArgs>()),
        "import.git" => Some(of::<GitArgs>()),
        _ => None,
    }
}

/// `module_path` for an import block written in `source`.
pub fn module_path(source: &SourceFile) -> Value {
    Value::from(file_dir(source).display().to_string())
}

/// The directory of a file read from disk (`module_path`); empty for a
/// module that came from anywhere else.
fn file_dir(source: &SourceFile) -> PathBuf {
    let path = Path::new(&source.name);
    if source.name.contains("://") || !path.is_file() {
        return PathBuf::new();
    }
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A module file, or every `.alloy` file of a directory in name order.
pub fn read_path(path: &Path) -> Result<Vec<Arc<SourceFile>>, String> {
    if path.is_dir() {
        let mut names: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("failed to read directory {}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "alloy") && p.is_file())
            .collect();
        names.sort();
        return names.iter().map(|p| read_file(p)).collect();
    }
    read_file(path).map(|f| vec![f])
}

fn read_file(path: &Path) -> Result<Arc<SourceFile>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("failed to read file {}: {e}", path.display()))?;
    Ok(SourceFile::new(path.display().to_string(), text))
}

/// Fetches an `import.http` module. Runs on a thread of its own, so it
/// works from inside the agent's runtime and from `solder validate`.
pub fn fetch_http(src: &ImportSource) -> Result<String, String> {
    let ImportSource::Http { url, method, headers, poll_timeout, .. } = src.clone() else { return Err("not an HTTP import".into()) };
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        rt.block_on(async {
            let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| format!("invalid HTTP method {method:?}"))?;
            let client = reqwest::Client::builder().timeout(poll_timeout).build().map_err(|e| e.to_string())?;
            let mut req = client.request(method, &url);
            for (k, v) in &headers {
                req = req.header(k, v.expose());
            }
            let resp = req.send().await.map_err(|e| format!("failed to fetch module from {url}: {e}"))?;
            let status = resp.status();
            if !status.is_success() {
                return Err(format!("failed to fetch module from {url}: unexpected status code {}", status.as_u16()));
            }
            resp.text().await.map_err(|e| format!("failed to read module from {url}: {e}"))
        })
    })
    .join()
    .unwrap_or_else(|_| Err("the HTTP fetch panicked".into()))
}
