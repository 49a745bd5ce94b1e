//! Secrets in a Collector config, masked in the excerpts of `convert`'s
//! diagnostics (the converted Alloy text keeps them: it is the user's own
//! config, like `solder fmt`'s output).
//!
//! The Collector types these fields as `configopaque.String`: passwords,
//! tokens, keys, and the values of `headers` maps. Their values are
//! overwritten byte for byte, so every span still points right; a value
//! that is only an `${env:...}` reference names a variable, not a secret,
//! and stays readable.

use std::sync::Arc;

use solder_syntax::SourceFile;

/// Keys whose value is a secret wherever they appear.
const SECRET_KEYS: &[&str] = &["password", "token", "bearer_token", "key_pem", "credentials", "client_secret", "api_key"];

/// `src`, shown with its secret values masked.
pub fn mask(src: &Arc<SourceFile>) -> Arc<SourceFile> {
    let mut bytes = src.text.clone().into_bytes();
    let mut headers_at: Option<usize> = None;
    let mut offset = 0;
    for line in src.text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_end_matches(['\n', '\r']);
        if headers_at.is_some_and(|h| indent <= h) && !body.trim().is_empty() {
            headers_at = None;
        }
        if let Some((key, value_at)) = key_and_value(body) {
            let secret = SECRET_KEYS.contains(&key) || headers_at.is_some();
            if key == "headers" && body[value_at..].trim().is_empty() {
                headers_at = Some(indent);
            } else if secret {
                let value = body[value_at..].trim();
                let start = offset + value_at + (body[value_at..].len() - body[value_at..].trim_start().len());
                let unquoted = value.trim_matches(['"', '\'']);
                let env_reference = unquoted.starts_with("${") && unquoted.ends_with('}');
                if !value.is_empty() && !env_reference {
                    let quote = usize::from(value.starts_with(['"', '\'']));
                    let end = start + value.len() - quote * usize::from(value.len() > 1 && value.ends_with(['"', '\'']));
                    if let Some(v) = bytes.get_mut(start + quote..end) {
                        v.fill(b'*');
                    }
                }
            }
        }
        offset += line.len();
    }
    match String::from_utf8(bytes) {
        Ok(masked) if masked != src.text => src.with_masked(masked),
        _ => Arc::clone(src),
    }
}

/// `key: value` on a line (a list item's `- key: value` too): the key, and
/// where its value starts.
fn key_and_value(line: &str) -> Option<(&str, usize)> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return None;
    }
    let start = line.len() - trimmed.len() + if trimmed.starts_with("- ") { 2 } else { 0 };
    let colon = line[start..].find(": ").or_else(|| line[start..].ends_with(':').then(|| line.len() - start - 1))?;
    let key = line[start..start + colon].trim().trim_matches(['"', '\'']);
    (!key.is_empty() && !key.contains(' ')).then_some((key, start + colon + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_masked_in_place() {
        let yaml = "extensions:\n  basicauth/x:\n    client_auth:\n      username: tenant\n      password: \"hunter2\"\n  bearertokenauth/y:\n    token: ${env:TOKEN}\nexporters:\n  otlphttp:\n    headers:\n      Authorization: Bearer abc123\n      X-Team: blue\n    endpoint: https://x\n";
        let out = mask(&SourceFile::new("c.yaml", yaml));
        let shown = out.shown();
        assert_eq!(shown.len(), yaml.len());
        for hidden in ["hunter2", "Bearer abc123", "blue"] {
            assert!(!shown.contains(hidden), "{hidden} shows:\n{shown}");
        }
        for kept in ["tenant", "${env:TOKEN}", "https://x", "Authorization", "password: \"*******\""] {
            assert!(shown.contains(kept), "{kept} is gone:\n{shown}");
        }
    }
}
