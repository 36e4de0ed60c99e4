//! A reference model of the VFS: a tree of names over nodes (file bytes,
//! directories, symlink targets, devices), written from POSIX/Linux semantics
//! and the guest ABI (`docs/abi.md`), not from the kernel's code.
//!
//! What the model asserts, per operation, is an [`Expect`]: success with a
//! value, or failure with one of a *set* of errors. Where several error
//! conditions hold at once POSIX does not fix which one is reported (and Linux
//! and the kernel order their checks differently), so the set holds every
//! condition that applies at the step that fails; a path walk is sequential
//! and yields one error. Parts that are not modelled exactly, and why:
//!
//! - **Host mount** (`/ro`, read-only): reads are modelled exactly (the tree is
//!   fixed); every operation that would change it must fail, with any error
//!   ([`Expect::AnyErr`]): the kernel and Linux order EROFS/EXDEV/EEXIST
//!   differently, and what matters is that nothing changes (the harness also
//!   compares the host directory with a snapshot). Host files carry no
//!   permission checks inside the VM (the kernel leaves them to the host).
//! - **Trailing slashes**: modelled (Linux: the target must be a directory, a
//!   final symlink is followed; `unlink("f/")` is ENOTDIR; creating `"x/"` with
//!   `open(O_CREAT)` is EISDIR). For link/symlink onto an existing
//!   non-directory with a trailing slash both EEXIST and ENOTDIR are accepted.
//! - **Sticky bit**: modelled (only the owner of the entry or of the directory,
//!   or root, may remove or replace an entry).
//! - **Directory nlink and size**: not asserted (the kernel reports 2 and
//!   4096; Linux reports 2 + subdirectories); only "0 once removed".
//! - **Moving a directory to a new parent** without write permission on the
//!   directory itself: Linux refuses (EACCES), POSIX allows either; both accepted.
//! - **`O_CREAT|O_DIRECTORY`**: EINVAL when the name is missing (as the ABI's
//!   wasmtime lineage does); Linux ≥ 6.4 refuses the combination up front.
//! - **setgid directories, protected_hardlinks, chown**: not generated.
//! - **Timestamps**: the VM has no clock grant, so every time must read 0.

use std::collections::{BTreeMap, VecDeque};

use capsa_kernel::{Cred, FileType, KernelError as E};

/// A node of the model; never reused.
pub type Id = u64;
/// The VM root.
pub const ROOT: Id = 1;
/// `Stat::dev` of the in-memory tree and of the (only) host mount.
pub const VFS_DEV: u64 = 1;
pub const MOUNT_DEV: u64 = 2;
/// Symlinks followed in one resolution before ELOOP.
const SYMLINK_BUDGET: u32 = 40;

const R: u32 = 4;
const W: u32 = 2;
const X: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Null,
    Zero,
    Full,
    Urandom,
    Random,
    Stdin,
    Stdout,
    Stderr,
    /// `/dev/fd/N`.
    Fd(u8),
}

impl Device {
    pub const ALL: [(&'static str, Device); 8] = [
        ("null", Device::Null),
        ("zero", Device::Zero),
        ("full", Device::Full),
        ("urandom", Device::Urandom),
        ("random", Device::Random),
        ("stdin", Device::Stdin),
        ("stdout", Device::Stdout),
        ("stderr", Device::Stderr),
    ];

    /// pread/pwrite work on these (they are "seekable"); the others are streams.
    fn seekable(self) -> bool {
        matches!(self, Device::Null | Device::Zero | Device::Full)
    }
}

#[derive(Debug, Clone)]
pub enum Body {
    /// `owned`: the bytes belong to the VM (created or written by it) and are
    /// charged to the quota; otherwise they are still shared with a layer.
    File {
        data: Vec<u8>,
        owned: bool,
    },
    Dir {
        entries: BTreeMap<String, Id>,
        parent: Id,
    },
    Symlink(String),
    Device(Device),
}

/// What the host reports for a node of the host mount.
#[derive(Debug, Clone, Copy)]
pub struct HostMeta {
    pub nlink: u64,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub body: Body,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Names pointing here (a directory in the tree: 1; removed: 0).
    pub links: u64,
    /// Open handles.
    pub opens: u64,
    /// Created by the guest: counts against the inode quota.
    pub counted: bool,
    /// Hard links the guest made beyond a first name: each counts against
    /// the inode quota too, and removing any name gives one back.
    pub charged_links: u64,
    pub host: Option<HostMeta>,
}

impl Node {
    fn is_dir(&self) -> bool {
        matches!(self.body, Body::Dir { .. })
    }

    fn file_type(&self) -> FileType {
        match self.body {
            Body::File { .. } => FileType::RegularFile,
            Body::Dir { .. } => FileType::Directory,
            Body::Symlink(_) => FileType::Symlink,
            Body::Device(_) => FileType::CharDevice,
        }
    }

    /// Bytes charged to the quota.
    fn charged(&self) -> u64 {
        match &self.body {
            Body::File { data, owned: true } => data.len() as u64,
            Body::Symlink(target) if self.counted => target.len() as u64,
            Body::File { .. } | Body::Symlink(_) | Body::Dir { .. } | Body::Device(_) => 0,
        }
    }
}

/// What an operation must do.
#[derive(Debug, Clone)]
pub enum Expect<T> {
    /// Succeed with this.
    Ok(T),
    /// Fail with one of these.
    Err(Vec<E>),
    /// Either (documented latitude, see the module doc).
    OkOrErr(T, Vec<E>),
    /// Fail, with any error (the reason is given).
    AnyErr(&'static str),
}

impl<T> Expect<T> {
    fn err(e: E) -> Self {
        Expect::Err(vec![e])
    }

