//! The `capsa` command: run untrusted WebAssembly with exactly the
//! capabilities granted on the command line or in a manifest.

mod run;

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
    Run(run::RunArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("CAPSA_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => run::main(args),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
