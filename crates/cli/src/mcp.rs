//! `capsa mcp`: the MCP tools (crates/server/src/mcp.rs) over stdio, for an
//! agent that starts capsa itself. Sandboxes live in this process (and, if
//! persistent, in the data dir); the caller is the local user.

use std::path::PathBuf;

use capsa_server::{App, ServerConfig, TokenSource};
use clap::Args;

use crate::vm_args::CacheArgs;

/// Options of `capsa mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Where persistent sandboxes and snapshots live (default
    /// $XDG_DATA_HOME/capsa/mcp or ~/.local/share/capsa/mcp).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(flatten)]
    cache: CacheArgs,
}

/// Runs `capsa mcp` until stdin ends; returns capsa's exit code.
pub fn main(args: McpArgs) -> i32 {
    let data_dir = match args.data_dir.clone().or_else(|| {
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))?;
        Some(base.join("capsa/mcp"))
    }) {
        Some(dir) => dir,
        None => {
            eprintln!("capsa mcp: --data-dir is needed: neither XDG_DATA_HOME nor HOME is set");
            return 2;
        }
    };
    let mut config = ServerConfig::new(data_dir, TokenSource::None);
    config.cache_dir = args.cache.dir();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("capsa mcp: cannot start the async runtime: {err}");
            return 1;
        }
    };
    let app = match App::open(&config) {
        Ok(app) => app,
        Err(err) => {
            eprintln!("capsa mcp: {err}");
            return 1;
        }
    };
    match runtime.block_on(capsa_server::mcp::serve_stdio(app)) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("capsa mcp: {err}");
            1
        }
    }
}
