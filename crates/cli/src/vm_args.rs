//! The options every VM-making subcommand shares, flattened into `run`,
//! `exec` and `sh` so that one grant or limit is one flag everywhere: host
//! folders and environment ([`GrantArgs`]), limits ([`LimitArgs`], one
//! [`LimitArgs::apply`] onto the runtime's [`Limits`]), the network
//! ([`NetArgs`]) and the cache ([`CacheArgs`]); and, for `exec` and `sh`,
//! the session they make of them ([`ShellArgs`]).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use capsa_runtime::manifest::{parse_duration, parse_size};
use capsa_runtime::{DirGrant, Input, Limits, NetAllow, Output, Publish, Runtime, RuntimeOptions, VmConfig};
use capsa_session::{Session, SessionError};
use capsa_suite::shell::ShellVm;
use clap::Args;

/// The options of a shell VM (`capsa exec`, `capsa sh`).
#[derive(Debug, Args)]
pub struct ShellArgs {
    #[command(flatten)]
    grants: GrantArgs,
    /// Working directory inside the VM (default: the first --dir, else the home directory).
    #[arg(short, long, value_name = "DIR")]
    workdir: Option<String>,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    cache: CacheArgs,
}

/// Why a session could not be made from the command line.
pub enum StartError {
    /// The command line is malformed (a usage error).
    Usage(anyhow::Error),
    /// The session could not start.
    Session(SessionError),
}

impl ShellArgs {
    /// Starts the session these options describe, with the terminal's
    /// stdio and `defaults` for the limits not given.
    ///
    /// # Errors
    /// See [`StartError`].
    pub fn start(&self, defaults: Limits) -> Result<Session, StartError> {
        let usage = StartError::Usage;
        let shell = ShellVm {
            mounts: self.grants.dirs(DefaultGuest::Absolute).map_err(usage)?,
            env: self.grants.env().map_err(usage)?,
            workdir: self.workdir.clone(),
            root: self.grants.root,
        };
        let mut base = VmConfig { limits: defaults, ..VmConfig::default() };
        self.limits.apply(&mut base.limits).map_err(usage)?;
        self.net.apply(&mut base);
        base.grants.stdin = Input::Inherit;
        base.grants.stdout = Output::Inherit;
        base.grants.stderr = Output::Inherit;
        let runtime = self.cache.runtime().map_err(|err| StartError::Session(err.into()))?;
        Session::start(&runtime, &shell, base).map_err(StartError::Session)
    }
}

/// What a VM is granted of the host's files and environment.
#[derive(Debug, Clone, Default, Args)]
pub struct GrantArgs {
    /// Grant a host directory: HOST[:GUEST][:ro] (also wasmtime's
    /// HOST::GUEST); `:ro` makes it read-only. GUEST defaults to HOST as
    /// given for `capsa run`, to HOST's absolute path for `exec` and `sh`
    /// (whose first one is the working directory).
    #[arg(short = 'm', long = "dir", visible_alias = "mount", value_name = "HOST[:GUEST][:ro]")]
    dirs: Vec<String>,
    /// Grant an environment variable: K=V, or K to pass the host's value of K.
    #[arg(short, long = "env", value_name = "K=V")]
    env: Vec<String>,
    /// Run as root (uid 0) inside the VM instead of uid 1000.
    #[arg(long)]
    pub root: bool,
}

/// Where a granted directory appears when its spec names no guest path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultGuest {
    /// At the path as given (`wasmtime run --dir data` compatible).
    AsGiven,
    /// At the host directory's canonical absolute path.
    Absolute,
}

impl GrantArgs {
    /// The granted directories.
    ///
    /// # Errors
    /// A malformed spec, or (for [`DefaultGuest::Absolute`]) a host
    /// directory that does not exist.
    pub fn dirs(&self, default_guest: DefaultGuest) -> Result<Vec<DirGrant>> {
        self.dirs
            .iter()
            .map(|spec| {
                let mut grant = parse_dir(spec)?;
                let explicit_guest = spec.trim_end_matches(":ro").trim_end_matches(":rw").contains(':');
                if default_guest == DefaultGuest::Absolute && !explicit_guest {
                    let absolute = std::fs::canonicalize(&grant.host)
                        .with_context(|| format!("--dir {spec}: {}", grant.host.display()))?;
                    grant.guest = absolute.to_string_lossy().into_owned();
                }
                Ok(grant)
            })
            .collect()
    }

    /// The granted environment.
    ///
    /// # Errors
    /// A malformed spec, or a variable not set on the host.
    pub fn env(&self) -> Result<Vec<(String, String)>> {
        self.env.iter().map(|spec| parse_env(spec)).collect()
    }
}

/// The limits of a VM; what is not given keeps the subcommand's default.
#[derive(Debug, Clone, Default, Args)]
pub struct LimitArgs {
    /// CPU time of the whole VM, e.g. 60s (the default; `capsa sh`: 24h), 500ms, 10m.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    cpu: Option<Duration>,
    /// Meter each process with this much fuel (≈ wasm instructions),
    /// deterministically; off by default (it costs about 15% of speed).
    #[arg(long)]
    fuel: Option<u64>,
    /// Wall-clock limit of a run (of each line in `capsa sh`), e.g. 30s,
    /// 500ms, 2m (default 10m; `capsa sh`: 24h).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
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
    /// Host files the VM may hold open through its granted directories (default 256).
    #[arg(long)]
    host_fds: Option<usize>,
}

