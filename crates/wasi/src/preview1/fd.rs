//! `fd_*`: operations on open descriptors.

use std::io::SeekFrom;

use capsa_kernel::{KernelError, Rights, SetTime, StatusFlags};

use super::SysResult;
use super::rights::{
    FD_ADVISE, FD_ALLOCATE, FD_DATASYNC, FD_FDSTAT_SET_FLAGS, FD_FILESTAT_GET, FD_FILESTAT_SET_SIZE,
    FD_FILESTAT_SET_TIMES, FD_READ, FD_READDIR, FD_SEEK, FD_SYNC, FD_TELL, FD_WRITE, filetype, rights_of_fd,
    write_filestat,
};
use crate::call::file_of;
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::io::transfer;
use crate::memory::GuestMemory;

const FDFLAG_APPEND: u32 = 1;
const FDFLAG_DSYNC: u32 = 2;
const FDFLAG_NONBLOCK: u32 = 4;
const FDFLAG_RSYNC: u32 = 8;
const FDFLAG_SYNC: u32 = 16;

const FSTFLAG_ATIM: u32 = 1;
const FSTFLAG_ATIM_NOW: u32 = 2;
const FSTFLAG_MTIM: u32 = 4;
const FSTFLAG_MTIM_NOW: u32 = 8;

/// Size of a dirent header in `fd_readdir` output.
const DIRENT_SIZE: usize = 24;

/// Decodes preview1 `fdflags`.
pub(super) fn status_flags(raw: u32) -> Result<StatusFlags, Errno> {
    if raw & !(FDFLAG_APPEND | FDFLAG_DSYNC | FDFLAG_NONBLOCK | FDFLAG_RSYNC | FDFLAG_SYNC) != 0 {
        return Err(Errno::Inval);
    }
    Ok(StatusFlags {
        append: raw & FDFLAG_APPEND != 0,
        nonblock: raw & FDFLAG_NONBLOCK != 0,
        sync: raw & FDFLAG_SYNC != 0,
        dsync: raw & FDFLAG_DSYNC != 0,
        rsync: raw & FDFLAG_RSYNC != 0,
    })
}

fn encode_status_flags(flags: StatusFlags) -> u16 {
    let mut raw = 0;
    for (set, bit) in [
        (flags.append, FDFLAG_APPEND),
        (flags.nonblock, FDFLAG_NONBLOCK),
        (flags.sync, FDFLAG_SYNC),
        (flags.dsync, FDFLAG_DSYNC),
        (flags.rsync, FDFLAG_RSYNC),
    ] {
        if set {
            raw |= bit as u16;
        }
    }
    raw
}

/// Decodes a preview1 `fstflags` pair into the two time changes.
pub(super) fn set_times(atim: u64, mtim: u64, flags: u32) -> Result<(SetTime, SetTime), Errno> {
    if flags & !(FSTFLAG_ATIM | FSTFLAG_ATIM_NOW | FSTFLAG_MTIM | FSTFLAG_MTIM_NOW) != 0 {
        return Err(Errno::Inval);
    }
    let pick = |at: u32, now: u32, value: u64| match (flags & at != 0, flags & now != 0) {
        (true, true) => Err(Errno::Inval),
        (true, false) => Ok(SetTime::At(value)),
        (false, true) => Ok(SetTime::Now),
        (false, false) => Ok(SetTime::Keep),
    };
    Ok((pick(FSTFLAG_ATIM, FSTFLAG_ATIM_NOW, atim)?, pick(FSTFLAG_MTIM, FSTFLAG_MTIM_NOW, mtim)?))
}

/// `fd_advise(fd, offset, len, advice)`: advice is accepted and ignored for
/// regular files (memory needs no readahead hints).
pub fn fd_advise(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    _offset: u64,
    _len: u64,
    advice: u32,
) -> SysResult<()> {
    let file = file_of(ctx, fd, FD_ADVISE)?;
    if advice > 5 {
        return Err(Errno::Inval.into());
    }
    if file.is_dir() {
        return Err(Errno::Badf.into());
    }
    if !file.is_seekable() {
        return Err(Errno::Spipe.into());
    }
    Ok(())
}

