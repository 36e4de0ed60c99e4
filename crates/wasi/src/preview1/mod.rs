//! `wasi_snapshot_preview1`, all 46 functions, over the kernel.
//!
//! Each function is a thin wrapper (registered in [`add_to_linker`]) around a
//! plain Rust function `fn(&mut WasiCtx, &mut GuestMemory, args…) -> SysResult<()>`.
//! A [`SysError::Errno`] becomes the function's return value; a
//! [`SysError::Trap`] (bad guest pointer, exit, kill) unwinds the guest.

// The implementations take the ABI's parameters one for one, so that each reads
// like its witx signature; some calls simply have many.
#![allow(clippy::too_many_arguments)]

mod args;
mod clock;
mod fd;
mod path;
mod poll;
mod proc;
mod rights;
mod sock;

use capsa_kernel::KernelError;
use wasmtime::{Caller, Extern, Linker};

use crate::ctx::{WasiCtx, WasiView};
use crate::errno::{Errno, errno_of};
use crate::exit::{GuestExit, KillReason};
use crate::memory::{BadPointer, GuestMemory};

/// The import module name.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// How a preview1 call fails.
#[derive(Debug)]
pub enum SysError {
    /// Return this errno to the guest.
    Errno(Errno),
    /// Unwind the guest with this error.
    Trap(wasmtime::Error),
}

/// Result of a preview1 call's implementation.
pub type SysResult<T> = Result<T, SysError>;

impl From<Errno> for SysError {
    fn from(errno: Errno) -> Self {
        SysError::Errno(errno)
    }
}

impl From<KernelError> for SysError {
    fn from(err: KernelError) -> Self {
        match err {
            KernelError::LimitExceeded(kind) => {
                SysError::Trap(wasmtime::Error::new(GuestExit::Killed(KillReason::Output(kind))))
            }
            other => SysError::Errno(errno_of(&other)),
        }
    }
}

impl From<BadPointer> for SysError {
    fn from(err: BadPointer) -> Self {
        SysError::Trap(wasmtime::Error::new(err))
    }
}

impl From<KillReason> for SysError {
    fn from(reason: KillReason) -> Self {
        SysError::Trap(wasmtime::Error::new(GuestExit::Killed(reason)))
    }
}

/// Runs one call: finds the guest's memory, runs `body`, converts the result.
fn syscall<T: WasiView>(
    caller: &mut Caller<'_, T>,
    name: &'static str,
    body: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> SysResult<()>,
) -> wasmtime::Result<i32> {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err(wasmtime::Error::msg(format!("{name}: the module exports no memory")));
    };
    let (bytes, data) = memory.data_and_store_mut(caller);
    let mut mem = GuestMemory::new(bytes);
    let ctx = data.wasi();
    let _span = tracing::trace_span!("preview1", call = name).entered();
    let result = body(ctx, &mut mem);
    finish(name, result)
}

/// Runs a call that needs no guest memory.
fn syscall_nomem<T: WasiView>(
    caller: &mut Caller<'_, T>,
    name: &'static str,
    body: impl FnOnce(&mut WasiCtx) -> SysResult<()>,
) -> wasmtime::Result<i32> {
    let _span = tracing::trace_span!("preview1", call = name).entered();
    let result = body(caller.data_mut().wasi());
    finish(name, result)
}

fn finish(name: &'static str, result: SysResult<()>) -> wasmtime::Result<i32> {
    match result {
        Ok(()) => Ok(Errno::Success.raw()),
        Err(SysError::Errno(errno)) => {
            tracing::trace!(call = name, ?errno, "errno");
            Ok(errno.raw())
        }
        Err(SysError::Trap(err)) => Err(err),
    }
}

/// Reads a guest string (a path) as UTF-8.
fn read_str<'m>(mem: &'m GuestMemory<'_>, ptr: u32, len: u32) -> SysResult<&'m str> {
    let bytes = mem.slice(ptr, len)?;
    std::str::from_utf8(bytes).map_err(|_| SysError::Errno(Errno::Ilseq))
}

/// Registers a function whose params are listed as `name: type`, whose body is
/// `$module::$func(ctx, mem, params…)`.
macro_rules! register {
    ($linker:ident, $name:literal, $module:ident :: $func:ident ( $($arg:ident : $ty:ty),* )) => {
        $linker.func_wrap(MODULE, $name, |mut caller: Caller<'_, T>, $($arg: $ty),*| {
            syscall(&mut caller, $name, |ctx, mem| $module::$func(ctx, mem, $($arg),*))
        })?;
    };
}

