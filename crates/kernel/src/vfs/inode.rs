//! The in-memory inode table of one VFS: inodes, lazy materialization of
//! layer directories, quota accounting and mode-bit checks. Everything here
//! runs with the VFS lock held.

use crate::bytes::SharedBytes;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cred::Cred;
use crate::error::{KernelError, Result};
use crate::layer::{LayerDir, LayerNode, Meta, Stamp};
use crate::types::{FileType, Stat, Timestamp};
use crate::vfs::{Quota, Usage};

/// Inode number of the VM root directory.
pub(crate) const ROOT_INO: u64 = 1;
/// `Stat::dev` of every in-memory inode; host mounts get their own numbers.
pub(crate) const VFS_DEV: u64 = 1;
/// Link count past which `link_at` fails, as ext4 does.
const MAX_LINKS: u64 = 65_000;

/// Read, write and search/execute bits as they appear in the "other" triple.
pub(crate) const MAY_READ: u32 = 4;
pub(crate) const MAY_WRITE: u32 = 2;
pub(crate) const MAY_EXEC: u32 = 1;
/// The sticky bit: in a directory, only owners may remove or rename entries.
const STICKY: u32 = 0o1000;

/// The devices `Vfs::new` creates under `/dev`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeviceKind {
    Null,
    Zero,
    Full,
    Urandom,
    Random,
    Stdin,
    Stdout,
    Stderr,
    /// `/dev/fd/N`: the opener's fd `N`.
    Fd(u8),
}

impl DeviceKind {
    /// For `/dev/stdin`, `/dev/stdout`, `/dev/stderr` and `/dev/fd/N` (Linux's
    /// magic links to the opener's fds): the fd (0, 1, 2, N) they stand for.
    pub(crate) fn opener_fd(self) -> Option<u32> {
        match self {
            DeviceKind::Stdin => Some(0),
            DeviceKind::Stdout => Some(1),
            DeviceKind::Stderr => Some(2),
            DeviceKind::Fd(n) => Some(u32::from(n)),
            DeviceKind::Null | DeviceKind::Zero | DeviceKind::Full | DeviceKind::Urandom | DeviceKind::Random => None,
        }
    }
}

/// File bytes: shared with a layer until the first change, then owned (and
/// charged to the quota).
#[derive(Debug)]
pub(crate) enum Contents {
    Shared(SharedBytes),
    Owned(Vec<u8>),
}

impl Contents {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Contents::Shared(bytes) => bytes,
            Contents::Owned(bytes) => bytes,
        }
    }
}

/// A directory: its entries once materialized, plus what is still pending
/// from the layers below.
#[derive(Debug)]
pub(crate) struct DirData {
    pub(crate) entries: BTreeMap<String, u64>,
    /// The directory holding this one (the root holds itself).
    pub(crate) parent: u64,
    /// Layer directories (lowest first) whose entries have not been turned
    /// into inodes yet; emptied by [`State::materialize`].
    pub(crate) pending: Vec<Arc<LayerDir>>,
    /// Index of the host mount attached here, if any.
    pub(crate) mount: Option<usize>,
}

/// What an inode is.
#[derive(Debug)]
pub(crate) enum Body {
    File(Contents),
    Dir(DirData),
    Symlink(String),
    Device(DeviceKind),
}

/// One in-memory inode.
#[derive(Debug)]
pub(crate) struct Inode {
    pub(crate) mode: u32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) atime: Timestamp,
    pub(crate) mtime: Timestamp,
    pub(crate) ctime: Timestamp,
    /// Names pointing here (a directory in the tree counts 1, removed 0).
    pub(crate) links: u64,
    /// Open descriptions pointing here; the inode outlives its last name
    /// until these are gone.
    pub(crate) opens: u64,
    /// Whether the inode counts against the inode quota (guest-created).
    pub(crate) counted: bool,
    /// Bytes of this inode currently charged to the byte quota.
    pub(crate) charged: u64,
    /// Hard links made by the VM beyond an inode's first name: each is a
    /// name the VM created, charged to the inode quota like a new inode.
    pub(crate) charged_links: u64,
    pub(crate) body: Body,
}

impl Inode {
    pub(crate) fn file_type(&self) -> FileType {
        match self.body {
            Body::File(_) => FileType::RegularFile,
            Body::Dir(_) => FileType::Directory,
            Body::Symlink(_) => FileType::Symlink,
            Body::Device(_) => FileType::CharDevice,
        }
    }

