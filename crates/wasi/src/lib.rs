//! capsa's WASI host adapter: `wasi_snapshot_preview1` implemented over the
//! virtual kernel ([`capsa_kernel`]). It owns guest-memory access
//! ([`memory`]), the errno mapping ([`errno`]) and the per-process context
//! ([`WasiCtx`]). Nothing here reaches the host: every effect goes through the
//! kernel, which only holds what the VM was granted.
//!
//! ```no_run
//! use capsa_wasi::{WasiCtx, add_to_linker};
//! let engine = wasmtime::Engine::default();
//! let mut linker = wasmtime::Linker::<WasiCtx>::new(&engine);
//! add_to_linker(&mut linker)?;
//! # Ok::<(), wasmtime::Error>(())
//! ```
#![forbid(unsafe_code)]

mod call;
pub mod ctx;
pub mod errno;
pub mod exit;
pub mod ext;
mod io;
pub mod memory;
pub mod preview1;
pub mod spawn;

pub use ctx::{WasiCtx, WasiView};
pub use errno::{Errno, errno_of};
pub use exit::{GuestExit, KillReason, ProcessControl};
pub use spawn::{SpawnRequest, Spawner};

/// Adds preview1 and capsa's extension modules to `linker`.
///
/// # Errors
/// If a function is already defined in the linker.
pub fn add_to_linker<T: WasiView>(linker: &mut wasmtime::Linker<T>) -> wasmtime::Result<()> {
    preview1::add_to_linker(linker)?;
    ext::add_to_linker(linker)
}
