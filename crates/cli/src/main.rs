//! The `capsa` command: run untrusted WebAssembly with exactly the
//! capabilities granted on the command line or in a manifest.

mod build;
mod exec;
mod mcp;
mod remote_sh;
mod report;
mod run;
mod serve;
mod sh;
mod vm_args;
mod worker;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// capsa — a capability-secure operating system for untrusted code.
#[derive(Debug, Parser)]
#[command(name = "capsa", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a wasm32-wasip1 command module in a fresh VM.
    Run(Box<run::RunArgs>),
    /// Run a shell command line in a fresh VM with the command suite.
    Exec(exec::ExecArgs),
    /// Open an interactive shell in a VM with the command suite.
    Sh(sh::ShArgs),
    /// Build source into a content-addressed .wasm, every compiler stage a guest.
    Build(build::BuildArgs),
    /// Type-check TypeScript sources with tsc, running as a guest.
    Check(build::CheckArgs),
    /// List the language lanes and their limits; install a lane's toolchain.
    Lanes(build::LanesArgs),
    /// Serve sandboxes over HTTP to programs (the /v1 API; README "Service").
    Serve(serve::ServeArgs),
    /// Offer sandboxes to an agent as MCP tools over stdio.
    Mcp(mcp::McpArgs),
    /// Run a cluster's VMs: take work from `capsa serve --nats` front-ends.
    Worker(worker::WorkerArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("CAPSA_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => run::main(*args),
        Command::Exec(args) => exec::main(args),
        Command::Sh(args) => sh::main(args),
        Command::Build(args) => build::main(args),
        Command::Check(args) => build::check_main(args),
        Command::Lanes(args) => build::lanes_main(args),
        Command::Serve(args) => serve::main(args),
        Command::Mcp(args) => mcp::main(args),
        Command::Worker(args) => worker::main(args),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