/// `fd_allocate(fd, offset, len)`.
pub fn fd_allocate(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, offset: u64, len: u64) -> SysResult<()> {
    file_of(ctx, fd, FD_ALLOCATE)?.allocate(offset, len)?;
    Ok(())
}

/// `fd_close(fd)`. Preopens may be closed too.
pub fn fd_close(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> SysResult<()> {
    ctx.fds.remove(fd)?;
    Ok(())
}

/// `fd_datasync(fd)`.
pub fn fd_datasync(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> SysResult<()> {
    let file = file_of(ctx, fd, FD_DATASYNC)?;
    if !file.can_write() && !file.is_dir() {
        return Err(Errno::Badf.into());
    }
    file.datasync()?;
    Ok(())
}

/// `fd_sync(fd)`.
pub fn fd_sync(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> SysResult<()> {
    file_of(ctx, fd, FD_SYNC)?.sync()?;
    Ok(())
}

/// `fd_fdstat_get(fd) -> fdstat`.
pub fn fd_fdstat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> SysResult<()> {
    let entry = ctx.fds.get(fd)?;
    let file = entry.file.clone();
    let (base, inheriting) = rights_of_fd(&file, entry.rights);
    let mut raw = [0u8; 24];
    raw[0] = filetype(file.file_type());
    raw[2..4].copy_from_slice(&encode_status_flags(file.status_flags()).to_le_bytes());
    raw[8..16].copy_from_slice(&base.to_le_bytes());
    raw[16..24].copy_from_slice(&inheriting.to_le_bytes());
    mem.write_bytes(out, &raw)?;
    Ok(())
}

/// `fd_fdstat_set_flags(fd, flags)`.
pub fn fd_fdstat_set_flags(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, flags: u32) -> SysResult<()> {
    let file = file_of(ctx, fd, FD_FDSTAT_SET_FLAGS)?;
    file.set_status_flags(status_flags(flags)?)?;
    Ok(())
}

/// `fd_fdstat_set_rights(fd, base, inheriting)`: narrows the fd's rights.
/// Asking for a right the fd does not have (as `fd_fdstat_get` reports
/// them) is `ENOTCAPABLE`: rights are only ever taken away.
pub fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> SysResult<()> {
    let entry = ctx.fds.get(fd)?;
    let (have_base, have_inheriting) = rights_of_fd(&entry.file, entry.rights);
    if base & !have_base != 0 || inheriting & !have_inheriting != 0 {
        return Err(Errno::NotCapable.into());
    }
    ctx.fds.set_rights(fd, Rights { base, inheriting })?;
    Ok(())
}

/// `fd_filestat_get(fd) -> filestat`.
pub fn fd_filestat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> SysResult<()> {
    let stat = file_of(ctx, fd, FD_FILESTAT_GET)?.stat()?;
    write_filestat(mem, out, &stat)
}

/// `fd_filestat_set_size(fd, size)`.
pub fn fd_filestat_set_size(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, size: u64) -> SysResult<()> {
    file_of(ctx, fd, FD_FILESTAT_SET_SIZE)?.set_size(size)?;
    Ok(())
}

/// `fd_filestat_set_times(fd, atim, mtim, fst_flags)`.
pub fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    atim: u64,
    mtim: u64,
    flags: u32,
) -> SysResult<()> {
    let file = file_of(ctx, fd, FD_FILESTAT_SET_TIMES)?;
    let (atime, mtime) = set_times(atim, mtim, flags)?;
    file.set_times(atime, mtime)?;
    Ok(())
}

/// `fd_read(fd, iovs) -> nread`: fills the buffers in order (see [`transfer`]).
pub fn fd_read(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    out: u32,
) -> SysResult<()> {
    let file = file_of(ctx, fd, FD_READ)?;
    transfer(ctx, mem, (iovs, iovs_len, out), |buf, _| file.read(buf))
}

/// `fd_pread(fd, iovs, offset) -> nread`: as [`fd_read`], at `offset`.
pub fn fd_pread(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    out: u32,
) -> SysResult<()> {
    let file = file_of(ctx, fd, FD_READ | FD_SEEK)?;
    transfer(ctx, mem, (iovs, iovs_len, out), |buf, done| {
        file.pread(buf, offset.checked_add(done).ok_or(KernelError::Overflow)?)
    })
}

/// `fd_write(fd, ciovs) -> nwritten`: writes the buffers in order (see [`transfer`]).
pub fn fd_write(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    out: u32,
) -> SysResult<()> {
    let file = file_of(ctx, fd, FD_WRITE)?;
    transfer(ctx, mem, (iovs, iovs_len, out), |buf, _| file.write(buf))
}

/// `fd_pwrite(fd, ciovs, offset) -> nwritten`: as [`fd_write`], at `offset`.
pub fn fd_pwrite(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    out: u32,
) -> SysResult<()> {
    let file = file_of(ctx, fd, FD_WRITE | FD_SEEK)?;
    transfer(ctx, mem, (iovs, iovs_len, out), |buf, done| {
        file.pwrite(buf, offset.checked_add(done).ok_or(KernelError::Overflow)?)
    })
}

/// `fd_prestat_get(fd) -> prestat`: only preopens have one (EBADF otherwise).
pub fn fd_prestat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> SysResult<()> {
    let entry = ctx.fds.get(fd)?;
    let name = entry.preopen.as_ref().ok_or(Errno::Badf)?;
    let len = u32::try_from(name.len()).map_err(|_| Errno::NameTooLong)?;
    let mut raw = [0u8; 8];
    raw[4..8].copy_from_slice(&len.to_le_bytes());
    mem.write_bytes(out, &raw)?;
    Ok(())
}

/// `fd_prestat_dir_name(fd, path, path_len)`: the preopen's name, no NUL.
pub fn fd_prestat_dir_name(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, buf: u32, len: u32) -> SysResult<()> {
    let entry = ctx.fds.get(fd)?;
    let name = entry.preopen.as_ref().ok_or(Errno::Badf)?;
    if (len as usize) < name.len() {
        return Err(Errno::NameTooLong.into());
    }
    mem.write_bytes(buf, name.as_bytes())?;
    Ok(())
}

/// `fd_readdir(fd, buf, buf_len, cookie) -> bufused`: packs dirents until the
/// buffer is full; a last entry that does not fit is truncated, and
/// `bufused == buf_len` tells the guest to call again.
pub fn fd_readdir(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    len: u32,
    cookie: u64,
    out: u32,
) -> SysResult<()> {
    let file = file_of(ctx, fd, FD_READDIR)?;
    let entries = file.readdir(cookie)?;
    let target = mem.slice_mut(buf, len)?;
    let mut used = 0usize;
    for entry in entries {
        if used >= target.len() {
            break;
        }
        let name = entry.name.as_bytes();
        let mut header = [0u8; DIRENT_SIZE];
        header[0..8].copy_from_slice(&entry.next_cookie.to_le_bytes());
        header[8..16].copy_from_slice(&entry.ino.to_le_bytes());
        header[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
        header[20] = filetype(entry.file_type);
        for chunk in [&header[..], name] {
            let room = target.len() - used;
            let n = chunk.len().min(room);
            target[used..used + n].copy_from_slice(&chunk[..n]);
            used += n;
        }
    }
    mem.write_u32(out, used as u32)?;
    Ok(())
}

/// `fd_renumber(from, to)`: both must be open; `to` is closed first.
pub fn fd_renumber(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, to: u32) -> SysResult<()> {
    ctx.fds.renumber(fd, to)?;
    Ok(())
}

/// `fd_seek(fd, offset, whence) -> newoffset`.
pub fn fd_seek(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    offset: i64,
    whence: u32,
    out: u32,
) -> SysResult<()> {
    // Asking where the offset is, is telling (as wasmtime checks it).
    let need = if whence == 1 && offset == 0 { FD_TELL } else { FD_SEEK };
    let file = file_of(ctx, fd, need)?;
    let pos = match whence {
        0 => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
        1 => SeekFrom::Current(offset),
        2 => SeekFrom::End(offset),
        _ => return Err(Errno::Inval.into()),
    };
    let new = file.seek(pos)?;
    mem.write_u64(out, new)?;
    Ok(())
}

/// `fd_tell(fd) -> offset`.
pub fn fd_tell(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> SysResult<()> {
    let pos = file_of(ctx, fd, FD_TELL)?.seek(SeekFrom::Current(0))?;
    mem.write_u64(out, pos)?;
    Ok(())
}
