//! Host mounts: the operations the VFS performs through a mount's
//! `cap_std::fs::Dir`. Paths given here come from the resolver, already free
//! of `.`, `..` and symlinks, so the host only ever sees plain relative names.
//!
//! What a guest may do to the host through a mount is narrower than what it
//! may do to its own files, because the host's own tools use these files
//! after the VM is gone:
//! - only regular files, directories and symlinks are ever opened: a FIFO or
//!   socket gives `NoDevice` (ENXIO), a device `AccessDenied` (EACCES), and
//!   nothing the guest does can make an open block (every open is
//!   non-blocking and re-checked on the opened file);
//! - modes keep the permission bits (`0o777`) only: setuid, setgid and sticky
//!   bits are never set on the host, by `chmod` or at creation, and the
//!   mount's root keeps its mode;
//! - a symlink the guest creates (or moves, or links) must stay inside the
//!   mount as the host would resolve it: an absolute target, or one whose
//!   `..` climbs above the mount's root, is `NotPermitted` (EPERM), as in
//!   cap-std and wasmtime;
//! - every open host file or directory holds one slot of the VM's host-fd
//!   budget.

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
        // A detached mount's root has no parent in the VM: `..` is itself.
        None => match entry.point {
            Some(point) => vfs.lock().get(point)?.dir()?.parent,
            None => here,
        },
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

/// The only mode bits a guest may give a host file: no setuid, setgid or sticky bit.
pub(crate) const HOST_MODE_BITS: u32 = 0o777;

/// Flags of every host open: never block (a FIFO would), never become the
/// host's controlling terminal.
fn open_flags() -> i32 {
    // The flags' values are small positive numbers: the cast cannot wrap.
    (rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32
}

/// `Ok` for a kind of host file a guest may open; the errno for the others.
pub(crate) fn check_openable(kind: &cap_std::fs::FileType) -> Result<()> {
    if kind.is_file() || kind.is_dir() {
        Ok(())
    } else if kind.is_fifo() || kind.is_socket() {
        Err(KernelError::NoDevice)
    } else {
        Err(KernelError::AccessDenied)
    }
}

/// Opens an existing regular host file without following a final symlink.
/// The kind is checked on the opened file itself, so a file swapped for a
/// FIFO after the caller looked at it is refused, never waited on.
pub(crate) fn open_file(entry: &MountEntry, path: &Path, opts: &KernelOpenOptions) -> Result<cap_std::fs::File> {
    let mut options = OpenOptions::new();
    options.read(opts.read || !opts.write).write(opts.write || opts.truncate).truncate(opts.truncate);
    options.follow(FollowSymlinks::No).custom_flags(open_flags());
    let file = entry.dir.open_with(host_path(path), &options)?;
    // O_NONBLOCK stays set: it changes nothing for a regular file.
    let kind = file.metadata()?.file_type();
    check_openable(&kind)?;
    if kind.is_dir() {
        return Err(KernelError::IsDir);
    }
    Ok(file)
}

/// Creates a new host file exclusively with `mode`'s permission bits.
pub(crate) fn create_file(entry: &MountEntry, path: &Path, opts: &KernelOpenOptions) -> Result<cap_std::fs::File> {
    let mut options = OpenOptions::new();
    options.read(opts.read).write(true).create_new(true).mode(opts.mode & HOST_MODE_BITS);
    options.follow(FollowSymlinks::No).custom_flags(open_flags());
    Ok(entry.dir.open_with(path, &options)?)
}

/// Checks that a symlink at `link` (a path inside the mount, free of
/// symlinks) holding `target` can never lead the host out of the mount: the
/// target is relative, and its `..` components come first and climb no
/// higher than the mount's root. With `..` only as a leading run, the climb
/// passes through real directories only, and everything after it descends;
/// a symlink met on the way down obeys the same rule from where it stands,
/// so no chain of guest-made links escapes either. (A moved directory can
/// change where its links stand: see [`check_moved_links`].)
///
/// # Errors
/// `NotPermitted` (EPERM) for an absolute target, one that climbs above the
/// mount's root, or one with `..` after a name.
pub(crate) fn check_link_target(link: &Path, target: &str) -> Result<()> {
    if target.starts_with('/') {
        return Err(KernelError::NotPermitted);
    }
    // How deep below the mount's root the directory holding the link is.
    let mut depth = link.parent().map_or(0, |dir| dir.components().count());
    let mut descended = false;
    for component in target.split('/') {
        match component {
            "" | "." => {}
            ".." if descended => return Err(KernelError::NotPermitted),
            ".." => depth = depth.checked_sub(1).ok_or(KernelError::NotPermitted)?,
            _ => descended = true,
        }
    }
    Ok(())
}

/// Most entries [`check_moved_links`] looks at before it gives up.
const MOVED_LINKS_SCAN: usize = 10_000;

/// Checks that every symlink under directory `from` still obeys
/// [`check_link_target`] once the directory is renamed to `to` (only a move
/// closer to the mount's root can break one). Refuses with `CrossDevice`
/// (EXDEV), on which `mv` copies instead, when one would escape or the tree
/// is too large to check.
pub(crate) fn check_moved_links(entry: &MountEntry, from: &Path, to: &Path) -> Result<()> {
    if to.components().count() >= from.components().count() {
        return Ok(());
    }
    let mut pending = vec![std::path::PathBuf::new()];
    let mut seen = 0usize;
    while let Some(relative) = pending.pop() {
        let dir = entry.dir.open_dir_nofollow(from.join(&relative))?;
        for item in dir.entries()? {
            let item = item?;
            seen += 1;
            if seen > MOVED_LINKS_SCAN {
                return Err(KernelError::CrossDevice);
            }
            let name = relative.join(item.file_name());
            let kind = item.file_type()?;
            if kind.is_dir() {
                pending.push(name);
            } else if kind.is_symlink() {
                let target = entry.dir.read_link_contents(from.join(&name))?;
                let target = target.to_str().ok_or(KernelError::CrossDevice)?;
                check_link_target(&to.join(&name), target).map_err(|_| KernelError::CrossDevice)?;
            }
        }
    }
    Ok(())
}

/// The target of the host symlink at `path`, if `path` is one.
pub(crate) fn link_target(entry: &MountEntry, path: &Path) -> Result<Option<String>> {
    if !entry.dir.symlink_metadata(host_path(path))?.is_symlink() {
        return Ok(None);
    }
    let target = entry.dir.read_link_contents(path)?;
    target.into_os_string().into_string().map(Some).map_err(|_| KernelError::IllegalSequence)
}
