//! The agent's HTTP server: readiness and health probes, reload, the
//! agent's own metrics, and the JSON API the UI reads.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value as Json_};
use solder_components::body::{EvalBody, Item};
use solder_components::serve::{Limits, Server};
use solder_components::HealthState;
use solder_syntax::{Diagnostic, Value};
use tokio::sync::mpsc;
use tonic::codegen::tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::tokio_stream::StreamExt;

use super::metrics;
use super::ui::model::{health_json, GraphModel};
use super::Agent;
use crate::runtime::controller::Node;
use crate::runtime::flow::EdgeView;

/// What every handler, API and UI alike, is given.
#[derive(Clone)]
pub struct AppState {
    pub agent: Arc<Agent>,
    evaluations: Arc<metrics::Evaluations>,
}

pub fn router(agent: Arc<Agent>, allowed: super::origin::AllowedHosts) -> Router {
    let auth = agent.http_auth.clone();
    let state = AppState { agent, evaluations: Arc::new(metrics::Evaluations::default()) };
    Router::new()
        .route("/-/ready", get(ready))
        .route("/-/healthy", get(healthy))
        .route("/-/reload", get(reload).post(reload))
        .route("/metrics", get(metrics_handler))
        .route("/api/v0/web/components", get(components))
        .route("/api/v0/web/components/{*id}", get(component))
        .route("/api/v0/web/modules/{*id}", get(module_components))
        .route("/api/v0/web/status", get(status))
        .route("/api/v0/web/graph", get(graph))
        .route("/api/v0/web/graph/stream", get(graph_stream))
        .route("/api/v0/web/debug/{*id}", get(debug_stream))
        .merge(super::ui::routes())
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(allowed, super::origin::guard))
        .layer(axum::middleware::from_fn_with_state(auth, super::httpauth::guard))
}

/// Binds the listener first, so a taken port is an error at startup rather
/// than a silent background failure.
pub async fn serve(
    agent: Arc<Agent>,
    addr: SocketAddr,
    allowed: super::origin::AllowedHosts,
    shutdown: tokio_util::sync::CancellationToken,
) -> std::io::Result<SocketAddr> {
    let (bound, tls) = serve_app(router(Arc::clone(&agent), allowed), addr, Limits::DEFAULT, shutdown).await?;
    agent.http_auth.set_tls_switch(tls);
    Ok(bound)
}

/// Serves `app` through the components' accept loop, so the UI and API
/// have the same connection limit and header and body timeouts as the
/// pipeline's servers.
async fn serve_app(
    app: Router,
    addr: SocketAddr,
    limits: Limits,
    shutdown: tokio_util::sync::CancellationToken,
) -> std::io::Result<(SocketAddr, solder_components::serve::TlsSwitch)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let server = Server::start("http", listener, None, app, limits).map_err(std::io::Error::other)?;
    let (bound, tls) = (server.addr(), server.tls_switch());
    tokio::spawn(async move {
        shutdown.cancelled().await;
        let _ = server.close().await.await;
    });
    Ok((bound, tls))
}

fn text(code: StatusCode, body: impl Into<String>) -> Response {
    (code, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body.into()).into_response()
}

async fn ready(State(s): State<AppState>) -> Response {
    if s.agent.is_ready() {
        text(StatusCode::OK, "Solder is ready.\n")
    } else {
        text(StatusCode::SERVICE_UNAVAILABLE, "Solder is not ready.\n")
    }
}

async fn healthy(State(s): State<AppState>) -> Response {
    let unhealthy: Vec<String> =
        s.agent.controller.inspect(|nodes| nodes.iter().filter(|n| n.health().state == HealthState::Unhealthy).map(|n| n.decl.id.clone()).collect());
    if unhealthy.is_empty() {
        text(StatusCode::OK, "All Solder components are healthy.\n")
    } else {
        text(StatusCode::INTERNAL_SERVER_ERROR, format!("unhealthy components: {}\n", unhealthy.join(", ")))
    }
}

async fn reload(State(s): State<AppState>, method: axum::http::Method, headers: HeaderMap) -> Response {
    if method != axum::http::Method::POST {
        return text(StatusCode::METHOD_NOT_ALLOWED, "use POST to reload\n");
    }
    let result = s.agent.reload("http").await;
    // The UI's reload form: show the outcome on the config page.
    let from_browser = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if from_browser {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/config")]).into_response();
    }
    match result {
        Ok(_) => text(StatusCode::OK, "config reloaded\n"),
        Err(diags) => text(StatusCode::BAD_REQUEST, solder_syntax::render::render_all(&diags, solder_syntax::render::Style::Plain)),
    }
}

async fn metrics_handler(State(s): State<AppState>) -> Response {
    let body = metrics::render(&s.agent, &s.evaluations);
    (StatusCode::OK, [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], body).into_response()
}

