//! How long and how many: the bounds every server holds its clients to.

use std::time::Duration;

/// The bounds a server holds its clients to. Production servers use
/// [`Limits::SERVERS`]; tests of the servers run with short ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The most connections open at once. Past it a new connection is
    /// closed as soon as it is accepted, so that idle or trickling
    /// connections cannot exhaust file descriptors and tasks; the client
    /// sees the close and retries.
    pub max_connections: usize,
    /// How long a client gets to finish its TLS handshake.
    pub handshake_timeout: Duration,
    /// How long a new connection gets to send its first request's headers,
    /// and an HTTP/1.1 connection each later request's (the Collector's
    /// `read_header_timeout`). An idle HTTP/1.1 connection is closed after
    /// it too.
    pub header_timeout: Duration,
    /// How long a request's body may take to arrive once its headers have.
    /// Past it the request is answered 408 and, over HTTP/1.1, the
    /// connection is closed.
    pub body_timeout: Duration,
    /// How often an idle HTTP/2 connection is pinged, and how long the
    /// answer may take before the connection is closed.
    pub keep_alive_interval: Duration,
    pub keep_alive_timeout: Duration,
    /// How long a closing server waits for the requests in flight.
    pub drain_timeout: Duration,
}

impl Limits {
    /// What production servers use.
    pub const DEFAULT: Limits = Limits {
        max_connections: 4096,
        handshake_timeout: Duration::from_secs(10),
        header_timeout: Duration::from_secs(60),
        body_timeout: Duration::from_secs(60),
        keep_alive_interval: Duration::from_secs(60),
        keep_alive_timeout: Duration::from_secs(20),
        drain_timeout: Duration::from_secs(5),
    };

    /// What the components' servers use: [`Limits::DEFAULT`], and in this
    /// crate's tests bounds short enough to watch them act.
    #[cfg(not(test))]
    pub const SERVERS: Limits = Limits::DEFAULT;
    #[cfg(test)]
    pub const SERVERS: Limits = Limits {
        max_connections: 64,
        handshake_timeout: Duration::from_secs(2),
        header_timeout: Duration::from_secs(2),
        body_timeout: Duration::from_secs(2),
        keep_alive_interval: Duration::from_secs(60),
        keep_alive_timeout: Duration::from_secs(20),
        drain_timeout: Duration::from_secs(5),
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}
