//! Alloy's `http` block: basic authentication for the UI, the API and
//! `/metrics`, with a path filter so that probes and scrapes can stay
//! open, and TLS. Applied on every reload, like `logging`: the server is
//! up before any config is loaded, so TLS applies to the connections
//! accepted after the load (as in Alloy, open connections keep theirs).

use std::sync::{Arc, RwLock};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use solder_components::serve::TlsSwitch;
use solder_components::types::Secret;
use solder_syntax::Diagnostic;

use crate::runtime::loader::{decode_settings, Settings};

/// `http { ... }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpArgs {
    pub auth: Option<AuthArgs>,
    /// The same arguments as the OTLP receiver's `tls` block.
    pub tls: Option<solder_components::serve::TlsArguments>,
}

/// `auth { basic { ... } filter { ... } }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthArgs {
    pub basic: Option<BasicArgs>,
    pub filter: Option<FilterArgs>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicArgs {
    pub username: String,
    pub password: Secret,
}

/// Which paths need credentials, by prefix.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterArgs {
    #[serde(default)]
    pub paths: Vec<String>,
    /// True: only the matching paths need credentials. False: every path
    /// but those does.
    #[serde(default = "yes")]
    pub authenticate_matching_paths: bool,
}

fn yes() -> bool {
    true
}

/// The block's schema, so the config page masks a literal password.
pub fn schema() -> solder_components::decode::Schema {
    solder_components::decode::schema::of::<HttpArgs>()
}

/// Decodes the config's `http` block (no auth without one), and reads its
/// TLS files, so a bad block fails the load before anything changes.
pub fn parse(settings: &Settings) -> Result<HttpArgs, Vec<Diagnostic>> {
    let args: HttpArgs = decode_settings(&settings.http)?.unwrap_or_default();
    if let (Some(tls), Some((block, source))) = (&args.tls, &settings.http) {
        tls.check().and_then(|()| tls.load().map(drop)).map_err(|e| vec![Diagnostic::error(block.name_span(), format!("http: {e}")).with_source(source)])?;
    }
    Ok(args)
}

/// The credentials and TLS in force, swapped on each successful reload.
#[derive(Clone, Default)]
pub struct HttpAuth(Arc<RwLock<Option<AuthArgs>>>, Arc<RwLock<Option<TlsSwitch>>>);

impl HttpAuth {
    pub fn set(&self, args: &HttpArgs) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = args.auth.clone().filter(|a| a.basic.is_some());
        let switch = self.1.read().unwrap_or_else(|p| p.into_inner());
        let Some(switch) = switch.as_ref() else { return };
        match args.tls.as_ref().map(|t| t.load()) {
            None => switch.set(None),
            Some(Ok(tls)) => switch.set(Some(tls.acceptor)),
            // Checked when the config was parsed; files that broke since
            // leave the previous setting in force.
            Some(Err(e)) => tracing::error!("http: TLS not changed: {e}"),
        }
    }

    /// Where TLS is switched, once the HTTP server runs.
    pub fn set_tls_switch(&self, switch: TlsSwitch) {
        *self.1.write().unwrap_or_else(|p| p.into_inner()) = Some(switch);
    }

    fn check(&self, path: &str, authorization: Option<&str>) -> bool {
        let guard = self.0.read().unwrap_or_else(|p| p.into_inner());
        let Some(auth) = guard.as_ref() else { return true };
        let Some(basic) = &auth.basic else { return true };
        let needed = match &auth.filter {
            None => true,
            Some(f) => f.paths.iter().any(|p| path.starts_with(p.as_str())) == f.authenticate_matching_paths,
        };
        if !needed {
            return true;
        }
        let expected = format!("{}:{}", basic.username, basic.password.0.expose());
        let given = authorization.and_then(|v| v.strip_prefix("Basic ")).and_then(decode_base64);
        given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes()))
    }
}

pub async fn guard(State(auth): State<HttpAuth>, req: Request, next: Next) -> Response {
    let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if auth.check(req.uri().path(), authorization) {
        return next.run(req).await;
    }
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"solder\"")], "credentials required\n").into_response()
}

/// Compares without returning early, so the time taken does not say how
/// much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}

fn decode_base64(s: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.trim().bytes().take_while(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        bits = bits << 6 | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(filter: Option<(&[&str], bool)>) -> HttpAuth {
        let a = HttpAuth::default();
        let filter = filter.map(|(paths, m)| FilterArgs { paths: paths.iter().map(|p| p.to_string()).collect(), authenticate_matching_paths: m });
        let basic = BasicArgs { username: "admin".into(), password: Secret(solder_syntax::value::Secret::new("s3cret")) };
        a.set(&HttpArgs { auth: Some(AuthArgs { basic: Some(basic), filter }), tls: None });
        a
    }

    /// `admin:s3cret`, and a wrong password.
    const RIGHT: &str = "Basic YWRtaW46czNjcmV0";
    const WRONG: &str = "Basic YWRtaW46bm9wZQ==";

    #[test]
    fn basic_credentials_and_the_path_filter() {
        assert!(HttpAuth::default().check("/", None), "no block: open");
        let all = auth(None);
        assert!(!all.check("/", None) && !all.check("/", Some(WRONG)));
        assert!(all.check("/api/v0/web/components", Some(RIGHT)));
        let except_probes = auth(Some((&["/-/ready", "/-/healthy", "/metrics"], false)));
        assert!(except_probes.check("/-/ready", None) && except_probes.check("/metrics", None));
        assert!(!except_probes.check("/config", None));
        let only_api = auth(Some((&["/api/"], true)));
        assert!(only_api.check("/", None) && !only_api.check("/api/v0/web/status", None));
    }
}
