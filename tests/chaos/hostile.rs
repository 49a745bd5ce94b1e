//! Hostile clients beside honest ones: the 11 KB gzip bomb of issue 14
//! (about 10 MB of two-byte empty spans and a 2 MiB resource attribute)
//! and a slowloris holding hundreds of connections that trickle their
//! headers. The bomb is refused, the agent's memory stays small, honest
//! clients are still served, and their spans balance.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use crate::pipeline::{Pipeline, BATCH};
use crate::rig::{assert_balance_eventually, assert_final_balance, Backend, Load};
use crate::support::send;

/// Empty spans in the bomb: two bytes each on the wire.
const EMPTY_SPANS: usize = 5_000_000;
const SLOW_CLIENTS: usize = 300;
/// What this process keeps open beside the slow clients: the other chaos
/// tests' sockets, pipes and files (about 30 measured; room for more).
const OTHER_FILES: usize = 96;

#[test]
fn a_gzip_bomb_and_a_slowloris_neither_kill_nor_starve_the_agent() {
    let mut backend = Backend::new();
    backend.up();
    let p = Pipeline::start(&backend);

    // This process holds the slow clients beside the other chaos tests'
    // sockets: a soft limit of 1024 is too few for all of them.
    // Where even the hard limit is that low (256 on some CI runners), as
    // many slow clients as it allows, and never fewer than a hundred.
    crate::support::raise_open_files_limit();
    let clients = SLOW_CLIENTS.min(open_files_limit().saturating_sub(OTHER_FILES));
    assert!(clients >= 100, "an open-files limit of {} leaves room for {clients} slow clients", open_files_limit());
    let slow: Vec<TcpStream> =
        (0..clients).map(|i| TcpStream::connect(&p.at.http).unwrap_or_else(|e| panic!("slow client {i} of {clients} could not connect: {e}"))).collect();
    let load = Load::start(&p.at.grpc, 20_000, 4.0);

    let bomb = bomb();
    assert!(bomb.len() < 64 * 1024, "the bomb is {} bytes compressed", bomb.len());
    for round in 0..3 {
        for mut c in slow.iter() {
            // One more header byte each round: never a whole request.
            let _ = c.write_all(if round == 0 { b"POST /v1/traces HTTP/1.1\r\nX" } else { b"x" });
        }
        let headers = [("Content-Type", "application/x-protobuf"), ("Content-Encoding", "gzip")];
        let (code, _, body) = send(&p.at.http, "POST", "/v1/traces", &headers, &bomb).expect("the agent answers the bomb");
        assert!(code == 400 || code == 413, "the bomb got {code}: {}", String::from_utf8_lossy(&body));
        std::thread::sleep(Duration::from_millis(500));
    }
    let acknowledged = load.acknowledged();
    assert!(acknowledged.spans > 0, "honest clients were starved");

    let peak = peak_rss_mib(p.agent.pid());
    assert!(peak < 256, "the agent's memory peaked at {peak} MiB");
    let (_, dropped) = assert_balance_eventually(&p.agent, &backend, BATCH, acknowledged.spans);
    drop(slow);
    drop(p);
    assert_final_balance(&mut backend, acknowledged.spans, dropped);
}

/// The request of the issue: one resource with a 2 MiB attribute and
/// millions of empty spans, gzip-compressed to a few kilobytes.
fn bomb() -> Vec<u8> {
    let attribute = field(1, &field(1, b"x").into_iter().chain(field(2, &field(1, &vec![b'a'; 2 << 20]))).collect::<Vec<u8>>());
    let resource = field(1, &attribute);
    let scope = field(2, &[0x12, 0x00].repeat(EMPTY_SPANS));
    let request = field(1, &[resource, scope].concat());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&request).expect("gzip");
    gz.finish().expect("gzip")
}

/// A length-delimited protobuf field.
fn field(number: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![number << 3 | 2];
    let mut n = bytes.len();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(bytes);
    out
}

/// This process's soft open-files limit.
fn open_files_limit() -> usize {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes only the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return SLOW_CLIENTS + OTHER_FILES;
    }
    usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
}

/// The agent's peak resident memory so far (VmHWM), in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kb: u64 = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).expect("VmHWM");
    kb / 1024
}
