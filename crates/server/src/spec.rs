//! What a client asks a sandbox to be (`POST /v1/sandboxes`), checked and
//! turned into the session's VM configuration. A spec never names a host
//! path: host folders are the operator's mounts, asked for by name.

use std::collections::BTreeMap;
use std::time::Duration;

use capsa_runtime::manifest::{parse_duration, parse_size};
use capsa_runtime::{DirGrant, Limits, NetAllow, VmConfig};
use capsa_suite::shell::ShellVm;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// A size: bytes as a number, or text such as `"256MiB"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Size {
    /// Bytes.
    Bytes(u64),
    /// `512MiB`, `1GiB`, `4096`.
    Text(String),
}

/// A duration: seconds as a number, or text such as `"30s"`, `"500ms"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Time {
    /// Seconds.
    Seconds(f64),
    /// `30s`, `500ms`, `10m`.
    Text(String),
}

/// The limits of a sandbox, as the CLI's flags name them; unset ones take
/// the service's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// CPU time of the whole sandbox over its life (default 1h).
    pub cpu: Option<Time>,
    /// Wall clock of each command (default 60s; `timeout_s` overrides).
    pub timeout: Option<Time>,
    /// Memory of the whole VM (default 1GiB).
    pub memory: Option<Size>,
    /// Wasm stack.
    pub stack: Option<Size>,
    /// Bytes a command may write to stdout.
    pub max_stdout: Option<Size>,
    /// Bytes a command may write to stderr.
    pub max_stderr: Option<Size>,
    /// Bytes the VM may store (default 512MiB).
    pub disk: Option<Size>,
    /// Names the VM may create.
    pub inodes: Option<u64>,
    /// Open fds per process.
    pub fds: Option<usize>,
    /// Processes at once.
    pub processes: Option<usize>,
    /// Fuel per process (deterministic metering; off by default).
    pub fuel: Option<u64>,
}

/// `POST /v1/sandboxes`'s body; also what a persistent sandbox is
/// recreated from after a restart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Whether its filesystem is kept on disk and survives the server.
    #[serde(default)]
    pub persistent: bool,
    /// Environment variables of every command.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Its limits.
    #[serde(default)]
    pub limits: LimitsSpec,
    /// `HOST:PORT` destinations its guests may connect to.
    #[serde(default)]
    pub allow_net: Vec<String>,
    /// Seconds without a call after which it is paused (persistent) or
    /// deleted (default 600).
    pub idle_timeout_s: Option<u64>,
    /// Seconds after which it is deleted, however busy.
    pub ttl_s: Option<u64>,
    /// A snapshot to start from.
    pub from_snapshot: Option<String>,
    /// Operator mounts (`capsa serve --mount NAME=DIR`) to attach, by name,
    /// at `/mnt/NAME`.
    #[serde(default)]
    pub mounts: Vec<String>,
    /// Run commands as root inside the VM.
    #[serde(default)]
    pub root: bool,
}

/// A host directory the operator offers to sandboxes by name.
#[derive(Debug, Clone)]
pub struct NamedMount {
    /// The name a sandbox asks for.
    pub name: String,
    /// The host directory.
    pub host: std::path::PathBuf,
    /// Whether sandboxes may write to it (read-only by default).
    pub writable: bool,
}

/// The default limits of a sandbox: the VM's, but with a CPU budget for a
/// long life and a wall clock per command.
pub fn default_limits() -> Limits {
    Limits { cpu: Duration::from_secs(3600), wall: Duration::from_secs(60), ..Limits::default() }
}

/// Most environment variables, and bytes in each, a spec may set.
const MAX_ENV: usize = 256;
const MAX_ENV_BYTES: usize = 64 << 10;

