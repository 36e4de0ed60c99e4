//! What a VM is allowed and how much it may use: grants (deny by default) and
//! limits (always on).

use std::path::PathBuf;
use std::time::Duration;

/// Where a guest's stdin comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Input {
    /// Reads see end of file at once (the default).
    #[default]
    Null,
    /// The host process's own stdin.
    Inherit,
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
    /// A host file, opened by the runtime at boot.
    File(PathBuf),
    /// Bytes the caller writes while the guest runs.
    Pipe(crate::streams::InputPipe),
}

/// Where a guest's stdout or stderr goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Output {
    /// Discarded (the default).
    #[default]
    Null,
    /// The host process's own stdout/stderr.
    Inherit,
    /// Kept in memory and returned in the [`crate::Outcome`].
    Capture,
    /// A host file, created or truncated by the runtime at boot.
    File(PathBuf),
    /// Handed to the caller chunk by chunk, as the guest writes.
    Stream(crate::streams::OutputSink),
}

/// A host directory granted to the VM at a guest path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirGrant {
    /// Host directory.
    pub host: PathBuf,
    /// Guest path it appears at; also its preopen name. A relative guest path is
    /// mounted under `/` and announced by its relative name; `/` makes the
    /// directory the guest's `/` preopen (beneath which paths may not leave it).
    pub guest: String,
    /// Whether writes fail with EROFS.
    pub read_only: bool,
}

/// The capabilities of a VM. `Grants::default()` grants nothing: no host
/// directory, no preopen at all (not even the VM's own filesystem), no
/// environment, no clock, no entropy, stdin at EOF, stdout and stderr
/// discarded, no network destination outside the VM and no published port
/// (the VM's own network, loopback and `10.0.2.15`, is always there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// Host directories, mounted and preopened in this order (fd 3, 4, …).
    /// One may be granted as `/`: it is then the preopen `/` (and
    /// [`Grants::vm_fs`] must be off).
    pub dirs: Vec<DirGrant>,
    /// The VM's own filesystem (its `/tmp`, `/dev`, `/etc`, the layers and
    /// the mount points) is preopened as `/`, after the granted directories.
    /// Off, a guest sees exactly its granted directories, as under `wasmtime
    /// run`; the shell VMs and the programs capsa builds from source have it.
    pub vm_fs: bool,
    /// Environment variables, in order.
    pub env: Vec<(String, String)>,
    /// The guest may read host entropy (`random_get`, `/dev/urandom`).
    pub random: bool,
    /// The guest may read the real clocks.
    pub clock: bool,
    /// stdin.
    pub stdin: Input,
    /// stdout.
    pub stdout: Output,
    /// stderr.
    pub stderr: Output,
    /// Network destinations outside the VM, and ports published to the host.
    pub net: NetGrants,
    /// Host functions the VM's guests may call through `host.call` (Python:
    /// `from host import tools`). Each runs on the host with the embedder's
    /// authority (SECURITY.md, "Tools"); none by default.
    pub tools: capsa_wasi::ext::Tools,
}

/// What of the network outside the VM a guest may use. Every VM has a
/// network of its own (loopback and `10.0.2.15`) with no host socket
/// behind it; these grants open the rest, one destination at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetGrants {
    /// Destinations guests may connect to over TCP, and names they may
    /// resolve (`--allow-net HOST:PORT`). Everything else is refused with
    /// `EACCES` and recorded in the VM's audit log.
    pub allow: Vec<NetAllow>,
    /// Host ports forwarded to guest listeners (`--publish HOSTPORT:GUESTPORT`).
    pub publish: Vec<Publish>,
}

/// One egress grant: a host (a name, or an address literal) and a port, or
/// every port. The host's loopback (`127.0.0.1`, `::1`, `localhost`) is
/// reached from inside the VM at `10.0.2.2`, since the VM's own loopback is
/// its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetAllow {
    /// A host name (matched without case) or an address literal.
    pub host: String,
    /// The port; `None` is every port (`*`).
    pub port: Option<u16>,
}

/// One published port: connections to `127.0.0.1:host_port` on the host go
/// to the guest listening on TCP `guest_port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish {
    /// The host port (on the host's loopback only).
    pub host_port: u16,
    /// The guest port.
    pub guest_port: u16,
}

/// A malformed `--allow-net` or `--publish` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NetGrantError(String);

impl std::str::FromStr for NetAllow {
    type Err = NetGrantError;

