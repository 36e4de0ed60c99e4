//! `host_user`: ids, account lookups from the VM's own `/etc/passwd` and
//! `/etc/group`, and `isatty`.

use crate::call::{SysResult, read_str};
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::memory::GuestMemory;

/// `getuid() -> uid`.
pub fn getuid(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, out: u32) -> SysResult<()> {
    mem.write_u32(out, ctx.cred.uid)?;
    Ok(())
}

/// `geteuid() -> uid` (capsa processes have no separate effective id).
pub fn geteuid(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, out: u32) -> SysResult<()> {
    mem.write_u32(out, ctx.cred.uid)?;
    Ok(())
}

/// `getgid() -> gid`.
pub fn getgid(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, out: u32) -> SysResult<()> {
    mem.write_u32(out, ctx.cred.gid)?;
    Ok(())
}

/// `getegid() -> gid`.
pub fn getegid(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, out: u32) -> SysResult<()> {
    mem.write_u32(out, ctx.cred.gid)?;
    Ok(())
}

/// Copies an account line into the guest buffer; `ERANGE` (with the needed
/// length written) if it does not fit.
fn write_line(mem: &mut GuestMemory<'_>, line: &str, buf: u32, buf_len: u32, len_out: u32) -> SysResult<()> {
    let needed = u32::try_from(line.len()).map_err(|_| Errno::Range)?;
    mem.write_u32(len_out, needed)?;
    if needed > buf_len {
        return Err(Errno::Range.into());
    }
    mem.write_bytes(buf, line.as_bytes())?;
    Ok(())
}

/// `getpwuid(uid, buf, buf_len) -> len`.
pub fn getpwuid(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    uid: u32,
    buf: u32,
    buf_len: u32,
    len_out: u32,
) -> SysResult<()> {
    let line = ctx.kernel.passwd_by_uid(uid)?;
    write_line(mem, &line, buf, buf_len, len_out)
}

/// `getpwnam(name, buf, buf_len) -> len`.
pub fn getpwnam(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    name: u32,
    name_len: u32,
    buf: u32,
    buf_len: u32,
    len_out: u32,
) -> SysResult<()> {
    let name = read_str(mem, name, name_len)?.to_string();
    let line = ctx.kernel.passwd_by_name(&name)?;
    write_line(mem, &line, buf, buf_len, len_out)
}

/// `getgrgid(gid, buf, buf_len) -> len`.
pub fn getgrgid(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    gid: u32,
    buf: u32,
    buf_len: u32,
    len_out: u32,
) -> SysResult<()> {
    let line = ctx.kernel.group_by_gid(gid)?;
    write_line(mem, &line, buf, buf_len, len_out)
}

/// `isatty(fd) -> 0|1`.
pub fn isatty(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> SysResult<()> {
    let tty = ctx.fds.file(fd)?.is_tty();
    mem.write_u32(out, u32::from(tty))?;
    Ok(())
}
