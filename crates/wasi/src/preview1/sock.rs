//! `sock_*`: the kernel has no sockets yet, so every call on a valid fd is
//! `ENOTSOCK` (an invalid fd is `EBADF`), honestly, until networking lands.

use super::SysResult;
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::memory::GuestMemory;

fn not_a_socket(ctx: &WasiCtx, fd: u32) -> SysResult<()> {
    ctx.fds.get(fd)?;
    Err(Errno::NotSock.into())
}

/// `sock_accept(fd, flags) -> fd`.
pub fn sock_accept(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, _flags: u32, _out: u32) -> SysResult<()> {
    not_a_socket(ctx, fd)
}

/// `sock_recv(fd, ri_data, ri_flags) -> (ro_datalen, ro_flags)`.
pub fn sock_recv(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    _iovs: u32,
    _iovs_len: u32,
    _flags: u32,
    _out_len: u32,
    _out_flags: u32,
) -> SysResult<()> {
    not_a_socket(ctx, fd)
}

/// `sock_send(fd, si_data, si_flags) -> so_datalen`.
pub fn sock_send(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    _iovs: u32,
    _iovs_len: u32,
    _flags: u32,
    _out: u32,
) -> SysResult<()> {
    not_a_socket(ctx, fd)
}

/// `sock_shutdown(fd, how)`.
pub fn sock_shutdown(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, _how: u32) -> SysResult<()> {
    not_a_socket(ctx, fd)
}
