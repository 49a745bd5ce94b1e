//! [`GrpcTransport`]: one OTLP/gRPC `Export` call per request, with the
//! request's bytes as the message.

use std::sync::{Arc, OnceLock};
use std::time::Duration as StdDuration;

use bytes::{Buf, BufMut, Bytes};
use hyper::http::uri::{Authority, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::ClientConfig;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use super::{unary, Client};
use crate::otelcol::exporter::sending::client::{Compression, RequestHeaders};
use crate::otelcol::exporter::sending::{self, ArgumentError, Payload, SendError, SendFuture, Transport};
use crate::otlp::Signal;

const USER_AGENT: &str = concat!("solder/", env!("CARGO_PKG_VERSION"));

/// Sends to one gRPC endpoint. The channel is made on first use (it
/// spawns a task, so it cannot be made while the config is checked) and
/// reconnects by itself.
pub struct GrpcTransport {
    /// As health and logs show it: `host:port`.
    endpoint: String,
    builder: Endpoint,
    /// `Some` when the connection is TLS: the config and the name to
    /// present and verify.
    tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    host: String,
    port: u16,
    channel: OnceLock<Channel>,
    compression: Compression,
    headers: RequestHeaders,
    timeout: StdDuration,
}

impl GrpcTransport {
    pub fn new(client: &Client, timeout: StdDuration) -> Result<GrpcTransport, ArgumentError> {
        let bad = |m: String| ArgumentError::new("client", m);
        let raw = client.endpoint.trim();
        let (https, rest) = match raw.split_once("://") {
            Some(("https", rest)) => (true, rest),
            Some(("http", rest)) => (false, rest),
            Some(("dns", rest)) => (false, rest.split_once('/').map_or(rest, |(_, r)| r)),
            Some((scheme, _)) => return Err(bad(format!("endpoint {raw:?}: scheme {scheme:?} is not supported; use host:port"))),
            None => (false, raw),
        };
        let authority: Authority = rest.trim_end_matches('/').parse().map_err(|_| bad(format!("endpoint {raw:?} is not a host:port address")))?;
        let tls = https || !client.tls.insecure;
        let port = authority.port_u16().unwrap_or(443);
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_string();
        let target = format!("{}:{port}", authority.host());

        let compression = match client.compression {
            c @ (Compression::Gzip | Compression::Zstd | Compression::Snappy | Compression::None) => c,
            other => return Err(bad(format!("compression {:?} is not supported for gRPC; use \"gzip\", \"zstd\", \"snappy\" or \"none\"", other.name()))),
        };
        let shown = if client.authority.is_empty() { target.clone() } else { client.authority.clone() };
        let origin: Uri = format!("{}://{shown}", if tls { "https" } else { "http" })
            .parse()
            .map_err(|_| bad(format!("authority {:?} is not a valid authority", client.authority)))?;
        let mut builder = Endpoint::from_shared(format!("http://{target}"))
            .map_err(|e| bad(format!("endpoint {raw:?}: {e}")))?
            .origin(origin)
            .user_agent(USER_AGENT)
            .map_err(|e| bad(e.to_string()))?
            .connect_timeout(timeout)
            .tcp_nodelay(true);
        if let Some(k) = &client.keepalive {
            if let Some(wait) = k.ping_wait {
                builder = builder.http2_keep_alive_interval(wait.0);
            }
            if let Some(t) = k.ping_response_timeout {
                builder = builder.keep_alive_timeout(t.0);
            }
            builder = builder.keep_alive_while_idle(k.ping_without_stream);
        }
        let tls = match tls {
            false => None,
            true => {
                let config = client.tls.client_config(&[b"h2"])?;
                let name = match client.tls.server_name() {
                    Some(n) => n,
                    None => ServerName::try_from(host.clone()).map_err(|_| bad(format!("endpoint {raw:?}: {host:?} is not a valid server name")))?,
                };
                Some((config, name))
            }
        };
        Ok(GrpcTransport {
            endpoint: target,
            builder,
            tls,
            host,
            port,
            channel: OnceLock::new(),
            compression,
            headers: RequestHeaders::new(&client.headers, client.auth.as_ref())?,
            timeout,
        })
    }

    fn channel(&self) -> Channel {
        let connect = || match &self.tls {
            None => self.builder.connect_lazy(),
            Some((config, name)) => {
                let (config, name, host, port) = (Arc::clone(config), name.clone(), self.host.clone(), self.port);
                self.builder.connect_with_connector_lazy(tower::service_fn(move |_: Uri| connect_tls(Arc::clone(&config), name.clone(), host.clone(), port)))
            }
        };
        self.channel.get_or_init(connect).clone()
    }

    async fn export(&self, payload: &Payload) -> Result<(), SendError> {
        let signal = payload.signal();
        let call = unary::call(self.channel(), path(signal), self.headers.for_request(), self.compression, payload.bytes(), self.timeout);
        match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Err(SendError::retryable(format!("DEADLINE_EXCEEDED: no response within {:?}", self.timeout))),
            Ok(Err(status)) => Err(classify(&status)),
            Ok(Ok(response)) => {
                sending::partial_success(&response, signal, &self.endpoint);
                Ok(())
            }
        }
    }
}

