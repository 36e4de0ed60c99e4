//! The path operations other than `open_at`: stat, times, mkdir, rmdir,
//! unlink, link, symlink, readlink, rename, chmod and chown. Each resolves with
//! the VFS lock held, so it is atomic with respect to every other operation.

use std::collections::BTreeMap;

use cap_std::fs::{DirBuilder, DirBuilderExt, Permissions, PermissionsExt};

use crate::cred::Cred;
use crate::error::{KernelError, Result};
use crate::file::OpenFile;
use crate::layer::Meta;
use crate::types::{DirEntry, FileType, SetTime, Stat};
use crate::vfs::host::{self, HOST_GID, HOST_UID};
use crate::vfs::inode::{Body, DirData, MAY_EXEC, MAY_WRITE, State};
use crate::vfs::resolve::{Child, Last, Loc, Walk, host_path, validate_path};
use crate::vfs::{PathStat, Vfs};

impl Vfs {
    fn walk<'a>(&'a self, cred: &'a Cred, dir: &OpenFile, path: &str) -> Result<Walk<'a>> {
        Walk::new(self, cred, dir.base_loc(self)?, path)
    }

    fn stat_loc(&self, st: &State, loc: &Loc) -> Result<Stat> {
        match loc {
            Loc::Vfs(ino) => st.stat(*ino),
            Loc::Host { mount, path } => {
                let meta = self.mount(*mount)?.dir.symlink_metadata(host_path(path))?;
                Ok(host::stat(self, *mount, &meta))
            }
        }
    }

    pub(super) fn stat_at_impl(&self, cred: &Cred, dir: &OpenFile, path: &str, follow: bool) -> Result<Stat> {
        let mut walk = self.walk(cred, dir, path)?;
        let mut st = self.lock();
        let loc = walk.resolve(&mut st, follow)?;
        self.stat_loc(&st, &loc)
    }

    /// The stat of `path`, or, when it names `/dev/stdin`, `/dev/stdout`,
    /// `/dev/stderr` or `/dev/fd/N`, the opener's fd it stands for — one
    /// resolution either way.
    pub(super) fn stat_or_opener_fd_at_impl(
        &self,
        cred: &Cred,
        dir: &OpenFile,
        path: &str,
        follow: bool,
    ) -> Result<PathStat> {
        let mut walk = self.walk(cred, dir, path)?;
        let mut st = self.lock();
        let loc = walk.resolve(&mut st, follow)?;
        if let Loc::Vfs(ino) = &loc
            && let Body::Device(device) = &st.get(*ino)?.body
            && let Some(fd) = device.opener_fd()
        {
            return Ok(PathStat::OpenerFd(fd));
        }
        Ok(PathStat::Stat(self.stat_loc(&st, &loc)?))
    }

    pub(super) fn set_times_at_impl(
        &self,
        cred: &Cred,
        dir: &OpenFile,
        path: &str,
        follow: bool,
        atime: SetTime,
        mtime: SetTime,
    ) -> Result<()> {
        let mut walk = self.walk(cred, dir, path)?;
        let mut st = self.lock();
        match walk.resolve(&mut st, follow)? {
            Loc::Vfs(ino) => {
                let inode = st.get(ino)?;
                if !inode.owned_by(cred) {
                    let explicit = matches!(atime, SetTime::At(_)) || matches!(mtime, SetTime::At(_));
                    if explicit {
                        return Err(KernelError::NotPermitted);
                    }
                    inode.check(cred, MAY_WRITE)?;
                }
                st.set_times(ino, atime, mtime)
            }
            Loc::Host { mount, path } => host::set_times(self, mount, &path, follow, atime, mtime),
        }
    }

    pub(super) fn mkdir_at_impl(&self, cred: &Cred, dir: &OpenFile, path: &str, mode: u32) -> Result<()> {
        let mut walk = self.walk(cred, dir, path)?;
        let mut st = self.lock();
        let Last::Name(name) = walk.walk_to_last(&mut st)? else {
            return Err(KernelError::Exists);
        };
        let parent = walk.top();
        if !matches!(walk.lookup(&mut st, &parent, &name)?, Child::Missing) {
            return Err(KernelError::Exists);
        }
        match parent {
            Loc::Vfs(dir) => {
                let data = DirData { entries: BTreeMap::new(), parent: dir, pending: Vec::new(), mount: None };
                st.create_node(cred, dir, &name, mode, Body::Dir(data)).map(drop)
            }
            Loc::Host { mount, path } => {
                let mut builder = DirBuilder::new();
                builder.mode(mode & host::HOST_MODE_BITS);
                Ok(host::writable(self, mount)?.dir.create_dir_with(path.join(&name), &builder)?)
            }
        }
    }

