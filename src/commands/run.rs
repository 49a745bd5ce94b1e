//! `solder run [PATH]`: load the config, run the component graph, and keep
//! it current as the config changes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use solder_components::bytesize::ByteSize;
use solder_components::Registry;
use tokio_util::sync::CancellationToken;

use crate::agent::source::ConfigFormat;
use crate::agent::{http, logging::LogHandle, watch, Agent, ConfigSource};
use crate::runtime::Controller;

/// The pipeline of the seeds: OTLP in, batch, to Jaeger, span metrics out
/// to Prometheus. What `solder run` runs when given no config.
pub const DEFAULT_CONFIG: &str = include_str!("../default.alloy");

#[derive(clap::Args)]
pub struct Args {
    /// A config file or a directory of .alloy files. Omit it to run the
    /// embedded default pipeline.
    pub path: Option<PathBuf>,
    /// Where the HTTP server (UI, API, /metrics) listens.
    #[arg(long = "server.http.listen-addr", default_value = "127.0.0.1:12345")]
    pub listen_addr: SocketAddr,
    /// Host names the UI and API are reached by, besides IP addresses and
    /// `localhost` (comma-separated). Requests that change state (reload)
    /// sent to any other name are refused, against DNS rebinding.
    #[arg(long = "server.http.allowed-hosts", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
    /// Where components keep state that must survive restarts.
    #[arg(long = "storage.path", default_value = "data-solder")]
    pub storage_path: PathBuf,
    /// The config's language: `alloy`, or `otelcol` for an OpenTelemetry
    /// Collector YAML file, converted (as `solder convert` does) on every
    /// load and reload.
    #[arg(long = "config.format", value_enum, default_value_t = ConfigFormat::Alloy)]
    pub config_format: ConfigFormat,
    /// With `--config.format=otelcol`, run what converts and leave out
    /// what does not (logged as warnings), instead of failing the load.
    #[arg(long = "config.bypass-conversion-errors")]
    pub bypass_conversion_errors: bool,
    /// Reload when the config changes on disk (`--config.watch=false`:
    /// only on SIGHUP or `POST /-/reload`, for staged rollouts that write
    /// a file first and apply it later).
    #[arg(long = "config.watch", default_value_t = true, action = clap::ArgAction::Set)]
    pub watch: bool,
    /// The most heap the agent may hold, such as `512MiB`; at it, receivers
    /// and exporter queues refuse new data retryably. Default: 80% of the
    /// cgroup's memory limit when there is one, else 512MiB. `0` turns the
    /// guard off.
    #[arg(long = "memory.limit", value_parser = ByteSize::parse)]
    pub memory_limit: Option<ByteSize>,
    /// Alloy's flag, accepted so that its command lines run unchanged
    /// (`otelcol.storage.file` needs `public-preview` there). Solder runs
    /// every component it has, whatever its grade.
    #[arg(long = "stability.level", value_parser = ["generally-available", "public-preview", "experimental"], default_value = "generally-available")]
    pub stability_level: String,
}

impl Default for Args {
    fn default() -> Args {
        Args {
            path: None,
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 12345)),
            allowed_hosts: Vec::new(),
            storage_path: PathBuf::from("data-solder"),
            config_format: ConfigFormat::Alloy,
            bypass_conversion_errors: false,
            watch: true,
            memory_limit: None,
            stability_level: "generally-available".into(),
        }
    }
}

pub fn run(args: Args) -> ExitCode {
    if args.config_format == ConfigFormat::Otelcol && args.path.is_none() {
        eprintln!("error: --config.format=otelcol needs the collector config file to run");
        return ExitCode::FAILURE;
    }
    crate::memory::keep_hot_buffers();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(serve(args))
}

/// A write past the file size limit (`ulimit -f`) raises SIGXFSZ, whose
/// default action kills the process. Ignored, the write fails with EFBIG
/// instead, and the persistent queue refuses data retryably, as it does
/// on a full disk, rather than the agent dying with what it acknowledged.
fn survive_file_size_limit() {
    // SAFETY: setting a signal's disposition to SIG_IGN touches no memory
    // of ours, and happens before any other thread could rely on it.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

async fn serve(args: Args) -> ExitCode {
    survive_file_size_limit();
    let logging = LogHandle::install();
    match crate::fdlimit::raise_open_files() {
        Ok(n) => tracing::info!(open_files = n, "open-files limit"),
        Err(e) => tracing::warn!("cannot raise the open-files limit: {e}"),
    }
    let budget = crate::memory::apply_budget(args.memory_limit);
    tracing::info!(budget_mib = budget >> 20, "memory budget set (--memory.limit)");
    let source = match args.path {
        Some(p) => ConfigSource::new(p, args.config_format, args.bypass_conversion_errors),
        None => ConfigSource::Embedded { name: "<default config>", text: DEFAULT_CONFIG },
    };
    // import.git keeps its mirrors of remote repositories with the data.
    crate::runtime::modules::set_git_cache_dir(args.storage_path.join("import.git"));
    let controller = Controller::new(Registry::builtin(), args.storage_path.clone());
    let agent = Agent::new(controller, source, logging);
    let shutdown = CancellationToken::new();

    let bound =
        match http::serve(Arc::clone(&agent), args.listen_addr, crate::agent::origin::AllowedHosts(Arc::new(args.allowed_hosts.clone())), shutdown.clone())
            .await
        {
            Ok(addr) => addr,
            Err(e) => {
                eprintln!("error: cannot listen on {}: {e}", args.listen_addr);
                return ExitCode::FAILURE;
            }
        };
    tracing::info!(addr = %bound, "HTTP server listening");

    // The watcher starts first, so that an edit made while the first load
    // runs is not missed. A failed first load keeps the agent up and not
    // ready: in Kubernetes the fix arrives as a ConfigMap update, which
    // the watcher picks up.
    let _watcher = if args.watch { watch::start(Arc::clone(&agent)) } else { None };
    if !args.watch {
        agent.no_module_watch();
    }
    let _ = agent.reload("startup").await;
    spawn_sighup(Arc::clone(&agent));
    tokio::spawn(release_start_up_code());

    wait_for_termination().await;
    tracing::info!("shutting down");
    shutdown.cancel();
    agent.controller.shutdown().await;
    ExitCode::SUCCESS
}

/// How long after the first load the start-up code is given back: its
/// components have started by then (their listeners bound, their state
/// built). Given back at once, the pages they were running came back one
/// fault at a time, and with several agents starting on one disk a
/// receiver bound its port hundreds of milliseconds later.
const RELEASE_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// Gives the start-up code back ([`crate::cold_code`]), off the runtime's
/// workers.
async fn release_start_up_code() {
    tokio::time::sleep(RELEASE_AFTER).await;
    match tokio::task::spawn_blocking(crate::cold_code::release).await {
        Ok(Ok(r)) => tracing::info!(
            advised_mib = r.advised >> 20,
            rss_before_kib = r.rss_before >> 10,
            rss_after_kib = r.rss_after >> 10,
            "start-up code given back to the kernel"
        ),
        Ok(Err(e)) => tracing::debug!("start-up code kept resident: {e}"),
        Err(e) => tracing::debug!("start-up code kept resident: {e}"),
    }
}

#[cfg(unix)]
fn spawn_sighup(agent: Arc<Agent>) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; reload with POST /-/reload");
        return;
    };
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            let _ = agent.reload("sighup").await;
        }
    });
}

#[cfg(not(unix))]
fn spawn_sighup(_agent: Arc<Agent>) {}

async fn wait_for_termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
