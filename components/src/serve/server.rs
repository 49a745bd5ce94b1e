//! A listening socket and the connections it accepts: start, move to a
//! new address without a gap, change TLS settings in place, and close
//! while letting requests in flight finish.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::connection::{connection, Context};
use super::{Handler, Limits};

/// A running server.
pub struct Server {
    addr: SocketAddr,
    tls: Arc<Mutex<Option<TlsAcceptor>>>,
    swap: mpsc::Sender<Swap>,
    stop: CancellationToken,
    closed: oneshot::Receiver<()>,
    task: JoinHandle<()>,
}

/// Hands the accept loop a new socket (or none) and gets the old one back.
struct Swap {
    listener: Option<TcpListener>,
    old: oneshot::Sender<Option<TcpListener>>,
}

/// See [`Server::tls_switch`].
#[derive(Clone)]
pub struct TlsSwitch(Arc<Mutex<Option<TlsAcceptor>>>);

impl TlsSwitch {
    pub fn set(&self, tls: Option<TlsAcceptor>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = tls;
    }
}

/// Why a server could not move; `listening` says whether it still serves
/// where it was.
#[derive(Debug)]
pub struct MoveError {
    pub message: String,
    pub listening: bool,
}

/// Connections the kernel completes before the accept loop takes them.
/// tokio's default (128 on some kernels' effective limits, 1024 asked) is
/// what a burst of connections fills while the agent is busy, and then
/// honest clients are refused with the attackers; Go servers, and so the
/// Collector, ask for the system's maximum (`somaxconn`, which caps this).
const BACKLOG: u32 = 4096;

/// Binds like `TcpListener::bind` (address reuse, the first address that
/// binds), with [`BACKLOG`].
async fn listen(endpoint: &str) -> std::io::Result<TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host(endpoint).await? {
        let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|()| socket.listen(BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "the address resolves to nothing")))
}

impl Server {
    /// Binds `endpoint`, with a message fit for a component's health.
    pub async fn bind(endpoint: &str) -> Result<TcpListener, String> {
        listen(endpoint).await.map_err(|e| format!("cannot listen on {endpoint}: {e}"))
    }

    /// Starts accepting on `listener`. `name` prefixes the server's logs.
    pub fn start<H: Handler>(name: &'static str, listener: TcpListener, tls: Option<TlsAcceptor>, handler: H, limits: Limits) -> Result<Server, String> {
        let addr = listener.local_addr().map_err(|e| format!("cannot listen: {e}"))?;
        let stop = CancellationToken::new();
        let tls = Arc::new(Mutex::new(tls));
        let (closed_tx, closed) = oneshot::channel();
        let (swap, swaps) = mpsc::channel(1);
        let cx = Arc::new(Context { name, handler, limits, tls: Arc::clone(&tls), stop: stop.clone() });
        let task = tokio::spawn(accept(listener, swaps, cx, closed_tx));
        Ok(Server { addr, tls, swap, stop, closed, task })
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// New TLS settings (or none) for the connections accepted from now on.
    pub fn set_tls(&self, tls: Option<TlsAcceptor>) {
        *self.tls.lock().unwrap_or_else(|p| p.into_inner()) = tls;
    }

    /// A handle that sets the TLS of new connections from elsewhere, for a
    /// server whose settings arrive after it started (the agent's own,
    /// configured by the `http` block of a config loaded later).
    pub fn tls_switch(&self) -> TlsSwitch {
        TlsSwitch(Arc::clone(&self.tls))
    }

    /// Moves to `endpoint`: binds it first and only then lets the old
    /// socket go, so there is no moment with nothing listening, and a new
    /// address that cannot be bound leaves the server where it was.
    /// Connections already accepted carry on either way.
    ///
    /// The one exception: when the new address is taken on the old one's
    /// port (say, from `0.0.0.0:4317` to `127.0.0.1:4317`) the old socket
    /// is what is in the way, so it is let go first, and taken back if the
    /// new one still cannot be bound.
    pub async fn move_to(&mut self, endpoint: &str) -> Result<(), MoveError> {
        let first = match listen(endpoint).await {
            Ok(listener) => return self.install(Some(listener)).await,
            Err(e) => e,
        };
        let same_port = endpoint.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()) == Some(self.addr.port());
        let old_addr = self.addr;
        let message = |e: &std::io::Error| format!("cannot listen on {endpoint}: {e}; still listening on {old_addr}");
        if first.kind() != std::io::ErrorKind::AddrInUse || !same_port {
            return Err(MoveError { message: message(&first), listening: true });
        }
        self.install(None).await?;
        let error = match listen(endpoint).await {
            Ok(listener) => return self.install(Some(listener)).await,
            Err(e) => e,
        };
        match listen(&old_addr.to_string()).await {
            Ok(old) => {
                self.install(Some(old)).await?;
                Err(MoveError { message: message(&error), listening: true })
            }
            Err(again) => Err(MoveError { message: format!("cannot listen on {endpoint}: {error}, nor again on {old_addr}: {again}"), listening: false }),
        }
    }

    async fn install(&mut self, listener: Option<TcpListener>) -> Result<(), MoveError> {
        let addr = listener.as_ref().map(TcpListener::local_addr).transpose();
        let gone = || MoveError { message: "the server has stopped".into(), listening: false };
        let (old, replaced) = oneshot::channel();
        self.swap.send(Swap { listener, old }).await.map_err(|_| gone())?;
        drop(replaced.await.map_err(|_| gone())?);
        if let Some(addr) = addr.map_err(|e| MoveError { message: format!("cannot listen: {e}"), listening: false })? {
            self.addr = addr;
        }
        Ok(())
    }

    /// Stops accepting and returns once the socket is closed, so that the
    /// address can be bound again. Requests in flight carry on; the
    /// returned task ends when they have finished.
    pub async fn close(self) -> JoinHandle<()> {
        self.stop.cancel();
        let _ = self.closed.await;
        self.task
    }
}

async fn accept<H: Handler>(listener: TcpListener, mut swaps: mpsc::Receiver<Swap>, cx: Arc<Context<H>>, closed: oneshot::Sender<()>) {
    let mut listener = Some(listener);
    let mut connections = JoinSet::new();
    let max = cx.limits.max_connections;
    loop {
        let accepting = async {
            match &listener {
                Some(l) => l.accept().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = cx.stop.cancelled() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            Some(swap) = swaps.recv() => {
                let old = std::mem::replace(&mut listener, swap.listener);
                let _ = swap.old.send(old);
            }
            accepted = accepting => match accepted {
                Ok((stream, peer)) if connections.len() >= max => {
                    tracing::debug!("{}: {max} connections open; closing the one from {peer}", cx.name);
                    drop(stream);
                }
                Ok((stream, peer)) => {
                    connections.spawn(connection(stream, peer, Arc::clone(&cx)));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off
                    // rather than spin; the listener is still good.
                    tracing::warn!("{}: accept failed: {e}", cx.name);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(listener);
    let _ = closed.send(());
    let drain = cx.limits.drain_timeout;
    let drained = tokio::time::timeout(drain, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!("{}: {} connections still busy after {drain:?}; closing them", cx.name, connections.len());
        connections.abort_all();
    }
}