    pub(super) fn rmdir_at_impl(&self, cred: &Cred, dir: &OpenFile, path: &str) -> Result<()> {
        let mut walk = self.walk(cred, dir, path)?;
        let mut st = self.lock();
        let name = match walk.walk_to_last(&mut st)? {
            Last::Here => return Err(KernelError::Invalid),
            Last::Up => return Err(KernelError::NotEmpty),
            Last::Name(name) => name,
        };
        let parent = walk.top();
        let loc = match walk.lookup(&mut st, &parent, &name)? {
            Child::Missing => return Err(KernelError::NotFound),
            Child::Symlink { .. } | Child::Other(_) => return Err(KernelError::NotDir),
            Child::Dir(loc) => loc,
        };
        match (parent, loc) {
            (Loc::Vfs(_), Loc::Host { .. }) => Err(KernelError::Busy),
            (Loc::Vfs(dir), Loc::Vfs(child)) => {
                st.materialize(child)?;
                if !st.get(child)?.dir()?.entries.is_empty() {
                    return Err(KernelError::NotEmpty);
                }
                st.check_remove(cred, dir, child)?;
                st.unlink_name(dir, &name)
            }
            (Loc::Host { mount, .. }, Loc::Host { path, .. }) => {
                Ok(host::writable(self, mount)?.dir.remove_dir(path)?)
            }
            (Loc::Host { .. }, Loc::Vfs(_)) => Err(KernelError::Io),
        }
    }

    pub(super) fn unlink_at_impl(&self, cred: &Cred, dir: &OpenFile, path: &str) -> Result<()> {
        let mut walk = self.walk(cred, dir, path)?;
        let mut st = self.lock();
        let Last::Name(name) = walk.walk_to_last(&mut st)? else {
            return Err(KernelError::IsDir);
        };
        let parent = walk.top();
        let loc = match walk.lookup(&mut st, &parent, &name)? {
            Child::Missing => return Err(KernelError::NotFound),
            Child::Dir(_) => return Err(KernelError::IsDir),
            Child::Symlink { loc, .. } | Child::Other(loc) => loc,
        };
        if walk.trailing_slash {
            return Err(KernelError::NotDir);
        }
        match (parent, loc) {
            (Loc::Vfs(dir), Loc::Vfs(child)) => {
                st.check_remove(cred, dir, child)?;
                st.unlink_name(dir, &name)
            }
            (Loc::Host { mount, .. }, Loc::Host { path, .. }) => {
                Ok(host::writable(self, mount)?.dir.remove_file(path)?)
            }
            (Loc::Vfs(_), Loc::Host { .. }) | (Loc::Host { .. }, Loc::Vfs(_)) => Err(KernelError::Io),
        }
    }

    pub(super) fn link_at_impl(
        &self,
        cred: &Cred,
        old_dir: &OpenFile,
        old_path: &str,
        follow: bool,
        new_dir: &OpenFile,
        new_path: &str,
    ) -> Result<()> {
        let mut old_walk = self.walk(cred, old_dir, old_path)?;
        let mut walk = self.walk(cred, new_dir, new_path)?;
        let mut st = self.lock();
        let old = old_walk.resolve(&mut st, follow)?;
        let old_is_dir = match &old {
            Loc::Vfs(ino) => st.get(*ino)?.is_dir(),
            Loc::Host { mount, path } => self.mount(*mount)?.dir.symlink_metadata(host_path(path))?.is_dir(),
        };
        if old_is_dir {
            return Err(KernelError::NotPermitted);
        }
        let Last::Name(name) = walk.walk_to_last(&mut st)? else {
            return Err(KernelError::Exists);
        };
        let parent = walk.top();
        new_name_free(&mut walk, &mut st, &parent, &name)?;
        match (old, parent) {
            (Loc::Vfs(ino), Loc::Vfs(dir)) => {
                st.get(dir)?.check(cred, MAY_WRITE | MAY_EXEC)?;
                st.add_link(ino)?;
                if let Err(err) = st.link_into(dir, &name, ino) {
                    st.drop_link(ino)?;
                    return Err(err);
                }
                Ok(())
            }
            (Loc::Host { mount, path: old_path }, Loc::Host { mount: new_mount, path }) if mount == new_mount => {
                let entry = host::writable(self, mount)?;
                let new_path = path.join(&name);
                // A second name for a symlink is a symlink standing elsewhere.
                if let Some(target) = host::link_target(entry, &old_path)? {
                    host::check_link_target(&new_path, &target)?;
                }
                Ok(entry.dir.hard_link(old_path, &entry.dir, new_path)?)
            }
            (Loc::Vfs(_) | Loc::Host { .. }, Loc::Vfs(_) | Loc::Host { .. }) => Err(KernelError::CrossDevice),
        }
    }