    pub(crate) fn dir(&self) -> Result<&DirData> {
        match &self.body {
            Body::Dir(dir) => Ok(dir),
            Body::File(_) | Body::Symlink(_) | Body::Device(_) => Err(KernelError::NotDir),
        }
    }

    pub(crate) fn dir_mut(&mut self) -> Result<&mut DirData> {
        match &mut self.body {
            Body::Dir(dir) => Ok(dir),
            Body::File(_) | Body::Symlink(_) | Body::Device(_) => Err(KernelError::NotDir),
        }
    }

    pub(crate) fn is_dir(&self) -> bool {
        matches!(self.body, Body::Dir(_))
    }

    /// Whether `cred` may access this inode as `want` (a mask of `MAY_*`).
    /// Root bypasses read and write, and search on directories.
    pub(crate) fn permits(&self, cred: &Cred, want: u32) -> bool {
        mode_permits(cred, self.mode, self.uid, self.gid, self.is_dir(), want)
    }

    /// `permits`, as an `AccessDenied` error.
    pub(crate) fn check(&self, cred: &Cred, want: u32) -> Result<()> {
        if self.permits(cred, want) { Ok(()) } else { Err(KernelError::AccessDenied) }
    }

    /// Owner or root: who may chmod or set explicit times.
    pub(crate) fn owned_by(&self, cred: &Cred) -> bool {
        cred.is_root() || cred.uid == self.uid
    }
}

/// Everything behind the VFS lock.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) inodes: HashMap<u64, Inode>,
    next_ino: u64,
    pub(crate) usage: Usage,
    pub(crate) quota: Quota,
    pub(crate) real_time: bool,
}

impl State {
    /// A table holding only the root directory, over `layers` (lowest first).
    pub(crate) fn new(layers: Vec<Arc<LayerDir>>, quota: Quota, real_time: bool) -> State {
        let mut state =
            State { inodes: HashMap::new(), next_ino: ROOT_INO + 1, usage: Usage::default(), quota, real_time };
        let now = state.now();
        let root = DirData { entries: BTreeMap::new(), parent: ROOT_INO, pending: layers, mount: None };
        state.inodes.insert(ROOT_INO, new_inode(Meta::root(0o755), now, Body::Dir(root)));
        state
    }

    /// The time to stamp on a change: 0 unless the clock was granted.
    pub(crate) fn now(&self) -> Timestamp {
        if !self.real_time {
            return 0;
        }
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()
            .and_then(|since| u64::try_from(since.as_nanos()).ok())
            .unwrap_or(0)
    }

    pub(crate) fn get(&self, ino: u64) -> Result<&Inode> {
        self.inodes.get(&ino).ok_or(KernelError::NotFound)
    }

    pub(crate) fn get_mut(&mut self, ino: u64) -> Result<&mut Inode> {
        self.inodes.get_mut(&ino).ok_or(KernelError::NotFound)
    }

    /// Adds an inode with one link. Guest-created inodes (`counted`) are
    /// charged to the inode quota and their `charged` bytes to the byte quota.
    pub(crate) fn alloc(&mut self, meta: Meta, body: Body, counted: bool) -> Result<u64> {
        let bytes = match &body {
            Body::Symlink(target) if counted => target.len() as u64,
            Body::File(Contents::Owned(bytes)) => bytes.len() as u64,
            Body::File(Contents::Shared(_)) | Body::Symlink(_) | Body::Dir(_) | Body::Device(_) => 0,
        };
        if counted && self.usage.inodes >= self.quota.max_inodes {
            return Err(KernelError::NoSpace);
        }
        self.reserve_bytes(bytes)?;
        let now = self.now();
        let mut inode = new_inode(meta, now, body);
        inode.counted = counted;
        inode.charged = bytes;
        let ino = self.insert(inode)?;
        if counted {
            self.usage.inodes += 1;
        }
        self.usage.bytes += bytes;
        Ok(ino)
    }

    /// Adds an inode for a layer's node, charging nothing: a host's layer
    /// is not the VM's, and a snapshot's nodes were charged, all of them,
    /// when the VM booted over it (`setup`). The node's stamp says what
    /// share of that charge is its own, to give back when it goes.
    fn alloc_layer_node(&mut self, meta: Meta, body: Body, stamp: Stamp) -> Result<u64> {
        let now = stamp.mtime.unwrap_or_else(|| self.now());
        let mut inode = new_inode(meta, now, body);
        inode.counted = stamp.counted;
        inode.charged = stamp.bytes;
        self.insert(inode)
    }

