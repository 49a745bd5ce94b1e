//! Environment variable references in collector YAML, as Alloy expressions.
//!
//! The Collector expands `${env:NAME}`, `${NAME}`, `${env:NAME:-default}`
//! and (in older versions) `$NAME` anywhere in a scalar, and reads `$$` as a
//! literal `$`. In Alloy the variable is read with `sys.env("NAME")`, a
//! default with `coalesce(sys.env("NAME"), "default")`, and a reference
//! inside a longer string is joined to the rest with `+`.

use super::emit::quote;

/// One piece of a scalar: literal text or a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Env { name: String, default: Option<String> },
}

/// Why a `${...}` could not be read as a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError(pub String);

/// Splits a scalar into text and variables.
pub fn parse(s: &str) -> Result<Vec<Part>, EnvError> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        text.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            text.push('$');
            rest = after;
        } else if let Some(body) = rest.strip_prefix('{') {
            let end = body.find('}').ok_or_else(|| EnvError(format!("unterminated variable reference in {s:?}")))?;
            let reference = &body[..end];
            rest = &body[end + 1..];
            flush(&mut parts, &mut text);
            parts.push(braced(reference)?);
        } else {
            let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            if len == 0 || rest.starts_with(|c: char| c.is_ascii_digit()) {
                text.push('$');
                continue;
            }
            flush(&mut parts, &mut text);
            parts.push(Part::Env { name: rest[..len].to_string(), default: None });
            rest = &rest[len..];
        }
    }
    text.push_str(rest);
    flush(&mut parts, &mut text);
    Ok(parts)
}

fn flush(parts: &mut Vec<Part>, text: &mut String) {
    if !text.is_empty() {
        parts.push(Part::Text(std::mem::take(text)));
    }
}

/// The inside of `${...}`: `env:NAME`, `NAME`, either with `:-default`.
fn braced(reference: &str) -> Result<Part, EnvError> {
    let (scheme, rest) = match reference.split_once(':') {
        Some((scheme, rest)) if !scheme.is_empty() && !rest.starts_with('-') => (Some(scheme), rest),
        _ => (None, reference),
    };
    if let Some(scheme) = scheme.filter(|s| *s != "env") {
        return Err(EnvError(format!("${{{reference}}} uses the {scheme:?} config provider; only environment variables (${{env:NAME}}) can be converted")));
    }
    let (name, default) = match rest.split_once(":-") {
        Some((name, default)) => (name, Some(default.to_string())),
        None => (rest, None),
    };
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(EnvError(format!("${{{reference}}}: {name:?} is not a valid environment variable name")));
    }
    Ok(Part::Env { name: name.to_string(), default })
}

/// True when the scalar reads the environment at all.
pub fn has_env(parts: &[Part]) -> bool {
    parts.iter().any(|p| matches!(p, Part::Env { .. }))
}

/// The Alloy expression for a string: a literal, a variable, or both
/// joined with `+`.
pub fn string_expr(parts: &[Part]) -> String {
    if parts.is_empty() {
        return quote("");
    }
    parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => quote(t),
            Part::Env { name, default: None } => format!("sys.env({})", quote(name)),
            Part::Env { name, default: Some(d) } => format!("coalesce(sys.env({}), {})", quote(name), quote(d)),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(s: &str) -> String {
        string_expr(&parse(s).unwrap())
    }

    #[test]
    fn every_reference_form_becomes_sys_env() {
        assert_eq!(expr("${env:HOST}"), r#"sys.env("HOST")"#);
        assert_eq!(expr("${HOST}"), r#"sys.env("HOST")"#);
        assert_eq!(expr("$HOST"), r#"sys.env("HOST")"#);
        assert_eq!(expr("${env:PORT:-4317}"), r#"coalesce(sys.env("PORT"), "4317")"#);
        assert_eq!(expr("${PORT:-}"), r#"coalesce(sys.env("PORT"), "")"#);
    }

    #[test]
    fn references_inside_strings_are_concatenated() {
        assert_eq!(expr("http://${env:HOST}:4317"), r#""http://" + sys.env("HOST") + ":4317""#);
        assert_eq!(expr("$A-$B"), r#"sys.env("A") + "-" + sys.env("B")"#);
    }

    #[test]
    fn dollars_that_are_not_references_stay_text() {
        assert_eq!(expr("cost $$5"), r#""cost $5""#);
        assert_eq!(expr("a $ b $1"), r#""a $ b $1""#);
        assert_eq!(expr("plain"), r#""plain""#);
        assert!(!has_env(&parse("$$HOME").unwrap()));
    }

    #[test]
    fn other_providers_and_bad_names_are_errors() {
        assert!(parse("${file:/etc/token}").unwrap_err().0.contains("\"file\" config provider"));
        assert!(parse("${env:1X}").is_err());
        assert!(parse("${env:X").is_err());
    }
}
