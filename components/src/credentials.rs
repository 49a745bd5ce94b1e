//! Checking basic-auth credentials, shared by the receivers' `otelcol.auth`
//! handlers and the agent's own HTTP server (the `http` block), so both
//! decode and compare them the same way, in constant time.

pub use crate::otelcol::auth::htpasswd::Htpasswd;
