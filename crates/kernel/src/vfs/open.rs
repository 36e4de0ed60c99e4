//! `open_at`: resolving the last component the way `open(2)` does (create,
//! exclusive, follow or not, trailing slash), then building the description.

use std::sync::Arc;

use crate::cred::Cred;
use crate::error::{KernelError, Result};
use crate::file::{FileKind, HostDirHandle, HostFileHandle, NodeClass, OpenFile};
use crate::layer::Meta;
use crate::types::{FileType, OpenOptions, StatusFlags};
use crate::vfs::inode::{Body, Contents, DeviceKind, MAY_EXEC, MAY_READ, MAY_WRITE, State};
use crate::vfs::resolve::{Child, Last, Loc, Walk, host_path};
use cap_fs_ext::DirExt as _;

use crate::vfs::{Vfs, host};

pub(super) fn open_at(
    vfs: &Arc<Vfs>,
    cred: &Cred,
    dir: &OpenFile,
    path: &str,
    opts: OpenOptions,
) -> Result<Arc<OpenFile>> {
    let base = dir.base_loc(vfs)?;
    let mut st = vfs.lock();
    let mut walk = Walk::new(vfs, cred, base, path)?;
    loop {
        let name = match walk.walk_to_last(&mut st)? {
            Last::Here | Last::Up if opts.create => return Err(KernelError::IsDir),
            Last::Here => return open_existing(vfs, &mut st, cred, &walk.top(), &opts),
            Last::Up => {
                walk.up()?;
                return open_existing(vfs, &mut st, cred, &walk.top(), &opts);
            }
            Last::Name(name) => name,
        };
        if opts.create && walk.trailing_slash {
            return Err(KernelError::IsDir);
        }
        let parent = walk.top();
        match walk.lookup(&mut st, &parent, &name)? {
            Child::Missing if opts.create => {
                if opts.directory {
                    return Err(KernelError::Invalid);
                }
                return create(vfs, &mut st, cred, &parent, &name, &opts);
            }
            Child::Missing => return Err(KernelError::NotFound),
            Child::Symlink { .. } if opts.create && opts.exclusive => {
                return Err(KernelError::Exists);
            }
            Child::Symlink { target, .. } if opts.follow || walk.trailing_slash => walk.follow(&target)?,
            Child::Symlink { .. } if opts.directory => return Err(KernelError::NotDir),
            Child::Symlink { .. } => return Err(KernelError::Loop),
            Child::Dir(_) | Child::Other(_) if opts.create && opts.exclusive => {
                return Err(KernelError::Exists);
            }
            Child::Other(_) if walk.trailing_slash => return Err(KernelError::NotDir),
            Child::Dir(loc) | Child::Other(loc) => {
                return open_existing(vfs, &mut st, cred, &loc, &opts);
            }
        }
    }
}

fn status_flags(opts: &OpenOptions) -> StatusFlags {
    StatusFlags { append: opts.append, nonblock: opts.nonblock, ..StatusFlags::default() }
}

