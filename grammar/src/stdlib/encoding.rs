//! `encoding`: turning text into values and values into text.
//!
//! Decoders point their errors at the argument they could not read and say
//! where in it the problem is, since the input is usually a file's contents
//! or a remote response the user cannot see in the config.

mod structured;
mod yaml;

pub(super) use structured::parse_json;

use base64::alphabet;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use base64::{DecodeError, Engine};

use super::args::on_strings;
use crate::value::{CallError, Function, Value};

pub fn functions() -> Vec<Function> {
    vec![
        on_strings("encoding.from_json", |[s]| parse_json(s, 0)),
        on_strings("encoding.from_yaml", |[s]| structured::parse_yaml(s)),
        Function::new("encoding.to_json", structured::to_json),
        on_strings("encoding.from_base64", |[s]| from_base64(&STANDARD, s)),
        on_strings("encoding.from_URLbase64", |[s]| from_base64(&URL_SAFE, s)),
        on_strings("encoding.to_base64", |[s]| Ok(Value::String(STANDARD.encode(s)))),
        on_strings("encoding.to_URLbase64", |[s]| Ok(Value::String(URL_SAFE.encode(s)))),
        on_strings("encoding.url_encode", |[s]| Ok(Value::String(query_escape(s)))),
        on_strings("encoding.url_decode", |[s]| query_unescape(s).map(Value::String).map_err(|e| CallError::arg(0, e))),
    ]
}

/// Go's `base64.StdEncoding` and `URLEncoding`: padded, and lenient about
/// unused bits in the last character, as Go is by default.
const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);

/// Line breaks are skipped, as Go skips them, so wrapped base64 from a PEM
/// or a Kubernetes secret decodes as is.
fn from_base64(engine: &GeneralPurpose, s: &str) -> Result<Value, CallError> {
    let compact: String = s.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let bytes = engine.decode(compact).map_err(|e| {
        CallError::arg(
            0,
            match e {
                DecodeError::InvalidByte(at, _) | DecodeError::InvalidLastSymbol(at, _) => {
                    format!("illegal base64 data at input byte {at}")
                }
                DecodeError::InvalidLength(len) => format!("illegal base64 data: length {len} is not a multiple of 4"),
                DecodeError::InvalidPadding => "illegal base64 data: bad padding".to_string(),
            },
        )
    })?;
    text(bytes).map(Value::String).map_err(|e| CallError::arg(0, e))
}

/// Decoded bytes as a string: Alloy strings are UTF-8, whatever Go allows.
fn text(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| format!("decoded data is not valid UTF-8 (at byte {})", e.utf8_error().valid_up_to()))
}

/// Go's `url.QueryEscape`: unreserved characters stay, space becomes `+`,
/// everything else is percent-encoded byte by byte.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `url.QueryUnescape`, with its error wording for a bad escape.
fn query_unescape(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = |j: usize| bytes.get(j).and_then(|b| char::from(*b).to_digit(16));
                let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                    let end = s.len().min(i + 3);
                    let shown = String::from_utf8_lossy(&bytes[i..end]);
                    return Err(format!("invalid URL escape {shown:?}"));
                };
                // Two hex digits always fit a byte.
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    text(out)
}

#[cfg(test)]
mod tests {
    use super::super::args::testing::{eval, eval_deprecated, eval_error};
    use super::*;

    #[test]
    fn base64_round_trips() {
        assert_eq!(eval(r#"encoding.to_base64("hello?>")"#), Value::string("aGVsbG8/Pg=="));
        assert_eq!(eval(r#"encoding.to_URLbase64("hello?>")"#), Value::string("aGVsbG8_Pg=="));
        assert_eq!(eval(r#"encoding.from_base64("aGVsbG8/Pg==")"#), Value::string("hello?>"));
        assert_eq!(eval(r#"encoding.from_URLbase64("aGVsbG8_Pg==")"#), Value::string("hello?>"));
        assert_eq!(eval(r#"encoding.from_base64("aGVs\nbG8=")"#), Value::string("hello"));
        assert_eq!(eval(r#"encoding.from_base64("")"#), Value::string(""));
        // Unused low bits in the last character are tolerated, as in Go.
        assert_eq!(eval(r#"encoding.from_base64("aGk=")"#), eval(r#"encoding.from_base64("aGl=")"#));
    }

    #[test]
    fn base64_errors() {
        let e = |src| eval_error(src);
        assert_eq!(e(r#"encoding.from_base64("aGVsbG8_Pg==")"#), "encoding.from_base64: illegal base64 data at input byte 7");
        assert_eq!(e(r#"encoding.from_URLbase64("aGVsbG8/Pg==")"#), "encoding.from_URLbase64: illegal base64 data at input byte 7");
        assert!(e(r#"encoding.from_base64("aGVsbG8")"#).contains("illegal base64 data"));
        assert!(e(r#"encoding.from_base64("a===")"#).contains("illegal base64 data"));
        assert!(e(r#"encoding.from_base64("/w==")"#).contains("not valid UTF-8 (at byte 0)"));
        assert_eq!(e("encoding.to_base64(1)"), "1 should be string, got number");
        assert_eq!(e("encoding.from_base64()"), "encoding.from_base64: expected 1 argument, got 0");
    }

    #[test]
    fn url_encoding_matches_go() {
        assert_eq!(eval(r#"encoding.url_encode("a b&c=d/é~")"#), Value::string("a+b%26c%3Dd%2F%C3%A9~"));
        assert_eq!(eval(r#"encoding.url_decode("a+b%26c%3dd%2F%C3%A9~")"#), Value::string("a b&c=d/é~"));
        assert_eq!(eval(r#"encoding.url_decode("")"#), Value::string(""));
        assert_eq!(query_unescape("%zz"), Err(r#"invalid URL escape "%zz""#.to_string()));
        assert_eq!(query_unescape("ab%4"), Err(r#"invalid URL escape "%4""#.to_string()));
        assert_eq!(query_unescape("%"), Err(r#"invalid URL escape "%""#.to_string()));
        assert!(query_unescape("%ff").unwrap_err().contains("UTF-8"));
        assert_eq!(eval_error(r#"encoding.url_decode("100%")"#), r#"encoding.url_decode: invalid URL escape "%""#);
    }

    #[test]
    fn deprecated_aliases() {
        assert_eq!(eval_deprecated(r#"base64_decode("aGk=")"#, "encoding.from_base64"), Value::string("hi"));
        assert_eq!(eval_deprecated(r#"json_decode("{}")"#, "encoding.from_json"), eval("{}"));
        assert_eq!(eval_deprecated(r#"yaml_decode("a: 1")"#, "encoding.from_yaml"), eval("{a = 1}"));
    }
}
