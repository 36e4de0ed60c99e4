//! `sock_*`: preview1's socket calls, over the same kernel sockets as
//! `host_net` (see `docs/abi.md`). Any other kind of fd is `ENOTSOCK`.

use capsa_kernel::net::RecvFlags;

use super::SysResult;
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::io::{accept_into_table, shutdown_how, transfer};
use crate::memory::GuestMemory;

/// `fdflags` bit: the accepted fd is non-blocking.
const FDFLAGS_NONBLOCK: u32 = 4;
/// `riflags`: peek, wait for the whole buffer.
const RECV_PEEK: u32 = 1;
const RECV_WAITALL: u32 = 2;
/// `roflags`: the datagram was longer than the buffers.
const RECV_DATA_TRUNCATED: u16 = 1;

/// `sock_accept(fd, flags) -> fd`.
pub fn sock_accept(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, flags: u32, out: u32) -> SysResult<()> {
    mem.slice(out, 4)?;
    if flags & !FDFLAGS_NONBLOCK != 0 {
        return Err(Errno::Inval.into());
    }
    let (new_fd, _) = accept_into_table(ctx, fd, flags & FDFLAGS_NONBLOCK != 0)?;
    mem.write_u32(out, new_fd)?;
    Ok(())
}

/// `sock_recv(fd, ri_data, ri_flags) -> (ro_datalen, ro_flags)`: fills the
/// buffers in order, one receive per buffer, stopping at a short one.
pub fn sock_recv(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    flags: u32,
    out_len: u32,
    out_flags: u32,
) -> SysResult<()> {
    mem.slice(out_len, 4)?;
    mem.slice(out_flags, 2)?;
    if flags & !(RECV_PEEK | RECV_WAITALL) != 0 {
        return Err(Errno::Inval.into());
    }
    let recv = RecvFlags { peek: flags & RECV_PEEK != 0, waitall: flags & RECV_WAITALL != 0 };
    let file = ctx.fds.file(fd)?;
    let socket = file.socket()?;
    let nonblock = file.status_flags().nonblock;
    let mut total: u32 = 0;
    let mut truncated = false;
    for (buf, len) in mem.read_iovecs(iovs, iovs_len)? {
        ctx.control.pending().map_or(Ok(()), |reason| Err(super::SysError::from(reason)))?;
        // A datagram is one message: only the first buffer receives it.
        let got = match socket.recv_from(mem.slice_mut(buf, len)?, recv, nonblock) {
            Ok(got) => got,
            Err(_) if total > 0 => break,
            Err(err) => return Err(err.into()),
        };
        total = total.saturating_add(got.len as u32);
        truncated = got.truncated;
        if got.from.is_some() || got.len < len as usize || recv.peek {
            break;
        }
    }
    mem.write_u32(out_len, total)?;
    let roflags = if truncated { RECV_DATA_TRUNCATED } else { 0 };
    mem.write_bytes(out_flags, &roflags.to_le_bytes())?;
    Ok(())
}

/// `sock_send(fd, si_data, si_flags) -> so_datalen`.
pub fn sock_send(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    flags: u32,
    out: u32,
) -> SysResult<()> {
    mem.slice(out, 4)?;
    if flags != 0 {
        return Err(Errno::Inval.into());
    }
    let file = ctx.fds.file(fd)?;
    let socket = file.socket()?;
    let nonblock = file.status_flags().nonblock;
    transfer(ctx, mem, (iovs, iovs_len, out), |buf, _| socket.send_to(buf, None, nonblock))
}

/// `sock_shutdown(fd, how)`.
pub fn sock_shutdown(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, how: u32) -> SysResult<()> {
    let file = ctx.fds.file(fd)?;
    file.socket()?.shutdown(shutdown_how(how)?)?;
    Ok(())
}
