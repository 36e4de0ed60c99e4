//! What preview1 and capsa's extensions share when bytes move through an
//! fd: the one rule for vectored transfers ([`transfer`]), `EPIPE` and
//! SIGPIPE ([`broken_pipe`]), and the socket fds both `sock_*` and
//! `host_net` work on ([`socket_file`], [`accept_into_table`],
//! [`shutdown_how`]). Each module calls down into this one; neither borrows
//! from the other.

use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;

use capsa_kernel::{FdEntry, KernelError, OpenFile, Socket, StatusFlags};

use crate::call::{SysError, SysResult};
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::exit::GuestExit;
use crate::memory::GuestMemory;

/// Linux's SIGPIPE.
const SIGPIPE: u8 = 13;

/// Moves bytes between the guest's buffers (`iovs_len` iovecs at `iovs`)
/// and a file, buffer after buffer, as POSIX `readv`/`writev` do: `step`
/// moves one buffer (given the bytes moved so far, for positioned calls;
/// a write only reads it);
/// a short transfer ends the call. The one rule for an error: with nothing
/// moved yet it is the call's error; after some bytes moved, the count is
/// returned and the error shows on the next call — except a limit, which
/// ends the process now. A kill or the deadline is checked between buffers:
/// one call may name terabytes (many iovecs over one buffer, from /dev/zero).
/// The count, written at `out`, never passes `u32::MAX` (the size type of
/// preview1).
pub(crate) fn transfer(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    (iovs, iovs_len, out): (u32, u32, u32),
    mut step: impl FnMut(&mut [u8], u64) -> Result<usize, KernelError>,
) -> SysResult<()> {
    let mut total: u64 = 0;
    for (buf, len) in mem.read_iovecs(iovs, iovs_len)? {
        ctx.control.pending().map_or(Ok(()), |reason| Err(SysError::from(reason)))?;
        let room = u64::from(u32::MAX) - total;
        if room == 0 {
            break;
        }
        let len = len.min(u32::try_from(room).unwrap_or(u32::MAX));
        // A bad pointer traps, whatever moved before.
        let n = match step(mem.slice_mut(buf, len)?, total) {
            Ok(n) => n,
            Err(err) if total > 0 && !matches!(err, KernelError::LimitExceeded(_)) => break,
            Err(KernelError::BrokenPipe) => return Err(broken_pipe(ctx)),
            Err(err) => return Err(err.into()),
        };
        total += n as u64;
        if n < len as usize {
            break;
        }
    }
    mem.write_u32(out, total as u32)?;
    Ok(())
}

/// `EPIPE` the first time; the next write to a broken pipe ends the process
/// with SIGPIPE, as the default disposition does for programs that ignore it.
pub(crate) fn broken_pipe(ctx: &mut WasiCtx) -> SysError {
    if ctx.broken_pipe_seen {
        return SysError::Trap(wasmtime::Error::new(GuestExit::Signal(SIGPIPE)));
    }
    ctx.broken_pipe_seen = true;
    Errno::Pipe.into()
}

/// The socket an fd names, with its description (for `O_NONBLOCK`);
/// `ENOTSOCK` for any other fd.
pub(crate) fn socket_file(ctx: &WasiCtx, fd: u32) -> SysResult<Arc<OpenFile>> {
    let file = ctx.fds.file(fd)?;
    file.socket()?;
    Ok(file)
}

/// The socket of a description already known to be one.
pub(crate) fn sock(file: &OpenFile) -> SysResult<&Socket> {
    Ok(file.socket()?)
}

/// Whether the description is non-blocking.
pub(crate) fn nonblock(file: &OpenFile) -> bool {
    file.status_flags().nonblock
}

/// Puts a new socket into the fd table, non-blocking if asked.
pub(crate) fn insert_socket(ctx: &mut WasiCtx, file: Arc<OpenFile>, nonblock: bool) -> SysResult<u32> {
    if nonblock {
        file.set_status_flags(StatusFlags { nonblock: true, ..StatusFlags::default() })?;
    }
    Ok(ctx.fds.insert(FdEntry::new(file))?)
}

/// Accepts a connection on the listener `fd` into the fd table; shared by
/// `net_accept` and preview1's `sock_accept`. A full fd table drops the
/// accepted connection (its peer sees the connection closed).
pub(crate) fn accept_into_table(ctx: &mut WasiCtx, fd: u32, new_nonblock: bool) -> SysResult<(u32, SocketAddr)> {
    let file = socket_file(ctx, fd)?;
    let (conn, peer) = sock(&file)?.accept(nonblock(&file))?;
    Ok((insert_socket(ctx, conn, new_nonblock)?, peer))
}

/// Decodes preview1-style shutdown flags (1 read, 2 write, 3 both).
pub(crate) fn shutdown_how(how: u32) -> SysResult<Shutdown> {
    match how {
        1 => Ok(Shutdown::Read),
        2 => Ok(Shutdown::Write),
        3 => Ok(Shutdown::Both),
        _ => Err(Errno::Inval.into()),
    }
}
