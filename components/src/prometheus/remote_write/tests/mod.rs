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
mod wal;
mod wire_format;

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;

use solder_syntax::Scope;

use crate::component::{Options, Running};
use crate::harness::Harness;
use crate::prometheus::remote_write::REGISTRATION;

/// The component under test, with a data path (and so a WAL) of its own
/// that goes with it: runs of the tests never see each other's WALs.
pub(super) struct Rw {
    harness: Harness,
    _dir: Option<tempfile::TempDir>,
}

impl Deref for Rw {
    type Target = Harness;
    fn deref(&self) -> &Harness {
        &self.harness
    }
}

impl DerefMut for Rw {
    fn deref_mut(&mut self) -> &mut Harness {
        &mut self.harness
    }
}

impl Rw {
    pub(super) async fn stop(self) -> Arc<dyn Running> {
        self.harness.stop().await
    }
}

/// The component under `id`, built from the block body `args` but not
/// running: nothing drains its queue. Its metrics are kept per ID.
pub(super) fn built(id: &str, args: &str) -> Rw {
    let dir = tempfile::tempdir().unwrap();
    Rw { harness: built_in(id, args, dir.path()), _dir: Some(dir) }
}

/// [`built`], and running.
pub(super) fn running(id: &str, args: &str) -> Rw {
    let mut h = built(id, args);
    h.run();
    h
}

/// [`built`], with its data in `data_path`, which outlives it: what a
/// restart of the agent finds.
pub(super) fn built_in(id: &str, args: &str, data_path: &Path) -> Harness {
    let opts = Options { data_path: data_path.to_path_buf(), ..Options::standalone(id) };
    Harness::build_with(&REGISTRATION, opts, args, &Scope::new()).unwrap()
}
