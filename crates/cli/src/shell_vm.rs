//! The options `capsa exec` and `capsa sh` share: what host folders the VM
//! sees, its environment, its network grants, its limits — turned into a
//! shell VM's configuration ([`capsa_suite::shell::ShellVm`]). The network
//! flags ([`NetArgs`]) are `capsa run`'s too.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use capsa_runtime::manifest::{parse_duration, parse_size};
use capsa_runtime::{Input, NetAllow, Output, Publish, Runtime, RuntimeOptions, VmConfig};
use capsa_suite::shell::ShellVm;
use clap::Args;

use crate::run::{parse_dir, parse_env};

/// Options of a shell VM.
#[derive(Debug, Args)]
pub struct ShellVmArgs {
    /// Mount a host folder: HOST[:GUEST][:ro]. GUEST defaults to HOST's
    /// absolute path; the first mount is the working directory.
    #[arg(short, long = "mount", value_name = "HOST[:GUEST][:ro]")]
    mounts: Vec<String>,
    /// Set an environment variable: K=V, or K to pass the host's value of K.
    #[arg(short, long = "env", value_name = "K=V")]
    env: Vec<String>,
    /// Working directory inside the VM (default: the first mount, else the home directory).
    #[arg(short, long, value_name = "DIR")]
    workdir: Option<String>,
    /// Run as root (uid 0) inside the VM instead of uid 1000.
    #[arg(long)]
    root: bool,
    /// Wall-clock limit of the whole command line (of each line in `capsa sh`), e.g. 30s, 2m.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// CPU time of the whole VM, e.g. 60s (default for exec; in `capsa sh`
    /// the session's VM has 24h).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    cpu: Option<Duration>,
    /// Meter each process with this much fuel, deterministically (off by default).
    #[arg(long)]
    fuel: Option<u64>,
    /// Memory of the whole VM: every process's linear memory, pipe buffers,
    /// modules its guests wrote (default 1GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory: Option<u64>,
    /// Bytes the VM may store in its own filesystem (default 512MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    disk: Option<u64>,
    /// Processes per VM, zombies included (default 64).
    #[arg(long)]
    processes: Option<usize>,
    /// Host files the VM may hold open through its mounts (default 256).
    #[arg(long)]
    host_fds: Option<usize>,
    /// Compiled-module cache directory (default ~/.cache/capsa).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    #[command(flatten)]
    net: NetArgs,
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

impl ShellVmArgs {
    /// The shell VM these options describe, and its configuration with the
    /// terminal's stdio and `limits` as defaults for what was not given.
    ///
    /// # Errors
    /// A malformed `--mount` or `--env`, a missing host folder.
    pub fn config(&self, limits: capsa_runtime::Limits) -> Result<(ShellVm, VmConfig)> {
        let mut shell = ShellVm { workdir: self.workdir.clone(), root: self.root, ..ShellVm::default() };
        for spec in &self.mounts {
            let mut grant = parse_dir("--mount", spec)?;
            let explicit_guest = spec.trim_end_matches(":ro").trim_end_matches(":rw").contains(':');
            if !explicit_guest {
                let absolute = std::fs::canonicalize(&grant.host)
                    .with_context(|| format!("--mount {spec}: {}", grant.host.display()))?;
                grant.guest = absolute.to_string_lossy().into_owned();
            }
            shell.mounts.push(grant);
        }
        for spec in &self.env {
            shell.env.push(parse_env(spec)?);
        }
        let mut base = VmConfig { limits, ..VmConfig::default() };
        self.net.apply(&mut base);
        base.grants.stdin = Input::Inherit;
        base.grants.stdout = Output::Inherit;
        base.grants.stderr = Output::Inherit;
        let l = &mut base.limits;
        if let Some(v) = self.timeout {
            l.wall = v;
        }
        if let Some(v) = self.fuel {
            l.fuel = Some(v);
        }
        if let Some(v) = self.cpu {
            l.cpu = v;
        }
        if let Some(v) = self.memory {
            l.memory = v;
        }
        if let Some(v) = self.disk {
            l.disk_bytes = v;
        }
        if let Some(v) = self.processes {
            l.processes = v;
        }
        if let Some(v) = self.host_fds {
            l.host_fds = v;
        }
        let config = shell.config(base)?;
        Ok((shell, config))
    }

    /// The runtime (and its compiled-module cache).
    ///
    /// # Errors
    /// The cache directory cannot be created.
    pub fn runtime(&self) -> Result<Runtime> {
        Ok(Runtime::new(RuntimeOptions { cache_dir: self.cache_dir.clone(), ..RuntimeOptions::default() })?)
    }
}
