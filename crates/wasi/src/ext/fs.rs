//! `host_fs`: what preview1's `filestat` cannot say — mode bits, owner and
//! group — and the calls that change them (see `docs/abi.md`).

use capsa_kernel::{FileType, Stat};

use crate::call::{SysResult, dir_of, follow, read_str};
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::memory::GuestMemory;

/// Size of the `stat` record written by `stat` and `fstat`.
pub const STAT_SIZE: u32 = 72;

/// The POSIX file-type bits of `st_mode`.
fn type_bits(kind: FileType) -> u32 {
    match kind {
        FileType::Fifo => 0o010000,
        FileType::CharDevice | FileType::Unknown => 0o020000,
        FileType::Directory => 0o040000,
        FileType::BlockDevice => 0o060000,
        FileType::RegularFile => 0o100000,
        FileType::Symlink => 0o120000,
        FileType::SocketStream | FileType::SocketDgram => 0o140000,
    }
}

fn write_stat(mem: &mut GuestMemory<'_>, out: u32, stat: &Stat) -> SysResult<()> {
    let mut raw = [0u8; STAT_SIZE as usize];
    raw[0..8].copy_from_slice(&stat.dev.to_le_bytes());
    raw[8..16].copy_from_slice(&stat.ino.to_le_bytes());
    raw[16..20].copy_from_slice(&(type_bits(stat.file_type) | (stat.mode & 0o7777)).to_le_bytes());
    raw[20..24].copy_from_slice(&stat.uid.to_le_bytes());
    raw[24..28].copy_from_slice(&stat.gid.to_le_bytes());
    raw[32..40].copy_from_slice(&stat.nlink.to_le_bytes());
    raw[40..48].copy_from_slice(&stat.size.to_le_bytes());
    raw[48..56].copy_from_slice(&stat.atime.to_le_bytes());
    raw[56..64].copy_from_slice(&stat.mtime.to_le_bytes());
    raw[64..72].copy_from_slice(&stat.ctime.to_le_bytes());
    mem.write_bytes(out, &raw)?;
    Ok(())
}

/// `stat(dirfd, path, flags) -> stat`.
pub fn stat(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
    flags: u32,
    out: u32,
) -> SysResult<()> {
    let dir = dir_of(ctx, fd, crate::preview1::rights::PATH_FILESTAT_GET)?;
    let path = read_str(mem, path, len)?;
    let stat = ctx.kernel.vfs().stat_at(&ctx.cred, &dir, path, follow(flags)?)?;
    write_stat(mem, out, &stat)
}

/// `fstat(fd) -> stat`.
pub fn fstat(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> SysResult<()> {
    let stat = ctx.fds.file(fd)?.stat()?;
    write_stat(mem, out, &stat)
}

/// `chmod(dirfd, path, flags, mode)`.
pub fn chmod(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
    flags: u32,
    mode: u32,
) -> SysResult<()> {
    if mode & !0o7777 != 0 {
        return Err(Errno::Inval.into());
    }
    let dir = dir_of(ctx, fd, 0)?;
    let path = read_str(mem, path, len)?;
    ctx.kernel.vfs().set_mode_at(&ctx.cred, &dir, path, follow(flags)?, mode)?;
    Ok(())
}

/// `chown(dirfd, path, flags, uid, gid)`; -1 keeps a value.
pub fn chown(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
    flags: u32,
    uid: i32,
    gid: i32,
) -> SysResult<()> {
    let dir = dir_of(ctx, fd, 0)?;
    let path = read_str(mem, path, len)?;
    let keep = |id: i32| if id == -1 { Ok(None) } else { u32::try_from(id).map(Some).map_err(|_| Errno::Inval) };
    ctx.kernel.vfs().set_owner_at(&ctx.cred, &dir, path, follow(flags)?, keep(uid)?, keep(gid)?)?;
    Ok(())
}

/// `umask(mask) -> old`: sets the process's file-creation mask.
pub fn umask(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, mask: u32, out: u32) -> SysResult<()> {
    mem.write_u32(out, ctx.umask)?;
    ctx.umask = mask & 0o777;
    Ok(())
}