    pub(super) fn symlink_at_impl(&self, cred: &Cred, target: &str, dir: &OpenFile, path: &str) -> Result<()> {
        validate_path(target)?;
        let mut walk = self.walk(cred, dir, path)?;
        let mut st = self.lock();
        let Last::Name(name) = walk.walk_to_last(&mut st)? else {
            return Err(KernelError::Exists);
        };
        let parent = walk.top();
        new_name_free(&mut walk, &mut st, &parent, &name)?;
        match parent {
            Loc::Vfs(dir) => st.create_node(cred, dir, &name, 0o777, Body::Symlink(target.to_owned())).map(drop),
            Loc::Host { mount, path } => {
                let entry = host::writable(self, mount)?;
                let link = path.join(&name);
                host::check_link_target(&link, target)?;
                Ok(entry.dir.symlink_contents(target, link)?)
            }
        }
    }

    pub(super) fn readlink_at_impl(&self, cred: &Cred, dir: &OpenFile, path: &str) -> Result<String> {
        let mut walk = self.walk(cred, dir, path)?;
        let mut st = self.lock();
        match walk.resolve(&mut st, false)? {
            Loc::Vfs(ino) => match &st.get(ino)?.body {
                Body::Symlink(target) => Ok(target.clone()),
                Body::File(_) | Body::Dir(_) | Body::Device(_) => Err(KernelError::Invalid),
            },
            Loc::Host { mount, path } => {
                let dir = &self.mount(mount)?.dir;
                if !dir.symlink_metadata(host_path(&path))?.is_symlink() {
                    return Err(KernelError::Invalid);
                }
                let target = dir.read_link_contents(&path)?;
                target.into_os_string().into_string().map_err(|_| KernelError::IllegalSequence)
            }
        }
    }

    pub(super) fn rename_at_impl(
        &self,
        cred: &Cred,
        old_dir: &OpenFile,
        old_path: &str,
        new_dir: &OpenFile,
        new_path: &str,
    ) -> Result<()> {
        let mut old_walk = self.walk(cred, old_dir, old_path)?;
        let mut new_walk = self.walk(cred, new_dir, new_path)?;
        let mut st = self.lock();
        let Last::Name(old_name) = old_walk.walk_to_last(&mut st)? else {
            return Err(KernelError::Busy);
        };
        let old_parent = old_walk.top();
        let (old, old_is_dir) = match old_walk.lookup(&mut st, &old_parent, &old_name)? {
            Child::Missing => return Err(KernelError::NotFound),
            Child::Dir(loc) => (loc, true),
            Child::Symlink { loc, .. } | Child::Other(loc) => (loc, false),
        };
        let Last::Name(new_name) = new_walk.walk_to_last(&mut st)? else {
            return Err(KernelError::Busy);
        };
        let new_parent = new_walk.top();
        if old.is_mount_root() {
            return Err(KernelError::Busy);
        }
        if !old_is_dir && (old_walk.trailing_slash || new_walk.trailing_slash) {
            return Err(KernelError::NotDir);
        }
        let existing = match new_walk.lookup(&mut st, &new_parent, &new_name)? {
            Child::Missing => None,
            Child::Dir(loc) | Child::Symlink { loc, .. } | Child::Other(loc) => Some(loc),
        };
        if existing.as_ref().is_some_and(Loc::is_mount_root) {
            return Err(KernelError::Busy);
        }
        match (old_parent, new_parent, old) {
            (Loc::Vfs(old_dir), Loc::Vfs(new_dir), Loc::Vfs(ino)) => {
                let existing = match existing {
                    Some(Loc::Vfs(target)) => Some(target),
                    Some(Loc::Host { .. }) => return Err(KernelError::Busy),
                    None => None,
                };
                let rename = Rename { old_dir, old_name, new_dir, new_name, ino, old_is_dir, existing };
                st.rename(cred, rename)
            }
            (Loc::Host { mount, .. }, Loc::Host { mount: new_mount, path }, Loc::Host { path: old_path, .. })
                if mount == new_mount =>
            {
                let entry = host::writable(self, mount)?;
                let new_path = path.join(&new_name);
                // Whatever is moved must not become, or hold, a link that
                // leads the host out of the mount from its new place.
                if old_is_dir {
                    host::check_moved_links(entry, &old_path, &new_path)?;
                } else if let Some(target) = host::link_target(entry, &old_path)? {
                    host::check_link_target(&new_path, &target)?;
                }
                Ok(entry.dir.rename(old_path, &entry.dir, new_path)?)
            }
            (Loc::Vfs(_) | Loc::Host { .. }, Loc::Vfs(_) | Loc::Host { .. }, Loc::Vfs(_) | Loc::Host { .. }) => {
                Err(KernelError::CrossDevice)
            }
        }
    }

