//! The least an OTLP/gRPC receiver on hyper can cost: a server with the
//! receiver's HTTP/2 settings (hyper's auto builder, 256 KiB frames, the
//! keep-alive timer) that reads each request's whole body and answers
//! gRPC OK with an empty message, and does nothing else (no validation,
//! no forwarding). Loaded by `solder tools loadgen` at a fixed rate, its
//! CPU per request is the floor the agent's receive path sits on:
//! `scripts/h2floor.sh`.
//!
//! Usage: `h2floor ADDR [--no-keep-alive | --raw | --raw-no-hpack]`;
//! `--raw` serves with the hand-written unary-only prototype of [`raw`]
//! instead of hyper, `--raw-no-hpack` the same without decoding headers.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, Iter};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{HeaderMap, Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;

mod raw;

type Frames = Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>;

/// Reads the request's body whole, then answers a unary gRPC call: an
/// empty message frame, then `grpc-status: 0` in the trailers.
async fn answer(req: Request<Incoming>) -> Result<Response<StreamBody<Frames>>, Infallible> {
    let read = req.into_body().collect().await.map(|b| b.to_bytes().len()).unwrap_or(0);
    std::hint::black_box(read);
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static("0"));
    let frames = vec![Ok(Frame::data(Bytes::from_static(&[0, 0, 0, 0, 0]))), Ok(Frame::trailers(trailers))];
    let mut response = Response::new(StreamBody::new(stream::iter(frames)));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    Ok(response)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let addr = args.get(1).cloned().unwrap_or_else(|| "127.0.0.1:4999".into());
    let keep_alive = !args.iter().any(|a| a == "--no-keep-alive");
    let hand_written = args.iter().find(|a| a.starts_with("--raw")).map(|a| a != "--raw-no-hpack");
    // The agent's own runtime: multi-threaded, as many workers as CPUs
    // it may use (one, pinned by the script).
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        loop {
            let (socket, _) = listener.accept().await?;
            socket.set_nodelay(true)?;
            if let Some(decode_headers) = hand_written {
                tokio::spawn(raw::serve(socket, decode_headers));
                continue;
            }
            tokio::spawn(async move {
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder.http2().max_frame_size(256 * 1024);
                if keep_alive {
                    builder.http2().timer(TokioTimer::new()).keep_alive_interval(Duration::from_secs(60)).keep_alive_timeout(Duration::from_secs(20));
                }
                let _ = builder.serve_connection(TokioIo::new(socket), hyper::service::service_fn(answer)).await;
            });
        }
    })
}
