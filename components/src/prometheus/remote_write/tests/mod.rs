//! The component against real loopback servers: a sink that decodes each
//! snappy + protobuf request, records it, and answers as the test scripts.
//! The tests are grouped by what they pin down; `running` is also what
//! `prometheus_tests` starts the component with, on the shared harness.

mod arguments;
mod auth_and_tls;
mod conversion;
mod fixtures;
mod lifecycle;
mod queue_bounds;
mod retries;
mod sink;
mod wire_format;

use solder_syntax::Scope;

use crate::component::Options;
use crate::harness::Harness;
use crate::prometheus::remote_write::REGISTRATION;

/// The component under `id`, built from the block body `args` but not
/// running: nothing drains its queue. Its metrics are kept per ID.
pub(super) fn built(id: &str, args: &str) -> Harness {
    Harness::build_with(&REGISTRATION, Options::standalone(id), args, &Scope::new()).unwrap()
}

/// [`built`], and running.
pub(super) fn running(id: &str, args: &str) -> Harness {
    let mut h = built(id, args);
    h.run();
    h
}
