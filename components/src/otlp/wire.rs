//! Checking and counting OTLP requests on the wire, without decoding.
//!
//! This is the receiver's validation on the hot path. It walks the
//! protobuf encoding along the schema's message fields down to the items
//! (spans, metric data points, log records), checks that every tag, varint
//! and length is well formed and in bounds, and counts the items.

/// What is wrong with a payload, and at which byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed OTLP payload at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for WireError {}

use super::Signal;

/// Validates a request of `signal` and returns its number of items.
pub fn validate(signal: Signal, bytes: &[u8]) -> Result<usize, WireError> {
    // Field paths from the request down to the repeated item field:
    // traces: resource_spans(1) > scope_spans(2) > spans(2)
    // logs:   resource_logs(1)  > scope_logs(2)  > log_records(2)
    // metrics: resource_metrics(1) > scope_metrics(2) > metrics(2) > data
    let mut count = 0;
    walk(bytes, 0, &mut |field, wire_type, body, at| {
        if field == 1 && wire_type == 2 {
            walk(body, at, &mut |f2, w2, body2, at2| {
                if f2 == 2 && w2 == 2 {
                    walk(body2, at2, &mut |f3, w3, body3, at3| {
                        if f3 == 2 && w3 == 2 {
                            count += match signal {
                                Signal::Traces | Signal::Logs => {
                                    walk(body3, at3, &mut |_, _, _, _| Ok(()))?;
                                    1
                                }
                                Signal::Metrics => metric_points(body3, at3)?,
                            };
                        }
                        Ok(())
                    })?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(count)
}

/// Data points in one `Metric`: the `data_points` (1) of whichever of gauge
/// (5), sum (7), histogram (9), exponential histogram (10) or summary (11)
/// it holds.
fn metric_points(metric: &[u8], at: usize) -> Result<usize, WireError> {
    let mut n = 0;
    walk(metric, at, &mut |f, w, body, at2| {
        if matches!(f, 5 | 7 | 9 | 10 | 11) && w == 2 {
            walk(body, at2, &mut |f2, w2, _, _| {
                if f2 == 1 && w2 == 2 {
                    n += 1;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(n)
}

type Visit<'a> = dyn FnMut(u32, u8, &[u8], usize) -> Result<(), WireError> + 'a;

/// Walks the fields of one message, calling `visit(field, wire_type, body,
/// offset_of_body)` for each; `body` is empty for non-length-delimited
/// fields.
fn walk(buf: &[u8], base: usize, visit: &mut Visit<'_>) -> Result<(), WireError> {
    let mut i = 0;
    while i < buf.len() {
        let at = base + i;
        let (key, n) = varint(&buf[i..]).ok_or_else(|| err(at, "truncated field key"))?;
        i += n;
        let field = u32::try_from(key >> 3).map_err(|_| err(at, "field number out of range"))?;
        let wire_type = (key & 7) as u8;
        if field == 0 {
            return Err(err(at, "field number 0"));
        }
        match wire_type {
            0 => {
                let (_, n) = varint(&buf[i..]).ok_or_else(|| err(base + i, "truncated varint"))?;
                i += n;
                visit(field, 0, &[], base + i)?;
            }
            1 | 5 => {
                let width = if wire_type == 1 { 8 } else { 4 };
                if buf.len() - i < width {
                    return Err(err(base + i, "truncated fixed-width value"));
                }
                i += width;
                visit(field, wire_type, &[], base + i)?;
            }
            2 => {
                let (len, n) = varint(&buf[i..]).ok_or_else(|| err(base + i, "truncated length"))?;
                i += n;
                let len = usize::try_from(len).map_err(|_| err(base + i, "length out of range"))?;
                if buf.len() - i < len {
                    return Err(err(base + i, format!("length {len} runs past the end of the message")));
                }
                visit(field, 2, &buf[i..i + len], base + i)?;
                i += len;
            }
            other => return Err(err(at, format!("unsupported wire type {other}"))),
        }
    }
    Ok(())
}

fn varint(buf: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, &b) in buf.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

fn err(offset: usize, message: impl Into<String>) -> WireError {
    WireError { offset, message: message.into() }
}
