//! What runs for the two halves of a custom component instance: nothing.
//! They hold a value (the arguments object, or the exports object) for the
//! graph to place in a scope, and are replaced, not updated, when it
//! changes.

use std::sync::Arc;

use solder_components::component::{ArgumentError, Decoded, RunFuture};
use solder_components::{Health, HealthState, Running};
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

pub struct Passive {
    value: Value,
}

impl Passive {
    pub fn running(value: Value) -> Arc<dyn Running> {
        Arc::new(Passive { value })
    }
}

impl Running for Passive {
    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move { shutdown.cancelled().await })
    }

    fn update(&self, _args: Decoded) -> Result<(), ArgumentError> {
        Ok(())
    }

    fn exports(&self) -> Value {
        self.value.clone()
    }

    fn health(&self) -> Health {
        Health::new(HealthState::Healthy, "")
    }

    fn debug_info(&self) -> Value {
        Value::Null
    }
}
