//! `prometheus.remote_write`: placeholder until the component lands.

use std::sync::Arc;

use solder_syntax::Diagnostic;

use crate::body::EvalBody;
use crate::component::{Component, Options, Registration};

pub const REGISTRATION: Registration = Registration { name: "prometheus.remote_write", build };

fn build(_opts: Options, body: &EvalBody) -> Result<Arc<dyn Component>, Diagnostic> {
    Err(Diagnostic::error(body.span, "prometheus.remote_write is not built yet"))
}
