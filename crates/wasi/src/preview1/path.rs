//! `path_*`: operations on paths beneath a directory fd. Resolution rules
//! (beneath the fd, chroot at the VM root) live in the kernel's VFS.

use capsa_kernel::{FdEntry, OpenOptions, PathStat, Rights};

use super::SysResult;
use super::fd::{set_times, status_flags};
use super::rights::{
    PATH_CREATE_DIRECTORY, PATH_CREATE_FILE, PATH_FILESTAT_GET, PATH_FILESTAT_SET_SIZE, PATH_FILESTAT_SET_TIMES,
    PATH_LINK_SOURCE, PATH_LINK_TARGET, PATH_OPEN, PATH_READLINK, PATH_REMOVE_DIRECTORY, PATH_RENAME_SOURCE,
    PATH_RENAME_TARGET, PATH_SYMLINK, PATH_UNLINK_FILE, wants_read, wants_write, write_filestat,
};
use crate::call::{dir_of, follow, read_str};
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::memory::GuestMemory;

const OFLAG_CREAT: u32 = 1;
const OFLAG_DIRECTORY: u32 = 2;
const OFLAG_EXCL: u32 = 4;
const OFLAG_TRUNC: u32 = 8;

/// `path_create_directory(fd, path)`.
pub fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
) -> SysResult<()> {
    let dir = dir_of(ctx, fd, PATH_CREATE_DIRECTORY)?;
    let path = read_str(mem, path, len)?;
    ctx.kernel.vfs().mkdir_at(&ctx.cred, &dir, path, 0o777 & !ctx.umask)?;
    Ok(())
}

/// `path_filestat_get(fd, flags, path) -> filestat`.
pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    out: u32,
) -> SysResult<()> {
    let dir = dir_of(ctx, fd, PATH_FILESTAT_GET)?;
    let path = read_str(mem, path, len)?;
    let stat = match ctx.kernel.vfs().stat_or_opener_fd_at(&ctx.cred, &dir, path, follow(flags)?)? {
        PathStat::Stat(stat) => stat,
        // `/dev/fd/N` and `/dev/stdin`: the file behind the caller's fd.
        PathStat::OpenerFd(fd) => ctx.fds.file(fd)?.stat()?,
    };
    write_filestat(mem, out, &stat)
}

/// `path_filestat_set_times(fd, flags, path, atim, mtim, fst_flags)`.
pub fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> SysResult<()> {
    let dir = dir_of(ctx, fd, PATH_FILESTAT_SET_TIMES)?;
    let path = read_str(mem, path, len)?;
    let (atime, mtime) = set_times(atim, mtim, fst)?;
    ctx.kernel.vfs().set_times_at(&ctx.cred, &dir, path, follow(flags)?, atime, mtime)?;
    Ok(())
}

