//! A stand-in Kubernetes API server for tests: the list/watch part of the
//! real protocol, over real HTTP on loopback, so informers are tested with
//! kube's own client code rather than with a mock of it.
//!
//! Every [`Kind`] is served the same way at its collection path (e.g.
//! `GET /api/v1/pods`, `/apis/apps/v1/replicasets`, and for namespaced
//! kinds also `/api/v1/namespaces/{ns}/pods`): as a list (the kind's
//! `…List` with the list's `resourceVersion`) and, with `watch=true`, as a
//! chunked stream of newline-delimited `WatchEvent`s. A watch replays the
//! events after the requested version, then sends live ADDED/MODIFIED/
//! DELETED events, BOOKMARKs on request, and an `ERROR` carrying a 410
//! `Status` when the test compacts history with [`KubeStandin::gone`]. One
//! `resourceVersion` counter is shared by all kinds, as etcd's is. Field
//! selectors on `metadata.name`, `metadata.namespace` (and `spec.nodeName`
//! for pods) and equality label selectors are honoured; a client asking for
//! metadata only (`Accept: …;as=PartialObjectMetadata…`) gets
//! `PartialObjectMetadata`, as from the real server. Every request's path
//! and query is recorded so tests can assert what went on the wire.

mod selector;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use self::selector::Selector;
use crate::sync::lock;

/// The kinds the stand-in serves; adding one is a row in [`Kind::info`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Pod,
    Namespace,
    Node,
    ReplicaSet,
    Service,
    Endpoints,
    EndpointSlice,
}

/// How a kind is addressed and named on the wire.
struct KindInfo {
    /// The all-namespaces collection path.
    path: &'static str,
    kind: &'static str,
    api_version: &'static str,
    namespaced: bool,
    /// Field selectors the kind supports beyond `metadata.name` and
    /// `metadata.namespace`.
    fields: &'static [&'static str],
}

impl Kind {
    pub const ALL: [Kind; 7] = [Kind::Pod, Kind::Namespace, Kind::Node, Kind::ReplicaSet, Kind::Service, Kind::Endpoints, Kind::EndpointSlice];

    fn info(self) -> KindInfo {
        let (path, kind, api_version, namespaced, fields): (_, _, _, _, &'static [&'static str]) = match self {
            Kind::Pod => ("/api/v1/pods", "Pod", "v1", true, &["spec.nodeName"]),
            Kind::Namespace => ("/api/v1/namespaces", "Namespace", "v1", false, &[]),
            Kind::Node => ("/api/v1/nodes", "Node", "v1", false, &[]),
            Kind::ReplicaSet => ("/apis/apps/v1/replicasets", "ReplicaSet", "apps/v1", true, &[]),
            Kind::Service => ("/api/v1/services", "Service", "v1", true, &[]),
            Kind::Endpoints => ("/api/v1/endpoints", "Endpoints", "v1", true, &[]),
            Kind::EndpointSlice => ("/apis/discovery.k8s.io/v1/endpointslices", "EndpointSlice", "discovery.k8s.io/v1", true, &[]),
        };
        KindInfo { path, kind, api_version, namespaced, fields }
    }
}

/// A running stand-in; it stops when dropped.
pub struct KubeStandin {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    cancel: CancellationToken,
}

#[derive(Default)]
struct State {
    /// The last resourceVersion handed out, shared by all kinds.
    rv: u64,
    /// Live objects per kind, by UID (by `namespace/name` if they have
    /// none), each with its current `metadata.resourceVersion`.
    objects: BTreeMap<Kind, BTreeMap<String, Value>>,
    /// Events since the last compaction.
    history: Vec<Change>,
    /// A watch from a version below this is answered with 410 Gone.
    floor: u64,
    watchers: Vec<Watch>,
    requests: Vec<String>,
    /// The requests that asked for `PartialObjectMetadata`.
    metadata_requests: Vec<String>,
    /// Lists and watches are answered with 500 while set.
    failing: bool,
}

struct Change {
    rv: u64,
    kind: Kind,
    event: &'static str,
    object: Value,
}

struct Watch {
    kind: Kind,
    selector: Selector,
    metadata_only: bool,
    tx: mpsc::UnboundedSender<Bytes>,
}