    pub(super) fn set_mode_at_impl(
        &self,
        cred: &Cred,
        dir: &OpenFile,
        path: &str,
        follow: bool,
        mode: u32,
    ) -> Result<()> {
        let mut walk = self.walk(cred, dir, path)?;
        let mut st = self.lock();
        match walk.resolve(&mut st, follow)? {
            Loc::Vfs(ino) => {
                let now = st.now();
                let inode = st.get_mut(ino)?;
                if matches!(inode.body, Body::Symlink(_)) {
                    return Err(KernelError::NotSupported);
                }
                if !inode.owned_by(cred) {
                    return Err(KernelError::NotPermitted);
                }
                inode.mode = mode & 0o7777;
                inode.ctime = now;
                Ok(())
            }
            Loc::Host { mount, path } => {
                let entry = host::writable(self, mount)?;
                // The mount's root is the host's directory, not the VM's.
                if path.as_os_str().is_empty() {
                    return Err(KernelError::NotPermitted);
                }
                if !cred.is_root() && cred.uid != HOST_UID {
                    return Err(KernelError::NotPermitted);
                }
                if entry.dir.symlink_metadata(&path)?.is_symlink() {
                    return Err(KernelError::NotSupported);
                }
                let bits = Permissions::from_mode(mode & host::HOST_MODE_BITS);
                Ok(entry.dir.set_permissions(&path, bits)?)
            }
        }
    }

    pub(super) fn set_owner_at_impl(
        &self,
        cred: &Cred,
        dir: &OpenFile,
        path: &str,
        follow: bool,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<()> {
        let mut walk = self.walk(cred, dir, path)?;
        let mut st = self.lock();
        match walk.resolve(&mut st, follow)? {
            Loc::Vfs(ino) => {
                let now = st.now();
                let inode = st.get_mut(ino)?;
                if !cred.is_root() {
                    let uid_ok = uid.is_none_or(|uid| uid == inode.uid);
                    let gid_ok = gid.is_none_or(|gid| gid == inode.gid || cred.in_group(gid));
                    if cred.uid != inode.uid || !uid_ok || !gid_ok {
                        return Err(KernelError::NotPermitted);
                    }
                }
                inode.uid = uid.unwrap_or(inode.uid);
                inode.gid = gid.unwrap_or(inode.gid);
                inode.ctime = now;
                Ok(())
            }
            Loc::Host { mount, .. } => {
                host::writable(self, mount)?;
                // Host ownership cannot change; asking for what it already shows is a no-op.
                if uid.is_none_or(|uid| uid == HOST_UID) && gid.is_none_or(|gid| gid == HOST_GID) {
                    Ok(())
                } else {
                    Err(KernelError::NotPermitted)
                }
            }
        }
    }
}

/// A rename between two in-memory directories, checked by [`State::rename`].
struct Rename {
    old_dir: u64,
    old_name: String,
    new_dir: u64,
    new_name: String,
    ino: u64,
    old_is_dir: bool,
    existing: Option<u64>,
}

impl State {
    /// Creates a guest-owned inode named `name` in `dir` (w+x needed on `dir`).
    pub(crate) fn create_node(&mut self, cred: &Cred, dir: u64, name: &str, mode: u32, body: Body) -> Result<u64> {
        let parent = self.get(dir)?;
        parent.check(cred, MAY_WRITE | MAY_EXEC)?;
        if parent.links == 0 {
            return Err(KernelError::NotFound);
        }
        let ino = self.alloc(Meta { mode: mode & 0o7777, uid: cred.uid, gid: cred.gid }, body, true)?;
        if let Err(err) = self.link_into(dir, name, ino) {
            self.get_mut(ino)?.links = 0;
            self.release_if_unused(ino);
            return Err(err);
        }
        Ok(ino)
    }