fn open_existing(vfs: &Arc<Vfs>, st: &mut State, cred: &Cred, loc: &Loc, opts: &OpenOptions) -> Result<Arc<OpenFile>> {
    let wants_write = opts.write || opts.truncate;
    match loc {
        Loc::Vfs(ino) => {
            let inode = st.get(*ino)?;
            let class = match &inode.body {
                Body::Dir(_) => NodeClass::Dir,
                Body::File(_) => NodeClass::File,
                Body::Device(device) => NodeClass::Device(*device),
                Body::Symlink(_) => return Err(KernelError::Loop),
            };
            match class {
                NodeClass::Dir if wants_write || opts.create => return Err(KernelError::IsDir),
                NodeClass::File | NodeClass::Device(_) if opts.directory => {
                    return Err(KernelError::NotDir);
                }
                NodeClass::Device(DeviceKind::Urandom | DeviceKind::Random) if !vfs.entropy() => {
                    return Err(KernelError::AccessDenied);
                }
                NodeClass::Dir | NodeClass::File | NodeClass::Device(_) => {}
            }
            let want = if opts.read { MAY_READ } else { 0 } | if wants_write { MAY_WRITE } else { 0 };
            inode.check(cred, want)?;
            if opts.truncate && class == NodeClass::File {
                st.resize_file(*ino, 0)?;
            }
            st.get_mut(*ino)?.opens += 1;
            Ok(OpenFile::node(vfs.clone(), *ino, class, opts.read, opts.write, status_flags(opts)))
        }
        Loc::Host { mount, path } => {
            let entry = if wants_write { host::writable(vfs, *mount)? } else { vfs.mount(*mount)? };
            let meta = entry.dir.symlink_metadata(host_path(path))?;
            if meta.is_dir() {
                if wants_write || opts.create {
                    return Err(KernelError::IsDir);
                }
                let slot = vfs.host_fd()?;
                let dir = entry.dir.open_dir_nofollow(host_path(path))?;
                let handle = HostDirHandle { vfs: vfs.clone(), mount: *mount, path: path.clone(), dir, _slot: slot };
                return Ok(OpenFile::new(FileKind::HostDir(handle), opts.read, false, status_flags(opts)));
            }
            if meta.is_symlink() {
                return Err(KernelError::Loop);
            }
            if opts.directory {
                return Err(KernelError::NotDir);
            }
            host::check_openable(&meta.file_type())?;
            let slot = vfs.host_fd()?;
            let file = host::open_file(entry, path, opts)?;
            let handle = HostFileHandle {
                vfs: vfs.clone(),
                mount: *mount,
                path: path.clone(),
                file,
                file_type: FileType::RegularFile,
                _slot: slot,
            };
            Ok(OpenFile::new(FileKind::HostFile(handle), opts.read, opts.write, status_flags(opts)))
        }
    }
}

fn create(
    vfs: &Arc<Vfs>,
    st: &mut State,
    cred: &Cred,
    parent: &Loc,
    name: &str,
    opts: &OpenOptions,
) -> Result<Arc<OpenFile>> {
    match parent {
        Loc::Vfs(dir) => {
            st.get(*dir)?.check(cred, MAY_WRITE | MAY_EXEC)?;
            if st.get(*dir)?.links == 0 {
                return Err(KernelError::NotFound);
            }
            let meta = Meta { mode: opts.mode & 0o7777, uid: cred.uid, gid: cred.gid };
            let ino = st.alloc(meta, Body::File(Contents::Owned(Vec::new())), true)?;
            if let Err(err) = st.link_into(*dir, name, ino) {
                st.get_mut(ino)?.links = 0;
                st.release_if_unused(ino);
                return Err(err);
            }
            st.get_mut(ino)?.opens += 1;
            Ok(OpenFile::node(vfs.clone(), ino, NodeClass::File, opts.read, opts.write, status_flags(opts)))
        }
        Loc::Host { mount, path } => {
            let entry = host::writable(vfs, *mount)?;
            let path = path.join(name);
            let slot = vfs.host_fd()?;
            let file = host::create_file(entry, &path, opts)?;
            let handle = HostFileHandle {
                vfs: vfs.clone(),
                mount: *mount,
                path,
                file,
                file_type: FileType::RegularFile,
                _slot: slot,
            };
            Ok(OpenFile::new(FileKind::HostFile(handle), opts.read, opts.write, status_flags(opts)))
        }
    }
}

/// The root of host mount `index`, as [`Vfs::open_mount`] gives it.
pub(super) fn open_mount_root(vfs: &Arc<Vfs>, index: usize) -> Result<Arc<OpenFile>> {
    let entry = vfs.mount(index)?;
    let slot = vfs.host_fd()?;
    let dir = entry.dir.try_clone()?;
    let handle = HostDirHandle { vfs: vfs.clone(), mount: index, path: std::path::PathBuf::new(), dir, _slot: slot };
    Ok(OpenFile::new(FileKind::HostDir(handle), true, false, StatusFlags::default()))
}