impl Spec {
    /// The session's shell and base configuration, or why the spec is not
    /// acceptable.
    ///
    /// # Errors
    /// A limit that does not parse, an unknown mount, a bad variable or
    /// network grant: 400 with the reason.
    pub fn vm(&self, mounts: &[NamedMount]) -> Result<(ShellVm, VmConfig), ApiError> {
        let mut limits = default_limits();
        self.limits.apply(&mut limits)?;
        if self.env.len() > MAX_ENV {
            return Err(ApiError::bad_request(format!("env: at most {MAX_ENV} variables")));
        }
        let mut env = Vec::new();
        for (key, value) in &self.env {
            let valid = !key.is_empty() && !key.contains('=') && !key.contains('\0') && !value.contains('\0');
            if !valid || key.len() + value.len() > MAX_ENV_BYTES {
                return Err(ApiError::bad_request(format!("env: {key:?} is not a variable name, or too long")));
            }
            env.push((key.clone(), value.clone()));
        }
        let mut grants = Vec::new();
        for name in &self.mounts {
            let mount = mounts
                .iter()
                .find(|mount| mount.name == *name)
                .ok_or_else(|| ApiError::bad_request(format!("mounts: no mount named {name:?} on this server")))?;
            grants.push(DirGrant {
                host: mount.host.clone(),
                guest: format!("/mnt/{}", mount.name),
                read_only: !mount.writable,
            });
        }
        let mut base = VmConfig { limits, ..VmConfig::default() };
        for dest in &self.allow_net {
            let allow: NetAllow =
                dest.parse().map_err(|err| ApiError::bad_request(format!("allow_net: {dest}: {err}")))?;
            base.grants.net.allow.push(allow);
        }
        // Mounts are not the working directory: a sandbox works at home.
        let home = if self.root { "/root" } else { "/home/user" };
        let shell = ShellVm { mounts: grants, env, workdir: Some(home.into()), root: self.root };
        Ok((shell, base))
    }

    /// How long it may stay idle.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_s.unwrap_or(600))
    }
}

impl LimitsSpec {
    /// Sets what is given onto `limits`.
    ///
    /// # Errors
    /// A value that does not parse.
    pub fn apply(&self, limits: &mut Limits) -> Result<(), ApiError> {
        let size = |name: &str, value: &Option<Size>| -> Result<Option<u64>, ApiError> {
            match value {
                None => Ok(None),
                Some(Size::Bytes(bytes)) => Ok(Some(*bytes)),
                Some(Size::Text(text)) => {
                    parse_size(text).map(Some).map_err(|err| ApiError::bad_request(format!("limits.{name}: {err}")))
                }
            }
        };
        let time = |name: &str, value: &Option<Time>| -> Result<Option<Duration>, ApiError> {
            match value {
                None => Ok(None),
                Some(Time::Seconds(secs)) => Duration::try_from_secs_f64(*secs)
                    .map(Some)
                    .map_err(|_| ApiError::bad_request(format!("limits.{name}: not a number of seconds"))),
                Some(Time::Text(text)) => {
                    parse_duration(text).map(Some).map_err(|err| ApiError::bad_request(format!("limits.{name}: {err}")))
                }
            }
        };
        if let Some(cpu) = time("cpu", &self.cpu)? {
            limits.cpu = cpu;
        }
        if let Some(wall) = time("timeout", &self.timeout)? {
            limits.wall = wall;
        }
        if let Some(memory) = size("memory", &self.memory)? {
            limits.memory = memory;
        }
        if let Some(stack) = size("stack", &self.stack)? {
            limits.stack = usize::try_from(stack).map_err(|_| ApiError::bad_request("limits.stack: too large"))?;
        }
        if let Some(bytes) = size("max_stdout", &self.max_stdout)? {
            limits.stdout_bytes = bytes;
        }
        if let Some(bytes) = size("max_stderr", &self.max_stderr)? {
            limits.stderr_bytes = bytes;
        }
        if let Some(bytes) = size("disk", &self.disk)? {
            limits.disk_bytes = bytes;
        }
        if let Some(inodes) = self.inodes {
            limits.disk_inodes = inodes;
        }
        if let Some(fds) = self.fds {
            limits.fds = fds;
        }
        if let Some(processes) = self.processes {
            limits.processes = processes;
        }
        if self.fuel.is_some() {
            limits.fuel = self.fuel;
        }
        Ok(())
    }
}
