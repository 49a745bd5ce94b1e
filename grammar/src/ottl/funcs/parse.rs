//! Converters that parse text into structure: `ParseJSON`,
//! `ExtractPatterns`, `URL`, `ParseKeyValue`, and the base64 decoders
//! `Base64Decode` and `Decode`.

use base64::Engine;
use percent_encoding::percent_decode_str;

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, lit_regex, map_put, opt_str, want_str, Made};

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "ParseJSON", params: &[Param::required("target", Value)], make: parse_json },
    FunctionDef { name: "ExtractPatterns", params: &[Param::required("target", Value), Param::required("pattern", Str)], make: extract_patterns },
    FunctionDef { name: "URL", params: &[Param::required("url_string", Value)], make: url },
    FunctionDef {
        name: "ParseKeyValue",
        params: &[Param::required("target", Value), Param::optional("delimiter", Value), Param::optional("pair_delimiter", Value)],
        make: parse_key_value,
    },
    FunctionDef { name: "Base64Decode", params: &[Param::required("value", Value)], make: |_| decode_with(None) },
    FunctionDef { name: "Decode", params: &[Param::required("value", Value), Param::required("encoding", Str)], make: decode },
    FunctionDef { name: "Base64Encode", params: &[Param::required("value", Value), Param::optional("variant", Str)], make: base64_encode },
];

/// A JSON object or array; numbers become doubles, `null` nil.
fn parse_json(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let text = want_str(args.get(0)?)?;
        match super::json::parse(&text)? {
            v @ (Value::Map(_) | Value::List(_)) => Ok(v),
            other => Err(format!("could not convert parsed value of type {} to JSON object", other.type_name())),
        }
    })
}

/// The first match's named groups as a map (an unmatched optional group is
/// the empty string); no match is an empty map. A pattern without a named
/// group is refused at load.
fn extract_patterns(c: &CompileArgs<'_>) -> Made {
    let re = lit_regex(c, 1, "ExtractPatterns")?;
    if re.capture_names().flatten().next().is_none() {
        return Err((1, "at least 1 named capture group must be supplied in the given regex".into()));
    }
    func(move |args| {
        let text = want_str(args.get(0)?)?;
        let mut out = Vec::new();
        if let Some(caps) = re.captures(&text) {
            for name in re.capture_names().flatten() {
                let v = caps.name(name).map_or("", |m| m.as_str());
                map_put(&mut out, name, Value::str(v));
            }
        }
        Ok(Value::Map(out))
    })
}

/// The `url.*` attributes of a URL, read the way Go's `url.Parse` splits
/// one: `url.original`, `url.scheme`, `url.domain` and `url.path` always,
/// the rest when present. A port is kept even when it is the scheme's
/// default, as Go keeps it.
fn url(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let s = want_str(args.get(0)?)?;
        if s.is_empty() {
            return Err("url cannot be empty".into());
        }
        parse_url(&s).map(Value::Map)
    })
}

pub(super) fn parse_url(original: &str) -> Result<Vec<(String, Value)>, String> {
    let bad = |why: &str| format!("parse {original:?}: {why}");
    let unescape = |s: &str| {
        // Go refuses a `%` not followed by two hex digits; the decoder
        // would pass it through.
        let b = s.as_bytes();
        if let Some(i) = (0..b.len()).find(|&i| b[i] == b'%' && !(i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit())) {
            let escape: String = s[i..].chars().take(3).collect();
            return Err(bad(&format!("invalid URL escape {escape:?}")));
        }
        percent_decode_str(s).decode_utf8().map(|c| c.into_owned()).map_err(|_| bad("invalid URL escape"))
    };
    if original.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(bad("net/url: invalid control character in URL"));
    }
    let (rest, fragment) = match original.split_once('#') {
        Some((r, f)) => (r, Some(unescape(f)?)),
        None => (original, None),
    };
    let (scheme, rest) = match rest.find(':') {
        Some(i) if i > 0 && rest[..i].bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) => {
            if !rest.as_bytes()[0].is_ascii_alphabetic() {
                return Err(bad("first path segment in URL cannot contain colon"));
            }
            (rest[..i].to_ascii_lowercase(), &rest[i + 1..])
        }
        Some(0) => return Err(bad("missing protocol scheme")),
        _ => (String::new(), rest),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match rest.strip_prefix("//") {
        Some(after) => match after.find('/') {
            Some(i) => (Some(&after[..i]), &after[i..]),
            None => (Some(after), ""),
        },
        None => (None, rest),
    };
    let mut out = vec![("url.original".to_owned(), Value::str(original)), ("url.scheme".to_owned(), Value::str(scheme))];
    let (mut domain, mut port, mut user) = (String::new(), None, None);
    if let Some(auth) = authority {
        let host_port = match auth.rfind('@') {
            Some(i) => {
                user = Some(&auth[..i]);
                &auth[i + 1..]
            }
            None => auth,
        };
        let (host, p) = match host_port.rfind(':') {
            Some(i) if !host_port[i..].contains(']') => (&host_port[..i], Some(&host_port[i + 1..])),
            _ => (host_port, None),
        };
        domain = unescape(host.trim_start_matches('[').trim_end_matches(']'))?;
        if let Some(p) = p.filter(|p| !p.is_empty()) {
            port = Some(p.parse::<i64>().map_err(|_| bad(&format!("invalid port {:?} after host", format!(":{p}"))))?);
        }
    }
    let path = unescape(path)?;
    out.push(("url.domain".to_owned(), Value::str(domain)));
    out.push(("url.path".to_owned(), Value::str(path.as_str())));
    // As the Collector does: after the path's last `.`, wherever it is.
    if let Some((_, ext)) = path.rsplit_once('.').filter(|(_, e)| !e.is_empty()) {
        out.push(("url.extension".to_owned(), Value::str(ext)));
    }
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        out.push(("url.query".to_owned(), Value::str(q)));
    }
    if let Some(f) = fragment.filter(|f| !f.is_empty()) {
        out.push(("url.fragment".to_owned(), Value::Str(f)));
    }
    if let Some(p) = port {
        out.push(("url.port".to_owned(), Value::Int(p)));
    }
    if let Some(info) = user {
        out.push(("url.user_info".to_owned(), Value::str(info)));
        let (name, password) = match info.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (info, None),
        };
        if !name.is_empty() {
            out.push(("url.username".to_owned(), Value::Str(unescape(name)?)));
        }
        if let Some(p) = password {
            out.push(("url.password".to_owned(), Value::Str(unescape(p)?)));
        }
    }
    Ok(out)
}

