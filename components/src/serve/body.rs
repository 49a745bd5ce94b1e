//! A request's body, watched: the connection knows whether it has all
//! arrived, so that a client trickling it can be cut off while a handler
//! that is merely slow (waiting on its pipeline) is left alone.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio_util::sync::CancellationToken;

/// The body handlers read: hyper's, which tells [`BodyWatch`] once it has
/// ended, failed or been dropped.
pub struct RequestBody {
    inner: Incoming,
    done: CancellationToken,
}

/// The connection's side of a [`RequestBody`].
pub(super) struct BodyWatch {
    done: CancellationToken,
}

impl RequestBody {
    pub(super) fn watch(inner: Incoming) -> (RequestBody, BodyWatch) {
        let done = CancellationToken::new();
        if inner.is_end_stream() {
            done.cancel();
        }
        (RequestBody { inner, done: done.clone() }, BodyWatch { done })
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None | Some(Err(_))) => self.done.cancel(),
            Poll::Ready(Some(Ok(_))) if self.inner.is_end_stream() => self.done.cancel(),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A handler that drops the body unread has no use for the rest; what
/// hyper does with it (reads a little, else closes) is not a slow client
/// holding the request.
impl Drop for RequestBody {
    fn drop(&mut self) {
        self.done.cancel();
    }
}

impl BodyWatch {
    /// Resolves if the body is still arriving `timeout` after the headers;
    /// never once it has all arrived.
    pub async fn overdue(self, timeout: Duration) {
        tokio::select! {
            biased;
            _ = self.done.cancelled() => std::future::pending().await,
            _ = tokio::time::sleep(timeout) => {}
        }
    }
}
