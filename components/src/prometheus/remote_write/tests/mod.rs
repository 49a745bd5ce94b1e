//! The component against real loopback servers: a sink that decodes each
//! snappy + protobuf request, records it, and answers as the test scripts.
//! The tests are grouped by what they pin down; `running` is also what
//! `prometheus_tests` starts the component with.

mod arguments;
mod auth_and_tls;
mod conversion;
mod fixtures;
mod lifecycle;
mod queue_bounds;
mod retries;
mod sink;
mod wire_format;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::component::Component;
use crate::otelcol::exporter::sending::testkit::start;
use crate::prometheus::ReceiverHandle;
use fixtures::built;

pub(super) struct Running {
    pub component: Arc<dyn Component>,
    pub receiver: ReceiverHandle,
    pub stop: CancellationToken,
    pub task: tokio::task::JoinHandle<()>,
}

pub(super) fn running(id: &str, src: &str) -> Running {
    let (component, receiver) = built(id, src);
    let (stop, task) = start(&component);
    Running { component, receiver, stop, task }
}
