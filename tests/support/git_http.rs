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
    /// `http` or `https`.
    pub scheme: &'static str,
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
        GitServer::spawn(user, password, None)
    }

    /// As [`GitServer::start`], over HTTPS with a fresh self-signed
    /// certificate for `localhost` and `127.0.0.1`; returns the
    /// certificate's path too, for the client to trust.
    pub fn start_tls(user: &str, password: &str) -> (GitServer, PathBuf) {
        let certs = tempfile::tempdir().unwrap();
        let (cert, key) = (certs.path().join("server.crt"), certs.path().join("server.key"));
        let out = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost"])
            .args([
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-addext",
                "extendedKeyUsage=serverAuth",
            ])
            .args(["-keyout", &key.display().to_string(), "-out", &cert.display().to_string()])
            .output()
            .expect("openssl");
        assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
        let mut server = GitServer::spawn(user, password, Some((&cert, &key)));
        server.scheme = "https";
        // The certificate lives as long as the server.
        let kept = server.root.path().join("server.crt");
        std::fs::copy(&cert, &kept).unwrap();
        (server, kept)
    }

    fn spawn(user: &str, password: &str, tls: Option<(&Path, &Path)>) -> GitServer {
        let root = tempfile::tempdir().unwrap();
        run_git(root.path(), &["init", "-q", "--bare", "-b", "main", "modules.git"]);
        run_git(&root.path().join("modules.git"), &["config", "http.receivepack", "true"]);
        let port_file = root.path().join("port");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/git_http_server.py");
        let child = Command::new("python3")
            .arg(script)
            .args([&root.path().display().to_string(), user, password, &port_file.display().to_string()])
            .args(tls.iter().flat_map(|(c, k)| [c.display().to_string(), k.display().to_string()]))
            .stderr(std::fs::File::create(root.path().join("server.log")).unwrap())
            .spawn()
            .expect("python3, to serve git over HTTP");
        let started = Instant::now();
        while !port_file.exists() {
            assert!(started.elapsed() < Duration::from_secs(20), "the git HTTP server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        let port = std::fs::read_to_string(&port_file).unwrap().trim().parse().unwrap();
        GitServer { child, port, root, scheme: "http" }
    }

    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}/modules.git", self.scheme, self.port)
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
        if server.scheme == "https" {
            // The pusher is the test's own tool; the agent is what must
            // verify the certificate.
            run_git(&work, &["config", "http.sslVerify", "false"]);
        }
        Pusher { work, push_url: format!("{}://{user}:{password}@127.0.0.1:{}/modules.git", server.scheme, server.port), _dir: dir }
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
