//! Running the real `solder` binary in tests: a free port, a temporary
//! storage directory, stderr captured to a file, and a small HTTP client.

#![allow(dead_code)]

pub mod git_http;
pub mod peers;

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
        Agent::start_with_env(args, &[])
    }

    /// As [`Agent::start`], with environment variables for the config's
    /// `sys.env` calls.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Agent {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("data");
        Agent::spawn(args, env, dir, &storage)
    }

    /// As [`Agent::start`], keeping the agent's data (`--storage.path`) in
    /// `storage`, which outlives it: what a restart after a crash finds.
    pub fn start_with_storage(args: &[&str], storage: &Path) -> Agent {
        Agent::spawn(args, &[], tempfile::tempdir().unwrap(), storage)
    }

    /// `kill -9`: no shutdown, no flush, nothing saved on the way out.
    pub fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn spawn(args: &[&str], env: &[(&str, &str)], dir: tempfile::TempDir, storage: &Path) -> Agent {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let log = dir.path().join("solder.log");
        let child = Command::new(env!("CARGO_BIN_EXE_solder"))
            .arg("run")
            .args(args)
            .args(["--server.http.listen-addr", &addr, "--storage.path", &storage.display().to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let agent = Agent { child, addr, log, _dir: dir };
        agent.wait_for("the HTTP server", || agent.try_get("/-/ready").is_some());
        // The server answers before the first load has finished; tests
        // start from a loaded (or refused) config.
        agent.wait_for("the first load", || agent.try_get("/api/v0/web/status").is_some_and(|(_, body)| !body.contains("\"lastReload\":null")));
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
    pub fn wait_for(&self, what: &str, done: impl FnMut() -> bool) -> Duration {
        self.wait_up_to(what, Duration::from_secs(20), done)
    }

    /// As [`Agent::wait_for`], for behaviour on a slower schedule of the
    /// config's own, such as a metrics flush interval.
    pub fn wait_up_to(&self, what: &str, deadline: Duration, mut done: impl FnMut() -> bool) -> Duration {
        let start = Instant::now();
        while start.elapsed() < deadline {
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
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
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

/// A port nothing listens on, and one this test process has not handed out
/// before: the kernel may give a just-released port to the next `bind(0)`,
/// and two tests sharing a port (one backend taken down while another test
/// brings its own up) would talk to each other's peers.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Runs `solder tools loadgen` to its end against the OTLP gRPC
/// `endpoint`; returns the spans acknowledged.
pub fn loadgen(endpoint: &str, rate: u64, seconds: f64) -> u64 {
    let out = Command::new(env!("CARGO_BIN_EXE_solder"))
        .args(["tools", "loadgen", "--endpoint", endpoint, "--rate", &rate.to_string(), "--duration", &seconds.to_string()])
        .args(["--spans-per-request", "100", "--connections", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "loadgen failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or_default();
    assert_eq!(last["errors"].as_u64(), Some(0), "every request acknowledged: {stdout}");
    last["spans"].as_u64().unwrap_or(0)
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
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
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

/// An HTTP answer: status, headers (lower-cased names) and body bytes.
pub type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// A request with headers and a binary body.
pub fn send(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<Answer> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(raw.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&raw[..split.min(raw.len())]).into_owned();
    let mut lines = head.lines();
    let code = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())).collect();
    let mut body = raw[split.min(raw.len())..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        body = dechunk(&String::from_utf8_lossy(&body)).into_bytes();
    }
    Ok((code, headers, body))
}

/// The Python interpreter with the OpenTelemetry SDK that scripts/test.sh
/// installs into `.venv` (or `SOLDER_PYTHON`). A test that needs it fails
/// when it is missing: it never skips.
pub fn python() -> PathBuf {
    let candidate = std::env::var_os("SOLDER_PYTHON").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    let works = Command::new(&candidate)
        .args(["-c", "import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.grpc, opentelemetry.exporter.otlp.proto.http, grpc"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(works, "the OpenTelemetry Python SDK is missing at {}: scripts/test.sh installs it into .venv (or set SOLDER_PYTHON)", candidate.display());
    candidate
}

/// A fresh P-256 key and a self-signed certificate for `cn`, written into
/// `dir` by openssl (which scripts/test.sh installs): (certificate, key).
pub fn self_signed(dir: &Path, cn: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join(format!("{cn}.crt")), dir.join(format!("{cn}.key")));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", &format!("/CN={cn}")])
        .args(["-keyout", &key.display().to_string(), "-out", &cert.display().to_string()])
        .output()
        .expect("openssl (installed by scripts/test.sh)");
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    (cert, key)
}

/// Raises this test process's soft open-files limit to the hard one, for
/// tests that hold hundreds of sockets while others run beside them.
pub fn raise_open_files_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit touch only the struct they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
