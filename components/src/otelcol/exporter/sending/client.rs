//! Client settings both protocols read the same way: compression and
//! headers.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;

use bytes::Bytes;
use hyper::http::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

use super::ArgumentError;
use crate::otelcol::auth::AuthHandler;
use crate::types::{Handle, Secret};

/// `compression`: how request bodies are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    #[default]
    Gzip,
    Zstd,
    /// zlib format, sent as `Content-Encoding: deflate` (HTTP only).
    Deflate,
    /// zlib format, sent as `Content-Encoding: zlib` (HTTP only).
    Zlib,
    /// Snappy: the block format over HTTP and the framed format over gRPC,
    /// as the Collector sends them.
    Snappy,
    #[serde(alias = "")]
    None,
}

/// The deflate level of gzip and zlib bodies. Level 1 compresses OTLP
/// batches about 4 times faster than the usual default of 6 for about 20%
/// more bytes (docs/compression.md); a node agent pays for CPU on every
/// node, and its bytes usually cross the cluster's own network.
pub const DEFLATE_LEVEL: u32 = 1;

/// The zstd level: level 1 is both faster than zstd's default (3) and, on
/// batched OTLP, as small (docs/compression.md).
pub const ZSTD_LEVEL: i32 = 1;

impl Compression {
    /// The `Content-Encoding` / `grpc-encoding` name.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Deflate => "deflate",
            Compression::Zlib => "zlib",
            Compression::Snappy => "snappy",
            Compression::None => "none",
        }
    }

    /// Compresses a request body as OTLP/HTTP sends it. `None` shares the
    /// bytes.
    pub fn compress(self, body: &Bytes) -> std::io::Result<Bytes> {
        let out = match self {
            Compression::None => return Ok(body.clone()),
            Compression::Gzip => gzip(body)?,
            Compression::Deflate | Compression::Zlib => {
                let mut out = Vec::with_capacity(body.len() / 4);
                deflate(body, Wrapper::Zlib, &mut out)?;
                out
            }
            Compression::Zstd => zstd::bulk::compress(body, ZSTD_LEVEL)?,
            Compression::Snappy => snap::raw::Encoder::new().compress_vec(body).map_err(std::io::Error::other)?,
        };
        Ok(Bytes::from(out))
    }

    /// Compresses one gRPC message for `grpc-encoding: <name>`: as
    /// [`Compression::compress`], except that snappy is the framed format
    /// (the Collector's gRPC snappy codec).
    pub fn compress_grpc(self, body: &Bytes) -> std::io::Result<Bytes> {
        match self {
            Compression::Snappy => {
                let mut e = snap::write::FrameEncoder::new(Vec::with_capacity(body.len() / 2));
                e.write_all(body)?;
                Ok(Bytes::from(e.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?))
            }
            other => other.compress(body),
        }
    }
}

/// Bodies at least this large are compressed on a blocking thread rather
/// than on the runtime worker that sends them, which a 4 MiB body would
/// hold up for about 8 ms. Smaller ones are compressed inline: with two
/// cores, moving the 0.5 MB batches of Alloy's default `send_batch_size`
/// (2,000 spans) or the 2 MB ones of 8,192 spans off the worker halved
/// the receiver's p99 latency at 50K spans/s (2.2-2.5 -> 1.1-1.4 ms;
/// 3.2 -> 1.7-1.9 ms) but cost 4-7% more CPU, and with one core changed
/// neither (docs/compression.md, "Fifth pass"). This agent is paid for
/// in CPU; a millisecond on an export's answer is not felt.
pub const OFF_WORKER_BYTES: usize = 4 << 20;

impl Compression {
    /// [`Compression::compress`], or with `grpc` [`Compression::compress_grpc`],
    /// on a blocking thread for a body of [`OFF_WORKER_BYTES`] or more.
    pub async fn compress_off_worker(self, body: &Bytes, grpc: bool) -> std::io::Result<Bytes> {
        self.compress_from(body, grpc, OFF_WORKER_BYTES).await
    }

