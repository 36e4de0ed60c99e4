//! `args_*` and `environ_*`: the argument and environment vectors granted at spawn.

use super::SysResult;
use crate::ctx::WasiCtx;
use crate::memory::GuestMemory;

/// Writes `strings` as NUL-terminated bytes at `buf` and their addresses at `ptrs`.
fn write_vector<S: AsRef<str>>(mem: &mut GuestMemory<'_>, strings: &[S], ptrs: u32, buf: u32) -> SysResult<()> {
    let mut ptr_at = ptrs;
    let mut byte_at = buf;
    for s in strings {
        let bytes = s.as_ref().as_bytes();
        mem.write_u32(ptr_at, byte_at)?;
        mem.write_bytes(byte_at, bytes)?;
        let len = u32::try_from(bytes.len()).map_err(|_| crate::errno::Errno::TooBig)?;
        let end = byte_at.checked_add(len).ok_or(crate::errno::Errno::TooBig)?;
        mem.write_bytes(end, &[0])?;
        byte_at = end.checked_add(1).ok_or(crate::errno::Errno::TooBig)?;
        ptr_at = ptr_at.checked_add(4).ok_or(crate::errno::Errno::TooBig)?;
    }
    Ok(())
}

/// Writes the count and the total byte size (with NULs) of `strings`.
fn write_sizes<S: AsRef<str>>(mem: &mut GuestMemory<'_>, strings: &[S], count: u32, size: u32) -> SysResult<()> {
    let total: usize = strings.iter().map(|s| s.as_ref().len() + 1).sum();
    let n = u32::try_from(strings.len()).map_err(|_| crate::errno::Errno::TooBig)?;
    let total = u32::try_from(total).map_err(|_| crate::errno::Errno::TooBig)?;
    mem.write_u32(count, n)?;
    mem.write_u32(size, total)?;
    Ok(())
}

/// `args_get(argv, argv_buf)`.
pub fn args_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, argv: u32, buf: u32) -> SysResult<()> {
    write_vector(mem, &ctx.args, argv, buf)
}

/// `args_sizes_get() -> (argc, argv_buf_size)`.
pub fn args_sizes_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, argc: u32, size: u32) -> SysResult<()> {
    write_sizes(mem, &ctx.args, argc, size)
}

/// `environ_get(environ, environ_buf)`.
pub fn environ_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, environ: u32, buf: u32) -> SysResult<()> {
    write_vector(mem, &ctx.env, environ, buf)
}

/// `environ_sizes_get() -> (count, buf_size)`.
pub fn environ_sizes_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, count: u32, size: u32) -> SysResult<()> {
    write_sizes(mem, &ctx.env, count, size)
}
