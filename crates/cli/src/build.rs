//! `capsa build`, `capsa lanes`, and the source half of `capsa run`: source
//! goes through its lane (every compiler stage a wasm guest) to a
//! content-addressed `.wasm`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use capsa_lanes::{Artifact, BuildRequest, CompilerBudget, LaneError, Lanes, Source};
use capsa_runtime::manifest::{parse_duration, parse_size};
use capsa_runtime::{Runtime, VmConfig};
use clap::{Args, Subcommand};

use crate::report::{self, lane_error};
use crate::vm_args::CacheArgs;

/// Compiler flags, shared by `capsa build` and `capsa run SOURCE`.
#[derive(Debug, Args, Default)]
pub struct CompileFlags {
    /// The lane to use (c, cpp, …) instead of guessing from the extension.
    #[arg(long, value_name = "LANE")]
    lang: Option<String>,
    /// Add a header directory (its headers are staged into the build).
    #[arg(short = 'I', value_name = "DIR")]
    includes: Vec<PathBuf>,
    /// Define a macro: NAME or NAME=VALUE.
    #[arg(short = 'D', value_name = "NAME[=VALUE]")]
    defines: Vec<String>,
    /// Optimisation level: 0, 1, 2 (default), 3, s, z, g.
    #[arg(short = 'O', value_name = "LEVEL")]
    optimize: Option<String>,
    /// Link a library of the sysroot (m, wasi-emulated-mman, …).
    #[arg(short = 'l', value_name = "LIB")]
    libs: Vec<String>,
    /// CPU time for each compiler guest (default 600s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    compile_cpu: Option<Duration>,
    /// Meter each compiler guest with this much fuel, deterministically
    /// (off by default: it costs speed).
    #[arg(long, value_name = "N")]
    compile_fuel: Option<u64>,
    /// Wall clock for each compiler guest (default 180s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    compile_timeout: Option<Duration>,
    /// Memory for each compiler guest (default 4GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    compile_memory: Option<u64>,
}

impl CompileFlags {
    fn request(&self, inputs: Vec<PathBuf>, quiet: bool) -> BuildRequest {
        let defaults = CompilerBudget::default();
        BuildRequest {
            inputs,
            lang: self.lang.clone(),
            includes: self.includes.clone(),
            defines: self.defines.clone(),
            optimize: self.optimize.clone(),
            libs: self.libs.clone(),
            budget: CompilerBudget {
                cpu: self.compile_cpu.unwrap_or(defaults.cpu),
                fuel: self.compile_fuel.or(defaults.fuel),
                wall: self.compile_timeout.unwrap_or(defaults.wall),
                memory: self.compile_memory.unwrap_or(defaults.memory),
            },
            quiet,
        }
    }
}

/// Options of `capsa build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    flags: CompileFlags,
    /// Also copy the built module here.
    #[arg(short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// No progress lines.
    #[arg(long, short = 'q')]
    quiet: bool,
    #[command(flatten)]
    cache: CacheArgs,
    /// Source files, or a directory of sources.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// Options of `capsa check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Fuel for the checker guest (default 800000000000).
    #[arg(long, value_name = "N")]
    compile_fuel: Option<u64>,
    /// Wall clock for the checker guest (default 180s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    compile_timeout: Option<Duration>,
    /// No progress lines.
    #[arg(long, short = 'q')]
    quiet: bool,
    #[command(flatten)]
    cache: CacheArgs,
    /// TypeScript sources.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// Runs `capsa check`: tsc's type checker in a guest; its diagnostics, and
/// exit 1 when it found errors.
pub fn check_main(args: CheckArgs) -> i32 {
    let runtime = match args.cache.runtime() {
        Ok(runtime) => runtime,
        Err(err) => return lane_error(&LaneError::Runtime(err)),
    };
    let lanes = match Lanes::builtin() {
        Ok(lanes) => lanes,
        Err(err) => return lane_error(&err),
    };
    let flags = CompileFlags {
        compile_fuel: args.compile_fuel,
        compile_timeout: args.compile_timeout,
        ..CompileFlags::default()
    };
    match capsa_lanes::ts::check(&runtime, &lanes, &flags.request(args.inputs.clone(), args.quiet)) {
        Ok(warnings) => {
            eprint!("{warnings}");
            0
        }
        Err(err) => lane_error(&err),
    }
}

/// Options of `capsa lanes`.
#[derive(Debug, Args)]
pub struct LanesArgs {
    #[command(subcommand)]
    action: Option<LanesAction>,
    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(Debug, Subcommand)]
