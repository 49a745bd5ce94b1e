//! `otelcol.auth.basic`: HTTP basic auth, sent by exporters
//! (`client_auth`) and checked by receivers (`htpasswd`).

use base64::Engine;
use hyper::http::header::AUTHORIZATION;
use serde::Deserialize;

use super::htpasswd::Htpasswd;
use super::{secret_value, Action, Auth, AuthArguments, ClientSide, HeaderEdit, ServerSide, Sides};
use crate::component::{self, ArgumentError, Registration, Signals, Stability};
use crate::types::Secret;

pub const REGISTRATION: Registration = Registration::of::<Auth<Arguments>>("otelcol.auth.basic", Stability::GenerallyAvailable, Signals::NONE);

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// Deprecated in Alloy: use `client_auth` and `htpasswd`. Alone, it
    /// is both the credentials sent and the only user accepted.
    #[serde(default)]
    pub username: Option<String>,
    /// Deprecated, with `username`.
    #[serde(default)]
    pub password: Option<Secret>,
    /// `client_auth { }`: what exporters send. Takes precedence over the
    /// top-level `username` and `password`.
    #[serde(default)]
    pub client_auth: Option<ClientAuth>,
    /// `htpasswd { }`: whom receivers accept.
    #[serde(default)]
    pub htpasswd: Option<HtpasswdArguments>,
}

/// `client_auth { }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientAuth {
    pub username: String,
    pub password: Secret,
}

/// `htpasswd { }`: `user:password` lines from a file, inline, or both
/// (`inline` wins for a user in both).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtpasswdArguments {
    /// Path of an htpasswd file, read when the component is built or
    /// updated.
    #[serde(default)]
    pub file: String,
    /// htpasswd lines.
    #[serde(default)]
    pub inline: Option<Secret>,
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        if self.username.is_some() != self.password.is_some() {
            return Err(ArgumentError::whole("username and password must be set together"));
        }
        if self.username.is_none() && self.client_auth.is_none() && self.htpasswd.is_none() {
            return Err(ArgumentError::whole("nothing to authenticate with: add a client_auth block, an htpasswd block, or username and password"));
        }
        if let Some(h) = &self.htpasswd {
            if h.file.is_empty() && h.inline.is_none() {
                return Err(ArgumentError::new("htpasswd", "set file, inline, or both"));
            }
            if let Some(inline) = &h.inline {
                Htpasswd::parse(inline.0.expose()).map_err(|m| ArgumentError::new("htpasswd.inline", m))?;
            }
        }
        Ok(())
    }
}

impl AuthArguments for Arguments {
    const KIND: &'static str = "otelcol.auth.basic";

    fn sides(&self) -> Result<Sides, ArgumentError> {
        let legacy = self.username.as_deref().zip(self.password.as_ref().map(|p| p.0.expose()));
        let sent = self.client_auth.as_ref().map(|c| (c.username.as_str(), c.password.0.expose())).or(legacy);
        let client = sent.map(|(user, password)| {
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            let value = secret_value("client_auth", &format!("Basic {encoded}"))?;
            Ok::<_, ArgumentError>(ClientSide(vec![HeaderEdit { name: AUTHORIZATION, value, action: Action::Upsert }]))
        });
        let server = match (&self.htpasswd, legacy) {
            (Some(h), _) => Some(read_htpasswd(h)?),
            (None, Some((user, password))) => Some(Htpasswd::parse(&format!("{user}:{password}")).map_err(|m| ArgumentError::new("username", m))?),
            (None, None) => None,
        };
        Ok(Sides { client: client.transpose()?, server: server.map(ServerSide::Basic) })
    }
}

fn read_htpasswd(h: &HtpasswdArguments) -> Result<Htpasswd, ArgumentError> {
    let mut text = String::new();
    if !h.file.is_empty() {
        text = std::fs::read_to_string(&h.file).map_err(|e| ArgumentError::new("htpasswd.file", format!("cannot read {:?}: {e}", h.file)))?;
        text.push('\n');
    }
    if let Some(inline) = &h.inline {
        text.push_str(inline.0.expose());
    }
    Htpasswd::parse(&text).map_err(|m| ArgumentError::new("htpasswd", m))
}
