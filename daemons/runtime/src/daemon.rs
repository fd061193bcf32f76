//! The daemon lifecycle shared by every okapi binary.
//!
//! ```text
//!  argv ──► Args ──► config::load ──(--check)──► "ok" / file:line:col, exit
//!                          │
//!                          ▼
//!   tokio runtime: control server (/version, /interfaces, protocol endpoints)
//!                  signals ──► SIGHUP: reload; valid file ─► Lifecycle::Reload(config)
//!                                              bad file   ─► logged, old config kept
//!                             SIGTERM/SIGINT ──► Lifecycle::Stop ─► body returns ─► exit 0
//!                  body(Context) ◄── lifecycle channel
//! ```

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::config::{self, ConfigError};
use crate::control::{self, ApiError, Router};
use crate::netlink::Netlink;
use crate::{DEFAULT_CONFIG_PATH, DEFAULT_RUN_DIR, VERSION, interfaces, logging};

/// What a daemon tells the runtime about itself.
#[derive(Debug, Clone, Copy)]
pub struct DaemonSpec {
    /// Binary name, e.g. `okapi-ospfd`.
    pub name: &'static str,
    /// Its table in okapi.toml and the stem of its control socket, e.g. `ospf`.
    pub table: &'static str,
}

/// Command line shared by every daemon.
#[derive(Debug, Parser)]
#[command(version = VERSION)]
pub struct Args {
    /// Configuration file.
    #[arg(short = 'f', long = "config", default_value = DEFAULT_CONFIG_PATH)]
    pub config: PathBuf,
    /// Validate the configuration file and exit (0 when valid).
    #[arg(long)]
    pub check: bool,
    /// Debug logging.
    #[arg(short = 'd', long)]
    pub debug: bool,
    /// Directory of the control sockets.
    #[arg(long, default_value = DEFAULT_RUN_DIR, env = "OKAPI_RUN_DIR")]
    pub run_dir: PathBuf,
}

/// A change of life the body must act on.
#[derive(Debug)]
pub enum Lifecycle<C> {
    /// SIGHUP with a valid file: apply this configuration.
    Reload(C),
    /// SIGTERM or SIGINT: clean up (withdraw, remove routes as configured) and return.
    Stop,
}

/// What the body of a daemon gets from the runtime.
pub struct Context<C> {
    pub config: C,
    pub config_path: PathBuf,
    /// The control API; register the protocol's endpoints here.
    pub router: Router,
    pub netlink: Netlink,
    pub lifecycle: mpsc::UnboundedReceiver<Lifecycle<C>>,
}

/// Outcome of the last SIGHUP, shown in `/version`.
#[derive(Debug, Clone)]
struct ReloadOutcome {
    at_unix_secs: u64,
    error: Option<String>,
}

/// Runs a daemon: parses argv, loads its config table, serves the control API and runs
/// `body` until it returns. Returns the process exit code.
pub fn main<C, F, Fut>(spec: DaemonSpec, body: F) -> ExitCode
where
    C: DeserializeOwned + Send + 'static,
    F: FnOnce(Context<C>) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let args = Args::parse();
    logging::init(args.debug);
    let config = match load_table::<C>(&args.config, spec.table) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{}: {error}", spec.name);
            return ExitCode::from(2);
        }
    };
    if args.check {
        println!("{}: configuration {} is valid", spec.name, args.config.display());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{}: cannot start the async runtime: {error}", spec.name);
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(spec, args, config, body)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("{}: {error}", spec.name);
            ExitCode::FAILURE
        }
    }
}

/// Loads the daemon's table; a file without it is an error naming the table expected.
pub fn load_table<C: DeserializeOwned>(path: &Path, table: &str) -> Result<C, ConfigError> {
    config::load::<C>(path, table)?.ok_or_else(|| ConfigError {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("no [{table}] table: this daemon has nothing to do"),
    })
}

