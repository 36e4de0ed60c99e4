//! Modes and owners through `host_fs`: what `std::fs::Metadata` cannot show
//! on WASI (preview1 has no mode, uid or gid), and chmod/chown/umask.
//!
//! Paths are resolved like std's: wasi-libc maps them onto a preopened
//! directory (honouring the current directory) and the host resolves the
//! rest beneath it.

use std::ffi::{CStr, CString, c_char, c_int};
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::sys;

/// `S_IFMT`: the file-type bits of [`Stat::mode`].
pub const S_IFMT: u32 = 0o170000;
/// Directory type bits.
pub const S_IFDIR: u32 = 0o040000;
/// Regular-file type bits.
pub const S_IFREG: u32 = 0o100000;
/// Symlink type bits.
pub const S_IFLNK: u32 = 0o120000;
/// Character-device type bits.
pub const S_IFCHR: u32 = 0o020000;
/// Block-device type bits.
pub const S_IFBLK: u32 = 0o060000;
/// FIFO (pipe) type bits.
pub const S_IFIFO: u32 = 0o010000;
/// Socket type bits.
pub const S_IFSOCK: u32 = 0o140000;
/// Set-user-id bit.
pub const S_ISUID: u32 = 0o4000;
/// Set-group-id bit.
pub const S_ISGID: u32 = 0o2000;
/// Sticky bit.
pub const S_ISVTX: u32 = 0o1000;

/// [`access`] check: may read.
pub const R_OK: u32 = 4;
/// [`access`] check: may write.
pub const W_OK: u32 = 2;
/// [`access`] check: may execute (search, for a directory).
pub const X_OK: u32 = 1;

/// What `host_fs.stat` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Device id.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// POSIX `st_mode`: type bits and permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Hard links.
    pub nlink: u64,
    /// Size in bytes.
    pub size: u64,
    /// Last access, ns since the epoch.
    pub atime: u64,
    /// Last modification, ns since the epoch.
    pub mtime: u64,
    /// Last status change, ns since the epoch.
    pub ctime: u64,
}

impl Stat {
    fn parse(raw: &[u8; 72]) -> Stat {
        let u64_at = |at: usize| u64::from_le_bytes(raw[at..at + 8].try_into().unwrap_or([0; 8]));
        let u32_at = |at: usize| u32::from_le_bytes(raw[at..at + 4].try_into().unwrap_or([0; 4]));
        Stat {
            dev: u64_at(0),
            ino: u64_at(8),
            mode: u32_at(16),
            uid: u32_at(20),
            gid: u32_at(24),
            nlink: u64_at(32),
            size: u64_at(40),
            atime: u64_at(48),
            mtime: u64_at(56),
            ctime: u64_at(64),
        }
    }

    /// Permission bits only.
    pub fn permissions(&self) -> u32 {
        self.mode & 0o7777
    }

    /// The file-type bits only ([`S_IFDIR`], [`S_IFREG`], …).
    pub fn file_type(&self) -> u32 {
        self.mode & S_IFMT
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.file_type() == S_IFDIR
    }

    /// Whether this is a regular file.
    pub fn is_file(&self) -> bool {
        self.file_type() == S_IFREG
    }

    /// Whether this is a symbolic link (only [`lstat`] reports one).
    pub fn is_symlink(&self) -> bool {
        self.file_type() == S_IFLNK
    }

    /// Whether a process with user `uid` and group `gid` may access this
    /// file as `want` asks (a mask of [`R_OK`], [`W_OK`], [`X_OK`]), by the
    /// kernel's rule: root may read and write anything and search any
    /// directory, but executes a file only if some `x` bit is set; anyone
    /// else gets the owner's bits if it owns the file, else the group's if
    /// the file's group is its group, else the others'. (capsa processes
    /// have no supplementary groups.) A read-only mount is not visible
    /// here: [`access`] checks that too.
    pub fn permits(&self, uid: u32, gid: u32, want: u32) -> bool {
        let want = want & 0o7;
        if uid == 0 {
            return want & X_OK == 0 || self.is_dir() || self.mode & 0o111 != 0;
        }
        let bits = if uid == self.uid {
            self.mode >> 6
        } else if gid == self.gid {
            self.mode >> 3
        } else {
            self.mode
        };
        bits & want == want
    }
}

