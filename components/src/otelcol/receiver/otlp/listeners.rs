//! Keeping the servers in line with the arguments: start what is asked
//! for, leave alone what did not change, move what moved (binding the new
//! socket before letting the old one go, and staying put if it cannot),
//! stop what was removed, and retry what could not bind. Health and debug info report
//! what is listening where.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio::task::JoinHandle;

use super::export::{Shared, Transport, SIGNALS};
use super::grpc::GrpcHandler;
use super::http::HttpHandler;
use super::TlsArguments;
use crate::component::{Health, HealthCell, HealthState};
use crate::serve::{CertProblem, Limits, MoveError, Server};

/// How often a server that could not bind tries again.
#[cfg(not(test))]
pub(super) const RETRY_INTERVAL: Duration = Duration::from_secs(5);
#[cfg(test)]
pub(super) const RETRY_INTERVAL: Duration = Duration::from_millis(100);

/// What a server is asked to be.
#[derive(Debug, Clone, PartialEq)]
struct Listen {
    endpoint: String,
    tls: Option<TlsArguments>,
}

/// A server and what it was last successfully set to.
struct Running {
    listen: Listen,
    cert: Option<CertProblem>,
    server: Server,
}

#[derive(Debug, Clone, Default)]
enum Status {
    #[default]
    Off,
    Listening {
        endpoint: String,
        addr: SocketAddr,
        /// Where a failed certificate reload shows, with TLS on.
        cert: Option<CertProblem>,
        /// Why the server is not as the arguments ask (it could not move,
        /// or new TLS settings could not be loaded) and serves as before.
        problem: Option<String>,
    },
    Failed {
        endpoint: String,
        error: String,
    },
}

/// The servers' state as the component reports it.
#[derive(Default)]
pub(super) struct Listeners {
    status: Mutex<[Status; 2]>,
    health: HealthCell,
}

/// The servers themselves; owned by the run loop.
#[derive(Default)]
pub(super) struct Supervisor {
    running: [Option<Running>; 2],
    /// Closed servers still finishing their requests.
    draining: Vec<JoinHandle<()>>,
}

impl Supervisor {
    /// Brings the servers in line with the current arguments. Returns false
    /// if a server is not as they ask, so that the caller tries again.
    pub async fn reconcile(&mut self, shared: &Arc<Shared>, listeners: &Listeners) -> bool {
        let settings = shared.settings();
        let mut all_up = true;
        for transport in Transport::ALL {
            let want = match transport {
                Transport::Grpc => settings.args.grpc.as_ref().map(|g| Listen { endpoint: g.endpoint.clone(), tls: g.tls.clone() }),
                Transport::Http => settings.args.http.as_ref().map(|h| Listen { endpoint: h.endpoint.clone(), tls: h.tls.clone() }),
            };
            let slot = &mut self.running[transport as usize];
            if matches!((&*slot, &want), (Some(have), Some(want)) if have.listen == *want) {
                continue;
            }
            let status = match (slot.take(), want) {
                (None, None) => Status::Off,
                (Some(old), None) => {
                    self.draining.push(old.server.close().await);
                    Status::Off
                }
                (None, Some(want)) => match start(transport, &want, shared).await {
                    Ok(running) => slot.insert(running).status(None),
                    Err(error) => Status::Failed { endpoint: want.endpoint, error },
                },
                (Some(running), Some(want)) => match change(running, &want).await {
                    Ok((running, problem)) => slot.insert(running).status(problem),
                    Err((server, error)) => {
                        self.draining.push(server.close().await);
                        Status::Failed { endpoint: want.endpoint, error }
                    }
                },
            };
            let problem = match &status {
                Status::Failed { error, .. } => Some(error),
                Status::Listening { problem, .. } => problem.as_ref(),
                Status::Off => None,
            };
            if let Some(problem) = problem {
                all_up = false;
                // Retries repeat the same failure; say it once.
                if !listeners.failing_with(transport, problem) {
                    tracing::warn!(component = %shared.id(), "{} server: {problem}", transport.as_str());
                }
            }
            listeners.set(transport, status);
        }
        self.draining.retain(|task| !task.is_finished());
        all_up
    }

    /// Closes every server and waits for their requests to finish.
    pub async fn shutdown(mut self, listeners: &Listeners) {
        for slot in &mut self.running {
            if let Some(running) = slot.take() {
                self.draining.push(running.server.close().await);
            }
        }
        *listeners.status.lock().unwrap_or_else(|p| p.into_inner()) = Default::default();
        for task in self.draining {
            let _ = task.await;
        }
        listeners.health.set(HealthState::Exited, "stopped");
    }
}

impl Running {
    fn status(&self, problem: Option<String>) -> Status {
        Status::Listening { endpoint: self.listen.endpoint.clone(), addr: self.server.addr(), cert: self.cert.clone(), problem }
    }
}

async fn start(transport: Transport, listen: &Listen, shared: &Arc<Shared>) -> Result<Running, String> {
    let tls = listen.tls.as_ref().map(TlsArguments::load).transpose()?;
    let listener = Server::bind(&listen.endpoint).await?;
    let (acceptor, cert) = tls.map(|t| (t.acceptor, t.problem)).unzip();
    let server = match transport {
        Transport::Grpc => Server::start("otelcol.receiver.otlp", listener, acceptor, GrpcHandler::new(Arc::clone(shared)), Limits::SERVERS),
        Transport::Http => Server::start("otelcol.receiver.otlp", listener, acceptor, HttpHandler::new(Arc::clone(shared)), Limits::SERVERS),
    }?;
    Ok(Running { listen: listen.clone(), cert, server })
}