/// Adds every preview1 function to `linker`.
///
/// # Errors
/// If a function is already defined in the linker.
pub fn add_to_linker<T: WasiView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    register!(linker, "args_get", args::args_get(argv: u32, buf: u32));
    register!(linker, "args_sizes_get", args::args_sizes_get(argc: u32, size: u32));
    register!(linker, "environ_get", args::environ_get(environ: u32, buf: u32));
    register!(linker, "environ_sizes_get", args::environ_sizes_get(count: u32, size: u32));
    register!(linker, "clock_res_get", clock::clock_res_get(id: u32, out: u32));
    register!(linker, "clock_time_get", clock::clock_time_get(id: u32, precision: u64, out: u32));
    register!(linker, "random_get", clock::random_get(buf: u32, len: u32));
    register!(linker, "fd_advise", fd::fd_advise(fd: u32, offset: u64, len: u64, advice: u32));
    register!(linker, "fd_allocate", fd::fd_allocate(fd: u32, offset: u64, len: u64));
    register!(linker, "fd_close", fd::fd_close(fd: u32));
    register!(linker, "fd_datasync", fd::fd_datasync(fd: u32));
    register!(linker, "fd_fdstat_get", fd::fd_fdstat_get(fd: u32, out: u32));
    register!(linker, "fd_fdstat_set_flags", fd::fd_fdstat_set_flags(fd: u32, flags: u32));
    register!(linker, "fd_fdstat_set_rights", fd::fd_fdstat_set_rights(fd: u32, base: u64, inheriting: u64));
    register!(linker, "fd_filestat_get", fd::fd_filestat_get(fd: u32, out: u32));
    register!(linker, "fd_filestat_set_size", fd::fd_filestat_set_size(fd: u32, size: u64));
    register!(linker, "fd_filestat_set_times", fd::fd_filestat_set_times(fd: u32, atim: u64, mtim: u64, flags: u32));
    register!(linker, "fd_pread", fd::fd_pread(fd: u32, iovs: u32, iovs_len: u32, offset: u64, out: u32));
    register!(linker, "fd_prestat_get", fd::fd_prestat_get(fd: u32, out: u32));
    register!(linker, "fd_prestat_dir_name", fd::fd_prestat_dir_name(fd: u32, buf: u32, len: u32));
    register!(linker, "fd_pwrite", fd::fd_pwrite(fd: u32, iovs: u32, iovs_len: u32, offset: u64, out: u32));
    register!(linker, "fd_read", fd::fd_read(fd: u32, iovs: u32, iovs_len: u32, out: u32));
    register!(linker, "fd_readdir", fd::fd_readdir(fd: u32, buf: u32, len: u32, cookie: u64, out: u32));
    register!(linker, "fd_renumber", fd::fd_renumber(fd: u32, to: u32));
    register!(linker, "fd_seek", fd::fd_seek(fd: u32, offset: i64, whence: u32, out: u32));
    register!(linker, "fd_sync", fd::fd_sync(fd: u32));
    register!(linker, "fd_tell", fd::fd_tell(fd: u32, out: u32));
    register!(linker, "fd_write", fd::fd_write(fd: u32, iovs: u32, iovs_len: u32, out: u32));
    register!(linker, "path_create_directory", path::path_create_directory(fd: u32, path: u32, len: u32));
    register!(linker, "path_filestat_get", path::path_filestat_get(fd: u32, flags: u32, path: u32, len: u32, out: u32));
    register!(linker, "path_filestat_set_times", path::path_filestat_set_times(fd: u32, flags: u32, path: u32, len: u32, atim: u64, mtim: u64, fst: u32));
    register!(linker, "path_link", path::path_link(old_fd: u32, old_flags: u32, old_path: u32, old_len: u32, new_fd: u32, new_path: u32, new_len: u32));
    register!(linker, "path_open", path::path_open(fd: u32, dirflags: u32, path: u32, len: u32, oflags: u32, base: u64, inheriting: u64, fdflags: u32, out: u32));
    register!(linker, "path_readlink", path::path_readlink(fd: u32, path: u32, len: u32, buf: u32, buf_len: u32, out: u32));
    register!(linker, "path_remove_directory", path::path_remove_directory(fd: u32, path: u32, len: u32));
    register!(linker, "path_rename", path::path_rename(fd: u32, old_path: u32, old_len: u32, new_fd: u32, new_path: u32, new_len: u32));
    register!(linker, "path_symlink", path::path_symlink(target: u32, target_len: u32, fd: u32, path: u32, len: u32));
    register!(linker, "path_unlink_file", path::path_unlink_file(fd: u32, path: u32, len: u32));
    register!(linker, "poll_oneoff", poll::poll_oneoff(subs: u32, events: u32, count: u32, out: u32));
    register!(linker, "sock_accept", sock::sock_accept(fd: u32, flags: u32, out: u32));
    register!(linker, "sock_recv", sock::sock_recv(fd: u32, iovs: u32, iovs_len: u32, flags: u32, out_len: u32, out_flags: u32));
    register!(linker, "sock_send", sock::sock_send(fd: u32, iovs: u32, iovs_len: u32, flags: u32, out: u32));
    register!(linker, "sock_shutdown", sock::sock_shutdown(fd: u32, how: u32));

    linker.func_wrap(MODULE, "proc_exit", |_caller: Caller<'_, T>, code: u32| -> wasmtime::Result<()> {
        Err(wasmtime::Error::new(GuestExit::Exit(code)))
    })?;
    linker.func_wrap(MODULE, "proc_raise", |mut caller: Caller<'_, T>, signal: u32| {
        syscall_nomem(&mut caller, "proc_raise", |ctx| proc::proc_raise(ctx, signal))
    })?;
    linker.func_wrap(MODULE, "sched_yield", |mut caller: Caller<'_, T>| {
        syscall_nomem(&mut caller, "sched_yield", proc::sched_yield)
    })?;
    Ok(())
}

/// Every function name this module provides, for link-error messages and tests.
pub const FUNCTIONS: [&str; 46] = [
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];
