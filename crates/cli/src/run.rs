//! `capsa run`: one module, one fresh VM, exactly the granted capabilities.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use capsa_runtime::manifest::{self, parse_duration, parse_size};
use capsa_runtime::outcome::{EXIT_NOT_RUNNABLE, EXIT_USAGE};
use capsa_runtime::{DirGrant, Input, Outcome, Output, Runtime, RuntimeError, RuntimeOptions, VmConfig};
use clap::Args;

/// Options of `capsa run`. Nothing is granted unless asked for, except that
/// the guest's stdin, stdout and stderr are the terminal's (`--stdin null` etc.
/// to withdraw them).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Grant a host directory: HOST[:GUEST][:ro] (also wasmtime's HOST::GUEST).
    /// GUEST defaults to HOST; `:ro` makes it read-only.
    #[arg(long = "dir", value_name = "HOST[:GUEST][:ro]")]
    dirs: Vec<String>,
    /// Grant an environment variable: K=V, or K to pass the host's value of K.
    #[arg(long = "env", value_name = "K=V")]
    env: Vec<String>,
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
    /// Run as root (uid 0) inside the VM instead of uid 1000.
    #[arg(long)]
    root: bool,
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
    /// CPU time of the whole VM, e.g. 60s (default), 500ms, 10m.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    cpu: Option<std::time::Duration>,
    /// Meter each process with this much fuel (≈ wasm instructions),
    /// deterministically; off by default (it costs about 15% of speed).
    #[arg(long)]
    fuel: Option<u64>,
    /// Wall-clock limit, e.g. 30s, 500ms, 2m (default 10m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<std::time::Duration>,
    /// Memory of the whole VM: every linear memory of every process, pipe
    /// buffers, modules its guests wrote (default 1GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory: Option<u64>,
    /// Wasm stack limit, e.g. 1MiB (default).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    stack: Option<u64>,
    /// stdout byte cap (default 1GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_stdout: Option<u64>,
    /// stderr byte cap (default 1GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_stderr: Option<u64>,
    /// Bytes the VM may store in its own filesystem (default 512MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    disk: Option<u64>,
    /// Names the VM may create: inodes and hard links (default 65536).
    #[arg(long)]
    inodes: Option<u64>,
    /// Open fds per process (default 1024).
    #[arg(long)]
    fds: Option<usize>,
    /// Processes per VM, zombies included (default 64).
    #[arg(long)]
    processes: Option<usize>,
    /// Host files the VM may hold open through its --dir grants (default 256).
    #[arg(long)]
    host_fds: Option<usize>,
    /// Compiled-module cache directory (default ~/.cache/capsa).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Network grants (--allow-net, --publish).
    #[command(flatten)]
    net: crate::shell_vm::NetArgs,
    /// Compiler flags, when MODULE is source.
    #[command(flatten)]
    compile: crate::build::CompileFlags,
    /// The module to run: a .wasm or .wat file, or source (hello.c, main.cpp,
    /// a directory of sources) built through its lane first.
    module: PathBuf,
    /// Arguments passed to the module (argv[1..]).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// Runs `capsa run` and returns capsa's exit code.
