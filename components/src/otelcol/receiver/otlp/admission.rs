//! What a request may cost before it is refused: bounds that hold a
//! request's memory in proportion to its bytes on the wire, whatever
//! arrives. A request's bytes say little about its cost: an 11 KB gzip
//! body inflates to 12 MB of two-byte empty spans, each of which takes a
//! few hundred bytes once decoded. So three things are bounded, in the
//! order a request meets them:
//!
//! 1. how far a compressed body may inflate ([`inflation_limit`]), enforced
//!    by the decompressor as it reads, so that a bomb stops at the bound
//!    instead of inflating first and being measured afterwards;
//! 2. how many items one request may hold ([`max_items`]);
//! 3. how many items per decoded byte ([`MIN_BYTES_PER_ITEM`]).
//!
//! The bounds are set far above what SDKs and collectors send (see
//! `docs/components/otelcol.receiver.otlp.md`), so they only ever refuse
//! requests built to hurt.

use crate::otlp::Signal;

/// The most memory one request may take once decoded, as estimated from
/// its item count. 64 MiB admits about 254,000 spans in one request, far
/// more than SDKs (512) or collectors (8,192) send.
pub const MAX_DECODED_BYTES: usize = 64 << 20;

/// The most a compressed body may inflate, relative to its size. gzip and
/// zlib cannot pass about 1,030:1; zstd can reach far more. Real OTLP
/// requests compress about 5–30:1: every span carries 24 random bytes of
/// ids, and every point or record a timestamp. The densest real request
/// we know of (the same log line again and again) stays below 100:1.
pub const MAX_INFLATION_RATIO: usize = 256;

/// Bodies that inflate to at most this are never refused for their ratio:
/// a small request costs little however well it compresses (a 100-byte
/// body of a thousand identical metric points, say).
pub const INFLATION_FREE_BYTES: usize = 1 << 20;

/// The fewest wire bytes an item takes on average, in a request large
/// enough for the average to matter. A span with the ids OTLP requires
/// takes at least 28 bytes; a point or a log record with a timestamp, 10.
/// Two-byte empty items are what bombs are made of.
pub const MIN_BYTES_PER_ITEM: usize = 8;

/// Requests with at most this many items are never refused for their
/// density: they cost at most about 1 MiB decoded.
pub const DENSITY_FREE_ITEMS: usize = 4096;

/// What one item of `signal` takes once decoded, at least.
fn decoded_item_bytes(signal: Signal) -> usize {
    use crate::otlp::proto::{logs::v1::LogRecord, metrics::v1::NumberDataPoint, trace::v1::Span};
    match signal {
        Signal::Traces => std::mem::size_of::<Span>(),
        Signal::Metrics => std::mem::size_of::<NumberDataPoint>(),
        Signal::Logs => std::mem::size_of::<LogRecord>(),
    }
}

/// The most items of `signal` one request may hold.
pub fn max_items(signal: Signal) -> usize {
    MAX_DECODED_BYTES / decoded_item_bytes(signal)
}

/// How far a body of `compressed` bytes may inflate, and at most `limit`.
pub fn inflation_limit(compressed: usize, limit: usize) -> usize {
    compressed.saturating_mul(MAX_INFLATION_RATIO).max(INFLATION_FREE_BYTES).min(limit)
}

/// The message for a body that inflated past [`inflation_limit`].
pub fn inflation_refusal(compressed: usize, limit: usize) -> String {
    let bound = inflation_limit(compressed, limit);
    if bound == limit {
        format!("the body inflates past the size limit ({limit} bytes)")
    } else {
        format!(
            "a {compressed}-byte compressed body inflates past {bound} bytes; the limit is {MAX_INFLATION_RATIO} times the compressed size: send it less compressed or in smaller requests"
        )
    }
}

/// Checks a validated request of `items` items in `bytes` decoded bytes;
/// the reason it would cost more memory than it may, if it would.
pub fn check(signal: Signal, items: usize, bytes: usize) -> Result<(), String> {
    let what = signal.item_name().replace('_', " ");
    let max = max_items(signal);
    if items > max {
        let decoded = items.saturating_mul(decoded_item_bytes(signal));
        return Err(format!(
            "{items} {what} in one request would take about {} MiB once decoded; the limit is {} MiB ({max} {what}): send them in smaller requests",
            decoded >> 20,
            MAX_DECODED_BYTES >> 20
        ));
    }
    if items > DENSITY_FREE_ITEMS && items.saturating_mul(MIN_BYTES_PER_ITEM) > bytes {
        return Err(format!(
            "{items} {what} in {bytes} bytes: fewer than {MIN_BYTES_PER_ITEM} bytes per item on average, which no real client sends, and each would take hundreds once decoded"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_leave_real_requests_alone() {
        // An SDK's 512 spans of 200 bytes, a collector's 8,192, uncompressed or 20:1.
        for (items, bytes) in [(512, 512 * 200), (8192, 8192 * 200), (4096, 4096 * 2), (1, 2)] {
            assert_eq!(check(Signal::Traces, items, bytes), Ok(()), "{items} in {bytes}");
        }
        assert_eq!(inflation_limit(100_000, 20 << 20), 20 << 20, "20:1 of 100 KB is far from the ratio bound");
        assert_eq!(inflation_limit(100, 20 << 20), INFLATION_FREE_BYTES, "small bodies inflate freely");
        assert_eq!(inflation_limit(100, 1000), 1000, "never past the size limit");
    }

    #[test]
    fn bounds_refuse_what_bombs_are_made_of() {
        let dense = check(Signal::Traces, 5_000_000, 10_000_000).unwrap_err();
        assert!(dense.contains("5000000 spans in one request"), "{dense}");
        let empty = check(Signal::Logs, 10_000, 20_000).unwrap_err();
        assert!(empty.contains("fewer than 8 bytes per item"), "{empty}");
        assert!(check(Signal::Metrics, max_items(Signal::Metrics) + 1, usize::MAX).is_err());
        assert_eq!(inflation_limit(11_000, 20 << 20), 11_000 * MAX_INFLATION_RATIO);
    }
}
