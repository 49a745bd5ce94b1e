//! `import.git` over smart HTTP, against `git http-backend` served by
//! `tests/support/git_http_server.py` on loopback behind basic auth:
//! the module is fetched, a pushed commit is seen on the next pull, and
//! missing or wrong credentials fail with the repository named.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use solder_syntax::value::Secret;

use super::git::{self, BasicAuth};
use super::ImportSource;

/// A running smart-HTTP git server; killed when dropped.
pub struct GitServer {
    child: Child,
    pub port: u16,
    /// Holds the served repositories.
    pub root: tempfile::TempDir,
}

impl Drop for GitServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl GitServer {
    /// Serves an empty bare repository `modules.git` (pushes allowed) to
    /// `user` with `password`.
    pub fn start(user: &str, password: &str) -> GitServer {
        let root = tempfile::tempdir().unwrap();
        run_git(root.path(), &["init", "-q", "--bare", "-b", "main", "modules.git"]);
        run_git(&root.path().join("modules.git"), &["config", "http.receivepack", "true"]);
        let port_file = root.path().join("port");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/git_http_server.py");
        let child = Command::new("python3")
            .arg(script)
            .args([&root.path().display().to_string(), user, password, &port_file.display().to_string()])
            .stderr(std::fs::File::create(root.path().join("server.log")).unwrap())
            .spawn()
            .expect("python3, to serve git over HTTP");
        let started = Instant::now();
        while !port_file.exists() {
            assert!(started.elapsed() < Duration::from_secs(20), "the git HTTP server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        let port = std::fs::read_to_string(&port_file).unwrap().trim().parse().unwrap();
        GitServer { child, port, root }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/modules.git", self.port)
    }

    /// What the server logged: one line per request, with its status.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.path().join("server.log")).unwrap_or_default()
    }
}

pub fn run_git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the git command line");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A work tree whose commits are pushed to a server over HTTP, with the
/// credentials in the push URL.
pub struct Pusher {
    pub work: PathBuf,
    push_url: String,
    _dir: tempfile::TempDir,
}

impl Pusher {
    pub fn new(server: &GitServer, user: &str, password: &str) -> Pusher {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        run_git(&work, &["init", "-q", "-b", "main"]);
        Pusher { work, push_url: format!("http://{user}:{password}@127.0.0.1:{}/modules.git", server.port), _dir: dir }
    }

    /// Commits `files` (path, text) and pushes `main`.
    pub fn push(&self, files: &[(&str, &str)], message: &str) {
        for (path, text) in files {
            let file = self.work.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        run_git(&self.work, &["add", "."]);
        run_git(&self.work, &["commit", "-q", "-m", message]);
        run_git(&self.work, &["push", "-q", &self.push_url, "main"]);
    }
}

fn source(url: &str, revision: &str, path: &str, auth: Option<(&str, &str)>) -> ImportSource {
    ImportSource::Git {
        repository: url.into(),
        revision: revision.into(),
        path: path.into(),
        pull_frequency: Duration::from_secs(60),
        basic_auth: auth.map(|(u, p)| BasicAuth { username: u.into(), password: Secret::new(p) }),
    }
}

fn texts(src: &ImportSource) -> Result<Vec<(String, String)>, String> {
    git::fetch(src).map(|files| files.iter().map(|f| (f.name.clone(), f.text.clone())).collect())
}

#[test]
fn a_module_is_fetched_over_smart_http_and_a_pushed_commit_is_seen_on_the_next_pull() {
    let cache = tempfile::tempdir().unwrap();
    git::set_cache_dir(cache.path().to_path_buf());
    let server = GitServer::start("alloy", "s3cret");
    let pusher = Pusher::new(&server, "alloy", "s3cret");
    pusher.push(&[("modules/a.alloy", "declare \"one\" { }\n")], "one");
    run_git(&pusher.work, &["tag", "v1"]);
    run_git(&pusher.work, &["push", "-q", &pusher.push_url, "v1"]);

    let head = source(&server.url(), "HEAD", "modules", Some(("alloy", "s3cret")));
    let url = server.url();
    assert_eq!(texts(&head).unwrap(), [(format!("{url}@HEAD:modules/a.alloy"), "declare \"one\" { }\n".to_string())]);
    assert!(git::mirror_of(&url).starts_with(cache.path()), "the mirror lives in the cache directory");

    pusher.push(&[("modules/a.alloy", "declare \"two\" { }\n")], "two");
    let branch = source(&url, "main", "modules/a.alloy", Some(("alloy", "s3cret")));
    assert_eq!(texts(&branch).unwrap()[0].1, "declare \"two\" { }\n", "the branch moved");
    assert_eq!(texts(&head).unwrap()[0].1, "declare \"two\" { }\n", "HEAD follows the default branch");
    let tag = source(&url, "v1", "modules/a.alloy", Some(("alloy", "s3cret")));
    assert_eq!(texts(&tag).unwrap()[0].1, "declare \"one\" { }\n", "a tag stays where it was");
    assert!(server.log().contains("git-upload-pack"), "fetched through the server:\n{}", server.log());

    let wrong = texts(&source(&url, "main", "modules", Some(("alloy", "guess")))).unwrap_err();
    assert!(wrong.contains(&format!("failed to fetch {url:?}")), "{wrong}");
    let none = texts(&source(&url, "main", "modules", None)).unwrap_err();
    assert!(none.contains("basic_auth"), "{none}");
    assert!(!format!("{branch:?}").contains("s3cret"), "the password prints as (secret): {branch:?}");
}
