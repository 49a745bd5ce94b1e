//! OTLP/JSON in, protobuf out.
//!
//! OTLP/JSON is the proto3 JSON mapping with OTLP's own amendments: trace
//! and span ids are hex, not base64, and enums are integers (names are
//! accepted too). Keys are lowerCamelCase, snake_case is accepted, unknown
//! keys are ignored, 64-bit integers may be strings or numbers, and `null`
//! means "not set". The request is transcoded into the prost messages and
//! encoded once; from there it travels like any protobuf request.
//!
//! Errors name the JSON path of the value at fault, e.g.
//! `resourceSpans[0].scopeSpans[0].spans[2].traceId`.

mod common;
mod logs;
mod metrics;
mod traces;

use bytes::Bytes;
use prost::Message;

use crate::otlp::Signal;

/// A request that is not valid OTLP/JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Path of the offending value; empty for the document itself.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "invalid OTLP/JSON: {}", self.message)
        } else {
            write!(f, "invalid OTLP/JSON at {}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for JsonError {}

/// Transcodes an `Export<Signal>ServiceRequest` from JSON to protobuf.
pub fn to_protobuf(signal: Signal, body: &[u8]) -> Result<Bytes, JsonError> {
    let doc: serde_json::Value = serde_json::from_slice(body).map_err(|e| JsonError { path: String::new(), message: e.to_string() })?;
    let root = common::Path::root();
    let encoded = match signal {
        Signal::Traces => traces::request(&doc, &root)?.encode_to_vec(),
        Signal::Metrics => metrics::request(&doc, &root)?.encode_to_vec(),
        Signal::Logs => logs::request(&doc, &root)?.encode_to_vec(),
    };
    Ok(Bytes::from(encoded))
}

#[cfg(test)]
mod tests;
