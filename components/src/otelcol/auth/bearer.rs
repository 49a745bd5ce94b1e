//! `otelcol.auth.bearer`: a token sent by exporters and checked by
//! receivers, as `<header>: <scheme> <token>`.

use hyper::http::header::HeaderName;
use serde::Deserialize;

use super::{secret_value, Action, Auth, AuthArguments, ClientSide, HeaderEdit, ServerSide, Sides};
use crate::component::{self, ArgumentError, Registration, Signals, Stability};
use crate::types::Secret;

pub const REGISTRATION: Registration = Registration::of::<Auth<Arguments>>("otelcol.auth.bearer", Stability::GenerallyAvailable, Signals::NONE);

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// The token. Required.
    pub token: Secret,
    /// Written before the token, with a space. Default `"Bearer"`; `""`
    /// sends the token alone.
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// The header that carries it. Default `"authorization"`.
    #[serde(default = "default_header")]
    pub header: String,
}

fn default_scheme() -> String {
    "Bearer".into()
}

fn default_header() -> String {
    "authorization".into()
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        self.sides().map(|_| ())
    }
}

impl AuthArguments for Arguments {
    const KIND: &'static str = "otelcol.auth.bearer";

    fn sides(&self) -> Result<Sides, ArgumentError> {
        let name = HeaderName::from_bytes(self.header.as_bytes())
            .map_err(|_| ArgumentError::new("header", format!("{:?} is not a valid header name", self.header)))?;
        let token = self.token.0.expose();
        let full = if self.scheme.is_empty() { token.to_string() } else { format!("{} {token}", self.scheme) };
        let value = secret_value("token", &full)?;
        Ok(Sides {
            server: Some(ServerSide::Bearer { header: name.clone(), expected: full.into_bytes() }),
            client: Some(ClientSide(vec![HeaderEdit { name, value, action: Action::Upsert }])),
        })
    }
}
