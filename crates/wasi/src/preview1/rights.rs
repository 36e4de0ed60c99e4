//! Preview1 rights, file types and the stat layout.
//!
//! Two things decide what an fd may do. Its description: how it was opened
//! (read, write: chosen by `path_open`'s requested rights) and what kind of
//! file it is, checked by the kernel. And the fd's own rights
//! ([`capsa_kernel::Rights`]), which only narrow: an fd starts with every
//! right (a preopen, stdio) or with its directory's inheriting rights (from
//! `path_open`), and `fd_fdstat_set_rights` can take rights away, never add
//! them. Every call checks the rights it needs first (`ENOTCAPABLE`).
//! `fd_fdstat_get` reports what both allow, so libc's checks (e.g. `isatty`)
//! see the truth.

use capsa_kernel::{FileType, OpenFile, Rights, Stat};

use super::SysResult;
use crate::memory::GuestMemory;

pub const FD_DATASYNC: u64 = 1 << 0;
pub const FD_READ: u64 = 1 << 1;
pub const FD_SEEK: u64 = 1 << 2;
pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
pub const FD_SYNC: u64 = 1 << 4;
pub const FD_TELL: u64 = 1 << 5;
pub const FD_WRITE: u64 = 1 << 6;
pub const FD_ADVISE: u64 = 1 << 7;
pub const FD_ALLOCATE: u64 = 1 << 8;
pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
pub const PATH_CREATE_FILE: u64 = 1 << 10;
pub const PATH_LINK_SOURCE: u64 = 1 << 11;
pub const PATH_LINK_TARGET: u64 = 1 << 12;
pub const PATH_OPEN: u64 = 1 << 13;
pub const FD_READDIR: u64 = 1 << 14;
pub const PATH_READLINK: u64 = 1 << 15;
pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
pub const PATH_RENAME_TARGET: u64 = 1 << 17;
pub const PATH_FILESTAT_GET: u64 = 1 << 18;
pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
pub const FD_FILESTAT_GET: u64 = 1 << 21;
pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
pub const PATH_SYMLINK: u64 = 1 << 24;
pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
pub const PATH_UNLINK_FILE: u64 = 1 << 26;
pub const POLL_FD_READWRITE: u64 = 1 << 27;

/// Every `path_*` right plus `fd_readdir`: what a directory allows.
const DIR_RIGHTS: u64 = PATH_CREATE_DIRECTORY
    | PATH_CREATE_FILE
    | PATH_LINK_SOURCE
    | PATH_LINK_TARGET
    | PATH_OPEN
    | FD_READDIR
    | PATH_READLINK
    | PATH_RENAME_SOURCE
    | PATH_RENAME_TARGET
    | PATH_FILESTAT_GET
    | PATH_FILESTAT_SET_SIZE
    | PATH_FILESTAT_SET_TIMES
    | PATH_SYMLINK
    | PATH_REMOVE_DIRECTORY
    | PATH_UNLINK_FILE
    | FD_FILESTAT_GET
    | FD_FILESTAT_SET_TIMES
    | FD_FDSTAT_SET_FLAGS
    | FD_SYNC
    | FD_DATASYNC;

const FILE_READ_RIGHTS: u64 = FD_READ | FD_SEEK | FD_TELL | FD_ADVISE | FD_FILESTAT_GET | POLL_FD_READWRITE;
const FILE_WRITE_RIGHTS: u64 = FD_WRITE | FD_DATASYNC | FD_SYNC | FD_ALLOCATE | FD_FILESTAT_SET_SIZE;
const FILE_COMMON_RIGHTS: u64 =
    FD_SEEK | FD_TELL | FD_ADVISE | FD_FILESTAT_GET | FD_FILESTAT_SET_TIMES | FD_FDSTAT_SET_FLAGS | POLL_FD_READWRITE;
const ALL_FILE_RIGHTS: u64 = FILE_READ_RIGHTS | FILE_WRITE_RIGHTS | FILE_COMMON_RIGHTS;

/// Whether `path_open`'s requested base rights ask for reading.
pub fn wants_read(base: u64) -> bool {
    base & (FD_READ | FD_READDIR) != 0
}

/// Whether `path_open`'s requested base rights ask for writing: only the
/// rights that imply it (`FD_WRITE`, `FD_ALLOCATE`). `FD_DATASYNC` does not
/// (a directory's own fdstat lists it, and reopening the directory with
/// those rights must work); nor does the set-size right alone (Go's wasip1
/// requests it for read-only opens); a description opened read-only refuses
/// both calls anyway (`EBADF`), so granting the open loses nothing.
pub fn wants_write(base: u64) -> bool {
    base & (FD_WRITE | FD_ALLOCATE) != 0
}

/// The preview1 `filetype` byte.
pub fn filetype(kind: FileType) -> u8 {
    match kind {
        FileType::Unknown | FileType::Fifo => 0,
        FileType::BlockDevice => 1,
        FileType::CharDevice => 2,
        FileType::Directory => 3,
        FileType::RegularFile => 4,
        FileType::SocketDgram => 5,
        FileType::SocketStream => 6,
        FileType::Symlink => 7,
    }
}

/// (base, inheriting) rights an fd reports: what its description allows,
/// narrowed by the fd's own rights.
pub fn rights_of_fd(file: &OpenFile, rights: Rights) -> (u64, u64) {
    let (base, inheriting) = rights_of(file);
    (base & rights.base, inheriting & rights.inheriting)
}

/// (base, inheriting) rights an open description allows.
pub fn rights_of(file: &OpenFile) -> (u64, u64) {
    if file.is_dir() {
        return (DIR_RIGHTS, DIR_RIGHTS | ALL_FILE_RIGHTS);
    }
    let mut base = FD_FILESTAT_GET | FD_FDSTAT_SET_FLAGS | POLL_FD_READWRITE;
    if file.is_seekable() {
        base |= FILE_COMMON_RIGHTS;
    }
    if file.can_read() {
        base |= FD_READ;
    }
    if file.can_write() {
        base |= FD_WRITE | FD_DATASYNC | FD_SYNC;
        if file.is_seekable() {
            base |= FD_ALLOCATE | FD_FILESTAT_SET_SIZE;
        }
    }
    (base, 0)
}

/// Writes a preview1 `filestat` (64 bytes) at `out`.
pub fn write_filestat(mem: &mut GuestMemory<'_>, out: u32, stat: &Stat) -> SysResult<()> {
    let mut raw = [0u8; 64];
    raw[0..8].copy_from_slice(&stat.dev.to_le_bytes());
    raw[8..16].copy_from_slice(&stat.ino.to_le_bytes());
    raw[16] = filetype(stat.file_type);
    raw[24..32].copy_from_slice(&stat.nlink.to_le_bytes());
    raw[32..40].copy_from_slice(&stat.size.to_le_bytes());
    raw[40..48].copy_from_slice(&stat.atime.to_le_bytes());
    raw[48..56].copy_from_slice(&stat.mtime.to_le_bytes());
    raw[56..64].copy_from_slice(&stat.ctime.to_le_bytes());
    mem.write_bytes(out, &raw)?;
    Ok(())
}
