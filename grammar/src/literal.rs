//! Decoding string literals with Go's escape set, as Alloy does.

/// What is wrong with a literal, and where inside it (a byte offset from
/// the opening quote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapeError {
    pub offset: usize,
    pub len: usize,
    pub message: String,
}

/// Decodes a double-quoted literal (quotes included) or a raw backtick one.
///
/// Supports `\a \b \f \n \r \t \v \\ \"`, octal `\NNN`, `\xNN`, `\uNNNN` and
/// `\UNNNNNNNN`. Octal and `\x` escapes name bytes, as in Go, so a sequence
/// of them can spell a UTF-8 character; the result must be valid UTF-8.
pub fn unquote(lit: &str) -> Result<String, EscapeError> {
    if let Some(raw) = lit.strip_prefix('`') {
        // Carriage returns are dropped from raw strings, as in Go.
        return Ok(raw.strip_suffix('`').unwrap_or(raw).replace('\r', ""));
    }
    let inner = lit.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(lit);
    if !inner.contains('\\') {
        return Ok(inner.to_string());
    }
    let bytes = inner.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        // +1 for the opening quote, so offsets are relative to `lit`.
        let at = i + 1;
        let Some(&kind) = bytes.get(i + 1) else {
            return Err(err(at, 1, "unknown escape sequence"));
        };
        let simple = match kind {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' => Some(b'\\'),
            b'"' => Some(b'"'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            i += 2;
            continue;
        }
        let (digits, base, skip) = match kind {
            b'0'..=b'7' => (3, 8, 1),
            b'x' => (2, 16, 2),
            b'u' => (4, 16, 2),
            b'U' => (8, 16, 2),
            _ => {
                let width = inner[i + 1..].chars().next().map_or(1, char::len_utf8);
                return Err(err(at, 1 + width, "unknown escape sequence"));
            }
        };
        let start = i + skip;
        let mut value: u32 = 0;
        for k in 0..digits {
            let Some(&c) = bytes.get(start + k) else {
                // The literal's closing quote is where Go's scanner reads the
                // next digit, so that is the character it names.
                return Err(err(at, start + k - i + 1, "illegal character U+0022 '\"' in escape sequence"));
            };
            let Some(d) = (c as char).to_digit(base) else {
                let ch = inner[start + k..].chars().next().unwrap_or('?');
                return Err(err(at, start + k - i + ch.len_utf8(), format!("illegal character U+{:04X} '{}' in escape sequence", ch as u32, ch)));
            };
            value = value * base + d;
        }
        let len = skip + digits;
        match kind {
            b'0'..=b'7' | b'x' => {
                if value > 255 {
                    return Err(err(at, len, "escape sequence is invalid Unicode code point"));
                }
                out.push(value as u8);
            }
            _ => match char::from_u32(value) {
                Some(c) => {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                None => return Err(err(at, len, "escape sequence is invalid Unicode code point")),
            },
        }
        i += len;
    }
    String::from_utf8(out).map_err(|_| err(1, inner.len(), "escapes in string literal do not form valid UTF-8"))
}

/// Quotes a string so that `unquote` gives it back: the form the formatter
/// and value printer use.
///
/// ```
/// use solder_syntax::literal::{quote, unquote};
///
/// assert_eq!(unquote(r#""tab\there \u00e9 \xc3\xa9""#).unwrap(), "tab\there é é");
/// assert_eq!(unquote("`C:\\raw`").unwrap(), "C:\\raw");
/// assert!(unquote(r#""\q""#).is_err());
///
/// for s in ["plain", "a \"quoted\" word", "back\\slash", "line\nbreak", "é😀"] {
///     assert_eq!(unquote(&quote(s)).unwrap(), s);
/// }
/// ```
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where the byte at `offset` of a literal's decoded value is written in
/// the literal's text (quotes included). A diagnostic about a place inside
/// a string, such as the bad token of an OTTL statement, uses it to point
/// at the right character of the file however the string was escaped.
/// An offset inside an escape maps to its backslash; one at or past the
/// end maps to the closing quote. `lit` is assumed to decode.
///
/// ```
/// use solder_syntax::literal::source_offset;
///
/// // `set(x, "a")`: the decoded `a` is at 8, written at 10 after `\"`.
/// assert_eq!(source_offset(r#""set(x, \"a\")""#, 8), 10);
/// assert_eq!(source_offset("`raw`", 1), 2);
/// ```
pub fn source_offset(lit: &str, offset: usize) -> usize {
    let bytes = lit.as_bytes();
    let end = lit.len().saturating_sub(1).max(1);
    if lit.starts_with('`') {
        // Carriage returns are dropped from raw strings when decoded.
        let mut decoded = 0;
        for (i, c) in lit[1..end.min(lit.len())].char_indices() {
            if decoded >= offset {
                return i + 1;
            }
            if c != '\r' {
                decoded += c.len_utf8();
            }
        }
        return end;
    }
    let (mut i, mut decoded) = (1, 0);
    while i < end {
        if decoded >= offset {
            return i;
        }
        let (written, produced) = escape_width(&bytes[i..end]);
        i += written;
        decoded += produced;
    }
    end
}

/// The source bytes and decoded bytes of the unit starting `rest`: a
/// plain byte, or one whole escape sequence.
fn escape_width(rest: &[u8]) -> (usize, usize) {
    if rest.first() != Some(&b'\\') {
        return (1, 1);
    }
    let digits = |n: usize| rest.get(2..2 + n).and_then(|d| std::str::from_utf8(d).ok()).and_then(|d| u32::from_str_radix(d, 16).ok());
    match rest.get(1) {
        Some(b'0'..=b'7') => (4, 1),
        Some(b'x') => (4, 1),
        Some(b'u') => (6, digits(4).and_then(char::from_u32).map_or(1, char::len_utf8)),
        Some(b'U') => (10, digits(8).and_then(char::from_u32).map_or(1, char::len_utf8)),
        Some(_) => (2, 1),
        None => (1, 1),
    }
}

fn err(offset: usize, len: usize, message: impl Into<String>) -> EscapeError {
    EscapeError { offset, len, message: message.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_escape_set() {
        assert_eq!(unquote(r#""a\tb\n\\\"""#).unwrap(), "a\tb\n\\\"");
        assert_eq!(unquote(r#""\a\b\f\v\r""#).unwrap(), "\x07\x08\x0c\x0b\r");
        assert_eq!(unquote(r#""\101\x42\u00e9\U0001F600""#).unwrap(), "ABé😀");
        // Octal and hex escapes are bytes: two of them spell "é".
        assert_eq!(unquote(r#""\xc3\xa9""#).unwrap(), "é");
    }

    #[test]
    fn bad_escapes_point_at_the_backslash() {
        let e = unquote(r#""ab\'""#).unwrap_err();
        assert_eq!((e.offset, e.message.as_str()), (3, "unknown escape sequence"));
        assert_eq!(unquote(r#""\xZZ""#).unwrap_err().message, "illegal character U+005A 'Z' in escape sequence");
        assert_eq!(unquote(r#""\uD800""#).unwrap_err().message, "escape sequence is invalid Unicode code point");
        assert_eq!(unquote(r#""\400""#).unwrap_err().message, "escape sequence is invalid Unicode code point");
        assert!(unquote(r#""\xff""#).is_err(), "a lone 0xff byte is not UTF-8");
    }

    #[test]
    fn error_spans_end_on_character_boundaries() {
        for lit in ["\"\\\u{dd7f2}\"", "\"\\xé\"", "\"\\u12é\""] {
            let e = unquote(lit).unwrap_err();
            assert!(lit.is_char_boundary(e.offset + e.len), "{lit:?}: {e:?}");
        }
    }

    #[test]
    fn raw_strings_are_verbatim() {
        assert_eq!(unquote("`a\\n\nb`").unwrap(), "a\\n\nb");
    }

    /// Every decoded byte maps to the source byte that wrote it, escapes
    /// or not.
    #[test]
    fn source_offsets_skip_escapes() {
        let lit = r#""a\"b\\c\u00e9d\x41e""#;
        let decoded = unquote(lit).unwrap();
        assert_eq!(decoded, "a\"b\\cédAe");
        for (ch, at) in [('a', 1), ('"', 2), ('b', 4), ('\\', 5), ('c', 7), ('é', 8), ('d', 14), ('A', 15), ('e', 19)] {
            let offset = decoded.find(ch).unwrap();
            assert_eq!(source_offset(lit, offset), at, "{ch:?}");
        }
        assert_eq!(source_offset(lit, decoded.len()), lit.len() - 1, "the end is the closing quote");
        assert_eq!(source_offset("`a\r\nb`", 2), 4, "a raw string's carriage return is not in the value");
    }

    #[test]
    fn quote_round_trips() {
        for s in ["plain", "tab\there", "quote\"back\\slash", "nl\nx", "\u{1}ctl", "ünïcödé"] {
            assert_eq!(unquote(&quote(s)).unwrap(), s);
        }
    }
}
