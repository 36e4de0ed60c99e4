//! `capsa worker`: one of a cluster's VM hosts (crates/cluster). Runs until
//! SIGINT or SIGTERM, then drains: finishes or hands back what it holds.

use std::path::PathBuf;

use anyhow::Result;
use capsa_cluster::{Worker, WorkerConfig};
use capsa_server::{ServerConfig, TokenSource};
use clap::Args;

use crate::serve::{default_data_dir, parse_mount, run_service, shutdown};
use crate::vm_args::CacheArgs;

/// Options of `capsa worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The cluster's NATS server (with JetStream), e.g. nats://127.0.0.1:4222.
    #[arg(long, value_name = "URL")]
    nats: String,
    /// VM calls and one-shot runs taken at once (default: 8 per core).
    #[arg(long, value_name = "N")]
    capacity: Option<usize>,
    /// Where the worker keeps its sandboxes' files while it holds them (a
    /// fresh workers/ID under it at each start; default as capsa serve's).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Offer a host directory to sandboxes by name, at /mnt/NAME:
    /// NAME=DIR, read-only unless NAME=DIR:rw (the same on every worker).
    #[arg(long = "mount", value_name = "NAME=DIR[:rw]")]
    mounts: Vec<String>,
    /// How long a one-shot run's result is kept in the cluster, e.g. 1h.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = capsa_runtime::manifest::parse_duration)]
    submission_retention: std::time::Duration,
    #[command(flatten)]
    cache: CacheArgs,
}

/// Runs `capsa worker`; returns capsa's exit code.
pub fn main(args: WorkerArgs) -> i32 {
    run_service("worker", config(&args), work)
}

async fn work(config: WorkerConfig) -> Result<()> {
    let url = config.nats.clone();
    let worker = Worker::start(config).await?;
    eprintln!("capsa worker: {} taking work from {url}", worker.id());
    worker.run(shutdown()).await?;
    eprintln!("capsa worker: stopped");
    Ok(())
}

fn config(args: &WorkerArgs) -> Result<WorkerConfig> {
    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => default_data_dir()?,
    };
    let mut server = ServerConfig::new(data_dir, TokenSource::None);
    server.cache_dir = args.cache.dir();
    server.submission_retention = args.submission_retention;
    for spec in &args.mounts {
        server.mounts.push(parse_mount(spec)?);
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    Ok(WorkerConfig { nats: args.nats.clone(), capacity: args.capacity.unwrap_or(8 * cores), server })
}
