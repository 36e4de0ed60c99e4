//! Preview1 rights, file types and the stat layout. capsa does not keep
//! rights per fd: access is decided by how a description was opened (read,
//! write) and by the kernel's checks. The rights reported by `fd_fdstat_get`
//! are derived from that, so libc's checks (e.g. `isatty`) see the truth.

use capsa_kernel::{FileType, OpenFile, Stat};

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
pub const FD_READDIR: u64 = 1 << 14;
pub const FD_FILESTAT_GET: u64 = 1 << 21;
pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
pub const POLL_FD_READWRITE: u64 = 1 << 27;

/// Every `path_*` right plus `fd_readdir`: what a directory allows.
const DIR_RIGHTS: u64 = (1 << 9) // path_create_directory
    | (1 << 10) // path_create_file
    | (1 << 11) // path_link_source
    | (1 << 12) // path_link_target
    | (1 << 13) // path_open
    | FD_READDIR
    | (1 << 15) // path_readlink
    | (1 << 16) // path_rename_source
    | (1 << 17) // path_rename_target
    | (1 << 18) // path_filestat_get
    | (1 << 19) // path_filestat_set_size
    | (1 << 20) // path_filestat_set_times
    | (1 << 24) // path_symlink
    | (1 << 25) // path_remove_directory
    | (1 << 26) // path_unlink_file
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

/// Whether `path_open`'s requested base rights ask for writing. The
/// set-size right alone does not: Go's wasip1 requests it for read-only
/// opens, and a description opened read-only refuses `fd_filestat_set_size`
/// anyway (EBADF), so granting the open loses nothing.
pub fn wants_write(base: u64) -> bool {
    base & (FD_WRITE | FD_DATASYNC | FD_ALLOCATE) != 0
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

/// (base, inheriting) rights reported for an open description.
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