    /// Sets the times of an inode (permission already checked).
    pub(crate) fn set_times(&mut self, ino: u64, atime: SetTime, mtime: SetTime) -> Result<()> {
        let now = self.now();
        let inode = self.get_mut(ino)?;
        let pick = |time: SetTime, current| match time {
            SetTime::Keep => current,
            SetTime::Now => now,
            SetTime::At(at) => at,
        };
        inode.atime = pick(atime, inode.atime);
        inode.mtime = pick(mtime, inode.mtime);
        inode.ctime = now;
        Ok(())
    }

    /// Entries of directory `ino`: `.`, `..`, then the rest by name.
    pub(crate) fn readdir(&mut self, ino: u64) -> Result<Vec<DirEntry>> {
        self.materialize(ino)?;
        let dir = self.get(ino)?.dir()?;
        let mut entries = Vec::with_capacity(dir.entries.len() + 2);
        entries.push((".", ino, FileType::Directory));
        entries.push(("..", dir.parent, FileType::Directory));
        for (name, child) in &dir.entries {
            entries.push((name.as_str(), *child, self.get(*child)?.file_type()));
        }
        let entries = entries
            .into_iter()
            .zip(1u64..)
            .map(|((name, ino, file_type), next_cookie)| DirEntry {
                next_cookie,
                ino,
                file_type,
                name: name.to_owned(),
            })
            .collect();
        Ok(entries)
    }

    fn rename(&mut self, cred: &Cred, op: Rename) -> Result<()> {
        if op.existing == Some(op.ino) {
            return Ok(());
        }
        self.check_remove(cred, op.old_dir, op.ino)?;
        self.get(op.new_dir)?.check(cred, MAY_WRITE | MAY_EXEC)?;
        if let Some(target) = op.existing {
            let target_is_dir = self.get(target)?.is_dir();
            match (op.old_is_dir, target_is_dir) {
                (true, false) => return Err(KernelError::NotDir),
                (false, true) => return Err(KernelError::IsDir),
                (true, true) => {
                    self.materialize(target)?;
                    if !self.get(target)?.dir()?.entries.is_empty() {
                        return Err(KernelError::NotEmpty);
                    }
                }
                (false, false) => {}
            }
            self.check_remove(cred, op.new_dir, target)?;
        }
        if op.old_is_dir && self.is_ancestor(op.ino, op.new_dir)? {
            return Err(KernelError::Invalid);
        }
        if self.get(op.new_dir)?.links == 0 {
            return Err(KernelError::NotFound);
        }
        if op.existing.is_some() {
            self.unlink_name(op.new_dir, &op.new_name)?;
        }
        let now = self.now();
        let old_dir = self.get_mut(op.old_dir)?;
        old_dir.mtime = now;
        old_dir.ctime = now;
        old_dir.dir_mut()?.entries.remove(&op.old_name);
        self.link_into(op.new_dir, &op.new_name, op.ino)?;
        self.get_mut(op.ino)?.ctime = now;
        Ok(())
    }
}

/// Checks that `name` in `parent` is free for a new link or symlink, with
/// Linux's errors for a trailing slash: `NotDir` on an existing non-directory,
/// `Exists` on anything else that exists, `NotFound` if nothing is there.
fn new_name_free(walk: &mut Walk<'_>, st: &mut State, parent: &Loc, name: &str) -> Result<()> {
    match walk.lookup(st, parent, name)? {
        Child::Missing if walk.trailing_slash => Err(KernelError::NotFound),
        Child::Missing => Ok(()),
        Child::Symlink { .. } | Child::Other(_) if walk.trailing_slash => Err(KernelError::NotDir),
        Child::Dir(_) | Child::Symlink { .. } | Child::Other(_) => Err(KernelError::Exists),
    }
}