    fn insert(&mut self, inode: Inode) -> Result<u64> {
        let ino = self.next_ino;
        self.next_ino = self.next_ino.checked_add(1).ok_or(KernelError::NoSpace)?;
        self.inodes.insert(ino, inode);
        Ok(ino)
    }

    /// Fails with `NoSpace` unless `extra` more bytes fit in the quota.
    fn reserve_bytes(&self, extra: u64) -> Result<()> {
        match self.usage.bytes.checked_add(extra) {
            Some(total) if total <= self.quota.max_bytes => Ok(()),
            Some(_) | None => Err(KernelError::NoSpace),
        }
    }

    /// Frees `ino` once it has neither a name nor an open description,
    /// returning its quota.
    pub(crate) fn release_if_unused(&mut self, ino: u64) {
        let unused = self.inodes.get(&ino).is_some_and(|inode| inode.links == 0 && inode.opens == 0);
        if !unused || ino == ROOT_INO {
            return;
        }
        if let Some(inode) = self.inodes.remove(&ino) {
            self.usage.bytes = self.usage.bytes.saturating_sub(inode.charged);
            let names = inode.charged_links + u64::from(inode.counted);
            self.usage.inodes = self.usage.inodes.saturating_sub(names);
        }
    }

    /// Drops one open description of `ino` (the `Drop` of an open file).
    pub(crate) fn close(&mut self, ino: u64) {
        if let Some(inode) = self.inodes.get_mut(&ino) {
            inode.opens = inode.opens.saturating_sub(1);
        }
        self.release_if_unused(ino);
    }

    /// Turns the pending layer entries of directory `ino` into inodes. Runs
    /// once per directory, on first look; higher layers win on a name, and a
    /// directory present in several layers merges them.
    pub(crate) fn materialize(&mut self, ino: u64) -> Result<()> {
        let pending = std::mem::take(&mut self.get_mut(ino)?.dir_mut()?.pending);
        if pending.is_empty() {
            return Ok(());
        }
        let mut merged: BTreeMap<&str, Merged<'_>> = BTreeMap::new();
        for layer in &pending {
            if layer.opaque {
                merged.clear();
            }
            for (name, node) in &layer.entries {
                match (node, merged.get_mut(name.as_str())) {
                    (LayerNode::Dir(dir), Some(Merged::Dirs(dirs))) => dirs.push(dir.clone()),
                    (LayerNode::Dir(dir), Some(Merged::Leaf(_)) | None) => {
                        merged.insert(name, Merged::Dirs(vec![dir.clone()]));
                    }
                    (LayerNode::File { .. } | LayerNode::Symlink { .. }, _) => {
                        merged.insert(name, Merged::Leaf(node));
                    }
                }
            }
        }
        for (name, entry) in merged {
            if self.get(ino)?.dir()?.entries.contains_key(name) {
                continue;
            }
            let child = match entry {
                Merged::Leaf(LayerNode::File { contents, meta, stamp }) => {
                    self.alloc_layer_node(*meta, Body::File(Contents::Shared(contents.clone())), *stamp)?
                }
                Merged::Leaf(LayerNode::Symlink { target, meta, stamp }) => {
                    self.alloc_layer_node(*meta, Body::Symlink(target.clone()), *stamp)?
                }
                Merged::Leaf(LayerNode::Dir(dir)) => self.alloc_layer_dir(ino, vec![dir.clone()])?,
                Merged::Dirs(dirs) => self.alloc_layer_dir(ino, dirs)?,
            };
            self.get_mut(ino)?.dir_mut()?.entries.insert(name.to_owned(), child);
        }
        Ok(())
    }

    fn alloc_layer_dir(&mut self, parent: u64, dirs: Vec<Arc<LayerDir>>) -> Result<u64> {
        let meta = dirs.iter().rev().find_map(|dir| dir.meta).unwrap_or(Meta::root(0o755));
        let stamp = dirs.last().map(|dir| dir.stamp).unwrap_or_default();
        let data = DirData { entries: BTreeMap::new(), parent, pending: dirs, mount: None };
        self.alloc_layer_node(meta, Body::Dir(data), stamp)
    }

    /// The inode named `name` in directory `dir`, materializing it first.
    pub(crate) fn lookup(&mut self, dir: u64, name: &str) -> Result<Option<u64>> {
        self.materialize(dir)?;
        Ok(self.get(dir)?.dir()?.entries.get(name).copied())
    }

