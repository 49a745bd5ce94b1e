//! The edge store: half-seen calls waiting for their other side, bounded in
//! number (`store.max_items`) and in age (`store.ttl`).

use std::collections::{BTreeMap, HashMap};

use tokio::time::Instant;

/// The connection type label: how the client reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(super) enum ConnectionType {
    /// An ordinary request/response call: the label is empty.
    #[default]
    Direct,
    /// A producer/consumer pair through a queue.
    MessagingSystem,
    /// A client span that names a database: the database is the server.
    Database,
    /// One side never arrived and was inferred at expiry.
    VirtualNode,
}

impl ConnectionType {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            ConnectionType::Direct => "",
            ConnectionType::MessagingSystem => "messaging_system",
            ConnectionType::Database => "database",
            ConnectionType::VirtualNode => "virtual_node",
        }
    }
}

/// Which call an edge is: the trace, and the client's span id (which is the
/// server's parent span id). A zero span id is a server span with no parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct EdgeKey {
    pub trace: [u8; 16],
    pub span: [u8; 8],
}

impl EdgeKey {
    /// `None` for ids of the wrong length; an empty span id is the root.
    pub(super) fn new(trace: &[u8], span: &[u8]) -> Option<EdgeKey> {
        let trace = <[u8; 16]>::try_from(trace).ok()?;
        let span = if span.is_empty() { [0; 8] } else { <[u8; 8]>::try_from(span).ok()? };
        Some(EdgeKey { trace, span })
    }

    pub(super) fn is_root(&self) -> bool {
        self.span == [0; 8]
    }
}

/// One call between two services, as far as it has been seen.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Edge {
    pub client: String,
    pub server: String,
    pub client_latency: f64,
    pub server_latency: f64,
    pub connection_type: ConnectionType,
    pub failed: bool,
    /// `client_<dim>` / `server_<dim>` → value.
    pub dimensions: BTreeMap<String, String>,
    /// The client span's virtual-node peer attributes, by name.
    pub peers: HashMap<String, String>,
}

impl Edge {
    pub(super) fn is_complete(&self) -> bool {
        !self.client.is_empty() && !self.server.is_empty()
    }
}

/// What happened to an upserted span.
#[derive(Debug, PartialEq)]
pub(super) enum Upsert {
    /// Both sides are known: the edge left the store.
    Complete(Edge),
    /// Waiting for the other side.
    Stored,
    /// The store was full; the span was dropped.
    Dropped,
}

struct Stored {
    edge: Edge,
    expires: (Instant, u64),
}

/// Unpaired edges by key, with an index by expiry so expiring is a walk of
/// the oldest entries only.
#[derive(Default)]
pub(super) struct Store {
    edges: HashMap<EdgeKey, Stored>,
    by_expiry: BTreeMap<(Instant, u64), EdgeKey>,
    seq: u64,
}

impl Store {
    pub(super) fn len(&self) -> usize {
        self.edges.len()
    }

    /// Applies one span to the edge `key`, creating it if new. A complete
    /// edge is handed back at once (a database call never waits); a new
    /// incomplete one is kept until `expires`, unless the store already
    /// holds `max_items`.
    pub(super) fn upsert(&mut self, key: EdgeKey, max_items: usize, expires: Instant, apply: impl FnOnce(&mut Edge)) -> Upsert {
        if let Some(stored) = self.edges.get_mut(&key) {
            apply(&mut stored.edge);
            if !stored.edge.is_complete() {
                return Upsert::Stored;
            }
            return match self.edges.remove(&key) {
                Some(stored) => {
                    self.by_expiry.remove(&stored.expires);
                    Upsert::Complete(stored.edge)
                }
                None => Upsert::Stored,
            };
        }
        let mut edge = Edge::default();
        apply(&mut edge);
        if edge.is_complete() {
            return Upsert::Complete(edge);
        }
        if self.edges.len() >= max_items {
            return Upsert::Dropped;
        }
        self.seq += 1;
        let order = (expires, self.seq);
        self.by_expiry.insert(order, key);
        self.edges.insert(key, Stored { edge, expires: order });
        Upsert::Stored
    }

    /// Removes and returns every edge whose ttl has passed at `now`.
    pub(super) fn expire(&mut self, now: Instant) -> Vec<(EdgeKey, Edge)> {
        let mut out = Vec::new();
        while let Some(entry) = self.by_expiry.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let key = entry.remove();
            if let Some(stored) = self.edges.remove(&key) {
                out.push((key, stored.edge));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn key(n: u8) -> EdgeKey {
        EdgeKey { trace: [n; 16], span: [n; 8] }
    }

    #[test]
    fn pairs_drops_when_full_and_expires_in_order() {
        let t0 = Instant::now();
        let mut s = Store::default();
        let client = |e: &mut Edge| e.client = "a".into();
        assert_eq!(s.upsert(key(1), 2, t0 + Duration::from_secs(1), client), Upsert::Stored);
        assert_eq!(s.upsert(key(2), 2, t0 + Duration::from_secs(2), client), Upsert::Stored);
        assert_eq!(s.upsert(key(3), 2, t0, client), Upsert::Dropped);
        let Upsert::Complete(e) = s.upsert(key(1), 2, t0, |e| e.server = "b".into()) else { panic!("not paired") };
        assert_eq!((e.client.as_str(), e.server.as_str()), ("a", "b"));
        assert_eq!(s.len(), 1);
        assert!(s.expire(t0 + Duration::from_millis(1500)).is_empty());
        let expired = s.expire(t0 + Duration::from_secs(2));
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].0, key(2));
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn keys_reject_bad_ids_and_know_roots() {
        assert!(EdgeKey::new(&[1; 15], &[1; 8]).is_none());
        assert!(EdgeKey::new(&[1; 16], &[1; 3]).is_none());
        assert!(EdgeKey::new(&[1; 16], &[]).is_some_and(|k| k.is_root()));
        assert!(EdgeKey::new(&[1; 16], &[2; 8]).is_some_and(|k| !k.is_root()));
    }
}