/// `path_link(old_fd, old_flags, old_path, new_fd, new_path)`.
pub fn path_link(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_fd: u32,
    old_flags: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> SysResult<()> {
    let old_dir = dir_of(ctx, old_fd, PATH_LINK_SOURCE)?;
    let new_dir = dir_of(ctx, new_fd, PATH_LINK_TARGET)?;
    let old_path = read_str(mem, old_path, old_len)?;
    let new_path = read_str(mem, new_path, new_len)?;
    ctx.kernel.vfs().link_at(&ctx.cred, &old_dir, old_path, follow(old_flags)?, &new_dir, new_path)?;
    Ok(())
}

/// `path_open(fd, dirflags, path, oflags, rights_base, rights_inheriting, fdflags) -> fd`.
/// Access is decided by the requested base rights (read and/or write); opening
/// `/dev/stdin|stdout|stderr` duplicates fd 0, 1 or 2.
pub fn path_open(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    dirflags: u32,
    path: u32,
    len: u32,
    oflags: u32,
    base: u64,
    _inheriting: u64,
    fdflags: u32,
    out: u32,
) -> SysResult<()> {
    if oflags & !(OFLAG_CREAT | OFLAG_DIRECTORY | OFLAG_EXCL | OFLAG_TRUNC) != 0 {
        return Err(Errno::Inval.into());
    }
    let mut need = PATH_OPEN;
    if oflags & OFLAG_CREAT != 0 {
        need |= PATH_CREATE_FILE;
    }
    if oflags & OFLAG_TRUNC != 0 {
        need |= PATH_FILESTAT_SET_SIZE;
    }
    let dir = dir_of(ctx, fd, need)?;
    let inherited = ctx.fds.get(fd)?.rights.inheriting;
    let path = read_str(mem, path, len)?;
    let status = status_flags(fdflags)?;
    let directory = oflags & OFLAG_DIRECTORY != 0;
    let opts = OpenOptions {
        read: wants_read(base),
        write: wants_write(base),
        create: oflags & OFLAG_CREAT != 0,
        exclusive: oflags & OFLAG_EXCL != 0,
        truncate: oflags & OFLAG_TRUNC != 0,
        directory,
        follow: follow(dirflags)?,
        append: status.append,
        nonblock: status.nonblock,
        mode: 0o666 & !ctx.umask,
    };
    let mut file = ctx.kernel.vfs().open_at(&ctx.cred, &dir, path, opts)?;
    if let Some(alias) = file.stdio_alias() {
        file = ctx.fds.file(alias)?;
    } else if status.sync || status.dsync || status.rsync {
        file.set_status_flags(status)?;
    }
    // The requested rights chose the access above; what the new fd may do is
    // what its directory lets fds beneath it do.
    let rights = Rights { base: inherited, inheriting: inherited };
    let new_fd = ctx.fds.insert(FdEntry { file, preopen: None, rights })?;
    mem.write_u32(out, new_fd)?;
    Ok(())
}

/// `path_readlink(fd, path, buf, buf_len) -> bufused`: the target, truncated to the buffer.
pub fn path_readlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
    buf: u32,
    buf_len: u32,
    out: u32,
) -> SysResult<()> {
    let dir = dir_of(ctx, fd, PATH_READLINK)?;
    let path = read_str(mem, path, len)?;
    let target = ctx.kernel.vfs().readlink_at(&ctx.cred, &dir, path)?;
    let bytes = target.as_bytes();
    let n = bytes.len().min(buf_len as usize);
    mem.write_bytes(buf, &bytes[..n])?;
    mem.write_u32(out, n as u32)?;
    Ok(())
}

/// `path_remove_directory(fd, path)`.
pub fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
) -> SysResult<()> {
    let dir = dir_of(ctx, fd, PATH_REMOVE_DIRECTORY)?;
    let path = read_str(mem, path, len)?;
    ctx.kernel.vfs().rmdir_at(&ctx.cred, &dir, path)?;
    Ok(())
}

/// `path_rename(fd, old_path, new_fd, new_path)`.
pub fn path_rename(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> SysResult<()> {
    let old_dir = dir_of(ctx, fd, PATH_RENAME_SOURCE)?;
    let new_dir = dir_of(ctx, new_fd, PATH_RENAME_TARGET)?;
    let old_path = read_str(mem, old_path, old_len)?;
    let new_path = read_str(mem, new_path, new_len)?;
    ctx.kernel.vfs().rename_at(&ctx.cred, &old_dir, old_path, &new_dir, new_path)?;
    Ok(())
}

/// `path_symlink(old_path, fd, new_path)`: `new_path` beneath `fd` will point to `old_path`.
pub fn path_symlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    target: u32,
    target_len: u32,
    fd: u32,
    path: u32,
    len: u32,
) -> SysResult<()> {
    let dir = dir_of(ctx, fd, PATH_SYMLINK)?;
    let target = read_str(mem, target, target_len)?;
    let path = read_str(mem, path, len)?;
    ctx.kernel.vfs().symlink_at(&ctx.cred, target, &dir, path)?;
    Ok(())
}

/// `path_unlink_file(fd, path)`.
pub fn path_unlink_file(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, path: u32, len: u32) -> SysResult<()> {
    let dir = dir_of(ctx, fd, PATH_UNLINK_FILE)?;
    let path = read_str(mem, path, len)?;
    ctx.kernel.vfs().unlink_at(&ctx.cred, &dir, path)?;
    Ok(())
}
