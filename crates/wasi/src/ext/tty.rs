//! `host_tty`: what a guest may learn of the terminal its stdio is
//! connected to on the host (see `docs/abi.md`). Today: its size, asked
//! afresh at each call so that it follows the user's resizes.

use crate::call::SysResult;
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::memory::GuestMemory;

/// `winsize(fd) -> (rows, columns)`: the size of the host terminal `fd`
/// is; `ENOTTY` when it is not one.
pub fn winsize(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, rows_out: u32, cols_out: u32) -> SysResult<()> {
    mem.slice(rows_out, 4)?;
    mem.slice(cols_out, 4)?;
    let (rows, cols) = ctx.fds.file(fd)?.window_size().ok_or(Errno::NoTty)?;
    mem.write_u32(rows_out, u32::from(rows))?;
    mem.write_u32(cols_out, u32::from(cols))?;
    Ok(())
}
