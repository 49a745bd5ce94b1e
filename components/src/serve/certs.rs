//! Certificates that follow their files: rotated certificates (cert-manager,
//! a renewed Let's Encrypt pair) reach new connections without a reload.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

use super::TlsArguments;

/// How often, at most, a handshake looks at the files again. Reading two
/// small files once a second costs nothing next to the handshakes.
const RECHECK: Duration = Duration::from_secs(1);

/// Why the certificate in use is not the one in the files, if it is not:
/// the files could not be read, or do not make an identity. Shared with
/// the component, whose health shows it.
#[derive(Debug, Clone, Default)]
pub struct CertProblem(Arc<Mutex<Option<String>>>);

impl CertProblem {
    pub fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, problem: Option<String>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = problem;
    }
}

/// Serves the identity in the `tls` block's files and, on a handshake at
/// most once every [`RECHECK`], reads the files again: if their bytes
/// changed and make a valid identity, new handshakes get it. If they do
/// not (half-written, mismatched), the identity in use stays and the
/// problem is logged and shown in [`CertProblem`] until the files are
/// good again.
#[derive(Debug)]
pub(super) struct ReloadingCert {
    args: TlsArguments,
    provider: Arc<CryptoProvider>,
    state: Mutex<State>,
    problem: CertProblem,
}

#[derive(Debug)]
struct State {
    current: Arc<CertifiedKey>,
    /// The files' bytes last looked at, good or not.
    seen: (Vec<u8>, Vec<u8>),
    /// Whether `seen` is `current`.
    seen_ok: bool,
    checked: Instant,
}

impl ReloadingCert {
    /// Reads the identity; a failure here is the server's to report.
    pub fn new(args: TlsArguments, provider: Arc<CryptoProvider>) -> Result<ReloadingCert, String> {
        let seen = args.read_pem()?;
        let current = args.identity(&seen, &provider)?;
        let state = Mutex::new(State { current, seen, seen_ok: true, checked: Instant::now() });
        Ok(ReloadingCert { args, provider, state, problem: CertProblem::default() })
    }

    pub fn problem(&self) -> CertProblem {
        self.problem.clone()
    }

    fn recheck(&self, state: &mut State) {
        state.checked = Instant::now();
        let read = match self.args.read_pem() {
            Ok(read) if read == state.seen => {
                // Files that could not be read for a while, back as they were.
                if state.seen_ok {
                    self.report(None);
                }
                return;
            }
            Ok(read) => read,
            Err(e) => return self.report(Some(format!("{e}; still serving the certificate read before"))),
        };
        match self.args.identity(&read, &self.provider) {
            Ok(identity) => {
                tracing::info!("tls: certificate reloaded from {}", self.args.cert_file.as_deref().unwrap_or("cert_pem"));
                state.current = identity;
                state.seen_ok = true;
                self.report(None);
            }
            Err(e) => {
                state.seen_ok = false;
                self.report(Some(format!("{e}; still serving the certificate read before")));
            }
        }
        state.seen = read;
    }

    /// Logs a new problem once, not on every check.
    fn report(&self, problem: Option<String>) {
        if let Some(p) = &problem {
            if self.problem.get().as_ref() != Some(p) {
                tracing::warn!("{p}");
            }
        }
        self.problem.set(problem);
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if self.args.has_files() && state.checked.elapsed() >= RECHECK {
            self.recheck(&mut state);
        }
        Some(Arc::clone(&state.current))
    }
}
