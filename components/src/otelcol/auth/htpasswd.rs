//! The server side of basic auth: `htpasswd` lines checked against a
//! request's `Authorization: Basic ...` header.
//!
//! Passwords may be stored in plain text or as `{SHA}` (base64 of SHA-1),
//! as Apache's `htpasswd -s` writes them. bcrypt, MD5 (`$apr1$`) and
//! `crypt` hashes are refused when the file is read, not at the first
//! request, so a config that cannot work never runs.

use base64::Engine;
use hyper::http::header::{HeaderMap, AUTHORIZATION};

use super::{constant_time_eq, Unauthenticated};

const CHALLENGE: &str = "Basic realm=\"otelcol\"";

/// Users and how their passwords are stored.
pub struct Htpasswd {
    users: Vec<(String, Stored)>,
}

enum Stored {
    Plain(String),
    /// The base64 text after `{SHA}`.
    Sha1(String),
}

impl Htpasswd {
    /// One user with a plain password, as a config names them.
    pub fn single(user: &str, password: &str) -> Htpasswd {
        Htpasswd { users: vec![(user.to_string(), Stored::Plain(password.to_string()))] }
    }

    /// Parses `user:password` lines, a later line for a user replacing an
    /// earlier one; blank lines and `#` comments are
    /// skipped. Errors name the line, never its contents.
    pub fn parse(text: &str) -> Result<Htpasswd, String> {
        let mut users = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((user, stored)) = line.split_once(':') else {
                return Err(format!("line {}: expected user:password", n + 1));
            };
            let stored = if let Some(hash) = stored.strip_prefix("{SHA}") {
                Stored::Sha1(hash.to_string())
            } else if stored.starts_with("$2")
                || stored.starts_with("$apr1$")
                || stored.starts_with("$1$")
                || stored.starts_with("$5$")
                || stored.starts_with("$6$")
            {
                return Err(format!("line {}: only plain and {{SHA}} passwords are supported, not bcrypt, MD5 or crypt hashes", n + 1));
            } else {
                Stored::Plain(stored.to_string())
            };
            // A later line for the same user wins, as in go-htpasswd, so
            // `inline` overrides `file`.
            users.retain(|(u, _): &(String, Stored)| u != user);
            users.push((user.to_string(), stored));
        }
        Ok(Htpasswd { users })
    }

    /// Checks `Authorization: Basic base64(user:password)`. Passwords are
    /// compared in constant time; every user is compared, so the time
    /// taken does not tell whether the user exists.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<(), Unauthenticated> {
        let refuse = |message| Unauthenticated { message, challenge: CHALLENGE };
        let value = headers.get(AUTHORIZATION).ok_or_else(|| refuse("missing basic auth credentials"))?;
        let encoded = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
            .ok_or_else(|| refuse("the Authorization header is not basic auth"))?;
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| refuse("the basic auth credentials are not base64"))?;
        let decoded = String::from_utf8(decoded).map_err(|_| refuse("the basic auth credentials are not UTF-8"))?;
        let (user, password) = decoded.split_once(':').ok_or_else(|| refuse("the basic auth credentials have no ':'"))?;
        let mut ok = false;
        for (name, stored) in &self.users {
            let matches = match stored {
                Stored::Plain(p) => constant_time_eq(password.as_bytes(), p.as_bytes()),
                Stored::Sha1(h) => {
                    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, password.as_bytes());
                    constant_time_eq(base64::engine::general_purpose::STANDARD.encode(digest).as_bytes(), h.as_bytes())
                }
            };
            ok |= matches & constant_time_eq(user.as_bytes(), name.as_bytes());
        }
        if ok {
            Ok(())
        } else {
            Err(refuse("invalid basic auth credentials"))
        }
    }
}
