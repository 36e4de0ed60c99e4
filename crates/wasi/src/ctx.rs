//! The state one guest process carries through its preview1 calls.

use std::sync::Arc;

use capsa_kernel::{Cred, FdTable, Kernel};

use crate::exit::ProcessControl;

/// Everything a process's preview1 calls act on: the VM's kernel, the process's
/// credentials, fd table, arguments, environment and control block.
///
/// Built by the runtime from the VM's grants; nothing here reaches the host
/// except through the kernel's grants.
#[derive(Debug)]
pub struct WasiCtx {
    /// The VM's kernel.
    pub kernel: Arc<Kernel>,
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
