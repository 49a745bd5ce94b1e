//! `Content-Encoding` of OTLP/HTTP request bodies: which are accepted,
//! and inflating them without letting a small body fill memory.

use std::io::Read;

use bytes::Bytes;
use hyper::header::{HeaderMap, CONTENT_ENCODING};

use super::admission;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    Identity,
    Gzip,
    Zstd,
    Zlib,
    /// Snappy in either format: framed (it starts with the stream
    /// identifier chunk, as gRPC clients send it) or a single block (as
    /// the Collector's OTLP/HTTP exporter sends it).
    Snappy,
}

impl Encoding {
    pub fn parse(name: &str) -> Option<Encoding> {
        match name.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => Some(Encoding::Identity),
            "gzip" | "x-gzip" => Some(Encoding::Gzip),
            "zstd" => Some(Encoding::Zstd),
            "zlib" | "deflate" => Some(Encoding::Zlib),
            "snappy" | "x-snappy-framed" => Some(Encoding::Snappy),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Encoding::Identity => "uncompressed",
            Encoding::Gzip => "gzip",
            Encoding::Zstd => "zstd",
            Encoding::Zlib => "zlib",
            Encoding::Snappy => "snappy",
        }
    }
}

pub(super) fn content_encoding(headers: &HeaderMap, allowed: &[String]) -> Result<Encoding, String> {
    let name = headers.get(CONTENT_ENCODING).map(|v| v.to_str().unwrap_or("(not text)")).unwrap_or("");
    let encoding = Encoding::parse(name);
    match encoding {
        Some(e) if allowed.iter().any(|a| Encoding::parse(a) == Some(e)) => Ok(e),
        _ => Err(format!("unsupported Content-Encoding {name:?}")),
    }
}

pub(super) enum Unreadable {
    /// Inflated past its bound; the message says which.
    TooLarge(String),
    Invalid(String),
}

/// The largest zstd window accepted, as a power of two: 16 MiB. A frame
/// names its window and the decoder allocates it up front, so without this
/// a few bytes could ask for 128 MiB (zstd's default ceiling). zstd picks
/// 8 MiB at most below level 20, and smaller for smaller inputs.
const ZSTD_WINDOW_LOG_MAX: u32 = 24;

/// A snappy block: its header says how long it inflates to, so a block
/// past the bound is refused before anything is allocated.
fn snappy_block(mut input: impl Read, bound: usize) -> Result<Vec<u8>, Unreadable> {
    let invalid = |e: &dyn std::fmt::Display| Unreadable::Invalid(format!("failed to decompress the snappy body: {e}"));
    let mut block = Vec::new();
    input.read_to_end(&mut block).map_err(|e| invalid(&e))?;
    let len = snap::raw::decompress_len(&block).map_err(|e| invalid(&e))?;
    if len > bound {
        return Err(Unreadable::TooLarge(String::new()));
    }
    snap::raw::Decoder::new().decompress_vec(&block).map_err(|e| invalid(&e))
}

/// Decompresses a body of `encoding`, up to `limit` bytes and at most
/// [`admission::MAX_INFLATION_RATIO`] times its size: a body that inflates
/// past that is refused, and is never inflated further than one buffer
/// beyond the bound.
pub(super) fn decompress(encoding: Encoding, body: Bytes, limit: usize) -> Result<Bytes, Unreadable> {
    if encoding == Encoding::Identity {
        return Ok(body);
    }
    let bound = admission::inflation_limit(body.len(), limit);
    decompress_within(encoding, &body, bound, limit).map(Bytes::from)
}

/// Decompresses `body` to at most `bound` bytes, naming `limit` (the size
/// limit the bound came from) when it is exceeded.
pub(super) fn decompress_within(encoding: Encoding, body: &[u8], bound: usize, limit: usize) -> Result<Vec<u8>, Unreadable> {
    let out = inflate(encoding, body, bound).map_err(|e| match e {
        Unreadable::TooLarge(_) => Unreadable::TooLarge(admission::inflation_refusal(body.len(), limit)),
        other => other,
    })?;
    Ok(out)
}

/// Reads `input` through the decoder of `encoding`, stopping as soon as
/// more than `bound` bytes come out.
fn inflate(encoding: Encoding, input: &[u8], bound: usize) -> Result<Vec<u8>, Unreadable> {
    inflate_from(encoding, input, bound, input.starts_with(SNAPPY_STREAM_ID))
}

/// The first chunk of every framed snappy stream.
const SNAPPY_STREAM_ID: &[u8] = b"\xff\x06\x00\x00sNaPpY";

