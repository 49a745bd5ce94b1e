//! Keeping the servers in line with the arguments: start what is asked
//! for, leave alone what did not change, rebind what moved, stop what was
//! removed, and retry what could not bind. Health and debug info report
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
use super::server::Server;
use super::TlsArguments;
use crate::component::{Health, HealthCell, HealthState};

/// How often a server that could not bind tries again.
#[cfg(not(test))]
pub(super) const RETRY_INTERVAL: Duration = Duration::from_secs(5);
#[cfg(test)]
pub(super) const RETRY_INTERVAL: Duration = Duration::from_millis(100);

/// What identifies a server's socket: a change here means a new socket.
#[derive(Debug, Clone, PartialEq)]
struct Listen {
    endpoint: String,
    tls: Option<TlsArguments>,
}

#[derive(Debug, Clone, Default)]
enum Status {
    #[default]
    Off,
    Listening {
        endpoint: String,
        addr: SocketAddr,
        tls: bool,
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
    running: [Option<(Listen, Server)>; 2],
    /// Closed servers still finishing their requests.
    draining: Vec<JoinHandle<()>>,
}

impl Supervisor {
    /// Brings the servers in line with the current arguments. Returns false
    /// if a server that should run could not start.
    pub async fn reconcile(&mut self, shared: &Arc<Shared>, listeners: &Listeners) -> bool {
        let settings = shared.settings();
        let mut all_up = true;
        for transport in Transport::ALL {
            let want = match transport {
                Transport::Grpc => settings.args.grpc.as_ref().map(|g| Listen { endpoint: g.endpoint.clone(), tls: g.tls.clone() }),
                Transport::Http => settings.args.http.as_ref().map(|h| Listen { endpoint: h.endpoint.clone(), tls: h.tls.clone() }),
            };
            let slot = &mut self.running[transport as usize];
            if matches!((&*slot, &want), (Some((have, _)), Some(want)) if have == want) {
                continue;
            }
            // Close the old socket first: the new one may want its port.
            if let Some((_, old)) = slot.take() {
                self.draining.push(old.close().await);
            }
            let status = match want {
                None => Status::Off,
                Some(listen) => match start(transport, &listen, shared).await {
                    Ok(server) => {
                        let status = Status::Listening { endpoint: listen.endpoint.clone(), addr: server.addr, tls: listen.tls.is_some() };
                        *slot = Some((listen, server));
                        status
                    }
                    Err(error) => {
                        all_up = false;
                        // Retries repeat the same failure; say it once.
                        if !listeners.failing_with(transport, &error) {
                            tracing::warn!(component = %shared.id(), "{} server: {error}", transport.as_str());
                        }
                        Status::Failed { endpoint: listen.endpoint, error }
                    }
                },
            };
            listeners.set(transport, status);
        }
        self.draining.retain(|task| !task.is_finished());
        all_up
    }

    /// Closes every server and waits for their requests to finish.
    pub async fn shutdown(mut self, listeners: &Listeners) {
        for slot in &mut self.running {
            if let Some((_, server)) = slot.take() {
                self.draining.push(server.close().await);
            }
        }
        *listeners.status.lock().unwrap_or_else(|p| p.into_inner()) = Default::default();
        for task in self.draining {
            let _ = task.await;
        }
        listeners.health.set(HealthState::Exited, "stopped");
    }
}

async fn start(transport: Transport, listen: &Listen, shared: &Arc<Shared>) -> Result<Server, String> {
    let tls = listen.tls.as_ref().map(TlsArguments::acceptor).transpose()?;
    match transport {
        Transport::Grpc => Server::start(&listen.endpoint, tls, GrpcHandler::new(Arc::clone(shared))).await,
        Transport::Http => Server::start(&listen.endpoint, tls, HttpHandler::new(Arc::clone(shared))).await,
    }
}

impl Listeners {
    fn set(&self, transport: Transport, status: Status) {
        let mut all = self.status.lock().unwrap_or_else(|p| p.into_inner());
        all[transport as usize] = status;
        let mut up = Vec::new();
        let mut down = Vec::new();
        for (t, s) in Transport::ALL.iter().zip(all.iter()) {
            let name = protocol(*t);
            match s {
                Status::Off => {}
                Status::Listening { addr, tls, .. } => up.push(format!("{name} on {addr}{}", if *tls { " (TLS)" } else { "" })),
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
        matches!(&all[transport as usize], Status::Failed { error: e, .. } if e == error)
    }

    pub fn health(&self) -> Health {
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
                    Status::Listening { endpoint, addr, tls } => {
                        Value::object([("endpoint", Value::from(endpoint)), ("listening", Value::from(addr.to_string())), ("tls", Value::from(tls))])
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