    /// Inserts a new name in `dir`, refusing one in a removed directory.
    pub(crate) fn link_into(&mut self, dir: u64, name: &str, child: u64) -> Result<()> {
        self.materialize(dir)?;
        let now = self.now();
        let parent = self.get_mut(dir)?;
        if parent.links == 0 {
            return Err(KernelError::NotFound);
        }
        parent.mtime = now;
        parent.ctime = now;
        parent.dir_mut()?.entries.insert(name.to_owned(), child);
        if let Body::Dir(data) = &mut self.get_mut(child)?.body {
            data.parent = dir;
        }
        Ok(())
    }

    /// Removes the name `name` from `dir` and drops one link of its inode.
    pub(crate) fn unlink_name(&mut self, dir: u64, name: &str) -> Result<()> {
        let now = self.now();
        let parent = self.get_mut(dir)?;
        parent.mtime = now;
        parent.ctime = now;
        let child = parent.dir_mut()?.entries.remove(name).ok_or(KernelError::NotFound)?;
        let inode = self.get_mut(child)?;
        inode.ctime = now;
        inode.links = if inode.is_dir() { 0 } else { inode.links.saturating_sub(1) };
        // Removing any one name of several gives one charged link back.
        let uncharged = inode.charged_links > 0;
        if uncharged {
            inode.charged_links -= 1;
            self.usage.inodes = self.usage.inodes.saturating_sub(1);
        }
        self.release_if_unused(child);
        Ok(())
    }

    /// Adds a hard link to `ino`, charging the new name to the inode quota
    /// (`NoSpace` past it): names cost host memory as inodes do.
    pub(crate) fn add_link(&mut self, ino: u64) -> Result<()> {
        let now = self.now();
        if self.usage.inodes >= self.quota.max_inodes {
            return Err(KernelError::NoSpace);
        }
        let inode = self.get_mut(ino)?;
        if inode.links >= MAX_LINKS {
            return Err(KernelError::TooManyLinks);
        }
        inode.links += 1;
        inode.charged_links += 1;
        inode.ctime = now;
        self.usage.inodes += 1;
        Ok(())
    }

    /// Undoes [`State::add_link`] when the new name could not be made.
    pub(crate) fn drop_link(&mut self, ino: u64) -> Result<()> {
        let inode = self.get_mut(ino)?;
        inode.links = inode.links.saturating_sub(1);
        if inode.charged_links > 0 {
            inode.charged_links -= 1;
            self.usage.inodes = self.usage.inodes.saturating_sub(1);
        }
        Ok(())
    }

    /// Whether `cred` may remove or replace `child` in `dir`: w+x on the
    /// directory, and with the sticky bit, ownership of the entry or the directory.
    pub(crate) fn check_remove(&self, cred: &Cred, dir: u64, child: u64) -> Result<()> {
        let parent = self.get(dir)?;
        parent.check(cred, MAY_WRITE | MAY_EXEC)?;
        let owner_of_child = self.get(child)?.uid == cred.uid;
        if parent.mode & STICKY != 0 && !cred.is_root() && !owner_of_child && parent.uid != cred.uid {
            return Err(KernelError::NotPermitted);
        }
        Ok(())
    }

    /// Resizes a regular file to `len`, copying shared bytes up first and
    /// charging growth to the quota (`NoSpace` when it does not fit, so no
    /// file outgrows `max_bytes`). Nothing changes on failure.
    pub(crate) fn resize_file(&mut self, ino: u64, len: u64) -> Result<()> {
        if i64::try_from(len).is_err() {
            return Err(KernelError::FileTooBig);
        }
        let new_len = usize::try_from(len).map_err(|_| KernelError::FileTooBig)?;
        let charged = self.get(ino)?.charged;
        self.reserve_bytes(len.saturating_sub(charged))?;
        let now = self.now();
        let inode = self.get_mut(ino)?;
        let bytes = owned_bytes(inode)?;
        bytes.resize(new_len, 0);
        inode.charged = len;
        inode.mtime = now;
        inode.ctime = now;
        self.usage.bytes = self.usage.bytes.saturating_sub(charged).saturating_add(len);
        Ok(())
    }

    /// Writes `data` at `offset` in a regular file, zero-filling a gap. All
    /// or nothing: a write that does not fit the quota changes nothing.
    pub(crate) fn write_file(&mut self, ino: u64, offset: u64, data: &[u8]) -> Result<usize> {
        if data.is_empty() {
            // POSIX: a zero-length write changes nothing, wherever it points.
            self.file_len(ino)?;
            return Ok(0);
        }
        let end = offset.checked_add(data.len() as u64).ok_or(KernelError::FileTooBig)?;
        let size = self.file_len(ino)?;
        if end > size || matches!(self.get(ino)?.body, Body::File(Contents::Shared(_))) {
            self.resize_file(ino, end.max(size))?;
        }
        let start = usize::try_from(offset).map_err(|_| KernelError::FileTooBig)?;
        let now = self.now();
        let inode = self.get_mut(ino)?;
        let bytes = owned_bytes(inode)?;
        let target = bytes.get_mut(start..start + data.len()).ok_or(KernelError::Io)?;
        target.copy_from_slice(data);
        inode.mtime = now;
        inode.ctime = now;
        Ok(data.len())
    }