/// `k1=v1 k2=v2` to a map, as the Collector's `SplitString` and
/// `ParseKeyValuePairs` do it: pairs split on the pair delimiter outside
/// quotes, quote characters are dropped (a backslash keeps the next one),
/// each pair splits at its first delimiter, keys and values are trimmed, and
/// a repeated key keeps the last value.
fn parse_key_value(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let target = want_str(args.get(0)?)?;
        let delimiter = opt_str(args, 1)?.unwrap_or_else(|| "=".into());
        let pair_delimiter = opt_str(args, 2)?.unwrap_or_else(|| " ".into());
        if target.is_empty() {
            return Err("cannot parse from empty target".into());
        }
        if delimiter.is_empty() || pair_delimiter.is_empty() {
            return Err("delimiters cannot be empty".into());
        }
        if delimiter == pair_delimiter {
            return Err(format!("pair delimiter {pair_delimiter:?} cannot be equal to delimiter {delimiter:?}"));
        }
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for pair in split_string(&target, &pair_delimiter)? {
            match pair.split_once(delimiter.as_str()) {
                Some((k, v)) => map_put(&mut out, k.trim(), Value::str(v.trim())),
                None => errors.push(format!("cannot split {pair:?} into 2 items, got 1 item(s)")),
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        Ok(Value::Map(out))
    })
}

fn split_string(input: &str, delimiter: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut rest = input;
    while let Some(c) = rest.chars().next() {
        if quote.is_none() && rest.starts_with(delimiter) {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            rest = &rest[delimiter.len()..];
            continue;
        }
        rest = &rest[c.len_utf8()..];
        if !escaped {
            if quote.is_none() && (c == '"' || c == '\'') {
                quote = Some(c);
                continue;
            }
            if quote == Some(c) {
                quote = None;
                continue;
            }
            escaped = c == '\\';
        } else {
            escaped = false;
        }
        current.push(c);
    }
    if quote.is_some() {
        return Err("never reached the end of a quoted value".into());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    Ok(parts)
}

/// `Decode` knows the base64 variants and UTF-8/ASCII (which pass
/// through); the IANA character sets beyond those are not supported.
fn decode(c: &CompileArgs<'_>) -> Made {
    let encoding = super::common::lit_str(c, 1).unwrap_or("").to_ascii_lowercase();
    match encoding.as_str() {
        "base64" | "base64-raw" | "base64-url" | "base64-raw-url" => decode_with(Some(encoding)),
        "utf-8" | "utf8" | "us-ascii" | "ascii" => func(|args| match args.get(0)? {
            Value::Str(s) => Ok(Value::Str(s)),
            Value::Bytes(b) => Ok(Value::Str(String::from_utf8_lossy(&b).into_owned())),
            other => Err(format!("unsupported type provided to Decode function: {}", other.type_name())),
        }),
        other => Err((1, format!("no charmap defined for encoding '{other}'"))),
    }
}

fn decode_with(encoding: Option<String>) -> Made {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let engine = match encoding.as_deref() {
        Some("base64-raw") => STANDARD_NO_PAD,
        Some("base64-url") => URL_SAFE,
        Some("base64-raw-url") => URL_SAFE_NO_PAD,
        _ => STANDARD,
    };
    func(move |args| {
        let input = match args.get(0)? {
            Value::Str(s) => s.into_bytes(),
            Value::Bytes(b) => b,
            other => return Err(format!("unsupported type provided to Decode function: {}", other.type_name())),
        };
        let bytes = engine.decode(input).map_err(|e| format!("illegal base64 data: {e}"))?;
        Ok(Value::Str(String::from_utf8_lossy(&bytes).into_owned()))
    })
}

/// `base64` (the default), `base64-raw`, `base64-url`, `base64-raw-url`.
fn base64_encode(c: &CompileArgs<'_>) -> Made {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let engine = match super::common::lit_str(c, 1).unwrap_or("base64") {
        "base64" => STANDARD,
        "base64-raw" => STANDARD_NO_PAD,
        "base64-url" => URL_SAFE,
        "base64-raw-url" => URL_SAFE_NO_PAD,
        other => return Err((1, format!("unsupported base64 variant: {other}"))),
    };
    func(move |args| Ok(Value::Str(engine.encode(want_str(args.get(0)?)?))))
}
