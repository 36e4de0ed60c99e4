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

pub mod ctx;
pub mod errno;
pub mod exit;
pub mod memory;
pub mod preview1;

pub use ctx::{WasiCtx, WasiView};
pub use errno::{Errno, errno_of};
pub use exit::{GuestExit, KillReason, ProcessControl};
pub use preview1::add_to_linker;