unsafe extern "C" {
    /// wasi-libc's preopen lookup, which std's own path functions use: the
    /// fd of the preopened directory beneath which `path` lies (made
    /// absolute against wasi-libc's working directory first), with the path
    /// beneath it in `*relative_path` (written into the buffer of
    /// `relative_path_len` bytes it points at; `ERANGE` if too small).
    fn __wasilibc_find_relpath(
        path: *const c_char,
        abs_prefix: *mut *const c_char,
        relative_path: *mut *mut c_char,
        relative_path_len: usize,
    ) -> c_int;
}

/// Where the host should resolve `path`: a preopened directory (its fd,
/// owned by wasi-libc) and the path beneath it, as std resolves paths. A
/// symlink met on the way is then resolved by the host beneath that
/// preopen, so absolute targets work as they do for `std::fs`.
fn resolve(path: &Path) -> io::Result<(u32, String)> {
    let invalid = || io::Error::from(io::ErrorKind::InvalidInput);
    let c_path = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| invalid())?;
    let mut buf = vec![0u8; 256];
    loop {
        let mut relative = buf.as_mut_ptr().cast::<c_char>();
        let mut abs_prefix = std::ptr::null();
        // SAFETY: `c_path` is NUL-terminated; `relative` points at `buf`,
        // whose length is passed, and the out-pointers are live locals.
        let fd = unsafe { __wasilibc_find_relpath(c_path.as_ptr(), &mut abs_prefix, &mut relative, buf.len()) };
        if fd < 0 {
            let err = io::Error::last_os_error();
            let grow = [wasi::ERRNO_RANGE.raw(), wasi::ERRNO_NOMEM.raw()].map(i32::from);
            if err.raw_os_error().is_some_and(|e| grow.contains(&e)) && buf.len() < 1 << 20 {
                buf.resize(buf.len() * 2, 0);
                continue;
            }
            return Err(err);
        }
        // SAFETY: on success `relative` points at a NUL-terminated string in
        // `buf`, which is still alive.
        let relative = unsafe { CStr::from_ptr(relative) }.to_str().map_err(|_| invalid())?.to_string();
        return Ok((fd as u32, relative));
    }
}

fn stat_with(path: &Path, follow: bool) -> io::Result<Stat> {
    let (dirfd, relative) = resolve(path)?;
    stat_raw(dirfd, &relative, follow)
}

fn stat_raw(dirfd: u32, name: &str, follow: bool) -> io::Result<Stat> {
    let mut raw = [0u8; 72];
    // SAFETY: `name` is valid for its length; `raw` has room for the 72-byte record.
    let errno = unsafe { sys::stat(dirfd, name.as_ptr(), name.len(), u32::from(follow), raw.as_mut_ptr()) };
    sys::cvt(errno)?;
    Ok(Stat::parse(&raw))
}

/// `fstatat(2)`: `name` resolved beneath the open directory `dir`
/// (`follow`: a final symlink is followed). Listing a directory this way
/// costs one call per entry.
///
/// # Errors
/// The errno of the lookup (`ENOENT`, `EACCES`…); `InvalidInput` for a
/// name that is not UTF-8.
pub fn stat_at(dir: &impl AsRawFd, name: impl AsRef<Path>, follow: bool) -> io::Result<Stat> {
    let name = name.as_ref().to_str().ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    stat_raw(dir.as_raw_fd() as u32, name, follow)
}

/// `stat(2)`: follows a final symlink.
///
/// # Errors
/// The errno of the lookup (`ENOENT`, `EACCES`…).
pub fn stat(path: impl AsRef<Path>) -> io::Result<Stat> {
    stat_with(path.as_ref(), true)
}

/// `lstat(2)`: reports a final symlink itself.
///
/// # Errors
/// As [`stat`].
pub fn lstat(path: impl AsRef<Path>) -> io::Result<Stat> {
    stat_with(path.as_ref(), false)
}

/// `fstat(2)` of an open file.
///
/// # Errors
/// `EBADF`.
pub fn fstat(file: &impl AsRawFd) -> io::Result<Stat> {
    let mut raw = [0u8; 72];
    // SAFETY: `raw` has room for the 72-byte record.
    sys::cvt(unsafe { sys::fstat(file.as_raw_fd() as u32, raw.as_mut_ptr()) })?;
    Ok(Stat::parse(&raw))
}

