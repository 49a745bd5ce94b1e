//! `otelcol.auth.headers`: headers set on every request an exporter
//! sends, such as a tenant ID or an API key. Client side only.

use hyper::http::header::{HeaderName, HeaderValue};
use serde::Deserialize;

use super::{secret_value, Action, Auth, AuthArguments, ClientSide, HeaderEdit, Sides};
use crate::component::{self, ArgumentError, Registration, Signals, Stability};
use crate::types::Secret;

pub const REGISTRATION: Registration = Registration::of::<Auth<Arguments>>("otelcol.auth.headers", Stability::GenerallyAvailable, Signals::NONE);

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// `header { }` blocks, applied in order.
    #[serde(default)]
    pub header: Vec<Header>,
}

/// `header { }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The header's name. Required.
    pub key: String,
    /// The value to set. Required unless `action` is `"delete"`.
    #[serde(default)]
    pub value: Option<Secret>,
    /// Alloy takes the value from the incoming request's metadata. Solder
    /// does not carry request metadata through pipelines, so this is
    /// refused rather than silently sending nothing.
    #[serde(default)]
    pub from_context: Option<String>,
    /// `"insert"`, `"update"`, `"upsert"` (default) or `"delete"`.
    #[serde(default)]
    pub action: Action,
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        self.sides().map(|_| ())
    }
}

impl AuthArguments for Arguments {
    const KIND: &'static str = "otelcol.auth.headers";

    fn sides(&self) -> Result<Sides, ArgumentError> {
        let mut edits = Vec::with_capacity(self.header.len());
        for h in &self.header {
            let name =
                HeaderName::from_bytes(h.key.as_bytes()).map_err(|_| ArgumentError::new("header", format!("key {:?} is not a valid header name", h.key)))?;
            if h.from_context.is_some() {
                return Err(ArgumentError::new(
                    "header",
                    format!("{:?}: from_context is not supported: Solder does not carry request metadata through pipelines; use value", h.key),
                ));
            }
            let value = match (&h.value, h.action) {
                (Some(v), _) => secret_value("header", v.0.expose())?,
                (None, Action::Delete) => HeaderValue::from_static(""),
                (None, _) => return Err(ArgumentError::new("header", format!("{:?}: missing required attribute \"value\"", h.key))),
            };
            edits.push(HeaderEdit { name, value, action: h.action });
        }
        Ok(Sides { client: Some(ClientSide(edits)), server: None })
    }
}
