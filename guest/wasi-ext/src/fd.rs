//! Pipes, fd duplication and terminals: `fd_pipe`, `fd_dup`, `fd_dup2`
//! (`host_process`) and `isatty` (`host_user`).

use std::fs::File;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use crate::sys;

/// Converts a caller's fd number to the ABI's `u32` (`EBADF` if negative).
pub(crate) fn fd_u32(fd: RawFd) -> io::Result<u32> {
    u32::try_from(fd).map_err(|_| io::Error::from_raw_os_error(i32::from(wasi::ERRNO_BADF.raw())))
}

/// Creates a pipe: `(read end, write end)`.
///
/// The pipe buffers 64 KiB; a read blocks while it is empty and a writer is
/// open, and returns 0 (end of file) once every write end is closed. A write
/// blocks while it is full, and fails with `EPIPE` (`ErrorKind::BrokenPipe`)
/// once every read end is closed; a process that writes again after that is
/// ended by `SIGPIPE`.
///
/// # Errors
/// `EMFILE` if the fd table is full.
pub fn pipe() -> io::Result<(File, File)> {
    let (mut read, mut write) = (0u32, 0u32);
    // SAFETY: both out-pointers point at live `u32` locals.
    sys::cvt(unsafe { sys::fd_pipe(&mut read, &mut write) })?;
    // SAFETY: `fd_pipe` just created both fds; nothing else owns them, and
    // each `File` becomes their only owner.
    Ok(unsafe { (File::from_raw_fd(read as RawFd), File::from_raw_fd(write as RawFd)) })
}

/// Duplicates `fd` onto the lowest free fd. Both share one open-file
/// description (offset, flags); closing one leaves the other open.
///
/// # Errors
/// `EBADF` if `fd` is not open; `EMFILE` if the fd table is full.
pub fn dup(fd: RawFd) -> io::Result<OwnedFd> {
    let fd = fd_u32(fd)?;
    let mut new_fd = 0u32;
    // SAFETY: the out-pointer points at a live `u32` local.
    sys::cvt(unsafe { sys::fd_dup(fd, &mut new_fd) })?;
    // SAFETY: `fd_dup` just created `new_fd`; the `OwnedFd` is its only owner.
    Ok(unsafe { OwnedFd::from_raw_fd(new_fd as RawFd) })
}

/// Makes `to` a duplicate of `fd`, closing what `to` was first (`dup2`).
/// `fd == to` does nothing on an open `fd`.
///
/// Like POSIX `dup2`, this replaces `to` behind the back of whatever owns it:
/// use it on fds the caller owns or on the stdio fds 0, 1, 2 (redirecting
/// its own output), not on an fd some `File` elsewhere still uses.
///
/// # Errors
/// `EBADF` if `fd` is not open or `to` is out of range.
pub fn dup2(fd: RawFd, to: RawFd) -> io::Result<()> {
    // SAFETY: plain integer arguments; no memory is passed.
    sys::cvt(unsafe { sys::fd_dup2(fd_u32(fd)?, fd_u32(to)?) })
}

/// Whether `fd` is a terminal.
///
/// # Errors
/// `EBADF` if `fd` is not open.
pub fn isatty(fd: RawFd) -> io::Result<bool> {
    let fd = fd_u32(fd)?;
    // SAFETY: the out-pointer is the live `u32` `out_u32` provides.
    let tty = sys::out_u32(|out| unsafe { sys::isatty(fd, out) })?;
    Ok(tty != 0)
}

/// The size of the host terminal `fd` is connected to, `(rows, columns)`,
/// asked afresh (it follows resizes).
///
/// # Errors
/// `ENOTTY` if `fd` is not a terminal, `EBADF` if it is not open.
pub fn window_size(fd: RawFd) -> io::Result<(u16, u16)> {
    let fd = fd_u32(fd)?;
    let (mut rows, mut cols) = (0u32, 0u32);
    // SAFETY: both out-pointers are live `u32`s for the call.
    sys::cvt(unsafe { sys::winsize(fd, &mut rows, &mut cols) })?;
    Ok((u16::try_from(rows).unwrap_or(u16::MAX), u16::try_from(cols).unwrap_or(u16::MAX)))
}