    /// Failure with `bag` if it is not empty, else `ok`.
    fn bag_or(bag: Vec<E>, ok: T) -> Self {
        if bag.is_empty() { Expect::Ok(ok) } else { Expect::Err(bag) }
    }
}

/// The expected `stat` of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatView {
    pub id: Id,
    pub dev: u64,
    pub file_type: FileType,
    /// `None`: not compared (directories: see the module doc); for a removed
    /// directory `Some(0)`.
    pub nlink: Option<u64>,
    /// `None`: not compared (directories).
    pub size: Option<u64>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// One expected directory entry; `id` is `None` where the inode number is
/// not the node's (the mount point seen from its parent shows the
/// underlying directory) or not known (`..` of a removed directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryView {
    pub name: String,
    pub file_type: FileType,
    pub id: Option<(u64, Id)>,
}

/// A change the model applies when the kernel reports success.
#[derive(Debug, Clone)]
pub enum Mutation {
    Nothing,
    Create { parent: Id, name: String, mode: u32, uid: u32, gid: u32, body: Body },
    Unlink { parent: Id, name: String },
    Rename { old_parent: Id, old_name: String, new_parent: Id, new_name: String },
    Link { id: Id, parent: Id, name: String },
    Chmod { id: Id, mode: u32 },
    Truncate { id: Id, len: u64 },
    Write { id: Id, offset: u64, data: Vec<u8> },
}

/// What `open` does on success.
#[derive(Debug, Clone)]
pub struct OpenEffect {
    /// The node opened, or `None` when the open creates it (see `create`).
    pub existing: Option<Id>,
    pub create: Option<Mutation>,
    pub truncate: bool,
}

/// A handle as the model sees it.
#[derive(Debug, Clone, Copy)]
pub struct Handle {
    pub id: Id,
    pub readable: bool,
    pub writable: bool,
    pub append: bool,
}

/// How the last component of a path is named.
enum Last {
    Here,
    Up,
    Name(String),
}

/// A resolution in progress: the chain of directories walked (`..` pops it),
/// the components left, the symlink budget.
struct Walk {
    stack: Vec<Id>,
    root_mode: bool,
    queue: VecDeque<String>,
    trailing: bool,
    budget: u32,
}

impl Walk {
    fn top(&self) -> Id {
        *self.stack.last().unwrap_or(&ROOT)
    }

    fn up(&mut self) -> Result<(), E> {
        if self.stack.len() > 1 {
            self.stack.pop();
            Ok(())
        } else if self.root_mode {
            Ok(())
        } else {
            // Beneath a directory handle, `..` may not climb above it.
            Err(E::NotPermitted)
        }
    }

