//! Layer images: a [`Layer`] as a flat list of entries, parents first, and
//! back. A store writes a snapshot's image to disk (the kernel does no I/O)
//! and rebuilds the same layer from it: same tree, modes, owners, times,
//! and the same charges for a VM booted over it.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::bytes::SharedBytes;
use crate::error::{KernelError, Result};
use crate::layer::{Layer, LayerDir, LayerNode, Meta, Stamp};
use crate::vfs::Usage;

/// One node of a layer image.
#[derive(Debug, Clone)]
pub struct ImageEntry {
    /// Its absolute path; `/` is the layer's root.
    pub path: String,
    /// What it is.
    pub node: ImageNode,
    /// Its owner and mode (`None`: a directory the layer only passes
    /// through, which takes the defaults of the layers below).
    pub meta: Option<Meta>,
    /// Its time and charges.
    pub stamp: Stamp,
}

/// The kind and contents of an [`ImageEntry`].
#[derive(Debug, Clone)]
pub enum ImageNode {
    /// A directory; `opaque` hides what layers below hold beneath it.
    Dir {
        /// Whether it hides the layers below.
        opaque: bool,
    },
    /// A regular file and its bytes (shared, not copied).
    File(SharedBytes),
    /// A symbolic link and its target.
    Symlink(String),
}

impl Layer {
    /// The layer as a list of entries, each directory before what it holds.
    pub fn image(&self) -> Vec<ImageEntry> {
        let mut entries = Vec::new();
        // Iterative: a guest can nest directories deeper than a host stack.
        let mut pending: Vec<(String, &LayerDir)> = vec![("/".to_string(), &self.root)];
        while let Some((path, dir)) = pending.pop() {
            entries.push(ImageEntry {
                path: path.clone(),
                node: ImageNode::Dir { opaque: dir.opaque },
                meta: dir.meta,
                stamp: dir.stamp,
            });
            for (name, node) in dir.entries.iter().rev() {
                let child = if path == "/" { format!("/{name}") } else { format!("{path}/{name}") };
                match node {
                    LayerNode::Dir(sub) => pending.push((child, sub)),
                    LayerNode::File { contents, meta, stamp } => entries.push(ImageEntry {
                        path: child,
                        node: ImageNode::File(contents.clone()),
                        meta: Some(*meta),
                        stamp: *stamp,
                    }),
                    LayerNode::Symlink { target, meta, stamp } => entries.push(ImageEntry {
                        path: child,
                        node: ImageNode::Symlink(target.clone()),
                        meta: Some(*meta),
                        stamp: *stamp,
                    }),
                }
            }
        }
        entries
    }

    /// Rebuilds a layer from [`Layer::image`]'s entries (in any order that
    /// puts every directory before its contents). A VM booted over it is
    /// charged the stamps of everything beneath the root.
    ///
    /// # Errors
    /// `Invalid` for a path that is not absolute and normal, or an entry
    /// whose parent is missing or not a directory; `Exists` for a path given
    /// twice.
    pub fn from_image(entries: impl IntoIterator<Item = ImageEntry>) -> Result<Arc<Layer>> {
        // Directories by path, built bottom-up once every entry is in.
        let mut dirs: BTreeMap<String, LayerDir> = BTreeMap::new();
        let mut leaves: Vec<(String, String, LayerNode)> = Vec::new();
        let mut usage = Usage::default();
        for entry in entries {
            let (parent, name) = split(&entry.path)?;
            if entry.path != "/" {
                if !dirs.contains_key(parent) {
                    return Err(KernelError::Invalid);
                }
                usage.bytes = usage.bytes.saturating_add(entry.stamp.bytes);
                usage.inodes = usage.inodes.saturating_add(u64::from(entry.stamp.counted));
            }
            let meta_or_default = entry.meta.unwrap_or(Meta::root(0o755));
            match entry.node {
                ImageNode::Dir { opaque } => {
                    let dir = LayerDir { meta: entry.meta, opaque, stamp: entry.stamp, entries: BTreeMap::new() };
                    if dirs.insert(entry.path.clone(), dir).is_some() {
                        return Err(KernelError::Exists);
                    }
                }
                ImageNode::File(contents) => leaves.push((
                    parent.to_string(),
                    name.to_string(),
                    LayerNode::File { contents, meta: meta_or_default, stamp: entry.stamp },
                )),
                ImageNode::Symlink(target) => leaves.push((
                    parent.to_string(),
                    name.to_string(),
                    LayerNode::Symlink { target, meta: meta_or_default, stamp: entry.stamp },
                )),
            }
        }
        for (parent, name, node) in leaves {
            let dir = dirs.get_mut(&parent).ok_or(KernelError::Invalid)?;
            if dir.entries.insert(name, node).is_some() {
                return Err(KernelError::Exists);
            }
        }
        // Deepest paths first: each directory is complete before its parent
        // takes it.
        let mut paths: Vec<String> = dirs.keys().filter(|path| *path != "/").cloned().collect();
        paths.sort_by_key(|path| std::cmp::Reverse(path.matches('/').count()));
        for path in paths {
            let Some(dir) = dirs.remove(&path) else { continue };
            let (parent, name) = split(&path)?;
            let parent = dirs.get_mut(parent).ok_or(KernelError::Invalid)?;
            if parent.entries.insert(name.to_string(), LayerNode::Dir(Arc::new(dir))).is_some() {
                return Err(KernelError::Exists);
            }
        }
        let root = dirs.remove("/").ok_or(KernelError::Invalid)?;
        Ok(Arc::new(Layer { root: Arc::new(root), usage }))
    }
}

/// `path`'s parent directory and last name (`("", "")` for the root).
fn split(path: &str) -> Result<(&str, &str)> {
    if path == "/" {
        return Ok(("", ""));
    }
    let valid = path.starts_with('/')
        && !path.ends_with('/')
        && !path.contains('\0')
        && path[1..].split('/').all(|name| !name.is_empty() && name != "." && name != "..");
    if !valid {
        return Err(KernelError::Invalid);
    }
    let at = path.rfind('/').ok_or(KernelError::Invalid)?;
    Ok((if at == 0 { "/" } else { &path[..at] }, &path[at + 1..]))
}