impl KubeStandin {
    /// Starts serving on an ephemeral loopback port.
    pub async fn start() -> std::io::Result<KubeStandin> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let cancel = CancellationToken::new();
        let st = state.clone();
        let app = Router::new().fallback(move |req: Request<Body>| {
            let st = st.clone();
            async move { serve(&st, &req) }
        });
        let stop = cancel.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).with_graceful_shutdown(async move { stop.cancelled().await }).await;
        });
        Ok(KubeStandin { addr, state, cancel })
    }

    /// The base URL to give a client (`auth_type = "none"`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves `node` (Node JSON), also at `/api/v1/nodes/{metadata.name}`.
    pub fn put_node(&self, node: Value) {
        self.apply_object(Kind::Node, node);
    }

    /// Every request so far, as `path?query` (the query as sent, encoded).
    pub fn requests(&self) -> Vec<String> {
        lock(&self.state).requests.clone()
    }

    /// The requests so far that asked for metadata only, as in
    /// [`KubeStandin::requests`].
    pub fn metadata_requests(&self) -> Vec<String> {
        lock(&self.state).metadata_requests.clone()
    }

    /// Creates an object (ADDED), or replaces one with the same UID
    /// (MODIFIED).
    pub fn apply_object(&self, kind: Kind, mut object: Value) {
        let mut st = lock(&self.state);
        st.rv += 1;
        object["metadata"]["resourceVersion"] = json!(st.rv.to_string());
        let event = if st.objects.entry(kind).or_default().insert(key(&object), object.clone()).is_some() { "MODIFIED" } else { "ADDED" };
        st.publish(kind, event, object);
    }

    /// Deletes an object by namespace (`""` for cluster-scoped kinds) and
    /// name (DELETED, carrying its last state).
    pub fn delete_object(&self, kind: Kind, namespace: &str, name: &str) {
        let mut st = lock(&self.state);
        if let Some(object) = st.take(kind, |o| named(o, namespace, name)) {
            st.deleted(kind, object);
        }
    }

    /// Removes an object without an event, as a change lost to compaction
    /// looks to a watcher: only a relist shows it.
    pub fn forget_object(&self, kind: Kind, namespace: &str, name: &str) {
        let mut st = lock(&self.state);
        st.take(kind, |o| named(o, namespace, name));
        st.rv += 1;
    }

    /// Creates a pod (ADDED), or replaces one with the same UID (MODIFIED).
    pub fn apply(&self, pod: Value) {
        self.apply_object(Kind::Pod, pod);
    }

    /// Deletes a pod by UID (DELETED, carrying its last state).
    pub fn delete(&self, uid: &str) {
        let mut st = lock(&self.state);
        if let Some(pod) = st.take(Kind::Pod, |o| o["metadata"]["uid"] == uid) {
            st.deleted(Kind::Pod, pod);
        }
    }

    /// [`KubeStandin::forget_object`] for a pod, by UID.
    pub fn forget(&self, uid: &str) {
        let mut st = lock(&self.state);
        st.take(Kind::Pod, |o| o["metadata"]["uid"] == uid);
        st.rv += 1;
    }

    /// Sends an event for `pod` without changing what is stored, to replay
    /// a stale event (e.g. a DELETED that arrives late).
    pub fn send_event(&self, event: &'static str, mut pod: Value) {
        let mut st = lock(&self.state);
        st.rv += 1;
        pod["metadata"]["resourceVersion"] = json!(st.rv.to_string());
        st.publish(Kind::Pod, event, pod);
    }

    /// Sends a BOOKMARK with the current version to every watch.
    pub fn bookmark(&self) {
        let mut st = lock(&self.state);
        let rv = st.rv.to_string();
        st.watchers.retain(|w| {
            let (kind, api_version) =
                if w.metadata_only { ("PartialObjectMetadata", "meta.k8s.io/v1") } else { (w.kind.info().kind, w.kind.info().api_version) };
            let event = json!({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": rv}}});
            w.tx.send(line(&event)).is_ok()
        });
    }

    /// Compacts history as etcd does (for all kinds at once): live watches
    /// get an ERROR with a 410 Status and end, and a watch from any older
    /// version gets the same.
    pub fn gone(&self) {
        let mut st = lock(&self.state);
        st.history.clear();
        st.floor = st.rv;
        let event = line(&expired(st.rv));
        for w in st.watchers.drain(..) {
            let _ = w.tx.send(event.clone());
        }
    }

    /// Ends every watch stream cleanly, as the API does when a watch's
    /// timeout runs out; clients are expected to watch again.
    pub fn end_watches(&self) {
        lock(&self.state).watchers.clear();
    }

    /// While `failing`, lists and watches are answered with a 500 `Status`
    /// (an API server restarting or overloaded); open watches are left be.
    pub fn set_failing(&self, failing: bool) {
        lock(&self.state).failing = failing;
    }

    /// Open watch streams, of all kinds.
    pub fn watches(&self) -> usize {
        let mut st = lock(&self.state);
        st.watchers.retain(|w| !w.tx.is_closed());
        st.watchers.len()
    }
}

impl Drop for KubeStandin {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl State {
    /// Removes and returns the first object of `kind` that `pick` chooses.
    fn take(&mut self, kind: Kind, pick: impl Fn(&Value) -> bool) -> Option<Value> {
        let store = self.objects.entry(kind).or_default();
        let k = store.iter().find(|(_, o)| pick(o)).map(|(k, _)| k.clone())?;
        store.remove(&k)
    }

    fn deleted(&mut self, kind: Kind, mut object: Value) {
        self.rv += 1;
        object["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.publish(kind, "DELETED", object);
    }

    fn publish(&mut self, kind: Kind, event: &'static str, object: Value) {
        self.watchers.retain(|w| w.kind != kind || !w.selector.admits(&object) || w.tx.send(watch_line(event, &object, w.metadata_only)).is_ok());
        self.history.push(Change { rv: self.rv, kind, event, object });
    }
}

fn serve(state: &Mutex<State>, req: &Request<Body>) -> Response {
    let uri = req.uri();
    let mut st = lock(state);
    st.requests.push(uri.to_string());
    let Some((kind, namespace, name)) = route(uri.path()) else {
        return status(StatusCode::NOT_FOUND, "NotFound", "the server could not find the requested resource");
    };
    if st.failing {
        return status(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "the stand-in is failing on request");
    }
    let info = kind.info();
    let metadata_only = req.headers().get("accept").and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("as=PartialObjectMetadata"));
    if metadata_only {
        st.metadata_requests.push(uri.to_string());
    }
    if let Some(name) = name {
        let found = st.objects.get(&kind).and_then(|s| s.values().find(|o| named(o, namespace.unwrap_or_default(), name)));
        return match found {
            Some(o) => json_response(StatusCode::OK, Body::from(render(o, metadata_only).to_string())),
            None => status(StatusCode::NOT_FOUND, "NotFound", &format!("{} \"{name}\" not found", info.path.rsplit('/').next().unwrap_or_default())),
        };
    }
    let query: BTreeMap<String, String> =
        uri.query().unwrap_or_default().split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect();
    let mut fields: Vec<&str> = vec!["metadata.name"];
    if info.namespaced {
        fields.push("metadata.namespace");
    }
    fields.extend(info.fields);
    let mut field_text = query.get("fieldSelector").cloned().unwrap_or_default();
    if let Some(ns) = namespace {
        field_text = format!("{field_text},metadata.namespace={ns}");
    }
    let selector = Selector::fields(&field_text, &fields).and_then(|f| Ok((f, Selector::labels(query.get("labelSelector").map_or("", String::as_str))?)));
    let (fields, labels) = match selector {
        Ok(s) => s,
        Err(msg) => return status(StatusCode::BAD_REQUEST, "BadRequest", &msg),
    };
    let selector = fields.and(labels);
    let watching = matches!(query.get("watch").map(String::as_str), Some("true" | "1"));
    if !watching {
        let mut items: Vec<&Value> = st.objects.get(&kind).into_iter().flat_map(|s| s.values()).filter(|o| selector.admits(o)).collect();
        // In etcd's key order, as the real server lists.
        items.sort_by_key(|o| (o["metadata"]["namespace"].as_str().unwrap_or_default(), o["metadata"]["name"].as_str().unwrap_or_default()));
        let items: Vec<Value> = items.into_iter().map(|o| render(o, metadata_only)).collect();
        let (list_kind, api_version) =
            if metadata_only { ("PartialObjectMetadataList".to_string(), "meta.k8s.io/v1") } else { (format!("{}List", info.kind), info.api_version) };
        let list = json!({"apiVersion": api_version, "kind": list_kind,
            "metadata": {"resourceVersion": st.rv.to_string()}, "items": items});
        return json_response(StatusCode::OK, Body::from(list.to_string()));
    }
    let from: u64 = query.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(st.rv);
    let (tx, rx) = mpsc::unbounded_channel();
    if from < st.floor {
        let _ = tx.send(line(&expired(from)));
    } else {
        for c in &st.history {
            if c.rv > from && c.kind == kind && selector.admits(&c.object) {
                let _ = tx.send(watch_line(c.event, &c.object, metadata_only));
            }
        }
        st.watchers.push(Watch { kind, selector, metadata_only, tx });
    }
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx)) });
    json_response(StatusCode::OK, Body::from_stream(stream))
}

