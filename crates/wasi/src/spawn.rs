//! Starting a process needs the runtime (an engine, a module, a thread), which
//! sits above this adapter. The runtime implements [`Spawner`] and hands it to
//! each process's context, so the adapter can ask for a process without
//! depending on the runtime: the data path still only goes down.

use capsa_kernel::{Cred, Executable, FdTable, KernelError, Pid};

/// Everything a new process is made of, decided by the adapter from the
/// parent's request.
#[derive(Debug)]
pub struct SpawnRequest {
    /// The parent's pid.
    pub parent: Pid,
    /// Who the child runs as.
    pub cred: Cred,
    /// The program (a wasm module; scripts are already resolved to their interpreter).
    pub executable: Executable,
    /// Arguments (`argv[0]` first).
    pub args: Vec<String>,
    /// Environment as `KEY=VALUE`.
    pub env: Vec<String>,
    /// Working directory (absolute VM path).
    pub cwd: String,
    /// The child's fd table.
    pub fds: FdTable,
    /// The child's file-creation mask.
    pub umask: u32,
}

/// Starts processes. Implemented by the runtime.
pub trait Spawner: Send + Sync + std::fmt::Debug {
    /// Starts the process and returns its pid once it is registered (it may
    /// not have run yet).
    ///
    /// # Errors
    /// `WouldBlock` past the process limit; `NotExecutable` if the module is
    /// not a runnable command; `Io` if the host cannot start a thread.
    fn spawn(&self, request: SpawnRequest) -> Result<Pid, KernelError>;
}