async fn components(State(s): State<AppState>) -> Json<Json_> {
    let flows = s.agent.controller.flow().edges();
    Json(s.agent.controller.inspect(|nodes| Json_::Array(nodes.iter().map(|n| component_json(n, nodes, &flows)).collect())))
}

async fn component(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let flows = s.agent.controller.flow().edges();
    let found = s.agent.controller.inspect(|nodes| nodes.iter().find(|n| n.decl.id == id).map(|n| component_json(n, nodes, &flows)));
    match found {
        Some(j) => Json(j).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({ "error": format!("component {id:?} does not exist") }))).into_response(),
    }
}

/// `/api/v0/web/modules/MODULE_ID/components`: the components of one
/// custom component instance's module, as Alloy's API lists them.
async fn module_components(State(s): State<AppState>, Path(path): Path<String>) -> Response {
    let Some(module) = path.strip_suffix("/components") else {
        return (StatusCode::NOT_FOUND, Json(json!({ "error": "use /api/v0/web/modules/MODULE_ID/components" }))).into_response();
    };
    let flows = s.agent.controller.flow().edges();
    let found = s.agent.controller.inspect(|nodes| {
        let exists = nodes.iter().any(|n| n.decl.id == module && matches!(n.decl.kind, crate::runtime::loader::Kind::Instance(_)));
        exists.then(|| Json_::Array(nodes.iter().filter(|n| n.decl.module == module).map(|n| component_json(n, nodes, &flows)).collect()))
    });
    match found {
        Some(list) => Json(list).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({ "error": format!("module {module:?} does not exist") }))).into_response(),
    }
}

async fn status(State(s): State<AppState>) -> Json<Json_> {
    let last = s.agent.settled_status(std::time::Duration::from_secs(2)).await.map(|st| {
        json!({
            "success": st.success,
            "trigger": st.trigger,
            "time": rfc3339(st.at),
            "hash": st.hash,
            "error": st.error,
            "changes": st.report.as_ref().map(|r| json!({
                "added": r.added, "updated": r.updated, "removed": r.removed, "unchanged": r.unchanged,
                "updateErrors": r.update_errors.iter().map(diagnostic_json).collect::<Vec<_>>(),
            })),
            "diagnostics": st.diagnostics.iter().map(diagnostic_json).collect::<Vec<_>>(),
        })
    });
    let loaded = s.agent.loaded().map(|l| {
        json!({
            "time": rfc3339(l.at),
            "hash": l.hash,
            "files": l.files.iter().map(|(name, text)| json!({ "name": name, "text": text })).collect::<Vec<_>>(),
        })
    });
    Json(json!({ "ready": s.agent.is_ready(), "lastReload": last, "running": loaded, "banner": s.agent.stale_banner() }))
}

/// The graph with per-edge totals and rates, and its layout: every
/// component flat, or with `?module=ID` one module's graph (`ID` empty:
/// the top level), custom components drawn as one node each.
async fn graph(State(s): State<AppState>, Query(q): Query<super::ui::graph::ModuleQuery>) -> Json<Json_> {
    Json(GraphModel::snapshot_in(&s.agent, q.module.as_deref()).json())
}

/// The graph snapshot once a second, as server-sent events.
async fn graph_stream(State(s): State<AppState>, Query(q): Query<super::ui::graph::ModuleQuery>) -> Response {
    let (tx, rx) = mpsc::channel::<String>(2);
    let agent = Arc::clone(&s.agent);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            every.tick().await;
            // A closed stream means the client went away.
            if tx.send(GraphModel::snapshot_in(&agent, q.module.as_deref()).json().to_string()).await.is_err() {
                return;
            }
        }
    });
    sse(rx)
}

#[derive(serde::Deserialize)]
struct DebugQuery {
    /// Keep one payload in `sample`; default 1 (all).
    sample: Option<u64>,
}

/// What passes through a component, as server-sent events of JSON
/// messages. Refused unless the config enables live debugging.
async fn debug_stream(State(s): State<AppState>, Path(id): Path<String>, Query(q): Query<DebugQuery>) -> Response {
    let exists = s.agent.controller.inspect(|nodes| nodes.iter().any(|n| n.decl.id == id));
    if !exists {
        return (StatusCode::NOT_FOUND, Json(json!({ "error": format!("component {id:?} does not exist") }))).into_response();
    }
    match s.agent.controller.flow().live.subscribe(&id, q.sample.unwrap_or(1)) {
        Ok(rx) => sse(rx),
        Err(disabled) => (StatusCode::FORBIDDEN, Json(json!({ "error": disabled.to_string() }))).into_response(),
    }
}

