//! A stand-in DNS server for tests of the `dns` resolver, in this crate and
//! end to end (point the agent at it with `SOLDER_DNS_NAMESERVER`): UDP on
//! loopback, the same records for every name asked, and answers the test
//! changes while it runs (records, a refusal, silence).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA};
use hickory_resolver::proto::rr::{RData, Record, RecordType};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use crate::sync::lock;

/// How the server answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// The current records (NXDOMAIN when there are none).
    Answer,
    /// REFUSED, as a server that will not serve the name.
    Refuse,
    /// No answer at all: the resolver's timeout runs out.
    Silent,
}

struct State {
    records: Vec<IpAddr>,
    mode: Mode,
    queries: usize,
}

/// A running server; it stops when dropped.
pub struct DnsStandin {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    cancel: CancellationToken,
}

impl DnsStandin {
    /// Serves `records` (IP addresses; others are ignored) for every name
    /// asked, on an ephemeral loopback port.
    pub async fn start(records: &[&str]) -> std::io::Result<DnsStandin> {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let addr = socket.local_addr()?;
        let state = Arc::new(Mutex::new(State { records: parse(records), mode: Mode::Answer, queries: 0 }));
        let cancel = CancellationToken::new();
        let (st, stop) = (state.clone(), cancel.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let (n, peer) = tokio::select! {
                    _ = stop.cancelled() => return,
                    r = socket.recv_from(&mut buf) => match r {
                        Ok(r) => r,
                        Err(_) => continue,
                    },
                };
                let Ok(query) = Message::from_vec(&buf[..n]) else { continue };
                if let Some(reply) = answer(&st, &query) {
                    let _ = socket.send_to(&reply, peer).await;
                }
            }
        });
        Ok(DnsStandin { addr, state, cancel })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replaces the records every later answer carries.
    pub fn set(&self, records: &[&str]) {
        lock(&self.state).records = parse(records);
    }

    pub fn set_mode(&self, mode: Mode) {
        lock(&self.state).mode = mode;
    }

    /// Queries received so far (A and AAAA count apart).
    pub fn queries(&self) -> usize {
        lock(&self.state).queries
    }
}

impl Drop for DnsStandin {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn parse(records: &[&str]) -> Vec<IpAddr> {
    records.iter().filter_map(|r| r.parse().ok()).collect()
}

/// The reply to `query`, or `None` to stay silent.
fn answer(state: &Mutex<State>, query: &Message) -> Option<Vec<u8>> {
    let mut st = lock(state);
    st.queries += 1;
    let mut reply = Message::new();
    reply.set_id(query.id()).set_message_type(MessageType::Response).set_op_code(query.op_code());
    reply.set_recursion_desired(query.recursion_desired()).set_recursion_available(true).set_authoritative(true);
    for q in query.queries() {
        reply.add_query(q.clone());
    }
    match st.mode {
        Mode::Silent => return None,
        Mode::Refuse => {
            reply.set_response_code(ResponseCode::Refused);
        }
        Mode::Answer if st.records.is_empty() => {
            reply.set_response_code(ResponseCode::NXDomain);
        }
        Mode::Answer => {
            for q in query.queries() {
                for ip in &st.records {
                    let rdata = match (q.query_type(), ip) {
                        (RecordType::A, IpAddr::V4(v4)) => RData::A(A(*v4)),
                        (RecordType::AAAA, IpAddr::V6(v6)) => RData::AAAA(AAAA(*v6)),
                        _ => continue,
                    };
                    // A long TTL: a resolver that cached would miss changes.
                    reply.add_answer(Record::from_rdata(q.name().clone(), 300, rdata));
                }
            }
        }
    }
    reply.to_vec().ok()
}
