//! [`Encoded`]: an OTLP export request kept as its wire bytes.

use std::marker::PhantomData;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use bytes::{Bytes, BytesMut};
use prost::Message;

use super::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use super::wire::{self, WireError};

/// Which telemetry a payload holds, and what its items are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    Traces,
    Metrics,
    Logs,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        }
    }

    /// What one item is called in metrics and logs: spans, metric points,
    /// log records.
    pub fn item_name(self) -> &'static str {
        match self {
            Signal::Traces => "spans",
            Signal::Metrics => "metric_points",
            Signal::Logs => "log_records",
        }
    }
}

/// The request message type of each signal.
pub trait Request: Message + Default + Send + Sync + 'static {
    const SIGNAL: Signal;
}

impl Request for ExportTraceServiceRequest {
    const SIGNAL: Signal = Signal::Traces;
}
impl Request for ExportMetricsServiceRequest {
    const SIGNAL: Signal = Signal::Metrics;
}
impl Request for ExportLogsServiceRequest {
    const SIGNAL: Signal = Signal::Logs;
}

/// An export request as bytes, the number of items in it, and a decoded
/// view made on first use and shared by every clone. Cloning is two
/// reference-count increments.
///
/// It also carries the address of the client that sent it, when one
/// receiver connection sent all of it: the Collector's `client.Info.Addr`,
/// which `otelcol.processor.k8sattributes` matches to a pod's IP. Batching
/// mixes connections, so a merged request keeps the address only when
/// every part came from the same one.
pub struct Encoded<M> {
    bytes: Bytes,
    items: usize,
    decoded: Arc<OnceLock<Result<Arc<M>, prost::DecodeError>>>,
    peer: Option<IpAddr>,
    _m: PhantomData<fn() -> M>,
}

pub type Traces = Encoded<ExportTraceServiceRequest>;
pub type Metrics = Encoded<ExportMetricsServiceRequest>;
pub type Logs = Encoded<ExportLogsServiceRequest>;

impl<M> Clone for Encoded<M> {
    fn clone(&self) -> Self {
        Encoded { bytes: self.bytes.clone(), items: self.items, decoded: Arc::clone(&self.decoded), peer: self.peer, _m: PhantomData }
    }
}

impl<M> std::fmt::Debug for Encoded<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Encoded({} bytes, {} items)", self.bytes.len(), self.items)
    }
}

impl<M: Request> Encoded<M> {
    /// Takes received bytes after checking them against the OTLP schema
    /// (without allocating) and counting their items.
    pub fn from_bytes(bytes: Bytes) -> Result<Self, WireError> {
        let items = wire::validate(M::SIGNAL, &bytes)?;
        Ok(Encoded { bytes, items, decoded: Arc::new(OnceLock::new()), peer: None, _m: PhantomData })
    }

    /// Bytes cut from a request that was validated (a split by routing
    /// key copies whole fields of it), and their item count: neither is
    /// checked again. With no count, the items are counted.
    pub fn from_validated_part(bytes: Bytes, items: Option<usize>, peer: Option<IpAddr>) -> Self {
        let items = items.unwrap_or_else(|| wire::validate(M::SIGNAL, &bytes).unwrap_or(0));
        Encoded { bytes, items, decoded: Arc::new(OnceLock::new()), peer, _m: PhantomData }
    }

    /// Encodes a message built in memory (a component's own output).
    pub fn from_message(message: M) -> Self {
        let bytes = Bytes::from(message.encode_to_vec());
        let items = wire::validate(M::SIGNAL, &bytes).unwrap_or(0);
        let decoded = Arc::new(OnceLock::new());
        let _ = decoded.set(Ok(Arc::new(message)));
        Encoded { bytes, items, decoded, peer: None, _m: PhantomData }
    }

