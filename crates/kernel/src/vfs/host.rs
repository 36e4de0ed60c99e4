//! Host mounts: the operations the VFS performs through a mount's
//! `cap_std::fs::Dir`. Paths given here come from the resolver, already free
//! of `.`, `..` and symlinks, so the host only ever sees plain relative names.

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, SystemTimeSpec};
use cap_std::fs::{FileTypeExt, Metadata, MetadataExt, OpenOptions, OpenOptionsExt};

use crate::error::{KernelError, Result};
use crate::types::{DirEntry, FileType, OpenOptions as KernelOpenOptions, SetTime, Stat};
use crate::vfs::resolve::host_path;
use crate::vfs::{MountEntry, Vfs};

/// Owner reported for every host file: the VM's default user.
pub(crate) const HOST_UID: u32 = 1000;
/// Group reported for every host file.
pub(crate) const HOST_GID: u32 = 1000;

/// `stat` of a host file as the guest sees it: the mount's device number, the
/// default user as owner, and times hidden unless the clock was granted.
pub(crate) fn stat(vfs: &Vfs, mount: usize, meta: &Metadata) -> Stat {
    let dev = vfs.mount(mount).map_or(0, |entry| entry.dev);
    let time = |secs: i64, nsecs: i64| {
        if !vfs.real_time {
            return 0;
        }
        let secs = u64::try_from(secs).unwrap_or(0);
        let nsecs = u64::try_from(nsecs).unwrap_or(0);
        secs.saturating_mul(1_000_000_000).saturating_add(nsecs)
    };
    Stat {
        dev,
        ino: meta.ino(),
        file_type: file_type(&meta.file_type()),
        nlink: meta.nlink(),
        size: meta.len(),
        atime: time(meta.atime(), meta.atime_nsec()),
        mtime: time(meta.mtime(), meta.mtime_nsec()),
        ctime: time(meta.ctime(), meta.ctime_nsec()),
        mode: meta.mode() & 0o7777,
        uid: HOST_UID,
        gid: HOST_GID,
    }
}

/// The kernel's name for a host file type.
pub(crate) fn file_type(kind: &cap_std::fs::FileType) -> FileType {
    if kind.is_dir() {
        FileType::Directory
    } else if kind.is_file() {
        FileType::RegularFile
    } else if kind.is_symlink() {
        FileType::Symlink
    } else if kind.is_char_device() {
        FileType::CharDevice
    } else if kind.is_block_device() {
        FileType::BlockDevice
    } else if kind.is_fifo() {
        FileType::Fifo
    } else if kind.is_socket() {
        FileType::SocketStream
    } else {
        FileType::Unknown
    }
}

/// The mount, or `ReadOnly` if it is read-only: the first check of every write.
pub(crate) fn writable(vfs: &Vfs, mount: usize) -> Result<&MountEntry> {
    let entry = vfs.mount(mount)?;
    if entry.read_only { Err(KernelError::ReadOnly) } else { Ok(entry) }
}

/// Sets times of a host path; `follow` false changes a symlink itself.
pub(crate) fn set_times(
    vfs: &Vfs,
    mount: usize,
    path: &Path,
    follow: bool,
    atime: SetTime,
    mtime: SetTime,
) -> Result<()> {
    let entry = writable(vfs, mount)?;
    let (atime, mtime) = (time_spec(atime), time_spec(mtime));
    if follow {
        entry.dir.set_times(host_path(path), atime, mtime)?;
    } else {
        entry.dir.set_symlink_times(host_path(path), atime, mtime)?;
    }
    Ok(())
}

fn time_spec(time: SetTime) -> Option<SystemTimeSpec> {
    match time {
        SetTime::Keep => None,
        SetTime::Now => Some(SystemTimeSpec::SymbolicNow),
        SetTime::At(nanos) => {
            let at = UNIX_EPOCH.checked_add(Duration::from_nanos(nanos))?;
            Some(SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(at)))
        }
    }
}

/// Entries of a host directory: `.`, `..`, then the rest sorted by name.
/// Names that are not UTF-8 are shown lossily (they cannot be opened).
pub(crate) fn readdir(vfs: &Vfs, mount: usize, path: &Path, dir: &cap_std::fs::Dir) -> Result<Vec<DirEntry>> {
    let entry = vfs.mount(mount)?;
    let here = dir.dir_metadata()?.ino();
    let parent = match path.parent() {
        Some(parent) => entry.dir.symlink_metadata(host_path(parent))?.ino(),
        None => vfs.lock().get(entry.point)?.dir()?.parent,
    };
    let mut named = Vec::new();
    for item in dir.entries()? {
        let item = item?;
        let name = item.file_name().to_string_lossy().into_owned();
        let meta = item.metadata()?;
        named.push((name, meta.ino(), file_type(&meta.file_type())));
    }
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let dots = [(".".to_owned(), here, FileType::Directory), ("..".to_owned(), parent, FileType::Directory)];
    Ok(dots
        .into_iter()
        .chain(named)
        .zip(1u64..)
        .map(|((name, ino, file_type), next_cookie)| DirEntry { next_cookie, ino, file_type, name })
        .collect())
}

/// Opens an existing host file (not a directory) without following a final symlink.
pub(crate) fn open_file(entry: &MountEntry, path: &Path, opts: &KernelOpenOptions) -> Result<cap_std::fs::File> {
    let mut options = OpenOptions::new();
    options.read(opts.read || !opts.write).write(opts.write || opts.truncate).truncate(opts.truncate);
    options.follow(FollowSymlinks::No);
    Ok(entry.dir.open_with(host_path(path), &options)?)
}

/// Creates a new host file exclusively with `mode`.
pub(crate) fn create_file(entry: &MountEntry, path: &Path, opts: &KernelOpenOptions) -> Result<cap_std::fs::File> {
    let mut options = OpenOptions::new();
    options.read(opts.read).write(true).create_new(true).mode(opts.mode & 0o7777);
    options.follow(FollowSymlinks::No);
    Ok(entry.dir.open_with(path, &options)?)
}
