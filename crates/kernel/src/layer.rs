//! Read-only filesystem layers: immutable trees built once (e.g. the command
//! suite under `/bin`) and shared by every VM through an `Arc`. A VM's VFS reads
//! through them and copies a node up into its own writable upper layer only when
//! the guest changes it, so booting a VM copies nothing.

use std::sync::Arc;

use crate::bytes::SharedBytes;
use crate::error::{KernelError, Result};
use crate::types::Timestamp;
use crate::vfs::Usage;

/// Ownership and permission bits of a layer node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

impl Meta {
    /// Root-owned with the given mode.
    pub fn root(mode: u32) -> Self {
        Meta { mode, uid: 0, gid: 0 }
    }
}

/// An immutable, shareable directory tree: one the host built
/// ([`LayerBuilder`]), or a VM's own filesystem frozen
/// ([`crate::Vfs::snapshot`]).
#[derive(Debug)]
pub struct Layer {
    // Implementation-defined: an immutable tree of directories, files
    // (contents as `SharedBytes`, never copied per VM) and symlinks.
    pub(crate) root: Arc<LayerDir>,
    /// What a VM booted over this layer is charged for it up front: the
    /// names and bytes its snapshot's VM owned (nothing for a host's layer).
    pub(crate) usage: Usage,
}

impl Layer {
    /// The disk usage a VM booted over this layer starts with.
    pub fn usage(&self) -> Usage {
        self.usage
    }
}

/// A directory inside a [`Layer`]. Public only so the VFS can hold one; its
/// contents are private to the kernel.
#[derive(Debug, Default, Clone)]
pub struct LayerDir {
    pub(crate) meta: Option<Meta>,
    /// Hides what the layers below hold under this directory (a snapshot's
    /// root: the snapshot is the whole tree).
    pub(crate) opaque: bool,
    pub(crate) stamp: Stamp,
    pub(crate) entries: std::collections::BTreeMap<String, LayerNode>,
}

/// What a snapshot remembers of a node beyond its contents: its time and
/// what it was charged in the VM it came from. A host's layer has none.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Last modification (ns since the epoch); `None`: the time the VM
    /// first looks.
    pub mtime: Option<Timestamp>,
    /// Bytes charged to the VM's quota for it.
    pub bytes: u64,
    /// Whether its name counts against the VM's inode quota.
    pub counted: bool,
}

/// A node of a [`Layer`].
#[derive(Debug, Clone)]
pub(crate) enum LayerNode {
    Dir(Arc<LayerDir>),
    File { contents: SharedBytes, meta: Meta, stamp: Stamp },
    Symlink { target: String, meta: Meta, stamp: Stamp },
}

/// Builds a [`Layer`] from absolute paths. Missing parent directories are
/// created root-owned with mode 0755.
#[derive(Debug, Default)]
pub struct LayerBuilder {
    root: LayerDir,
}

impl LayerBuilder {
    /// An empty layer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a directory at absolute `path`.
    ///
    /// # Errors
    /// `Invalid` for a relative or empty path, `Exists` if a non-directory is there.
    pub fn dir(&mut self, path: &str, meta: Meta) -> Result<&mut Self> {
        let names = split_absolute(path)?;
        let mut dir = &mut self.root;
        for name in names {
            dir = descend(dir, name)?;
        }
        dir.meta = Some(meta);
        Ok(self)
    }

    /// Adds a regular file at absolute `path` whose bytes are shared, not
    /// copied (an `Arc<[u8]>`, a `&'static [u8]`, or [`SharedBytes`]).
    ///
    /// # Errors
    /// `Invalid` for a relative path, `Exists` if something is already there.
    pub fn file(&mut self, path: &str, contents: impl Into<SharedBytes>, meta: Meta) -> Result<&mut Self> {
        self.insert_leaf(path, LayerNode::File { contents: contents.into(), meta, stamp: Stamp::default() })
    }

    /// Adds a symlink at absolute `path` pointing to `target`.
    ///
    /// # Errors
    /// As for [`LayerBuilder::file`].
    pub fn symlink(&mut self, path: &str, target: &str) -> Result<&mut Self> {
        let node = LayerNode::Symlink { target: target.to_owned(), meta: Meta::root(0o777), stamp: Stamp::default() };
        self.insert_leaf(path, node)
    }

    /// Freezes the tree.
    pub fn build(self) -> Arc<Layer> {
        Arc::new(Layer { root: Arc::new(self.root), usage: Usage::default() })
    }

    fn insert_leaf(&mut self, path: &str, node: LayerNode) -> Result<&mut Self> {
        let mut names = split_absolute(path)?;
        let leaf = names.pop().ok_or(KernelError::Invalid)?;
        let mut dir = &mut self.root;
        for name in names {
            dir = descend(dir, name)?;
        }
        if dir.entries.contains_key(leaf) {
            return Err(KernelError::Exists);
        }
        dir.entries.insert(leaf.to_owned(), node);
        Ok(self)
    }
}

/// The components of an absolute layer path; `.` and `..` are refused so that
/// a layer's shape is exactly what its paths say.
fn split_absolute(path: &str) -> Result<Vec<&str>> {
    if !path.starts_with('/') || path.contains('\0') {
        return Err(KernelError::Invalid);
    }
    let names: Vec<&str> = path.split('/').filter(|name| !name.is_empty()).collect();
    if names.iter().any(|name| *name == "." || *name == "..") {
        return Err(KernelError::Invalid);
    }
    Ok(names)
}

/// The child directory `name` of `dir`, created (root-owned, no explicit
/// meta) if missing. The builder holds the only reference to every subtree, so
/// `make_mut` never actually clones.
fn descend<'a>(dir: &'a mut LayerDir, name: &str) -> Result<&'a mut LayerDir> {
    let node = dir.entries.entry(name.to_owned()).or_insert_with(|| LayerNode::Dir(Arc::new(LayerDir::default())));
    match node {
        LayerNode::Dir(child) => Ok(Arc::make_mut(child)),
        LayerNode::File { .. } | LayerNode::Symlink { .. } => Err(KernelError::Exists),
    }
}
