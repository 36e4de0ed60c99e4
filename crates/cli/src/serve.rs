//! `capsa serve`: the HTTP service in one process (crates/server). Runs
//! until SIGINT or SIGTERM, then stops taking requests and lets the calls
//! in flight finish, saves included. With `--nats URL` it is a cluster's
//! stateless front-end (crates/cluster): the VMs run on `capsa worker`s.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use capsa_runtime::outcome::EXIT_USAGE;
use capsa_server::{NamedMount, Server, ServerConfig, TokenSource};
use clap::Args;

use crate::vm_args::CacheArgs;

/// Options of `capsa serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8420")]
    listen: SocketAddr,
    /// Where persistent sandboxes, snapshots and a generated token live
    /// (default $XDG_DATA_HOME/capsa/serve or ~/.local/share/capsa/serve).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Tenants, tokens (sha256) and quotas: a TOML file of [[tenant]]
    /// entries. Without it and without CAPSA_TOKEN, a token is generated
    /// into the data dir.
    #[arg(long, value_name = "FILE")]
    tokens: Option<PathBuf>,
    /// Offer a host directory to sandboxes by name, at /mnt/NAME:
    /// NAME=DIR, read-only unless NAME=DIR:rw.
    #[arg(long = "mount", value_name = "NAME=DIR[:rw]")]
    mounts: Vec<String>,
    /// The largest request body, e.g. a file uploaded (bytes).
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    max_body: usize,
    /// Requests without credentials act as tenant `anonymous` (Piston's
    /// clients send none).
    #[arg(long)]
    allow_anonymous: bool,
    /// How long a finished Judge0 submission is kept, e.g. 1h, 30m.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = capsa_runtime::manifest::parse_duration)]
    submission_retention: std::time::Duration,
    /// A host (HOST or HOST:PORT) Judge0 callback_urls may name; none by default.
    #[arg(long = "judge0-callback-host", value_name = "HOST")]
    callback_hosts: Vec<String>,
    /// VM calls waiting for a slot before requests get 429.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_queued: usize,
    /// Be a stateless front-end of the cluster on this NATS server (with
    /// JetStream); VMs run on `capsa worker --nats URL` processes.
    #[arg(long, value_name = "URL")]
    nats: Option<String>,
    #[command(flatten)]
    cache: CacheArgs,
}

/// Runs `capsa serve`; returns capsa's exit code.
pub fn main(args: ServeArgs) -> i32 {
    run_service("serve", config(&args), |config| serve(config, args.nats))
}

/// Runs a long-lived service command (`capsa serve`, `capsa worker`) on a
/// multi-threaded async runtime; returns capsa's exit code: 2 for a bad
/// configuration, 1 when the service failed.
pub(crate) fn run_service<C, F>(name: &str, config: Result<C>, service: impl FnOnce(C) -> F) -> i32
where
    F: Future<Output = Result<()>>,
{
    let config = match config {
        Ok(config) => config,
        Err(err) => {
            eprintln!("capsa {name}: {err:#}");
            return EXIT_USAGE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("capsa {name}: cannot start the async runtime: {err}");
            return 1;
        }
    };
    match runtime.block_on(service(config)) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("capsa {name}: {err:#}");
            1
        }
    }
}

async fn serve(config: ServerConfig, nats: Option<String>) -> Result<()> {
    let retention = config.submission_retention;
    let server = Server::bind(config).await?;
    if let Some(path) = &server.generated_token {
        eprintln!("capsa serve: the API token is in {} (Authorization: Bearer TOKEN)", path.display());
    }
    let front = match &nats {
        Some(url) => Some(capsa_cluster::Frontend::connect(url, server.app().clone(), retention).await?),
        None => None,
    };
    match &nats {
        Some(url) => {
            eprintln!("capsa serve: listening on http://{} (cluster front-end on {url})", server.local_addr()?)
        }
        None => eprintln!("capsa serve: listening on http://{}", server.local_addr()?),
    }
    match front {
        Some(front) => server.run_with(|router| front.wrap(router), shutdown()).await?,
        None => server.run(shutdown()).await?,
    }
    eprintln!("capsa serve: stopped");
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
pub(crate) async fn shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        // Without signal handlers, only a kill stops the server.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

fn config(args: &ServeArgs) -> Result<ServerConfig> {
    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => default_data_dir()?,
    };
    let tokens = match (&args.tokens, std::env::var("CAPSA_TOKEN")) {
        (Some(file), _) => TokenSource::File(file.clone()),
        (None, Ok(token)) if !token.trim().is_empty() => TokenSource::Token(token.trim().to_string()),
        (None, _) => TokenSource::Generate,
    };
    let mut config = ServerConfig::new(data_dir, tokens);
    config.listen = args.listen;
    config.max_body = args.max_body;
    config.max_queued = args.max_queued;
    config.cache_dir = args.cache.dir();
    config.allow_anonymous = args.allow_anonymous;
    config.submission_retention = args.submission_retention;
    config.callback_hosts = args.callback_hosts.clone();
    for spec in &args.mounts {
        config.mounts.push(parse_mount(spec)?);
    }
    Ok(config)
}

pub(crate) fn default_data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("capsa/serve"));
    }
    let home = std::env::var_os("HOME").context("--data-dir is needed: neither XDG_DATA_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".local/share/capsa/serve"))
}

/// `NAME=DIR` or `NAME=DIR:rw`.
pub(crate) fn parse_mount(spec: &str) -> Result<NamedMount> {
    let Some((name, rest)) = spec.split_once('=') else { bail!("--mount {spec}: expected NAME=DIR[:rw]") };
    let (dir, writable) = match rest.strip_suffix(":rw") {
        Some(dir) => (dir, true),
        None => (rest.strip_suffix(":ro").unwrap_or(rest), false),
    };
    let valid_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid_name {
        bail!("--mount {spec}: the name may hold letters, digits, '-' and '_'");
    }
    let host = std::fs::canonicalize(dir).with_context(|| format!("--mount {spec}: {dir}"))?;
    if !host.is_dir() {
        bail!("--mount {spec}: {} is not a directory", host.display());
    }
    Ok(NamedMount { name: name.into(), host, writable })
}