fn inflate_from<'a>(encoding: Encoding, input: impl Read + 'a, bound: usize, framed: bool) -> Result<Vec<u8>, Unreadable> {
    let invalid = |e: std::io::Error| Unreadable::Invalid(format!("failed to decompress the {} body: {e}", encoding.name()));
    let reader: Box<dyn Read + 'a> = match encoding {
        Encoding::Snappy if !framed => return snappy_block(input, bound),
        Encoding::Snappy => Box::new(snap::read::FrameDecoder::new(input)),
        Encoding::Identity => Box::new(input),
        Encoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
        Encoding::Zlib => Box::new(flate2::read::ZlibDecoder::new(input)),
        Encoding::Zstd => {
            let mut d = zstd::stream::read::Decoder::new(input).map_err(invalid)?;
            d.window_log_max(ZSTD_WINDOW_LOG_MAX).map_err(invalid)?;
            Box::new(d)
        }
    };
    let mut out = Vec::new();
    reader.take(bound as u64 + 1).read_to_end(&mut out).map_err(invalid)?;
    if out.len() > bound {
        return Err(Unreadable::TooLarge(String::new()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// Counts what the decoder takes from its input, handed over 64 bytes
    /// at a time so that the count is close to what it needed.
    struct Counting<'a>(&'a [u8], std::rc::Rc<std::cell::Cell<usize>>);

    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(64);
            let n = self.0.read(&mut buf[..n])?;
            self.1.set(self.1.get() + n);
            Ok(n)
        }
    }

    fn compress(encoding: Encoding, data: &[u8]) -> Vec<u8> {
        match encoding {
            Encoding::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Encoding::Zlib => {
                let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Encoding::Zstd => zstd::encode_all(data, 19).unwrap(),
            Encoding::Snappy => snap::raw::Encoder::new().compress_vec(data).unwrap(),
            Encoding::Identity => data.to_vec(),
        }
    }

    /// 64 MiB of zeros: the decoder stops a buffer past the bound, having
    /// read a small part of the compressed input, for every encoding.
    #[test]
    fn a_bomb_is_read_only_up_to_its_bound() {
        let zeros = vec![0u8; 64 << 20];
        for encoding in [Encoding::Gzip, Encoding::Zlib, Encoding::Zstd] {
            let bomb = compress(encoding, &zeros);
            let read = std::rc::Rc::new(std::cell::Cell::new(0));
            let result = inflate_from(encoding, Counting(&bomb, read.clone()), 1 << 20, false);
            assert!(matches!(result, Err(Unreadable::TooLarge(_))), "{encoding:?}");
            assert!(read.get() < bomb.len() / 4, "{encoding:?}: read {} of {} compressed bytes", read.get(), bomb.len());
            let message = match decompress(encoding, Bytes::from(bomb.clone()), 20 << 20) {
                Err(Unreadable::TooLarge(m)) => m,
                _ => panic!("{encoding:?}: not refused"),
            };
            assert!(message.contains("256 times the compressed size"), "{message}");
        }
    }

    #[test]
    fn ordinary_bodies_inflate_whole() {
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        for encoding in [Encoding::Identity, Encoding::Gzip, Encoding::Zlib, Encoding::Zstd, Encoding::Snappy] {
            let body = Bytes::from(compress(encoding, &data));
            let out = decompress(encoding, body, 20 << 20).ok().unwrap();
            assert_eq!(out, data, "{encoding:?}");
        }
        let mut framed = snap::write::FrameEncoder::new(Vec::new());
        framed.write_all(&data).unwrap();
        let out = decompress(Encoding::Snappy, Bytes::from(framed.into_inner().unwrap()), 20 << 20).ok().unwrap();
        assert_eq!(out, data, "framed snappy");
    }

    /// Snappy cannot pass about 6:1 so no snappy body reaches the inflation
    /// ratio bound; a block that says it inflates past the size limit is
    /// refused from its header, and a framed stream a buffer past it.
    #[test]
    fn snappy_past_the_limit_is_refused() {
        let zeros = vec![0u8; 4 << 20];
        let block = Bytes::from(compress(Encoding::Snappy, &zeros));
        assert!(matches!(decompress(Encoding::Snappy, block, 1 << 20), Err(Unreadable::TooLarge(_))));
        let mut framed = snap::write::FrameEncoder::new(Vec::new());
        framed.write_all(&zeros).unwrap();
        let framed = Bytes::from(framed.into_inner().unwrap());
        assert!(matches!(decompress(Encoding::Snappy, framed, 1 << 20), Err(Unreadable::TooLarge(_))));
        assert!(matches!(decompress(Encoding::Snappy, Bytes::from_static(b"\x05nope"), 1 << 20), Err(Unreadable::Invalid(_))));
    }

    /// A zstd frame that asks for a 128 MiB window is refused, not allocated.
    #[test]
    fn a_huge_zstd_window_is_refused() {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        e.set_parameter(zstd::zstd_safe::CParameter::WindowLog(27)).unwrap();
        e.include_contentsize(false).unwrap();
        e.write_all(&[1u8; 1000]).unwrap();
        let body = Bytes::from(e.finish().unwrap());
        assert!(matches!(decompress(Encoding::Zstd, body, 20 << 20), Err(Unreadable::Invalid(_))));
    }
}