impl Transport for GrpcTransport {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn destination(&self, _signal: Signal) -> &str {
        &self.endpoint
    }

    fn send<'a>(&'a self, payload: &'a Payload) -> SendFuture<'a> {
        Box::pin(self.export(payload))
    }
}

/// A status the server never sent: the connection broke (a reset, a
/// broken pipe, a GOAWAY that did not include the stream) before a
/// response arrived. tonic reports these as UNKNOWN or INTERNAL with the
/// transport error as the source, but they carry no verdict on the
/// request, so they are worth another attempt, as gRPC's own UNAVAILABLE
/// is. Taking them as permanent dropped whole requests whenever a backend
/// restarted. A status the server did send is decoded from its trailers
/// and has no source.
fn no_server_verdict(status: &Status) -> bool {
    std::error::Error::source(status).is_some()
}

fn path(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        Signal::Metrics => "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
        Signal::Logs => "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    }
}

async fn connect_tls(
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    host: String,
    port: u16,
) -> std::io::Result<TokioIo<tokio_rustls::client::TlsStream<TcpStream>>> {
    let tcp = TcpStream::connect((host.as_str(), port)).await?;
    tcp.set_nodelay(true)?;
    let tls = tokio_rustls::TlsConnector::from(config).connect(name, tcp).await?;
    Ok(TokioIo::new(tls))
}

/// Which failures are worth another attempt, as the Collector's OTLP
/// exporter decides: RESOURCE_EXHAUSTED only when the server says when.
fn classify(status: &Status) -> SendError {
    let retry_after = sending::rpc_status(status.details()).and_then(|(_, delay)| delay);
    // Transport failures carry their cause as the source, and often repeat
    // the message in it.
    let detail = match std::error::Error::source(status).map(sending::error_chain) {
        Some(chain) if chain.contains(status.message()) => chain,
        Some(chain) => format!("{}: {chain}", status.message()),
        None => status.message().to_string(),
    };
    let message = format!("{}: {detail}", code_name(status.code()));
    let retryable = match status.code() {
        Code::Cancelled | Code::DeadlineExceeded | Code::Aborted | Code::OutOfRange | Code::Unavailable | Code::DataLoss => true,
        Code::ResourceExhausted => retry_after.is_some(),
        _ => no_server_verdict(status),
    };
    match retryable {
        true => SendError::throttled(message, retry_after),
        false => SendError::permanent(message),
    }
}

fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// A codec whose messages are already-encoded protobuf: requests go out as
/// the bytes they arrived as, responses come back undecoded.
#[derive(Debug, Clone, Copy, Default)]
pub struct Passthrough;

impl Codec for Passthrough {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = Passthrough;
    type Decoder = Passthrough;

    fn encoder(&mut self) -> Passthrough {
        Passthrough
    }

    fn decoder(&mut self) -> Passthrough {
        Passthrough
    }
}

impl Encoder for Passthrough {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for Passthrough {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