/// The kind a path addresses, the namespace it is confined to, and the
/// object's name when it names one: `{collection}`, `{collection}/{name}`
/// (cluster-scoped kinds), `…/namespaces/{ns}/{plural}[/{name}]`.
fn route(path: &str) -> Option<(Kind, Option<&str>, Option<&str>)> {
    for kind in Kind::ALL {
        let info = kind.info();
        if path == info.path {
            return Some((kind, None, None));
        }
        if !info.namespaced {
            if let Some(name) = path.strip_prefix(info.path).and_then(|r| r.strip_prefix('/')).filter(|n| !n.contains('/')) {
                return Some((kind, None, Some(name)));
            }
            continue;
        }
        let Some((base, plural)) = info.path.rsplit_once('/') else { continue };
        let Some(rest) = path.strip_prefix(base).and_then(|r| r.strip_prefix("/namespaces/")) else { continue };
        let mut parts = rest.split('/');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(ns), Some(p), None, None) if p == plural => return Some((kind, Some(ns), None)),
            (Some(ns), Some(p), Some(name), None) if p == plural => return Some((kind, Some(ns), Some(name))),
            _ => {}
        }
    }
    None
}

/// Where an object is stored: its UID, or `namespace/name` without one.
fn key(object: &Value) -> String {
    let meta = &object["metadata"];
    match meta["uid"].as_str() {
        Some(uid) if !uid.is_empty() => uid.to_string(),
        _ => format!("{}/{}", meta["namespace"].as_str().unwrap_or_default(), meta["name"].as_str().unwrap_or_default()),
    }
}

