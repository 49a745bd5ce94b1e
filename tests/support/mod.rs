//! Running the real `solder` binary in tests: a free port, a temporary
//! storage directory, stderr captured to a file, and a small HTTP client.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Agent {
    pub child: Child,
    pub addr: String,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Agent {
    /// Starts `solder run` with `args` (a config path, or nothing for the
    /// embedded config) and waits until its HTTP server answers.
    pub fn start(args: &[&str]) -> Agent {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let log = dir.path().join("solder.log");
        let storage = dir.path().join("data");
        let child = Command::new(env!("CARGO_BIN_EXE_solder"))
            .arg("run")
            .args(args)
            .args(["--server.http.listen-addr", &addr, "--storage.path", &storage.display().to_string()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let agent = Agent { child, addr, log, _dir: dir };
        agent.wait_for("the HTTP server", || agent.try_get("/-/ready").is_some());
        agent
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn try_get(&self, path: &str) -> Option<(u16, String)> {
        request(&self.addr, "GET", path).ok()
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        request(&self.addr, "GET", path).unwrap_or_else(|e| panic!("GET {path}: {e}\nlogs:\n{}", self.logs()))
    }

    pub fn post(&self, path: &str) -> (u16, String) {
        request(&self.addr, "POST", path).unwrap_or_else(|e| panic!("POST {path}: {e}\nlogs:\n{}", self.logs()))
    }

    pub fn json(&self, path: &str) -> serde_json::Value {
        let (code, body) = self.get(path);
        assert_eq!(code, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    /// The component with this ID from the API.
    pub fn component(&self, id: &str) -> serde_json::Value {
        self.json(&format!("/api/v0/web/components/{id}"))
    }

    /// Polls until `done` holds. The deadline is generous on purpose: this
    /// waits for behaviour, it does not measure speed (benches do that).
    pub fn wait_for(&self, what: &str, mut done: impl FnMut() -> bool) -> Duration {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if done() {
                return start.elapsed();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("timed out waiting for {what}\nlogs:\n{}", self.logs());
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A minimal HTTP/1.1 request: enough for the agent's own endpoints.
pub fn request(addr: &str, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_string() };
    Ok((code, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Writes a file by renaming a complete new one over it, as editors do.
pub fn replace_file(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}