/// Moves a running server to a new endpoint or TLS settings. What cannot
/// be changed stays as it was, and the problem says why; `Err` only if
/// the server lost its socket on the way.
async fn change(mut running: Running, want: &Listen) -> Result<(Running, Option<String>), (Server, String)> {
    let mut problems = Vec::new();
    if running.listen.tls != want.tls {
        match want.tls.as_ref().map(TlsArguments::load).transpose() {
            Ok(tls) => {
                let (acceptor, cert) = tls.map(|t| (t.acceptor, t.problem)).unzip();
                running.server.set_tls(acceptor);
                running.cert = cert;
                running.listen.tls = want.tls.clone();
            }
            Err(e) => problems.push(format!("{e}; the TLS settings before still apply")),
        }
    }
    if running.listen.endpoint != want.endpoint {
        match running.server.move_to(&want.endpoint).await {
            Ok(()) => running.listen.endpoint = want.endpoint.clone(),
            Err(MoveError { message, listening: true }) => problems.push(message),
            Err(MoveError { message, listening: false }) => return Err((running.server, message)),
        }
    }
    let problem = (!problems.is_empty()).then(|| problems.join("; "));
    Ok((running, problem))
}

impl Listeners {
    fn set(&self, transport: Transport, status: Status) {
        self.status.lock().unwrap_or_else(|p| p.into_inner())[transport as usize] = status;
        self.refresh();
    }

    /// Health from what listens where, and whether certificates reload.
    fn refresh(&self) {
        let all = self.status.lock().unwrap_or_else(|p| p.into_inner());
        let mut up = Vec::new();
        let mut down = Vec::new();
        for (t, s) in Transport::ALL.iter().zip(all.iter()) {
            let name = protocol(*t);
            match s {
                Status::Off => {}
                Status::Listening { addr, cert, problem, .. } => {
                    up.push(format!("{name} on {addr}{}", if cert.is_some() { " (TLS)" } else { "" }));
                    down.extend(problem.iter().chain(cert.as_ref().and_then(CertProblem::get).as_ref()).map(|p| format!("{name}: {p}")));
                }
                Status::Failed { error, .. } => down.push(format!("{name}: {error}")),
            }
        }
        if down.is_empty() {
            self.health.set(HealthState::Healthy, format!("listening for {}", up.join(" and ")));
        } else {
            self.health.set(HealthState::Unhealthy, down.join("; "));
        }
    }

    fn failing_with(&self, transport: Transport, error: &str) -> bool {
        let all = self.status.lock().unwrap_or_else(|p| p.into_inner());
        match &all[transport as usize] {
            Status::Failed { error: e, .. } => e == error,
            Status::Listening { problem: Some(p), .. } => p == error,
            _ => false,
        }
    }

    pub fn health(&self) -> Health {
        // A certificate reload fails on a handshake, not here: look again,
        // once the servers have been started and until they stop.
        if matches!(self.health.get().state, HealthState::Healthy | HealthState::Unhealthy) {
            self.refresh();
        }
        self.health.get()
    }

    /// Where each server listens, the items accepted and refused per
    /// signal, and the requests refused before their items were counted.
    pub fn debug_info(&self, shared: &Shared) -> Value {
        let status = self.status.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut fields: Vec<(String, Value)> = Transport::ALL
            .iter()
            .zip(status)
            .map(|(t, s)| {
                let v = match s {
                    Status::Off => Value::Null,
                    Status::Listening { endpoint, addr, cert, problem } => {
                        let mut server =
                            vec![("endpoint", Value::from(endpoint)), ("listening", Value::from(addr.to_string())), ("tls", Value::from(cert.is_some()))];
                        server.extend(problem.map(|p| ("error", Value::from(p))));
                        Value::object(server)
                    }
                    Status::Failed { endpoint, error } => Value::object([("endpoint", Value::from(endpoint)), ("error", Value::from(error))]),
                };
                (t.as_str().to_string(), v)
            })
            .collect();
        let counters = shared.counters_if_started();
        for (i, signal) in SIGNALS.iter().enumerate() {
            let sum = |which: fn(&super::export::Counters) -> &[[crate::selfmetrics::Counter; 2]; 3]| {
                counters.map_or(0, |c| which(c)[i].iter().map(|c| c.get()).sum::<u64>())
            };
            let counts = Value::object([
                ("accepted", Value::Number(Number::Uint(sum(|c| &c.accepted)))),
                ("refused", Value::Number(Number::Uint(sum(|c| &c.refused)))),
                ("dropped", Value::Number(Number::Uint(sum(|c| &c.dropped)))),
            ]);
            fields.push((signal.as_str().to_string(), counts));
        }
        let requests = super::export::Unread::ALL.map(|why| {
            let n = counters.map_or(0, |c| c.refused_requests[why as usize].iter().map(|c| c.get()).sum::<u64>());
            (why.as_str(), Value::Number(Number::Uint(n)))
        });
        fields.push(("refused_requests".to_string(), Value::object(requests)));
        Value::object(fields)
    }
}

fn protocol(transport: Transport) -> &'static str {
    match transport {
        Transport::Grpc => "OTLP/gRPC",
        Transport::Http => "OTLP/HTTP",
    }
}
