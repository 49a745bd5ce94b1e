//! A stand-in Kubernetes API server for tests: the pods part of the real
//! protocol, over real HTTP on loopback, so the informer is tested with
//! kube's own client code rather than with a mock of it.
//!
//! It serves `GET /api/v1/pods` as a list (a `PodList` with the list's
//! `resourceVersion`) and, with `watch=true`, as a chunked stream of
//! newline-delimited `WatchEvent`s: it replays the events after the
//! requested version, then sends live ADDED/MODIFIED/DELETED events,
//! BOOKMARKs on request, and an `ERROR` carrying a 410 `Status` when the
//! test compacts history with [`KubeStandin::gone`]. The
//! `spec.nodeName` field selector is honoured; every request's path and
//! query is recorded so tests can assert what went on the wire.

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

use crate::sync::lock;

/// A running stand-in; it stops when dropped.
pub struct KubeStandin {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    cancel: CancellationToken,
}

#[derive(Default)]
struct State {
    /// The last resourceVersion handed out.
    rv: u64,
    /// Live pods by UID, each with its current `metadata.resourceVersion`.
    pods: BTreeMap<String, Value>,
    /// Events since the last compaction: (version, type, object).
    history: Vec<(u64, &'static str, Value)>,
    /// A watch from a version below this is answered with 410 Gone.
    floor: u64,
    watchers: Vec<Watch>,
    requests: Vec<String>,
    /// Nodes by name, served at `/api/v1/nodes/{name}`.
    nodes: BTreeMap<String, Value>,
}

struct Watch {
    node: Option<String>,
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

    /// Serves `node` (Node JSON) at `/api/v1/nodes/{metadata.name}`.
    pub fn put_node(&self, node: Value) {
        let name = node["metadata"]["name"].as_str().unwrap_or_default().to_string();
        lock(&self.state).nodes.insert(name, node);
    }

    /// Every request so far, as `path?query` (the query as sent, encoded).
    pub fn requests(&self) -> Vec<String> {
        lock(&self.state).requests.clone()
    }

    /// Creates a pod (ADDED), or replaces one with the same UID (MODIFIED).
    pub fn apply(&self, mut pod: Value) {
        let mut st = lock(&self.state);
        let uid = pod["metadata"]["uid"].as_str().unwrap_or_default().to_string();
        st.rv += 1;
        pod["metadata"]["resourceVersion"] = json!(st.rv.to_string());
        let kind = if st.pods.insert(uid, pod.clone()).is_some() { "MODIFIED" } else { "ADDED" };
        st.publish(kind, pod);
    }

    /// Deletes a pod by UID (DELETED, carrying its last state).
    pub fn delete(&self, uid: &str) {
        let mut st = lock(&self.state);
        if let Some(mut pod) = st.pods.remove(uid) {
            st.rv += 1;
            pod["metadata"]["resourceVersion"] = json!(st.rv.to_string());
            st.publish("DELETED", pod);
        }
    }

    /// Removes a pod without an event, as a change lost to compaction
    /// looks to a watcher: only a relist shows it.
    pub fn forget(&self, uid: &str) {
        let mut st = lock(&self.state);
        st.pods.remove(uid);
        st.rv += 1;
    }

    /// Sends an event for `pod` without changing what is stored, to replay
    /// a stale event (e.g. a DELETED that arrives late).
    pub fn send_event(&self, kind: &'static str, mut pod: Value) {
        let mut st = lock(&self.state);
        st.rv += 1;
        pod["metadata"]["resourceVersion"] = json!(st.rv.to_string());
        st.publish(kind, pod);
    }

    /// Sends a BOOKMARK with the current version to every watch.
    pub fn bookmark(&self) {
        let mut st = lock(&self.state);
        let event = json!({"type": "BOOKMARK", "object": {
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {"resourceVersion": st.rv.to_string()}}});
        st.broadcast(None, &event);
    }

    /// Compacts history as etcd does: live watches get an ERROR with a
    /// 410 Status and end, and a watch from any older version gets the same.
    pub fn gone(&self) {
        let mut st = lock(&self.state);
        st.history.clear();
        st.floor = st.rv;
        let event = expired(st.rv);
        st.broadcast(None, &event);
        st.watchers.clear();
    }

    /// Ends every watch stream cleanly, as the API does when a watch's
    /// timeout runs out; clients are expected to watch again.
    pub fn end_watches(&self) {
        lock(&self.state).watchers.clear();
    }

    /// Open watch streams.
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
    fn publish(&mut self, kind: &'static str, pod: Value) {
        let event = json!({"type": kind, "object": pod});
        self.broadcast(node_of(&pod), &event);
        self.history.push((self.rv, kind, pod));
    }

    /// Sends `event` to the watches whose node filter admits `node`
    /// (`None`: to all).
    fn broadcast(&mut self, node: Option<&str>, event: &Value) {
        let line = line(event);
        self.watchers.retain(|w| {
            let admitted = node.is_none() || w.node.is_none() || w.node.as_deref() == node;
            !admitted || w.tx.send(line.clone()).is_ok()
        });
    }
}

fn serve(state: &Mutex<State>, req: &Request<Body>) -> Response {
    let uri = req.uri();
    let mut st = lock(state);
    st.requests.push(uri.to_string());
    if let Some(name) = uri.path().strip_prefix("/api/v1/nodes/") {
        return match st.nodes.get(name) {
            Some(node) => Response::builder().header("content-type", "application/json").body(Body::from(node.to_string())).unwrap_or_default(),
            None => status(StatusCode::NOT_FOUND, "NotFound", &format!("nodes \"{name}\" not found")),
        };
    }
    if uri.path() != "/api/v1/pods" {
        return status(StatusCode::NOT_FOUND, "NotFound", "the server could not find the requested resource");
    }
    let query: BTreeMap<String, String> =
        uri.query().unwrap_or_default().split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect();
    let node = match query.get("fieldSelector").map(String::as_str) {
        None | Some("") => None,
        Some(sel) => match sel.strip_prefix("spec.nodeName=") {
            Some(n) => Some(n.to_string()),
            None => {
                let msg = format!("field label not supported by the stand-in: {sel}");
                return status(StatusCode::BAD_REQUEST, "BadRequest", &msg);
            }
        },
    };
    let admits = |pod: &Value| node.is_none() || node_of(pod) == node.as_deref();
    let watching = matches!(query.get("watch").map(String::as_str), Some("true" | "1"));
    if !watching {
        let items: Vec<&Value> = st.pods.values().filter(|p| admits(p)).collect();
        let list = json!({"apiVersion": "v1", "kind": "PodList",
            "metadata": {"resourceVersion": st.rv.to_string()}, "items": items});
        return json_response(StatusCode::OK, Body::from(list.to_string()));
    }
    let from: u64 = query.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(st.rv);
    let (tx, rx) = mpsc::unbounded_channel();
    if from < st.floor {
        let _ = tx.send(line(&expired(from)));
    } else {
        for (rv, kind, pod) in &st.history {
            if *rv > from && admits(pod) {
                let _ = tx.send(line(&json!({"type": kind, "object": pod})));
            }
        }
        st.watchers.push(Watch { node, tx });
    }
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx)) });
    json_response(StatusCode::OK, Body::from_stream(stream))
}

fn node_of(pod: &Value) -> Option<&str> {
    pod["spec"]["nodeName"].as_str()
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