pub fn main(args: RunArgs) -> i32 {
    let config = match vm_config(&args) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("capsa: {err:#}");
            return EXIT_USAGE;
        }
    };
    let runtime = match Runtime::new(RuntimeOptions { cache_dir: args.cache_dir.clone(), ..RuntimeOptions::default() })
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("capsa: {err}");
            return exit_code_of(&err);
        }
    };
    let source = crate::build::is_source(&args.module);
    let mut config = config;
    // A program capsa builds from source runs as in `capsa exec`, with the
    // VM's own filesystem; a module is given exactly its grants.
    config.grants.vm_fs |= source;
    if source
        && let Some(code) =
            crate::build::run_interpreted(&runtime, &args.compile, &args.module, &args.args, config.clone())
    {
        return code;
    }
    let module = if source {
        match crate::build::build_for_run(&runtime, &args.compile, &args.module) {
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
    finish(runtime.vm(config).and_then(|vm| vm.run(&wasm, &argv)), &args.module)
}

/// capsa's exit code for a run of `what`: the guest's, after its abnormal
/// end's reason; or, when it could not run, why.
pub(crate) fn finish(result: Result<Outcome, RuntimeError>, what: &Path) -> i32 {
    match result {
        Ok(outcome) => {
            if let Some(reason) = outcome.status.reason() {
                eprintln!("{reason}");
            }
            outcome.status.code()
        }
        Err(err) => {
            eprintln!("capsa: {}: {err}", what.display());
            exit_code_of(&err)
        }
    }
}

/// capsa's exit code when a program could not be run at all: a usage error
/// for a bad grant or cache, "not runnable" for a bad module.
pub(crate) fn exit_code_of(err: &RuntimeError) -> i32 {
    match err {
        RuntimeError::Grant(_) | RuntimeError::Cache(..) => EXIT_USAGE,
        RuntimeError::InvalidModule(_)
        | RuntimeError::UnknownImports(_)
        | RuntimeError::NotCommand(_)
        | RuntimeError::Instantiate(_)
        | RuntimeError::Engine(_)
        | RuntimeError::Internal(_) => EXIT_NOT_RUNNABLE,
    }
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
    for spec in &args.dirs {
        config.grants.dirs.push(parse_dir("--dir", spec)?);
    }
    for spec in &args.env {
        config.grants.env.push(parse_env(spec)?);
    }
    config.grants.random |= args.random;
    config.grants.clock |= args.clock;
    config.grants.vm_fs |= args.vm_fs;
    config.root |= args.root;
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
    let limits = &mut config.limits;
    if let Some(v) = args.fuel {
        limits.fuel = Some(v);
    }
    if let Some(v) = args.cpu {
        limits.cpu = v;
    }
    if let Some(v) = args.timeout {
        limits.wall = v;
    }
    if let Some(v) = args.memory {
        limits.memory = v;
    }
    if let Some(v) = args.stack {
        limits.stack = usize::try_from(v).context("--stack is too large")?;
    }
    if let Some(v) = args.max_stdout {
        limits.stdout_bytes = v;
    }
    if let Some(v) = args.max_stderr {
        limits.stderr_bytes = v;
    }
    if let Some(v) = args.disk {
        limits.disk_bytes = v;
    }
    if let Some(v) = args.inodes {
        limits.disk_inodes = v;
    }
    if let Some(v) = args.fds {
        limits.fds = v;
    }
    if let Some(v) = args.processes {
        limits.processes = v;
    }
    if let Some(v) = args.host_fds {
        limits.host_fds = v;
    }
    Ok(config)
}

/// Parses `HOST[:GUEST][:ro|:rw]` or `HOST::GUEST` given to `flag`.
pub(crate) fn parse_dir(flag: &str, spec: &str) -> Result<DirGrant> {
    let (rest, read_only) = match spec.rsplit_once(':') {
        Some((rest, "ro")) => (rest, true),
        Some((rest, "rw")) => (rest, false),
        _ => (spec, false),
    };
    let (host, guest) = match rest.split_once("::").or_else(|| rest.split_once(':')) {
        Some((host, guest)) => (host, guest),
        None => (rest, rest),
    };
    if host.is_empty() || guest.is_empty() {
        bail!("{flag} {spec}: expected HOST[:GUEST][:ro]");
    }
    Ok(DirGrant { host: PathBuf::from(host), guest: guest.to_string(), read_only })
}

/// Parses `K=V`, or `K` to pass the host's value.
pub(crate) fn parse_env(spec: &str) -> Result<(String, String)> {
    match spec.split_once('=') {
        Some(("", _)) => bail!("--env {spec}: empty name"),
        Some((key, value)) => Ok((key.to_string(), value.to_string())),
        None => {
            let value = std::env::var(spec).map_err(|_| anyhow!("--env {spec}: not set on the host"))?;
            Ok((spec.to_string(), value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_specs() {
        let d = parse_dir("--dir", "/a:/b:ro").unwrap();
        assert_eq!((d.host, d.guest.as_str(), d.read_only), (PathBuf::from("/a"), "/b", true));
        let d = parse_dir("--dir", "/a::b").unwrap();
        assert_eq!((d.host, d.guest.as_str(), d.read_only), (PathBuf::from("/a"), "b", false));
        let d = parse_dir("--dir", "data").unwrap();
        assert_eq!((d.host, d.guest.as_str()), (PathBuf::from("data"), "data"));
        let d = parse_dir("--dir", "data:ro").unwrap();
        assert_eq!((d.host, d.guest.as_str(), d.read_only), (PathBuf::from("data"), "data", true));
        assert!(parse_dir("--dir", ":x").is_err());
    }

    #[test]
    fn env_specs() {
        assert_eq!(parse_env("A=b=c").unwrap(), ("A".into(), "b=c".into()));
        assert!(parse_env("=x").is_err());
    }
}