/// `chmod(2)`: sets the permission bits (`0o7777` at most).
///
/// # Errors
/// `EPERM` unless owner or root, `EROFS`, `EINVAL` for bits outside `0o7777`.
pub fn chmod(path: impl AsRef<Path>, mode: u32) -> io::Result<()> {
    let (dirfd, name) = resolve(path.as_ref())?;
    // SAFETY: `name` is valid for its length.
    sys::cvt(unsafe { sys::chmod(dirfd, name.as_ptr(), name.len(), 1, mode) })
}

/// `symlink(2)`: makes `path` a symbolic link holding `target` (kept as
/// given: it is resolved when the link is followed). preview1's
/// `path_symlink` under the preopen `path` lies beneath, as std resolves
/// paths (std's own `symlink_path` is unstable on wasip1).
///
/// # Errors
/// `EEXIST`, `ENOENT` for a missing parent, `EACCES`, `EROFS`.
pub fn symlink(target: impl AsRef<Path>, path: impl AsRef<Path>) -> io::Result<()> {
    let invalid = || io::Error::from(io::ErrorKind::InvalidInput);
    let target = target.as_ref().to_str().ok_or_else(invalid)?;
    let (dirfd, name) = resolve(path.as_ref())?;
    // SAFETY: both strings are valid for their lengths; `dirfd` is a
    // preopen wasi-libc owns.
    unsafe { wasi::path_symlink(target, dirfd, &name) }
        .map_err(|errno| io::Error::from_raw_os_error(i32::from(errno.raw())))
}

/// `chown(2)`: `None` keeps the current owner or group.
///
/// # Errors
/// `EPERM` unless allowed, `EROFS`.
pub fn chown(path: impl AsRef<Path>, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    chown_with(path.as_ref(), true, uid, gid)
}

/// `lchown(2)`: as [`chown`], but a final symlink is changed itself.
///
/// # Errors
/// As [`chown`].
pub fn lchown(path: impl AsRef<Path>, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    chown_with(path.as_ref(), false, uid, gid)
}

fn chown_with(path: &Path, follow: bool, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    let (dirfd, name) = resolve(path)?;
    // The ABI takes ids as `i32`, `-1` keeping the value (ids above
    // `i32::MAX` cannot be given, as in POSIX where `(uid_t)-1` is reserved).
    let id = |v: Option<u32>| match v {
        None => Ok(-1),
        Some(v) => i32::try_from(v).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput)),
    };
    let (uid, gid) = (id(uid)?, id(gid)?);
    let flags = u32::from(follow);
    // SAFETY: `name` is valid for its length.
    sys::cvt(unsafe { sys::chown(dirfd, name.as_ptr(), name.len(), flags, uid, gid) })
}

/// `access(2)` as the calling process: whether it may access `path` (a
/// final symlink followed) as `want` asks, a mask of [`R_OK`], [`W_OK`]
/// and [`X_OK`] (`0`: whether the file exists). The mode bits decide, by
/// [`Stat::permits`] with the caller's [`getuid`](crate::getuid) and
/// [`getgid`](crate::getgid); a regular file the bits let the caller write
/// is also opened for writing (without truncating), so that a read-only
/// mount or file system answers `false` as `access(2)` would. A directory
/// on a read-only mount still reports its mode bits.
///
/// # Errors
/// The errno of the lookup (`ENOENT`, `EACCES` on a directory above it…).
pub fn access(path: impl AsRef<Path>, want: u32) -> io::Result<bool> {
    let path = path.as_ref();
    let st = stat(path)?;
    let (uid, gid) = (crate::getuid()?, crate::getgid()?);
    if !st.permits(uid, gid, want) {
        return Ok(false);
    }
    if want & W_OK != 0 && st.is_file() {
        return match std::fs::OpenOptions::new().write(true).open(path) {
            Ok(_) => Ok(true),
            Err(err) if err.raw_os_error() == Some(i32::from(wasi::ERRNO_ROFS.raw())) => Ok(false),
            Err(err) if err.kind() == io::ErrorKind::PermissionDenied => Ok(false),
            Err(err) => Err(err),
        };
    }
    Ok(true)
}

/// `umask(2)`: sets the file-creation mask and returns the old one.
pub fn umask(mask: u32) -> u32 {
    let mut old = 0;
    // SAFETY: `old` is a valid out-pointer.
    let _ = unsafe { sys::umask(mask, &mut old) };
    old
}
