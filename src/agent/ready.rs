//! When the agent says it is ready (`/-/ready`).
//!
//! Applying a config builds the components and spawns their tasks, but a
//! receiver binds its port in its task, a moment later. A readiness probe
//! answered 200 in that moment lets Kubernetes route OTLP to a port that
//! refuses connections. So the agent turns ready only once every component
//! has reported its first health (left `unknown`, "not started"): a
//! listener has then bound or failed to. A component that waits on the
//! outside world before it can say (a load-balancing resolver's first
//! answer) holds readiness back at most [`READY_WAIT`]; after that the
//! agent is ready anyway and logs which components had not started, so a
//! stuck dependency shows in the component's health, not as a pod that
//! never becomes ready.

use std::time::Duration;

use solder_components::component::HealthState;

use crate::runtime::Controller;

/// The longest the first load waits for components to start before the
/// agent says it is ready.
pub const READY_WAIT: Duration = Duration::from_secs(10);

/// How often the graph's health is looked at while waiting.
const POLL: Duration = Duration::from_millis(5);

/// The components whose health is still `unknown`.
pub fn not_started(controller: &Controller) -> Vec<String> {
    controller.inspect(|nodes| nodes.iter().filter(|n| n.health().state == HealthState::Unknown).map(|n| n.decl.id.clone()).collect())
}

/// Waits until every component has started, or `limit` has passed, and
/// returns the components that had not started by then.
pub async fn wait_for_start(controller: &Controller, limit: Duration) -> Vec<String> {
    wait_until_empty(|| not_started(controller), limit).await
}

/// Polls `waiting` until it is empty or `limit` has passed; returns its
/// last answer.
async fn wait_until_empty(mut waiting: impl FnMut() -> Vec<String>, limit: Duration) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let left = waiting();
        if left.is_empty() || tokio::time::Instant::now() >= deadline {
            return left;
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;

    use crate::agent::testing::{agent, free_port};

    /// On one thread, the load returns before any component's task has run,
    /// so a readiness taken from the load alone says ready while the
    /// receiver's port still refuses connections. The moment it says
    /// ready, the port must take one (a blocking connect, so no task runs
    /// in between).
    #[tokio::test(flavor = "current_thread")]
    async fn ready_means_the_receivers_ports_take_connections() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (grpc, http) = (free_port(), free_port());
        let config = format!(
            r#"otelcol.receiver.otlp "in" {{
  grpc {{ endpoint = "127.0.0.1:{grpc}" }}
  http {{ endpoint = "127.0.0.1:{http}" }}
  output {{ traces = [otelcol.exporter.debug.out.input] }}
}}
otelcol.exporter.debug "out" {{ }}
"#
        );
        let agent = agent(config, dir.path());
        agent.reload("test").await.expect("loads");
        assert!(!agent.is_ready(), "ready before the receiver's task ran");
        let began = std::time::Instant::now();
        while !agent.is_ready() {
            assert!(began.elapsed() < super::READY_WAIT, "not ready in time");
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        for port in [grpc, http] {
            TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("ready, but port {port} refuses: {e}"));
        }
        agent.controller.shutdown().await;
    }

    /// A component that cannot say whether it started (a resolver that
    /// never answers) holds readiness back only until the bound; one that
    /// starts ends the wait at once.
    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn the_wait_ends_when_all_have_started_or_at_the_bound() {
        let began = tokio::time::Instant::now();
        let left = super::wait_until_empty(|| vec!["stuck".to_string()], super::READY_WAIT).await;
        assert_eq!(left, vec!["stuck".to_string()]);
        let waited = began.elapsed();
        assert!(waited >= super::READY_WAIT && waited < super::READY_WAIT + super::POLL * 2, "waited {waited:?}");

        let began = tokio::time::Instant::now();
        let mut polls = 0;
        let left = super::wait_until_empty(
            || {
                polls += 1;
                if polls < 4 {
                    vec!["starting".to_string()]
                } else {
                    vec![]
                }
            },
            super::READY_WAIT,
        )
        .await;
        assert!(left.is_empty());
        assert_eq!(began.elapsed(), super::POLL * 3);
    }
}
