//! `otelcol.storage.*`: components that export a `handler` where other
//! components keep data across restarts: the sending queues of the
//! network exporters (`sending_queue { storage = ... }`).

pub mod file;