    /// Reads from a regular file at `offset`; past the end reads nothing.
    pub(crate) fn read_file(&self, ino: u64, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let bytes = match &self.get(ino)?.body {
            Body::File(contents) => contents.bytes(),
            Body::Dir(_) => return Err(KernelError::IsDir),
            Body::Symlink(_) | Body::Device(_) => return Err(KernelError::Invalid),
        };
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        let available = bytes.get(start..).unwrap_or(&[]);
        let count = available.len().min(buf.len());
        buf[..count].copy_from_slice(&available[..count]);
        Ok(count)
    }

    pub(crate) fn file_len(&self, ino: u64) -> Result<u64> {
        match &self.get(ino)?.body {
            Body::File(contents) => Ok(contents.bytes().len() as u64),
            Body::Dir(_) => Err(KernelError::IsDir),
            Body::Symlink(_) | Body::Device(_) => Err(KernelError::Invalid),
        }
    }

    /// `stat` of an in-memory inode.
    pub(crate) fn stat(&self, ino: u64) -> Result<Stat> {
        let inode = self.get(ino)?;
        let (size, nlink) = match &inode.body {
            Body::File(contents) => (contents.bytes().len() as u64, inode.links),
            Body::Dir(_) => (4096, if inode.links == 0 { 0 } else { 2 }),
            Body::Symlink(target) => (target.len() as u64, inode.links),
            Body::Device(_) => (0, inode.links),
        };
        Ok(Stat {
            dev: VFS_DEV,
            ino,
            file_type: inode.file_type(),
            nlink,
            size,
            atime: inode.atime,
            mtime: inode.mtime,
            ctime: inode.ctime,
            mode: inode.mode & 0o7777,
            uid: inode.uid,
            gid: inode.gid,
        })
    }

    /// Whether `ancestor` is `dir` or one of the directories above it.
    pub(crate) fn is_ancestor(&self, ancestor: u64, mut dir: u64) -> Result<bool> {
        loop {
            if dir == ancestor {
                return Ok(true);
            }
            let parent = self.get(dir)?.dir()?.parent;
            if parent == dir {
                return Ok(false);
            }
            dir = parent;
        }
    }
}

/// One name of a directory being materialized.
enum Merged<'a> {
    Leaf(&'a LayerNode),
    Dirs(Vec<Arc<LayerDir>>),
}

/// Whether `cred` may access a file with these mode bits and owners as
/// `want` (a mask of `MAY_*`). Root bypasses read and write, and search on
/// directories, but executing a file needs at least one x bit even for root.
pub(crate) fn mode_permits(cred: &Cred, mode: u32, uid: u32, gid: u32, is_dir: bool, want: u32) -> bool {
    if cred.is_root() {
        return want & MAY_EXEC == 0 || is_dir || mode & 0o111 != 0;
    }
    let bits = if cred.uid == uid {
        mode >> 6
    } else if cred.in_group(gid) {
        mode >> 3
    } else {
        mode
    };
    bits & want & 0o7 == want
}

fn new_inode(meta: Meta, now: Timestamp, body: Body) -> Inode {
    Inode {
        mode: meta.mode & 0o7777,
        uid: meta.uid,
        gid: meta.gid,
        atime: now,
        mtime: now,
        ctime: now,
        links: 1,
        opens: 0,
        counted: false,
        charged: 0,
        charged_links: 0,
        body,
    }
}

/// The owned bytes of a regular file, copying shared layer bytes up. The
/// caller has charged the quota for the copy.
fn owned_bytes(inode: &mut Inode) -> Result<&mut Vec<u8>> {
    match &mut inode.body {
        Body::File(contents) => {
            if let Contents::Shared(shared) = contents {
                *contents = Contents::Owned(shared.to_vec());
            }
            match contents {
                Contents::Owned(bytes) => Ok(bytes),
                Contents::Shared(_) => Err(KernelError::Io),
            }
        }
        Body::Dir(_) => Err(KernelError::IsDir),
        Body::Symlink(_) | Body::Device(_) => Err(KernelError::Invalid),
    }
}
