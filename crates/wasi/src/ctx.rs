//! The state one guest process carries through its host calls.

use std::sync::Arc;

use capsa_kernel::{Cred, FdTable, Kernel, Pid, ProcessControl};

use crate::ext::Tools;
use crate::spawn::Spawner;

/// Everything a process's host calls act on: the VM's kernel, the process's
/// identity, fd table, arguments, environment, and control block.
///
/// Built by the runtime from the VM's grants; nothing here reaches the host
/// except through the kernel's grants.
#[derive(Debug)]
pub struct WasiCtx {
    /// The VM's kernel.
    pub kernel: Arc<Kernel>,
    /// The process's pid in the kernel's process table.
    pub pid: Pid,
    /// Who the process is.
    pub cred: Cred,
    /// The process's fd table.
    pub fds: FdTable,
    /// Arguments (`args[0]` is the program name).
    pub args: Vec<String>,
    /// Environment, as `KEY=VALUE` strings.
    pub env: Vec<String>,
    /// File-creation mask.
    pub umask: u32,
    /// Deadline and kill requests.
    pub control: Arc<ProcessControl>,
    /// Starts child processes.
    pub spawner: Arc<dyn Spawner>,
    /// The host functions granted to the process's VM (`host.call`).
    pub tools: Tools,
    /// Whether a write already returned `EPIPE`: the next one ends the
    /// process with SIGPIPE, as the default disposition would.
    pub broken_pipe_seen: bool,
}

/// Access to the [`WasiCtx`] inside a wasmtime store's data.
pub trait WasiView: Send + 'static {
    /// The process context.
    fn wasi(&mut self) -> &mut WasiCtx;
}

impl WasiView for WasiCtx {
    fn wasi(&mut self) -> &mut WasiCtx {
        self
    }
}
