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
use solder_components::credentials::Htpasswd;
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

    fn check(&self, path: &str, headers: &axum::http::HeaderMap) -> bool {
        let guard = self.0.read().unwrap_or_else(|p| p.into_inner());
        let Some(auth) = guard.as_ref() else { return true };
        let Some(basic) = &auth.basic else { return true };
        let needed = match &auth.filter {
            None => true,
            Some(f) => f.paths.iter().any(|p| path.starts_with(p.as_str())) == f.authenticate_matching_paths,
        };
        // The receivers' basic auth check: base64, constant-time compare.
        !needed || Htpasswd::single(&basic.username, basic.password.0.expose()).authenticate(headers).is_ok()
    }
}

pub async fn guard(State(auth): State<HttpAuth>, req: Request, next: Next) -> Response {
    if auth.check(req.uri().path(), req.headers()) {
        return next.run(req).await;
    }
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"solder\"")], "credentials required\n").into_response()
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

    fn with(authorization: Option<&str>) -> axum::http::HeaderMap {
        let mut h = axum::http::HeaderMap::new();
        if let Some(v) = authorization {
            h.insert(header::AUTHORIZATION, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn basic_credentials_and_the_path_filter() {
        assert!(HttpAuth::default().check("/", &with(None)), "no block: open");
        let all = auth(None);
        assert!(!all.check("/", &with(None)) && !all.check("/", &with(Some(WRONG))));
        assert!(all.check("/api/v0/web/components", &with(Some(RIGHT))));
        let except_probes = auth(Some((&["/-/ready", "/-/healthy", "/metrics"], false)));
        assert!(except_probes.check("/-/ready", &with(None)) && except_probes.check("/metrics", &with(None)));
        assert!(!except_probes.check("/config", &with(None)));
        let only_api = auth(Some((&["/api/"], true)));
        assert!(only_api.check("/", &with(None)) && !only_api.check("/api/v0/web/status", &with(None)));
    }
}
