//! `Content-Encoding` of OTLP/HTTP request bodies: which are accepted,
//! and inflating them without letting a small body fill memory.

use std::io::Read;

use bytes::Bytes;
use hyper::header::{HeaderMap, CONTENT_ENCODING};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    Identity,
    Gzip,
    Zstd,
    Zlib,
}

impl Encoding {
    pub fn parse(name: &str) -> Option<Encoding> {
        match name.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => Some(Encoding::Identity),
            "gzip" | "x-gzip" => Some(Encoding::Gzip),
            "zstd" => Some(Encoding::Zstd),
            "zlib" | "deflate" => Some(Encoding::Zlib),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Encoding::Identity => "uncompressed",
            Encoding::Gzip => "gzip",
            Encoding::Zstd => "zstd",
            Encoding::Zlib => "zlib",
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
    TooLarge,
    Invalid(String),
}

/// Decompresses up to `limit` bytes; a body that inflates past it is
/// refused rather than allowed to fill memory.
pub(super) fn decompress(encoding: Encoding, body: Bytes, limit: usize) -> Result<Bytes, Unreadable> {
    let reader: Box<dyn Read + '_> = match encoding {
        Encoding::Identity => return Ok(body),
        Encoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(&body[..])),
        Encoding::Zlib => Box::new(flate2::read::ZlibDecoder::new(&body[..])),
        Encoding::Zstd => Box::new(zstd::stream::read::Decoder::new(&body[..]).map_err(|e| Unreadable::Invalid(format!("invalid zstd body: {e}")))?),
    };
    let mut out = Vec::new();
    reader.take(limit as u64 + 1).read_to_end(&mut out).map_err(|e| Unreadable::Invalid(format!("failed to decompress the {} body: {e}", encoding.name())))?;
    if out.len() > limit {
        return Err(Unreadable::TooLarge);
    }
    Ok(Bytes::from(out))
}