    /// `HOST:PORT`, `HOST:*`, `[IPV6]:PORT`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || NetGrantError(format!("--allow-net {text:?}: expected HOST:PORT, HOST:* or [IPV6]:PORT"));
        let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
        let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => v6.parse::<std::net::Ipv6Addr>().map_err(|_| bad())?.to_string(),
            None if host.contains(':') => return Err(bad()),
            None => host.to_string(),
        };
        let name_ok = |h: &str| {
            !h.is_empty()
                && h.len() <= 253
                && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':')
        };
        if !name_ok(&host) {
            return Err(bad());
        }
        let port = match port {
            "*" => None,
            digits => Some(digits.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?),
        };
        Ok(NetAllow { host, port })
    }
}

impl std::str::FromStr for Publish {
    type Err = NetGrantError;

    /// `HOSTPORT:GUESTPORT`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || NetGrantError(format!("--publish {text:?}: expected HOSTPORT:GUESTPORT (ports 1-65535)"));
        let (host, guest) = text.split_once(':').ok_or_else(bad)?;
        let port = |p: &str| p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad);
        Ok(Publish { host_port: port(host)?, guest_port: port(guest)? })
    }
}

/// Resource limits of a VM. Always on; `Limits::default()` is the command
/// budget, sized for one VM on a shared host. The memory, disk, inode,
/// process and host-fd limits bound the VM as a whole: what all its
/// processes hold together. Serializable: a cluster sends a job's limits
/// to the worker that runs it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// CPU time the whole VM may spend: the sum over every process's thread
    /// (several spinning at once count together) and the compiles of
    /// modules its guests wrote. Past it every process of the VM is killed.
    pub cpu: Duration,
    /// Deterministic metering, off by default: `Some(n)` gives each process
    /// `n` units of fuel (roughly, wasm instructions), the same count on
    /// every run of the same program, and reports what was used. It costs
    /// compute speed (about 15%), so CPU time is the everyday bound.
    pub fuel: Option<u64>,
    /// Wall-clock time per process: bounds guests that wait as well as
    /// those that spin.
    pub wall: Duration,
    /// Host memory the VM's guests may hold at once, in bytes: every linear
    /// memory, GC heap and table of every process, pipe buffers, and modules
    /// compiled from code the VM wrote. Past it, `memory.grow` fails (-1),
    /// a module that needs more cannot start, and `fd_pipe` gives `ENOMEM`.
    pub memory: u64,
    /// Wasm stack, in bytes.
    pub stack: usize,
    /// Bytes a process may write to stdout.
    pub stdout_bytes: u64,
    /// Bytes a process may write to stderr.
    pub stderr_bytes: u64,
    /// Bytes the VM may store in its writable filesystem layer.
    pub disk_bytes: u64,
    /// Names the VM may create in its filesystem: inodes and hard links.
    pub disk_inodes: u64,
    /// Open fds per process.
    pub fds: usize,
    /// Processes per VM, live or zombie (ended but not yet waited for).
    pub processes: usize,
    /// Host files and directories the VM may hold open at once through its
    /// mounts; past it opens fail with `ENFILE`.
    pub host_fds: usize,
}

impl Limits {
    /// The CPU time of a command's VM by default.
    pub const COMMAND_CPU: Duration = Duration::from_secs(60);
    /// The CPU time of a compiler's VM by default (one translation unit, or
    /// one link).
    pub const COMPILER_CPU: Duration = Duration::from_secs(600);
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpu: Self::COMMAND_CPU,
            fuel: None,
            wall: Duration::from_secs(600),
            memory: 1 << 30,
            stack: 1 << 20,
            stdout_bytes: 1 << 30,
            stderr_bytes: 1 << 30,
            disk_bytes: 512 << 20,
            disk_inodes: 65_536,
            fds: 1024,
            processes: 64,
            host_fds: 256,
        }
    }
}

/// Everything a VM is built from.
#[derive(Debug, Clone, Default)]
pub struct VmConfig {
    /// Read-only layers stacked over the base layer, lowest first (e.g. the
    /// command suite under `/bin`). Shared between VMs, never copied.
    pub layers: Vec<std::sync::Arc<capsa_kernel::Layer>>,
    /// Capabilities.
    pub grants: Grants,
    /// Limits.
    pub limits: Limits,
    /// Run the VM's first process as root (uid 0) instead of the unprivileged
    /// `user` (uid 1000). Root inside a VM has no authority outside it.
    pub root: bool,
}

impl VmConfig {
    /// Who the VM's first processes run as.
    pub fn identity(&self) -> crate::Identity {
        crate::Identity::of(self.root)
    }
}
