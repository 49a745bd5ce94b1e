//! `otelcol.auth.*`: components that export a `handler`, the credentials
//! a receiver checks (server side) or an exporter sends (client side).
//!
//! An auth component holds no connection of its own. Its handler is a
//! capsule shared with every receiver and exporter that names it; an
//! update swaps the credentials inside it, so the next request uses the
//! new ones without rebuilding the components that reference it.

pub mod basic;
pub mod bearer;
pub mod headers;
pub(crate) mod htpasswd;

use std::sync::{Arc, RwLock};

use hyper::http::header::{HeaderMap, HeaderName, HeaderValue};
use solder_syntax::value::Capsule;
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use crate::component::{self, ArgumentError, Component, Exports, Health, HealthCell, HealthState, Options, RunFuture};

/// The capsule type name, as Alloy calls it.
pub const HANDLER_CAPSULE: &str = "otelcol.Handler";

/// The arguments of one auth component kind: what it can do on each side.
pub trait AuthArguments: component::Arguments {
    /// The kind's name, for messages such as "otelcol.auth.headers cannot
    /// check incoming requests".
    const KIND: &'static str;

    /// Turns the arguments into credentials. May read files (`htpasswd`).
    fn sides(&self) -> Result<Sides, ArgumentError>;
}

/// What a handler can do: add credentials to outgoing requests, check
/// those of incoming ones, or both.
#[derive(Default)]
pub struct Sides {
    pub client: Option<ClientSide>,
    pub server: Option<ServerSide>,
}

/// Header edits applied to every outgoing request, in order.
pub struct ClientSide(pub Vec<HeaderEdit>);

/// One header edit, with the Collector's `headers_setter` actions.
pub struct HeaderEdit {
    pub name: HeaderName,
    pub value: HeaderValue,
    pub action: Action,
}

/// `action` of a `header` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Set the header only when the request does not have it yet.
    Insert,
    /// Replace the header only when the request has it already.
    Update,
    /// Set the header, replacing any value it had.
    #[default]
    Upsert,
    /// Remove the header.
    Delete,
}

/// How incoming requests prove who they are.
pub enum ServerSide {
    Basic(htpasswd::Htpasswd),
    /// The exact value `header` must carry (`"<scheme> <token>"`).
    Bearer {
        header: HeaderName,
        expected: Vec<u8>,
    },
}

/// Why a request was refused, and the challenge to answer it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unauthenticated {
    pub message: &'static str,
    /// The `WWW-Authenticate` value for HTTP answers.
    pub challenge: &'static str,
}

/// The value inside `handler` capsules.
#[derive(Clone)]
pub struct AuthHandler {
    kind: &'static str,
    sides: Arc<RwLock<Arc<Sides>>>,
}

impl AuthHandler {
    fn current(&self) -> Arc<Sides> {
        Arc::clone(&self.sides.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Whether the handler can add credentials to outgoing requests, so
    /// that an exporter given a server-only handler is a config error.
    pub fn check_client(&self) -> Result<(), String> {
        match self.current().client {
            Some(_) => Ok(()),
            None => Err(format!("auth: {} handler has no client credentials to send", self.kind)),
        }
    }

    /// Whether the handler can check incoming requests, so that a
    /// receiver given a client-only handler is a config error rather than
    /// an open door.
    pub fn check_server(&self) -> Result<(), String> {
        match self.current().server {
            Some(_) => Ok(()),
            None => Err(format!("auth: {} handler cannot check incoming requests", self.kind)),
        }
    }

    /// Adds the credentials to an outgoing request's headers.
    pub fn apply(&self, headers: &mut HeaderMap) {
        let sides = self.current();
        let Some(client) = &sides.client else { return };
        for edit in &client.0 {
            let present = headers.contains_key(&edit.name);
            match edit.action {
                Action::Insert if present => {}
                Action::Update if !present => {}
                Action::Delete => {
                    headers.remove(&edit.name);
                }
                _ => {
                    headers.insert(edit.name.clone(), edit.value.clone());
                }
            }
        }
    }

    /// Checks an incoming request's headers (gRPC metadata are headers
    /// too). A handler with no server side refuses everything: a receiver
    /// that asked for auth never runs open.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<(), Unauthenticated> {
        match &self.current().server {
            Some(ServerSide::Basic(htpasswd)) => htpasswd.authenticate(headers),
            Some(ServerSide::Bearer { header, expected }) => {
                let given = headers.get(header).map_or(&[][..], |v| v.as_bytes());
                if constant_time_eq(given, expected) {
                    Ok(())
                } else {
                    Err(Unauthenticated { message: "missing or invalid bearer token", challenge: "Bearer" })
                }
            }
            None => Err(Unauthenticated { message: "the auth handler cannot check incoming requests", challenge: "Basic realm=\"otelcol\"" }),
        }
    }
}

/// Equality whose time depends on neither where the inputs differ nor
/// their lengths: both are hashed first, and the digests compared with
/// `subtle`.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    let digest = |x: &[u8]| ring::digest::digest(&ring::digest::SHA256, x);
    digest(a).as_ref().ct_eq(digest(b).as_ref()).into()
}

/// A header value that never prints, from a secret.
pub(crate) fn secret_value(field: &str, s: &str) -> Result<HeaderValue, ArgumentError> {
    let mut v = HeaderValue::from_str(s).map_err(|_| ArgumentError::new(field, "is not a valid header value"))?;
    v.set_sensitive(true);
    Ok(v)
}

/// `handler`.
#[derive(Clone)]
pub struct AuthExports {
    pub handler: Capsule,
}

impl Exports for AuthExports {
    const NAMES: &'static [&'static str] = &["handler"];

    fn to_value(&self) -> Value {
        Value::object([("handler", Value::Capsule(self.handler.clone()))])
    }
}

/// Every auth component: the kinds differ only in their arguments.
pub struct Auth<A> {
    handler: AuthHandler,
    exports: AuthExports,
    health: HealthCell,
    _args: std::marker::PhantomData<fn() -> A>,
}

impl<A: AuthArguments> Component for Auth<A> {
    type Arguments = A;
    type Exports = AuthExports;

    fn build(_opts: Options, args: A) -> Result<Self, ArgumentError> {
        let handler = AuthHandler { kind: A::KIND, sides: Arc::new(RwLock::new(Arc::new(args.sides()?))) };
        let exports = AuthExports { handler: Capsule::new(HANDLER_CAPSULE, handler.clone()) };
        Ok(Auth { handler, exports, health: HealthCell::default(), _args: std::marker::PhantomData })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.health.set(HealthState::Healthy, "ready");
            shutdown.cancelled().await;
        })
    }

    fn update(&self, args: A) -> Result<(), ArgumentError> {
        let sides = Arc::new(args.sides()?);
        *self.handler.sides.write().unwrap_or_else(|p| p.into_inner()) = sides;
        Ok(())
    }

    fn exports(&self) -> AuthExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        let sides = self.handler.current();
        Value::object([("client", Value::Bool(sides.client.is_some())), ("server", Value::Bool(sides.server.is_some()))])
    }
}

#[cfg(test)]
mod tests;