enum LanesAction {
    /// Show every lane, its status and its limit (the default).
    List,
    /// Fetch a lane's toolchain and compile it into the module cache now.
    Install {
        /// The lane (c, cpp, python, lua, go).
        lane: String,
        /// Use this package tarball instead of fetching it (still checked).
        #[arg(long, value_name = "TARBALL")]
        from: Option<PathBuf>,
    },
}

/// Runs `capsa build`.
pub fn main(args: BuildArgs) -> i32 {
    let runtime = match args.cache.runtime() {
        Ok(runtime) => runtime,
        Err(err) => return lane_error(&LaneError::Runtime(err)),
    };
    let artifact = match build(&runtime, &args.flags, args.inputs.clone(), args.quiet) {
        Ok(artifact) => artifact,
        Err(code) => return code,
    };
    if let Some(output) = &args.output
        && let Err(err) = std::fs::copy(&artifact.path, output)
    {
        eprintln!("capsa: cannot write {}: {err}", output.display());
        return 1;
    }
    if !args.quiet {
        match artifact.compiled {
            0 => eprintln!("capsa: up to date (nothing compiled)"),
            1 => eprintln!("capsa: compiled 1 file"),
            n => eprintln!("capsa: compiled {n} files"),
        }
    }
    println!("sha256 {}", artifact.sha256);
    println!("path {}", artifact.path.display());
    0
}

/// Builds `inputs` with `flags` for `capsa run`: the module's path, or
/// capsa's exit code after the errors were printed.
pub fn build_for_run(runtime: &Runtime, flags: &CompileFlags, input: &Path) -> Result<PathBuf, i32> {
    build(runtime, flags, vec![input.to_path_buf()], false).map(|artifact| artifact.path)
}

/// Whether `capsa run` should build `path` through a lane first (if the
/// lanes cannot be read, building reports why).
pub fn is_source(path: &Path) -> bool {
    Lanes::builtin().map_or(true, |lanes| lanes.is_source(path))
}

fn build(runtime: &Runtime, flags: &CompileFlags, inputs: Vec<PathBuf>, quiet: bool) -> Result<Artifact, i32> {
    let lanes = Lanes::builtin().map_err(|err| lane_error(&err))?;
    let request = flags.request(inputs, quiet);
    let artifact = capsa_lanes::build(runtime, &lanes, &request).map_err(|err| lane_error(&err))?;
    eprint!("{}", artifact.diagnostics);
    Ok(artifact)
}

/// Runs `capsa lanes`.
pub fn lanes_main(args: LanesArgs) -> i32 {
    let lanes = match Lanes::builtin() {
        Ok(lanes) => lanes,
        Err(err) => return lane_error(&err),
    };
    let runtime = match args.cache.runtime() {
        Ok(runtime) => runtime,
        Err(err) => return lane_error(&LaneError::Runtime(err)),
    };
    match args.action.unwrap_or(LanesAction::List) {
        LanesAction::List => {
            let installed =
                |lane: &capsa_lanes::Manifest| capsa_lanes::installed(&runtime, &lanes, lane).ok().flatten();
            print!("{}", capsa_lanes::ledger::render(lanes.all(), &installed));
            0
        }
        LanesAction::Install { lane, from } => {
            let source = from.as_deref().map_or(Source::Registry, Source::Tarball);
            match capsa_lanes::install(&runtime, &lanes, &lane, source, false) {
                Ok(()) => {
                    eprintln!("capsa: lane {lane} is installed");
                    0
                }
                Err(err) => lane_error(&err),
            }
        }
    }
}

/// `capsa run script.py args…`: the script's lane, when it is interpreted
/// (Python, Lua, Go), runs it and returns the exit code; `None` for a lane that
/// builds a module instead.
pub fn run_interpreted(
    runtime: &Runtime,
    flags: &CompileFlags,
    script: &Path,
    args: &[String],
    mut config: VmConfig,
) -> Option<i32> {
    let lanes = match Lanes::builtin() {
        Ok(lanes) => lanes,
        Err(err) => return Some(lane_error(&err)),
    };
    let lane = match flags.lang.as_deref() {
        Some(id) => lanes.get(id),
        None => lanes.for_path(script),
    }?;
    let prepared = match capsa_lanes::prepare(runtime, &lanes, lane, script, args, &mut config, false) {
        Ok(Some(prepared)) => prepared,
        Ok(None) => return None,
        Err(err) => return Some(lane_error(&err)),
    };
    let toolchain = &prepared.toolchain;
    let result = runtime
        .vm(config)
        .and_then(|vm| vm.run_digested(&toolchain.sha256, &mut || toolchain.module_bytes(), &prepared.argv));
    Some(report::finish(result, script))
}
