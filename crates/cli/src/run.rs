//! `capsa run`: one module, one fresh VM, exactly the granted capabilities.

use std::path::PathBuf;

use anyhow::Result;
use capsa_runtime::manifest;
use capsa_runtime::outcome::EXIT_USAGE;
use capsa_runtime::{Input, Output, VmConfig};
use clap::Args;

use crate::build::{self, CompileFlags};
use crate::report;
use crate::vm_args::{CacheArgs, DefaultGuest, GrantArgs, LimitArgs, NetArgs};

/// Options of `capsa run`. Nothing is granted unless asked for, except that
/// the guest's stdin, stdout and stderr are the terminal's (`--stdin null` etc.
/// to withdraw them).
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    grants: GrantArgs,
    /// Grant host entropy (random_get, /dev/urandom).
    #[arg(long)]
    random: bool,
    /// Grant the real clocks (and real file timestamps).
    #[arg(long)]
    clock: bool,
    /// Preopen the VM's own filesystem (its /tmp, /dev, /etc…) as `/`, after
    /// the --dir grants. Without it a module sees exactly its --dir grants,
    /// as under `wasmtime run`; programs built from source always have it.
    #[arg(long)]
    vm_fs: bool,
    /// stdin: inherit (default), null, or a host file path.
    #[arg(long, value_name = "inherit|null|FILE")]
    stdin: Option<String>,
    /// stdout: inherit (default), null, or a host file path (created).
    #[arg(long, value_name = "inherit|null|FILE")]
    stdout: Option<String>,
    /// stderr: inherit (default), null, or a host file path (created).
    #[arg(long, value_name = "inherit|null|FILE")]
    stderr: Option<String>,
    /// Read grants and limits from a TOML manifest (flags add to it).
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    cache: CacheArgs,
    /// Compiler flags, when MODULE is source.
    #[command(flatten)]
    compile: CompileFlags,
    /// The module to run: a .wasm or .wat file, or source (hello.c, main.cpp,
    /// a directory of sources) built through its lane first.
    module: PathBuf,
    /// Arguments passed to the module (argv[1..]).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// Runs `capsa run` and returns capsa's exit code.
pub fn main(args: RunArgs) -> i32 {
    let mut config = match vm_config(&args) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("capsa: {err:#}");
            return EXIT_USAGE;
        }
    };
    let runtime = match args.cache.runtime() {
        Ok(runtime) => runtime,
        Err(err) => return report::runtime_error("run", &err),
    };
    let source = build::is_source(&args.module);
    // A program capsa builds from source runs as in `capsa exec`, with the
    // VM's own filesystem; a module is given exactly its grants.
    config.grants.vm_fs |= source;
    if source
        && let Some(code) = build::run_interpreted(&runtime, &args.compile, &args.module, &args.args, config.clone())
    {
        return code;
    }
    let module = if source {
        match build::build_for_run(&runtime, &args.compile, &args.module) {
            Ok(module) => module,
            Err(code) => return code,
        }
    } else {
        args.module.clone()
    };
    let wasm = match std::fs::read(&module) {
        Ok(wasm) => wasm,
        Err(err) => {
            eprintln!("capsa: cannot read {}: {err}", module.display());
            return EXIT_USAGE;
        }
    };
    // A built program is called by its source's name, as a compiler's a.out would be.
    let name = if source { args.module.file_stem() } else { args.module.file_name() };
    let name = name.map_or_else(|| "main".to_string(), |n| n.to_string_lossy().into_owned());
    let argv: Vec<String> = std::iter::once(name).chain(args.args.iter().cloned()).collect();
    report::finish(runtime.vm(config).and_then(|vm| vm.run(&wasm, &argv)), &args.module)
}

/// Builds the VM configuration: the manifest first, then the flags.
fn vm_config(args: &RunArgs) -> Result<VmConfig> {
    let mut config = VmConfig::default();
    config.grants.stdin = Input::Inherit;
    config.grants.stdout = Output::Inherit;
    config.grants.stderr = Output::Inherit;
    if let Some(path) = &args.manifest {
        manifest::load(path, &mut config)?;
    }
    config.grants.dirs.extend(args.grants.dirs(DefaultGuest::AsGiven)?);
    config.grants.env.extend(args.grants.env()?);
    config.grants.random |= args.random;
    config.grants.clock |= args.clock;
    config.grants.vm_fs |= args.vm_fs;
    config.root |= args.grants.root;
    args.net.apply(&mut config);
    if let Some(spec) = &args.stdin {
        config.grants.stdin = match spec.as_str() {
            "inherit" => Input::Inherit,
            "null" => Input::Null,
            path => Input::File(PathBuf::from(path)),
        };
    }
    for (slot, spec) in [(&mut config.grants.stdout, &args.stdout), (&mut config.grants.stderr, &args.stderr)] {
        if let Some(spec) = spec {
            *slot = match spec.as_str() {
                "inherit" => Output::Inherit,
                "null" => Output::Null,
                path => Output::File(PathBuf::from(path)),
            };
        }
    }
    args.limits.apply(&mut config.limits)?;
    Ok(config)
}
