//! The wait of a Kubernetes component whose informers cannot start (no
//! client, bad settings): until shutdown, an update that may fix it, or a
//! retry.

use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Waits for `shutdown`, `restart` (an update), or `retry` when given.
pub(crate) async fn idle(shutdown: &CancellationToken, restart: &Notify, retry: Option<Duration>) {
    let retry = async {
        match retry {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = shutdown.cancelled() => {}
        _ = restart.notified() => {}
        _ = retry => {}
    }
}
