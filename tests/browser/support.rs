//! What the UI tests share: a pipeline config with a healthy path, an
//! unhealthy listener and a secret; the load generator; and reading the
//! first events of a server-sent-event stream.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The secret the config reads from a file; it must never be shown.
pub const SECRET: &str = "hunter2-do-not-show";

/// receiver → batch → {otlp exporter to a closed port, spanmetrics →
/// otelcol.exporter.prometheus → prometheus.expose on `taken_port`}; the
/// exporter's `Authorization` header is a secret from `local.file.token`.
pub fn pipeline(dir: &Path, grpc_port: u16, taken_port: u16, extra: &str) -> String {
    let token = dir.join("token.txt");
    std::fs::write(&token, SECRET).unwrap();
    format!(
        r#"{extra}
local.file "token" {{
	filename  = {token:?}
	is_secret = true
}}

otelcol.receiver.otlp "default" {{
	grpc {{
		endpoint = "127.0.0.1:{grpc_port}"
	}}

	output {{
		traces = [otelcol.processor.batch.default.input]
	}}
}}

otelcol.processor.batch "default" {{
	timeout = "100ms"

	output {{
		traces = [otelcol.exporter.otlp.down.input, otelcol.connector.spanmetrics.default.input]
	}}
}}

otelcol.exporter.otlp "down" {{
	client {{
		endpoint = "127.0.0.1:1"
		headers  = {{ "Authorization" = local.file.token.content }}

		tls {{
			insecure = true
		}}
	}}
}}

otelcol.connector.spanmetrics "default" {{
	histogram {{
		explicit {{ }}
	}}
	metrics_flush_interval = "1s"

	output {{
		metrics = [otelcol.exporter.prometheus.default.input]
	}}
}}

otelcol.exporter.prometheus "default" {{
	forward_to = [prometheus.expose.default.receiver]
}}

prometheus.expose "default" {{
	listen_address = "127.0.0.1:{taken_port}"
}}
"#,
        token = token.display().to_string(),
    )
}

/// `solder tools loadgen` sending spans until dropped.
pub struct Loadgen(Child);

impl Loadgen {
    pub fn start(grpc_port: u16) -> Loadgen {
        let child = Command::new(env!("CARGO_BIN_EXE_solder"))
            .args(["tools", "loadgen", "--endpoint", &format!("127.0.0.1:{grpc_port}"), "--rate", "2000", "--duration", "300"])
            .args(["--spans-per-request", "50", "--connections", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Loadgen(child)
    }
}

impl Drop for Loadgen {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Opens `path` on `addr` and reads until `want` events arrived or
/// `within` passed. Returns the status line's code and the `data:` lines.
pub fn sse_events(addr: &str, path: &str, want: usize, within: Duration) -> (u16, Vec<String>, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n").unwrap();
    let start = Instant::now();
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    let events = |raw: &[u8]| -> Vec<String> { String::from_utf8_lossy(raw).lines().filter_map(|l| l.strip_prefix("data: ")).map(str::to_string).collect() };
    while start.elapsed() < within && events(&raw).len() < want {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let code = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, events(&raw), text)
}

/// Writes `text` to the agent's config file and waits until `done`. The
/// agent starts watching the file just after its first load reports
/// ready, so an edit made in that instant can go unseen: while waiting,
/// the file is written again every few seconds (the agent reloads only
/// when the config's hash changed, so a seen edit is not reloaded twice).
pub fn edit_config(agent: &super::support::Agent, path: &Path, text: &str, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    let mut last_write = Instant::now();
    super::support::replace_file(path, text);
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {what}\nlogs:\n{}", agent.logs());
        if last_write.elapsed() > Duration::from_secs(3) {
            super::support::replace_file(path, text);
            last_write = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
