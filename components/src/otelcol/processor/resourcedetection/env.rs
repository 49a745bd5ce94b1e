//! The `env` detector: `OTEL_RESOURCE_ATTRIBUTES`, as SDKs read it.
//!
//! The value is a comma-separated list of `key=value` pairs, each side
//! percent-encoded (the W3C Baggage format the SDK specification names).
//! As the specification asks, a malformed value is reported and none of it
//! is used: half a resource would be a wrong resource.

pub const VARIABLE: &str = "OTEL_RESOURCE_ATTRIBUTES";

/// The pairs in `OTEL_RESOURCE_ATTRIBUTES`, read through `var`; none when
/// it is unset or empty.
pub fn detect(var: &dyn Fn(&str) -> Option<String>) -> Result<Vec<(String, String)>, String> {
    match var(VARIABLE) {
        None => Ok(Vec::new()),
        Some(value) => parse(&value).map_err(|e| format!("{VARIABLE}: {e}")),
    }
}

/// Parses `k1=v1,k2=v2`. Blank entries (a trailing comma) are skipped;
/// space around keys and values is trimmed.
pub fn parse(value: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((key, val)) = entry.split_once('=') else {
            return Err(format!("entry {entry:?} is not key=value"));
        };
        let key = decode(key.trim()).map_err(|e| format!("key in {entry:?}: {e}"))?;
        if key.is_empty() {
            return Err(format!("entry {entry:?} has an empty key"));
        }
        let val = decode(val.trim()).map_err(|e| format!("value in {entry:?}: {e}"))?;
        out.push((key, val));
    }
    Ok(out)
}

/// Percent-decodes `s`; the bytes must then be UTF-8.
fn decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(b) = hex else {
                return Err(format!("invalid percent-encoding at byte {i}"));
            };
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-decodes to invalid UTF-8".to_string())
}
