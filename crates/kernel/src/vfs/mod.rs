//! The virtual filesystem of one VM: an in-memory inode tree over shared
//! read-only layers, with host directories mounted through cap-std.
//!
//! Path resolution (see `docs/abi.md` for the guest-visible rules):
//! - Every path is resolved *beneath* a directory handle, one component at a
//!   time, with a budget of [`SYMLINK_BUDGET`] symlinks (`Loop` past it).
//! - If the handle is the VM root, `..` at the root stays at the root and an
//!   absolute symlink target restarts at the VM root: the root is a chroot.
//! - Otherwise the path may not leave the handle's directory: an absolute path,
//!   a `..` above it, or a symlink leading above it gives `NotPermitted` — the
//!   WASI "beneath a preopen" rule.
//! - A trailing `/` requires the target to be a directory (Linux semantics).
//! - Crossing into a host mount continues the walk on the host through the
//!   mount's `cap_std::fs::Dir`, still one component at a time, so a host
//!   symlink is read and interpreted by this resolver, never followed by the host.

pub(crate) mod exec;
pub use exec::vouch_for_program;
pub(crate) mod host;
pub(crate) mod inode;
mod open;
mod ops;
pub(crate) mod resolve;
mod setup;
mod snapshot;

use std::sync::{Arc, Mutex, MutexGuard};

use crate::budget::{Budget, BudgetLimits, HostFdSlot};
use crate::cred::Cred;
use crate::error::{KernelError, Result};
use crate::file::OpenFile;
use crate::layer::Layer;
use crate::types::{OpenOptions, SetTime, Stat};
use crate::vfs::inode::State;

/// Symlinks followed during one resolution before `Loop`.
pub const SYMLINK_BUDGET: u32 = 40;
/// Longest accepted path, in bytes.
pub const MAX_PATH: usize = 4096;
/// Longest accepted component, in bytes.
pub const MAX_NAME: usize = 255;

/// What [`Vfs::stat_or_opener_fd_at`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStat {
    /// The file's stat.
    Stat(Stat),
    /// The path stands for the opener's fd `N` (`/dev/fd/N`, `/dev/stdin`…).
    OpenerFd(u32),
}

/// A host directory granted to the VM.
#[derive(Debug)]
pub struct Mount {
    /// Absolute guest path of the mount point (created if missing). `/` is
    /// a detached mount: it replaces nothing in the VM's tree and is reached
    /// only through its own handle ([`Vfs::open_mount`]), as a preopen named
    /// `/` is in `wasmtime run --dir HOST::/`.
    pub guest_path: String,
    /// The host directory; the only authority the VFS has over the host.
    pub dir: cap_std::fs::Dir,
    /// Whether every write through the mount fails with `ReadOnly`.
    pub read_only: bool,
}

/// Size limits of the VM's writable upper layer. Host mounts are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Bytes of file contents and symlink targets owned by the VM.
    pub max_bytes: u64,
    /// Names the VM created: its inodes, and each extra hard link it made.
    pub max_inodes: u64,
}

/// Current use of the quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Bytes owned.
    pub bytes: u64,
    /// Inodes owned, plus extra hard links made.
    pub inodes: u64,
}

/// Everything a VFS is built from.
#[derive(Debug)]
pub struct VfsConfig {
    /// Read-only layers, lowest first; shared, never copied.
    pub layers: Vec<Arc<Layer>>,
    /// Host mounts.
    pub mounts: Vec<Mount>,
    /// Quota of the writable upper layer.
    pub quota: Quota,
    /// Whether file timestamps use the real clock; if not they read as 0, so
    /// that a guest without the clock grant cannot learn the time from `stat`.
    pub real_time: bool,
    /// Whether `/dev/urandom` and `/dev/random` may be opened (the entropy grant).
    pub entropy: bool,
}

/// The VFS of one VM. Thread-safe; shared by all processes of the VM.
pub struct Vfs {
    state: Mutex<State>,
    mounts: Vec<MountEntry>,
    real_time: bool,
    entropy: bool,
    /// Host files and directories open through mounts hold a slot of it.
    budget: Arc<Budget>,
}

/// A host mount as the VFS keeps it.
#[derive(Debug)]
pub(crate) struct MountEntry {
    pub(crate) dir: cap_std::fs::Dir,
    pub(crate) read_only: bool,
    /// `Stat::dev` of everything inside the mount.
    pub(crate) dev: u64,
    /// The in-memory directory the mount is attached to; `None` for a
    /// detached mount.
    pub(crate) point: Option<u64>,
}