    /// Concatenates requests into one: the wire encoding of the merged
    /// request, without decoding any of them.
    pub fn concat(parts: &[Self]) -> Self {
        if let [one] = parts {
            return one.clone();
        }
        let len = parts.iter().map(|p| p.bytes.len()).sum();
        let mut buf = BytesMut::with_capacity(len);
        for p in parts {
            buf.extend_from_slice(&p.bytes);
        }
        let items = parts.iter().map(|p| p.items).sum();
        let peer = parts.first().and_then(|first| first.peer).filter(|addr| parts.iter().all(|p| p.peer == Some(*addr)));
        Encoded { bytes: buf.freeze(), items, decoded: Arc::new(OnceLock::new()), peer, _m: PhantomData }
    }

    pub fn signal(&self) -> Signal {
        M::SIGNAL
    }

    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Spans, metric data points or log records.
    pub fn items(&self) -> usize {
        self.items
    }

    pub fn is_empty(&self) -> bool {
        self.items == 0
    }

    /// A clone that shares the bytes but not the decoded view: for holding
    /// a payload long (an exporter's queue), so that a decoded copy made by
    /// a debug exporter (or a split batch) is freed when they are
    /// done with it, not when the queue finally sends. Decoded requests
    /// are several times the size of their bytes.
    pub fn detached(&self) -> Self {
        Encoded { bytes: self.bytes.clone(), items: self.items, decoded: Arc::new(OnceLock::new()), peer: self.peer, _m: PhantomData }
    }

    /// The address of the client that sent all of this request, if known.
    pub fn peer(&self) -> Option<IpAddr> {
        self.peer
    }

    /// This request as sent by `peer` (a receiver sets it per connection).
    pub fn with_peer(mut self, peer: Option<IpAddr>) -> Self {
        self.peer = peer;
        self
    }

    /// A request of other bytes from the same client: what a processor
    /// that rewrites a request returns, so the client's address survives
    /// it.
    pub fn replaced(&self, bytes: Bytes) -> Result<Self, WireError> {
        Ok(Self::from_bytes(bytes)?.with_peer(self.peer))
    }

    /// The decoded request, decoding on first use.
    pub fn decode(&self) -> Result<Arc<M>, prost::DecodeError> {
        self.decoded.get_or_init(|| M::decode(self.bytes.clone()).map(Arc::new)).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::synthetic;

    /// A queue holding a detached payload keeps its bytes, not the decoded
    /// copy another consumer made.
    #[test]
    fn detached_shares_bytes_and_not_the_decoded_view() {
        let original = Traces::from_bytes(Bytes::from(synthetic::request(1, 10).encode_to_vec())).expect("valid request");
        let decoded = original.decode().expect("decodes");
        let kept = original.detached();
        drop(original);
        assert_eq!(Arc::strong_count(&decoded), 1, "only the consumer that decoded still holds the decoded request");
        assert_eq!(kept.items(), 10);
        let again = kept.decode().expect("decodes");
        assert!(!Arc::ptr_eq(&decoded, &again));
        assert_eq!(*decoded, *again);
    }

    /// A batch keeps the sender's address only when one sender sent all of
    /// it: k8sattributes after a batch must not credit one pod with
    /// another's spans.
    #[test]
    fn concat_keeps_the_peer_only_when_every_part_shares_it() {
        let part = |ip: Option<&str>| {
            let t = Traces::from_bytes(Bytes::from(synthetic::request(1, 2).encode_to_vec())).expect("valid request");
            t.with_peer(ip.map(|s| s.parse().expect("ip")))
        };
        let a = || part(Some("10.0.0.1"));
        assert_eq!(Traces::concat(&[a(), a()]).peer(), a().peer());
        assert_eq!(Traces::concat(&[a(), part(Some("10.0.0.2"))]).peer(), None);
        assert_eq!(Traces::concat(&[a(), part(None)]).peer(), None);
        let kept = a().detached();
        assert_eq!(kept.peer(), a().peer());
        assert_eq!(kept.replaced(kept.bytes().clone()).expect("same bytes").peer(), a().peer());
    }
}