fn sse(rx: mpsc::Receiver<String>) -> Response {
    let events = ReceiverStream::new(rx).map(|data| Ok::<_, Infallible>(Event::default().data(data)));
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

/// A component in the shape of Alloy's API, plus `instance`: which build of
/// the component is running, so a client can tell an update in place from
/// a rebuild.
///
/// `dataFlowEdgesTo` lists the components this one sends telemetry to.
fn component_json(n: &Node, all: &[&Node], flows: &[EdgeView]) -> Json_ {
    let health = n.health();
    let referenced_by: Vec<&str> = all.iter().filter(|o| o.references().contains(&n.decl.id)).map(|o| o.decl.id.as_str()).collect();
    let flows_to: Vec<&str> = flows.iter().filter(|e| e.from == n.decl.id).map(|e| e.to.as_str()).collect();
    json!({
        "name": n.decl.name,
        "id": n.decl.id,
        "localID": n.decl.local_id,
        "moduleID": n.decl.module,
        "createdModuleIDs": if matches!(n.decl.kind, crate::runtime::loader::Kind::Instance(_)) { vec![n.decl.id.clone()] } else { Vec::new() },
        "label": n.decl.block.label.as_ref().map(|l| l.value.clone()).unwrap_or_default(),
        "health": health_json(&health),
        "arguments": body_json(&n.args),
        "exports": value_json(&n.shown_exports()),
        "debugInfo": value_json(&n.component.debug_info()),
        "referencesTo": n.references(),
        "referencedBy": referenced_by,
        "dataFlowEdgesTo": flows_to,
        "instance": n.instance,
        "startedTime": rfc3339(n.started),
    })
}

/// Values as JSON. Secrets stay `(secret)` and capsules show their type:
/// the API never reveals what the config hides.
pub fn value_json(v: &Value) -> Json_ {
    match v {
        Value::Null => Json_::Null,
        Value::Bool(b) => json!(b),
        Value::Number(n) => match *n {
            solder_syntax::value::Number::Int(i) => json!(i),
            solder_syntax::value::Number::Uint(u) => json!(u),
            solder_syntax::value::Number::Float(f) => json!(f),
        },
        Value::String(s) => json!(s),
        Value::Array(items) => Json_::Array(items.iter().map(value_json).collect()),
        Value::Object(fields) => Json_::Object(fields.iter().map(|(k, v)| (k.clone(), value_json(v))).collect()),
        other => json!(other.to_string()),
    }
}

fn body_json(body: &EvalBody) -> Json_ {
    let mut out = serde_json::Map::new();
    for item in &body.items {
        match item {
            Item::Attribute { name, value, .. } => {
                out.insert(name.clone(), value_json(value));
            }
            Item::Block { name, body, .. } => {
                let slot = out.entry(name.clone()).or_insert_with(|| Json_::Array(Vec::new()));
                if let Json_::Array(list) = slot {
                    list.push(body_json(body));
                }
            }
        }
    }
    Json_::Object(out)
}

pub fn diagnostic_json(d: &Diagnostic) -> Json_ {
    let (file, line, column) = match &d.source {
        Some(src) => {
            let (l, c) = src.line_col(d.span.start);
            (Some(src.name.clone()), Some(l), Some(c))
        }
        None => (None, None, None),
    };
    json!({
        "severity": if d.is_error() { "error" } else { "warning" },
        "message": d.message,
        "file": file,
        "line": line,
        "column": column,
        "help": d.help,
        "rendered": solder_syntax::render::render(d, solder_syntax::render::Style::Plain),
    })
}

pub use solder_components::calendar::rfc3339;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use solder_components::harness::eventually;
    use solder_components::harness::slowloris::{idle_connections, post_head, trickle_body};

    use super::*;

    /// The UI and API server sheds slowloris clients as the pipeline's
    /// servers do: a trickled body gets 408, and idle connections up to
    /// the limit time out so that a probe gets through.
    #[tokio::test]
    async fn slowloris_does_not_starve_the_ui_and_api() {
        let limits = Limits { max_connections: 8, header_timeout: Duration::from_millis(300), body_timeout: Duration::from_millis(300), ..Limits::DEFAULT };
        let app = Router::new().route("/-/reload", axum::routing::post(|body: String| async move { body }));
        let shutdown = tokio_util::sync::CancellationToken::new();
        let (addr, _) = serve_app(app, "127.0.0.1:0".parse().unwrap(), limits, shutdown.clone()).await.unwrap();
        let first = std::net::TcpStream::connect(addr).unwrap();
        let answer = tokio::task::spawn_blocking(move || trickle_body(first, &post_head("/-/reload", "text/plain"))).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

        let _idle = idle_connections(addr, limits.max_connections);
        eventually("a request to get through", || async {
            let r = reqwest::Client::new().post(format!("http://{addr}/-/reload")).body("ok").send().await;
            r.is_ok_and(|r| r.status() == 200)
        })
        .await;
        shutdown.cancel();
    }
}