impl LimitArgs {
    /// Sets every limit given on the command line in `limits`.
    ///
    /// # Errors
    /// A `--stack` too large for this host.
    pub fn apply(&self, limits: &mut Limits) -> Result<()> {
        fn set<T: Clone>(slot: &mut T, value: &Option<T>) {
            if let Some(value) = value {
                *slot = value.clone();
            }
        }
        if self.fuel.is_some() {
            limits.fuel = self.fuel;
        }
        set(&mut limits.cpu, &self.cpu);
        set(&mut limits.wall, &self.timeout);
        set(&mut limits.memory, &self.memory);
        if let Some(stack) = self.stack {
            limits.stack = usize::try_from(stack).context("--stack is too large")?;
        }
        set(&mut limits.stdout_bytes, &self.max_stdout);
        set(&mut limits.stderr_bytes, &self.max_stderr);
        set(&mut limits.disk_bytes, &self.disk);
        set(&mut limits.disk_inodes, &self.inodes);
        set(&mut limits.fds, &self.fds);
        set(&mut limits.processes, &self.processes);
        set(&mut limits.host_fds, &self.host_fds);
        Ok(())
    }
}

/// Network grants: what outside the VM its guests may reach, and which host
/// ports lead into it. Without them the VM has only its own network.
#[derive(Debug, Clone, Default, Args)]
pub struct NetArgs {
    /// Allow TCP connections to HOST:PORT (PORT may be *; HOST a name or an
    /// address) and lookups of HOST. The host's own loopback is 10.0.2.2
    /// inside the VM.
    #[arg(long = "allow-net", value_name = "HOST:PORT")]
    allow_net: Vec<NetAllow>,
    /// Forward connections to 127.0.0.1:HOSTPORT on the host to the guest
    /// listening on GUESTPORT.
    #[arg(long = "publish", value_name = "HOSTPORT:GUESTPORT")]
    publish: Vec<Publish>,
}

impl NetArgs {
    /// Adds these grants to `config`.
    pub fn apply(&self, config: &mut VmConfig) {
        config.grants.net.allow.extend(self.allow_net.iter().cloned());
        config.grants.net.publish.extend(self.publish.iter().copied());
    }
}

/// Where compiled modules, toolchains and artifacts are kept.
#[derive(Debug, Clone, Default, Args)]
pub struct CacheArgs {
    /// Compiled-module, toolchain and artifact cache directory (default ~/.cache/capsa).
    #[arg(long, value_name = "DIR", global = true)]
    cache_dir: Option<PathBuf>,
}

impl CacheArgs {
    /// The cache directory given, if one was.
    pub fn dir(&self) -> Option<PathBuf> {
        self.cache_dir.clone()
    }

    /// The runtime over this cache.
    ///
    /// # Errors
    /// The cache directory cannot be created.
    pub fn runtime(&self) -> Result<Runtime, capsa_runtime::RuntimeError> {
        Runtime::new(RuntimeOptions { cache_dir: self.cache_dir.clone(), ..RuntimeOptions::default() })
    }
}

/// Parses `HOST[:GUEST][:ro|:rw]` or `HOST::GUEST`.
fn parse_dir(spec: &str) -> Result<DirGrant> {
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
        bail!("--dir {spec}: expected HOST[:GUEST][:ro]");
    }
    Ok(DirGrant { host: PathBuf::from(host), guest: guest.to_string(), read_only })
}

/// Parses `K=V`, or `K` to pass the host's value.
fn parse_env(spec: &str) -> Result<(String, String)> {
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
        let d = parse_dir("/a:/b:ro").unwrap();
        assert_eq!((d.host, d.guest.as_str(), d.read_only), (PathBuf::from("/a"), "/b", true));
        let d = parse_dir("/a::b").unwrap();
        assert_eq!((d.host, d.guest.as_str(), d.read_only), (PathBuf::from("/a"), "b", false));
        let d = parse_dir("data").unwrap();
        assert_eq!((d.host, d.guest.as_str()), (PathBuf::from("data"), "data"));
        let d = parse_dir("data:ro").unwrap();
        assert_eq!((d.host, d.guest.as_str(), d.read_only), (PathBuf::from("data"), "data", true));
        assert!(parse_dir(":x").is_err());
    }

    #[test]
    fn env_specs() {
        assert_eq!(parse_env("A=b=c").unwrap(), ("A".into(), "b=c".into()));
        assert!(parse_env("=x").is_err());
    }

    #[test]
    fn limits_apply_only_what_was_given() {
        let mut limits = Limits::default();
        let args = LimitArgs { cpu: Some(Duration::from_secs(5)), fuel: Some(7), ..LimitArgs::default() };
        args.apply(&mut limits).unwrap();
        assert_eq!((limits.cpu, limits.fuel), (Duration::from_secs(5), Some(7)));
        assert_eq!(limits.memory, Limits::default().memory);
    }
}