async fn run<C, F, Fut>(spec: DaemonSpec, args: Args, config: C, body: F) -> Result<(), String>
where
    C: DeserializeOwned + Send + 'static,
    F: FnOnce(Context<C>) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let netlink = Netlink::connect().await.map_err(|error| format!("netlink: {error}"))?;
    let router = Router::new();
    let last_reload = Arc::new(Mutex::new(None::<ReloadOutcome>));
    register_runtime_endpoints(&router, spec, &args.config, &netlink, last_reload.clone());

    let socket_path = crate::control_socket_path(&args.run_dir, spec.table);
    let listener = control::bind(&socket_path)
        .await
        .map_err(|error| format!("control socket {}: {error}", socket_path.display()))?;
    let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(control::serve(listener, socket_path.clone(), router.clone(), async {
        let _ = server_stopped.await;
    }));
    tracing::info!(version = VERSION, config = %args.config.display(), socket = %socket_path.display(), "{} started", spec.name);

    let (lifecycle_tx, lifecycle_rx) = mpsc::unbounded_channel();
    let signals = tokio::spawn(forward_signals::<C>(
        spec.table,
        args.config.clone(),
        lifecycle_tx,
        last_reload,
    ));
    let context = Context {
        config,
        config_path: args.config.clone(),
        router,
        netlink,
        lifecycle: lifecycle_rx,
    };
    let outcome = body(context).await;

    signals.abort();
    let _ = stop_server.send(());
    if tokio::time::timeout(Duration::from_secs(2), server).await.is_err() {
        tracing::warn!("control server did not stop within 2 s");
    }
    if outcome.is_ok() {
        tracing::info!("{} stopped", spec.name);
    }
    outcome
}

fn register_runtime_endpoints(
    router: &Router,
    spec: DaemonSpec,
    config_path: &Path,
    netlink: &Netlink,
    last_reload: Arc<Mutex<Option<ReloadOutcome>>>,
) {
    let started = Instant::now();
    let config_file = config_path.display().to_string();
    router.get("/version", move |_| {
        let reload = last_reload.lock().map(|outcome| outcome.clone()).unwrap_or(None);
        let body = json!({
            "daemon": spec.name,
            "version": VERSION,
            "pid": std::process::id(),
            "uptime_secs": started.elapsed().as_secs(),
            "config_file": config_file.clone(),
            "last_reload": reload.map(|outcome| json!({
                "at_unix_secs": outcome.at_unix_secs,
                "ok": outcome.error.is_none(),
                "error": outcome.error,
            })),
        });
        async move { Ok(body) }
    });
    let netlink = netlink.clone();
    router.get("/interfaces", move |_| {
        let netlink = netlink.clone();
        async move {
            let interfaces = interfaces::snapshot(&netlink)
                .await
                .map_err(|error| ApiError::internal(format!("netlink: {error}")))?;
            Ok(json!({ "interfaces": interfaces }))
        }
    });
}

/// SIGHUP reloads (a bad file is reported and the running config kept); SIGTERM and SIGINT
/// stop. Runs until aborted.
async fn forward_signals<C: DeserializeOwned>(
    table: &'static str,
    config_path: PathBuf,
    lifecycle: mpsc::UnboundedSender<Lifecycle<C>>,
    last_reload: Arc<Mutex<Option<ReloadOutcome>>>,
) {
    let (Ok(mut hangup), Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers; stopping");
        let _ = lifecycle.send(Lifecycle::Stop);
        return;
    };
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                let at_unix_secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                let error = match load_table::<C>(&config_path, table) {
                    Ok(config) => {
                        tracing::info!(config = %config_path.display(), "reloading configuration");
                        let _ = lifecycle.send(Lifecycle::Reload(config));
                        None
                    }
                    Err(error) => {
                        tracing::error!("reload refused, keeping the running configuration: {error}");
                        Some(error.to_string())
                    }
                };
                if let Ok(mut outcome) = last_reload.lock() {
                    *outcome = Some(ReloadOutcome { at_unix_secs, error });
                }
            }
            _ = terminate.recv() => { let _ = lifecycle.send(Lifecycle::Stop); }
            _ = interrupt.recv() => { let _ = lifecycle.send(Lifecycle::Stop); }
        }
    }
}