impl std::fmt::Debug for Vfs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vfs").finish_non_exhaustive()
    }
}

impl Vfs {
    /// Builds the VFS: layers under an empty upper layer, `/dev` with its
    /// devices, `/tmp` (mode 1777), and each mount point.
    ///
    /// # Errors
    /// `Invalid` for a relative or duplicate mount path; `NotDir` if a layer has
    /// a non-directory where a mount point must go.
    pub fn new(config: VfsConfig) -> Result<Arc<Vfs>> {
        Vfs::with_budget(config, Budget::new(BudgetLimits::UNLIMITED))
    }

    /// Builds the VFS as [`Vfs::new`] does, holding every host file it opens
    /// against `budget`'s host-fd limit (the kernel passes its VM's budget).
    ///
    /// # Errors
    /// As [`Vfs::new`].
    pub fn with_budget(config: VfsConfig, budget: Arc<Budget>) -> Result<Arc<Vfs>> {
        setup::build(config, budget)
    }

    /// An open handle on the VM root directory, the base for the `/` preopen.
    pub fn root(self: &Arc<Self>) -> Arc<OpenFile> {
        let mut st = self.lock();
        if let Ok(root) = st.get_mut(inode::ROOT_INO) {
            root.opens += 1;
        }
        drop(st);
        OpenFile::node(self.clone(), inode::ROOT_INO, crate::file::NodeClass::Dir, true, false, Default::default())
    }

    /// Opens `path` beneath `dir`.
    ///
    /// # Errors
    /// `NotFound`, `Exists` (create+exclusive), `NotDir` (directory flag or a
    /// trailing slash on a non-directory), `IsDir` (write to a directory),
    /// `Loop` (symlink budget, or a symlink last component without `follow`),
    /// `AccessDenied` (mode bits), `ReadOnly`, `NoSpace`, `NotPermitted` (escape).
    pub fn open_at(
        self: &Arc<Self>,
        cred: &Cred,
        dir: &OpenFile,
        path: &str,
        opts: OpenOptions,
    ) -> Result<Arc<OpenFile>> {
        open::open_at(self, cred, dir, path, opts)
    }

    /// `stat` of `path` beneath `dir`; `follow` decides for a symlink last component.
    ///
    /// # Errors
    /// As resolution in [`Vfs::open_at`].
    pub fn stat_at(&self, cred: &Cred, dir: &OpenFile, path: &str, follow: bool) -> Result<Stat> {
        self.stat_at_impl(cred, dir, path, follow)
    }

    /// What a stat of `path` beneath `dir` shows: its stat, or — for
    /// `/dev/stdin`, `/dev/stdout`, `/dev/stderr` and `/dev/fd/N`, which
    /// stand for the opener's fds as Linux's magic links do — the fd whose
    /// file the caller should stat instead.
    ///
    /// # Errors
    /// As resolution.
    pub fn stat_or_opener_fd_at(&self, cred: &Cred, dir: &OpenFile, path: &str, follow: bool) -> Result<PathStat> {
        self.stat_or_opener_fd_at_impl(cred, dir, path, follow)
    }

    /// Sets times of `path` beneath `dir`.
    ///
    /// # Errors
    /// As resolution, plus `ReadOnly`, `NotPermitted` (not the owner).
    pub fn set_times_at(
        &self,
        cred: &Cred,
        dir: &OpenFile,
        path: &str,
        follow: bool,
        atime: SetTime,
        mtime: SetTime,
    ) -> Result<()> {
        self.set_times_at_impl(cred, dir, path, follow, atime, mtime)
    }

    /// Creates a directory with `mode` (already masked by the umask).
    ///
    /// # Errors
    /// `Exists`, `NotFound` (parent), `AccessDenied`, `ReadOnly`, `NoSpace`.
    pub fn mkdir_at(&self, cred: &Cred, dir: &OpenFile, path: &str, mode: u32) -> Result<()> {
        self.mkdir_at_impl(cred, dir, path, mode)
    }

    /// Removes an empty directory.
    ///
    /// # Errors
    /// `NotEmpty`, `NotDir`, `Busy` (a mount point or the root), `AccessDenied`, `ReadOnly`.
    pub fn rmdir_at(&self, cred: &Cred, dir: &OpenFile, path: &str) -> Result<()> {
        self.rmdir_at_impl(cred, dir, path)
    }

