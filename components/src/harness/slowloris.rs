//! Clients that hold a server's connections the slowloris way, for the
//! tests that show the servers shed them. Blocking sockets: run them with
//! `spawn_blocking`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long a trickling client waits between bytes.
const DRIP: Duration = Duration::from_millis(50);

/// The most bytes a trickling client sends before it gives up on being cut
/// off (about a minute and a half).
const MOST_DRIPS: usize = 2000;

/// `n` connections that send the first byte of a request and nothing more.
pub fn idle_connections(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .filter_map(|_| {
            let mut c = TcpStream::connect(addr).ok()?;
            let _ = c.write_all(b"P");
            Some(c)
        })
        .collect()
}

/// Sends `head` (a request's line and headers, announcing a body) on `c`,
/// then the body one byte at a time, never finishing it. Returns what the
/// server answered once it closes the connection, or what it answered so
/// far when the client gives up. The caller connects, so that it knows
/// the connection is queued before any it opens next.
pub fn trickle_body(mut c: TcpStream, head: &str) -> String {
    let mut answer = Vec::new();
    let _ = c.set_read_timeout(Some(DRIP));
    if c.write_all(head.as_bytes()).is_err() {
        return String::new();
    }
    let mut buf = [0u8; 4096];
    for _ in 0..MOST_DRIPS {
        match c.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
        // A write to a connection the server closed fails: then read
        // what is left of the answer.
        let _ = c.write_all(b"x");
    }
    String::from_utf8_lossy(&answer).into_owned()
}

/// A request announcing a body of 1 MB, for [`trickle_body`].
pub fn post_head(path: &str, content_type: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: 1000000\r\n\r\n")
}