fn named(object: &Value, namespace: &str, name: &str) -> bool {
    let meta = &object["metadata"];
    meta["namespace"].as_str().unwrap_or_default() == namespace && meta["name"].as_str() == Some(name)
}

/// The object as served: whole, or as `PartialObjectMetadata`.
fn render(object: &Value, metadata_only: bool) -> Value {
    if metadata_only {
        json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": object["metadata"]})
    } else {
        object.clone()
    }
}

fn watch_line(event: &str, object: &Value, metadata_only: bool) -> Bytes {
    line(&json!({"type": event, "object": render(object, metadata_only)}))
}

fn line(event: &Value) -> Bytes {
    let mut s = event.to_string();
    s.push('\n');
    Bytes::from(s)
}

/// The ERROR event the API sends for a compacted version.
fn expired(from: u64) -> Value {
    json!({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": format!("too old resource version: {from}"),
        "reason": "Expired", "code": 410}})
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code.as_u16()});
    json_response(code, Body::from(body.to_string()))
}

fn json_response(code: StatusCode, body: Body) -> Response {
    let mut resp = Response::new(body);
    *resp.status_mut() = code;
    resp.headers_mut().insert("content-type", axum::http::HeaderValue::from_static("application/json"));
    resp
}

/// Percent-decodes a query component (`+` is a space, as in forms).
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escaped = match (b[i], b.get(i + 1), b.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| (h * 16 + l) as u8),
            _ => None,
        };
        match (escaped, b[i]) {
            (Some(v), _) => {
                out.push(v);
                i += 2;
            }
            (None, b'+') => out.push(b' '),
            (None, c) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