    async fn compress_from(self, body: &Bytes, grpc: bool, off_worker: usize) -> std::io::Result<Bytes> {
        let run = move |body: &Bytes| if grpc { self.compress_grpc(body) } else { self.compress(body) };
        if body.len() < off_worker || self == Compression::None {
            return run(body);
        }
        let body = body.clone();
        tokio::task::spawn_blocking(move || run(&body)).await.map_err(std::io::Error::other)?
    }
}

/// The deflate stream's own framing, as `flate2::Compress` writes it.
#[derive(Clone, Copy)]
enum Wrapper {
    /// None: gzip adds its own header and trailer around it.
    Raw = 0,
    Zlib = 1,
}

thread_local! {
    /// One deflate state per thread and wrapper, reset between bodies.
    /// Making a new one costs about 300 KiB of tables to allocate and
    /// touch per request, which at a fixed low rate was a tenth of what
    /// compressing cost (docs/compression.md, "The fixed-rate loads").
    static DEFLATERS: RefCell<[Option<flate2::Compress>; 2]> = const { RefCell::new([None, None]) };
}

/// gzip (RFC 1952): a fixed header, the raw deflate stream, then the
/// CRC-32 and length of the input.
fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    // No name, no time; extra flags 4: "fastest", as for level 1; OS 255: unknown.
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];
    let mut out = Vec::with_capacity(body.len() / 4 + HEADER.len() + 8);
    out.extend_from_slice(&HEADER);
    deflate(body, Wrapper::Raw, &mut out)?;
    let mut crc = flate2::Crc::new();
    crc.update(body);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the input length modulo 2^32.
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    Ok(out)
}

/// Appends `body` deflated at [`DEFLATE_LEVEL`] to `out`, with this
/// thread's reused state.
fn deflate(body: &[u8], wrapper: Wrapper, out: &mut Vec<u8>) -> std::io::Result<()> {
    DEFLATERS.with(|cell| {
        let mut states = cell.borrow_mut();
        let state =
            states[wrapper as usize].get_or_insert_with(|| flate2::Compress::new(flate2::Compression::new(DEFLATE_LEVEL), matches!(wrapper, Wrapper::Zlib)));
        // A body that failed half-way left its state mid-stream.
        state.reset();
        loop {
            let read = usize::try_from(state.total_in()).unwrap_or(usize::MAX).min(body.len());
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(4096));
            }
            let status = state.compress_vec(&body[read..], out, flate2::FlushCompress::Finish).map_err(std::io::Error::other)?;
            match status {
                flate2::Status::StreamEnd => return Ok(()),
                // With input left and room to write, no progress is a fault.
                flate2::Status::BufError => return Err(std::io::Error::other("deflate made no progress")),
                flate2::Status::Ok => {}
            }
        }
    })
}

/// Checks and converts `headers = { ... }`. Values are marked sensitive so
/// that they never print, whether or not they were written as secrets.
pub fn header_map(headers: &BTreeMap<String, Secret>) -> Result<HeaderMap, ArgumentError> {
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let key = HeaderName::from_bytes(name.as_bytes()).map_err(|_| ArgumentError::new("client", format!("headers: {name:?} is not a valid header name")))?;
        let mut v = HeaderValue::from_str(value.0.expose())
            .map_err(|_| ArgumentError::new("client", format!("headers: the value of {name:?} is not a valid header value")))?;
        v.set_sensitive(true);
        out.insert(key, v);
    }
    Ok(out)
}

/// The headers of every request: the fixed `headers`, then the `auth`
/// handler's credentials, read per request so that an update of the auth
/// component applies without rebuilding the exporter.
pub struct RequestHeaders {
    fixed: HeaderMap,
    auth: Option<AuthHandler>,
}

impl RequestHeaders {
    /// Refuses a handler that has nothing to send (a server-only
    /// `otelcol.auth.basic`): requests would go out unauthenticated.
    pub fn new(headers: &BTreeMap<String, Secret>, auth: Option<&Handle<AuthHandler>>) -> Result<RequestHeaders, ArgumentError> {
        let auth = match auth {
            None => None,
            Some(handle) => {
                let handler = handle.get().ok_or_else(|| ArgumentError::new("client", "auth: not an otelcol.auth handler"))?;
                handler.check_client().map_err(|m| ArgumentError::new("client", m))?;
                Some(handler.clone())
            }
        };
        Ok(RequestHeaders { fixed: header_map(headers)?, auth })
    }

