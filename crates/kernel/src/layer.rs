//! Read-only filesystem layers: immutable trees built once (e.g. the command
//! suite under `/bin`) and shared by every VM through an `Arc`. A VM's VFS reads
//! through them and copies a node up into its own writable upper layer only when
//! the guest changes it, so booting a VM copies nothing.

use std::sync::Arc;

use crate::bytes::SharedBytes;

use crate::error::{KernelError, Result};

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

/// An immutable, shareable directory tree.
#[derive(Debug)]
pub struct Layer {
    // Implementation-defined: an immutable tree of directories, files
    // (contents as `SharedBytes`, never copied per VM) and symlinks.
    pub(crate) root: Arc<LayerDir>,
}

/// A directory inside a [`Layer`]. Public only so the VFS can hold one; its
/// contents are private to the kernel.
#[derive(Debug, Default, Clone)]
pub struct LayerDir {
    pub(crate) meta: Option<Meta>,
    pub(crate) entries: std::collections::BTreeMap<String, LayerNode>,
}

/// A node of a [`Layer`].
#[derive(Debug, Clone)]
pub(crate) enum LayerNode {
    Dir(Arc<LayerDir>),
    File { contents: SharedBytes, meta: Meta },
    Symlink { target: String, meta: Meta },
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
        self.insert_leaf(path, LayerNode::File { contents: contents.into(), meta })
    }

    /// Adds a symlink at absolute `path` pointing to `target`.
    ///
    /// # Errors
    /// As for [`LayerBuilder::file`].
    pub fn symlink(&mut self, path: &str, target: &str) -> Result<&mut Self> {
        let node = LayerNode::Symlink { target: target.to_owned(), meta: Meta::root(0o777) };
        self.insert_leaf(path, node)
    }

    /// Freezes the tree.
    pub fn build(self) -> Arc<Layer> {
        Arc::new(Layer { root: Arc::new(self.root) })
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