    /// Removes a non-directory name. Open descriptions keep the data alive.
    ///
    /// # Errors
    /// `IsDir`, `NotDir` (trailing slash), `NotFound`, `AccessDenied`, `ReadOnly`.
    pub fn unlink_at(&self, cred: &Cred, dir: &OpenFile, path: &str) -> Result<()> {
        self.unlink_at_impl(cred, dir, path)
    }

    /// Creates a hard link `new_path` to `old_path`.
    ///
    /// # Errors
    /// `CrossDevice` across mounts, `Exists`, `NotPermitted` (directories), `ReadOnly`, `NoSpace`.
    pub fn link_at(
        &self,
        cred: &Cred,
        old_dir: &OpenFile,
        old_path: &str,
        follow: bool,
        new_dir: &OpenFile,
        new_path: &str,
    ) -> Result<()> {
        self.link_at_impl(cred, old_dir, old_path, follow, new_dir, new_path)
    }

    /// Creates a symlink at `path` holding `target` (not resolved now).
    ///
    /// # Errors
    /// `Exists`, `NotFound` (parent), `ReadOnly`, `NoSpace`.
    pub fn symlink_at(&self, cred: &Cred, target: &str, dir: &OpenFile, path: &str) -> Result<()> {
        self.symlink_at_impl(cred, target, dir, path)
    }

    /// Reads a symlink's target.
    ///
    /// # Errors
    /// `Invalid` if `path` is not a symlink.
    pub fn readlink_at(&self, cred: &Cred, dir: &OpenFile, path: &str) -> Result<String> {
        self.readlink_at_impl(cred, dir, path)
    }

    /// Atomically renames, replacing a compatible target (POSIX `rename`).
    ///
    /// # Errors
    /// `CrossDevice`, `NotDir`/`IsDir` (type mismatch), `NotEmpty` (non-empty target
    /// dir), `Invalid` (a directory into itself), `Busy`, `ReadOnly`, `AccessDenied`.
    pub fn rename_at(
        &self,
        cred: &Cred,
        old_dir: &OpenFile,
        old_path: &str,
        new_dir: &OpenFile,
        new_path: &str,
    ) -> Result<()> {
        self.rename_at_impl(cred, old_dir, old_path, new_dir, new_path)
    }

    /// Changes permission bits (chmod).
    ///
    /// # Errors
    /// `NotPermitted` unless owner or root, `ReadOnly`.
    pub fn set_mode_at(&self, cred: &Cred, dir: &OpenFile, path: &str, follow: bool, mode: u32) -> Result<()> {
        self.set_mode_at_impl(cred, dir, path, follow, mode)
    }

    /// Changes owner and/or group (chown); `None` keeps the current value.
    ///
    /// # Errors
    /// `NotPermitted` unless root (or owner changing to one of its groups), `ReadOnly`.
    pub fn set_owner_at(
        &self,
        cred: &Cred,
        dir: &OpenFile,
        path: &str,
        follow: bool,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<()> {
        self.set_owner_at_impl(cred, dir, path, follow, uid, gid)
    }

    /// An open handle on the root of host mount number `index` (in the
    /// order of [`VfsConfig::mounts`]): the directory a preopen of the mount
    /// stands for. Paths beneath it may not leave it.
    ///
    /// # Errors
    /// `BadFd` for no such mount; `VmFileLimit` past the host-fd budget; the
    /// host's error if the directory cannot be opened.
    pub fn open_mount(self: &Arc<Self>, index: usize) -> Result<Arc<OpenFile>> {
        open::open_mount_root(self, index)
    }

    /// Quota use so far.
    pub fn usage(&self) -> Usage {
        self.lock().usage
    }

    /// The quota.
    pub fn quota(&self) -> Quota {
        self.lock().quota
    }

    /// The inode table, recovering from a poisoned lock (the table is kept
    /// consistent at every point a panic could occur).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Host mount number `index`.
    pub(crate) fn mount(&self, index: usize) -> Result<&MountEntry> {
        self.mounts.get(index).ok_or(KernelError::BadFd)
    }

    /// Whether `/dev/urandom` and `/dev/random` may be opened.
    pub(crate) fn entropy(&self) -> bool {
        self.entropy
    }

    /// A slot of the VM's host-fd budget, for a host file about to be opened.
    pub(crate) fn host_fd(&self) -> Result<HostFdSlot> {
        self.budget.host_fd()
    }
}