    fn follow(&mut self, target: &str) -> Result<(), E> {
        self.budget = self.budget.checked_sub(1).ok_or(E::Loop)?;
        if target.is_empty() {
            return Err(E::NotFound);
        }
        if target.starts_with('/') {
            if !self.root_mode {
                return Err(E::NotPermitted);
            }
            self.stack.truncate(1);
        }
        if self.queue.is_empty() && target.ends_with('/') {
            self.trailing = true;
        }
        for component in split(target).into_iter().rev() {
            self.queue.push_front(component);
        }
        Ok(())
    }
}

fn split(path: &str) -> VecDeque<String> {
    path.split('/').filter(|c| !c.is_empty()).map(str::to_owned).collect()
}

/// The model: live nodes by id and the quota.
#[derive(Debug, Clone)]
pub struct Model {
    pub nodes: BTreeMap<Id, Node>,
    next: Id,
    pub max_bytes: u64,
    pub max_inodes: u64,
}

/// One node of the host mount, as scanned at startup.
#[derive(Debug, Clone)]
pub struct HostNode {
    /// Path relative to the mount root (`""` for the root).
    pub path: String,
    pub body: Body,
    pub mode: u32,
    pub nlink: u64,
}

/// One node of the read-only layer: `(path, body, mode, uid)`.
pub type LayerNode = (&'static str, Body, u32, u32);

impl Model {
    /// The tree a fresh VFS shows: `/` (0755), `/dev` with its devices and
    /// `/dev/fd`, `/tmp`
    /// (1777), the layer's nodes, and the host mount at `/ro`.
    pub fn new(layer: &[LayerNode], host: &[HostNode], max_bytes: u64, max_inodes: u64) -> Model {
        let mut m = Model { nodes: BTreeMap::new(), next: ROOT + 1, max_bytes, max_inodes };
        m.nodes.insert(ROOT, plain(Body::Dir { entries: BTreeMap::new(), parent: ROOT }, 0o755, 0));
        let dev = m.add(ROOT, "dev", plain(Body::Dir { entries: BTreeMap::new(), parent: ROOT }, 0o755, 0));
        for (name, device) in Device::ALL {
            m.add(dev, name, plain(Body::Device(device), 0o666, 0));
        }
        // `/dev/fd/0` to `/dev/fd/63`, the opener's fds.
        let fd = m.add(dev, "fd", plain(Body::Dir { entries: BTreeMap::new(), parent: dev }, 0o755, 0));
        for n in 0..=63u8 {
            m.add(fd, &n.to_string(), plain(Body::Device(Device::Fd(n)), 0o666, 0));
        }
        m.add(ROOT, "tmp", plain(Body::Dir { entries: BTreeMap::new(), parent: ROOT }, 0o1777, 0));
        for (path, body, mode, uid) in layer {
            let (parent, name) = m.parent_of_path(path);
            let body = match body {
                Body::Dir { .. } => Body::Dir { entries: BTreeMap::new(), parent },
                other => other.clone(),
            };
            m.add(parent, name, plain(body, *mode, *uid));
        }
        for node in host {
            let full = format!("ro/{}", node.path);
            let (parent, name) = if node.path.is_empty() { (ROOT, "ro") } else { m.parent_of_path(&full) };
            let body = match &node.body {
                Body::Dir { .. } => Body::Dir { entries: BTreeMap::new(), parent },
                other => other.clone(),
            };
            let mut n = plain(body, node.mode, 1000);
            n.host = Some(HostMeta { nlink: node.nlink });
            m.add(parent, name, n);
        }
        m
    }

    fn parent_of_path<'p>(&self, path: &'p str) -> (Id, &'p str) {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let mut at = ROOT;
        for component in dir.split('/').filter(|c| !c.is_empty()) {
            at = self.entries(at).get(component).copied().expect("setup path");
        }
        (at, name)
    }

    fn add(&mut self, parent: Id, name: &str, node: Node) -> Id {
        let id = self.next;
        self.next += 1;
        self.nodes.insert(id, node);
        if let Body::Dir { entries, .. } = &mut self.node_mut(parent).body {
            entries.insert(name.to_owned(), id);
        }
        id
    }

    pub fn node(&self, id: Id) -> &Node {
        self.nodes.get(&id).expect("model node")
    }

    fn node_mut(&mut self, id: Id) -> &mut Node {
        self.nodes.get_mut(&id).expect("model node")
    }

    pub fn entries(&self, id: Id) -> &BTreeMap<String, Id> {
        match &self.node(id).body {
            Body::Dir { entries, .. } => entries,
            _ => panic!("not a directory"),
        }
    }

    fn parent(&self, id: Id) -> Id {
        match &self.node(id).body {
            Body::Dir { parent, .. } => *parent,
            _ => panic!("not a directory"),
        }
    }

    pub fn is_dir(&self, id: Id) -> bool {
        self.node(id).is_dir()
    }

    pub fn is_host(&self, id: Id) -> bool {
        self.node(id).host.is_some()
    }

    /// Quota use: `(bytes, inodes)`.
    pub fn usage(&self) -> (u64, u64) {
        let bytes = self.nodes.values().map(Node::charged).sum();
        let inodes = self.nodes.values().map(|n| u64::from(n.counted) + n.charged_links).sum();
        (bytes, inodes)
    }

    /// POSIX permission check; root bypasses read/write and directory search.
    /// Host files are not checked inside the VM.
    fn permits(&self, cred: &Cred, id: Id, want: u32) -> bool {
        let n = self.node(id);
        if n.host.is_some() {
            return true;
        }
        if cred.is_root() {
            return want & X == 0 || n.is_dir() || n.mode & 0o111 != 0;
        }
        let bits = if cred.uid == n.uid {
            n.mode >> 6
        } else if cred.in_group(n.gid) {
            n.mode >> 3
        } else {
            n.mode
        };
        bits & want & 7 == want
    }

    /// Whether the sticky bit of `dir` forbids `cred` removing `child`.
    fn sticky_denies(&self, cred: &Cred, dir: Id, child: Id) -> bool {
        let d = self.node(dir);
        d.mode & 0o1000 != 0 && !cred.is_root() && self.node(child).uid != cred.uid && d.uid != cred.uid
    }

    /// Errors that forbid `cred` removing (or replacing) `child` in `dir`.
    fn remove_denied(&self, cred: &Cred, dir: Id, child: Id) -> Vec<E> {
        let mut bag = Vec::new();
        if !self.permits(cred, dir, W | X) {
            bag.push(E::AccessDenied);
        }
        if self.sticky_denies(cred, dir, child) {
            bag.push(E::NotPermitted);
        }
        bag
    }

    /// Errors that forbid creating a new name in `dir`.
    fn create_denied(&self, cred: &Cred, dir: Id, new_inode: bool, bytes: u64) -> Vec<E> {
        let mut bag = Vec::new();
        if !self.permits(cred, dir, W | X) {
            bag.push(E::AccessDenied);
        }
        if self.node(dir).links == 0 {
            bag.push(E::NotFound);
        }
        let (used_bytes, used_inodes) = self.usage();
        if new_inode && used_inodes >= self.max_inodes {
            bag.push(E::NoSpace);
        }
        if used_bytes + bytes > self.max_bytes {
            bag.push(E::NoSpace);
        }
        bag
    }

    fn is_ancestor_or_self(&self, ancestor: Id, mut dir: Id) -> bool {
        loop {
            if dir == ancestor {
                return true;
            }
            let parent = self.parent(dir);
            if parent == dir {
                return false;
            }
            dir = parent;
        }
    }

    // ---- path resolution -------------------------------------------------

    fn begin(&self, base: Result<Id, E>, path: &str) -> Result<Walk, E> {
        let base = base?;
        if path.is_empty() {
            return Err(E::NotFound);
        }
        let root_mode = base == ROOT;
        if path.starts_with('/') && !root_mode {
            return Err(E::NotPermitted);
        }
        Ok(Walk {
            stack: vec![base],
            root_mode,
            queue: split(path),
            trailing: path.ends_with('/'),
            budget: SYMLINK_BUDGET,
        })
    }

    fn search(&self, cred: &Cred, dir: Id) -> Result<(), E> {
        if self.permits(cred, dir, X) { Ok(()) } else { Err(E::AccessDenied) }
    }

    fn lookup(&self, cred: &Cred, dir: Id, name: &str) -> Result<Option<Id>, E> {
        self.search(cred, dir)?;
        Ok(self.entries(dir).get(name).copied())
    }

    fn step(&self, w: &mut Walk, cred: &Cred, component: &str) -> Result<(), E> {
        match component {
            "." => self.search(cred, w.top()),
            ".." => {
                self.search(cred, w.top())?;
                w.up()
            }
            name => {
                let id = self.lookup(cred, w.top(), name)?.ok_or(E::NotFound)?;
                match &self.node(id).body {
                    Body::Dir { .. } => {
                        w.stack.push(id);
                        Ok(())
                    }
                    Body::Symlink(target) => w.follow(target),
                    Body::File { .. } | Body::Device(_) => Err(E::NotDir),
                }
            }
        }
    }

    /// Walks all components but the last (search permission is needed on the
    /// directory holding the last one, as Linux checks before every component).
    fn walk_to_last(&self, w: &mut Walk, cred: &Cred) -> Result<Last, E> {
        while w.queue.len() > 1 {
            let component = w.queue.pop_front().unwrap_or_default();
            self.step(w, cred, &component)?;
        }
        let last = match w.queue.pop_front() {
            None => Last::Here,
            Some(c) if c == "." => Last::Here,
            Some(c) if c == ".." && w.stack.len() <= 1 && !w.root_mode => return Err(E::NotPermitted),
            Some(c) if c == ".." => Last::Up,
            Some(c) => Last::Name(c),
        };
        self.search(cred, w.top())?;
        Ok(last)
    }

    /// Resolves to an existing node; a final symlink is followed if `follow`
    /// or if the path ends in `/`.
    fn resolve(&self, w: &mut Walk, cred: &Cred, follow: bool) -> Result<Id, E> {
        loop {
            match self.walk_to_last(w, cred)? {
                Last::Here => return Ok(w.top()),
                Last::Up => {
                    w.up()?;
                    return Ok(w.top());
                }
                Last::Name(name) => {
                    let id = self.lookup(cred, w.top(), &name)?.ok_or(E::NotFound)?;
                    match &self.node(id).body {
                        Body::Dir { .. } => return Ok(id),
                        Body::Symlink(target) if follow || w.trailing => w.follow(target)?,
                        Body::Symlink(_) => return Ok(id),
                        Body::File { .. } | Body::Device(_) if w.trailing => return Err(E::NotDir),
                        Body::File { .. } | Body::Device(_) => return Ok(id),
                    }
                }
            }
        }
    }

    /// Resolves `path` to `(parent, last name, what is there, trailing slash)`
    /// for an operation that creates or removes a name; `busy` is the error
    /// for a path ending in `.`/`..`/`/`.
    fn parent_and_name(
        &self,
        cred: &Cred,
        base: Result<Id, E>,
        path: &str,
        busy: &[E],
    ) -> Result<(Id, String, Option<Id>, bool), Vec<E>> {
        let mut w = self.begin(base, path).map_err(|e| vec![e])?;
        let Last::Name(name) = self.walk_to_last(&mut w, cred).map_err(|e| vec![e])? else {
            return Err(busy.to_vec());
        };
        let parent = w.top();
        let existing = self.lookup(cred, parent, &name).map_err(|e| vec![e])?;
        Ok((parent, name, existing, w.trailing))
    }

    // ---- operations --------------------------------------------------------

    pub fn stat(&self, cred: &Cred, base: Result<Id, E>, path: &str, follow: bool) -> Expect<StatView> {
        let id = match self.begin(base, path).and_then(|mut w| self.resolve(&mut w, cred, follow)) {
            Ok(id) => id,
            Err(e) => return Expect::err(e),
        };
        Expect::Ok(self.stat_view(id))
    }

    pub fn stat_view(&self, id: Id) -> StatView {
        let n = self.node(id);
        let (nlink, size) = match (&n.body, n.host) {
            (Body::Dir { .. }, _) => (if n.links == 0 { Some(0) } else { None }, None),
            (Body::File { data, .. }, Some(h)) => (Some(h.nlink), Some(data.len() as u64)),
            (Body::Symlink(t), Some(h)) => (Some(h.nlink), Some(t.len() as u64)),
            (Body::File { data, .. }, None) => (Some(n.links), Some(data.len() as u64)),
            (Body::Symlink(t), None) => (Some(n.links), Some(t.len() as u64)),
            (Body::Device(_), _) => (Some(n.links), Some(0)),
        };
        StatView {
            id,
            dev: if n.host.is_some() { MOUNT_DEV } else { VFS_DEV },
            file_type: n.file_type(),
            nlink,
            size,
            mode: n.mode & 0o7777,
            uid: n.uid,
            gid: n.gid,
        }
    }

    pub fn readlink(&self, cred: &Cred, base: Result<Id, E>, path: &str) -> Expect<String> {
        let id = match self.begin(base, path).and_then(|mut w| self.resolve(&mut w, cred, false)) {
            Ok(id) => id,
            Err(e) => return Expect::err(e),
        };
        match &self.node(id).body {
            Body::Symlink(target) => Expect::Ok(target.clone()),
            _ => Expect::err(E::Invalid),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn open(
        &self,
        cred: &Cred,
        base: Result<Id, E>,
        path: &str,
        f: &crate::vfs_model::input::OpenFlags,
        mode: u32,
    ) -> Expect<OpenEffect> {
        let mut w = match self.begin(base, path) {
            Ok(w) => w,
            Err(e) => return Expect::err(e),
        };
        loop {
            let last = match self.walk_to_last(&mut w, cred) {
                Ok(last) => last,
                Err(e) => return Expect::err(e),
            };
            let name = match last {
                Last::Here | Last::Up if f.create => return Expect::err(E::IsDir),
                Last::Here => return self.open_existing(cred, w.top(), f),
                Last::Up => {
                    if let Err(e) = w.up() {
                        return Expect::err(e);
                    }
                    return self.open_existing(cred, w.top(), f);
                }
                Last::Name(name) => name,
            };
            if f.create && w.trailing {
                return Expect::err(E::IsDir);
            }
            let parent = w.top();
            let child = match self.lookup(cred, parent, &name) {
                Ok(child) => child,
                Err(e) => return Expect::err(e),
            };
            let Some(id) = child else {
                if !f.create {
                    return Expect::err(E::NotFound);
                }
                if self.is_host(parent) {
                    return Expect::AnyErr("create in the read-only mount");
                }
                let mut bag = self.create_denied(cred, parent, true, 0);
                if f.directory {
                    bag.push(E::Invalid);
                }
                let create = Mutation::Create {
                    parent,
                    name,
                    mode: mode & 0o7777,
                    uid: cred.uid,
                    gid: cred.gid,
                    body: Body::File { data: Vec::new(), owned: true },
                };
                return Expect::bag_or(bag, OpenEffect { existing: None, create: Some(create), truncate: false });
            };
            match &self.node(id).body {
                Body::Symlink(_) if f.create && f.exclusive => return Expect::err(E::Exists),
                Body::Symlink(target) if f.follow || w.trailing => {
                    if let Err(e) = w.follow(target) {
                        return Expect::err(e);
                    }
                }
                Body::Symlink(_) if f.directory => return Expect::err(E::NotDir),
                Body::Symlink(_) => return Expect::err(E::Loop),
                _ if f.create && f.exclusive => return Expect::err(E::Exists),
                Body::File { .. } | Body::Device(_) if w.trailing => return Expect::err(E::NotDir),
                _ => return self.open_existing(cred, id, f),
            }
        }
    }

    fn open_existing(&self, cred: &Cred, id: Id, f: &crate::vfs_model::input::OpenFlags) -> Expect<OpenEffect> {
        let n = self.node(id);
        let wants_write = f.write || f.truncate;
        if n.host.is_some() && wants_write {
            return Expect::AnyErr("write access in the read-only mount");
        }
        match &n.body {
            Body::Dir { .. } if wants_write || f.create => return Expect::err(E::IsDir),
            Body::File { .. } | Body::Device(_) if f.directory => return Expect::err(E::NotDir),
            // No entropy grant in this VM.
            Body::Device(Device::Urandom | Device::Random) => return Expect::err(E::AccessDenied),
            Body::Symlink(_) => return Expect::err(E::Loop),
            _ => {}
        }
        let want = if f.read { R } else { 0 } | if wants_write { W } else { 0 };
        if !self.permits(cred, id, want) {
            return Expect::err(E::AccessDenied);
        }
        // Truncation copies shared layer bytes up, to zero bytes: it always fits.
        let truncate = f.truncate && matches!(n.body, Body::File { .. });
        Expect::Ok(OpenEffect { existing: Some(id), create: None, truncate })
    }

    pub fn mkdir(&self, cred: &Cred, base: Result<Id, E>, path: &str, mode: u32) -> Expect<Mutation> {
        let (parent, name, existing, _) = match self.parent_and_name(cred, base, path, &[E::Exists]) {
            Ok(found) => found,
            Err(errs) => return Expect::Err(errs),
        };
        if self.is_host(parent) {
            return Expect::AnyErr("mkdir in the read-only mount");
        }
        if existing.is_some() {
            return Expect::err(E::Exists);
        }
        let bag = self.create_denied(cred, parent, true, 0);
        let body = Body::Dir { entries: BTreeMap::new(), parent };
        Expect::bag_or(bag, Mutation::Create { parent, name, mode: mode & 0o7777, uid: cred.uid, gid: cred.gid, body })
    }

    pub fn rmdir(&self, cred: &Cred, base: Result<Id, E>, path: &str) -> Expect<Mutation> {
        let mut w = match self.begin(base, path) {
            Ok(w) => w,
            Err(e) => return Expect::err(e),
        };
        let name = match self.walk_to_last(&mut w, cred) {
            Err(e) => return Expect::err(e),
            // Linux: "." is EINVAL, "/" EBUSY; the two cannot be told apart here.
            Ok(Last::Here) => return Expect::Err(vec![E::Invalid, E::Busy]),
            Ok(Last::Up) => return Expect::Err(vec![E::NotEmpty, E::Exists]),
            Ok(Last::Name(name)) => name,
        };
        let parent = w.top();
        let id = match self.lookup(cred, parent, &name) {
            Err(e) => return Expect::err(e),
            Ok(None) => return Expect::err(E::NotFound),
            Ok(Some(id)) => id,
        };
        if self.is_host(parent) || self.is_host(id) {
            return Expect::AnyErr("rmdir in (or of) the read-only mount");
        }
        let mut bag = self.remove_denied(cred, parent, id);
        if !self.is_dir(id) {
            bag.push(E::NotDir);
        } else if !self.entries(id).is_empty() {
            bag.extend([E::NotEmpty, E::Exists]);
        }
        Expect::bag_or(bag, Mutation::Unlink { parent, name })
    }

    pub fn unlink(&self, cred: &Cred, base: Result<Id, E>, path: &str) -> Expect<Mutation> {
        let mut w = match self.begin(base, path) {
            Ok(w) => w,
            Err(e) => return Expect::err(e),
        };
        let name = match self.walk_to_last(&mut w, cred) {
            Err(e) => return Expect::err(e),
            Ok(Last::Here | Last::Up) => return Expect::err(E::IsDir),
            Ok(Last::Name(name)) => name,
        };
        let parent = w.top();
        let id = match self.lookup(cred, parent, &name) {
            Err(e) => return Expect::err(e),
            Ok(None) => return Expect::err(E::NotFound),
            Ok(Some(id)) => id,
        };
        if self.is_host(parent) || self.is_host(id) {
            return Expect::AnyErr("unlink in the read-only mount");
        }
        let mut bag = self.remove_denied(cred, parent, id);
        if self.is_dir(id) {
            bag.push(E::IsDir);
        } else if w.trailing {
            return Expect::err(E::NotDir);
        }
        Expect::bag_or(bag, Mutation::Unlink { parent, name })
    }

    pub fn rename(
        &self,
        cred: &Cred,
        old_base: Result<Id, E>,
        old: &str,
        new_base: Result<Id, E>,
        new: &str,
    ) -> Expect<Mutation> {
        let old_stage = self.parent_and_name(cred, old_base, old, &[E::Busy]).and_then(|(p, n, id, t)| match id {
            Some(id) => Ok((p, n, id, t)),
            None => Err(vec![E::NotFound]),
        });
        let new_stage = self.parent_and_name(cred, new_base, new, &[E::Busy]);
        let host = old_stage.as_ref().is_ok_and(|(p, _, id, _)| self.is_host(*p) || self.is_host(*id))
            || new_stage.as_ref().is_ok_and(|(p, _, t, _)| self.is_host(*p) || t.is_some_and(|t| self.is_host(t)));
        let ((old_parent, old_name, id, old_slash), (new_parent, new_name, target, new_slash)) =
            match (old_stage, new_stage) {
                _ if host => return Expect::AnyErr("rename into, out of or inside the read-only mount"),
                (Err(mut a), Err(b)) => {
                    a.extend(b);
                    return Expect::Err(a);
                }
                (Err(a), Ok(_)) | (Ok(_), Err(a)) => return Expect::Err(a),
                (Ok(o), Ok(n)) => (o, n),
            };
        let old_is_dir = self.is_dir(id);
        if !old_is_dir && (old_slash || new_slash) {
            return Expect::err(E::NotDir);
        }
        if target == Some(id) {
            // Two names of one file: rename does nothing and succeeds.
            return Expect::Ok(Mutation::Nothing);
        }
        let mut bag = self.remove_denied(cred, old_parent, id);
        match target {
            None => bag.extend(self.create_denied(cred, new_parent, false, 0)),
            Some(t) => {
                bag.extend(self.remove_denied(cred, new_parent, t));
                match (old_is_dir, self.is_dir(t)) {
                    (true, false) => bag.push(E::NotDir),
                    (false, true) => bag.push(E::IsDir),
                    (true, true) if !self.entries(t).is_empty() => bag.extend([E::NotEmpty, E::Exists]),
                    _ => {}
                }
                if self.is_dir(t) && self.is_ancestor_or_self(t, old_parent) {
                    // Linux: the target is an ancestor of the source.
                    bag.push(E::NotEmpty);
                }
            }
        }
        if old_is_dir && self.is_ancestor_or_self(id, new_parent) {
            bag.push(E::Invalid);
        }
        if self.node(new_parent).links == 0 {
            bag.push(E::NotFound);
        }
        let rename = Mutation::Rename { old_parent, old_name, new_parent, new_name };
        if !bag.is_empty() {
            return Expect::Err(bag);
        }
        if old_is_dir && new_parent != old_parent && !self.permits(cred, id, W) {
            return Expect::OkOrErr(rename, vec![E::AccessDenied]);
        }
        Expect::Ok(rename)
    }

    /// The new name of a link or symlink: must be free (Linux's trailing-slash errors).
    fn new_name(&self, cred: &Cred, base: Result<Id, E>, path: &str) -> Result<(Id, String), Vec<E>> {
        let (parent, name, existing, slash) = self.parent_and_name(cred, base, path, &[E::Exists])?;
        match existing {
            None if slash => Err(vec![E::NotFound]),
            None => Ok((parent, name)),
            Some(id) if slash && !self.is_dir(id) => Err(vec![E::NotDir, E::Exists]),
            Some(_) => Err(vec![E::Exists]),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn link(
        &self,
        cred: &Cred,
        old_base: Result<Id, E>,
        old: &str,
        follow: bool,
        new_base: Result<Id, E>,
        new: &str,
    ) -> Expect<Mutation> {
        let old_stage = self.begin(old_base, old).and_then(|mut w| self.resolve(&mut w, cred, follow));
        let new_stage = self.new_name(cred, new_base.clone(), new);
        let host_parent = |base: &Result<Id, E>| {
            // A failed new-name check may still have reached a parent in the mount.
            self.parent_and_name(cred, base.clone(), new, &[]).is_ok_and(|(p, ..)| self.is_host(p))
        };
        if old_stage.as_ref().is_ok_and(|id| self.is_host(*id)) || host_parent(&new_base) {
            return Expect::AnyErr("link into, out of or inside the read-only mount");
        }
        let dir_perm = old_stage.as_ref().is_ok_and(|id| self.is_dir(*id));
        match (old_stage, new_stage) {
            (Err(a), Err(mut b)) => {
                b.push(a);
                Expect::Err(b)
            }
            (Err(a), Ok(_)) => Expect::err(a),
            (Ok(_), Err(mut b)) => {
                if dir_perm {
                    b.push(E::NotPermitted);
                }
                Expect::Err(b)
            }
            (Ok(id), Ok((parent, name))) => {
                // A new name costs a place in the inode quota, as a new inode does.
                let mut bag = self.create_denied(cred, parent, true, 0);
                if dir_perm {
                    bag.push(E::NotPermitted);
                }
                Expect::bag_or(bag, Mutation::Link { id, parent, name })
            }
        }
    }

    pub fn symlink(&self, cred: &Cred, target: &str, base: Result<Id, E>, path: &str) -> Expect<Mutation> {
        if target.is_empty() {
            return Expect::err(E::NotFound);
        }
        let host_parent = self.parent_and_name(cred, base.clone(), path, &[]).is_ok_and(|(p, ..)| self.is_host(p));
        if host_parent {
            return Expect::AnyErr("symlink in the read-only mount");
        }
        let (parent, name) = match self.new_name(cred, base, path) {
            Ok(found) => found,
            Err(errs) => return Expect::Err(errs),
        };
        let bag = self.create_denied(cred, parent, true, target.len() as u64);
        let body = Body::Symlink(target.to_owned());
        Expect::bag_or(bag, Mutation::Create { parent, name, mode: 0o777, uid: cred.uid, gid: cred.gid, body })
    }

    pub fn chmod(&self, cred: &Cred, base: Result<Id, E>, path: &str, follow: bool, mode: u32) -> Expect<Mutation> {
        let id = match self.begin(base, path).and_then(|mut w| self.resolve(&mut w, cred, follow)) {
            Ok(id) => id,
            Err(e) => return Expect::err(e),
        };
        if self.is_host(id) {
            return Expect::AnyErr("chmod in the read-only mount");
        }
        let n = self.node(id);
        let mut bag = Vec::new();
        if matches!(n.body, Body::Symlink(_)) {
            bag.push(E::NotSupported);
        }
        if !cred.is_root() && cred.uid != n.uid {
            bag.push(E::NotPermitted);
        }
        Expect::bag_or(bag, Mutation::Chmod { id, mode: mode & 0o7777 })
    }

    // ---- handles -----------------------------------------------------------

    /// `pwrite`; on success the count written.
    pub fn write(&self, h: &Handle, offset: u64, data: &[u8]) -> Expect<(usize, Mutation)> {
        let n = self.node(h.id);
        if !h.writable && !n.is_dir() {
            return Expect::err(E::BadFd);
        }
        match &n.body {
            Body::Dir { .. } => Expect::err(E::IsDir),
            Body::Symlink(_) => Expect::AnyErr("a handle on a symlink cannot exist"),
            Body::Device(d) if !d.seekable() => Expect::err(E::IllegalSeek),
            Body::Device(Device::Full) => Expect::err(E::NoSpace),
            Body::Device(_) => Expect::Ok((data.len(), Mutation::Nothing)),
            Body::File { data: bytes, owned } => {
                let size = bytes.len() as u64;
                let offset = if h.append { size } else { offset };
                if data.is_empty() {
                    return Expect::Ok((0, Mutation::Nothing));
                }
                let Some(end) = offset.checked_add(data.len() as u64) else {
                    return Expect::err(E::FileTooBig);
                };
                if end > size || !owned {
                    let new_len = end.max(size);
                    if let Err(e) = self.check_resize(h.id, new_len) {
                        return Expect::err(e);
                    }
                }
                Expect::Ok((data.len(), Mutation::Write { id: h.id, offset, data: data.to_vec() }))
            }
        }
    }

    fn check_resize(&self, id: Id, len: u64) -> Result<(), E> {
        if i64::try_from(len).is_err() {
            return Err(E::FileTooBig);
        }
        let charged = self.node(id).charged();
        let (used, _) = self.usage();
        if used + len.saturating_sub(charged) > self.max_bytes {
            return Err(E::NoSpace);
        }
        Ok(())
    }

    /// `pread` of `len` bytes.
    pub fn read(&self, h: &Handle, offset: u64, len: usize) -> Expect<Vec<u8>> {
        let n = self.node(h.id);
        if !h.readable && !n.is_dir() {
            return Expect::err(E::BadFd);
        }
        match &n.body {
            Body::Dir { .. } => Expect::err(E::IsDir),
            Body::Symlink(_) => Expect::AnyErr("a handle on a symlink cannot exist"),
            Body::Device(d) if !d.seekable() => Expect::err(E::IllegalSeek),
            Body::Device(Device::Null) => Expect::Ok(Vec::new()),
            Body::Device(_) => Expect::Ok(vec![0; len]),
            Body::File { .. } if offset.checked_add(len as u64).is_none_or(|end| end > i64::MAX as u64) => {
                // Linux `rw_verify_area`: a regular file's range reaching past
                // i64::MAX is EINVAL, wherever the file lives.
                Expect::err(E::Invalid)
            }
            Body::File { data, .. } => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(data.len());
                let end = start.saturating_add(len).min(data.len());
                Expect::Ok(data[start..end].to_vec())
            }
        }
    }

    /// `set_size`.
    pub fn truncate(&self, h: &Handle, size: u64) -> Expect<Mutation> {
        let n = self.node(h.id);
        if n.is_dir() {
            return Expect::Err(vec![E::IsDir, E::BadFd]);
        }
        if !h.writable {
            return Expect::err(E::BadFd);
        }
        match &n.body {
            Body::File { .. } => match self.check_resize(h.id, size) {
                Ok(()) => Expect::Ok(Mutation::Truncate { id: h.id, len: size }),
                Err(e) => Expect::err(e),
            },
            Body::Device(_) => Expect::err(E::Invalid),
            Body::Dir { .. } | Body::Symlink(_) => Expect::AnyErr("unreachable"),
        }
    }

    /// Entries of a directory handle: `.`, `..`, then by name.
    pub fn readdir(&self, h: &Handle) -> Expect<Vec<EntryView>> {
        let n = self.node(h.id);
        let Body::Dir { entries, parent } = &n.body else {
            return Expect::err(E::NotDir);
        };
        let dev = |id: Id| if self.is_host(id) { MOUNT_DEV } else { VFS_DEV };
        let mut out = vec![EntryView { name: ".".into(), file_type: FileType::Directory, id: Some((dev(h.id), h.id)) }];
        let parent_id = (n.links > 0 || self.is_host(h.id)).then(|| (dev(*parent), *parent));
        out.push(EntryView { name: "..".into(), file_type: FileType::Directory, id: parent_id });
        for (name, child) in entries {
            let c = self.node(*child);
            // The mount point, seen from its parent, is the underlying directory.
            let mount_point = c.host.is_some() && n.host.is_none();
            out.push(EntryView {
                name: name.clone(),
                file_type: c.file_type(),
                id: (!mount_point).then(|| (dev(*child), *child)),
            });
        }
        Expect::Ok(out)
    }

    // ---- applying changes ----------------------------------------------------

    pub fn apply(&mut self, m: Mutation) {
        match m {
            Mutation::Nothing => {}
            Mutation::Create { parent, name, mode, uid, gid, body } => {
                let mut node = plain(body, mode, uid);
                node.gid = gid;
                node.counted = true;
                self.add(parent, &name, node);
            }
            Mutation::Unlink { parent, name } => self.remove_name(parent, &name),
            Mutation::Rename { old_parent, old_name, new_parent, new_name } => {
                if self.entries(new_parent).contains_key(&new_name) {
                    self.remove_name(new_parent, &new_name);
                }
                let id = match &mut self.node_mut(old_parent).body {
                    Body::Dir { entries, .. } => entries.remove(&old_name).expect("rename source"),
                    _ => panic!("rename from a non-directory"),
                };
                if let Body::Dir { entries, .. } = &mut self.node_mut(new_parent).body {
                    entries.insert(new_name, id);
                }
                if let Body::Dir { parent, .. } = &mut self.node_mut(id).body {
                    *parent = new_parent;
                }
            }
            Mutation::Link { id, parent, name } => {
                let node = self.node_mut(id);
                node.links += 1;
                node.charged_links += 1;
                if let Body::Dir { entries, .. } = &mut self.node_mut(parent).body {
                    entries.insert(name, id);
                }
            }
            Mutation::Chmod { id, mode } => self.node_mut(id).mode = mode,
            Mutation::Truncate { id, len } => {
                if let Body::File { data, owned } = &mut self.node_mut(id).body {
                    data.resize(usize::try_from(len).expect("checked size"), 0);
                    *owned = true;
                }
            }
            Mutation::Write { id, offset, data: bytes } => {
                if let Body::File { data, owned } = &mut self.node_mut(id).body {
                    let start = usize::try_from(offset).expect("checked offset");
                    let end = start + bytes.len();
                    if data.len() < end {
                        data.resize(end, 0);
                    }
                    data[start..end].copy_from_slice(&bytes);
                    *owned = true;
                }
            }
        }
    }

    /// Applies a successful open: creates or truncates, and counts the handle.
    pub fn apply_open(&mut self, effect: OpenEffect) -> Id {
        let id = match (effect.existing, effect.create) {
            (Some(id), _) => id,
            (None, Some(Mutation::Create { parent, name, mode, uid, gid, body })) => {
                self.apply(Mutation::Create { parent, name: name.clone(), mode, uid, gid, body });
                self.entries(parent)[&name]
            }
            (None, _) => panic!("open effect without a node"),
        };
        if effect.truncate {
            self.apply(Mutation::Truncate { id, len: 0 });
        }
        if self.node(id).host.is_none() {
            self.node_mut(id).opens += 1;
        }
        id
    }

    /// A handle is closed.
    pub fn close(&mut self, id: Id) {
        if self.node(id).host.is_some() {
            return;
        }
        let n = self.node_mut(id);
        n.opens -= 1;
        self.release_if_unused(id);
    }

    fn remove_name(&mut self, parent: Id, name: &str) {
        let id = match &mut self.node_mut(parent).body {
            Body::Dir { entries, .. } => entries.remove(name).expect("name to remove"),
            _ => panic!("remove from a non-directory"),
        };
        let n = self.node_mut(id);
        n.links = if n.is_dir() { 0 } else { n.links - 1 };
        n.charged_links = n.charged_links.saturating_sub(1);
        self.release_if_unused(id);
    }

    fn release_if_unused(&mut self, id: Id) {
        let n = self.node(id);
        if n.links == 0 && n.opens == 0 && id != ROOT {
            self.nodes.remove(&id);
        }
    }

    /// Every name to remove to empty the tree (the mount point excepted),
    /// children before their directory: `(path, is_dir)`.
    pub fn teardown_order(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        self.teardown_under(ROOT, "", &mut out);
        out
    }

    fn teardown_under(&self, dir: Id, prefix: &str, out: &mut Vec<(String, bool)>) {
        for (name, id) in self.entries(dir) {
            if self.is_host(*id) {
                continue;
            }
            let path = format!("{prefix}/{name}");
            if self.is_dir(*id) {
                self.teardown_under(*id, &path, out);
                out.push((path, true));
            } else {
                out.push((path, false));
            }
        }
    }
}

fn plain(body: Body, mode: u32, uid: u32) -> Node {
    Node { body, mode, uid, gid: uid, links: 1, opens: 0, counted: false, charged_links: 0, host: None }
}