    pub fn for_request(&self) -> HeaderMap {
        let mut headers = self.fixed.clone();
        if let Some(auth) = &self.auth {
            auth.apply(&mut headers);
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn compressions_round_trip() {
        let body = Bytes::from(vec![7u8; 4096]);
        let gz = Compression::Gzip.compress(&body).unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, body);
        let z = Compression::Deflate.compress(&body).unwrap();
        out.clear();
        flate2::read::ZlibDecoder::new(&z[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, body);
        assert_eq!(zstd::decode_all(&Compression::Zstd.compress(&body).unwrap()[..]).unwrap(), body);
        assert_eq!(snap::raw::Decoder::new().decompress_vec(&Compression::Snappy.compress(&body).unwrap()).unwrap(), body);
        out.clear();
        snap::read::FrameDecoder::new(&Compression::Snappy.compress_grpc(&body).unwrap()[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, body);
        assert_eq!(Compression::None.compress(&body).unwrap().as_ptr(), body.as_ptr());
    }

    /// The reused deflate state: bodies that compress badly (the output
    /// outgrows its first buffer) and well, one after the other on one
    /// thread, each decode to itself.
    #[test]
    fn reused_deflate_state_compresses_each_body_whole() {
        let mut noise = Vec::with_capacity(300_000);
        let mut x: u32 = 1;
        for _ in 0..300_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            noise.push((x >> 16) as u8);
        }
        let bodies = [Bytes::from(noise), Bytes::from(vec![3u8; 100_000]), Bytes::new(), Bytes::from_static(b"span")];
        for _ in 0..2 {
            for body in &bodies {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&Compression::Gzip.compress(body).unwrap()[..]).read_to_end(&mut out).unwrap();
                assert_eq!(out, &body[..]);
                out.clear();
                flate2::read::ZlibDecoder::new(&Compression::Zlib.compress(body).unwrap()[..]).read_to_end(&mut out).unwrap();
                assert_eq!(out, &body[..]);
            }
        }
    }

    /// A large body is compressed off the worker: on a runtime with one
    /// thread, another task keeps running while it compresses (inline,
    /// it could not run until the compression was done). The result is
    /// what compressing inline gives. (A bound of 64 KiB here, so that the
    /// test's bodies stay small in an unoptimised build.)
    #[tokio::test(flavor = "current_thread")]
    async fn large_bodies_are_compressed_off_the_worker() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let ticks = std::sync::Arc::new(AtomicU64::new(0));
        let counter = std::sync::Arc::clone(&ticks);
        let ticking = tokio::spawn(async move {
            loop {
                counter.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        });
        tokio::task::yield_now().await;
        let mut x: u32 = 1;
        const BOUND: usize = 64 << 10;
        let body: Bytes = (0..BOUND * 4)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (x >> 16) as u8 & 0x3f
            })
            .collect::<Vec<u8>>()
            .into();
        for grpc in [false, true] {
            let before = ticks.load(Ordering::Relaxed);
            let off = Compression::Gzip.compress_from(&body, grpc, BOUND).await.unwrap();
            assert!(ticks.load(Ordering::Relaxed) > before, "the other task ran while the body compressed");
            assert_eq!(off, Compression::Gzip.compress(&body).unwrap());
        }
        let small = body.slice(..1000);
        let before = ticks.load(Ordering::Relaxed);
        let inline = Compression::Gzip.compress_from(&small, false, BOUND).await.unwrap();
        assert_eq!(ticks.load(Ordering::Relaxed), before, "a small body is compressed inline");
        assert_eq!(inline, Compression::Gzip.compress(&small).unwrap());
        ticking.abort();
    }

    #[test]
    fn headers_are_checked_and_sensitive() {
        let secret = |s: &str| Secret(solder_syntax::value::Secret::new(s));
        let ok = header_map(&BTreeMap::from([("X-Scope-OrgID".to_string(), secret("tenant"))])).unwrap();
        assert!(ok["x-scope-orgid"].is_sensitive());
        assert!(header_map(&BTreeMap::from([("bad name".to_string(), secret("v"))])).is_err());
        assert!(header_map(&BTreeMap::from([("x".to_string(), secret("line\nbreak"))])).is_err());
    }
}
