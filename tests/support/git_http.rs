//! A git smart-HTTP server for tests (`git_http_server.py` beside this
//! file: `git http-backend` behind basic auth, on loopback), and a work
//! tree that pushes to it over HTTP. Used by the runtime's unit tests and
//! by the end-to-end tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

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
    pub push_url: String,
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
