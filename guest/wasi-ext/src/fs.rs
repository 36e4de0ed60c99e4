//! Modes and owners through `host_fs`: what `std::fs::Metadata` cannot show
//! on WASI (preview1 has no mode, uid or gid), and chmod/chown/umask.
//!
//! Paths are resolved like std's: the parent directory is opened with std
//! (which maps it onto a preopen through wasi-libc, honouring the current
//! directory), and the last component is resolved beneath it by the host.

use std::fs::File;
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

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
}

/// Opens `path`'s parent directory and returns it with the last component.
fn split(path: &Path) -> io::Result<(File, String)> {
    let name = match path.file_name() {
        Some(name) => name.to_str().ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?.to_string(),
        // `/`, `.`, `..`: act on the directory itself.
        None => return Ok((File::open(path)?, ".".to_string())),
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((File::open(parent)?, name))
}

fn stat_with(path: &Path, follow: bool) -> io::Result<Stat> {
    let (dir, name) = split(path)?;
    let mut raw = [0u8; 72];
    // SAFETY: `name` is valid for its length; `raw` has room for the 72-byte record.
    let errno =
        unsafe { sys::stat(dir.as_raw_fd() as u32, name.as_ptr(), name.len(), u32::from(follow), raw.as_mut_ptr()) };
    sys::cvt(errno)?;
    Ok(Stat::parse(&raw))
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
    let (dir, name) = split(path.as_ref())?;
    // SAFETY: `name` is valid for its length.
    sys::cvt(unsafe { sys::chmod(dir.as_raw_fd() as u32, name.as_ptr(), name.len(), 1, mode) })
}

/// `chown(2)`: `None` keeps the current owner or group.
///
/// # Errors
/// `EPERM` unless allowed, `EROFS`.
pub fn chown(path: impl AsRef<Path>, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    let (dir, name) = split(path.as_ref())?;
    let id = |v: Option<u32>| v.map_or(-1, |v| v as i32);
    // SAFETY: `name` is valid for its length.
    sys::cvt(unsafe { sys::chown(dir.as_raw_fd() as u32, name.as_ptr(), name.len(), 1, id(uid), id(gid)) })
}

/// `umask(2)`: sets the file-creation mask and returns the old one.
pub fn umask(mask: u32) -> u32 {
    let mut old = 0;
    // SAFETY: `old` is a valid out-pointer.
    let _ = unsafe { sys::umask(mask, &mut old) };
    old
}
