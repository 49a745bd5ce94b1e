//! The few protobuf messages exporters read from responses: the
//! `google.rpc.Status` of a refusal (with its `RetryInfo`), and the
//! `partial_success` of an accepted export.

use std::time::Duration as StdDuration;

use prost::Message;

use crate::otlp::Signal;

const RETRY_INFO: &str = "type.googleapis.com/google.rpc.RetryInfo";

#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<Any>,
}

#[derive(Clone, PartialEq, Message)]
struct Any {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    retry_delay: Option<ProtoDuration>,
}

#[derive(Clone, PartialEq, Message)]
struct ProtoDuration {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

/// `Export*ServiceResponse`: every signal's response has `partial_success`
/// at field 1, whose rejected count and message are fields 1 and 2.
#[derive(Clone, PartialEq, Message)]
struct ExportResponse {
    #[prost(message, optional, tag = "1")]
    partial_success: Option<PartialSuccess>,
}

#[derive(Clone, PartialEq, Message)]
struct PartialSuccess {
    #[prost(int64, tag = "1")]
    rejected: i64,
    #[prost(string, tag = "2")]
    error_message: String,
}

/// A decoded `google.rpc.Status`: its message and, if it carries a
/// `RetryInfo`, the delay the server asked for. `None` if `bytes` is not a
/// status.
pub(crate) fn rpc_status(bytes: &[u8]) -> Option<(String, Option<StdDuration>)> {
    let status = RpcStatus::decode(bytes).ok()?;
    let delay = status
        .details
        .iter()
        .filter(|d| d.type_url == RETRY_INFO)
        .find_map(|d| RetryInfo::decode(d.value.as_slice()).ok()?.retry_delay)
        .map(|d| StdDuration::new(d.seconds.max(0) as u64, d.nanos.clamp(0, 999_999_999) as u32));
    Some((status.message, delay))
}

/// Logs a partial success, as the Collector does: the request counts as
/// sent, and the server's reason is kept for whoever reads the logs.
pub(crate) fn partial_success(response: &[u8], signal: Signal, destination: &str) {
    let Ok(ExportResponse { partial_success: Some(p) }) = ExportResponse::decode(response) else { return };
    if p.rejected != 0 || !p.error_message.is_empty() {
        tracing::warn!(
            destination,
            rejected = p.rejected,
            message = %p.error_message,
            "partial success: the server rejected {} of the {} sent",
            p.rejected,
            signal.item_name(),
        );
    }
}

/// Encodes a status with a `RetryInfo`, for tests' servers.
#[cfg(test)]
pub(crate) fn encode_status(code: i32, message: &str, retry_delay: Option<StdDuration>) -> Vec<u8> {
    let details = retry_delay
        .map(|d| Any {
            type_url: RETRY_INFO.to_string(),
            value: RetryInfo { retry_delay: Some(ProtoDuration { seconds: d.as_secs() as i64, nanos: d.subsec_nanos() as i32 }) }.encode_to_vec(),
        })
        .into_iter()
        .collect();
    RpcStatus { code, message: message.to_string(), details }.encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_message_and_retry_delay() {
        let bytes = encode_status(8, "slow down", Some(StdDuration::from_millis(1500)));
        assert_eq!(rpc_status(&bytes), Some(("slow down".to_string(), Some(StdDuration::from_millis(1500)))));
        assert_eq!(rpc_status(&encode_status(14, "down", None)), Some(("down".to_string(), None)));
        assert_eq!(rpc_status(b"\xff\xff not protobuf"), None);
    }
}
