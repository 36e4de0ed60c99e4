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
pub(crate) mod rights;
mod sock;

use wasmtime::{Caller, Linker};

use crate::call::{register, syscall, syscall_nomem};
use crate::ctx::WasiView;
use crate::exit::GuestExit;

pub use crate::call::{SysError, SysResult};

/// The import module name.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Adds every preview1 function to `linker`.
///
/// # Errors
/// If a function is already defined in the linker.
pub fn add_to_linker<T: WasiView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    register!(linker, MODULE, "args_get", args::args_get(argv: u32, buf: u32));
    register!(linker, MODULE, "args_sizes_get", args::args_sizes_get(argc: u32, size: u32));
    register!(linker, MODULE, "environ_get", args::environ_get(environ: u32, buf: u32));
    register!(linker, MODULE, "environ_sizes_get", args::environ_sizes_get(count: u32, size: u32));
    register!(linker, MODULE, "clock_res_get", clock::clock_res_get(id: u32, out: u32));
    register!(linker, MODULE, "clock_time_get", clock::clock_time_get(id: u32, precision: u64, out: u32));
    register!(linker, MODULE, "random_get", clock::random_get(buf: u32, len: u32));
    register!(linker, MODULE, "fd_advise", fd::fd_advise(fd: u32, offset: u64, len: u64, advice: u32));
    register!(linker, MODULE, "fd_allocate", fd::fd_allocate(fd: u32, offset: u64, len: u64));
    register!(linker, MODULE, "fd_close", fd::fd_close(fd: u32));
    register!(linker, MODULE, "fd_datasync", fd::fd_datasync(fd: u32));
    register!(linker, MODULE, "fd_fdstat_get", fd::fd_fdstat_get(fd: u32, out: u32));
    register!(linker, MODULE, "fd_fdstat_set_flags", fd::fd_fdstat_set_flags(fd: u32, flags: u32));
    register!(linker, MODULE, "fd_fdstat_set_rights", fd::fd_fdstat_set_rights(fd: u32, base: u64, inheriting: u64));
    register!(linker, MODULE, "fd_filestat_get", fd::fd_filestat_get(fd: u32, out: u32));
    register!(linker, MODULE, "fd_filestat_set_size", fd::fd_filestat_set_size(fd: u32, size: u64));
    register!(linker, MODULE, "fd_filestat_set_times", fd::fd_filestat_set_times(fd: u32, atim: u64, mtim: u64, flags: u32));
    register!(linker, MODULE, "fd_pread", fd::fd_pread(fd: u32, iovs: u32, iovs_len: u32, offset: u64, out: u32));
    register!(linker, MODULE, "fd_prestat_get", fd::fd_prestat_get(fd: u32, out: u32));
    register!(linker, MODULE, "fd_prestat_dir_name", fd::fd_prestat_dir_name(fd: u32, buf: u32, len: u32));
    register!(linker, MODULE, "fd_pwrite", fd::fd_pwrite(fd: u32, iovs: u32, iovs_len: u32, offset: u64, out: u32));
    register!(linker, MODULE, "fd_read", fd::fd_read(fd: u32, iovs: u32, iovs_len: u32, out: u32));
    register!(linker, MODULE, "fd_readdir", fd::fd_readdir(fd: u32, buf: u32, len: u32, cookie: u64, out: u32));
    register!(linker, MODULE, "fd_renumber", fd::fd_renumber(fd: u32, to: u32));
    register!(linker, MODULE, "fd_seek", fd::fd_seek(fd: u32, offset: i64, whence: u32, out: u32));
    register!(linker, MODULE, "fd_sync", fd::fd_sync(fd: u32));
    register!(linker, MODULE, "fd_tell", fd::fd_tell(fd: u32, out: u32));
    register!(linker, MODULE, "fd_write", fd::fd_write(fd: u32, iovs: u32, iovs_len: u32, out: u32));
    register!(linker, MODULE, "path_create_directory", path::path_create_directory(fd: u32, path: u32, len: u32));
    register!(linker, MODULE, "path_filestat_get", path::path_filestat_get(fd: u32, flags: u32, path: u32, len: u32, out: u32));
    register!(linker, MODULE, "path_filestat_set_times", path::path_filestat_set_times(fd: u32, flags: u32, path: u32, len: u32, atim: u64, mtim: u64, fst: u32));
    register!(linker, MODULE, "path_link", path::path_link(old_fd: u32, old_flags: u32, old_path: u32, old_len: u32, new_fd: u32, new_path: u32, new_len: u32));
    register!(linker, MODULE, "path_open", path::path_open(fd: u32, dirflags: u32, path: u32, len: u32, oflags: u32, base: u64, inheriting: u64, fdflags: u32, out: u32));
    register!(linker, MODULE, "path_readlink", path::path_readlink(fd: u32, path: u32, len: u32, buf: u32, buf_len: u32, out: u32));
    register!(linker, MODULE, "path_remove_directory", path::path_remove_directory(fd: u32, path: u32, len: u32));
    register!(linker, MODULE, "path_rename", path::path_rename(fd: u32, old_path: u32, old_len: u32, new_fd: u32, new_path: u32, new_len: u32));
    register!(linker, MODULE, "path_symlink", path::path_symlink(target: u32, target_len: u32, fd: u32, path: u32, len: u32));
    register!(linker, MODULE, "path_unlink_file", path::path_unlink_file(fd: u32, path: u32, len: u32));
    register!(linker, MODULE, "poll_oneoff", poll::poll_oneoff(subs: u32, events: u32, count: u32, out: u32));
    register!(linker, MODULE, "sock_accept", sock::sock_accept(fd: u32, flags: u32, out: u32));
    register!(linker, MODULE, "sock_recv", sock::sock_recv(fd: u32, iovs: u32, iovs_len: u32, flags: u32, out_len: u32, out_flags: u32));
    register!(linker, MODULE, "sock_send", sock::sock_send(fd: u32, iovs: u32, iovs_len: u32, flags: u32, out: u32));
    register!(linker, MODULE, "sock_shutdown", sock::sock_shutdown(fd: u32, how: u32));

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
